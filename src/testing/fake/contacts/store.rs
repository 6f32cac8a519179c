//! The contact collection: slots, the id index, the views kept sorted on every change, and
//! the arena of search text.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::slot::{Slot, haystack};
use super::view::View;

/// The contact collection with its indexes.
#[derive(Debug, Default)]
pub(crate) struct ContactStore {
    pub(super) slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    ids: HashMap<Box<str>, u32>,
    /// Per [`View`], per [`UnknownKey`](super::order::UnknownKey): the enabled contacts'
    /// slots in the view's order.
    pub(super) views: [[Vec<u32>; 4]; 3],
    /// Every contact's search text, back to back and separated by `\0`, so a `searchText`
    /// is one scan of contiguous memory instead of 100,000 pointer chases.
    pub(super) text: String,
    /// `(start in text, slot)` for each stretch appended, in order of `start`. Stretches of
    /// replaced contacts stay until the next compaction and are recognised as stale.
    pub(super) owners: Vec<(u32, u32)>,
    /// Bytes of `text` that belong to replaced or removed contacts.
    pub(super) garbage: usize,
}

impl ContactStore {
    pub(super) fn slot(&self, index: u32) -> &Slot {
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

    #[cfg(test)]
    pub(super) fn check_views(&self) {
        for key in super::order::UnknownKey::ALL {
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
