//! Resolution policies: a rule that decides, field by field, which value a contact keeps.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::client::Client;
use crate::models::{ConflictField, Contact, ContactId, FieldConflict};
use crate::omnichannel::contacts::ResolveConflicts;

/// What to do with one conflicted field.
///
/// ```
/// use rocketchat_omnichannel::workflow::Decision;
/// let decision = Decision::Take(serde_json::json!("Jane Doe"));
/// # let _ = decision;
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Keep the contact's current value and drop the competing ones.
    KeepCurrent,
    /// Set this value (normally one of the candidates).
    Take(Value),
}

type Decide = dyn Fn(&FieldConflict) -> Decision + Send + Sync;

/// A rule that decides every conflicted field of a contact. Cheap to clone and shareable
/// across tasks.
///
/// ```
/// use rocketchat_omnichannel::models::{ConflictField, Contact};
/// use rocketchat_omnichannel::workflow::{Decision, Policy};
///
/// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane Doe",
///   "customFields":{"plan":"basic"},
///   "conflictingFields":[{"field":"name","value":"Jane D."},{"field":"customFields.plan","value":"premium"}]}"#)?;
///
/// // Take the newest custom-field values, keep names as they are.
/// let policy = Policy::custom("newest-fields", |conflict| match (&conflict.field, conflict.latest()) {
///     (ConflictField::CustomField(_), Some(value)) => Decision::Take(value.clone()),
///     _ => Decision::KeepCurrent,
/// });
/// let plan = policy.plan(&contact);
/// assert_eq!(plan.changes().count(), 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct Policy {
    name: Arc<str>,
    decide: Arc<Decide>,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// Keeps every current value and wipes the conflicts.
    ///
    /// ```
    /// let policy = rocketchat_omnichannel::workflow::Policy::keep_current();
    /// assert_eq!(policy.name(), "keep-current");
    /// ```
    pub fn keep_current() -> Self {
        Self::custom("keep-current", |_| Decision::KeepCurrent)
    }

    /// Takes the most recent competing value of every field.
    ///
    /// ```
    /// let policy = rocketchat_omnichannel::workflow::Policy::take_latest();
    /// assert_eq!(policy.name(), "take-latest");
    /// ```
    pub fn take_latest() -> Self {
        Self::custom("take-latest", |conflict| match conflict.latest() {
            Some(value) => Decision::Take(value.clone()),
            None => Decision::KeepCurrent,
        })
    }

    /// Takes the most recent competing value that satisfies `predicate`; keeps the current
    /// value when none does.
    ///
    /// ```
    /// use rocketchat_omnichannel::models::ConflictField;
    /// use rocketchat_omnichannel::workflow::Policy;
    /// // Prefer names with a surname.
    /// let policy = Policy::prefer(|field, value| {
    ///     *field != ConflictField::Name || value.as_str().is_some_and(|n| n.contains(' '))
    /// });
    /// # let _ = policy;
    /// ```
    pub fn prefer(
        predicate: impl Fn(&ConflictField, &Value) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self::custom("prefer", move |conflict| {
            match conflict
                .candidates
                .iter()
                .rev()
                .find(|v| predicate(&conflict.field, v))
            {
                Some(value) => Decision::Take(value.clone()),
                None => Decision::KeepCurrent,
            }
        })
    }

    /// A policy from a closure; `name` appears in logs and reports.
    ///
    /// ```
    /// use rocketchat_omnichannel::workflow::{Decision, Policy};
    /// let policy = Policy::custom("always-keep", |_| Decision::KeepCurrent);
    /// # let _ = policy;
    /// ```
    pub fn custom(
        name: impl Into<Arc<str>>,
        decide: impl Fn(&FieldConflict) -> Decision + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            decide: Arc::new(decide),
        }
    }

    /// The policy's name.
    ///
    /// ```
    /// assert_eq!(rocketchat_omnichannel::workflow::Policy::take_latest().name(), "take-latest");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Decides every conflicted field of `contact`.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// let plan = Policy::keep_current().plan(&Contact::new("c1"));
    /// assert!(plan.decisions.is_empty());
    /// ```
    pub fn plan(&self, contact: &Contact) -> Plan {
        let decisions = contact
            .conflicts()
            .into_iter()
            .map(|conflict| {
                let decision = (self.decide)(&conflict);
                (conflict, decision)
            })
            .collect();
        Plan {
            contact_id: contact.id.clone(),
            decisions,
        }
    }
}

/// The decisions for one contact, ready to become a resolve request.
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// use rocketchat_omnichannel::workflow::Policy;
/// let contact = client.get_contact("contact-id").await?;
/// let plan = Policy::take_latest().plan(&contact);
/// let resolved = plan.request(&client).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Plan {
    /// The contact decided for.
    pub contact_id: ContactId,
    /// Each conflicted field with its decision.
    pub decisions: Vec<(FieldConflict, Decision)>,
}

impl Plan {
    /// The values that will be set, by field (fields kept as they are are left out).
    /// Values that cannot be sent for their field (a non-string or empty name or manager)
    /// are left out too: the current value is kept.
    pub fn changes(&self) -> impl Iterator<Item = (&ConflictField, &Value)> {
        self.decisions
            .iter()
            .filter_map(|(conflict, decision)| match decision {
                Decision::Take(value) if sendable(&conflict.field, value) => {
                    Some((&conflict.field, value))
                }
                _ => None,
            })
    }

    /// The resolve request that carries out the plan: the chosen values, and
    /// `wipeConflicts` so the fields kept as they are are settled too.
    pub fn request<'a>(&self, client: &'a Client) -> ResolveConflicts<'a> {
        self.changes().fold(
            client
                .resolve_contact_conflicts(self.contact_id.clone())
                .wipe_conflicts(true),
            |request, (field, value)| match field {
                ConflictField::Name => request.name(value.as_str().unwrap_or_default()),
                ConflictField::Manager => {
                    request.contact_manager(value.as_str().unwrap_or_default())
                }
                ConflictField::CustomField(key) => request.custom_field(key.clone(), value.clone()),
                _ => request,
            },
        )
    }
}

fn sendable(field: &ConflictField, value: &Value) -> bool {
    match field {
        ConflictField::Name | ConflictField::Manager => {
            value.as_str().is_some_and(|s| !s.trim().is_empty())
        }
        ConflictField::CustomField(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> Contact {
        serde_json::from_value(serde_json::json!({
            "_id": "c1", "name": "Jane Doe", "contactManager": "agent-1",
            "customFields": {"cpf": "111", "age": 41},
            "conflictingFields": [
                {"field": "name", "value": "Jane D."},
                {"field": "manager", "value": "agent-2"},
                {"field": "customFields.cpf", "value": "222"},
                {"field": "name", "value": "J. Doe"},
                {"field": "customFields.age", "value": 42},
                {"field": "name", "value": "Jane D."},
                {"field": "avatar", "value": "x"}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn conflicts_are_grouped_with_current_values() {
        let conflicts = contact().conflicts();
        assert_eq!(conflicts.len(), 5);
        assert_eq!(conflicts[0].current, Some(Value::from("Jane Doe")));
        assert_eq!(
            conflicts[0].candidates,
            [Value::from("J. Doe"), Value::from("Jane D.")],
            "repeats moved to the end"
        );
        assert_eq!(conflicts[1].current, Some(Value::from("agent-1")));
        assert_eq!(conflicts[3].current, Some(Value::from(41)));
        assert_eq!(conflicts[4].current, None);
    }

    #[test]
    fn take_latest_builds_the_request() {
        let client = Client::builder("https://chat.example.com").build().unwrap();
        let plan = Policy::take_latest().plan(&contact());
        let body = plan.request(&client).to_json().unwrap();
        assert_eq!(
            body,
            r#"{"contactId":"c1","name":"Jane D.","contactManager":"agent-2","customFields":{"age":42,"cpf":"222"},"wipeConflicts":true}"#
        );
    }

    #[test]
    fn keep_current_only_wipes() {
        let client = Client::builder("https://chat.example.com").build().unwrap();
        let plan = Policy::keep_current().plan(&contact());
        assert_eq!(plan.changes().count(), 0);
        assert_eq!(
            plan.request(&client).to_json().unwrap(),
            r#"{"contactId":"c1","wipeConflicts":true}"#
        );
    }

    #[test]
    fn prefer_falls_back_to_the_current_value() {
        let policy =
            Policy::prefer(|field, value| *field == ConflictField::Name && value == "J. Doe");
        let plan = policy.plan(&contact());
        let changes: Vec<_> = plan.changes().collect();
        assert_eq!(changes, [(&ConflictField::Name, &Value::from("J. Doe"))]);
    }

    #[test]
    fn unsendable_values_keep_the_current_one() {
        let policy = Policy::custom("bad", |c| match c.field {
            ConflictField::Name => Decision::Take(Value::from(5)),
            _ => Decision::Take(Value::from("")),
        });
        let changes: Vec<_> = policy
            .plan(&contact())
            .changes()
            .map(|(f, _)| f.clone())
            .collect();
        assert_eq!(
            changes,
            [
                ConflictField::CustomField("cpf".into()),
                ConflictField::CustomField("age".into())
            ]
        );
    }
}
