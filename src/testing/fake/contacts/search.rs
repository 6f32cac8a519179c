//! Searches: a page along one view, or in any other order; the scan of the search text.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde::Deserializer as _;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::order::{UnknownKey, mongo_cmp};
use super::store::ContactStore;
use super::view::View;

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

/// One page of a search.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) contacts: Vec<Map<String, Value>>,
    pub(crate) total: usize,
}

impl ContactStore {
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
}
