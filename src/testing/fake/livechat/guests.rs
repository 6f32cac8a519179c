//! Visitors: `registerGuest`, a visitor's custom fields, lookups by token, and the merge of a
//! [`Visitor`] into a contact that [`FakeRocketChat::merge_visitor`] asks for.
//!
//! [`FakeRocketChat::merge_visitor`]: crate::testing::FakeRocketChat::merge_visitor

use serde_json::{Map, Value, json};

use super::merge::{
    Fields, Mode, list_values, merge_fields, update_contact, update_custom_field, visitor_fields,
};
use super::rooms::{channel, close_room, open_room};
use crate::testing::fake::state::{State, now_iso};
use crate::testing::fake::visitors::Visitor;

/// What `POST livechat/visitor` registers.
#[derive(Debug, Default)]
pub(crate) struct Guest {
    pub(crate) token: String,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) username: Option<String>,
}

/// `registerGuest` and its ContactMerger patch: upserts the visitor (found by token, then
/// phone, then email; lists are replaced, not merged), then merges the name, phone, email and
/// username sent into every contact already linked to it. Returns the visitor's index.
pub(crate) fn register_guest(state: &mut State, guest: Guest) -> usize {
    let email = guest.email.as_deref().map(|e| e.trim().to_lowercase());
    let phone = guest.phone.clone();
    let found = state
        .visitors
        .iter()
        .position(|v| v.get("token").and_then(Value::as_str) == Some(guest.token.as_str()))
        .or_else(|| visitor_with(state, "phone", "phoneNumber", phone.as_deref()?))
        .or_else(|| visitor_with(state, "visitorEmails", "address", email.as_deref()?));
    let now = now_iso();
    let index = match found {
        Some(index) => index,
        None => {
            state.guest_count += 1;
            let id = state.new_id();
            let username = guest
                .username
                .clone()
                .unwrap_or_else(|| format!("guest-{}", state.guest_count));
            state.visitors.push(
                json!({"_id": id, "token": guest.token, "username": username, "ts": now})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
            state.visitors.len() - 1
        }
    };
    let visitor = &mut state.visitors[index];
    visitor.insert("status".into(), json!("online"));
    if let Some(phone) = &phone {
        visitor.insert("phone".into(), json!([{"phoneNumber": phone}]));
    }
    if let Some(name) = &guest.name {
        visitor.insert("name".into(), json!(name));
    }
    if let Some(email) = &email {
        visitor.insert("visitorEmails".into(), json!([{"address": email}]));
    }
    visitor.insert("_updatedAt".into(), json!(now));
    let visitor_id = visitor
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let username = guest.username.clone().or_else(|| {
        visitor
            .get("username")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    for contact_id in linked_contacts(state, &visitor_id) {
        let fields = Fields {
            names: guest.name.clone().into_iter().collect(),
            usernames: username.clone().into_iter().collect(),
            emails: email.clone().into_iter().collect(),
            phones: phone.clone().into_iter().collect(),
            ..Fields::default()
        };
        update_contact(state, &contact_id, |contact| {
            let mode = Mode::for_contact(contact);
            merge_fields(contact, fields, mode);
        });
    }
    index
}

/// A visitor's custom field (`setCustomFields` / `setMultipleVisitorCustomFields`): the
/// visitor's `livechatData` takes it when `overwrite` or when it has none, and every linked
/// contact gets it through [`update_custom_field`].
pub(crate) fn set_visitor_custom_field(
    state: &mut State,
    index: usize,
    key: &str,
    value: &Value,
    overwrite: bool,
) {
    let visitor = &mut state.visitors[index];
    let data = visitor.entry("livechatData").or_insert_with(|| json!({}));
    if !data.is_object() {
        *data = json!({});
    }
    if let Value::Object(data) = data
        && (overwrite || !data.contains_key(key))
    {
        data.insert(key.to_owned(), value.clone());
    }
    let visitor_id = visitor
        .get("_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    for contact_id in linked_contacts(state, &visitor_id) {
        update_contact(state, &contact_id, |contact| {
            update_custom_field(contact, key, value, overwrite);
        });
    }
}

/// The index of the visitor whose `list[].key` holds `value`.
fn visitor_with(state: &State, list: &str, key: &str, value: &str) -> Option<usize> {
    state
        .visitors
        .iter()
        .position(|v| list_values(v, list, key).contains(&value))
}

/// The index of the visitor with this token.
pub(crate) fn visitor_by_token(state: &State, token: &str) -> Option<usize> {
    state
        .visitors
        .iter()
        .position(|v| v.get("token").and_then(Value::as_str) == Some(token))
}

/// The ids of the enabled contacts that have a channel of this visitor
/// (`LivechatContacts.findAllByVisitorId`).
pub(crate) fn linked_contacts(state: &State, visitor_id: &str) -> Vec<String> {
    state.contacts.enabled_ids_where(|contact| {
        contact
            .get("channels")
            .and_then(Value::as_array)
            .is_some_and(|channels| {
                channels.iter().any(|c| {
                    c.pointer("/visitor/visitorId").and_then(Value::as_str) == Some(visitor_id)
                })
            })
    })
}

/// Links a visitor to a contact as Rocket.Chat does when that visitor's room is tied to
/// it (`ContactMerger.mergeVisitorIntoContact`), then applies its custom fields as
/// `livechat/custom.field` with `overwrite: false` does, then opens and closes its room
/// (the contact's `lastChat` and history). The same code serves the widget routes
/// (`routes/livechat/`). `None` when the contact does not exist.
pub(crate) fn merge_visitor(state: &mut State, contact_id: &str, visitor: Visitor) -> Option<()> {
    state.contacts.get(contact_id)?;
    state.guest_count += 1;
    let visitor_id = state.new_id();
    let token = state.new_id();
    let mut doc = Map::new();
    doc.insert("_id".into(), json!(visitor_id));
    doc.insert("token".into(), json!(token));
    doc.insert(
        "username".into(),
        json!(format!("guest-{}", state.guest_count)),
    );
    doc.insert("status".into(), json!("online"));
    if let Some(name) = &visitor.name {
        doc.insert("name".into(), json!(name));
    }
    if let Some(email) = &visitor.email {
        doc.insert("visitorEmails".into(), json!([{"address": email}]));
    }
    if let Some(phone) = &visitor.phone {
        doc.insert("phone".into(), json!([{"phoneNumber": phone}]));
    }
    let source = json!({"type": "widget"});
    let mut fields = visitor_fields(&doc);
    fields.usernames.clear();
    // The merger resolves the visitor's manager to a user and drops it when none exists.
    fields.managers = visitor
        .contact_manager
        .filter(|id| state.user(id).is_some())
        .into_iter()
        .collect();
    fields.channels.push(channel(&visitor_id, &source));
    update_contact(state, contact_id, |contact| {
        let mode = Mode::for_contact(contact);
        merge_fields(contact, fields, mode);
    });
    state.visitors.push(doc);
    let index = state.visitors.len() - 1;
    for (key, value) in &visitor.custom_fields {
        set_visitor_custom_field(state, index, key, value, false);
    }
    let visitor_doc = state.visitors[index].clone();
    let room = open_room(state, &visitor_doc, &source);
    if let Some(rid) = room.get("_id").and_then(Value::as_str) {
        close_room(state, rid);
    }
    Some(())
}
