//! `POST livechat/custom.field` (`customField.ts`, `setCustomFields`): a visitor's custom
//! field. It must be defined (`invalid-custom-field`) and match its `regexp`; a room-scoped
//! field never touches contacts; a visitor-scoped one goes to the visitor and, through
//! `updateContactsCustomFields`, to every contact linked to it: set when absent or with
//! `overwrite`, else appended as a conflict entry.

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use crate::testing::fake::livechat;
use crate::testing::fake::state::State;

const ROUTE: &str = "livechat/custom.field";

pub(crate) fn handle(state: &mut State, call: &Call<'_>) -> Reply {
    let body = match call.valid_body(state.profile.version, ROUTE) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
    let (token, key, value) = (text("token"), text("key"), text("value"));
    let overwrite = body.get("overwrite").and_then(Value::as_bool) == Some(true);
    let Some(index) = livechat::visitor_by_token(state, token) else {
        return Reply::error(400, "invalid-token");
    };
    let Some(field) = state.custom_fields.iter().find(|f| f.id == key) else {
        return Reply::error(400, "invalid-custom-field");
    };
    if let Some(pattern) = &field.regexp
        && !regex::Regex::new(pattern).is_ok_and(|re| re.is_match(value))
    {
        return Reply::error(400, "error-invalid-custom-field-value");
    }
    if field.scope != "room" {
        livechat::set_visitor_custom_field(state, index, key, &json!(value), overwrite);
    }
    let mut answer = Map::new();
    answer.insert(
        "field".into(),
        json!({"key": key, "value": value, "overwrite": overwrite}),
    );
    Reply::ok(answer)
}
