//! Conflicting-field entries: the competing values a merge left for someone to decide.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::Contact;

/// Which contact field an entry competes for, parsed from the wire's `field` string.
///
/// ```
/// use rocketchat_omnichannel::models::ConflictField;
///
/// assert_eq!(ConflictField::parse("name"), ConflictField::Name);
/// assert_eq!(ConflictField::parse("manager"), ConflictField::Manager);
/// assert_eq!(ConflictField::parse("customFields.cpf"), ConflictField::CustomField("cpf".into()));
/// assert_eq!(ConflictField::parse("avatar"), ConflictField::Unknown("avatar".into()));
/// assert_eq!(ConflictField::CustomField("cpf".into()).to_string(), "customFields.cpf");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ConflictField {
    /// The contact's name.
    Name,
    /// The contact manager; the entry's value is a user `_id`.
    Manager,
    /// A custom field, by key.
    CustomField(String),
    /// A field this SDK does not know, kept as sent.
    Unknown(String),
}

impl ConflictField {
    /// Parses the wire form; never fails, unknown forms are kept.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::ConflictField;
    /// assert_eq!(ConflictField::parse("customFields.a.b"), ConflictField::CustomField("a.b".into()));
    /// ```
    pub fn parse(field: &str) -> Self {
        match field {
            "name" => Self::Name,
            "manager" => Self::Manager,
            other => match other.strip_prefix("customFields.") {
                Some(key) => Self::CustomField(key.to_owned()),
                None => Self::Unknown(other.to_owned()),
            },
        }
    }
}

impl std::fmt::Display for ConflictField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Name => f.write_str("name"),
            Self::Manager => f.write_str("manager"),
            Self::CustomField(key) => write!(f, "customFields.{key}"),
            Self::Unknown(field) => f.write_str(field),
        }
    }
}

impl Serialize for ConflictField {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConflictField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let field = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Self::parse(&field))
    }
}

/// One entry of `conflictingFields`: a competing value for a field. The contact's own field
/// keeps the current value.
///
/// ```
/// use rocketchat_omnichannel::models::{ConflictField, ConflictingField};
///
/// let entry: ConflictingField = serde_json::from_str(r#"{"field":"customFields.age","value":42}"#)?;
/// assert_eq!(entry.field, ConflictField::CustomField("age".into()));
/// assert_eq!(entry.value, 42);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConflictingField {
    /// The field competed for.
    pub field: ConflictField,
    /// The competing value; a string for names and managers, any JSON for custom fields.
    #[serde(default)]
    pub value: Value,
}

impl ConflictingField {
    /// An entry, for tests and mocks.
    ///
    /// ```
    /// use rocketchat_omnichannel::models::{ConflictField, ConflictingField};
    /// let entry = ConflictingField::new(ConflictField::Name, "Jane D.");
    /// assert_eq!(entry.value, "Jane D.");
    /// ```
    pub fn new(field: ConflictField, value: impl Into<Value>) -> Self {
        Self {
            field,
            value: value.into(),
        }
    }
}

/// The conflicts of one field, grouped: the value the contact has now and the competing
/// values in the order they arrived (the last is the most recent).
///
/// ```
/// use rocketchat_omnichannel::models::{ConflictField, Contact};
///
/// let contact: Contact = serde_json::from_str(r#"{
///   "_id": "c1", "name": "Jane Doe",
///   "conflictingFields": [{"field":"name","value":"Jane D."}, {"field":"name","value":"J. Doe"}]
/// }"#)?;
/// let conflicts = contact.conflicts();
/// assert_eq!(conflicts[0].field, ConflictField::Name);
/// assert_eq!(conflicts[0].current.as_ref().unwrap(), "Jane Doe");
/// assert_eq!(conflicts[0].latest().unwrap(), "J. Doe");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct FieldConflict {
    /// The field.
    pub field: ConflictField,
    /// Its current value (`None` when the contact has none).
    pub current: Option<Value>,
    /// Competing values, oldest first.
    pub candidates: Vec<Value>,
}

impl FieldConflict {
    /// The most recent competing value.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::Contact;
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","conflictingFields":[{"field":"name","value":"A"},{"field":"name","value":"B"}]}"#)?;
    /// assert_eq!(contact.conflicts()[0].latest().unwrap(), "B");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn latest(&self) -> Option<&Value> {
        self.candidates.last()
    }
}

impl Contact {
    /// The contact's conflicts grouped by field, in the order the fields first conflicted.
    /// Repeated competing values are listed once.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::{ConflictField, Contact};
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","customFields":{"cpf":"1"},
    ///   "conflictingFields":[{"field":"customFields.cpf","value":"2"}]}"#)?;
    /// let cpf = &contact.conflicts()[0];
    /// assert_eq!(cpf.field, ConflictField::CustomField("cpf".into()));
    /// assert_eq!((cpf.current.as_ref().unwrap(), &cpf.candidates[0]), (&"1".into(), &"2".into()));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn conflicts(&self) -> Vec<FieldConflict> {
        // Linear in the number of entries, however many a server sends: fields are found by
        // hash, and a value repeated later moves to its latest place (walking the entries
        // newest first and keeping each value's first sighting, then reversing).
        let mut grouped: Vec<FieldConflict> = Vec::new();
        let mut index: HashMap<&ConflictField, usize> = HashMap::new();
        for entry in &self.conflicting_fields {
            index.entry(&entry.field).or_insert_with(|| {
                grouped.push(FieldConflict {
                    current: self.current_value(&entry.field),
                    field: entry.field.clone(),
                    candidates: Vec::new(),
                });
                grouped.len() - 1
            });
        }
        let mut seen: HashSet<(usize, String)> = HashSet::new();
        for entry in self.conflicting_fields.iter().rev() {
            let group = index[&entry.field];
            if seen.insert((group, entry.value.to_string())) {
                grouped[group].candidates.push(entry.value.clone());
            }
        }
        for group in &mut grouped {
            group.candidates.reverse();
        }
        grouped
    }

    /// The value a field has now.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::{ConflictField, Contact};
    /// let mut contact = Contact::new("c1");
    /// contact.name = Some("Jane".into());
    /// assert_eq!(contact.current_value(&ConflictField::Name).unwrap(), "Jane");
    /// ```
    pub fn current_value(&self, field: &ConflictField) -> Option<Value> {
        match field {
            ConflictField::Name => self.name.clone().map(Value::String),
            ConflictField::Manager => self
                .contact_manager
                .as_ref()
                .map(|m| Value::String(m.to_string())),
            ConflictField::CustomField(key) => self.custom_fields.get(key).cloned(),
            ConflictField::Unknown(_) => None,
        }
    }
}

#[cfg(test)]
mod grouping_tests {
    use super::*;

    #[test]
    fn a_repeated_value_moves_to_its_latest_place_and_fields_keep_first_seen_order() {
        let contact: Contact = serde_json::from_value(serde_json::json!({
            "_id": "c1",
            "conflictingFields": [
                {"field": "name", "value": "a"},
                {"field": "customFields.plan", "value": "x"},
                {"field": "name", "value": "b"},
                {"field": "name", "value": "a"},
                {"field": "customFields.plan", "value": 1},
                {"field": "customFields.plan", "value": "1"}
            ]
        }))
        .unwrap();
        let grouped = contact.conflicts();
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].field, ConflictField::Name);
        assert_eq!(grouped[0].candidates, ["b", "a"]);
        // The number 1 and the string "1" are different values.
        assert_eq!(
            grouped[1].candidates,
            [Value::from("x"), Value::from(1), Value::from("1")]
        );
    }

    #[test]
    fn many_entries_group_in_one_pass() {
        let entries: Vec<serde_json::Value> = (0..200_000)
            .map(|i| serde_json::json!({"field": "name", "value": format!("v{}", i % 1000)}))
            .collect();
        let contact: Contact =
            serde_json::from_value(serde_json::json!({"_id": "c1", "conflictingFields": entries}))
                .unwrap();
        let grouped = contact.conflicts();
        assert_eq!(grouped[0].candidates.len(), 1000);
        assert_eq!(grouped[0].candidates[999], "v999");
    }
}
