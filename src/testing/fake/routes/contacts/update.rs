//! `POST omnichannel/contacts.update` (`updateContact.ts`): the contact must exist, a
//! manager must be an agent, custom fields are checked against the definitions (a legacy
//! field already stored but no longer defined is kept as it is), and every write sets
//! `unknown: false` (`LivechatContacts.patchContact`).
//!
//! Read at ba4cc4dd (`updateContact.ts`): `name` is set as sent, `""` included; with
//! `wipeConflicts` and conflicts present, `Resolved_Conflicts_Count` grows by their number.
//! The contact is found with `findOneById` (disabled ones too) before PR #38265 and with
//! `findOneEnabledById` after it (that fix's spec), on the profile's `empty_manager_clears`
//! switch. Unconfirmed: renaming the contact's rooms to `""` may then fail with
//! `error-invalid-operation` after the contact was saved (`LivechatRooms.updateContactDataByContactId`);
//! the fake keeps no rooms to rename.

use serde_json::{Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use super::{check_manager, email_list, optional_string, phone_list, string_list};
use crate::testing::fake::custom_fields;
use crate::testing::fake::state::{State, now_iso};
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.update";

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let body = match call.valid_body(state.profile.version, ROUTE) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let id = optional_string(&body, "contactId").unwrap_or_default();
    let found = if state.profile.empty_manager_clears() {
        state.contacts.get_enabled(&id)
    } else {
        state.contacts.get(&id)
    };
    let Some(mut contact) = found else {
        return Reply::error(400, "error-contact-not-found");
    };
    let manager = optional_string(&body, "contactManager");
    if let Err(reply) = check_manager(state, manager.as_deref()) {
        return reply;
    }
    if let Some(Value::Object(received)) = body.get("customFields") {
        let legacy =
            custom_fields::legacy_fields(&state.custom_fields, contact.get("customFields"));
        match custom_fields::validate(&state.custom_fields, received, &legacy) {
            Ok(fields) => {
                contact.insert("customFields".into(), Value::Object(fields));
            }
            Err(message) => return Reply::error(400, &message),
        }
    }
    if let Some(name) = optional_string(&body, "name") {
        contact.insert("name".into(), json!(name));
    }
    if let Some(emails) = string_list(&body, "emails") {
        contact.insert("emails".into(), email_list(&emails));
    }
    if let Some(phones) = string_list(&body, "phones") {
        contact.insert("phones".into(), phone_list(&phones));
    }
    match manager.as_deref() {
        Some("") if state.profile.empty_manager_clears() => {
            contact.remove("contactManager");
        }
        Some("") | None => {}
        Some(manager) => {
            contact.insert("contactManager".into(), json!(manager));
        }
    }
    if body.get("wipeConflicts").and_then(Value::as_bool) == Some(true) {
        let wiped = contact
            .get("conflictingFields")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        state.resolved_conflicts_count += wiped as u64;
        contact.insert("conflictingFields".into(), json!([]));
    }
    contact.insert("unknown".into(), json!(false));
    contact.insert("_updatedAt".into(), json!(now_iso()));
    state.contacts.put(&id, &contact);
    Reply::ok_with("contact", Value::Object(contact))
}
