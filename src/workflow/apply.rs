//! Carrying out a saved plan without overwriting anyone, and taking it back.
//!
//! For each contact: skip it when the journal says an earlier run finished it; read it again
//! (`contacts.get`, a rate-limit budget of its own, so checking costs no resolve calls); if a
//! call was in flight when an earlier run stopped and the server already shows its result,
//! count it done without sending; if anything the plan would write or discard changed since
//! the plan, report it stale and send nothing (unless forced); else journal the intent, send,
//! journal the outcome. The window that remains is between that read and the write, one
//! round trip: Rocket.Chat has no conditional update to close it.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::journal::{Journal, JournalStatus, Undone};
use super::pacing::{DeadlinePassed, Pacer, paced};
use super::plan_file::{PlanFile, PlannedContact, Snapshot};
use super::stop::StopSignal;
use crate::client::Client;
use crate::error::Error;
use crate::models::{ConflictField, Contact, ContactId};
use crate::omnichannel::contacts::get::GET_PATH;
use crate::omnichannel::contacts::resolve_conflicts::CONFLICTS_PATH;
use crate::omnichannel::contacts::{GetContactError, ResolveConflictsError};

/// What applying a plan did to one contact.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
#[non_exhaustive]
pub enum Applied {
    /// Sent; the server answered with the contact (conflicts may be left).
    #[serde(rename_all = "camelCase")]
    Sent {
        /// The contact.
        contact_id: ContactId,
        /// Whether conflicts are left on it.
        conflicts_left: bool,
    },
    /// An earlier run with this journal finished it.
    #[serde(rename_all = "camelCase")]
    AlreadyDone {
        /// The contact.
        contact_id: ContactId,
    },
    /// A call in flight when an earlier run stopped had reached the server: not sent again.
    #[serde(rename_all = "camelCase")]
    Recovered {
        /// The contact.
        contact_id: ContactId,
    },
    /// Changed since the plan where the plan would write or discard: not sent.
    #[serde(rename_all = "camelCase")]
    Stale {
        /// The contact.
        contact_id: ContactId,
        /// What changed.
        changed: Vec<ConflictField>,
    },
    /// The plan sends nothing for it (every field left for a human).
    #[serde(rename_all = "camelCase")]
    NothingToSend {
        /// The contact.
        contact_id: ContactId,
    },
    /// The server had no conflicts left for it.
    #[serde(rename_all = "camelCase")]
    Skipped {
        /// The contact.
        contact_id: ContactId,
    },
    /// The contact no longer exists.
    #[serde(rename_all = "camelCase")]
    Gone {
        /// The contact.
        contact_id: ContactId,
    },
    /// Reading or resolving it failed.
    #[serde(rename_all = "camelCase")]
    Failed {
        /// The contact.
        contact_id: ContactId,
        /// The error's message.
        error: String,
    },
}

impl Applied {
    /// Whether this counts against a clean apply (stale or failed).
    pub fn is_problem(&self) -> bool {
        matches!(self, Self::Stale { .. } | Self::Failed { .. })
    }
}

impl std::fmt::Display for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sent {
                contact_id,
                conflicts_left,
            } => write!(
                f,
                "applied {contact_id}{}",
                if *conflicts_left {
                    " (conflicts left)"
                } else {
                    ""
                }
            ),
            Self::AlreadyDone { contact_id } => write!(f, "done earlier {contact_id}"),
            Self::Recovered { contact_id } => {
                write!(
                    f,
                    "recovered {contact_id}: the interrupted call had reached the server"
                )
            }
            Self::Stale {
                contact_id,
                changed,
            } => {
                let changed: Vec<String> = changed.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "stale {contact_id}: changed since the plan: {} (not sent)",
                    changed.join(", ")
                )
            }
            Self::NothingToSend { contact_id } => {
                write!(f, "nothing to send {contact_id}: left for a human")
            }
            Self::Skipped { contact_id } => write!(f, "skipped {contact_id}: no conflicts left"),
            Self::Gone { contact_id } => write!(f, "gone {contact_id}: deleted since the plan"),
            Self::Failed { contact_id, error } => write!(f, "failed {contact_id}: {error}"),
        }
    }
}

/// How to apply a plan.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// Send stale contacts as planned anyway (their journal intent records the values they
    /// held just before, so `undo` can still restore them).
    pub force: bool,
    /// Stops between contacts.
    pub stop: Option<StopSignal>,
}

/// Reads a contact, paced by `contacts.get`'s own budget.
async fn read(client: &Client, pacer: &Pacer, id: &ContactId) -> Result<Contact, Failure> {
    match paced(pacer, GET_PATH, || {
        client.get_contact(id.clone()).send_observed()
    })
    .await
    {
        Ok(Ok(contact)) => Ok(contact),
        Ok(Err(GetContactError::NotFound { .. })) => Err(Failure::Gone),
        Ok(Err(error)) => Err(Failure::Error(error.to_string())),
        Err(DeadlinePassed) => Err(Failure::Error("stopped".into())),
    }
}

enum Failure {
    Gone,
    Error(String),
}

/// Applies `plan` through `client`, one contact after the other, journalling each call.
/// Returns one [`Applied`] per contact, in the plan's order.
///
/// # Errors
/// The plan was made for another server, or the journal cannot be written (nothing more is
/// sent once it cannot).
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// use rocketchat_omnichannel::workflow::{apply, ApplyOptions, Journal, PlanFile};
/// let plan = PlanFile::load("plan.json")?;
/// let mut journal = Journal::open("run.jsonl", &client)?;
/// for outcome in apply(&client, &plan, &mut journal, &ApplyOptions::default()).await? {
///     println!("{outcome}");
/// }
/// # Ok(()) }
/// ```
pub async fn apply(
    client: &Client,
    plan: &PlanFile,
    journal: &mut Journal,
    options: &ApplyOptions,
) -> Result<Vec<Applied>, Error> {
    plan.check_server(client)?;
    let pacer = Arc::new(Pacer::new(true, None).with_stop(options.stop.clone()));
    let mut outcomes = Vec::with_capacity(plan.contacts.len());
    for planned in &plan.contacts {
        if options.stop.as_ref().is_some_and(StopSignal::is_stopped) {
            break;
        }
        outcomes.push(apply_one(client, &pacer, planned, journal, options.force).await?);
    }
    Ok(outcomes)
}

async fn apply_one(
    client: &Client,
    pacer: &Pacer,
    planned: &PlannedContact,
    journal: &mut Journal,
    force: bool,
) -> Result<Applied, Error> {
    let contact_id = planned.contact_id.clone();
    // Every line names the plan entry, so a journal reused with another plan skips nothing.
    let entry = Some(planned.fingerprint.clone());
    if journal.is_done_for(&contact_id, &planned.fingerprint) {
        return Ok(Applied::AlreadyDone { contact_id });
    }
    let now = match read(client, pacer, &contact_id).await {
        Ok(now) => now,
        Err(Failure::Gone) => {
            journal.outcome_for(&contact_id, JournalStatus::Gone, Vec::new(), None, entry)?;
            return Ok(Applied::Gone { contact_id });
        }
        Err(Failure::Error(error)) => return Ok(Applied::Failed { contact_id, error }),
    };
    if let Some(in_flight) = journal.in_flight(&contact_id)
        && in_flight.is_applied_in(&now)
    {
        journal.outcome_for(
            &contact_id,
            JournalStatus::Recovered,
            Vec::new(),
            None,
            entry,
        )?;
        return Ok(Applied::Recovered { contact_id });
    }
    if !planned.sends() {
        return Ok(Applied::NothingToSend { contact_id });
    }
    let changed = planned.changed_since(&now);
    if !changed.is_empty() && !force {
        journal.outcome_for(
            &contact_id,
            JournalStatus::Stale,
            changed.clone(),
            None,
            entry,
        )?;
        return Ok(Applied::Stale {
            contact_id,
            changed,
        });
    }
    // The intent records the values as just read, so undo restores what was really there.
    let sending = planned.rebased_on(&now);
    journal.intent_for(&sending, entry.clone())?;
    let result = paced(pacer, CONFLICTS_PATH, || {
        sending.request(client).send_observed()
    })
    .await;
    let (status, applied) = match result {
        Ok(Ok(contact)) => {
            let left = contact.has_conflicts();
            let status = if left {
                JournalStatus::PartlyResolved
            } else {
                JournalStatus::Resolved
            };
            (
                status,
                Applied::Sent {
                    contact_id: contact_id.clone(),
                    conflicts_left: left,
                },
            )
        }
        Ok(Err(ResolveConflictsError::NoConflicts { .. })) => (
            JournalStatus::Skipped,
            Applied::Skipped {
                contact_id: contact_id.clone(),
            },
        ),
        Ok(Err(ResolveConflictsError::ContactNotFound { .. })) => (
            JournalStatus::Gone,
            Applied::Gone {
                contact_id: contact_id.clone(),
            },
        ),
        // No answer, or a 5xx (a proxy may answer after the server wrote): the call may have
        // landed, so the intent stays in flight and the next run checks the server.
        Ok(Err(error)) if outcome_unknown(&error) => {
            return Ok(Applied::Failed {
                contact_id,
                error: error.to_string(),
            });
        }
        Ok(Err(error)) => {
            let error = error.to_string();
            journal.outcome_for(
                &contact_id,
                JournalStatus::Failed,
                Vec::new(),
                Some(error.clone()),
                entry,
            )?;
            return Ok(Applied::Failed { contact_id, error });
        }
        // Stopped before sending: the intent stays in flight; the next run checks it.
        Err(DeadlinePassed) => {
            return Ok(Applied::Failed {
                contact_id,
                error: "stopped before it was sent".into(),
            });
        }
    };
    journal.outcome_for(&contact_id, status, Vec::new(), None, entry)?;
    Ok(applied)
}

/// Whether a failed call may still have reached the server: no answer at all (a timeout, a
/// broken connection) or a 5xx, which a proxy can send after the server wrote. A Rocket.Chat
/// 4xx (validation, permission, rate limit) means nothing was written.
pub(crate) fn outcome_unknown(error: &ResolveConflictsError) -> bool {
    error.status().is_none_or(|status| status.is_server_error())
}

impl PlannedContact {
    /// The same writes and wipe, with `now` as the state they replace (for `force` and for
    /// the journal's intent).
    pub(crate) fn rebased_on(&self, now: &Contact) -> PlannedContact {
        let snapshot = Snapshot::of(now);
        let mut rebased = self.clone();
        for write in &mut rebased.writes {
            write.from = snapshot.value(&write.field);
        }
        rebased.discards = super::plan_file::discards(&snapshot, &rebased.writes, rebased.wipe);
        rebased.fingerprint = snapshot.fingerprint();
        rebased.snapshot = snapshot;
        rebased
    }
}

/// Puts back what a journal's successful calls wrote: each field that still holds the value
/// the run wrote returns to the value it had before (through `contacts.update`); a field
/// changed since is left alone and reported; conflict entries the run discarded are listed,
/// since nothing can re-create them. Running it again changes nothing more.
///
/// # Errors
/// The journal belongs to another server.
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// use rocketchat_omnichannel::workflow::{undo, Journal};
/// let journal = Journal::open("run.jsonl", &client)?;
/// for contact in undo(&client, &journal).await? {
///     println!("{}: restored {:?}", contact.contact_id, contact.restored);
/// }
/// # Ok(()) }
/// ```
pub async fn undo(client: &Client, journal: &Journal) -> Result<Vec<Undone>, Error> {
    let pacer = Pacer::new(true, None);
    let mut report = Vec::new();
    for planned in journal.written() {
        report.push(undo_one(client, &pacer, &planned).await);
    }
    Ok(report)
}

async fn undo_one(client: &Client, pacer: &Pacer, planned: &PlannedContact) -> Undone {
    let mut undone = Undone {
        contact_id: planned.contact_id.clone(),
        restored: Vec::new(),
        already: Vec::new(),
        changed_since: Vec::new(),
        lost: planned
            .discards
            .iter()
            .filter(|d| {
                // A replaced current value comes back with its field; entries do not.
                !planned
                    .writes
                    .iter()
                    .any(|w| w.field == d.field && w.from.as_ref() == Some(&d.value))
            })
            .cloned()
            .collect(),
        error: None,
    };
    let now = match read(client, pacer, &planned.contact_id).await {
        Ok(now) => Snapshot::of(&now),
        Err(Failure::Gone) => {
            undone.error = Some("the contact no longer exists".into());
            return undone;
        }
        Err(Failure::Error(error)) => {
            undone.error = Some(error);
            return undone;
        }
    };
    let mut update = client.update_contact(planned.contact_id.clone());
    let mut custom = now.custom_fields.clone();
    let mut custom_changed = false;
    for write in planned
        .writes
        .iter()
        .filter(|w| w.from.as_ref() != Some(&w.to))
    {
        let current = now.value(&write.field);
        if current.as_ref() == write.from.as_ref() {
            undone.already.push(write.field.clone());
            continue;
        }
        if current.as_ref() != Some(&write.to) {
            undone.changed_since.push((write.field.clone(), current));
            continue;
        }
        match (&write.field, &write.from) {
            (ConflictField::Name, Some(Value::String(name))) => update = update.name(name.clone()),
            (ConflictField::Manager, Some(Value::String(id))) => {
                update = update.contact_manager(id.as_str());
            }
            // An empty id clears the manager (Rocket.Chat 8.1 and later).
            (ConflictField::Manager, None) => update = update.contact_manager(""),
            (ConflictField::CustomField(key), from) => {
                custom_changed = true;
                match from {
                    Some(value) => custom.insert(key.clone(), value.clone()),
                    None => custom.remove(key),
                };
            }
            // A name cannot be unset through contacts.update.
            _ => {
                undone.changed_since.push((write.field.clone(), current));
                continue;
            }
        }
        undone.restored.push(write.field.clone());
    }
    if undone.restored.is_empty() {
        return undone;
    }
    if custom_changed {
        // contacts.update replaces the map: send it whole, with the restored keys.
        for (key, value) in custom {
            update = update.custom_field(key, value);
        }
    }
    if let Err(error) = update.await {
        undone.error = Some(error.to_string());
        undone.restored.clear();
    }
    undone
}
