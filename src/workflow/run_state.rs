//! What a run knows about its contacts while it goes on: each contact's last state, the
//! figures of the walk under way, and what the walks left behind.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use super::changes::{Marks, Newest};
use super::outcome::Outcome;
use super::summary::{State, Summary};
use crate::models::ContactId;

#[derive(Debug, Default)]
pub(super) struct RunState {
    /// Per contact id (ids only, never whole contacts).
    pub(super) status: HashMap<ContactId, State>,
    pub(super) rounds: u32,
    pub(super) left_conflicted: usize,
    pub(super) waiting_for_person: usize,
    pub(super) complete: bool,
    /// Where the last walk started, per listing, once a walk that asked for marks completed.
    pub(super) marks: Option<Marks>,
    /// Why a walk by change fell back to a full walk, if one did.
    pub(super) unprovable: Option<String>,
    /// Per listing, the oldest `_updatedAt` of a contact this run listed but did not finish
    /// with (a retryable failure, a deadline, a walk that only counted): the next pass's mark
    /// must not pass it, or a watcher listing only changes would never see it again. `None`
    /// inside: the contact had no `_updatedAt`, so no mark is safe.
    pub(super) holds: HashMap<bool, Option<jiff::Timestamp>>,
    /// The last complete walk of every contact that noted where it started: later walks of
    /// the run list only what changed since.
    pub(super) base: Option<Base>,
    /// Why the run stopped early on its own: an answer that concerns every contact.
    pub(super) halted: Option<String>,
    /// Contacts whose last call failed and that no walk has since listed without
    /// conflicts. A failed call changes nothing, so a walk of changes does not list them
    /// again: the final count takes them from here unless that walk listed them.
    pub(super) unsettled: HashSet<ContactId>,
    /// The walk under way: contacts it is done with (triaged, and answered when sent), and
    /// each listing's total once a page of it came back.
    pub(super) walk_done: usize,
    pub(super) walk_totals: HashMap<bool, usize>,
    /// How many listings a walk covers.
    pub(super) listings: usize,
    /// Whether the walk under way lists only changes (its total is not known in advance).
    pub(super) walk_changes_only: bool,
    /// Contacts whose last call failed and that the final walk counted as left: a
    /// watcher's next pass starts with them, so that it counts them while they stay so.
    pub(super) failing: HashSet<ContactId>,
}

/// A complete walk of every contact, which later walks of the run build on.
#[derive(Debug)]
pub(super) struct Base {
    pub(super) marks: Marks,
    /// Contacts it counted as left conflicted, and as waiting for a person.
    pub(super) left: HashSet<ContactId>,
    pub(super) person: HashSet<ContactId>,
}

impl RunState {
    pub(super) fn hold(&mut self, listing: bool, at: Option<jiff::Timestamp>) {
        let held = self.holds.entry(listing).or_insert(at);
        *held = match (*held, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            _ => None,
        };
    }

    /// The marks a walk that started at `newest` leaves, lowered to what is held.
    pub(super) fn marks(&self, newest: HashMap<bool, Newest>) -> Marks {
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
    pub(super) fn summary(&self) -> Summary {
        let mut summary = Summary {
            seen: self.status.len(),
            rounds: self.rounds,
            done: self.walk_done,
            total: (self.listings > 0
                && !self.walk_changes_only
                && self.walk_totals.len() == self.listings)
                .then(|| self.walk_totals.values().sum()),
            left_conflicted: self.left_conflicted,
            waiting_for_person: self.waiting_for_person,
            complete: self.complete,
            halted: self.halted.clone(),
            ..Summary::default()
        };
        for state in self.status.values() {
            summary.count(*state);
        }
        summary
    }
}

/// What one walk found, beyond the outcomes it yielded.
#[derive(Debug, Default)]
pub(super) struct RoundTally {
    /// Resolve calls sent.
    pub(super) sent: usize,
    /// Whether this walk listed only what changed (since the run's base walk, or since a
    /// watcher's previous pass).
    pub(super) changes_only: bool,
    /// Whether this walk listed only what changed since the run's base walk.
    pub(super) on_base: bool,
    /// Conflicted contacts with something to resolve that this walk did not send.
    pub(super) left: HashSet<ContactId>,
    /// Conflicted contacts with only fields left for a person.
    pub(super) person: HashSet<ContactId>,
    /// The contacts whose call had failed when the walk began.
    pub(super) carried: HashSet<ContactId>,
    /// Every contact a walk of changes listed (so this stays small); in a full walk, only
    /// those of `carried` it listed.
    pub(super) listed: HashSet<ContactId>,
    /// The walk did not reach the end.
    pub(super) incomplete: bool,
    /// Contacts sent in this walk (ids only).
    pub(super) sent_to: std::collections::HashSet<ContactId>,
    /// Where each listing stood as this walk started.
    pub(super) newest: HashMap<bool, Newest>,
}

pub(super) fn record(shared: &Mutex<RunState>, outcome: &Outcome) {
    let (Some(state), Some(id)) = (State::of(outcome), outcome.contact_id()) else {
        return;
    };
    let mut shared = shared.lock().unwrap_or_else(PoisonError::into_inner);
    if matches!(state, State::Failed { .. }) {
        shared.unsettled.insert(id.clone());
    } else {
        shared.unsettled.remove(id);
    }
    shared.status.insert(id.clone(), state);
}
