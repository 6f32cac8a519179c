//! Rooms: the channel a room adds to a contact, the contact a new room is linked to
//! (`migrateVisitorIfMissingContact`), and opening and closing a room.

use serde_json::{Map, Value, json};

use super::merge::{Mode, list_values, merge_fields, same_channel, update_contact, visitor_fields};
use crate::testing::fake::state::{RoomRecord, State, now_iso};

/// The channel a room on `source` adds to a contact.
pub(crate) fn channel(visitor_id: &str, source: &Value) -> Value {
    let kind = source.get("type").cloned().unwrap_or(json!("api"));
    json!({
        "name": source.get("label").cloned().unwrap_or_else(|| kind.clone()),
        "visitor": {"visitorId": visitor_id, "source": {"type": kind}},
        "blocked": false,
        "verified": false,
        "details": source,
    })
}

/// `migrateVisitorIfMissingContact`: the contact that has this visitor's channel on this
/// source; else the pre-registered contact with the visitor's email or phone, merged with
/// the visitor; else a new contact made from the visitor (`unknown` until it has activity).
pub(crate) fn contact_for_room(
    state: &mut State,
    visitor: &Map<String, Value>,
    source: &Value,
) -> String {
    let visitor_id = visitor
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let wanted = channel(&visitor_id, source);
    let existing = state.contacts.enabled_ids_where(|contact| {
        contact
            .get("channels")
            .and_then(Value::as_array)
            .is_some_and(|channels| channels.iter().any(|c| same_channel(c, &wanted)))
    });
    if let Some(id) = existing.into_iter().next() {
        return id;
    }
    let fields = visitor_fields(visitor);
    let matching = state.contacts.enabled_ids_where(|contact| {
        contact.get("preRegistration") == Some(&Value::Bool(true))
            && (fields
                .emails
                .iter()
                .any(|e| list_values(contact, "emails", "address").contains(&e.as_str()))
                || fields
                    .phones
                    .iter()
                    .any(|p| list_values(contact, "phones", "phoneNumber").contains(&p.as_str())))
    });
    if let Some(id) = matching.into_iter().next() {
        let mut fields = fields;
        fields.channels.push(wanted);
        update_contact(state, &id, |contact| {
            let mode = Mode::for_contact(contact);
            merge_fields(contact, fields, mode);
        });
        return id;
    }
    let now = now_iso();
    let mut doc = Map::new();
    let name = fields.names.first().or(fields.usernames.first());
    if let Some(name) = name {
        doc.insert("name".into(), json!(name));
    }
    doc.insert(
        "emails".into(),
        Value::Array(
            fields
                .emails
                .iter()
                .map(|a| json!({"address": a}))
                .collect(),
        ),
    );
    doc.insert(
        "phones".into(),
        Value::Array(
            fields
                .phones
                .iter()
                .map(|p| json!({"phoneNumber": p}))
                .collect(),
        ),
    );
    if let Some(manager) = fields.managers.first() {
        doc.insert("contactManager".into(), json!(manager));
    }
    let custom: Map<String, Value> = fields
        .custom_fields
        .into_iter()
        .filter(|(key, _)| {
            state
                .custom_fields
                .iter()
                .any(|f| &f.id == key && f.scope == "visitor")
        })
        .collect();
    doc.insert("customFields".into(), Value::Object(custom));
    doc.insert("channels".into(), json!([wanted]));
    doc.insert("conflictingFields".into(), json!([]));
    doc.insert("unknown".into(), json!(true));
    doc.insert("preRegistration".into(), json!(false));
    doc.insert("createdAt".into(), json!(now));
    doc.insert("_updatedAt".into(), json!(now));
    state.add_contact_document(doc, false)
}

/// Opens a room for the visitor on `source` (`createRoom` → `prepareLivechatRoom`), linking
/// it to its contact and stamping `lastChat` on the contact and its channel (`onNewRoom`).
pub(crate) fn open_room(state: &mut State, visitor: &Map<String, Value>, source: &Value) -> Value {
    let contact_id = contact_for_room(state, visitor, source);
    let visitor_id = visitor
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let rid = state.new_id();
    let now = now_iso();
    let last_chat = json!({"_id": rid, "ts": now});
    let source_type = source.get("type").cloned().unwrap_or(json!("api"));
    update_contact(state, &contact_id, |contact| {
        contact.insert("lastChat".into(), last_chat.clone());
        if let Some(Value::Array(channels)) = contact.get_mut("channels") {
            for c in channels.iter_mut().filter(|c| {
                c.pointer("/visitor/visitorId").and_then(Value::as_str) == Some(visitor_id.as_str())
                    && c.pointer("/visitor/source/type") == Some(&source_type)
            }) {
                c["lastChat"] = last_chat.clone();
            }
        }
        contact.insert("_updatedAt".into(), json!(now));
    });
    let fname = state
        .contacts
        .get(&contact_id)
        .and_then(|c| c.get("name").cloned())
        .unwrap_or(Value::Null);
    state.rooms.push(RoomRecord {
        id: rid.clone(),
        visitor_id: visitor_id.clone(),
        contact_id: Some(contact_id.clone()),
        open: true,
        source: source.clone(),
        opened_at: now.clone(),
    });
    json!({
        "_id": rid,
        "fname": fname,
        "t": "l",
        "v": {
            "_id": visitor_id,
            "username": visitor.get("username"),
            "token": visitor.get("token"),
            "status": visitor.get("status"),
        },
        "contactId": contact_id,
        "open": true,
        "source": source,
        "ts": now,
    })
}

/// Closes an open room; it then counts in its contact's history.
pub(crate) fn close_room(state: &mut State, rid: &str) {
    let now = now_iso();
    let Some(room) = state.rooms.iter_mut().find(|r| r.id == rid && r.open) else {
        return;
    };
    room.open = false;
    let chat = json!({
        "_id": room.id,
        "ts": room.opened_at,
        "closedAt": now,
        "source": room.source,
        "v": {"_id": room.visitor_id},
    });
    if let Some(contact_id) = room.contact_id.clone() {
        state.history.entry(contact_id).or_default().push(chat);
    }
}
