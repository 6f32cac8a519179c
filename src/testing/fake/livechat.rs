//! What the widget's public routes do to contacts, as Rocket.Chat's community edition does it:
//! visitors registered by token, rooms that link a visitor to a contact, and the merge that
//! records conflicts. The HTTP routes (`routes/livechat/`) and
//! [`FakeRocketChat::merge_visitor`](super::FakeRocketChat::merge_visitor) both call this.
//!
//! Sources (RocketChat/Rocket.Chat; the commit or index id read is named where it matters):
//! - `ContactMerger.ts` (156540a3, same as app/livechat's 91047496): incoming values equal to
//!   a value the contact has (its fields or its conflict entries) are dropped; emails,
//!   phones and channels are added; a name or manager is set when the contact has none (or
//!   in overwrite mode, used for `unknown` contacts) and otherwise becomes a conflict entry;
//!   a custom field is set when absent and otherwise dropped (no conflict from the merger).
//! - `updateContactsCustomFields` (server/lib/omnichannel/custom-fields.ts): with
//!   `overwrite: false` and a value present, `{field: "customFields.<key>", value}` is
//!   appended, even when equal, whatever `unknown` says.
//! - `registerGuest` (omni-core) and its ContactMerger patch in `startup.ts` (5c53320a):
//!   a visitor is found by token, then phone, then email; name, phone, email and username are
//!   merged into every contact already linked to it.
//! - `migrateVisitorIfMissingContact` / `migrateVisitorToContactId` (b7bda184) and
//!   `createContactFromVisitor` (`mapVisitorToContact`, 7dd56553): a new room links the
//!   visitor to the contact that has its channel, else merges it into a pre-registered
//!   contact with the same email or phone, else creates an `unknown` contact.

use serde_json::{Map, Value, json};

use super::state::{RoomRecord, State, now_iso};

/// What a visitor brings to a contact.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    pub(crate) names: Vec<String>,
    pub(crate) usernames: Vec<String>,
    pub(crate) emails: Vec<String>,
    pub(crate) phones: Vec<String>,
    /// User ids; the caller resolves usernames and drops unknown users.
    pub(crate) managers: Vec<String>,
    pub(crate) custom_fields: Vec<(String, Value)>,
    pub(crate) channels: Vec<Value>,
}

/// How a merge treats a field the contact already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Known contacts: a different value is recorded as a conflict.
    Conflict,
    /// `unknown` contacts: the new value replaces the old one.
    Overwrite,
}

impl Mode {
    pub(crate) fn for_contact(contact: &Map<String, Value>) -> Self {
        if contact.get("unknown").and_then(Value::as_bool) == Some(true) {
            Self::Overwrite
        } else {
            Self::Conflict
        }
    }
}

/// The values of `list[].key` as strings.
fn list_values<'a>(contact: &'a Map<String, Value>, list: &str, key: &str) -> Vec<&'a str> {
    contact
        .get(list)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.get(key).and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the contact already holds `value` for `field` (`name`, `manager`,
/// `customFields.<key>`), as its value or as a conflict entry.
fn holds(contact: &Map<String, Value>, field: &str, value: &Value) -> bool {
    let current = match field {
        "name" => contact.get("name"),
        "manager" => contact.get("contactManager"),
        _ => field
            .strip_prefix("customFields.")
            .and_then(|key| contact.get("customFields")?.get(key)),
    };
    current == Some(value)
        || contact
            .get("conflictingFields")
            .and_then(Value::as_array)
            .is_some_and(|entries| {
                entries.iter().any(|entry| {
                    entry.get("field").and_then(Value::as_str) == Some(field)
                        && entry.get("value") == Some(value)
                })
            })
}

fn is_set(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// Whether two channels are the same visitor on the same source (`isSameChannel`).
fn same_channel(a: &Value, b: &Value) -> bool {
    let visitor = |c: &Value| c.pointer("/visitor/visitorId").cloned();
    let source_type = |c: &Value| c.pointer("/visitor/source/type").cloned();
    let source_id = |c: &Value| c.pointer("/visitor/source/id").cloned();
    visitor(a) == visitor(b)
        && source_type(a) == source_type(b)
        && (source_id(a).is_none() && source_id(b).is_none() || source_id(a) == source_id(b))
}

fn add_to_set(contact: &mut Map<String, Value>, list: &str, item: Value) {
    let entries = contact.entry(list).or_insert_with(|| json!([]));
    if !entries.is_array() {
        *entries = json!([]);
    }
    if let Value::Array(entries) = entries
        && !entries.contains(&item)
    {
        entries.push(item);
    }
}

/// `ContactMerger.mergeFieldsIntoContact` on one contact document. Disabled contacts are
/// left alone (`updateById` filters on `enabled != false`). Returns whether it changed.
pub(crate) fn merge_fields(contact: &mut Map<String, Value>, fields: Fields, mode: Mode) -> bool {
    if contact.get("enabled") == Some(&Value::Bool(false)) {
        return false;
    }
    let before = contact.clone();
    let emails: Vec<String> = list_values(contact, "emails", "address")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let phones: Vec<String> = list_values(contact, "phones", "phoneNumber")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut new_names: Vec<String> = Vec::new();
    for name in fields.names {
        if !holds(contact, "name", &json!(name)) && !new_names.contains(&name) {
            new_names.push(name);
        }
    }
    let mut new_managers: Vec<String> = Vec::new();
    for manager in fields.managers {
        if !holds(contact, "manager", &json!(manager)) && !new_managers.contains(&manager) {
            new_managers.push(manager);
        }
    }
    for email in fields.emails {
        if !emails.contains(&email) {
            add_to_set(contact, "emails", json!({"address": email}));
        }
    }
    for phone in fields.phones {
        if !phones.contains(&phone) {
            add_to_set(contact, "phones", json!({"phoneNumber": phone}));
        }
    }
    for channel in fields.channels {
        let known = contact
            .get("channels")
            .and_then(Value::as_array)
            .is_some_and(|channels| channels.iter().any(|c| same_channel(c, &channel)));
        if !known {
            add_to_set(contact, "channels", channel);
            contact.insert("preRegistration".into(), json!(false));
        }
    }
    let overwrite = mode == Mode::Overwrite;
    let has_name = is_set(contact.get("name"));
    let mut conflicts: Vec<Value> = Vec::new();
    let mut names = new_names.into_iter();
    if !has_name || overwrite {
        if let Some(first) = names.next() {
            contact.insert("name".into(), json!(first));
        } else if !has_name && let Some(username) = fields.usernames.into_iter().next() {
            // A username names a contact only when nothing else does.
            contact.insert("name".into(), json!(username));
        }
    }
    conflicts.extend(names.map(|name| json!({"field": "name", "value": name})));
    let mut managers = new_managers.into_iter();
    if (!is_set(contact.get("contactManager")) || overwrite)
        && let Some(first) = managers.next()
    {
        contact.insert("contactManager".into(), json!(first));
    }
    conflicts.extend(managers.map(|manager| json!({"field": "manager", "value": manager})));
    for (key, value) in fields.custom_fields {
        let custom = contact.entry("customFields").or_insert_with(|| json!({}));
        if !custom.is_object() {
            *custom = json!({});
        }
        if let Value::Object(custom) = custom
            && (!is_set(custom.get(&key)) || overwrite)
        {
            custom.insert(key, value);
        }
    }
    if mode == Mode::Conflict {
        for conflict in conflicts {
            add_to_set(contact, "conflictingFields", conflict);
        }
    }
    let changed = *contact != before;
    if changed {
        contact.insert("_updatedAt".into(), json!(now_iso()));
    }
    changed
}

/// `updateContactsCustomFields`: set when absent (or with `overwrite`), else append a
/// conflict entry, even one equal to the current value.
pub(crate) fn update_custom_field(
    contact: &mut Map<String, Value>,
    key: &str,
    value: &Value,
    overwrite: bool,
) {
    if contact.get("enabled") == Some(&Value::Bool(false)) {
        return;
    }
    let present = contact
        .get("customFields")
        .and_then(|fields| fields.get(key))
        .is_some_and(|v| is_set(Some(v)) && v != &Value::Bool(false));
    if overwrite || !present {
        let custom = contact.entry("customFields").or_insert_with(|| json!({}));
        if !custom.is_object() {
            *custom = json!({});
        }
        if let Value::Object(custom) = custom {
            custom.insert(key.to_owned(), value.clone());
        }
    } else {
        let entries = contact
            .entry("conflictingFields")
            .or_insert_with(|| json!([]));
        if !entries.is_array() {
            *entries = json!([]);
        }
        if let Value::Array(entries) = entries {
            entries.push(json!({"field": format!("customFields.{key}"), "value": value}));
        }
    }
    contact.insert("_updatedAt".into(), json!(now_iso()));
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

/// Applies `change` to a stored contact and stores it again.
pub(crate) fn update_contact(
    state: &mut State,
    id: &str,
    change: impl FnOnce(&mut Map<String, Value>),
) {
    if let Some(mut contact) = state.contacts.get(id) {
        change(&mut contact);
        state.contacts.put(id, &contact);
    }
}

/// A visitor document as `LivechatVisitors` stores it.
pub(crate) fn visitor_fields(visitor: &Map<String, Value>) -> Fields {
    let text = |key: &str| visitor.get(key).and_then(Value::as_str).map(str::to_owned);
    Fields {
        names: text("name").into_iter().collect(),
        usernames: text("username").into_iter().collect(),
        emails: list_values(visitor, "visitorEmails", "address")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        phones: list_values(visitor, "phone", "phoneNumber")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        managers: visitor
            .get("contactManager")
            .and_then(|m| m.get("_id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect(),
        custom_fields: visitor
            .get("livechatData")
            .and_then(Value::as_object)
            .map(|data| data.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        channels: Vec::new(),
    }
}

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
