//! The workspace's livechat custom-field definitions and the checks `contacts` create and
//! update run against them (`apps/meteor/app/livechat/server/lib/contacts/`
//! `validateCustomFields.ts`, `getAllowedCustomFields.ts`, `updateContact.ts`).

use serde::Deserialize;
use serde_json::{Map, Value};

/// A livechat custom-field definition (`ILivechatCustomField`), as an administrator creates
/// it under Omnichannel → Custom Fields. Contacts may only carry custom fields defined with
/// scope `visitor` and not hidden; a workspace with no definitions accepts no custom field.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use rocketchat_omnichannel::testing::{CustomField, FakeRocketChat};
/// let fake = FakeRocketChat::builder()
///     .custom_field(CustomField::new("cpf").label("CPF").regexp(r"^\d{3}\.\d{3}\.\d{3}-\d{2}$"))
///     .custom_field(CustomField::new("city").required(true))
///     .start()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[must_use]
pub struct CustomField {
    #[serde(rename = "_id")]
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) label: Option<String>,
    #[serde(default = "visitor")]
    pub(crate) scope: String,
    #[serde(default = "visible")]
    pub(crate) visibility: String,
    #[serde(default)]
    pub(crate) regexp: Option<String>,
    #[serde(default)]
    pub(crate) required: bool,
    /// Read by the widget only; kept so seeds written for a real workspace load as they are.
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) default_value: Option<String>,
    #[serde(default)]
    pub(crate) options: Option<String>,
    #[serde(default)]
    pub(crate) public: Option<bool>,
    #[serde(default)]
    pub(crate) searchable: Option<bool>,
}

fn visitor() -> String {
    "visitor".into()
}

fn visible() -> String {
    "visible".into()
}

impl CustomField {
    /// A visible, optional field of scope `visitor` whose key (`_id`) is `id`.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            label: None,
            scope: visitor(),
            visibility: visible(),
            regexp: None,
            required: false,
            kind: None,
            default_value: None,
            options: None,
            public: None,
            searchable: None,
        }
    }

    /// The label errors name (`Invalid value for <label> field`); the `_id` when unset.
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.to_owned());
        self
    }

    /// `visitor` (the default) or `room`; only `visitor` fields are allowed on contacts.
    pub fn scope(mut self, scope: &str) -> Self {
        self.scope = scope.to_owned();
        self
    }

    /// `visible` (the default) or `hidden`; hidden fields are not allowed on contacts.
    pub fn visibility(mut self, visibility: &str) -> Self {
        self.visibility = visibility.to_owned();
        self
    }

    /// A regular expression every non-empty value must match (searched, not anchored, as
    /// JavaScript's `RegExp.test` does). An expression the fake cannot compile matches
    /// nothing.
    pub fn regexp(mut self, regexp: &str) -> Self {
        self.regexp = Some(regexp.to_owned());
        self
    }

    /// Whether create and update must carry a non-empty value for it.
    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    fn applies_to_contacts(&self) -> bool {
        self.scope == "visitor" && self.visibility != "hidden"
    }

    fn name(&self) -> &str {
        self.label
            .as_deref()
            .filter(|l| !l.is_empty())
            .unwrap_or(&self.id)
    }
}

/// `trim()` as the server applies it: strings are trimmed; anything else is no string at all.
fn trimmed(value: &Value) -> Option<&str> {
    value.as_str().map(str::trim)
}

/// Checks `received` against the definitions as `validateCustomFields` does and returns the
/// values to store (trimmed strings of defined fields only). The error is the server's
/// message (`Invalid value for <label> field`, `Custom field <key> is not allowed`).
///
/// `legacy` names keys already stored on the contact that no definition covers any more:
/// on update they are neither an error nor updated (the stored value stays).
pub(crate) fn validate(
    definitions: &[CustomField],
    received: &Map<String, Value>,
    legacy: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let invalid = |field: &CustomField| format!("Invalid value for {} field", field.name());
    let mut valid = Map::new();
    let allowed: Vec<&CustomField> = definitions
        .iter()
        .filter(|f| f.applies_to_contacts())
        .collect();
    for field in &allowed {
        let Some(value) = received.get(&field.id) else {
            if field.required {
                return Err(invalid(field));
            }
            continue;
        };
        let Some(value) = trimmed(value).filter(|v| !v.is_empty()) else {
            if field.required {
                return Err(invalid(field));
            }
            continue;
        };
        if let Some(pattern) = &field.regexp
            && !regex::Regex::new(pattern).is_ok_and(|re| re.is_match(value))
        {
            return Err(invalid(field));
        }
        valid.insert(field.id.clone(), Value::from(value));
    }
    for key in received.keys() {
        if !allowed.iter().any(|f| &f.id == key) && !legacy.contains_key(key) {
            return Err(format!("Custom field {key} is not allowed"));
        }
    }
    for (key, value) in legacy {
        valid.insert(key.clone(), value.clone());
    }
    Ok(valid)
}

/// The stored custom fields no current definition covers.
pub(crate) fn legacy_fields(
    definitions: &[CustomField],
    stored: Option<&Value>,
) -> Map<String, Value> {
    match stored {
        Some(Value::Object(stored)) => stored
            .iter()
            .filter(|(key, _)| {
                !definitions
                    .iter()
                    .any(|f| f.applies_to_contacts() && &f.id == *key)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn rules_follow_validate_custom_fields() {
        let defs = [
            CustomField::new("cpf").label("CPF").regexp(r"^\d+$"),
            CustomField::new("city").required(true),
            CustomField::new("secret").visibility("hidden"),
        ];
        let ok = validate(
            &defs,
            &map(json!({"cpf": " 123 ", "city": "Recife"})),
            &Map::new(),
        );
        assert_eq!(ok.unwrap(), map(json!({"cpf": "123", "city": "Recife"})));
        let err = validate(&defs, &map(json!({"cpf": "12a", "city": "x"})), &Map::new());
        assert_eq!(err.unwrap_err(), "Invalid value for CPF field");
        let err = validate(&defs, &map(json!({"cpf": "1"})), &Map::new());
        assert_eq!(err.unwrap_err(), "Invalid value for city field");
        let err = validate(
            &defs,
            &map(json!({"city": "x", "secret": "s"})),
            &Map::new(),
        );
        assert_eq!(err.unwrap_err(), "Custom field secret is not allowed");
        let legacy = legacy_fields(&defs, Some(&json!({"old": "kept", "city": "a"})));
        let ok = validate(&defs, &map(json!({"city": "b", "old": "new"})), &legacy).unwrap();
        assert_eq!(ok, map(json!({"city": "b", "old": "kept"})));
        assert_eq!(validate(&[], &Map::new(), &Map::new()).unwrap(), Map::new());
    }
}
