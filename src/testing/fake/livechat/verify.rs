//! Enterprise contact verification (`apps/meteor/ee/server/patches/verifyContactChannel.ts`
//! at 986975ab and `mergeContacts.ts` at 22a37f9c, with the `contact-id-verification`
//! licence): the contact's channel is marked verified with the field and value that proved
//! it; every other contact with a verified channel of the same field and value is merged
//! into it (`ContactMerger.getAllFieldsFromContact` then `mergeFieldsIntoContact`, in
//! conflict mode) and then **hard-deleted** (`LivechatContacts.deleteMany`); their rooms
//! point at the kept contact (`LivechatRooms.updateMergedContactIds`). A bot that listed a
//! deleted contact finds its id gone.

use serde_json::{Map, Value, json};

use super::merge::{Fields, Mode, list_values, merge_fields, update_contact};
use crate::testing::fake::state::{State, now_iso};

/// Verifies `contact_id`'s channels by `field` (`email` or `phone`) and `value`, and merges
/// the similar contacts into it. Returns the ids deleted, or `None` when the contact does not
/// exist (or is disabled).
pub(crate) fn verify_channel(
    state: &mut State,
    contact_id: &str,
    field: &str,
    value: &str,
) -> Option<Vec<String>> {
    state.contacts.get_enabled(contact_id)?;
    let value = value.to_lowercase();
    update_contact(state, contact_id, |contact| {
        if let Some(Value::Array(channels)) = contact.get_mut("channels") {
            for channel in channels.iter_mut().filter_map(Value::as_object_mut) {
                channel.insert("verified".into(), json!(true));
                channel.insert("verifiedAt".into(), json!(now_iso()));
                channel.insert("field".into(), json!(field));
                channel.insert("value".into(), json!(value));
            }
        }
        contact.insert("_updatedAt".into(), json!(now_iso()));
    });
    let similar = state.contacts.enabled_ids_where(|doc| {
        doc.get("_id").and_then(Value::as_str) != Some(contact_id)
            && doc
                .get("channels")
                .and_then(Value::as_array)
                .is_some_and(|channels| {
                    channels.iter().any(|c| {
                        c.get("verified") == Some(&json!(true))
                            && c.get("field").and_then(Value::as_str) == Some(field)
                            && c.get("value").and_then(Value::as_str) == Some(value.as_str())
                    })
                })
    });
    for id in &similar {
        let Some(doc) = state.contacts.get(id) else {
            continue;
        };
        let fields = contact_fields(&doc);
        update_contact(state, contact_id, |contact| {
            merge_fields(contact, fields, Mode::Conflict);
        });
        state.contacts.remove(id);
        for room in state.rooms.iter_mut() {
            if room.contact_id.as_deref() == Some(id.as_str()) {
                room.contact_id = Some(contact_id.to_owned());
            }
        }
        if let Some(history) = state.history.remove(id) {
            state
                .history
                .entry(contact_id.to_owned())
                .or_default()
                .extend(history);
        }
    }
    Some(similar)
}

/// `ContactMerger.getAllFieldsFromContact`: what a contact brings to another.
fn contact_fields(contact: &Map<String, Value>) -> Fields {
    let text = |key: &str| contact.get(key).and_then(Value::as_str).map(str::to_owned);
    Fields {
        names: text("name").into_iter().collect(),
        usernames: Vec::new(),
        emails: list_values(contact, "emails", "address")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        phones: list_values(contact, "phones", "phoneNumber")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        managers: text("contactManager").into_iter().collect(),
        custom_fields: contact
            .get("customFields")
            .and_then(Value::as_object)
            .map(|fields| fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        channels: contact
            .get("channels")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    }
}
