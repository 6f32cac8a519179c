//! Resolution policies: a rule that decides, field by field, which value a contact keeps.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::plan::{Decision, Plan};
use crate::models::{ConflictField, Contact, FieldConflict};

/// What a policy decides for one contact: the contact, and its conflicts to decide.
type Decide = dyn Fn(&Contact, Vec<FieldConflict>) -> Vec<(FieldConflict, Decision)> + Send + Sync;

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
    wipe: bool,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("name", &self.name)
            .field("wipe", &self.wipe)
            .finish_non_exhaustive()
    }
}

impl Policy {
    /// Keeps every current value (sent back explicitly, so only the decided fields' conflicts
    /// are cleared).
    ///
    /// ```
    /// let policy = rocketchat_omnichannel::workflow::Policy::keep_current();
    /// assert_eq!(policy.name(), "keep-current");
    /// ```
    pub fn keep_current() -> Self {
        Self::custom("keep-current", |_| Decision::KeepCurrent)
    }

    /// Takes the last competing value recorded for every field: what came in most recently
    /// from a visitor's side (a merge, the widget), in place of the contact's current value.
    ///
    /// Not "the newest value": Rocket.Chat's conflict entries carry no time and
    /// `contacts.update` leaves them in place, so an entry can be older than the current
    /// value (an agent who renamed the contact after the merge). Combine it with
    /// [`Policy::leaving`] for fields a person should judge, or use [`Policy::prefer`].
    ///
    /// ```
    /// let policy = rocketchat_omnichannel::workflow::Policy::take_incoming();
    /// assert_eq!(policy.name(), "take-incoming");
    /// ```
    pub fn take_incoming() -> Self {
        Self::custom("take-incoming", |conflict| match conflict.latest() {
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
            decide: Arc::new(move |_: &Contact, conflicts: Vec<FieldConflict>| {
                conflicts
                    .into_iter()
                    .map(|conflict| {
                        let decision = decide(&conflict);
                        (conflict, decision)
                    })
                    .collect()
            }),
            wipe: false,
        }
    }

    /// A policy that sees the whole contact before anything is decided: it leaves the
    /// contact to a person, or picks the policy that decides its fields. For rules such as
    /// "a conflicting manager means a person must look at the whole contact", which a
    /// field-by-field rule cannot express (it would still rewrite the name). Whether the
    /// request may wipe is this policy's setting ([`Policy::wipe_undecided`]), not the
    /// chosen one's.
    ///
    /// ```
    /// use rocketchat_omnichannel::models::{ConflictField, Contact};
    /// use rocketchat_omnichannel::workflow::Policy;
    ///
    /// // `None` leaves the whole contact for a person.
    /// let policy = Policy::per_contact("manager-needs-a-person", |contact: &Contact| {
    ///     let manager = contact.conflicts().iter().any(|c| c.field == ConflictField::Manager);
    ///     (!manager).then(Policy::take_incoming)
    /// });
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane","contactManager":"a1",
    ///   "conflictingFields":[{"field":"name","value":"Janet"},{"field":"manager","value":"a2"}]}"#)?;
    /// let plan = policy.plan(&contact);
    /// assert_eq!(plan.changes().count(), 0, "not even the name is rewritten");
    /// assert_eq!(plan.left.len(), 2);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn per_contact(
        name: impl Into<Arc<str>>,
        decide: impl Fn(&Contact) -> Option<Policy> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            decide: Arc::new(
                move |contact: &Contact, conflicts: Vec<FieldConflict>| match decide(contact) {
                    None => leave_all(conflicts),
                    Some(policy) => (policy.decide)(contact, conflicts),
                },
            ),
            wipe: false,
        }
    }

    /// The same policy, but leaving the whole contact for a person when any of these fields
    /// is in conflict (where [`Policy::leaving`] leaves only those fields and decides the
    /// rest).
    ///
    /// ```
    /// use rocketchat_omnichannel::models::{ConflictField, Contact};
    /// use rocketchat_omnichannel::workflow::Policy;
    ///
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane","contactManager":"a1",
    ///   "conflictingFields":[{"field":"name","value":"Janet"},{"field":"manager","value":"a2"}]}"#)?;
    /// let plan = Policy::take_incoming().leaving_contact_when([ConflictField::Manager]).plan(&contact);
    /// assert_eq!(plan.changes().count(), 0);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn leaving_contact_when(self, fields: impl IntoIterator<Item = ConflictField>) -> Self {
        let fields: Vec<ConflictField> = fields.into_iter().collect();
        self.around(move |inner, contact, conflicts| {
            if conflicts.iter().any(|c| fields.contains(&c.field)) {
                leave_all(conflicts)
            } else {
                inner(contact, conflicts)
            }
        })
    }

    /// The same policy with `wrap` around its decisions (it gets the inner rule to call).
    fn around(
        self,
        wrap: impl Fn(&Decide, &Contact, Vec<FieldConflict>) -> Vec<(FieldConflict, Decision)>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        let inner = Arc::clone(&self.decide);
        Self {
            name: self.name,
            wipe: self.wipe,
            decide: Arc::new(move |contact: &Contact, conflicts: Vec<FieldConflict>| {
                wrap(&*inner, contact, conflicts)
            }),
        }
    }

    /// The same policy, but leaving the conflicts of these fields for a person
    /// ([`Decision::Leave`]) whatever it would have decided.
    ///
    /// ```
    /// use rocketchat_omnichannel::models::{ConflictField, Contact};
    /// use rocketchat_omnichannel::workflow::Policy;
    ///
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane","contactManager":"a1",
    ///   "conflictingFields":[{"field":"name","value":"Janet"},{"field":"manager","value":"a2"}]}"#)?;
    /// let plan = Policy::take_incoming().leaving([ConflictField::Name]).plan(&contact);
    /// assert_eq!(plan.left, [ConflictField::Name]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn leaving(self, fields: impl IntoIterator<Item = ConflictField>) -> Self {
        let fields: Vec<ConflictField> = fields.into_iter().collect();
        self.around(move |inner, contact, conflicts| {
            inner(contact, conflicts)
                .into_iter()
                .map(|(conflict, decision)| {
                    if fields.contains(&conflict.field) {
                        (conflict, Decision::Leave)
                    } else {
                        (conflict, decision)
                    }
                })
                .collect()
        })
    }

    /// Whether resolving may send `wipeConflicts`, which clears *every* conflict of the
    /// contact on the server, including fields no decision covered (fields this SDK does not
    /// know, or conflicts that arrived after the contact was read). Off by default: each
    /// decided field is then sent explicitly and only its conflicts are cleared. A plan with a
    /// [`Decision::Leave`] never wipes.
    ///
    /// ```
    /// let policy = rocketchat_omnichannel::workflow::Policy::keep_current().wipe_undecided(true);
    /// # let _ = policy;
    /// ```
    #[must_use]
    pub fn wipe_undecided(mut self, wipe: bool) -> Self {
        self.wipe = wipe;
        self
    }

    /// The policy's name.
    ///
    /// ```
    /// assert_eq!(rocketchat_omnichannel::workflow::Policy::take_incoming().name(), "take-incoming");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Decides every conflicted field of `contact`.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// let plan = Policy::keep_current().plan(&Contact::new("c1"));
    /// assert!(plan.writes.is_empty() && !plan.sends());
    /// ```
    pub fn plan(&self, contact: &Contact) -> Plan {
        Plan::decided(
            contact,
            (self.decide)(contact, contact.conflicts()),
            self.wipe,
        )
    }
}

/// Every conflict left for a person.
fn leave_all(conflicts: Vec<FieldConflict>) -> Vec<(FieldConflict, Decision)> {
    conflicts
        .into_iter()
        .map(|conflict| (conflict, Decision::Leave))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;

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
    fn take_incoming_sends_each_field_and_never_wipes_by_default() {
        let client = Client::builder("https://chat.example.com").build().unwrap();
        let plan = Policy::take_incoming().plan(&contact());
        let body = plan.request(&client).to_json().unwrap();
        assert_eq!(
            body,
            r#"{"contactId":"c1","name":"Jane D.","contactManager":"agent-2","customFields":{"age":42,"cpf":"222"}}"#
        );
        // `avatar` is a field the SDK cannot send: it stays, but not on purpose.
        assert!(plan.left.is_empty());
        assert_eq!(plan.unsent, [ConflictField::Unknown("avatar".into())]);
    }

    #[test]
    fn keep_current_sends_the_current_values_or_wipes_when_allowed() {
        let client = Client::builder("https://chat.example.com").build().unwrap();
        let plan = Policy::keep_current().plan(&contact());
        assert_eq!(plan.changes().count(), 0);
        assert_eq!(
            plan.request(&client).to_json().unwrap(),
            r#"{"contactId":"c1","name":"Jane Doe","contactManager":"agent-1","customFields":{"age":41,"cpf":"111"}}"#
        );
        let plan = Policy::keep_current().wipe_undecided(true).plan(&contact());
        assert!(plan.wipe);
        assert_eq!(plan.remaining().count(), 0);
        assert_eq!(
            plan.request(&client).to_json().unwrap(),
            r#"{"contactId":"c1","wipeConflicts":true}"#
        );
    }

    #[test]
    fn leave_keeps_a_field_out_of_the_request_and_forbids_the_wipe() {
        let client = Client::builder("https://chat.example.com").build().unwrap();
        let policy = Policy::take_incoming()
            .wipe_undecided(true)
            .leaving([ConflictField::Name, ConflictField::Manager]);
        let plan = policy.plan(&contact());
        assert!(!plan.wipe);
        assert!(plan.sends());
        assert_eq!(
            plan.request(&client).to_json().unwrap(),
            r#"{"contactId":"c1","customFields":{"age":42,"cpf":"222"}}"#
        );
        let left: Vec<_> = plan.remaining().cloned().collect();
        assert_eq!(
            left,
            [
                ConflictField::Name,
                ConflictField::Manager,
                ConflictField::Unknown("avatar".into())
            ]
        );
        let nothing = Policy::custom("human", |_| Decision::Leave).plan(&contact());
        assert!(!nothing.sends());
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
