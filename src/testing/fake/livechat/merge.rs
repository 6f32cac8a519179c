//! What a visitor brings to a contact, and the merge itself: `ContactMerger` on one contact
//! document, `updateContactsCustomFields`, and storing the merged contact again. The sources
//! are listed in [`livechat`](super).

use serde_json::{Map, Value, json};

use crate::testing::fake::state::{State, now_iso};

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
pub(super) fn list_values<'a>(
    contact: &'a Map<String, Value>,
    list: &str,
    key: &str,
) -> Vec<&'a str> {
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
pub(super) fn same_channel(a: &Value, b: &Value) -> bool {
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
