//! Stopping long runs and watchers: a [`StopSignal`] wraps tokio-util's `CancellationToken`,
//! so a run wakes the moment it is raised instead of polling a flag.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Asks a run to stop: it lists no more contacts and starts no more calls, lets the calls
/// already in flight finish (their outcomes are still yielded), and then ends its stream.
/// Clones share the signal, so a signal handler can hold one and the run another.
///
/// It is a [`CancellationToken`]: build one from the token your program already passes
/// around (`StopSignal::from(token)`), or hand [`StopSignal::token`] to code that expects
/// one. Waits inside a run (pacing, the watcher's interval) end as soon as it is raised.
///
/// ```
/// use rocketchat_omnichannel::workflow::StopSignal;
/// use tokio_util::sync::CancellationToken;
///
/// let shutdown = CancellationToken::new();
/// let stop = StopSignal::from(shutdown.clone());
/// shutdown.cancel();
/// assert!(stop.is_stopped());
/// ```
#[derive(Clone, Debug, Default)]
pub struct StopSignal(CancellationToken);

impl StopSignal {
    /// A signal not yet raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the signal; idempotent.
    pub fn stop(&self) {
        self.0.cancel();
    }

    /// Whether the signal was raised.
    pub fn is_stopped(&self) -> bool {
        self.0.is_cancelled()
    }

    /// A signal raised with this one, and also on its own without raising this one.
    pub(crate) fn child(&self) -> Self {
        Self(self.0.child_token())
    }

    /// The token behind the signal: cancelling it raises the signal, and the other way round.
    pub fn token(&self) -> &CancellationToken {
        &self.0
    }

    /// Resolves when the signal is raised.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let stop = rocketchat_omnichannel::workflow::StopSignal::new();
    /// let raiser = stop.clone();
    /// tokio::spawn(async move { raiser.stop() });
    /// stop.stopped().await;
    /// # }
    /// ```
    pub async fn stopped(&self) {
        self.0.cancelled().await;
    }
}

impl From<CancellationToken> for StopSignal {
    fn from(token: CancellationToken) -> Self {
        Self(token)
    }
}

impl From<&CancellationToken> for StopSignal {
    fn from(token: &CancellationToken) -> Self {
        Self(token.clone())
    }
}

impl From<&StopSignal> for StopSignal {
    fn from(stop: &StopSignal) -> Self {
        stop.clone()
    }
}

/// Sleeps for `wait`, or less when `stop` is raised first; `true` when it was.
pub(crate) async fn sleep_unless_stopped(wait: Duration, stop: Option<&StopSignal>) -> bool {
    match stop {
        Some(stop) => tokio::time::timeout(wait, stop.stopped()).await.is_ok(),
        None => {
            tokio::time::sleep(wait).await;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_raised_signal_ends_a_long_sleep_at_once() {
        let stop = StopSignal::new();
        let raiser = stop.clone();
        let started = std::time::Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            raiser.token().cancel();
        });
        assert!(sleep_unless_stopped(Duration::from_secs(600), Some(&stop)).await);
        assert!(started.elapsed() < Duration::from_secs(60));
        assert!(!sleep_unless_stopped(Duration::from_millis(1), None).await);
    }
}
