//! `POST livechat/visitor` (`apps/meteor/server/api/v1/omnichannel/visitor.ts`): registers
//! or updates the visitor with this token, merges what it sent into the contacts already
//! linked to it, and applies its `customFields` (visitor-scope definitions only; a
//! required one missing is an error). Departments are not modelled: one sent is ignored.

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use super::match_error;
use crate::testing::fake::livechat::{self, Guest};
use crate::testing::fake::state::State;

pub(crate) fn handle(state: &mut State, call: &Call<'_>) -> Reply {
    let body = call.json_body();
    let Some(visitor) = body.get("visitor") else {
        return match_error("Missing key 'visitor'");
    };
    let Some(visitor) = visitor.as_object() else {
        return match_error("Expected object, got something else in field visitor");
    };
    let text = |key: &str| -> Result<Option<String>, Reply> {
        match visitor.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())).map(|s| s.filter(|s| !s.is_empty())),
            Some(_) => Err(match_error(&format!(
                "Expected string, got something else in field visitor.{key}"
            ))),
        }
    };
    let token = match visitor.get("token") {
        Some(Value::String(token)) => token.clone(),
        Some(_) => {
            return match_error("Expected string, got something else in field visitor.token");
        }
        None => return match_error("Missing key 'token' in field visitor"),
    };
    if token.trim().is_empty() {
        let mut body = Map::new();
        body.insert("success".into(), json!(false));
        body.insert(
            "error".into(),
            json!("Token cannot be empty [error-invalid-token]"),
        );
        body.insert("errorType".into(), json!("error-invalid-token"));
        body.insert("details".into(), json!({"method": "livechat/visitor"}));
        return Reply::json(400, &body);
    }
    let guest = match (|| {
        Ok::<_, Reply>(Guest {
            token,
            name: text("name")?,
            email: text("email")?,
            phone: text("phone")?,
            username: text("username")?,
        })
    })() {
        Ok(guest) => guest,
        Err(reply) => return reply,
    };
    let custom_fields = match custom_fields(visitor) {
        Ok(fields) => fields,
        Err(reply) => return reply,
    };
    // `validateRequiredCustomFields`: every required visitor-scope field must be sent.
    if !custom_fields.is_empty() {
        let missing: Vec<&str> = state
            .custom_fields
            .iter()
            .filter(|f| f.scope == "visitor" && f.required)
            .filter(|f| !custom_fields.iter().any(|(key, _, _)| key == &f.id))
            .map(|f| f.id.as_str())
            .collect();
        if !missing.is_empty() {
            return Reply::error(
                400,
                &format!("Missing required custom fields: {}", missing.join(", ")),
            );
        }
    }
    let index = livechat::register_guest(state, guest);
    for (key, value, overwrite) in custom_fields {
        // Keys with no visitor-scope definition are skipped, as the server only logs them.
        if state
            .custom_fields
            .iter()
            .any(|f| f.id == key && f.scope == "visitor")
        {
            livechat::set_visitor_custom_field(state, index, &key, &json!(value), overwrite);
        }
    }
    Reply::ok_with("visitor", Value::Object(state.visitors[index].clone()))
}

/// `visitor.customFields`: `[{key, value, overwrite}]`, `overwrite` defaulting to false.
fn custom_fields(visitor: &Map<String, Value>) -> Result<Vec<(String, String, bool)>, Reply> {
    let Some(fields) = visitor.get("customFields").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(fields) = fields.as_array() else {
        return Err(match_error(
            "Expected array, got something else in field visitor.customFields",
        ));
    };
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let key = field.get("key").and_then(Value::as_str);
            let value = field.get("value").and_then(Value::as_str);
            match (key, value) {
                (Some(key), Some(value)) => Ok((
                    key.to_owned(),
                    value.to_owned(),
                    field.get("overwrite").and_then(Value::as_bool) == Some(true),
                )),
                _ => Err(match_error(&format!(
                    "Missing key 'key' or 'value' in field visitor.customFields[{i}]"
                ))),
            }
        })
        .collect()
}
