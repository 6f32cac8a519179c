//! The contacts a watcher has reported as waiting for a person, so that each is reported once
//! per state of its conflicts — not on every pass, and not never again.
//!
//! A contact is remembered with a fingerprint of its conflict entries. It is reported again
//! when a later listing shows different entries (a new visitor brought another value), and
//! forgotten when a listing shows it with no conflicts (a person resolved it) or the watcher
//! resolved it. A complete pass over every contact also drops those it did not meet with
//! conflicts (deleted contacts), so memory is bounded by the contacts waiting now.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use super::outcome::Outcome;
use crate::models::{Contact, ContactId};

#[derive(Debug, Default)]
pub(crate) struct Awaiting {
    reported: HashMap<ContactId, u64>,
    /// Reported contacts met with conflicts since the last [`Awaiting::start_pass`].
    met: HashSet<ContactId>,
}

fn fingerprint(contact: &Contact) -> u64 {
    let mut hasher = DefaultHasher::new();
    // The entries' JSON: field and value, in the server's order.
    serde_json::to_string(&contact.conflicting_fields)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

impl Awaiting {
    /// A contact left for a person was listed: whether to report it (first time, or its
    /// conflicts changed since it was reported).
    pub(crate) fn note(&mut self, contact: &Contact) -> bool {
        let print = fingerprint(contact);
        self.met.insert(contact.id.clone());
        self.reported.insert(contact.id.clone(), print) != Some(print)
    }

    /// Learns from the watcher's own outcome: what a partial resolve left waits for a person
    /// (and is not reported again until it changes); a contact resolved, found clean or gone
    /// is forgotten.
    pub(crate) fn after(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::PartlyResolved { contact, .. } => {
                self.note(contact);
            }
            Outcome::Resolved { plan, .. } => self.forget(&plan.contact_id),
            Outcome::NothingToDo { contact_id } | Outcome::Gone { contact_id } => {
                self.forget(contact_id);
            }
            _ => {}
        }
    }

    /// The contact has no conflicts left (resolved by a person or by the watcher).
    pub(crate) fn forget(&mut self, id: &ContactId) {
        self.reported.remove(id);
        self.met.remove(id);
    }

    pub(crate) fn start_pass(&mut self) {
        self.met.clear();
    }

    /// A pass listed every contact to the end: what it did not meet is gone.
    pub(crate) fn finish_full_pass(&mut self) {
        let met = std::mem::take(&mut self.met);
        self.reported.retain(|id, _| met.contains(id));
    }

    /// How many contacts wait for a person as last reported.
    pub(crate) fn waiting(&self) -> usize {
        self.reported.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{ConflictField, ConflictingField};

    fn contact(id: &str, values: &[&str]) -> Contact {
        let mut contact: Contact =
            serde_json::from_value(serde_json::json!({"_id": id, "name": "n"})).unwrap();
        contact.conflicting_fields = values
            .iter()
            .map(|v| ConflictingField::new(ConflictField::Name, *v))
            .collect();
        contact
    }

    #[test]
    fn reported_once_per_state_and_forgotten_when_resolved_or_gone() {
        let mut awaiting = Awaiting::default();
        assert!(awaiting.note(&contact("a", &["x"])));
        assert!(!awaiting.note(&contact("a", &["x"])), "same conflicts");
        assert!(awaiting.note(&contact("a", &["x", "y"])), "a new value");
        awaiting.forget(&ContactId::from("a"));
        assert!(
            awaiting.note(&contact("a", &["x"])),
            "new conflicts after a fix"
        );

        assert!(awaiting.note(&contact("b", &["z"])));
        awaiting.start_pass();
        assert!(!awaiting.note(&contact("a", &["x"])));
        awaiting.finish_full_pass();
        assert_eq!(awaiting.waiting(), 1, "b was not met: deleted");
    }
}
