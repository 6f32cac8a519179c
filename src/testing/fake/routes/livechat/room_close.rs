//! `POST livechat/room.close` (`room.ts`, `closeRoom`): the visitor closes its room, which
//! then counts in its contact's history. Checks in the server's order: the token, the room,
//! whether it is still open.

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use crate::testing::fake::livechat;
use crate::testing::fake::state::State;

const ROUTE: &str = "livechat/room.close";

pub(crate) fn handle(state: &mut State, call: &Call<'_>) -> Reply {
    let body = match call.valid_body(state.profile.version, ROUTE) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
    let (rid, token) = (text("rid"), text("token"));
    let Some(index) = livechat::visitor_by_token(state, token) else {
        return Reply::error(400, "invalid-token");
    };
    let visitor_id = state.visitors[index]
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let Some(room) = state
        .rooms
        .iter()
        .find(|r| r.id == rid && r.visitor_id == visitor_id)
    else {
        return Reply::error(400, "invalid-room");
    };
    if !room.open {
        return Reply::error(400, "room-closed");
    }
    livechat::close_room(state, rid);
    let mut answer = Map::new();
    answer.insert("rid".into(), json!(rid));
    answer.insert("comment".into(), json!("Closed by visitor"));
    Reply::ok(answer)
}
