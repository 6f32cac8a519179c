//! The contact collection: documents kept as compact JSON text, plus the ordered views that
//! `contacts.search` pages through.
//!
//! A real server keeps contacts in MongoDB with indexes on `name`, `unknown`, `emails.address`
//! and `phones.phoneNumber` (`packages/models/src/models/LivechatContacts.ts`). The fake keeps
//! the same shape of data at a fraction of the memory a `serde_json::Map` per contact costs:
//! each document is stored as its JSON text (parsed again only when a route reads it) and the
//! views hold 4-byte slot numbers, sorted once on insert, so a page is a slice and never a sort
//! of the whole collection.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use serde::Deserializer as _;
use serde::de::{IgnoredAny, MapAccess, Visitor};

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
    /// Where this contact's search text (lower-cased name, email addresses and phone
    /// numbers, one per line) sits in the store's arena: start and length.
    hay: (u32, u32),
    unknown: UnknownKey,
    enabled: bool,
    /// `_updatedAt` as stored (`Null` when missing), for the view by change.
    updated: Value,
}

impl Slot {
    fn new(id: &str, doc: &Map<String, Value>) -> Self {
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

    fn by_name(&self, other: &Self) -> Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.id.cmp(&other.id))
    }

    fn by_id(&self, other: &Self) -> Ordering {
        self.id.cmp(&other.id)
    }

    fn by_updated(&self, other: &Self) -> Ordering {
        mongo_cmp(&self.updated, &other.updated).then_with(|| self.id.cmp(&other.id))
    }
}

fn haystack(doc: &Map<String, Value>) -> String {
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

/// MongoDB's order between two values of one field: missing/`null` < numbers < strings
/// (bytes) < objects < arrays < booleans.
fn mongo_cmp(a: &Value, b: &Value) -> Ordering {
    fn rank(value: &Value) -> u8 {
        match value {
            Value::Null => 0,
            Value::Number(_) => 1,
            Value::String(_) => 2,
            Value::Object(_) => 3,
            Value::Array(_) => 4,
            Value::Bool(_) => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// The values of some top-level keys of a stored document, read without building the rest
/// of it (`Null` where a key is missing).
fn pick(json: &str, keys: &[&str]) -> Vec<Value> {
    struct Pick<'a>(&'a [&'a str]);
    impl<'de> Visitor<'de> for Pick<'_> {
        type Value = Vec<Value>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a contact document")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut values = vec![Value::Null; self.0.len()];
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                match self.0.iter().position(|k| *k == key) {
                    Some(at) => values[at] = map.next_value()?,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(values)
        }
    }
    let mut reader = serde_json::Deserializer::from_str(json);
    reader
        .deserialize_map(Pick(keys))
        .unwrap_or_else(|_| vec![Value::Null; keys.len()])
}

/// Which ordered view a search walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum View {
    /// `{name: 1}` (the default) or `{name: -1}`.
    Name = 0,
    /// `{_id: 1}` or `{_id: -1}`.
    Id = 1,
    /// `{_updatedAt: 1, _id: 1}` or `{_updatedAt: -1, _id: -1}`: what a watcher listing
    /// changes asks for, on every pass.
    Updated = 2,
}

impl View {
    const ALL: [Self; 3] = [Self::Name, Self::Id, Self::Updated];

    /// The order of the view (every one ends on `_id`, so it is total).
    fn order(self) -> fn(&Slot, &Slot) -> Ordering {
        match self {
            Self::Name => Slot::by_name,
            Self::Id => Slot::by_id,
            Self::Updated => Slot::by_updated,
        }
    }
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
    /// Per [`View`], per [`UnknownKey`]: the enabled contacts' slots in the view's order.
    views: [[Vec<u32>; 4]; 3],
    /// Every contact's search text, back to back and separated by `\0`, so a `searchText`
    /// is one scan of contiguous memory instead of 100,000 pointer chases.
    text: String,
    /// `(start in text, slot)` for each stretch appended, in order of `start`. Stretches of
    /// replaced contacts stay until the next compaction and are recognised as stale.
    owners: Vec<(u32, u32)>,
    /// Bytes of `text` that belong to replaced or removed contacts.
    garbage: usize,
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
    /// Whether any contact, disabled ones too (`enabled_only: false`), matches.
    pub(crate) fn any_where(
        &self,
        enabled_only: bool,
        mut matches: impl FnMut(&Map<String, Value>) -> bool,
    ) -> bool {
        self.slots
            .iter()
            .flatten()
            .filter(|s| s.enabled || !enabled_only)
            .any(|slot| {
                serde_json::from_str::<Map<String, Value>>(&slot.json)
                    .is_ok_and(|doc| matches(&doc))
            })
    }

    /// The ids of the enabled documents that `matches`, in `_id` order.
    pub(crate) fn enabled_ids_where(
        &self,
        mut matches: impl FnMut(&Map<String, Value>) -> bool,
    ) -> Vec<String> {
        let mut ids: Vec<String> = self
            .slots
            .iter()
            .flatten()
            .filter(|s| s.enabled)
            .filter(|slot| {
                serde_json::from_str::<Map<String, Value>>(&slot.json)
                    .is_ok_and(|doc| matches(&doc))
            })
            .map(|slot| slot.id.to_string())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Stores a document without touching the views; [`ContactStore::rebuild_views`] must
    /// follow. Bulk loads use it so 100,000 contacts cost one sort, not 100,000 inserts.
    pub(crate) fn put_unindexed(&mut self, id: &str, doc: &Map<String, Value>) {
        if let Some(index) = self.ids.remove(id)
            && let Some(old) = self.slots[index as usize].take()
        {
            self.free.push(index);
            self.forget_text(&old);
        }
        let index = self.store_slot(Slot::new(id, doc), doc);
        self.ids.insert(id.into(), index);
    }

    /// Sorts the views from scratch.
    pub(crate) fn rebuild_views(&mut self) {
        let mut lists: [Vec<u32>; 4] = Default::default();
        for (index, slot) in self.slots.iter().enumerate() {
            if let Some(slot) = slot.as_ref().filter(|s| s.enabled) {
                lists[slot.unknown.index()].push(u32::try_from(index).unwrap_or(u32::MAX));
            }
        }
        let slots = &self.slots;
        let get = |i: u32| slots[i as usize].as_ref().expect("live slot");
        for view in View::ALL {
            let order = view.order();
            let mut sorted = lists.clone();
            for list in &mut sorted {
                list.sort_unstable_by(|&a, &b| order(get(a), get(b)));
                list.shrink_to_fit();
            }
            self.views[view as usize] = sorted;
        }
    }

    fn store_slot(&mut self, mut slot: Slot, doc: &Map<String, Value>) -> u32 {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(None);
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let hay = haystack(doc);
        let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        slot.hay = (start, u32::try_from(hay.len()).unwrap_or(u32::MAX));
        self.text.push_str(&hay);
        self.text.push('\0');
        self.owners.push((start, index));
        self.slots[index as usize] = Some(slot);
        index
    }

    /// Counts a dropped slot's text as garbage and compacts the arena when more than half
    /// of it (and at least a megabyte) is garbage.
    fn forget_text(&mut self, slot: &Slot) {
        self.garbage += slot.hay.1 as usize + 1;
        if self.garbage > 1 << 20 && self.garbage * 2 > self.text.len() {
            self.compact_text();
        }
    }

    fn compact_text(&mut self) {
        let mut text = String::with_capacity(self.text.len() - self.garbage);
        let mut owners = Vec::with_capacity(self.ids.len());
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let Some(slot) = slot {
                let (start, len) = (slot.hay.0 as usize, slot.hay.1 as usize);
                let new_start = u32::try_from(text.len()).unwrap_or(u32::MAX);
                text.push_str(&self.text[start..start + len]);
                text.push('\0');
                slot.hay.0 = new_start;
                owners.push((new_start, u32::try_from(index).unwrap_or(u32::MAX)));
            }
        }
        self.text = text;
        self.owners = owners;
        self.garbage = 0;
    }

    /// A bit per slot: set when the slot's search text contains `needle`.
    fn matches(&self, needle: &str) -> Vec<u64> {
        let mut bits = vec![0u64; self.slots.len().div_ceil(64)];
        let Ok(finder) = regex::Regex::new(&regex::escape(needle)) else {
            return bits;
        };
        for found in finder.find_iter(&self.text) {
            let at = self
                .owners
                .partition_point(|&(start, _)| start as usize <= found.start());
            let Some(&(start, index)) = at.checked_sub(1).and_then(|i| self.owners.get(i)) else {
                continue;
            };
            let live = self.slots[index as usize].as_ref().is_some_and(|slot| {
                slot.hay.0 == start && found.end() <= (slot.hay.0 + slot.hay.1) as usize
            });
            if live {
                bits[index as usize / 64] |= 1 << (index % 64);
            }
        }
        bits
    }

    /// Stores a document under `id`, replacing any earlier one and re-indexing it.
    pub(crate) fn put(&mut self, id: &str, doc: &Map<String, Value>) {
        self.remove(id);
        let slot = Slot::new(id, doc);
        let (enabled, unknown) = (slot.enabled, slot.unknown);
        let index = self.store_slot(slot, doc);
        self.ids.insert(id.into(), index);
        if enabled {
            let key = unknown.index();
            let slots = &self.slots;
            let get = |i: u32| slots[i as usize].as_ref().expect("live slot");
            let new = get(index);
            for view in View::ALL {
                let order = view.order();
                let list = &mut self.views[view as usize][key];
                let at = list.partition_point(|&i| order(get(i), new) == Ordering::Less);
                list.insert(at, index);
            }
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
            for view in View::ALL {
                let order = view.order();
                let list = &mut self.views[view as usize][key];
                // The slot is already taken out, so compare against the removed value.
                let at = list.partition_point(|&i| {
                    i != index && get(i).is_some_and(|s| order(s, &slot) == Ordering::Less)
                });
                if list.get(at) == Some(&index) {
                    list.remove(at);
                } else {
                    list.retain(|&i| i != index);
                }
            }
        }
        self.free.push(index);
        self.forget_text(&slot);
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
        let list = &self.views[view as usize][key.index()];
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
        let bits = self.matches(needle);
        let hits = |i: &&u32| bits[**i as usize / 64] & (1 << (**i % 64)) != 0;
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

    /// A page in an order no view holds (e.g. `{createdAt: -1}`): only the sort fields of the
    /// matching contacts are read, the indices sorted, and the page alone parsed. Ties are
    /// broken by `_id`; a dotted key reads into sub-documents.
    pub(crate) fn sorted_page(
        &self,
        unknown: bool,
        needle: &str,
        sort: &[(String, bool)],
        offset: usize,
        count: usize,
    ) -> Found {
        let key = if unknown {
            UnknownKey::True
        } else {
            UnknownKey::False
        };
        let bits = (!needle.is_empty()).then(|| self.matches(needle));
        let roots: Vec<&str> = sort
            .iter()
            .map(|(k, _)| k.split('.').next().unwrap_or(k))
            .collect();
        let mut rows: Vec<(Vec<Value>, u32)> = self.views[View::Id as usize][key.index()]
            .iter()
            .filter(|&&i| {
                bits.as_ref()
                    .is_none_or(|bits| bits[i as usize / 64] & (1 << (i % 64)) != 0)
            })
            .map(|&i| {
                let mut values = pick(&self.slot(i).json, &roots);
                for ((key, _), value) in sort.iter().zip(values.iter_mut()) {
                    if let Some((_, rest)) = key.split_once('.') {
                        let pointer = format!("/{}", rest.replace('.', "/"));
                        *value = value.pointer(&pointer).cloned().unwrap_or(Value::Null);
                    }
                }
                (values, i)
            })
            .collect();
        rows.sort_by(|(a, ia), (b, ib)| {
            for ((x, y), (_, descending)) in a.iter().zip(b).zip(sort) {
                let order = mongo_cmp(x, y);
                let order = if *descending { order.reverse() } else { order };
                if order != Ordering::Equal {
                    return order;
                }
            }
            self.slot(*ia).id.cmp(&self.slot(*ib).id)
        });
        let total = rows.len();
        let contacts = rows
            .into_iter()
            .skip(offset)
            .take(count)
            .filter_map(|(_, i)| serde_json::from_str(&self.slot(i).json).ok())
            .collect();
        Found { contacts, total }
    }

    #[cfg(test)]
    fn check_views(&self) {
        for key in UnknownKey::ALL {
            let length = self.views[0][key.index()].len();
            for view in View::ALL {
                let order = view.order();
                let list = &self.views[view as usize][key.index()];
                assert!(
                    list.windows(2)
                        .all(|w| order(self.slot(w[0]), self.slot(w[1])) == Ordering::Less)
                );
                assert_eq!(list.len(), length);
            }
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

    /// The view by change pages exactly as the general sort does (MongoDB's order: missing
    /// and `null` lowest, then numbers, then strings), through rewrites and removals.
    #[test]
    fn the_view_by_change_agrees_with_the_general_sort() {
        let mut store = ContactStore::default();
        let stamps = [
            json!("2026-12-03T10:00:00.000Z"),
            json!("2026-12-03T10:00:00.000Z"),
            json!("2026-12-03T09:59:59.999Z"),
            Value::Null,
            json!(17),
        ];
        for i in 0..40 {
            let id = format!("id{:02}", (i * 13) % 40);
            let mut d = doc(json!({"_id": id, "name": format!("n{i}"), "unknown": false}));
            if i % 7 != 0 {
                d.insert("_updatedAt".into(), stamps[i % stamps.len()].clone());
            }
            store.put(&id, &d);
        }
        store.put(
            "id05",
            &doc(json!({
                "_id": "id05", "name": "x", "unknown": false,
                "_updatedAt": "2027-01-01T00:00:00.000Z",
            })),
        );
        store.remove("id07");
        store.check_views();
        for descending in [true, false] {
            let sort = [
                ("_updatedAt".to_owned(), descending),
                ("_id".to_owned(), descending),
            ];
            for (offset, count) in [(0, 100), (3, 7), (30, 20)] {
                let general = store.sorted_page(false, "", &sort, offset, count);
                let view = store.search(false, "", View::Updated, descending, offset, count);
                assert_eq!(view.total, general.total);
                assert_eq!(view.contacts, general.contacts, "{descending} {offset}");
            }
        }
        let newest = store.search(false, "", View::Updated, true, 0, 1);
        assert_eq!(newest.contacts[0]["_id"], "id05");
    }

    #[test]
    fn views_follow_puts_and_removes() {
        let mut store = ContactStore::default();
        store.put("b", &doc(json!({"name": "bob", "unknown": false})));
        store.put("a", &doc(json!({"name": "Zed", "unknown": false})));
        store.put("c", &doc(json!({"name": "amy"})));
        store.put(
            "d",
            &doc(json!({"name": "al", "unknown": false, "enabled": false})),
        );
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
        assert_eq!(
            store.search(false, "", View::Name, false, 0, 1).contacts[0]["name"],
            "a"
        );
    }

    #[test]
    fn replaced_text_never_matches_and_the_arena_compacts() {
        let mut store = ContactStore::default();
        let long = "x".repeat(10_000);
        store.put("keep", &doc(json!({"name": "keeper", "unknown": false})));
        for i in 0..300 {
            let name = format!("{long}needle{i}");
            store.put("a", &doc(json!({"name": name, "unknown": false})));
        }
        assert!(store.garbage < store.text.len(), "compacted along the way");
        let found = store.search(false, "needle2", View::Name, false, 0, 10);
        assert_eq!(found.total, 1, "only the current text of `a` counts");
        assert_eq!(
            store
                .search(false, "needle1", View::Name, false, 0, 10)
                .total,
            0
        );
        assert_eq!(
            store.search(false, "keeper", View::Id, false, 0, 10).total,
            1
        );
        store.remove("a");
        assert_eq!(
            store
                .search(false, "needle", View::Name, false, 0, 10)
                .total,
            0
        );
    }

    #[test]
    fn other_orders_read_only_their_fields() {
        let mut store = ContactStore::default();
        store.put(
            "1",
            &doc(json!({"name": "a", "unknown": false, "createdAt": "2025-01-02", "x": {"y": 2}})),
        );
        store.put(
            "2",
            &doc(json!({"name": "b", "unknown": false, "createdAt": "2025-01-03", "x": {"y": 1}})),
        );
        store.put("3", &doc(json!({"name": "c", "unknown": false})));
        let ids = |found: Found| -> Vec<String> {
            found
                .contacts
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let newest = store.sorted_page(false, "", &[("createdAt".into(), true)], 0, 10);
        assert_eq!(ids(newest), ["b", "a", "c"], "missing sorts lowest");
        let nested = store.sorted_page(false, "", &[("x.y".into(), false)], 1, 10);
        assert_eq!(nested.total, 3);
        assert_eq!(ids(nested), ["b", "a"]);
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
        let page = store.sorted_page(false, "u3@", &[("name".into(), true)], 0, 10);
        assert_eq!(page.total, 1);
    }
}
