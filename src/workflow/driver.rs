//! The driver of a [`ResolveAll`] run: walk after walk, triage of each listed contact, and
//! the resolve calls.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use futures_core::Stream;
use futures_util::StreamExt;

use super::apply::outcome_unknown;
use super::changes::{CHANGE_OVERLAP, Marks, Newest, Scope};
use super::journal::JournalStatus;
use super::outcome::{Outcome, Progress, Status, Summary};
use super::pacing::{DeadlinePassed, Pacer, paced};
use super::plan_file::PlannedContact;
use super::policy::Plan;
use super::resolve_all::ResolveAll;
use super::scan::{Order, ScanItem, probe, scan};
use super::stop::StopSignal;
use crate::client::Client;
use crate::models::{Contact, ContactId};
use crate::omnichannel::contacts::GetContactError;
use crate::omnichannel::contacts::get::GET_PATH;
use crate::omnichannel::contacts::resolve_conflicts::CONFLICTS_PATH;
use crate::omnichannel::contacts::{ResolveConflictsError, SearchContacts, SearchContactsError};

#[derive(Debug, Default)]
pub(super) struct RunState {
    /// Per contact id (ids only, never whole contacts).
    status: HashMap<ContactId, Status>,
    rounds: u32,
    left_conflicted: usize,
    awaiting_human: usize,
    complete: bool,
    /// Where the last walk started, per listing, once a walk that asked for marks completed.
    pub(super) marks: Option<Marks>,
    /// Why a walk by change fell back to a full walk, if one did.
    pub(super) unprovable: Option<String>,
    /// Per listing, the oldest `_updatedAt` of a contact this run listed but did not finish
    /// with (a retryable failure, a deadline, a walk that only counted): the next pass's mark
    /// must not pass it, or a watcher listing only changes would never see it again. `None`
    /// inside: the contact had no `_updatedAt`, so no mark is safe.
    holds: HashMap<bool, Option<jiff::Timestamp>>,
    /// The last complete walk of every contact that noted where it started: later walks of
    /// the run list only what changed since.
    base: Option<Base>,
    /// Why the run stopped early on its own: an answer that concerns every contact.
    halted: Option<String>,
    /// Contacts whose last call failed and that no walk has since listed without
    /// conflicts. A failed call changes nothing, so a walk of changes does not list them
    /// again: the final count takes them from here unless that walk listed them.
    unsettled: HashSet<ContactId>,
    /// The walk under way: contacts it is done with (triaged, and answered when sent), and
    /// each listing's total once a page of it came back.
    walk_done: usize,
    walk_totals: HashMap<bool, usize>,
    /// How many listings a walk covers.
    listings: usize,
    /// Whether the walk under way lists only changes (its total is not known in advance).
    walk_changes_only: bool,
}

/// A complete walk of every contact, which later walks of the run build on.
#[derive(Debug)]
struct Base {
    marks: Marks,
    /// Contacts it counted as left conflicted, and as waiting for a human.
    left: HashSet<ContactId>,
    human: HashSet<ContactId>,
}

impl RunState {
    fn hold(&mut self, listing: bool, at: Option<jiff::Timestamp>) {
        let held = self.holds.entry(listing).or_insert(at);
        *held = match (*held, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            _ => None,
        };
    }

    /// The marks a walk that started at `newest` leaves, lowered to what is held.
    fn marks(&self, newest: HashMap<bool, Newest>) -> Marks {
        let mut marks = newest;
        for (listing, held) in &self.holds {
            let mark = marks.entry(*listing).or_insert(Newest::Empty);
            *mark = match (*mark, held) {
                (Newest::Unknown, _) | (_, None) => Newest::Unknown,
                (Newest::At(at), Some(held)) => Newest::At(at.min(*held)),
                (Newest::Empty, Some(held)) => Newest::At(*held),
            };
        }
        Marks(marks)
    }
}

impl RunState {
    /// Where the walk under way stands.
    pub(super) fn progress(&self) -> Progress {
        let total = (self.listings > 0
            && !self.walk_changes_only
            && self.walk_totals.len() == self.listings)
            .then(|| self.walk_totals.values().sum());
        Progress {
            walk: self.rounds,
            done: self.walk_done,
            total,
        }
    }

    pub(super) fn summary(&self) -> Summary {
        let mut summary = Summary {
            seen: self.status.len(),
            rounds: self.rounds,
            left_conflicted: self.left_conflicted,
            awaiting_human: self.awaiting_human,
            complete: self.complete,
            halted: self.halted.clone(),
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
                Status::Stopped => summary.stopped += 1,
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
    /// Whether this walk listed only what changed since the run's base walk.
    on_base: bool,
    /// Conflicted contacts with something to resolve that this walk did not send.
    left: HashSet<ContactId>,
    /// Conflicted contacts with only fields left for a human.
    human: HashSet<ContactId>,
    /// Every contact a walk `on_base` listed (that walk lists only changes, so this stays
    /// small).
    listed: HashSet<ContactId>,
    /// The walk did not reach the end.
    incomplete: bool,
    /// Contacts sent in this walk (ids only).
    sent_to: std::collections::HashSet<ContactId>,
    /// The newest `_updatedAt` of each listing as this walk started.
    newest: HashMap<bool, Newest>,
}

/// The outcomes of a run: walk after walk, recording each contact's last outcome in
/// `shared`.
pub(super) fn outcomes(
    run: Arc<ResolveAll>,
    pacer: Arc<Pacer>,
    shared: Arc<Mutex<RunState>>,
) -> Pin<Box<dyn Stream<Item = Outcome> + Send>> {
    // The run's own stop: raised by the caller's signal, and by the run itself when an
    // answer shows that no contact can be resolved (see `concerns_the_run`).
    let mut halting = (*run).clone();
    halting.stop = Some(
        run.stop
            .as_ref()
            .map_or_else(StopSignal::new, StopSignal::child),
    );
    let invalid = run.invalid();
    if let Some(why) = &invalid {
        tracing::warn!(reason = %why, "the run sends nothing");
        shared.lock().unwrap_or_else(PoisonError::into_inner).halted = Some(why.clone());
    }
    let driver = Driver {
        run: Arc::new(halting),
        pacer,
        shared,
        round: None,
        finished: invalid.is_some(),
    };
    Box::pin(futures_util::stream::unfold(
        driver,
        |mut driver| async move { driver.next().await.map(|outcome| (outcome, driver)) },
    ))
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
            let (mut left, mut human) = (tally.left, tally.human);
            if tally.on_base
                && let Some(base) = &state.base
            {
                // What the base walk left and this walk did not list has not changed since:
                // it is still there.
                left.extend(base.left.difference(&tally.listed).cloned());
                human.extend(base.human.difference(&tally.listed).cloned());
            }
            if tally.on_base {
                // A contact whose call failed is unchanged since, so unlisted: still there.
                left.extend(state.unsettled.difference(&tally.listed).cloned());
            }
            let marks = state.marks(tally.newest);
            let complete = !tally.incomplete && marks.covers(&self.run.unknown.listings());
            if last {
                state.complete = !tally.incomplete;
                if complete {
                    state.marks = Some(marks);
                }
                state.left_conflicted = if self.run.dry_run { 0 } else { left.len() };
                state.awaiting_human = human.len();
                self.finished = true;
                return None;
            }
            if complete && !tally.on_base && matches!(self.run.scope, Scope::Full { .. }) {
                state.base = Some(Base { marks, left, human });
            }
            // Something was sent: walk again, resolving while rounds remain, else only
            // counting what is left.
            let resolve_more = state.rounds < self.run.max_rounds;
            drop(state);
            self.start_round(resolve_more);
        }
    }

    fn start_round(&mut self, resolving: bool) {
        let mut state = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        state.rounds += 1;
        // After a complete walk of everything, the next walks (the run's own writes, others'
        // writes, the final check) need only what changed since it started.
        let scope = match &state.base {
            Some(base) => Scope::Changed {
                marks: base.marks.clone(),
                overlap: CHANGE_OVERLAP,
            },
            None => self.run.scope.clone(),
        };
        let tally = RoundTally {
            on_base: state.base.is_some(),
            ..RoundTally::default()
        };
        state.walk_done = 0;
        state.walk_totals.clear();
        state.listings = self.run.unknown.listings().len();
        state.walk_changes_only = matches!(scope, Scope::Changed { .. });
        drop(state);
        let tally = Arc::new(Mutex::new(tally));
        let outcomes = round(
            Arc::clone(&self.run),
            scope,
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

/// The search for one listing of the run.
fn listing_search(run: &ResolveAll, listing: bool) -> SearchContacts {
    let search = run.client.search_contacts().unknown(listing);
    match &run.search_text {
        Some(text) => search.search_text(text.clone()),
        None => search,
    }
}

/// The walks of a round, one listing after the other, leaving out listings whose probe
/// failed (that failure was reported already); `probed` says the probes ran up front.
fn walks(
    run: &Arc<ResolveAll>,
    scope: &Scope,
    pacer: &Arc<Pacer>,
    probed: bool,
    failed: &HashSet<bool>,
) -> impl Stream<Item = (bool, ScanItem)> + Send + use<> {
    let scans: Vec<_> = run
        .unknown
        .listings()
        .into_iter()
        .filter(|listing| !failed.contains(listing))
        .map(|listing| {
            let order = match scope {
                Scope::Full { .. } => Order::ById { probe: !probed },
                Scope::Changed { marks, overlap } => match marks.floor(listing, *overlap) {
                    Ok(floor) => Order::Changed { floor },
                    Err(()) => Order::ById { probe: true },
                },
            };
            scan(
                listing_search(run, listing),
                listing,
                Arc::clone(pacer),
                run.stop.clone(),
                order,
            )
            .map(move |item| (listing, item))
        })
        .collect();
    futures_util::stream::iter(scans).flatten()
}

/// One walk (both listings when unknown contacts are included): plans each conflicted
/// contact and, when `resolve`, resolves it.
fn round(
    run: Arc<ResolveAll>,
    scope: Scope,
    pacer: Arc<Pacer>,
    shared: Arc<Mutex<RunState>>,
    tally: Arc<Mutex<RoundTally>>,
    resolve: bool,
) -> Pin<Box<dyn Stream<Item = Outcome> + Send>> {
    // A full walk asks every listing for its newest change and its total before the first
    // walk starts (one one-item page each), so progress has a total from the start.
    let probe_first = matches!(scope, Scope::Full { .. });
    let note_newest = matches!(scope, Scope::Full { probe: true }) && !run.dry_run;
    let probes = futures_util::stream::once({
        let run = Arc::clone(&run);
        let pacer = Arc::clone(&pacer);
        async move {
            let mut notes = Vec::new();
            let mut failed = HashSet::new();
            if probe_first {
                for listing in run.unknown.listings() {
                    match probe(&listing_search(&run, listing), &pacer).await {
                        Ok((newest, total)) => {
                            if note_newest {
                                notes.push((listing, ScanItem::Newest { listing, newest }));
                            }
                            notes.push((listing, ScanItem::Total { listing, total }));
                        }
                        // A failure that may pass (a timeout, a 5xx, 429s past their
                        // retries): the walk of this listing goes on and asks again itself.
                        Err(ScanItem::Failed(error)) if error.is_retryable() => {
                            tracing::info!(%error, listing, "the probe failed; the walk goes on");
                        }
                        Err(item) => {
                            // The walk of this listing would fail the same way: report once.
                            // When the answer concerns every listing (401, 403, a missing
                            // route), the other listing is not tried either.
                            let whole_run = matches!(&item, ScanItem::Failed(error) if listing_concerns_the_run(error));
                            failed.insert(listing);
                            notes.push((listing, item));
                            if whole_run {
                                failed.extend(run.unknown.listings());
                                break;
                            }
                        }
                    }
                }
            }
            (notes, failed)
        }
    });
    let items = probes.flat_map({
        let run = Arc::clone(&run);
        let pacer = Arc::clone(&pacer);
        move |(notes, failed)| {
            let walks = walks(&run, &scope, &pacer, probe_first, &failed);
            futures_util::stream::iter(notes).chain(walks)
        }
    });
    let concurrency = run.concurrency;
    let stream = items
        .filter_map(move |(listing, item)| {
            let listed = matches!(item, ScanItem::Contact(..));
            let step = triage(&run, &shared, &tally, listing, item, resolve);
            if listed && !matches!(step, Some(Step::Send { .. })) {
                shared
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .walk_done += 1;
            }
            let run = Arc::clone(&run);
            let pacer = Arc::clone(&pacer);
            let shared = Arc::clone(&shared);
            std::future::ready(step.map(|step| {
                let work: Pin<Box<dyn std::future::Future<Output = Option<Outcome>> + Send>> =
                    match step {
                        Step::Report(outcome) => Box::pin(std::future::ready(outcome)),
                        Step::Send {
                            plan,
                            listing,
                            at,
                            listed,
                            read_at,
                        } => Box::pin(async move {
                            let outcome = send_checked(&run, &pacer, plan, *listed, read_at).await;
                            record(&shared, &outcome);
                            shared
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .walk_done += 1;
                            if let Outcome::Failed { error, .. } = &outcome
                                && concerns_the_run(error)
                            {
                                // Every other contact would get the same answer: stop here,
                                // once, rather than send it again per contact.
                                let mut state =
                                    shared.lock().unwrap_or_else(PoisonError::into_inner);
                                state.halted.get_or_insert_with(|| error.to_string());
                                drop(state);
                                if let Some(stop) = &run.stop {
                                    stop.stop();
                                }
                            }
                            let unfinished = match &outcome {
                                Outcome::Failed { error, .. } => error.is_retryable(),
                                Outcome::Abandoned { .. } | Outcome::Stopped { .. } => true,
                                _ => false,
                            };
                            if unfinished {
                                shared
                                    .lock()
                                    .unwrap_or_else(PoisonError::into_inner)
                                    .hold(listing, at);
                            }
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
    /// Resolve this plan (for the contact listed in `listing`, last written at `at`).
    Send {
        plan: Plan,
        listing: bool,
        at: Option<jiff::Timestamp>,
        /// The contact as listed, and when: the plan's basis, checked again if it grows old.
        listed: Box<Contact>,
        read_at: std::time::Instant,
    },
}

/// Decides what to do with one listed item, counting it in the walk's tally.
fn triage(
    run: &ResolveAll,
    shared: &Mutex<RunState>,
    tally: &Mutex<RoundTally>,
    listing: bool,
    item: ScanItem,
    resolve: bool,
) -> Option<Step> {
    let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
    let (contact, read_at) = match item {
        ScanItem::Contact(contact, fetched_at) => {
            if tally.on_base {
                tally.listed.insert(contact.id.clone());
            }
            (contact, fetched_at)
        }
        ScanItem::Failed(error) => {
            tally.incomplete = true;
            if listing_concerns_the_run(&error)
                && let Some(stop) = &run.stop
            {
                // The next listing would get the same answer: do not ask, do not print it
                // twice.
                stop.stop();
            }
            return Some(Step::Report(Some(Outcome::ListingFailed(error))));
        }
        ScanItem::Incomplete => {
            tally.incomplete = true;
            return None;
        }
        ScanItem::Newest { listing, newest } => {
            tally.newest.entry(listing).or_insert(newest);
            return None;
        }
        ScanItem::Unprovable(why) => {
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            state.unprovable.get_or_insert(why);
            return None;
        }
        ScanItem::Total { listing, total } => {
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            state.walk_totals.entry(listing).or_insert(total);
            return None;
        }
    };
    if !contact.has_conflicts() {
        // Whatever failed for it before, someone has settled it since.
        shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unsettled
            .remove(&contact.id);
        if let Some(awaiting) = &run.awaiting {
            // Resolved since (by a human, say): report it again if conflicts come back.
            awaiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .forget(&contact.id);
        }
        return None;
    }
    let plan = run.policy.plan(&contact);
    let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
    let previous = state.status.get(&contact.id).copied();
    if !plan.is_actionable() {
        // Left on purpose, it waits for a human; a decision that cannot be carried out is a
        // contact left conflicted, which the summary must not call clean.
        if plan.left_only_on_purpose() {
            tally.human.insert(contact.id.clone());
        } else {
            tally.left.insert(contact.id.clone());
        }
        if previous.is_none() {
            state.status.insert(contact.id.clone(), Status::Deferred);
            // A watcher reports it once per state of its conflicts.
            let report = run.awaiting.as_ref().is_none_or(|awaiting| {
                awaiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .note(&contact)
            });
            return Some(Step::Report(report.then_some(Outcome::Deferred { plan })));
        }
        return None;
    }
    if run.dry_run {
        state.status.insert(contact.id.clone(), Status::Planned);
        return Some(Step::Report(Some(Outcome::Planned { plan })));
    }
    let retry_forbidden = matches!(previous, Some(Status::Failed(false)));
    if !resolve || retry_forbidden || run.stop.as_ref().is_some_and(StopSignal::is_stopped) {
        tally.left.insert(contact.id.clone());
        if !retry_forbidden {
            // Still to do: the next pass must list it again. (A failure that cannot be
            // retried was reported; it is listed again when it changes.)
            state.hold(listing, contact.updated_at);
        }
        return None;
    }
    if !tally.sent_to.insert(contact.id.clone()) {
        // Met twice in one walk (in both listings, after a write flipped `unknown`).
        return None;
    }
    tally.sent += 1;
    Some(Step::Send {
        plan,
        listing,
        at: contact.updated_at,
        listed: contact,
        read_at,
    })
}

/// Whether a failed resolve says something about every contact rather than this one: the
/// route is missing (a server older than 7.7), the session cannot be renewed, or the user
/// lacks `update-livechat-contact`.
fn concerns_the_run(error: &ResolveConflictsError) -> bool {
    match error {
        ResolveConflictsError::Unauthorized { .. } | ResolveConflictsError::Forbidden { .. } => {
            true
        }
        ResolveConflictsError::Other(error) => kind_concerns_the_run(error.kind()),
        _ => false,
    }
}

/// The same for a listing: the other listing would get the same answer.
fn listing_concerns_the_run(error: &SearchContactsError) -> bool {
    match error {
        SearchContactsError::Unauthorized { .. } | SearchContactsError::Forbidden { .. } => true,
        SearchContactsError::Other(error) => kind_concerns_the_run(error.kind()),
        _ => false,
    }
}

fn kind_concerns_the_run(kind: &crate::ErrorKind) -> bool {
    use crate::ErrorKind;
    matches!(
        kind,
        ErrorKind::EndpointMissing { .. }
            | ErrorKind::SessionExpired
            | ErrorKind::NotAuthenticated
            | ErrorKind::Configuration { .. }
    )
}

fn record(shared: &Mutex<RunState>, outcome: &Outcome) {
    let status = match outcome {
        Outcome::Resolved { .. } => Status::Resolved,
        Outcome::PartlyResolved { .. } => Status::PartlyResolved,
        Outcome::Skipped { .. } => Status::Skipped,
        Outcome::Gone { .. } => Status::Gone,
        Outcome::Failed { error, .. } => Status::Failed(error.is_retryable()),
        Outcome::Abandoned { .. } => Status::Abandoned,
        Outcome::Stopped { .. } => Status::Stopped,
        // Decided again after a fresh read, and left for a human: counted as such (and
        // reported once, as triage would).
        Outcome::Deferred { .. } => Status::Deferred,
        _ => return,
    };
    if let Some(id) = outcome.contact_id() {
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(status, Status::Failed(_)) {
            state.unsettled.insert(id.clone());
        } else {
            state.unsettled.remove(id);
        }
        state.status.insert(id.clone(), status);
    }
}

/// Sends one plan, paced, waiting out 429s.
/// Sends `plan` unless what it would overwrite changed since the listing: when the listing
/// is older than the run's `stale_after`, the contact is read again and, if a value the plan
/// writes or a conflict it discards moved, decided again from the server's state. With a
/// journal, the intent goes down before the call and the outcome after it.
async fn send_checked(
    run: &ResolveAll,
    pacer: &Pacer,
    mut plan: Plan,
    listed: Contact,
    read_at: std::time::Instant,
) -> Outcome {
    let contact_id = plan.contact_id.clone();
    let mut basis = listed;
    if read_at.elapsed() >= run.stale_after {
        let fresh = paced(pacer, GET_PATH, || {
            run.client.get_contact(contact_id.clone()).send_observed()
        })
        .await;
        match fresh {
            Err(DeadlinePassed) if pacer.stopped() => return Outcome::Stopped { contact_id },
            Err(DeadlinePassed) => return Outcome::Abandoned { contact_id },
            Ok(Err(GetContactError::NotFound { .. })) => return Outcome::Gone { contact_id },
            // Without a fresh read nothing is sent: the decision might not see a change.
            Ok(Err(error)) => {
                return Outcome::Failed {
                    contact_id,
                    error: crate::Error::from(error).into(),
                };
            }
            Ok(Ok(fresh)) => {
                if !PlannedContact::from_plan(&plan, &basis)
                    .changed_since(&fresh)
                    .is_empty()
                {
                    tracing::debug!(contact = %contact_id, "changed since listed; deciding again");
                    if !fresh.has_conflicts() {
                        return Outcome::Skipped { contact_id };
                    }
                    plan = run.policy.plan(&fresh);
                    if !plan.is_actionable() {
                        return Outcome::Deferred { plan };
                    }
                }
                basis = fresh;
            }
        }
    }
    let Some(journal) = &run.journal else {
        return send(&run.client, pacer, plan).await;
    };
    let planned = PlannedContact::from_plan(&plan, &basis);
    {
        let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
        if journal
            .in_flight(&contact_id)
            .is_some_and(|earlier| earlier.is_applied_in(&basis))
        {
            // An earlier run's call reached the server before it stopped.
            return match journal.outcome(&contact_id, JournalStatus::Recovered, Vec::new(), None) {
                Ok(()) => Outcome::Skipped { contact_id },
                Err(error) => Outcome::Failed {
                    contact_id,
                    error: error.into(),
                },
            };
        }
        if let Err(error) = journal.intent(&planned) {
            // No record, no call.
            return Outcome::Failed {
                contact_id,
                error: error.into(),
            };
        }
    }
    let outcome = send(&run.client, pacer, plan).await;
    let status = match &outcome {
        Outcome::Resolved { .. } => Some(JournalStatus::Resolved),
        Outcome::PartlyResolved { .. } => Some(JournalStatus::PartlyResolved),
        Outcome::Skipped { .. } => Some(JournalStatus::Skipped),
        Outcome::Gone { .. } => Some(JournalStatus::Gone),
        // A call that may have landed stays in flight: the next run checks the server.
        Outcome::Failed { error, .. } if outcome_unknown(error) => None,
        Outcome::Failed { .. } => Some(JournalStatus::Failed),
        // Not sent: the intent stays in flight and the next run checks the server.
        _ => None,
    };
    if let Some(status) = status {
        let error = match &outcome {
            Outcome::Failed { error, .. } => Some(error.to_string()),
            _ => None,
        };
        let written = journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .outcome(&contact_id, status, Vec::new(), error);
        if let Err(error) = written {
            tracing::warn!(%error, "the journal could not record an outcome");
        }
    }
    outcome
}

async fn send(client: &Client, pacer: &Pacer, plan: Plan) -> Outcome {
    let result = paced(pacer, CONFLICTS_PATH, || {
        plan.request(client).send_observed()
    })
    .await;
    let contact_id = plan.contact_id.clone();
    match result {
        Err(DeadlinePassed) if pacer.stopped() => Outcome::Stopped { contact_id },
        Err(DeadlinePassed) => Outcome::Abandoned { contact_id },
        Ok(Ok(contact)) if contact.has_conflicts() => Outcome::PartlyResolved {
            plan,
            contact: Box::new(contact),
        },
        Ok(Ok(contact)) => Outcome::Resolved {
            plan,
            contact: Box::new(contact),
        },
        Ok(Err(ResolveConflictsError::NoConflicts { .. })) => Outcome::Skipped { contact_id },
        Ok(Err(ResolveConflictsError::ContactNotFound { .. })) => Outcome::Gone { contact_id },
        Ok(Err(error)) => Outcome::Failed { contact_id, error },
    }
}
