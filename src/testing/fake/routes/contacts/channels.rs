//! `GET omnichannel/contacts.channels`: one channel per name, the one whose `lastChat.ts` is
//! the greatest (a missing one counts as 0, and a tie keeps the first), in the order names
//! first appear; an unknown id gives `[]` (`getContactChannelsGrouped.ts`, read at 04994312).

use serde_json::Value;

use super::super::call::Call;
use super::super::reply::Reply;
use crate::testing::fake::state::State;
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.channels";

/// `lastChat.ts` in epoch milliseconds; 0 when missing or unreadable (`valueOf() || 0`).
fn last_chat_ms(channel: &Value) -> i64 {
    channel
        .pointer("/lastChat/ts")
        .and_then(Value::as_str)
        .and_then(|ts| ts.parse::<jiff::Timestamp>().ok())
        .map_or(0, |ts| ts.as_millisecond())
}

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let params = match call.valid_query(state.profile.version, ROUTE) {
        Ok(params) => params,
        Err(reply) => return reply,
    };
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
                Some(slot) if last_chat_ms(&channel) > last_chat_ms(slot) => *slot = channel,
                Some(_) => {}
                None => latest.push(channel),
            }
        }
    }
    Reply::ok_with("channels", Value::Array(latest))
}
