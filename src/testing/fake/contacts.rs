//! The contact collection: documents kept as compact JSON text, plus the ordered views that
//! `contacts.search` pages through.
//!
//! A real server keeps contacts in MongoDB with indexes on `name`, `unknown`, `emails.address`
//! and `phones.phoneNumber` (`packages/models/src/models/LivechatContacts.ts`). The fake keeps
//! the same shape of data at a fraction of the memory a `serde_json::Map` per contact costs:
//! each document is stored as its JSON text (parsed again only when a route reads it) and the
//! views hold 4-byte slot numbers, sorted once on insert, so a page is a slice and never a sort
//! of the whole collection.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Value};

/// The value a MongoDB equality filter on `unknown` compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum UnknownKey {
    /// The document has no `unknown` key (or `null`): matched by neither `true` nor `false`.
    Missing,
    False,
    True,
    /// Any other stored value (a string, a number…): matched by no boolean filter either.
    Other,
}

impl UnknownKey {
    fn of(doc: &Map<String, Value>) -> Self {
        match doc.get("unknown") {
            None | Some(Value::Null) => Self::Missing,
            Some(Value::Bool(false)) => Self::False,
            Some(Value::Bool(true)) => Self::True,
            Some(_) => Self::Other,
        }
    }

    #[cfg(test)]
    const ALL: [Self; 4] = [Self::Missing, Self::False, Self::True, Self::Other];

    fn index(self) -> usize {
        self as usize
    }
}

/// A `name` as MongoDB orders it without a collation: missing/`null` first, then numbers,
/// then strings compared byte by byte, then everything else.
#[derive(Clone, Debug, PartialEq)]
enum NameKey {
    Missing,
    Number(f64),
    Text(Box<str>),
    Other,
}

impl NameKey {
    fn of(doc: &Map<String, Value>) -> Self {
        match doc.get("name") {
            None | Some(Value::Null) => Self::Missing,
            Some(Value::Number(n)) => Self::Number(n.as_f64().unwrap_or(0.0)),
            Some(Value::String(s)) => Self::Text(s.as_str().into()),
            Some(_) => Self::Other,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Missing => 0,
            Self::Number(_) => 1,
            Self::Text(_) => 2,
            Self::Other => 3,
        }
    }

    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Number(a), Self::Number(b)) => a.total_cmp(b),
            (Self::Text(a), Self::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// One stored contact.
#[derive(Debug)]
struct Slot {
    id: Box<str>,
    json: Box<str>,
    name: NameKey,
    /// Lower-cased name, email addresses and phone numbers, one per line: what
    /// `searchText` is matched against.
    haystack: Box<str>,
    unknown: UnknownKey,
    enabled: bool,
}

impl Slot {
    fn new(id: &str, doc: &Map<String, Value>) -> Self {
        Self {
            id: id.into(),
            json: serde_json::to_string(doc).unwrap_or_default().into(),
            name: NameKey::of(doc),
            haystack: haystack(doc).into(),
            unknown: UnknownKey::of(doc),
            enabled: doc.get("enabled").and_then(Value::as_bool) != Some(false),
        }
    }

    fn by_name(&self, other: &Self) -> Ordering {
        self.name.cmp(&other.name).then_with(|| self.id.cmp(&other.id))
    }

    fn by_id(&self, other: &Self) -> Ordering {
        self.id.cmp(&other.id)
    }
}

fn haystack(doc: &Map<String, Value>) -> String {
    let mut text = String::new();
    if let Some(name) = doc.get("name").and_then(Value::as_str) {
        text.push_str(&name.to_lowercase());
    }
    for (list, key) in [("emails", "address"), ("phones", "phoneNumber")] {
        for item in doc.get(list).and_then(Value::as_array).into_iter().flatten() {
            if let Some(value) = item.get(key).and_then(Value::as_str) {
                text.push('\n');
                text.push_str(&value.to_lowercase());
            }
        }
    }
    text
}

/// Which ordered view a search walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum View {
    /// `{name: 1}` (the default) or `{name: -1}`.
    Name,
    /// `{_id: 1}` or `{_id: -1}`.
    Id,
}

/// One page of a search.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) contacts: Vec<Map<String, Value>>,
    pub(crate) total: usize,
}

/// The contact collection with its indexes.
#[derive(Debug, Default)]
pub(crate) struct ContactStore {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    ids: HashMap<Box<str>, u32>,
    /// Enabled contacts per [`UnknownKey`], ordered by name then `_id`.
    by_name: [Vec<u32>; 4],
    /// Enabled contacts per [`UnknownKey`], ordered by `_id`.
    by_id: [Vec<u32>; 4],
}

impl ContactStore {
    fn slot(&self, index: u32) -> &Slot {
        self.slots[index as usize]
            .as_ref()
            .expect("views only hold live slots")
    }

    /// The stored document, enabled or not.
    pub(crate) fn get(&self, id: &str) -> Option<Map<String, Value>> {
        let index = *self.ids.get(id)?;
        serde_json::from_str(&self.slot(index).json).ok()
    }

    /// The stored document if it is enabled (`enabled` is not `false`), as every contact
    /// route's `findOneEnabledById` reads it.
    pub(crate) fn get_enabled(&self, id: &str) -> Option<Map<String, Value>> {
        let index = *self.ids.get(id)?;
        let slot = self.slot(index);
        if !slot.enabled {
            return None;
        }
        serde_json::from_str(&slot.json).ok()
    }

    /// Every stored document, in `_id` order (for lookups that scan, like `checkExistence`).
    pub(crate) fn any_enabled(&self, mut matches: impl FnMut(&Map<String, Value>) -> bool) -> bool {
        self.slots.iter().flatten().filter(|s| s.enabled).any(|slot| {
            serde_json::from_str::<Map<String, Value>>(&slot.json)
                .is_ok_and(|doc| matches(&doc))
        })
    }

    /// Stores a document without touching the views; [`ContactStore::rebuild_views`] must
    /// follow. Bulk loads use it so 100,000 contacts cost one sort, not 100,000 inserts.
    pub(crate) fn put_unindexed(&mut self, id: &str, doc: &Map<String, Value>) {
        if let Some(index) = self.ids.remove(id) {
            self.slots[index as usize] = None;
            self.free.push(index);
        }
        let index = self.store_slot(Slot::new(id, doc));
        self.ids.insert(id.into(), index);
    }

    /// Sorts the views from scratch.
    pub(crate) fn rebuild_views(&mut self) {
        for key in 0..4 {
            self.by_name[key].clear();
            self.by_id[key].clear();
        }
        for (index, slot) in self.slots.iter().enumerate() {
            if let Some(slot) = slot.as_ref().filter(|s| s.enabled) {
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                self.by_name[slot.unknown.index()].push(index);
                self.by_id[slot.unknown.index()].push(index);
            }
        }
        let slots = &self.slots;
        let get = |i: u32| slots[i as usize].as_ref().expect("live slot");
        for key in 0..4 {
            self.by_name[key].sort_unstable_by(|&a, &b| get(a).by_name(get(b)));
            self.by_id[key].sort_unstable_by(|&a, &b| get(a).by_id(get(b)));
            self.by_name[key].shrink_to_fit();
            self.by_id[key].shrink_to_fit();
        }
    }

    fn store_slot(&mut self, slot: Slot) -> u32 {
        match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = Some(slot);
                index
            }
            None => {
                self.slots.push(Some(slot));
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        }
    }

    /// Stores a document under `id`, replacing any earlier one and re-indexing it.
    pub(crate) fn put(&mut self, id: &str, doc: &Map<String, Value>) {
        self.remove(id);
        let slot = Slot::new(id, doc);
        let (enabled, unknown) = (slot.enabled, slot.unknown);
        let index = self.store_slot(slot);
        self.ids.insert(id.into(), index);
        if enabled {
            let key = unknown.index();
            let slots = &self.slots;
            let get = |i: u32| slots[i as usize].as_ref().expect("live slot");
            let new = get(index);
            let at = self.by_name[key].partition_point(|&i| get(i).by_name(new) == Ordering::Less);
            self.by_name[key].insert(at, index);
            let at = self.by_id[key].partition_point(|&i| get(i).by_id(new) == Ordering::Less);
            self.by_id[key].insert(at, index);
        }
    }

    /// Moves every document of `other` in (replacing same ids).
    pub(crate) fn absorb(&mut self, other: Self) {
        if self.ids.is_empty() {
            *self = other;
            self.rebuild_views();
            return;
        }
        for slot in other.slots.into_iter().flatten() {
            if let Ok(doc) = serde_json::from_str::<Map<String, Value>>(&slot.json) {
                self.put(&slot.id, &doc);
            }
        }
    }

    /// Removes a document and its index entries; returns whether it existed.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        let Some(index) = self.ids.remove(id) else {
            return false;
        };
        let slot = self.slots[index as usize].take().expect("indexed slot");
        if slot.enabled {
            let key = slot.unknown.index();
            let slots = &self.slots;
            let get = |i: u32| slots[i as usize].as_ref();
            // The slot is already taken out, so compare against the removed value.
            let at = self.by_name[key].partition_point(|&i| {
                i != index && get(i).is_some_and(|s| s.by_name(&slot) == Ordering::Less)
            });
            if self.by_name[key].get(at) == Some(&index) {
                self.by_name[key].remove(at);
            } else {
                self.by_name[key].retain(|&i| i != index);
            }
            let at = self.by_id[key].partition_point(|&i| {
                i != index && get(i).is_some_and(|s| s.by_id(&slot) == Ordering::Less)
            });
            if self.by_id[key].get(at) == Some(&index) {
                self.by_id[key].remove(at);
            } else {
                self.by_id[key].retain(|&i| i != index);
            }
        }
        self.free.push(index);
        true
    }

    /// A page of enabled contacts whose `unknown` equals `unknown` and (when `needle` is not
    /// empty) whose lower-cased name, email or phone contains it, walked along `view`.
    pub(crate) fn search(
        &self,
        unknown: bool,
        needle: &str,
        view: View,
        descending: bool,
        offset: usize,
        count: usize,
    ) -> Found {
        let key = if unknown {
            UnknownKey::True
        } else {
            UnknownKey::False
        };
        let list = match view {
            View::Name => &self.by_name[key.index()],
            View::Id => &self.by_id[key.index()],
        };
        let parse = |i: u32| serde_json::from_str(&self.slot(i).json).unwrap_or_default();
        if needle.is_empty() {
            let total = list.len();
            let start = offset.min(total);
            let end = offset.saturating_add(count).min(total);
            let contacts = if descending {
                list[total - end..total - start]
                    .iter()
                    .rev()
                    .map(|&i| parse(i))
                    .collect()
            } else {
                list[start..end].iter().map(|&i| parse(i)).collect()
            };
            return Found { contacts, total };
        }
        let hits = |i: &&u32| self.slot(**i).haystack.contains(needle);
        let mut total = 0;
        let mut contacts = Vec::new();
        let mut take = |i: u32| {
            if total >= offset && contacts.len() < count {
                contacts.push(parse(i));
            }
            total += 1;
        };
        if descending {
            list.iter().rev().filter(hits).for_each(|&i| take(i));
        } else {
            list.iter().filter(hits).for_each(|&i| take(i));
        }
        Found { contacts, total }
    }

    /// Every enabled contact matching `unknown` and `needle`, for orders no view holds; the
    /// caller sorts them.
    pub(crate) fn matching(&self, unknown: bool, needle: &str) -> Vec<Map<String, Value>> {
        let key = if unknown {
            UnknownKey::True
        } else {
            UnknownKey::False
        };
        self.by_id[key.index()]
            .iter()
            .map(|&i| self.slot(i))
            .filter(|s| needle.is_empty() || s.haystack.contains(needle))
            .filter_map(|s| serde_json::from_str(&s.json).ok())
            .collect()
    }

    #[cfg(test)]
    fn check_views(&self) {
        for key in UnknownKey::ALL {
            let names = &self.by_name[key.index()];
            assert!(names.windows(2).all(|w| {
                self.slot(w[0]).by_name(self.slot(w[1])) == Ordering::Less
            }));
            assert_eq!(names.len(), self.by_id[key.index()].len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn views_follow_puts_and_removes() {
        let mut store = ContactStore::default();
        store.put("b", &doc(json!({"name": "bob", "unknown": false})));
        store.put("a", &doc(json!({"name": "Zed", "unknown": false})));
        store.put("c", &doc(json!({"name": "amy"})));
        store.put("d", &doc(json!({"name": "al", "unknown": false, "enabled": false})));
        store.check_views();
        let found = store.search(false, "", View::Name, false, 0, 10);
        let names: Vec<_> = found.contacts.iter().map(|c| c["name"].clone()).collect();
        // Binary order: upper case before lower case; no `unknown` key → not listed.
        assert_eq!(names, [json!("Zed"), json!("bob")]);
        assert_eq!(found.total, 2);
        store.put("a", &doc(json!({"name": "carl", "unknown": false})));
        store.check_views();
        let found = store.search(false, "", View::Name, true, 0, 1);
        assert_eq!(found.contacts[0]["name"], "carl");
        assert!(store.remove("b"));
        store.check_views();
        assert_eq!(store.search(false, "", View::Id, false, 0, 10).total, 1);
        assert!(store.get_enabled("d").is_none());
        assert!(store.get("d").is_some());
    }

    #[test]
    fn a_bulk_load_sorts_once_and_then_takes_single_puts() {
        let mut store = ContactStore::default();
        for (id, name) in [("3", "c"), ("1", "a"), ("2", "b"), ("1", "z")] {
            store.put_unindexed(id, &doc(json!({"name": name, "unknown": false})));
        }
        store.rebuild_views();
        store.check_views();
        let found = store.search(false, "", View::Name, false, 0, 10);
        let names: Vec<_> = found.contacts.iter().map(|c| c["name"].clone()).collect();
        assert_eq!(names, [json!("b"), json!("c"), json!("z")]);
        store.put("4", &doc(json!({"name": "a", "unknown": false})));
        store.check_views();
        assert_eq!(store.search(false, "", View::Name, false, 0, 1).contacts[0]["name"], "a");
    }

    #[test]
    fn search_text_counts_every_match_and_pages() {
        let mut store = ContactStore::default();
        for i in 0..10 {
            let name = format!("n{i}");
            store.put(
                &format!("id{i}"),
                &doc(json!({"name": name, "unknown": false, "emails": [{"address": format!("U{i}@X.org")}]})),
            );
        }
        let found = store.search(false, "@x.org", View::Name, false, 8, 5);
        assert_eq!(found.total, 10);
        assert_eq!(found.contacts.len(), 2);
        assert_eq!(store.matching(false, "u3@").len(), 1);
    }
}
