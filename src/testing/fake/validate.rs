//! Request-body validation as Rocket.Chat's AJV schemas do it: coercion of scalars, the
//! first error only, and the exact messages.

use serde_json::{Map, Value};

/// Reads a JSON body the way the server does: a malformed body, or one sent without a JSON
/// content type, becomes `{}` instead of an error.
pub(crate) fn parse_body(body: &[u8], json_content_type: bool) -> Value {
    if !json_content_type {
        return Value::Object(Map::new());
    }
    serde_json::from_slice(body).unwrap_or_else(|_| Value::Object(Map::new()))
}

/// AJV's `coerceTypes` for a string property: numbers and booleans become strings; arrays
/// and objects fail.
pub(crate) fn coerce_string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        Value::Array(_) | Value::Object(_) => Err("must be string".into()),
    }
}

/// AJV's `coerceTypes` for a boolean property. `None` means "treat as absent".
pub(crate) fn coerce_bool(value: &Value) -> Result<Option<bool>, String> {
    match value {
        Value::Bool(b) => Ok(Some(*b)),
        Value::Null => Ok(None),
        Value::String(s) if s == "true" => Ok(Some(true)),
        Value::String(s) if s == "false" => Ok(Some(false)),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(Some(true)),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(Some(false)),
        _ => Err("must be boolean".into()),
    }
}

/// The `contacts.conflicts` body after validation and coercion.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ConflictsInput {
    pub(crate) contact_id: String,
    pub(crate) name: Option<String>,
    pub(crate) contact_manager: Option<String>,
    pub(crate) custom_fields: Option<Map<String, Value>>,
    pub(crate) wipe_conflicts: bool,
}

const CONFLICTS_KEYS: [&str; 5] = [
    "contactId",
    "name",
    "customFields",
    "contactManager",
    "wipeConflicts",
];

/// Validates a `contacts.conflicts` body. The error is the message without the
/// ` [invalid-params]` suffix.
pub(crate) fn conflicts(body: &Value) -> Result<ConflictsInput, String> {
    let object = body.as_object().ok_or("must be object")?;
    if !object.contains_key("contactId") {
        return Err("must have required property 'contactId'".into());
    }
    if object.keys().any(|k| !CONFLICTS_KEYS.contains(&k.as_str())) {
        return Err("must NOT have additional properties".into());
    }
    // Top-level nulls are dropped, except `contactId`, which the validator coerces to "".
    let present = |key: &str| object.get(key).filter(|v| !v.is_null());
    let mut input = ConflictsInput {
        contact_id: coerce_string(&object["contactId"])?,
        ..ConflictsInput::default()
    };
    if let Some(name) = present("name") {
        input.name = Some(coerce_string(name)?);
    }
    match object.get("customFields") {
        None => {}
        Some(Value::Object(fields)) => input.custom_fields = Some(fields.clone()),
        Some(_) => return Err("must be object".into()),
    }
    if let Some(manager) = present("contactManager") {
        input.contact_manager = Some(coerce_string(manager)?);
    }
    if let Some(wipe) = object.get("wipeConflicts") {
        input.wipe_conflicts = coerce_bool(wipe)?.unwrap_or(false);
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coercions_follow_the_server() {
        let input = conflicts(&json!({"contactId": 123, "wipeConflicts": "true"})).unwrap();
        assert_eq!(input.contact_id, "123");
        assert!(input.wipe_conflicts);
        assert_eq!(
            conflicts(&json!({"contactId": null})).unwrap().contact_id,
            ""
        );
        assert_eq!(
            conflicts(&json!({"contactId": "c", "name": null}))
                .unwrap()
                .name,
            None
        );
        for bad in [json!("yes"), json!("TRUE"), json!("1"), json!(2)] {
            let err = conflicts(&json!({"contactId": "c", "wipeConflicts": bad})).unwrap_err();
            assert_eq!(err, "must be boolean");
        }
        let err = conflicts(&json!({"contactId": "c", "customFields": null})).unwrap_err();
        assert_eq!(err, "must be object");
        let err = conflicts(&json!({"contactId": ["c"]})).unwrap_err();
        assert_eq!(err, "must be string");
        assert_eq!(conflicts(&json!([])).unwrap_err(), "must be object");
    }
}
