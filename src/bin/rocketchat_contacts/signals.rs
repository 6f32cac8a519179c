//! Ctrl-C and SIGTERM: the first asks the run to stop cleanly, the second quits.

use tokio_util::sync::CancellationToken;

/// Cancels `stop` on Ctrl-C or SIGTERM; a second signal quits at once (exit code 130).
pub(crate) fn stop_on_signals(stop: &CancellationToken) {
    let stop = stop.clone();
    tokio::spawn(async move {
        next_signal().await;
        eprintln!("stopping: finishing the calls in flight (signal again to quit at once)");
        stop.cancel();
        next_signal().await;
        eprintln!("quitting without waiting for the calls in flight");
        std::process::exit(130);
    });
}

/// Waits for Ctrl-C or (on Unix) SIGTERM.
async fn next_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
