//! Resolution policies: a rule that decides, field by field, which value a contact keeps.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::client::Client;
use crate::models::{ConflictField, Contact, ContactId, FieldConflict};
use crate::omnichannel::contacts::ResolveConflicts;

/// What to do with one conflicted field.
///
/// Non-exhaustive: later versions may add ways to decide.
///
/// ```
/// use rocketchat_omnichannel::workflow::Decision;
/// let decision = Decision::Take(serde_json::json!("Jane Doe"));
/// # let _ = decision;
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Decision {
    /// Keep the contact's current value and drop the competing ones.
    KeepCurrent,
    /// Set this value (normally one of the candidates).
    Take(Value),
    /// Decide nothing: the field's conflicts stay for a human, and the contact is reported as
    /// partly resolved. Lets a policy settle what it is sure of and no more.
    Leave,
}

/// What a policy decides for one contact: the contact, and its conflicts to decide.
type Decide = dyn Fn(&Contact, Vec<FieldConflict>) -> Vec<(FieldConflict, Decision)> + Send + Sync;

/// What a contact-level policy ([`Policy::per_contact`]) decides for a whole contact.
///
/// Non-exhaustive: later versions may add ways to decide.
///
/// ```
/// use rocketchat_omnichannel::workflow::{ContactDecision, Policy};
/// let decision = ContactDecision::With(Policy::take_latest());
/// # let _ = decision;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ContactDecision {
    /// Leave every conflict of this contact for a human: nothing is sent for it, and a bulk
    /// run reports it as waiting for a human.
    LeaveAll,
    /// Decide this contact's fields with this policy.
    With(Policy),
}

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
    /// contact to a human, or picks the policy that decides its fields. For rules such as
    /// "a conflicting manager means a person must look at the whole contact", which a
    /// field-by-field rule cannot express (it would still rewrite the name). Whether the
    /// request may wipe is this policy's setting ([`Policy::wipe_undecided`]), not the
    /// chosen one's.
    ///
    /// ```
    /// use rocketchat_omnichannel::models::{ConflictField, Contact};
    /// use rocketchat_omnichannel::workflow::{ContactDecision, Policy};
    ///
    /// let policy = Policy::per_contact("manager-needs-a-human", |contact: &Contact| {
    ///     if contact.conflicts().iter().any(|c| c.field == ConflictField::Manager) {
    ///         ContactDecision::LeaveAll
    ///     } else {
    ///         ContactDecision::With(Policy::take_latest())
    ///     }
    /// });
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane","contactManager":"a1",
    ///   "conflictingFields":[{"field":"name","value":"Janet"},{"field":"manager","value":"a2"}]}"#)?;
    /// let plan = policy.plan(&contact);
    /// assert_eq!(plan.changes().count(), 0, "not even the name is rewritten");
    /// assert_eq!(plan.left().count(), 2);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn per_contact(
        name: impl Into<Arc<str>>,
        decide: impl Fn(&Contact) -> ContactDecision + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            decide: Arc::new(
                move |contact: &Contact, conflicts: Vec<FieldConflict>| match decide(contact) {
                    ContactDecision::LeaveAll => leave_all(conflicts),
                    ContactDecision::With(policy) => (policy.decide)(contact, conflicts),
                },
            ),
            wipe: false,
        }
    }

    /// The same policy, but leaving the whole contact for a human when any of these fields
    /// is in conflict (where [`Policy::leaving`] leaves only those fields and decides the
    /// rest).
    ///
    /// ```
    /// use rocketchat_omnichannel::models::{ConflictField, Contact};
    /// use rocketchat_omnichannel::workflow::Policy;
    ///
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane","contactManager":"a1",
    ///   "conflictingFields":[{"field":"name","value":"Janet"},{"field":"manager","value":"a2"}]}"#)?;
    /// let plan = Policy::take_latest().leaving_contact_when([ConflictField::Manager]).plan(&contact);
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

    /// The same policy, but leaving the conflicts of these fields for a human
    /// ([`Decision::Leave`]) whatever it would have decided.
    ///
    /// ```
    /// use rocketchat_omnichannel::models::{ConflictField, Contact};
    /// use rocketchat_omnichannel::workflow::Policy;
    ///
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane","contactManager":"a1",
    ///   "conflictingFields":[{"field":"name","value":"Janet"},{"field":"manager","value":"a2"}]}"#)?;
    /// let plan = Policy::take_latest().leaving([ConflictField::Name]).plan(&contact);
    /// assert_eq!(plan.left().collect::<Vec<_>>(), [&ConflictField::Name]);
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
        let decisions = (self.decide)(contact, contact.conflicts());
        Plan {
            contact_id: contact.id.clone(),
            decisions,
            wipe: self.wipe,
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
    /// Whether the policy allows `wipeConflicts` (see [`Policy::wipe_undecided`]).
    pub wipe: bool,
}

impl Plan {
    /// The values that will be set, by field, for [`Decision::Take`] (fields kept as they are
    /// and fields left are not listed). Values that cannot be sent for their field (a
    /// non-string or empty name or manager) are left out: that field stays conflicted unless
    /// the plan wipes.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// let plan = Policy::take_latest().plan(&Contact::new("c1"));
    /// assert_eq!(plan.changes().count(), 0);
    /// ```
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

    /// Whether the request will carry `wipeConflicts`: the policy allows it and no decision
    /// leaves a field.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// assert!(!Policy::keep_current().plan(&Contact::new("c1")).wipes());
    /// ```
    pub fn wipes(&self) -> bool {
        self.wipe
            && !self
                .decisions
                .iter()
                .any(|(_, decision)| matches!(decision, Decision::Leave))
    }

    /// Every field whose value the request will send, with that value: the taken values,
    /// and the current values of fields kept (so their conflicts are cleared without a
    /// wipe). A wiping plan sends only the taken values.
    pub(crate) fn sent(&self) -> Vec<(&ConflictField, &Value)> {
        let wipes = self.wipes();
        self.decisions
            .iter()
            .filter_map(|(conflict, decision)| {
                let value = match decision {
                    Decision::Take(value) => value,
                    Decision::KeepCurrent if !wipes => conflict.current.as_ref()?,
                    _ => return None,
                };
                sendable(&conflict.field, value).then_some((&conflict.field, value))
            })
            .collect()
    }

    /// The fields whose conflicts stay after the request: those a decision leaves, and those
    /// whose decision cannot be sent (unknown fields, unsendable values, a kept field with no
    /// current value), unless the plan wipes.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// let plan = Policy::keep_current().plan(&Contact::new("c1"));
    /// assert_eq!(plan.left().count(), 0);
    /// ```
    pub fn left(&self) -> impl Iterator<Item = &ConflictField> {
        let sent: Vec<&ConflictField> = self.sent().into_iter().map(|(f, _)| f).collect();
        let wipes = self.wipes();
        self.decisions
            .iter()
            .map(|(conflict, _)| &conflict.field)
            .filter(move |field| !wipes && !sent.contains(field))
    }

    /// Whether every field the request leaves conflicted was left on purpose
    /// ([`Decision::Leave`]); `false` when some decision cannot be carried out (a kept field
    /// with no current value, such as a manager whose user was deleted; an unknown field; a
    /// value that cannot be sent). A bulk run counts the first kind as waiting for a human
    /// and the second as left conflicted.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1",
    ///   "conflictingFields":[{"field":"manager","value":"agent2"}]}"#)?;
    /// // Keep the current manager: there is none, so nothing can be sent.
    /// assert!(!Policy::keep_current().plan(&contact).left_only_on_purpose());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn left_only_on_purpose(&self) -> bool {
        let left: Vec<&ConflictField> = self.left().collect();
        self.decisions
            .iter()
            .filter(|(conflict, _)| left.contains(&&conflict.field))
            .all(|(_, decision)| matches!(decision, Decision::Leave))
    }

    /// Whether the request would change anything: `false` when every field is left, so
    /// there is nothing to send.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// assert!(!Policy::keep_current().plan(&Contact::new("c1")).is_actionable());
    /// ```
    pub fn is_actionable(&self) -> bool {
        self.wipes() || !self.sent().is_empty()
    }

    /// The resolve request that carries out the plan: the chosen values, the current values
    /// of kept fields (or `wipeConflicts` when [`Plan::wipes`]).
    ///
    /// The request borrows `client` for its lifetime; clone the client to move it.
    ///
    /// ```
    /// # let client = rocketchat_omnichannel::Client::builder("https://chat.example.com").build()?;
    /// use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane",
    ///   "conflictingFields":[{"field":"name","value":"Janet"}]}"#)?;
    /// let body = Policy::keep_current().plan(&contact).request(&client).to_json()?;
    /// assert_eq!(body, r#"{"contactId":"c1","name":"Jane"}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request(&self, client: &Client) -> ResolveConflicts {
        let start = client.resolve_contact_conflicts(self.contact_id.clone());
        let start = if self.wipes() {
            start.wipe_conflicts(true)
        } else {
            start
        };
        self.sent()
            .into_iter()
            .fold(start, |request, (field, value)| match field {
                ConflictField::Name => request.name(value.as_str().unwrap_or_default()),
                ConflictField::Manager => {
                    request.contact_manager(value.as_str().unwrap_or_default())
                }
                ConflictField::CustomField(key) => request.custom_field(key.clone(), value.clone()),
                _ => request,
            })
    }
}

/// Every conflict left for a human.
fn leave_all(conflicts: Vec<FieldConflict>) -> Vec<(FieldConflict, Decision)> {
    conflicts
        .into_iter()
        .map(|conflict| (conflict, Decision::Leave))
        .collect()
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
    fn take_latest_sends_each_field_and_never_wipes_by_default() {
        let client = Client::builder("https://chat.example.com").build().unwrap();
        let plan = Policy::take_latest().plan(&contact());
        let body = plan.request(&client).to_json().unwrap();
        assert_eq!(
            body,
            r#"{"contactId":"c1","name":"Jane D.","contactManager":"agent-2","customFields":{"age":42,"cpf":"222"}}"#
        );
        // `avatar` is a field the SDK cannot send: it stays for a human.
        assert_eq!(
            plan.left().collect::<Vec<_>>(),
            [&ConflictField::Unknown("avatar".into())]
        );
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
        assert!(plan.wipes());
        assert_eq!(plan.left().count(), 0);
        assert_eq!(
            plan.request(&client).to_json().unwrap(),
            r#"{"contactId":"c1","wipeConflicts":true}"#
        );
    }

    #[test]
    fn leave_keeps_a_field_out_of_the_request_and_forbids_the_wipe() {
        let client = Client::builder("https://chat.example.com").build().unwrap();
        let policy = Policy::take_latest()
            .wipe_undecided(true)
            .leaving([ConflictField::Name, ConflictField::Manager]);
        let plan = policy.plan(&contact());
        assert!(!plan.wipes());
        assert!(plan.is_actionable());
        assert_eq!(
            plan.request(&client).to_json().unwrap(),
            r#"{"contactId":"c1","customFields":{"age":42,"cpf":"222"}}"#
        );
        let left: Vec<_> = plan.left().cloned().collect();
        assert_eq!(
            left,
            [
                ConflictField::Name,
                ConflictField::Manager,
                ConflictField::Unknown("avatar".into())
            ]
        );
        let nothing = Policy::custom("human", |_| Decision::Leave).plan(&contact());
        assert!(!nothing.is_actionable());
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
