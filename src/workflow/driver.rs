//! The driver of a [`ResolveAll`] run: walk after walk, triage of each listed contact, and
//! the resolve calls.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use futures_core::Stream;
use futures_util::StreamExt;

use super::changes::{CHANGE_OVERLAP, Scope};
use super::outcome::Outcome;
use super::pacing::Pacer;
use super::plan::Plan;
use super::resolve_all::{ResolveAll, listings};
use super::run_state::{Base, RoundTally, RunState, record};
use super::scan::{Order, ScanItem, probe, scan};
use super::send::{Copy, OnChange, Sender};
use super::summary::State;
use crate::models::Contact;
use tokio_util::sync::CancellationToken;

use crate::omnichannel::contacts::{ResolveConflictsError, SearchContacts, SearchContactsError};

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
            .map_or_else(CancellationToken::new, CancellationToken::child_token),
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
            let (mut left, mut person) = (tally.left, tally.person);
            if tally.on_base
                && let Some(base) = &state.base
            {
                // What the base walk left and this walk did not list has not changed since:
                // it is still there.
                left.extend(base.left.difference(&tally.listed).cloned());
                person.extend(base.person.difference(&tally.listed).cloned());
            }
            if tally.changes_only {
                // A contact whose call failed (in this run, or in a watcher's earlier pass)
                // and that this walk of changes did not list is unchanged since: still there.
                left.extend(state.unsettled.difference(&tally.listed).cloned());
            } else if !tally.incomplete {
                // A full walk that did not meet a failing contact: it is gone (or no longer
                // matches the run's search), not failing.
                state
                    .unsettled
                    .retain(|id| !tally.carried.contains(id) || tally.listed.contains(id));
            }
            let marks = state.marks(tally.newest);
            let complete = !tally.incomplete && marks.covers(&listings(self.run.unknown));
            if last {
                state.complete = !tally.incomplete;
                if complete {
                    state.marks = Some(marks);
                }
                state.left_conflicted = if self.run.dry_run { 0 } else { left.len() };
                // What a watcher's next pass must still count, though it may not list it.
                state.failing = state.unsettled.intersection(&left).cloned().collect();
                state.waiting_for_person = person.len();
                self.finished = true;
                return None;
            }
            if complete && !tally.on_base && matches!(self.run.scope, Scope::Full { .. }) {
                state.base = Some(Base {
                    marks,
                    left,
                    person,
                });
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
            changes_only: matches!(scope, Scope::Changed { .. }),
            carried: state.unsettled.clone(),
            ..RoundTally::default()
        };
        state.walk_done = 0;
        state.walk_totals.clear();
        state.listings = listings(self.run.unknown).len();
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
    let scans: Vec<_> = listings(run.unknown)
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
                for listing in listings(run.unknown) {
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
                                failed.extend(listings(run.unknown));
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
                            let outcome = send_checked(&run, &pacer, *plan, *listed, read_at).await;
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
                                    stop.cancel();
                                }
                            }
                            let unfinished = match &outcome {
                                Outcome::Failed { error, .. } => error.is_retryable(),
                                Outcome::Stopped { .. } => true,
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
        plan: Box<Plan>,
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
            // A walk of changes keeps what it listed; a full walk only the failing contacts
            // it met, so that those it did not meet (deleted, no longer matching) are dropped.
            if tally.changes_only || tally.carried.contains(&contact.id) {
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
                stop.cancel();
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
            // Resolved since (by a person, say): report it again if conflicts come back.
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
    if !plan.sends() {
        // Left on purpose, it waits for a person; a decision that cannot be carried out is a
        // contact left conflicted, which the summary must not call clean.
        if plan.unsent.is_empty() {
            tally.person.insert(contact.id.clone());
            // No longer a failure: it waits for a person.
            state.unsettled.remove(&contact.id);
        } else {
            tally.left.insert(contact.id.clone());
        }
        if previous.is_none() {
            // A watcher reports it once per state of its conflicts, and a pass counts only
            // what it reports: one already reported and unchanged is among the watcher's
            // `waiting`, not this pass's figures.
            let report = run.awaiting.as_ref().is_none_or(|awaiting| {
                awaiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .note(&contact)
            });
            if report {
                state
                    .status
                    .insert(contact.id.clone(), State::LeftForPerson);
            }
            return Some(Step::Report(report.then(|| Outcome::LeftForPerson {
                plan: Box::new(plan),
            })));
        }
        return None;
    }
    if run.dry_run {
        state.status.insert(contact.id.clone(), State::Planned);
        return Some(Step::Report(Some(Outcome::Planned {
            plan: Box::new(plan),
        })));
    }
    let retry_forbidden = matches!(previous, Some(State::Failed { retryable: false }));
    if !resolve
        || retry_forbidden
        || run
            .stop
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
    {
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
        plan: Box::new(plan),
        listing,
        at: contact.updated_at,
        listed: contact,
        read_at,
    })
}

/// Whether a failed resolve says something about every contact rather than this one: the
/// route is missing (a server older than 7.7), the session cannot be renewed, the user lacks
/// `update-livechat-contact` (401, 403), or the journal cannot be written.
fn concerns_the_run(error: &ResolveConflictsError) -> bool {
    match error {
        ResolveConflictsError::Unauthorized { .. } | ResolveConflictsError::Forbidden { .. } => {
            true
        }
        ResolveConflictsError::Other(error) => kind_concerns_the_run(error.kind()),
        _ => false,
    }
}

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

/// Sends one contact's plan, made from the listed copy, through the one call path.
async fn send_checked(
    run: &ResolveAll,
    pacer: &Pacer,
    plan: Plan,
    listed: Contact,
    read_at: std::time::Instant,
) -> Outcome {
    let sender = Sender {
        client: &run.client,
        pacer,
        journal: run.journal.as_deref(),
        on_change: OnChange::Decide(&run.policy),
        stale_after: run.stale_after,
    };
    let copy = Copy {
        contact: listed,
        read_at,
    };
    sender.send(plan, Some(copy), None).await
}
