//! `client.resolve_all(policy)`: every conflicted contact, decided and resolved with bounded
//! concurrency and paced to the server's rate limit, as a stream of per-contact outcomes
//! with a truthful summary at the end.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;
use futures_util::StreamExt;

use super::pacing::{DeadlinePassed, Pacer};
use super::policy::{Plan, Policy};
use super::scan::{ScanItem, scan};
use super::stop::StopSignal;
use crate::client::{ApiRequest, Client};
use crate::models::{Contact, ContactId};
use crate::omnichannel::contacts::{ResolveConflictsError, SearchContactsError};
use crate::response::{self, Envelope};

/// The resolve route, also the key its rate limit is counted under.
const CONFLICTS_PATH: &str = "omnichannel/contacts.conflicts";
/// 429s waited out for one contact before it is reported failed.
const MAX_RATE_LIMITED: u32 = 10;

/// What happened to one contact.
///
/// ```
/// use rocketchat_omnichannel::workflow::Outcome;
/// fn describe(outcome: &Outcome) -> String {
///     match outcome {
///         Outcome::Resolved { contact, .. } => format!("resolved {}", contact.id),
///         Outcome::PartlyResolved { plan, .. } => format!("{} partly resolved", plan.contact_id),
///         Outcome::Planned { plan } => format!("would resolve {}", plan.contact_id),
///         Outcome::Skipped { contact_id } => format!("{contact_id} had nothing left"),
///         Outcome::Failed { contact_id, error } => format!("{contact_id} failed: {error}"),
///         Outcome::ListingFailed(error) => format!("could not list contacts: {error}"),
///         _ => String::new(),
///     }
/// }
/// # let _ = describe;
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The plan was carried out and the contact has no conflicts left; `contact` is the
    /// server's answer.
    Resolved {
        /// What was decided.
        plan: Plan,
        /// The contact after resolving (boxed: it is by far the largest outcome).
        contact: Box<Contact>,
    },
    /// The plan was carried out but conflicts remain: fields the policy left for a human
    /// ([`Decision::Leave`](super::Decision::Leave)) or could not send.
    PartlyResolved {
        /// What was decided.
        plan: Plan,
        /// The contact after resolving, with the conflicts that remain.
        contact: Box<Contact>,
    },
    /// Dry run: what would be sent.
    Planned {
        /// What was decided.
        plan: Plan,
    },
    /// Nothing could be sent: the policy left every conflicted field for a human, or its
    /// decisions cannot be carried out (see [`Plan::left_only_on_purpose`]). Only the first
    /// counts in [`Summary::awaiting_human`]; the second counts as left conflicted.
    Deferred {
        /// What was decided.
        plan: Plan,
    },
    /// The conflicts were gone by the time of the call (someone else resolved them, or a
    /// previous run did).
    Skipped {
        /// The contact.
        contact_id: ContactId,
    },
    /// The contact was deleted while the run went on.
    Gone {
        /// The contact.
        contact_id: ContactId,
    },
    /// The resolve call failed.
    Failed {
        /// The contact.
        contact_id: ContactId,
        /// Why.
        error: ResolveConflictsError,
    },
    /// The run's deadline passed before the contact could be sent; it was not touched.
    Abandoned {
        /// The contact.
        contact_id: ContactId,
    },
    /// Listing contacts failed. The walk of that listing ends here (the other listing, known
    /// or unknown contacts, is still walked) and the summary says the run is incomplete.
    ListingFailed(SearchContactsError),
}

impl Outcome {
    /// Whether this outcome counts as a failure (for exit codes and summaries).
    ///
    /// ```
    /// use rocketchat_omnichannel::workflow::Outcome;
    /// let skipped = Outcome::Skipped { contact_id: "c1".into() };
    /// assert!(!skipped.is_failure());
    /// ```
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Failed { .. } | Self::ListingFailed(_) | Self::Abandoned { .. }
        )
    }

    /// The contact this outcome is about (none for a listing failure).
    ///
    /// ```
    /// use rocketchat_omnichannel::workflow::Outcome;
    /// let gone = Outcome::Gone { contact_id: "c1".into() };
    /// assert_eq!(gone.contact_id().unwrap(), "c1");
    /// ```
    pub fn contact_id(&self) -> Option<&ContactId> {
        match self {
            Self::Resolved { plan, .. }
            | Self::PartlyResolved { plan, .. }
            | Self::Planned { plan }
            | Self::Deferred { plan } => Some(&plan.contact_id),
            Self::Skipped { contact_id }
            | Self::Gone { contact_id }
            | Self::Failed { contact_id, .. }
            | Self::Abandoned { contact_id } => Some(contact_id),
            Self::ListingFailed(_) => None,
        }
    }
}

/// The figures of a run. Every conflicted contact the run met is counted once, by its last
/// outcome, so `resolved + partly_resolved + deferred + planned + skipped + gone + failed +
/// abandoned == seen`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
/// use rocketchat_omnichannel::workflow::Policy;
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
/// let summary = client.resolve_all(Policy::keep_current()).run().await;
/// assert_eq!((summary.seen, summary.resolved, summary.left_conflicted), (3, 3, 0));
/// assert!(summary.is_clean());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Distinct contacts with conflicts the run met.
    pub seen: usize,
    /// Resolved with no conflict left.
    pub resolved: usize,
    /// Resolved, with conflicts left for a human.
    pub partly_resolved: usize,
    /// Left entirely for a human; nothing sent.
    pub deferred: usize,
    /// Dry run: would have been resolved.
    pub planned: usize,
    /// Nothing left to resolve at the time of the call.
    pub skipped: usize,
    /// Deleted during the run.
    pub gone: usize,
    /// The resolve call failed.
    pub failed: usize,
    /// Not sent because the deadline passed.
    pub abandoned: usize,
    /// Contacts still holding conflicts the policy would resolve, found by the final check
    /// (0 for dry runs, which make no check). Only exact when `complete` is true.
    pub left_conflicted: usize,
    /// Contacts whose only remaining conflicts are fields the policy leaves for a human.
    pub awaiting_human: usize,
    /// Walks over the contacts (each listing every contact once).
    pub rounds: u32,
    /// 429 answers the run saw (listing and resolving). A client whose
    /// [`RetryPolicy`](crate::RetryPolicy) waits out 429s itself hides those from the run.
    pub rate_limited: u64,
    /// Whether the final check walked every contact (false after a listing failure, the
    /// deadline or a stop signal).
    pub complete: bool,
}

impl Summary {
    /// Whether the job is done: the final check was complete, left nothing the policy would
    /// resolve, and no call failed or was abandoned.
    ///
    /// ```
    /// assert!(!rocketchat_omnichannel::workflow::Summary::default().is_clean());
    /// ```
    pub fn is_clean(&self) -> bool {
        self.complete && self.left_conflicted == 0 && self.failed == 0 && self.abandoned == 0
    }
}

/// Whether `unknown` contacts (created automatically from visitors, listed only with
/// `unknown=true`) are part of a run.
///
/// ```
/// use rocketchat_omnichannel::workflow::UnknownContacts;
/// assert_eq!(UnknownContacts::default(), UnknownContacts::Include);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownContacts {
    /// Walk both listings (the default): nothing conflicted is dropped. Resolving an unknown
    /// contact may make it known (`patchContact` in `packages/models/src/models/LivechatContacts.ts`
    /// sets `unknown: false` on every write); the walks cope with contacts moving between the
    /// listings.
    #[default]
    Include,
    /// Walk only known contacts.
    Exclude,
}

/// Resolves every conflicted contact by a policy. Made by [`Client::resolve_all`]; run it
/// with [`ResolveAll::into_stream`] or [`ResolveAll::run`].
///
/// # What one run guarantees
///
/// Every contact that has conflicts when the run starts and still exists when it ends is
/// reached, whatever the policy does to names and whatever other clients create, rename,
/// resolve or delete meanwhile:
///
/// 1. The run walks the contacts sorted by `_id`, which no rename changes, and detects the
///    shifts that creations, deletions and contacts leaving the `unknown` listing cause, so
///    each existing contact is met once per walk (a walk that cannot make sure says it is
///    incomplete).
/// 2. After the walk it walks again and resolves what is still (or newly) conflicted, up to
///    [`ResolveAll::max_rounds`] walks that resolve something; if the last one still did,
///    one more walk only counts. The [`Summary`] then says how many are left
///    (`left_conflicted`) and whether that last walk was complete.
///
/// A contact that failed with an error a retry cannot fix is not retried by later walks;
/// it is counted as left if it still has conflicts. Safe to run again after a crash.
/// Contacts without the `unknown` key on servers that filter it by equality are not listed
/// by `contacts.search` at all, so no run can reach them.
///
/// The builder and its stream own a clone of the client, so they can be moved into a
/// spawned task.
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) {
/// use futures_util::StreamExt;
/// use rocketchat_omnichannel::workflow::{Outcome, Policy};
///
/// let mut outcomes = client.resolve_all(Policy::keep_current()).concurrency(4).into_stream();
/// while let Some(outcome) = outcomes.next().await {
///     if outcome.is_failure() {
///         eprintln!("{outcome:?}");
///     }
/// }
/// println!("{:?}", outcomes.summary());
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing happens until the stream is polled"]
pub struct ResolveAll {
    client: Client,
    policy: Policy,
    concurrency: usize,
    dry_run: bool,
    search_text: Option<String>,
    unknown: UnknownContacts,
    deadline: Option<Duration>,
    pacing: bool,
    max_rounds: u32,
    stop: Option<StopSignal>,
}

impl Client {
    /// Starts resolving every contact that has conflicts, deciding each field with
    /// `policy`.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::take_latest()).dry_run(true);
    /// # let _ = run;
    /// # }
    /// ```
    pub fn resolve_all(&self, policy: Policy) -> ResolveAll {
        ResolveAll {
            client: self.clone(),
            policy,
            concurrency: 4,
            dry_run: false,
            search_text: None,
            unknown: UnknownContacts::Include,
            deadline: None,
            pacing: true,
            max_rounds: 3,
            stop: None,
        }
    }
}

impl ResolveAll {
    /// How many resolve calls may be in flight at once (1–32, default 4).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::keep_current()).concurrency(8);
    /// # let _ = run; }
    /// ```
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.clamp(1, 32);
        self
    }

    /// Decide but send nothing; outcomes are [`Outcome::Planned`] (or
    /// [`Outcome::Deferred`]). A dry run walks once and makes no final check.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::take_latest()).dry_run(true);
    /// # let _ = run; }
    /// ```
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Only contacts matching this text (name, email or phone).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::keep_current()).search_text("@example.com");
    /// # let _ = run; }
    /// ```
    pub fn search_text(mut self, text: impl Into<String>) -> Self {
        self.search_text = Some(text.into());
        self
    }

    /// Whether `unknown` contacts are walked too (default [`UnknownContacts::Include`]).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::workflow::{Policy, UnknownContacts};
    /// let run = client.resolve_all(Policy::keep_current()).unknown(UnknownContacts::Exclude);
    /// # let _ = run; }
    /// ```
    pub fn unknown(mut self, unknown: UnknownContacts) -> Self {
        self.unknown = unknown;
        self
    }

    /// The most the whole run may take. Calls that would have to wait past it are not sent
    /// ([`Outcome::Abandoned`]), and the summary says the run is incomplete. No deadline by
    /// default.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::keep_current()).deadline(std::time::Duration::from_secs(600));
    /// # let _ = run; }
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Whether to pace calls by the server's rate-limit headers (on by default). Off, calls
    /// go out as fast as the concurrency allows and 429s are still waited out.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::keep_current()).pacing(false);
    /// # let _ = run; }
    /// ```
    pub fn pacing(mut self, pacing: bool) -> Self {
        self.pacing = pacing;
        self
    }

    /// How many walks may resolve something (1–10, default 3) before a last walk only
    /// counts what is left. More rounds help when other clients keep adding conflicts.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::keep_current()).max_rounds(5);
    /// # let _ = run; }
    /// ```
    pub fn max_rounds(mut self, rounds: u32) -> Self {
        self.max_rounds = rounds.clamp(1, 10);
        self
    }

    /// Stops the run early when `stop` is raised: no more listing or new calls, in-flight
    /// calls finish and are yielded, then the stream ends (the summary says incomplete).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::workflow::{Policy, StopSignal};
    /// let stop = StopSignal::new();
    /// let run = client.resolve_all(Policy::keep_current()).stop_signal(&stop);
    /// # let _ = run; }
    /// ```
    pub fn stop_signal(mut self, stop: &StopSignal) -> Self {
        self.stop = Some(stop.clone());
        self
    }

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
    /// let summary = client.resolve_all(Policy::take_latest()).run().await;
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
        let shared = Arc::new(Mutex::new(RunState::default()));
        let driver = Driver {
            run: Arc::new(self),
            pacer: Arc::clone(&pacer),
            shared: Arc::clone(&shared),
            round: None,
            finished: false,
        };
        let stream = futures_util::stream::unfold(driver, |mut driver| async move {
            driver.next().await.map(|outcome| (outcome, driver))
        });
        ResolveStream {
            inner: Box::pin(stream),
            shared,
            pacer,
        }
    }
}

/// The outcomes of a [`ResolveAll`] run, and its [`Summary`] once it has ended. Owns
/// everything it needs, so it can be moved into a spawned task.
pub struct ResolveStream {
    inner: Pin<Box<dyn Stream<Item = Outcome> + Send>>,
    shared: Arc<Mutex<RunState>>,
    pacer: Arc<Pacer>,
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
        let state = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        let mut summary = state.summary();
        summary.rate_limited = self.pacer.rate_limited();
        summary
    }
}

impl Stream for ResolveStream {
    type Item = Outcome;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Outcome>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The last thing that happened to a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Resolved,
    PartlyResolved,
    Deferred,
    Planned,
    Skipped,
    Gone,
    /// Failed; `true` when a later walk may try again.
    Failed(bool),
    Abandoned,
}

#[derive(Debug, Default)]
struct RunState {
    /// Per contact id (ids only, never whole contacts).
    status: HashMap<ContactId, Status>,
    rounds: u32,
    left_conflicted: usize,
    awaiting_human: usize,
    complete: bool,
}

impl RunState {
    fn summary(&self) -> Summary {
        let mut summary = Summary {
            seen: self.status.len(),
            rounds: self.rounds,
            left_conflicted: self.left_conflicted,
            awaiting_human: self.awaiting_human,
            complete: self.complete,
            ..Summary::default()
        };
        for status in self.status.values() {
            match status {
                Status::Resolved => summary.resolved += 1,
                Status::PartlyResolved => summary.partly_resolved += 1,
                Status::Deferred => summary.deferred += 1,
                Status::Planned => summary.planned += 1,
                Status::Skipped => summary.skipped += 1,
                Status::Gone => summary.gone += 1,
                Status::Failed(_) => summary.failed += 1,
                Status::Abandoned => summary.abandoned += 1,
            }
        }
        summary
    }
}

/// What one walk found, beyond the outcomes it yielded.
#[derive(Debug, Default)]
struct RoundTally {
    /// Resolve calls sent.
    sent: usize,
    /// Conflicted contacts with something to resolve that this walk did not send.
    left: usize,
    /// Conflicted contacts with only fields left for a human.
    human: usize,
    /// The walk did not reach the end.
    incomplete: bool,
    /// Contacts sent in this walk (ids only).
    sent_to: std::collections::HashSet<ContactId>,
}

/// Runs walk after walk, each a stream of outcomes.
struct Driver {
    run: Arc<ResolveAll>,
    pacer: Arc<Pacer>,
    shared: Arc<Mutex<RunState>>,
    round: Option<Round>,
    finished: bool,
}

struct Round {
    outcomes: Pin<Box<dyn Stream<Item = Outcome> + Send>>,
    tally: Arc<Mutex<RoundTally>>,
    resolving: bool,
}

impl Driver {
    async fn next(&mut self) -> Option<Outcome> {
        loop {
            if self.finished {
                return None;
            }
            let Some(round) = &mut self.round else {
                self.start_round(true);
                continue;
            };
            if let Some(outcome) = round.outcomes.next().await {
                return Some(outcome);
            }
            let resolving = round.resolving;
            let tally =
                std::mem::take(&mut *round.tally.lock().unwrap_or_else(PoisonError::into_inner));
            self.round = None;
            let mut state = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            // A walk that sent nothing saw the state it leaves behind: it is the final check.
            let last = self.run.dry_run || tally.incomplete || !resolving || tally.sent == 0;
            if last {
                state.complete = !tally.incomplete;
                state.left_conflicted = if self.run.dry_run { 0 } else { tally.left };
                state.awaiting_human = tally.human;
                self.finished = true;
                return None;
            }
            // Something was sent: walk again, resolving while rounds remain, else only
            // counting what is left.
            let resolve_more = state.rounds < self.run.max_rounds;
            drop(state);
            self.start_round(resolve_more);
        }
    }

    fn start_round(&mut self, resolving: bool) {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rounds += 1;
        let tally = Arc::new(Mutex::new(RoundTally::default()));
        let outcomes = round(
            Arc::clone(&self.run),
            Arc::clone(&self.pacer),
            Arc::clone(&self.shared),
            Arc::clone(&tally),
            resolving,
        );
        self.round = Some(Round {
            outcomes,
            tally,
            resolving,
        });
    }
}

/// One walk (both listings when unknown contacts are included): plans each conflicted
/// contact and, when `resolve`, resolves it.
fn round(
    run: Arc<ResolveAll>,
    pacer: Arc<Pacer>,
    shared: Arc<Mutex<RunState>>,
    tally: Arc<Mutex<RoundTally>>,
    resolve: bool,
) -> Pin<Box<dyn Stream<Item = Outcome> + Send>> {
    let mut listings = vec![false];
    if run.unknown == UnknownContacts::Include {
        listings.push(true);
    }
    let scans = listings.into_iter().map({
        let run = Arc::clone(&run);
        let pacer = Arc::clone(&pacer);
        move |unknown| {
            let mut search = run.client.search_contacts().unknown(unknown);
            if let Some(text) = &run.search_text {
                search = search.search_text(text.clone());
            }
            scan(search, Arc::clone(&pacer), run.stop.clone())
        }
    });
    let items = futures_util::stream::iter(scans).flatten();
    let concurrency = run.concurrency;
    let stream = items
        .filter_map(move |item| {
            let step = triage(&run, &shared, &tally, item, resolve);
            let run = Arc::clone(&run);
            let pacer = Arc::clone(&pacer);
            let shared = Arc::clone(&shared);
            std::future::ready(step.map(|step| {
                let work: Pin<Box<dyn std::future::Future<Output = Option<Outcome>> + Send>> =
                    match step {
                        Step::Report(outcome) => Box::pin(std::future::ready(outcome)),
                        Step::Send(plan) => Box::pin(async move {
                            let outcome = send(&run.client, &pacer, plan).await;
                            record(&shared, &outcome);
                            Some(outcome)
                        }),
                    };
                work
            }))
        })
        .buffer_unordered(concurrency)
        .filter_map(std::future::ready);
    Box::pin(stream)
}

enum Step {
    /// Yield this (already recorded) outcome, or nothing.
    Report(Option<Outcome>),
    /// Resolve this plan.
    Send(Plan),
}

/// Decides what to do with one listed item, counting it in the walk's tally.
fn triage(
    run: &ResolveAll,
    shared: &Mutex<RunState>,
    tally: &Mutex<RoundTally>,
    item: ScanItem,
    resolve: bool,
) -> Option<Step> {
    let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
    let contact = match item {
        ScanItem::Contact(contact) => contact,
        ScanItem::Failed(error) => {
            tally.incomplete = true;
            return Some(Step::Report(Some(Outcome::ListingFailed(error))));
        }
        ScanItem::Incomplete => {
            tally.incomplete = true;
            return None;
        }
    };
    if !contact.has_conflicts() {
        return None;
    }
    let plan = run.policy.plan(&contact);
    let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
    let previous = state.status.get(&contact.id).copied();
    if !plan.is_actionable() {
        // Left on purpose, it waits for a human; a decision that cannot be carried out is a
        // contact left conflicted, which the summary must not call clean.
        if plan.left_only_on_purpose() {
            tally.human += 1;
        } else {
            tally.left += 1;
        }
        if previous.is_none() {
            state.status.insert(contact.id.clone(), Status::Deferred);
            return Some(Step::Report(Some(Outcome::Deferred { plan })));
        }
        return None;
    }
    if run.dry_run {
        state.status.insert(contact.id.clone(), Status::Planned);
        return Some(Step::Report(Some(Outcome::Planned { plan })));
    }
    let retry_forbidden = matches!(previous, Some(Status::Failed(false)));
    if !resolve || retry_forbidden || run.stop.as_ref().is_some_and(StopSignal::is_stopped) {
        tally.left += 1;
        return None;
    }
    if !tally.sent_to.insert(contact.id.clone()) {
        // Met twice in one walk (in both listings, after a write flipped `unknown`).
        return None;
    }
    tally.sent += 1;
    Some(Step::Send(plan))
}

fn record(shared: &Mutex<RunState>, outcome: &Outcome) {
    let status = match outcome {
        Outcome::Resolved { .. } => Status::Resolved,
        Outcome::PartlyResolved { .. } => Status::PartlyResolved,
        Outcome::Skipped { .. } => Status::Skipped,
        Outcome::Gone { .. } => Status::Gone,
        Outcome::Failed { error, .. } => Status::Failed(error.is_retryable()),
        Outcome::Abandoned { .. } => Status::Abandoned,
        _ => return,
    };
    if let Some(id) = outcome.contact_id() {
        shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .status
            .insert(id.clone(), status);
    }
}

/// Sends one plan, paced, waiting out 429s.
async fn send(client: &Client, pacer: &Pacer, plan: Plan) -> Outcome {
    let mut refused = 0;
    loop {
        if let Err(DeadlinePassed) = pacer.acquire(CONFLICTS_PATH).await {
            return Outcome::Abandoned {
                contact_id: plan.contact_id,
            };
        }
        let result = send_once(client, pacer, &plan).await;
        match result {
            Ok(contact) if contact.has_conflicts() => {
                return Outcome::PartlyResolved {
                    plan,
                    contact: Box::new(contact),
                };
            }
            Ok(contact) => {
                return Outcome::Resolved {
                    plan,
                    contact: Box::new(contact),
                };
            }
            Err(ResolveConflictsError::NoConflicts { .. }) => {
                return Outcome::Skipped {
                    contact_id: plan.contact_id,
                };
            }
            Err(ResolveConflictsError::ContactNotFound { .. }) => {
                return Outcome::Gone {
                    contact_id: plan.contact_id,
                };
            }
            Err(ResolveConflictsError::RateLimited { .. }) if refused < MAX_RATE_LIMITED => {
                refused += 1;
                tracing::debug!(contact = %plan.contact_id, "rate limited; waiting for the reset");
            }
            Err(error) => {
                return Outcome::Failed {
                    contact_id: plan.contact_id,
                    error,
                };
            }
        }
    }
}

/// One resolve call, feeding the answer's rate-limit headers to the pacer.
async fn send_once(
    client: &Client,
    pacer: &Pacer,
    plan: &Plan,
) -> Result<Contact, ResolveConflictsError> {
    let body = match plan.request(client).to_json() {
        Ok(body) => body,
        Err(error) => {
            pacer.no_answer(CONFLICTS_PATH);
            return Err(error.into());
        }
    };
    let answer = match client
        .execute(ApiRequest::post(CONFLICTS_PATH, body.into_bytes()))
        .await
    {
        Ok(answer) => answer,
        Err(error) => {
            pacer.no_answer(CONFLICTS_PATH);
            return Err(error.into());
        }
    };
    pacer.observe(
        CONFLICTS_PATH,
        answer.rate_limit,
        answer.status.as_u16() == 429,
    );
    response::decode::<Envelope<Contact>, ResolveConflictsError>(answer).map(|e| e.result)
}
