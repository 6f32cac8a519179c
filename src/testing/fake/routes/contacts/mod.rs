//! `omnichannel/contacts*`: one file per route, mirroring `src/omnichannel/contacts/`, and
//! the helpers they share (manager checks, list shapes, paging).

pub(super) mod channels;
pub(super) mod check_existence;
pub(super) mod create;
pub(super) mod delete;
pub(super) mod get;
pub(super) mod history;
pub(super) mod resolve_conflicts;
pub(super) mod search;
pub(super) mod update;

use serde_json::{Map, Value, json};

use super::reply::Reply;
use crate::testing::fake::state::State;

fn is_agent(state: &State, user_id: &str) -> bool {
    state
        .user(user_id)
        .is_some_and(|u| u.has_role("livechat-agent"))
}

/// A non-empty manager must be the `_id` of a livechat agent (`validateContactManager.ts`).
fn check_manager(state: &State, manager: Option<&str>) -> Result<(), Reply> {
    match manager.filter(|m| !m.is_empty()) {
        Some(manager) if !is_agent(state, manager) => {
            Err(Reply::error(400, "error-contact-manager-not-found"))
        }
        _ => Ok(()),
    }
}

/// A validated optional string: absent or `null` is `None`.
fn optional_string(body: &Map<String, Value>, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A validated list of strings (`emails`, `phones`); absent or `null` is `None`.
fn string_list(body: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    body.get(key).and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

fn email_list(emails: &[String]) -> Value {
    emails.iter().map(|a| json!({"address": a})).collect()
}

fn phone_list(phones: &[String]) -> Value {
    phones.iter().map(|p| json!({"phoneNumber": p})).collect()
}

/// `getPaginationItems` with the default settings (`API_Default_Count` 50,
/// `API_Upper_Count_Limit` 100, infinite count off): the count asked for, capped; an
/// absent or zero count is the default. Values are already numbers (schema-coerced).
fn pagination(params: &Map<String, Value>) -> (usize, usize) {
    const DEFAULT_COUNT: i64 = 50;
    const UPPER_LIMIT: i64 = 100;
    let as_int = |key: &str| {
        params
            .get(key)
            .and_then(Value::as_f64)
            .map(|n| n.trunc() as i64)
    };
    let offset = as_int("offset").unwrap_or(0).max(0);
    let mut count = as_int("count").unwrap_or(DEFAULT_COUNT).min(UPPER_LIMIT);
    if count == 0 {
        count = DEFAULT_COUNT;
    }
    (
        usize::try_from(count.max(0)).unwrap_or(0),
        usize::try_from(offset).unwrap_or(0),
    )
}
