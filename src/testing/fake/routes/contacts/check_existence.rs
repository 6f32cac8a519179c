//! `GET omnichannel/contacts.checkExistence` (7.2.0+): exactly one of `contactId`, `email`,
//! `phone` (the schema's `oneOf`). `LivechatContacts.countByContactInfo` (read at 1d777246)
//! counts with no `enabled` filter and no collation: a deleted contact still exists by id
//! (its emails and phones were unset, so not by those), and emails match exactly, case
//! included.

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use crate::testing::fake::state::State;
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.checkExistence";

fn list_has(
    contact: &Map<String, Value>,
    list: &str,
    key: &str,
    matches: impl Fn(&str) -> bool,
) -> bool {
    contact
        .get(list)
        .and_then(Value::as_array)
        .is_some_and(|items| {
            items
                .iter()
                .any(|item| item.get(key).and_then(Value::as_str).is_some_and(&matches))
        })
}

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let params = match call.valid_query(state.profile.version, ROUTE) {
        Ok(params) => params,
        Err(reply) => return reply,
    };
    let text = |key: &str| params.get(key).and_then(Value::as_str);
    let exists = if let Some(id) = text("contactId") {
        state.contacts.get(id).is_some()
    } else if let Some(email) = text("email") {
        state
            .contacts
            .any_where(false, |c| list_has(c, "emails", "address", |v| v == email))
    } else {
        let phone = text("phone").unwrap_or_default();
        state.contacts.any_where(false, |c| {
            list_has(c, "phones", "phoneNumber", |v| v == phone)
        })
    };
    Reply::ok_with("exists", json!(exists))
}
