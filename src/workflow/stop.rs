//! A cheap, cloneable "stop when you can" flag for long runs and watchers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The longest single sleep of a wait that a stop signal must end (pacing waits, the
/// watcher between passes), so a stop is noticed quickly.
pub(crate) const STOP_CHECK: std::time::Duration = std::time::Duration::from_millis(50);

/// Asks a run to stop: it lists no more contacts and starts no more calls, lets the calls
/// already in flight finish (their outcomes are still yielded), and then ends its stream.
/// Clones share the flag, so a signal handler can hold one and the run another.
///
/// ```
/// use rocketchat_omnichannel::workflow::StopSignal;
/// let stop = StopSignal::new();
/// let handler_copy = stop.clone();
/// handler_copy.stop();
/// assert!(stop.is_stopped());
/// ```
#[derive(Clone, Debug, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    /// A signal not yet raised.
    ///
    /// ```
    /// assert!(!rocketchat_omnichannel::workflow::StopSignal::new().is_stopped());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the signal; idempotent.
    ///
    /// ```
    /// let stop = rocketchat_omnichannel::workflow::StopSignal::new();
    /// stop.stop();
    /// stop.stop();
    /// assert!(stop.is_stopped());
    /// ```
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the signal was raised.
    ///
    /// ```
    /// assert!(!rocketchat_omnichannel::workflow::StopSignal::default().is_stopped());
    /// ```
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
