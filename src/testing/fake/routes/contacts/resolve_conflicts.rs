//! `POST omnichannel/contacts.conflicts` (7.7.0+, `resolveContactConflicts.ts`): applies the
//! chosen values, removes the conflict entries they settle (or all with `wipeConflicts`)
//! and counts wiped entries in `Resolved_Conflicts_Count`. Custom fields are not checked
//! against the definitions here.
//!
//! Before the fix of PR #38265 (read at 80aa775b) the contact is found with `findOneById`,
//! disabled or not, and `contactManager: ""` is skipped by `contactManager && …` (nothing
//! set, the manager entries kept); after it (the fix's spec, 2a05f70b) the lookup is
//! `findOneEnabledById` and `""` unsets the manager without checking it. The profile's
//! `empty_manager_clears` is that switch.

use serde_json::{Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use super::{is_agent, optional_string};
use crate::testing::fake::state::{State, now_iso};
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.conflicts";

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let body = match call.valid_body(state.profile.version, ROUTE) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let id = optional_string(&body, "contactId").unwrap_or_default();
    let name = optional_string(&body, "name");
    let manager = optional_string(&body, "contactManager");
    let custom_fields = body.get("customFields").and_then(Value::as_object).cloned();
    let wipe = body.get("wipeConflicts").and_then(Value::as_bool) == Some(true);
    let fixed = state.profile.empty_manager_clears();
    let found = if fixed {
        state.contacts.get_enabled(&id)
    } else {
        state.contacts.get(&id)
    };
    let Some(mut contact) = found else {
        return Reply::error(400, "error-contact-not-found");
    };
    let mut entries = match contact.get("conflictingFields") {
        Some(Value::Array(entries)) if !entries.is_empty() => entries.clone(),
        _ => return Reply::error(400, "error-contact-has-no-conflicts"),
    };
    if manager
        .as_deref()
        .is_some_and(|m| !m.is_empty() && !is_agent(state, m))
    {
        return Reply::error(400, "error-contact-manager-not-found");
    }
    let mut cleared: Vec<String> = Vec::new();
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        contact.insert("name".into(), json!(name));
        cleared.push("name".into());
    }
    match manager {
        Some(manager) if manager.is_empty() && fixed => {
            contact.remove("contactManager");
            cleared.push("manager".into());
        }
        Some(manager) if manager.is_empty() => {}
        Some(manager) => {
            contact.insert("contactManager".into(), json!(manager));
            cleared.push("manager".into());
        }
        None => {}
    }
    if let Some(fields) = custom_fields {
        let current = contact.entry("customFields").or_insert_with(|| json!({}));
        if !current.is_object() {
            *current = json!({});
        }
        if let Value::Object(current) = current {
            for (key, value) in fields {
                cleared.push(format!("customFields.{key}"));
                current.insert(key, value);
            }
        }
    }
    let before = entries.len();
    if wipe {
        entries.clear();
    } else {
        entries.retain(|entry| {
            let field = entry
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or_default();
            !cleared.iter().any(|c| c == field)
        });
    }
    let removed = before - entries.len();
    contact.insert("conflictingFields".into(), Value::Array(entries));
    contact.insert("unknown".into(), Value::Bool(false));
    contact.insert("_updatedAt".into(), json!(now_iso()));
    state.contacts.put(&id, &contact);
    if wipe {
        state.resolved_conflicts_count += removed as u64;
    }
    Reply::ok_with("result", Value::Object(contact))
}
