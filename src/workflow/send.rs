//! The one way a [`Plan`] goes to the server, for a bulk run, a watcher, `apply` and
//! `review` alike.
//!
//! 1. Wait for the resolve route's budget ([`Pacer::acquire`]). Only then look at how old
//!    the contact's copy is: under Rocket.Chat's default limit (10 calls per route per
//!    minute) that wait can be a minute, and a check made before it proves nothing.
//! 2. A copy older than `stale_after` is read again (`contacts.get`, a budget of its own). If
//!    what the plan writes or discards changed meanwhile, a run decides again with its
//!    policy; a saved plan is not sent ([`Outcome::Stale`]), unless forced. A budget not
//!    spent is given back.
//! 3. With a journal: a call an earlier run left in flight whose result the server already
//!    shows is counted without sending it again; otherwise the intent is written first (no
//!    record, no call).
//! 4. Send, and record what happened. Any 2xx reached the server, even when its body cannot
//!    be read: the contact is read again to learn the result, and until that succeeds the
//!    call stays in flight, so that undo and a resumed run see it.
//!
//! What remains is one round trip between the read and the write (plus `stale_after` for a
//! copy that was fresh enough): Rocket.Chat has no conditional update to close it.

use std::time::{Duration, Instant};

use super::journal::{Journal, Recorded};
use super::outcome::Outcome;
use super::pacing::{DeadlinePassed, MAX_RATE_LIMITED, Pacer, paced};
use super::plan::Plan;
use super::policy::Policy;
use crate::client::Client;
use crate::models::{Contact, ContactId};
use crate::omnichannel::contacts::get::GET_PATH;
use crate::omnichannel::contacts::resolve_conflicts::CONFLICTS_PATH;
use crate::omnichannel::contacts::{GetContactError, ResolveConflictsError};

/// What to do when the contact changed since the plan was made.
#[derive(Clone, Copy)]
pub(super) enum OnChange<'a> {
    /// A run's own decision: decide again with its policy on the fresh copy.
    Decide(&'a Policy),
    /// A saved or a person's plan: not sent (`Stale`), unless `force`.
    Refuse { force: bool },
}

/// Everything a call needs besides its plan.
pub(super) struct Sender<'a> {
    pub(super) client: &'a Client,
    pub(super) pacer: &'a Pacer,
    pub(super) journal: Option<&'a Journal>,
    pub(super) on_change: OnChange<'a>,
    /// How old a copy may be and still be sent without reading it again.
    pub(super) stale_after: Duration,
}

/// A contact as it was read, and when.
pub(super) struct Copy {
    pub(super) contact: Contact,
    pub(super) read_at: Instant,
}

/// What the read before the call found, when it ends the contact's turn.
enum Read {
    /// The contact, and when the request that read it was sent.
    Fresh(Box<Contact>, Instant),
    Done(Outcome),
}

impl Sender<'_> {
    /// Journals an outcome; `answers` when it is the answer to the call just sent (not a
    /// turn that ended before any call, which leaves an earlier call in flight as it was).
    fn record(
        &self,
        id: &ContactId,
        outcome: Recorded,
        detail: (Vec<crate::models::ConflictField>, Option<String>),
        entry: Option<&str>,
        answers: bool,
    ) {
        if let Some(journal) = self.journal
            && let Err(error) = journal.outcome(id, outcome, detail, entry, answers)
        {
            tracing::warn!(%error, "the journal could not record an outcome");
        }
    }

    /// Sends `plan`, made from `copy` (or from a saved plan when `copy` is `None`: then the
    /// contact is always read again first). `entry` names the saved plan's entry in journal
    /// lines, so that a journal reused with another plan skips nothing new.
    pub(super) async fn send(
        &self,
        mut plan: Plan,
        mut copy: Option<Copy>,
        entry: Option<&str>,
    ) -> Outcome {
        let id = plan.contact_id.clone();
        if let Some(entry) = entry
            && self.journal.is_some_and(|j| j.is_done_for(&id, entry))
        {
            return Outcome::NothingToDo { contact_id: id };
        }
        let mut refused = 0;
        loop {
            if self.pacer.acquire(CONFLICTS_PATH).await.is_err() {
                return Outcome::Stopped { contact_id: id };
            }
            let kept = copy
                .take()
                .filter(|c| c.read_at.elapsed() < self.stale_after);
            let fresh = kept.is_none();
            let basis = match kept {
                Some(kept) => copy.insert(kept),
                None => match self.read(&id, entry).await {
                    Read::Fresh(contact, sent) => copy.insert(Copy {
                        contact: *contact,
                        read_at: sent,
                    }),
                    Read::Done(outcome) => {
                        self.pacer.release(CONFLICTS_PATH);
                        return outcome;
                    }
                },
            };
            if let Some(outcome) = self.settled(&mut plan, &basis.contact, fresh, entry) {
                self.pacer.release(CONFLICTS_PATH);
                return outcome;
            }
            // The intent records the values as just read, so undo restores what was there.
            let sending = plan.rebased_on(&basis.contact);
            if let Some(journal) = self.journal
                && let Err(error) = journal.intent(&sending, entry)
            {
                self.pacer.release(CONFLICTS_PATH);
                return Outcome::Failed {
                    contact_id: id,
                    error: error.into(),
                };
            }
            let (result, observed) = sending.request(self.client).send_observed().await;
            if self.pacer.answered(CONFLICTS_PATH, observed) && refused < MAX_RATE_LIMITED {
                // Refused before anything was written: not in flight, and the next turn
                // reads again if the wait made the copy old.
                refused += 1;
                self.record(&id, Recorded::Failed, (Vec::new(), None), entry, true);
                continue;
            }
            return self.answered(sending, result, entry).await;
        }
    }

    /// A saved plan's entry that sends nothing: still left for a person, unless the
    /// contact is gone or someone resolved it since the plan was made. A read that fails
    /// changes nothing: the contact is left, as planned.
    pub(super) async fn left(&self, plan: Plan, entry: Option<&str>) -> Outcome {
        match self.read(&plan.contact_id, entry).await {
            Read::Fresh(contact, _) if !contact.has_conflicts() => Outcome::NothingToDo {
                contact_id: plan.contact_id,
            },
            Read::Done(outcome @ (Outcome::Gone { .. } | Outcome::Stopped { .. })) => outcome,
            Read::Fresh(..) | Read::Done(_) => Outcome::LeftForPerson {
                plan: Box::new(plan),
            },
        }
    }

    /// Reads the contact again before a call.
    async fn read(&self, id: &ContactId, entry: Option<&str>) -> Read {
        // When the request that got the answer was sent: the copy is no fresher than that.
        let sent = std::sync::Mutex::new(Instant::now());
        let read = paced(self.pacer, GET_PATH, || {
            *sent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
            self.client.get_contact(id.clone()).send_observed()
        })
        .await;
        let sent = sent
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match read {
            Ok(Ok(contact)) => Read::Fresh(Box::new(contact), sent),
            Err(DeadlinePassed) => Read::Done(Outcome::Stopped {
                contact_id: id.clone(),
            }),
            Ok(Err(GetContactError::NotFound { .. })) => {
                self.record(id, Recorded::Gone, (Vec::new(), None), entry, false);
                Read::Done(Outcome::Gone {
                    contact_id: id.clone(),
                })
            }
            // Without a fresh read nothing is sent: the decision might not see a change.
            Ok(Err(error)) => Read::Done(Outcome::Failed {
                contact_id: id.clone(),
                error: crate::Error::from(error).into(),
            }),
        }
    }

    /// Whether the contact's turn ends before a call: an earlier call found carried out,
    /// nothing left to resolve, or a change the plan did not see. A run's plan is decided
    /// again over a changed contact (`fresh`: `contact` was just read).
    fn settled(
        &self,
        plan: &mut Plan,
        contact: &Contact,
        fresh: bool,
        entry: Option<&str>,
    ) -> Option<Outcome> {
        let id = &plan.contact_id;
        let recovered = self
            .journal
            .and_then(|j| j.in_flight(id))
            .filter(|(earlier, _)| earlier.is_applied_in(contact));
        let applied = plan.is_applied_in(contact);
        if let Some((earlier, earlier_entry)) = recovered {
            // An earlier run's call reached the server before it stopped: recorded as its
            // own plan entry's. Unless that is this very plan, this one still goes on.
            if !(applied && earlier_entry.as_deref() == entry) {
                self.carried_out(earlier, contact.clone(), earlier_entry.as_deref());
            }
            if applied {
                return Some(self.carried_out(plan.clone(), contact.clone(), entry));
            }
        }
        if fresh && !contact.has_conflicts() {
            self.record(id, Recorded::NothingToDo, (Vec::new(), None), entry, false);
            return Some(Outcome::NothingToDo {
                contact_id: id.clone(),
            });
        }
        let changed = plan.changed_since(contact);
        if changed.is_empty() {
            return None;
        }
        match self.on_change {
            OnChange::Decide(policy) => {
                tracing::debug!(contact = %id, "changed since listed; deciding again");
                *plan = policy.plan(contact);
                (!plan.sends()).then(|| Outcome::LeftForPerson {
                    plan: Box::new(plan.clone()),
                })
            }
            OnChange::Refuse { force: true } => None,
            OnChange::Refuse { force: false } => {
                self.record(id, Recorded::Stale, (changed.clone(), None), entry, false);
                Some(Outcome::Stale {
                    contact_id: id.clone(),
                    changed,
                })
            }
        }
    }

    /// The outcome of a call that reached the server, recorded.
    fn carried_out(&self, plan: Plan, contact: Contact, entry: Option<&str>) -> Outcome {
        let id = plan.contact_id.clone();
        let (recorded, outcome) = if contact.has_conflicts() {
            let outcome = Outcome::PartlyResolved {
                plan: Box::new(plan),
                contact: Box::new(contact),
            };
            (Recorded::PartlyResolved, outcome)
        } else {
            let outcome = Outcome::Resolved {
                plan: Box::new(plan),
                contact: Box::new(contact),
            };
            (Recorded::Resolved, outcome)
        };
        self.record(&id, recorded, (Vec::new(), None), entry, true);
        outcome
    }

    /// What the server's answer to a call means, recorded.
    async fn answered(
        &self,
        plan: Plan,
        result: Result<Contact, ResolveConflictsError>,
        entry: Option<&str>,
    ) -> Outcome {
        let id = plan.contact_id.clone();
        let error = match result {
            Ok(contact) => return self.carried_out(plan, contact, entry),
            Err(ResolveConflictsError::NoConflicts { .. }) => {
                self.record(&id, Recorded::NothingToDo, (Vec::new(), None), entry, true);
                return Outcome::NothingToDo { contact_id: id };
            }
            Err(ResolveConflictsError::ContactNotFound { .. }) => {
                self.record(&id, Recorded::Gone, (Vec::new(), None), entry, true);
                return Outcome::Gone { contact_id: id };
            }
            Err(error) => error,
        };
        let status = error.status();
        if status.is_some_and(|s| s.is_success()) {
            // The server took the call; only its answer could not be read. Ask what it did.
            if let Ok(Ok(now)) = paced(self.pacer, GET_PATH, || {
                self.client.get_contact(id.clone()).send_observed()
            })
            .await
                && plan.is_applied_in(&now)
            {
                return self.carried_out(plan, now, entry);
            }
        } else if status.is_some_and(|s| !s.is_server_error()) {
            // Refused: nothing was written.
            self.record(
                &id,
                Recorded::Failed,
                (Vec::new(), Some(error.to_string())),
                entry,
                true,
            );
        }
        // No answer, a 5xx (a proxy may answer after the server wrote), or a 2xx not yet
        // confirmed: the call may have landed, so the intent stays in flight for undo and
        // for the next run, which checks the server.
        Outcome::Failed {
            contact_id: id,
            error,
        }
    }
}
