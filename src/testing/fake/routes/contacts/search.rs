//! `GET omnichannel/contacts.search` (`apps/meteor/app/livechat/server/lib/contacts/getContacts.ts`,
//! `LivechatContacts.findPaginatedContacts`):
//!
//! - `unknown` (default `false`) is a MongoDB equality: a document without the key is not
//!   listed;
//! - `searchText` matches name, email addresses or phone numbers, case-insensitively;
//! - `count` in the answer is the page size asked for (after `getPaginationItems`), not the
//!   number of contacts returned;
//! - the default order is `{name: 1}`, compared as MongoDB does without a collation (byte
//!   order, missing names first);
//! - from the profile's release on, `contactManager` is the user's `{_id, name, username}`,
//!   left out when the user does not exist; before, the stored id.
//!
//! Pages walk the store's ordered views, so a page costs the page, not the collection.
//! Other orders read only their sort fields from the matching contacts and sort those.

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use super::pagination;
use crate::testing::bodies;
use crate::testing::fake::contacts::View;
use crate::testing::fake::state::State;
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.search";

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let params = match call.valid_query(state.profile.version, ROUTE) {
        Ok(params) => params,
        Err(reply) => return reply,
    };
    let (count, offset) = pagination(&params);
    let sort: Vec<(String, bool)> = match params.get("sort").and_then(Value::as_str) {
        None => vec![("name".into(), false)],
        // `parseJsonQuery.ts` (11654319): JSON whose every value is 1 or -1, else 400
        // `error-invalid-sort` quoting what was sent. Valid JSON that is not an object sorts
        // nothing (`Object.entries` of it is empty), so the default order stays.
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_)) => match serde_json::from_str::<SortKeys>(text) {
                Ok(SortKeys(sort))
                    if sort
                        .iter()
                        .all(|(_, d)| d.as_f64() == Some(1.0) || d.as_f64() == Some(-1.0)) =>
                {
                    sort.into_iter()
                        .map(|(key, direction)| (key, direction.as_f64() == Some(-1.0)))
                        .collect()
                }
                _ => return invalid_sort(text),
            },
            Ok(_) => vec![("name".into(), false)],
            Err(_) => return invalid_sort(text),
        },
    };
    let unknown = params
        .get("unknown")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let needle = params
        .get("searchText")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
        .unwrap_or_default();
    let (contacts, total) = match sort.as_slice() {
        [(key, descending)] if key == "name" || key == "_id" => {
            let view = if key == "name" { View::Name } else { View::Id };
            let found = state
                .contacts
                .search(unknown, &needle, view, *descending, offset, count);
            (found.contacts, found.total)
        }
        [(first, descending), (second, same)]
            if first == "_updatedAt" && second == "_id" && descending == same =>
        {
            let found =
                state
                    .contacts
                    .search(unknown, &needle, View::Updated, *descending, offset, count);
            (found.contacts, found.total)
        }
        _ => {
            let found = state
                .contacts
                .sorted_page(unknown, &needle, &sort, offset, count);
            (found.contacts, found.total)
        }
    };
    let expand = state.profile.search_expands_manager();
    let contacts: Vec<Value> = contacts
        .into_iter()
        .map(|mut contact| {
            if expand {
                expand_manager(state, &mut contact);
            }
            Value::Object(contact)
        })
        .collect();
    let mut body = Map::new();
    body.insert("contacts".into(), Value::Array(contacts));
    body.insert("count".into(), json!(count));
    body.insert("offset".into(), json!(offset));
    body.insert("total".into(), json!(total));
    Reply::ok(body)
}

/// Replaces the manager's id with `{_id, name, username}`, or drops the key when no such
/// user exists.
fn expand_manager(state: &State, contact: &mut Map<String, Value>) {
    let Some(id) = contact.remove("contactManager") else {
        return;
    };
    if let Some(user) = id.as_str().and_then(|id| state.user(id)) {
        contact.insert(
            "contactManager".into(),
            json!({"_id": user.id, "name": user.name, "username": user.username}),
        );
    }
}

/// A `sort` object's keys in the order written: MongoDB (and `JSON.parse`) keep that order,
/// and it is the keys' priority. A `serde_json::Map` would sort them alphabetically.
struct SortKeys(Vec<(String, Value)>);

/// The Meteor error `parseJsonQuery` throws for a bad sort, as `failure` sends it.
fn invalid_sort(text: &str) -> Reply {
    Reply::error_json(
        400,
        bodies::typed_error(
            &format!("Invalid sort parameter provided: \"{text}\" [error-invalid-sort]"),
            "error-invalid-sort",
            &serde_json::json!({"helperMethod": "parseJsonQuery"}),
        ),
    )
}

impl<'de> serde::Deserialize<'de> for SortKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = SortKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<SortKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    keys.push(entry);
                }
                Ok(SortKeys(keys))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}
