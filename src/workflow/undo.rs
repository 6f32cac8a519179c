//! Taking back what a journal's calls wrote: [`undo`].
//!
//! For each contact: read it, put back each field that still holds the value the run wrote
//! (one `contacts.update`, sent straight after the read), then read it again and report only
//! what the server really holds. A field someone changed since the run is kept as it is.
//! The conflict entries a resolve discarded cannot come back (`contacts.update` has no
//! `conflictingFields`): they are listed with their values for a person.
//!
//! `contacts.update` replaces the whole `customFields` map (`updateContact.ts` stores the
//! validated map it was given), so restoring one custom field sends the map as just read:
//! an edit to another custom field made within that one round trip would be lost.

use serde::Serialize;
use serde_json::Value;

use super::journal::Journal;
use super::pacing::{DeadlinePassed, Pacer, paced};
use super::plan::{Discard, Plan, Snapshot};
use crate::client::Client;
use crate::error::Error;
use crate::models::{ConflictField, Contact, ContactId};
use crate::omnichannel::contacts::GetContactError;
use crate::omnichannel::contacts::get::GET_PATH;

/// What [`undo`] did for one contact.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Undone {
    /// The contact.
    pub contact_id: ContactId,
    /// Fields that hold their value from before the run again (read back from the server).
    pub restored: Vec<ConflictField>,
    /// Fields someone changed since the run wrote them: kept as they are, with their value
    /// now.
    pub kept: Vec<(ConflictField, Option<Value>)>,
    /// Fields that could not be put back, with the value the server holds (a name cannot be
    /// unset; a 7.x server ignores an empty manager; the update was refused).
    pub could_not: Vec<(ConflictField, Option<Value>)>,
    /// Conflict entries the run discarded, which no route can re-create.
    pub lost: Vec<Discard>,
    /// Why the contact could not be read or updated at all.
    pub error: Option<String>,
}

impl Undone {
    /// Whether everything the run wrote holds its earlier value again.
    pub fn is_complete(&self) -> bool {
        self.kept.is_empty() && self.could_not.is_empty() && self.error.is_none()
    }
}

/// Puts back what the journal's calls wrote, where nobody changed it since.
///
/// # Errors
/// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the journal cannot be
/// read. A contact's own trouble is in its [`Undone`].
pub async fn undo(client: &Client, journal: &Journal) -> Result<Vec<Undone>, Error> {
    let pacer = Pacer::new(true, None);
    let mut report = Vec::new();
    for written in journal.written()? {
        report.push(undo_one(client, &pacer, &written).await);
    }
    Ok(report)
}

async fn read(client: &Client, pacer: &Pacer, id: &ContactId) -> Result<Contact, String> {
    match paced(pacer, GET_PATH, || {
        client.get_contact(id.clone()).send_observed()
    })
    .await
    {
        Ok(Ok(contact)) => Ok(contact),
        Ok(Err(GetContactError::NotFound { .. })) => Err("the contact no longer exists".into()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(DeadlinePassed) => Err("stopped".into()),
    }
}

async fn undo_one(client: &Client, pacer: &Pacer, written: &Plan) -> Undone {
    let mut undone = Undone {
        contact_id: written.contact_id.clone(),
        restored: Vec::new(),
        kept: Vec::new(),
        could_not: Vec::new(),
        // A replaced current value comes back with its field; entries do not.
        lost: written
            .discards
            .iter()
            .filter(|d| {
                !written
                    .writes
                    .iter()
                    .any(|w| w.field == d.field && w.from.as_ref() == Some(&d.value))
            })
            .cloned()
            .collect(),
        error: None,
    };
    let now = match read(client, pacer, &written.contact_id).await {
        Ok(now) => Snapshot::of(&now),
        Err(error) => {
            undone.error = Some(error);
            return undone;
        }
    };
    let mut update = client.update_contact(written.contact_id.clone());
    let mut custom = now.custom_fields.clone();
    let mut custom_changed = false;
    let mut sent = Vec::new();
    for write in written
        .writes
        .iter()
        .filter(|w| w.from.as_ref() != Some(&w.to))
    {
        let current = now.value(&write.field);
        if current.as_ref() == write.from.as_ref() {
            undone.restored.push(write.field.clone());
            continue;
        }
        if current.as_ref() != Some(&write.to) {
            undone.kept.push((write.field.clone(), current));
            continue;
        }
        match (&write.field, &write.from) {
            (ConflictField::Name, Some(Value::String(name))) => update = update.name(name.clone()),
            (ConflictField::Manager, Some(Value::String(id))) => {
                update = update.contact_manager(id.as_str());
            }
            // An empty id clears the manager (Rocket.Chat 8.1 and later; older servers
            // ignore it, which the read-back below finds).
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
                undone.could_not.push((write.field.clone(), current));
                continue;
            }
        }
        sent.push(write);
    }
    if sent.is_empty() {
        return undone;
    }
    if custom_changed {
        for (key, value) in custom {
            update = update.custom_field(key, value);
        }
    }
    if let Err(error) = update.await {
        undone.error = Some(error.to_string());
    }
    // Only what the server now holds counts as restored.
    let after = read(client, pacer, &written.contact_id)
        .await
        .map(|c| Snapshot::of(&c));
    for write in sent {
        let holds = match &after {
            Ok(after) => after.value(&write.field),
            Err(_) => None,
        };
        if after.is_ok() && holds.as_ref() == write.from.as_ref() {
            undone.restored.push(write.field.clone());
        } else {
            undone.could_not.push((write.field.clone(), holds));
        }
    }
    if let (Err(error), None) = (after, &undone.error) {
        undone.error = Some(format!("the contact could not be read back: {error}"));
    }
    undone
}
