//! `GET livechat/room?token=…` (`apps/meteor/server/api/v1/omnichannel/room.ts`): the
//! visitor's open room, or a new one, which ties the visitor to a contact (found by its
//! channel, merged into a pre-registered contact with the same email or phone, or created;
//! see `fake/livechat/rooms.rs`). The source is the widget when the cookies `rc_room_type=l` and
//! `rc_is_widget=t` are sent (its destination the `Host` header), else the API. Agent
//! routing is not modelled: the room opens whether or not an agent is online.

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use super::match_error;
use crate::testing::fake::livechat;
use crate::testing::fake::state::State;

pub(crate) fn handle(state: &mut State, call: &Call<'_>) -> Reply {
    let params = call.query_params();
    for key in params.keys() {
        if !["token", "rid", "agentId"].contains(&key.as_str()) {
            return match_error(&format!("Unknown key in field {key}"));
        }
    }
    let Some(token) = params.get("token").and_then(Value::as_str) else {
        return match_error("Missing key 'token'");
    };
    let Some(index) = livechat::visitor_by_token(state, token) else {
        return Reply::error(400, "invalid-token");
    };
    let visitor = state.visitors[index].clone();
    let visitor_id = visitor
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let open = |rid: Option<&str>| {
        state
            .rooms
            .iter()
            .find(|r| r.open && r.visitor_id == visitor_id && rid.is_none_or(|rid| r.id == rid))
            .map(|r| r.id.clone())
    };
    let rid = params.get("rid").and_then(Value::as_str);
    if let Some(existing) = open(rid) {
        let mut body = Map::new();
        body.insert("room".into(), room_json(state, &existing));
        body.insert("newRoom".into(), json!(false));
        return Reply::ok(body);
    }
    if rid.is_some() {
        return Reply::error(400, "invalid-room");
    }
    let source = if is_widget(call) {
        let host = call.header("host").unwrap_or_default();
        json!({"type": "widget", "destination": host})
    } else {
        json!({"type": "api"})
    };
    let room = livechat::open_room(state, &visitor, &source);
    let mut body = Map::new();
    body.insert("room".into(), room);
    body.insert("newRoom".into(), json!(true));
    Reply::ok(body)
}

/// `isWidget`: the cookies the widget sets.
fn is_widget(call: &Call<'_>) -> bool {
    let cookies = call.header("cookie").unwrap_or_default();
    let has = |pair: &str| cookies.split(';').any(|c| c.trim() == pair);
    has("rc_room_type=l") && has("rc_is_widget=t")
}

/// An open room as the route returns it.
fn room_json(state: &State, rid: &str) -> Value {
    let Some(room) = state.rooms.iter().find(|r| r.id == rid) else {
        return Value::Null;
    };
    let fname = room
        .contact_id
        .as_deref()
        .and_then(|id| state.contacts.get(id))
        .and_then(|c| c.get("name").cloned())
        .unwrap_or(Value::Null);
    json!({
        "_id": room.id,
        "fname": fname,
        "t": "l",
        "v": {"_id": room.visitor_id},
        "contactId": room.contact_id,
        "open": room.open,
        "source": room.source,
        "ts": room.opened_at,
    })
}
