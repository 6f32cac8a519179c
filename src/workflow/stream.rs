//! [`ResolveStream`]: a [`ResolveAll`] run as a stream of outcomes, with its figures.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use futures_core::Stream;
use futures_util::StreamExt;

use super::changes::Marks;
use super::driver::outcomes;
use super::outcome::Outcome;
use super::pacing::Pacer;
use super::resolve_all::ResolveAll;
use super::run_state::RunState;
use super::summary::Summary;
use crate::models::ContactId;

impl ResolveAll {
    /// Runs, yielding outcomes as they complete (not in listing order). After the stream
    /// ends, [`ResolveStream::summary`] has the figures.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use futures_util::StreamExt;
    /// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
    /// use rocketchat_omnichannel::workflow::Policy;
    ///
    /// let fake = FakeRocketChat::builder().demo_data().start().await?;
    /// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
    /// let mut stream = client.resolve_all(Policy::keep_current()).into_stream();
    /// let mut outcomes = Vec::new();
    /// while let Some(outcome) = stream.next().await {
    ///     outcomes.push(outcome);
    /// }
    /// assert_eq!(outcomes.len(), 3);
    /// assert_eq!(stream.summary().left_conflicted, 0);
    /// # Ok(()) }
    /// ```
    pub fn into_stream(self) -> ResolveStream {
        // A deadline too far to represent is no deadline.
        let deadline = self.deadline.and_then(|d| Instant::now().checked_add(d));
        let pacer = Arc::new(Pacer::new(self.pacing, deadline).with_stop(self.stop.clone()));
        self.into_stream_with(pacer)
    }

    /// Runs to the end and returns the summary, dropping the per-contact outcomes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
    /// use rocketchat_omnichannel::workflow::Policy;
    ///
    /// let fake = FakeRocketChat::builder().demo_data().start().await?;
    /// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
    /// let summary = client.resolve_all(Policy::take_incoming()).run().await;
    /// assert!(summary.is_clean());
    /// # Ok(()) }
    /// ```
    pub async fn run(self) -> Summary {
        let mut stream = self.into_stream();
        while stream.next().await.is_some() {}
        stream.summary()
    }

    /// The stream, sharing a pacer (a watcher keeps one across passes).
    pub(crate) fn into_stream_with(self, pacer: Arc<Pacer>) -> ResolveStream {
        let shared = Arc::new(Mutex::new(RunState {
            unsettled: self.failing.clone(),
            ..RunState::default()
        }));
        let stream = outcomes(Arc::new(self), Arc::clone(&pacer), Arc::clone(&shared));
        ResolveStream {
            inner: stream,
            shared,
            rate_limited_before: pacer.rate_limited(),
            pacer,
            started: Some(Instant::now()),
        }
    }
}

/// Reads a run's figures from outside its stream (a watcher's pass).
#[derive(Clone, Debug)]
pub(super) struct SummaryHandle {
    shared: Arc<Mutex<RunState>>,
    pacer: Arc<Pacer>,
    rate_limited_before: u64,
}

impl SummaryHandle {
    pub(super) fn get(&self) -> Summary {
        let mut summary = self
            .shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .summary();
        summary.rate_limited = self
            .pacer
            .rate_limited()
            .saturating_sub(self.rate_limited_before);
        summary
    }
}

/// The outcomes of a [`ResolveAll`] run, and its [`Summary`] once it has ended. Owns
/// everything it needs, so it can be moved into a spawned task.
pub struct ResolveStream {
    inner: Pin<Box<dyn Stream<Item = Outcome> + Send>>,
    shared: Arc<Mutex<RunState>>,
    pacer: Arc<Pacer>,
    /// The pacer's 429 count when this run started: a watcher shares one pacer across its
    /// passes, and each pass reports only its own.
    rate_limited_before: u64,
    /// When it started; `None` once its end was counted (see [`crate::metrics`]).
    started: Option<Instant>,
}

impl std::fmt::Debug for ResolveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolveStream")
            .field("summary", &self.summary())
            .finish_non_exhaustive()
    }
}

impl ResolveStream {
    /// The figures so far; final once the stream has ended.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let stream = client.resolve_all(Policy::keep_current()).into_stream();
    /// assert_eq!(stream.summary().seen, 0, "nothing polled yet");
    /// # }
    /// ```
    pub fn summary(&self) -> Summary {
        self.summary_handle().get()
    }

    /// A handle that reads this run's figures after the stream has moved elsewhere.
    pub(super) fn summary_handle(&self) -> SummaryHandle {
        SummaryHandle {
            shared: Arc::clone(&self.shared),
            pacer: Arc::clone(&self.pacer),
            rate_limited_before: self.rate_limited_before,
        }
    }

    /// The contacts whose call failed and that the run left conflicted (for the watcher's
    /// next pass).
    pub(super) fn failing(&self) -> HashSet<ContactId> {
        let state = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        state.failing.clone()
    }

    /// Where the run's last complete walk started (for the watcher's next pass), and why a
    /// walk by change fell back to a full one, if it did.
    pub(super) fn marks(&self) -> (Option<Marks>, Option<String>) {
        let state = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        (state.marks.clone(), state.unprovable.clone())
    }
}

impl Stream for ResolveStream {
    type Item = Outcome;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Outcome>> {
        let next = self.inner.as_mut().poll_next(cx);
        match &next {
            Poll::Ready(Some(outcome)) => crate::metrics::outcome(outcome),
            Poll::Ready(None) => {
                if let Some(started) = self.started.take() {
                    crate::metrics::pass(&self.summary(), started.elapsed());
                }
            }
            Poll::Pending => {}
        }
        next
    }
}
