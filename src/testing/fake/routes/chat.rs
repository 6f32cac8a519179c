//! `POST chat.postMessage` (`apps/meteor/app/api/server/v1/chat.ts`, read at 00daca25): the
//! body is `oneOf` a `roomId` branch and a `channel` branch, each with
//! `additionalProperties: false` (each release's own schema, `schemas-by-release.json`);
//! `processWebhookMessage.ts` (0066124e) resolves the target — `#name` a room by
//! id or name, `@user` a direct message created on demand, anything else a room by id or
//! name and then a user id — and joins a public room on the way. A target it cannot find is
//! 400 `[invalid-channel]` with `errorType`; a private room the user is not in is the plain
//! `error-not-allowed` of `canSendMessage.ts`. No permission of its own; the default rate
//! limit applies. Missing text is not an error there (an empty message is stored).

use serde_json::{Value, json};

use super::call::Call;
use super::reply::Reply;
use crate::testing::fake::state::{ChatRoom, State, epoch_ms, now_iso};
use crate::testing::fake::users::UserRecord;

pub(crate) fn handle(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let body = match call.valid_body(state.profile.version, "chat.postMessage") {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let target = match body.get("roomId").or_else(|| body.get("channel")) {
        Some(Value::String(target)) => target.clone(),
        // The schema allows a list of targets; the fake posts to one.
        _ => return Reply::invalid_params("must be string"),
    };
    let room = match find(state, &target, user) {
        Some(room) => room,
        None => {
            return Reply::error_json(
                400,
                br#"{"success":false,"error":"[invalid-channel]","errorType":"invalid-channel"}"#
                    .to_vec(),
            );
        }
    };
    if !room.admits(&user.id) {
        return Reply::error(400, "error-not-allowed");
    }
    let text = body
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim();
    let now = now_iso();
    let id = state.new_id();
    let message = json!({
        "_id": id,
        "rid": room.id,
        "msg": text,
        "ts": now,
        "u": {"_id": user.id, "username": user.username, "name": user.name},
        "alias": "",
        "groupable": false,
        "attachments": [],
        "parseUrls": true,
        "urls": [],
        "mentions": [],
        "channels": [],
        "_updatedAt": now,
    });
    state.messages.push(message.clone());
    Reply::ok(
        json!({"ts": epoch_ms(std::time::SystemTime::now()), "channel": target, "message": message})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    )
}

/// Resolves a target as `getRoomByNameOrIdWithOptionToJoin` does.
fn find(state: &mut State, target: &str, user: &UserRecord) -> Option<ChatRoom> {
    let by_id_or_name = |state: &State, key: &str| {
        state
            .chat_rooms
            .iter()
            .find(|room| room.id == key || room.name.as_deref() == Some(key))
            .cloned()
    };
    let direct = |state: &mut State, other: Option<String>| {
        let other = other?;
        let mut ids = [user.id.clone(), other];
        ids.sort();
        let id = ids.concat();
        if let Some(room) = state.chat_rooms.iter().find(|r| r.id == id) {
            return Some(room.clone());
        }
        let room = ChatRoom {
            id,
            name: None,
            kind: 'd',
            members: Some(ids.to_vec()),
        };
        state.chat_rooms.push(room.clone());
        Some(room)
    };
    if let Some(name) = target.strip_prefix('#') {
        return by_id_or_name(state, name);
    }
    if let Some(name) = target.strip_prefix('@') {
        let other = state
            .users
            .iter()
            .find(|u| u.id == name || u.username == name)
            .map(|u| u.id.clone());
        return direct(state, other);
    }
    if let Some(room) = by_id_or_name(state, target) {
        return Some(room);
    }
    let other = state.user(target).map(|u| u.id.clone());
    direct(state, other)
}
