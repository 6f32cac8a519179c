//! `GET omnichannel/contacts.history`: the contact's closed conversations, paged; an unknown
//! contact is a 400 `error-contact-not-found`.

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use super::pagination;
use crate::testing::fake::state::State;
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.history";

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let params = match call.valid_query(state.profile.version, ROUTE) {
        Ok(params) => params,
        Err(reply) => return reply,
    };
    let (count, offset) = pagination(&params);
    let id = params["contactId"].as_str().unwrap_or_default();
    if state.contacts.get_enabled(id).is_none() {
        return Reply::error(400, "error-contact-not-found");
    }
    let source = params.get("source").and_then(Value::as_str);
    let chats: Vec<&Value> = state
        .history
        .get(id)
        .map(|chats| {
            chats
                .iter()
                .filter(|chat| {
                    source.is_none_or(|s| {
                        chat.pointer("/source/type").and_then(Value::as_str) == Some(s)
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let total = chats.len();
    let page: Vec<Value> = chats
        .into_iter()
        .skip(offset)
        .take(count)
        .cloned()
        .collect();
    let mut body = Map::new();
    body.insert("count".into(), json!(page.len()));
    body.insert("history".into(), Value::Array(page));
    body.insert("offset".into(), json!(offset));
    body.insert("total".into(), json!(total));
    Reply::ok(body)
}
