//! One stored contact: its JSON text and the keys the views sort and filter by.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::order::{NameKey, UnknownKey, mongo_cmp};

/// One stored contact.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) id: Box<str>,
    pub(super) json: Box<str>,
    name: NameKey,
    /// Where this contact's search text (lower-cased name, email addresses and phone
    /// numbers, one per line) sits in the store's arena: start and length.
    pub(super) hay: (u32, u32),
    pub(super) unknown: UnknownKey,
    pub(super) enabled: bool,
    /// `_updatedAt` as stored (`Null` when missing), for the view by change.
    updated: Value,
}

impl Slot {
    pub(super) fn new(id: &str, doc: &Map<String, Value>) -> Self {
        Self {
            id: id.into(),
            json: serde_json::to_string(doc).unwrap_or_default().into(),
            name: NameKey::of(doc),
            hay: (0, 0),
            unknown: UnknownKey::of(doc),
            enabled: doc.get("enabled").and_then(Value::as_bool) != Some(false),
            updated: doc.get("_updatedAt").cloned().unwrap_or(Value::Null),
        }
    }

    pub(super) fn by_name(&self, other: &Self) -> Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.id.cmp(&other.id))
    }

    pub(super) fn by_id(&self, other: &Self) -> Ordering {
        self.id.cmp(&other.id)
    }

    pub(super) fn by_updated(&self, other: &Self) -> Ordering {
        mongo_cmp(&self.updated, &other.updated).then_with(|| self.id.cmp(&other.id))
    }
}

pub(super) fn haystack(doc: &Map<String, Value>) -> String {
    let mut text = String::new();
    if let Some(name) = doc.get("name").and_then(Value::as_str) {
        text.push_str(&name.to_lowercase());
    }
    for (list, key) in [("emails", "address"), ("phones", "phoneNumber")] {
        for item in doc
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(value) = item.get(key).and_then(Value::as_str) {
                text.push('\n');
                text.push_str(&value.to_lowercase());
            }
        }
    }
    text
}
