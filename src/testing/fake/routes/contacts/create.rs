//! `POST omnichannel/contacts` (`createContact.ts`): a known (`unknown: false`),
//! pre-registered contact; custom fields are checked against the workspace's definitions.

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use super::{check_manager, email_list, optional_string, phone_list, string_list};
use crate::testing::fake::custom_fields;
use crate::testing::fake::state::State;
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts";

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let body = match call.valid_body(state.profile.version, ROUTE) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let manager = optional_string(&body, "contactManager");
    if let Err(reply) = check_manager(state, manager.as_deref()) {
        return reply;
    }
    let received = match body.get("customFields") {
        Some(Value::Object(fields)) => fields.clone(),
        _ => Map::new(),
    };
    let fields = match custom_fields::validate(&state.custom_fields, &received, &Map::new()) {
        Ok(fields) => fields,
        Err(message) => return Reply::error(400, &message),
    };
    let mut doc = Map::new();
    doc.insert(
        "name".into(),
        json!(optional_string(&body, "name").unwrap_or_default()),
    );
    doc.insert(
        "emails".into(),
        email_list(&string_list(&body, "emails").unwrap_or_default()),
    );
    doc.insert(
        "phones".into(),
        phone_list(&string_list(&body, "phones").unwrap_or_default()),
    );
    doc.insert("customFields".into(), Value::Object(fields));
    if let Some(manager) = manager.filter(|m| !m.is_empty()) {
        doc.insert("contactManager".into(), json!(manager));
    }
    doc.insert("unknown".into(), json!(false));
    doc.insert("preRegistration".into(), json!(true));
    doc.insert("conflictingFields".into(), json!([]));
    let id = state.add_contact_document(doc, true);
    Reply::ok_with("contactId", json!(id))
}
