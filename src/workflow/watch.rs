//! `client.watch_conflicts(policy)`: a bot's loop. Resolves every conflicted contact, waits,
//! and does it again, sharing one pacer across passes, until told to stop.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;

use super::outcome::{Outcome, Summary};
use super::pacing::Pacer;
use super::policy::Policy;
use super::resolve_all::{ResolveAll, ResolveStream, UnknownContacts};
use super::stop::{StopSignal, sleep_unless_stopped};
use crate::client::Client;
use crate::models::ContactId;

/// What a watcher reports.
///
/// ```
/// use rocketchat_omnichannel::workflow::WatchEvent;
/// fn log(event: &WatchEvent) {
///     match event {
///         WatchEvent::Outcome(outcome) => println!("{outcome:?}"),
///         WatchEvent::PassFinished { pass, summary } => println!("pass {pass}: {} resolved", summary.resolved),
///         _ => {}
///     }
/// }
/// # let _ = log;
/// ```
///
/// # JSON
/// An `Outcome` event serialises as the [`Outcome`] itself (an object with an `outcome`
/// key); `PassFinished` as `{"pass": N, "summary": {…}}` with the [`Summary`]'s JSON. Each
/// event is one line of `rocketchat-contacts conflicts watch --output json`.
///
/// ```
/// use rocketchat_omnichannel::workflow::{Summary, WatchEvent};
/// let event = WatchEvent::PassFinished { pass: 2, summary: Summary::default() };
/// let json = serde_json::to_value(&event)?;
/// assert_eq!((json["pass"].as_u64(), json["summary"]["seen"].as_u64()), (Some(2), Some(0)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum WatchEvent {
    /// One contact's outcome, as [`ResolveAll`] yields it.
    Outcome(Outcome),
    /// A pass (one complete [`ResolveAll`] run) ended.
    PassFinished {
        /// The pass number, from 1.
        pass: u64,
        /// Its figures.
        summary: Summary,
    },
}

/// Keeps resolving conflicts as they appear. A contact left for a human is reported once
/// ([`Outcome::Deferred`] or [`Outcome::PartlyResolved`]), not again on every pass. Made by [`Client::watch_conflicts`]; run it
/// with [`WatchConflicts::into_stream`]. Owns a clone of the client, so it can run in a
/// spawned task.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::StreamExt;
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
/// use rocketchat_omnichannel::workflow::{Policy, WatchEvent};
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
/// let watcher = client
///     .watch_conflicts(Policy::keep_current())
///     .interval(std::time::Duration::from_millis(10))
///     .passes(2);
/// let events: Vec<WatchEvent> = tokio::spawn(watcher.into_stream().collect()).await?;
/// let passes = events.iter().filter(|e| matches!(e, WatchEvent::PassFinished { .. })).count();
/// assert_eq!(passes, 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing happens until the stream is polled"]
pub struct WatchConflicts {
    run: ResolveAll,
    interval: Duration,
    stop: StopSignal,
    passes: Option<u64>,
    pacing: bool,
}

impl Client {
    /// Starts a watcher that resolves conflicts by `policy` every 30 s (see
    /// [`WatchConflicts::interval`]) until stopped.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::workflow::{Policy, StopSignal};
    /// let stop = StopSignal::new();
    /// let watcher = client.watch_conflicts(Policy::take_latest()).stop_signal(&stop);
    /// tokio::spawn(futures_util::StreamExt::for_each(watcher.into_stream(), |event| async move {
    ///     println!("{event:?}");
    /// }));
    /// # }
    /// ```
    pub fn watch_conflicts(&self, policy: Policy) -> WatchConflicts {
        WatchConflicts {
            run: self.resolve_all(policy),
            interval: Duration::from_secs(30),
            stop: StopSignal::new(),
            passes: None,
            pacing: true,
        }
    }
}

impl WatchConflicts {
    /// The pause between the end of one pass and the start of the next (default 30 s).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Resolve calls in flight at once within a pass (1–32, default 4).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.run = self.run.concurrency(concurrency);
        self
    }

    /// Whether `unknown` contacts are watched too (default: included).
    pub fn unknown(mut self, unknown: UnknownContacts) -> Self {
        self.run = self.run.unknown(unknown);
        self
    }

    /// Whether to pace calls by the server's rate-limit headers (on by default).
    pub fn pacing(mut self, pacing: bool) -> Self {
        self.pacing = pacing;
        self
    }

    /// Stops after this many passes (default: never).
    pub fn passes(mut self, passes: u64) -> Self {
        self.passes = Some(passes.max(1));
        self
    }

    /// Stops when `stop` is raised: the pass under way lists no more contacts and sends no
    /// new calls, the calls in flight finish and are yielded with the pass's summary, and
    /// the stream ends. A watcher asleep between passes ends at once. Takes a [`StopSignal`]
    /// or a tokio-util [`CancellationToken`](super::CancellationToken) (or a reference).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::workflow::{Policy, StopSignal};
    /// let stop = StopSignal::new();
    /// let watcher = client.watch_conflicts(Policy::keep_current()).stop_signal(&stop);
    /// // later, from a signal handler: stop.stop();
    /// # let _ = watcher; }
    /// ```
    pub fn stop_signal(mut self, stop: impl Into<StopSignal>) -> Self {
        self.stop = stop.into();
        self
    }

    /// Runs until stopped (or the number of [`WatchConflicts::passes`]), yielding each
    /// contact's outcome and each pass's summary.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use futures_util::StreamExt;
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let mut events = client.watch_conflicts(Policy::keep_current()).into_stream();
    /// while let Some(event) = events.next().await {
    ///     println!("{event:?}");
    /// }
    /// # }
    /// ```
    pub fn into_stream(self) -> WatchStream {
        let watch = Watch {
            pacer: Arc::new(Pacer::new(self.pacing, None).with_stop(Some(self.stop.clone()))),
            run: self.run.stop_signal(&self.stop).pacing(self.pacing),
            interval: self.interval,
            stop: self.stop,
            passes: self.passes,
            current: None,
            pass: 0,
            finished: false,
            deferred: HashSet::new(),
        };
        let stream = futures_util::stream::unfold(watch, |mut watch| async move {
            watch.next().await.map(|event| (event, watch))
        });
        WatchStream {
            inner: Box::pin(stream),
        }
    }
}

/// The events of a [`WatchConflicts`] watcher.
pub struct WatchStream {
    inner: Pin<Box<dyn Stream<Item = WatchEvent> + Send>>,
}

impl std::fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream").finish_non_exhaustive()
    }
}

impl Stream for WatchStream {
    type Item = WatchEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<WatchEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

struct Watch {
    run: ResolveAll,
    pacer: Arc<Pacer>,
    interval: Duration,
    stop: StopSignal,
    passes: Option<u64>,
    current: Option<ResolveStream>,
    pass: u64,
    finished: bool,
    /// Contacts already reported as left for a human (ids only).
    deferred: HashSet<ContactId>,
}

impl Watch {
    async fn next(&mut self) -> Option<WatchEvent> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(current) = &mut self.current {
                if let Some(outcome) = current.next().await {
                    match &outcome {
                        Outcome::Deferred { plan }
                            if !self.deferred.insert(plan.contact_id.clone()) =>
                        {
                            continue;
                        }
                        Outcome::PartlyResolved { plan, .. } => {
                            self.deferred.insert(plan.contact_id.clone());
                        }
                        _ => {}
                    }
                    return Some(WatchEvent::Outcome(outcome));
                }
                let summary = current.summary();
                self.current = None;
                self.pass += 1;
                if self.stop.is_stopped() || self.passes.is_some_and(|n| self.pass >= n) {
                    self.finished = true;
                }
                return Some(WatchEvent::PassFinished {
                    pass: self.pass,
                    summary,
                });
            }
            if self.pass > 0 {
                sleep(self.interval, &self.stop).await;
            }
            if self.stop.is_stopped() {
                self.finished = true;
                return None;
            }
            self.current = Some(self.run.clone().into_stream_with(Arc::clone(&self.pacer)));
        }
    }
}

/// Sleeps for `interval`, waking the moment `stop` is raised (no polling). An interval too
/// long to represent waits for the stop signal alone.
async fn sleep(interval: Duration, stop: &StopSignal) {
    sleep_unless_stopped(interval, Some(stop)).await;
}
