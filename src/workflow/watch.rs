//! `client.resolve_all(policy).watch(interval)`: a bot's loop. Resolves every conflicted contact, waits,
//! and does it again, sharing one pacer across passes, until told to stop. After the first
//! full pass it lists only the contacts written since (see `changes.rs`), with a full pass on
//! a schedule.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;
use futures_util::StreamExt;

use super::awaiting::Awaiting;
use super::changes::{CHANGE_OVERLAP, Marks, PassKind, Scope};
use super::outcome::Outcome;
use super::pacing::Pacer;
use super::resolve_all::ResolveAll;
use super::stream::{ResolveStream, SummaryHandle};
use super::summary::Summary;
use tokio_util::sync::CancellationToken;

use super::stop::sleep_unless_stopped;

/// What a watcher reports.
///
/// ```
/// use rocketchat_omnichannel::workflow::WatchEvent;
/// fn log(event: &WatchEvent) {
///     match event {
///         WatchEvent::Outcome(outcome) => println!("{outcome:?}"),
///         WatchEvent::PassFinished { pass, summary, kind, .. } => {
///             println!("pass {pass} ({kind}): {} resolved", summary.resolved)
///         }
///         _ => {}
///     }
/// }
/// # let _ = log;
/// ```
///
/// # JSON
/// An `Outcome` event serialises as the [`Outcome`] itself (an object with an `outcome`
/// key); `PassFinished` as `{"pass": N, "summary": {…}, "kind": …, "nextFullPassInSeconds":
/// S}` with the [`Summary`]'s and the [`PassKind`]'s JSON. Each
/// event is one line of `rocketchat-contacts conflicts watch --output json`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use futures_util::StreamExt;
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
/// use rocketchat_omnichannel::workflow::Policy;
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
/// let events: Vec<_> = client.resolve_all(Policy::keep_current()).watch(Duration::ZERO).passes(1).into_stream().collect().await;
/// let last = serde_json::to_value(events.last().unwrap())?;
/// assert_eq!((last["pass"].as_u64(), last["kind"].as_str()), (Some(1), Some("full")));
/// assert_eq!(last["summary"]["resolved"], 3);
/// # Ok(()) }
/// ```
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum WatchEvent {
    /// One contact's outcome, as [`ResolveAll`] yields it.
    Outcome(Outcome),
    /// A pass (one complete [`ResolveAll`] run) ended.
    #[non_exhaustive]
    PassFinished {
        /// The pass number, from 1.
        pass: u64,
        /// Its figures.
        summary: Summary,
        /// Whether it listed every contact or only changes, and why.
        #[serde(flatten)]
        kind: PassKind,
        /// When the next full pass is due (`None` when every pass is full).
        #[serde(rename = "nextFullPassInSeconds", serialize_with = "seconds")]
        next_full_pass: Option<Duration>,
        /// The pause before the next pass: the interval, or longer while backing off after
        /// a refusal that concerns every contact (`None` after the last pass).
        #[serde(rename = "nextPassInSeconds", serialize_with = "seconds")]
        next_pass: Option<Duration>,
        /// Contacts this watcher has reported waiting for a person (in this pass or an
        /// earlier one) whose conflicts have neither changed nor gone since: what a person
        /// has to look at now. A pass does not report or count them again.
        waiting: usize,
    },
}

/// A line for a log: the outcome's line, or `pass N (kind): <summary>` and how many contacts
/// wait for a person.
impl std::fmt::Display for WatchEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Outcome(outcome) => outcome.fmt(f),
            Self::PassFinished {
                pass,
                summary,
                kind,
                waiting,
                ..
            } => {
                write!(f, "pass {pass} ({kind}): {summary}")?;
                if *waiting > 0 {
                    write!(f, "; {waiting} waiting for a person")?;
                }
                Ok(())
            }
        }
    }
}

/// A bulk run repeated: resolves conflicts as they appear, pass after pass, until stopped.
/// Made by [`ResolveAll::watch`], so every setting of a run (policy, concurrency, listings,
/// search text, journal, pacing, `stale_after`, dry run, stop token) applies to each pass;
/// run it with [`Watch::into_stream`]. A contact left for a person is reported once
/// ([`Outcome::LeftForPerson`] or [`Outcome::PartlyResolved`]), not again on every pass.
/// Owns a clone of the client, so it can run in a spawned task.
///
/// After the first full pass, a pass lists only the contacts written since the previous
/// one started (`_updatedAt`, bounded by the server's clock), with a full pass on a schedule.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use futures_util::StreamExt;
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
/// use rocketchat_omnichannel::workflow::{Policy, WatchEvent};
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
/// let watcher = client
///     .resolve_all(Policy::keep_current())
///     .watch(Duration::from_millis(10))
///     .passes(2);
/// let events: Vec<WatchEvent> = tokio::spawn(watcher.into_stream().collect()).await?;
/// let passes = events.iter().filter(|e| matches!(e, WatchEvent::PassFinished { .. })).count();
/// assert_eq!(passes, 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing happens until the stream is polled"]
pub struct Watch {
    run: ResolveAll,
    interval: Duration,
    passes: Option<u64>,
    incremental: bool,
    full_every: Duration,
    overlap: Duration,
}

/// The longest pause between passes that keep failing for the whole run.
const MAX_BACKOFF: Duration = Duration::from_secs(10 * 60);

/// How often a watcher lists every contact by default, even when listing changes works.
const FULL_PASS_EVERY: Duration = Duration::from_secs(3 * 60 * 60);

/// `Option<Duration>` as whole seconds (fractions kept), for JSON.
fn seconds<S: serde::Serializer>(
    value: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(duration) => serializer.serialize_f64(duration.as_secs_f64()),
        None => serializer.serialize_none(),
    }
}

impl ResolveAll {
    /// This run, repeated every `interval` (the pause between the end of one pass and the
    /// start of the next) until its stop token is cancelled.
    ///
    /// The first pass *is* the bulk run: it lists every contact and resolves what it can, so
    /// a bot needs no `run()` before its watcher. A run before it would report each contact
    /// left for a person twice, once from each (the watcher remembers what it reported
    /// itself, not what a separate run did).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use std::time::Duration;
    /// use futures_util::StreamExt;
    /// use rocketchat_omnichannel::workflow::Policy;
    /// use tokio_util::sync::CancellationToken;
    ///
    /// let stop = CancellationToken::new();
    /// let watcher = client
    ///     .resolve_all(Policy::take_incoming())
    ///     .stop_on(stop.clone())
    ///     .watch(Duration::from_secs(30));
    /// tokio::spawn(watcher.into_stream().for_each(|event| async move { println!("{event}") }));
    /// // later, from a signal handler: stop.cancel();
    /// # }
    /// ```
    pub fn watch(self, interval: Duration) -> Watch {
        Watch {
            run: self,
            interval,
            passes: None,
            incremental: true,
            full_every: FULL_PASS_EVERY,
            overlap: CHANGE_OVERLAP,
        }
    }
}

impl Watch {
    /// Whether passes after the first list only the contacts written since the previous
    /// pass started (on by default), by the server's clock less the
    /// [overlap](Watch::change_overlap). Once the last writes are older than that overlap,
    /// an idle pass costs one `contacts.search` call per listing instead of one per 100
    /// contacts, whatever the workspace's size and history, and a new conflict is resolved
    /// by the next pass. Off, every pass lists every contact.
    ///
    /// Listing changes relies on Rocket.Chat setting `_updatedAt` on every write and
    /// honouring `sort` on `contacts.search`; a pass that finds either untrue walks
    /// everything and says so ([`PassKind::Unprovable`]).
    pub fn incremental(mut self, incremental: bool) -> Self {
        self.incremental = incremental;
        self
    }

    /// How often a pass lists every contact even though listing changes works (default
    /// 3 hours): a safety net for writes that bypass `_updatedAt` (direct database edits).
    pub fn full_pass_every(mut self, every: Duration) -> Self {
        self.full_every = every;
        self
    }

    /// How far below the previous pass's mark a pass listing changes still reads (default
    /// 2 s): contacts written within it are checked again, never skipped. Raise it when
    /// server instances' clocks disagree by more.
    pub fn change_overlap(mut self, overlap: Duration) -> Self {
        self.overlap = overlap;
        self
    }

    /// Stops after this many passes (default: never; 0 counts as 1).
    pub fn passes(mut self, passes: u64) -> Self {
        self.passes = Some(passes.max(1));
        self
    }

    /// Runs the watcher: each contact's outcome as it comes, and a
    /// [`WatchEvent::PassFinished`] after every pass.
    pub fn into_stream(self) -> WatchStream {
        let progress = Arc::default();
        let stop = self.run.stop.clone().unwrap_or_default();
        let watch = Watcher {
            pacer: Arc::new(Pacer::new(self.run.pacing, None).with_stop(Some(stop.clone()))),
            run: self.run.stop_on(stop.clone()),
            interval: self.interval,
            stop,
            passes: self.passes,
            current: None,
            pass: 0,
            finished: false,
            awaiting: Arc::default(),
            incremental: self.incremental,
            full_every: self.full_every,
            overlap: self.overlap,
            marks: None,
            last_full: None,
            kind: PassKind::First,
            started: Instant::now(),
            halted_passes: 0,
            failing: std::collections::HashSet::new(),
            progress: Arc::clone(&progress),
        };
        let stream = futures_util::stream::unfold(watch, |mut watch| async move {
            watch.next().await.map(|event| (event, watch))
        });
        WatchStream {
            inner: Box::pin(stream),
            progress,
        }
    }
}

/// The events of a [`Watch`].
pub struct WatchStream {
    inner: Pin<Box<dyn Stream<Item = WatchEvent> + Send>>,
    progress: Arc<Mutex<Option<SummaryHandle>>>,
}

impl WatchStream {
    /// The figures of the pass under way, with where it stands ([`Summary::done`] and
    /// [`Summary::total`]); `None` between passes (and before the first).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// # use std::time::Duration;
    /// let events = client.resolve_all(Policy::keep_current()).watch(Duration::from_secs(30)).into_stream();
    /// assert!(events.summary().is_none(), "no pass has started");
    /// # }
    /// ```
    pub fn summary(&self) -> Option<Summary> {
        let current = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        current.as_ref().map(SummaryHandle::get)
    }
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

struct Watcher {
    run: ResolveAll,
    pacer: Arc<Pacer>,
    interval: Duration,
    stop: CancellationToken,
    passes: Option<u64>,
    current: Option<ResolveStream>,
    pass: u64,
    finished: bool,
    /// Contacts reported as waiting for a person, with the state they were reported in.
    awaiting: Arc<Mutex<Awaiting>>,
    incremental: bool,
    full_every: Duration,
    overlap: Duration,
    /// Where the last complete pass's walk started, per listing.
    marks: Option<Marks>,
    /// When the last pass that listed everything started.
    last_full: Option<Instant>,
    /// The kind of the pass under way, and when it started.
    kind: PassKind,
    started: Instant,
    /// Passes in a row that stopped on a failure concerning every contact.
    halted_passes: u32,
    /// Contacts whose call kept failing: every pass counts them while they stay so.
    failing: std::collections::HashSet<crate::models::ContactId>,
    /// The pass under way, for [`WatchStream::summary`].
    progress: Arc<Mutex<Option<SummaryHandle>>>,
}

impl Watcher {
    async fn next(&mut self) -> Option<WatchEvent> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(current) = &mut self.current {
                if let Some(outcome) = current.next().await {
                    self.awaiting
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .after(&outcome);
                    return Some(WatchEvent::Outcome(outcome));
                }
                let summary = current.summary();
                // A pass that stopped on an answer concerning every contact (a 403, an older
                // server, a dead session) is followed by longer and longer pauses until one
                // gets through.
                self.halted_passes = match summary.halted {
                    Some(_) => self.halted_passes.saturating_add(1),
                    None => 0,
                };
                let (marks, unprovable) = current.marks();
                // A contact that keeps failing is counted by every pass, not only by the
                // one that met it (a pass of changes may not list it again).
                self.failing = current.failing();
                self.current = None;
                *self.progress.lock().unwrap_or_else(PoisonError::into_inner) = None;
                self.pass += 1;
                if self.stop.is_cancelled()
                    || self.passes.is_some_and(|n| self.pass >= n)
                    || self.run.invalid().is_some()
                {
                    // Settings that cannot work will not work on the next pass either.
                    self.finished = true;
                }
                let kind = self.finish_pass(marks, unprovable);
                if kind.is_full() && summary.complete {
                    self.awaiting
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .finish_full_pass();
                }
                let waiting = self
                    .awaiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .waiting();
                crate::metrics::waiting(waiting);
                return Some(WatchEvent::PassFinished {
                    pass: self.pass,
                    summary,
                    kind,
                    next_full_pass: self.next_full_pass(),
                    next_pass: (!self.finished).then(|| self.pause()),
                    waiting,
                });
            }
            if self.pass > 0 {
                sleep(self.pause(), &self.stop).await;
            }
            if self.stop.is_cancelled() {
                self.finished = true;
                return None;
            }
            let mut run = self.run.clone();
            run.scope = self.start_pass();
            run.awaiting = Some(Arc::clone(&self.awaiting));
            run.failing = self.failing.clone();
            if self.halted_passes > 0 {
                // Backing off: one call is enough to learn whether the refusal still
                // holds, so a permanent 403 costs one doomed call per pause, not one per
                // worker.
                run.concurrency = 1;
            }
            self.awaiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .start_pass();
            let stream = run.into_stream_with(Arc::clone(&self.pacer));
            *self.progress.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(stream.summary_handle());
            self.current = Some(stream);
        }
    }

    /// The pause before the next pass: the interval, doubled for each pass in a row that
    /// stopped on a run-level failure, up to [`MAX_BACKOFF`] (or the interval, if longer).
    fn pause(&self) -> Duration {
        if self.halted_passes == 0 {
            return self.interval;
        }
        let factor = 1u32 << self.halted_passes.min(16);
        self.interval
            .saturating_mul(factor)
            .min(MAX_BACKOFF.max(self.interval))
    }

    /// Chooses what the next pass lists.
    fn start_pass(&mut self) -> Scope {
        self.started = Instant::now();
        let (scope, kind) = match (&self.marks, self.last_full) {
            _ if !self.incremental => (Scope::default(), PassKind::Always),
            (None, None) => (Scope::Full { probe: true }, PassKind::First),
            (None, Some(_)) => (Scope::Full { probe: true }, PassKind::NoMark),
            (Some(_), Some(last)) if last.elapsed() >= self.full_every => {
                (Scope::Full { probe: true }, PassKind::Scheduled)
            }
            (Some(marks), _) => {
                self.kind = PassKind::Changes;
                return Scope::Changed {
                    marks: marks.clone(),
                    overlap: self.overlap,
                };
            }
        };
        self.kind = kind;
        scope
    }

    /// Keeps the marks of a pass whose walk completed (an incomplete one keeps the previous
    /// marks: everything since them is listed again) and says what kind the pass was.
    fn finish_pass(&mut self, marks: Option<Marks>, unprovable: Option<String>) -> PassKind {
        let mut kind = self.kind.clone();
        if let Some(why) = unprovable {
            // It walked everything in the end; its marks came from an order the server
            // did not keep, so the next pass starts from a probe.
            kind = PassKind::Unprovable(why);
            self.marks = None;
            self.last_full = Some(self.started);
        } else {
            if kind.is_full() && marks.is_some() {
                self.last_full = Some(self.started);
            }
            if marks.is_some() {
                self.marks = marks;
            }
        }
        if self.last_full.is_none() && kind.is_full() {
            // A first pass that did not finish still counts for the schedule.
            self.last_full = Some(self.started);
        }
        kind
    }

    /// How long until the schedule calls for a full pass.
    fn next_full_pass(&self) -> Option<Duration> {
        if !self.incremental {
            return None;
        }
        match (&self.marks, self.last_full) {
            (Some(_), Some(last)) => Some(self.full_every.saturating_sub(last.elapsed())),
            _ => Some(Duration::ZERO),
        }
    }
}

/// Sleeps for `interval`, waking the moment `stop` is raised (no polling). An interval too
/// long to represent waits for the stop signal alone.
async fn sleep(interval: Duration, stop: &CancellationToken) {
    sleep_unless_stopped(interval, Some(stop)).await;
}
