//! `GET omnichannel/contacts.channels`: the latest channel per name; an unknown id gives `[]`.

use serde_json::Value;

use super::super::{Call, Reply};
use crate::testing::fake::state::State;
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.channels";

pub(crate) fn handle(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let params = match call.valid_query(ROUTE) {
        Ok(params) => params,
        Err(reply) => return reply,
    };
    if !user.has_permission("view-livechat-contact") {
        return Reply::forbidden(state);
    }
    let id = params["contactId"].as_str().unwrap_or_default();
    let mut latest: Vec<Value> = Vec::new();
    if let Some(Value::Array(channels)) = state
        .contacts
        .get(id)
        .and_then(|mut c| c.remove("channels"))
    {
        for channel in channels {
            let name = channel.get("name").cloned();
            match latest.iter_mut().find(|c| c.get("name") == name.as_ref()) {
                Some(slot) => *slot = channel,
                None => latest.push(channel),
            }
        }
    }
    Reply::ok_with("channels", Value::Array(latest))
}
