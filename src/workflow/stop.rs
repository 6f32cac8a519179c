//! Stopping long runs and watchers: they take tokio-util's `CancellationToken`, what tokio
//! programs already pass around, and wake the moment it is cancelled instead of polling a
//! flag.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Sleeps for `wait`, or until `stop` is cancelled; `true` when it was.
pub(crate) async fn sleep_unless_stopped(wait: Duration, stop: Option<&CancellationToken>) -> bool {
    match stop {
        Some(stop) => tokio::time::timeout(wait, stop.cancelled()).await.is_ok(),
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
    async fn a_cancelled_token_ends_a_long_sleep_at_once() {
        let stop = CancellationToken::new();
        let raiser = stop.clone();
        let started = std::time::Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            raiser.cancel();
        });
        assert!(sleep_unless_stopped(Duration::from_secs(600), Some(&stop)).await);
        assert!(started.elapsed() < Duration::from_secs(60));
        assert!(!sleep_unless_stopped(Duration::from_millis(1), None).await);
    }
}
