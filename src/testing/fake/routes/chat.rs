//! `POST chat.postMessage` (`apps/meteor/app/api/server/v1/chat.ts`, a1167b28-era and
//! newer; read at 00daca25): the body is `oneOf` a `roomId` branch and a `channel` branch,
//! each with `additionalProperties: false` (`packages/rest-typings/src/v1/chat.ts` at
//! 00e16d1a); `processWebhookMessage.ts` (0066124e) resolves the target — `#name` a room by
//! id or name, `@user` a direct message created on demand, anything else a room by id or
//! name and then a user id — and joins a public room on the way. A target it cannot find is
//! 400 `[invalid-channel]` with `errorType`; a private room the user is not in is the plain
//! `error-not-allowed` of `canSendMessage.ts`. No permission of its own; the default rate
//! limit applies. Missing text is not an error there (an empty message is stored).

use serde_json::{Map, Value, json};

use super::call::Call;
use super::reply::Reply;
use crate::testing::fake::state::{ChatRoom, State, epoch_ms, now_iso};
use crate::testing::fake::users::UserRecord;

/// The keys both branches of the schema allow; `tmid` only with `roomId`.
const KEYS: [&str; 8] = [
    "text",
    "alias",
    "emoji",
    "avatar",
    "attachments",
    "customFields",
    "parseUrls",
    "tmid",
];

pub(crate) fn handle(state: &mut State, call: &Call<'_>, user: &UserRecord) -> Reply {
    let Value::Object(body) = call.json_body() else {
        return Reply::invalid_params("must be object");
    };
    let target = match check(&body) {
        Ok(target) => target,
        Err(message) => return Reply::invalid_params(&message),
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

/// The target, or the validator's message (ajv, first error of each `oneOf` branch).
fn check(body: &Map<String, Value>) -> Result<String, String> {
    let target = match (body.get("roomId"), body.get("channel")) {
        (Some(_), Some(_)) => {
            return Err(
                "must NOT have additional properties\n must NOT have additional \
                        properties\n must match exactly one schema in oneOf"
                    .into(),
            );
        }
        (None, None) => {
            return Err(
                "must have required property 'roomId'\n must have required property \
                        'channel'\n must match exactly one schema in oneOf"
                    .into(),
            );
        }
        (Some(target), None) | (None, Some(target)) => target,
    };
    let with_room_id = body.contains_key("roomId");
    let extra = body.keys().any(|key| {
        !(key == "roomId" || key == "channel" || KEYS.contains(&key.as_str()))
            || (key == "tmid" && !with_room_id)
    });
    if extra {
        return Err(
            "must NOT have additional properties\n must NOT have additional \
                    properties\n must match exactly one schema in oneOf"
                .into(),
        );
    }
    match target {
        Value::String(target) => Ok(target.clone()),
        _ => Err("must be string\n must be string\n must match exactly one schema in oneOf".into()),
    }
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
