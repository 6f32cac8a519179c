//! [`Plan`]: what resolving one contact writes, throws away and leaves for a person, made
//! from a snapshot of the contact so that it can be checked against the server again before
//! it is sent.
//!
//! Why a snapshot: Rocket.Chat resolves conflicts without a version check
//! (`apps/meteor/ee/server/patches/resolveContactConflicts.ts` reads the contact and writes it
//! back), a resolve discards the alternatives it does not keep, and `contacts.update` cannot
//! bring conflict entries back (its schema has no `conflictingFields`). A decision is only
//! safe to send while the values it saw are still there.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::models::{ConflictField, ConflictingField, Contact, ContactId, FieldConflict};
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
    /// Decide nothing: the field's conflicts stay for a person, and the contact is reported as
    /// partly resolved. Lets a policy settle what it is sure of and no more.
    Leave,
}

/// What a plan looks at in a contact: the fields a resolve can change and the conflict
/// entries it can discard. Saved with the plan (its `snapshot` key) so that the plan can be
/// checked against the server again.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Snapshot {
    /// The contact's name.
    #[serde(default)]
    pub(crate) name: Option<String>,
    /// The contact manager's user id.
    #[serde(default)]
    pub(crate) contact_manager: Option<String>,
    /// Every custom field.
    #[serde(default)]
    pub(crate) custom_fields: Map<String, Value>,
    /// Every conflict entry, in the server's order.
    #[serde(default)]
    pub(crate) conflicting_fields: Vec<ConflictingField>,
    /// The server's `_updatedAt`.
    #[serde(default)]
    pub(crate) updated_at: Option<Timestamp>,
    /// The manager's username, when the answer carried it (`contacts.search` does, `get`
    /// does not): shown to people beside the id. Not saved, and not part of the
    /// fingerprint, so the same contact read either way is the same plan entry.
    #[serde(skip)]
    pub(crate) manager_username: Option<String>,
}

/// Equal when the contact is: the manager's username is only for showing (a listing has
/// it, a read or a saved plan does not).
impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.contact_manager == other.contact_manager
            && self.custom_fields == other.custom_fields
            && self.conflicting_fields == other.conflicting_fields
            && self.updated_at == other.updated_at
    }
}

impl Snapshot {
    /// The parts of `contact` a plan depends on.
    pub(crate) fn of(contact: &Contact) -> Self {
        Self {
            name: contact.name.clone(),
            contact_manager: contact.contact_manager.as_ref().map(|m| m.id().to_string()),
            custom_fields: contact.custom_fields.clone(),
            conflicting_fields: contact.conflicting_fields.clone(),
            updated_at: contact.updated_at,
            manager_username: contact
                .contact_manager
                .as_ref()
                .and_then(|m| m.username().map(str::to_owned)),
        }
    }

    /// A value for people: the manager's id with its username beside it when known.
    fn shown(&self, field: &ConflictField, value: &Value) -> String {
        match (field, &self.manager_username, &self.contact_manager) {
            (ConflictField::Manager, Some(username), Some(id)) if value.as_str() == Some(id) => {
                format!("{} ({})", one_line(username), one_line(id))
            }
            _ => text(value),
        }
    }

    /// The value this snapshot holds for `field` (`None` when unset).
    pub(crate) fn value(&self, field: &ConflictField) -> Option<Value> {
        match field {
            ConflictField::Name => self.name.clone().map(Value::String),
            ConflictField::Manager => self.contact_manager.clone().map(Value::String),
            ConflictField::CustomField(key) => self.custom_fields.get(key).cloned(),
            _ => None,
        }
    }

    /// The conflict entries' values for `field`, in order.
    pub(crate) fn entries(&self, field: &ConflictField) -> Vec<&Value> {
        self.conflicting_fields
            .iter()
            .filter(|entry| &entry.field == field)
            .map(|entry| &entry.value)
            .collect()
    }

    /// A short stable digest (FNV-1a over the JSON): equal snapshots, equal fingerprints.
    fn fingerprint(&self) -> String {
        let bytes = serde_json::to_vec(self).unwrap_or_default();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{hash:016x}")
    }
}

/// One value a plan writes, and what the field held before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Write {
    /// The field.
    pub field: ConflictField,
    /// Its value in the snapshot (`None`: unset).
    pub from: Option<Value>,
    /// The value sent.
    pub to: Value,
}

/// A value a plan throws away: a conflict entry it removes, or a current value it replaces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Discard {
    /// The field.
    pub field: ConflictField,
    /// The value lost.
    pub value: Value,
}

/// What resolving one contact does: made by [`Policy::plan`](super::Policy::plan) (or by a
/// person in `rocketchat-contacts conflicts review`), carried out by a run, saved in a
/// [`PlanFile`](super::PlanFile), recorded in a [`Journal`](super::Journal) and taken back by
/// [`undo`](super::undo). [`Plan::request`] is the one way to turn it into a call.
///
/// ```
/// use rocketchat_omnichannel::models::{ConflictField, Contact};
/// use rocketchat_omnichannel::workflow::Policy;
/// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane","contactManager":"a1",
///   "conflictingFields":[{"field":"name","value":"J."},{"field":"name","value":"Janet"},
///                        {"field":"manager","value":"a2"}]}"#)?;
/// let plan = Policy::take_incoming().leaving([ConflictField::Manager]).plan(&contact);
/// assert_eq!(plan.writes[0].to, "Janet");
/// assert_eq!(plan.discards.len(), 2); // the entry "J." and the old name "Jane"
/// assert_eq!(plan.left, [ConflictField::Manager]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Plan {
    /// The contact.
    pub contact_id: ContactId,
    /// What the plan was made from (saved, and compared with the server before sending).
    pub(crate) snapshot: Snapshot,
    /// A digest of the snapshot: which version of the contact the plan was made for (a
    /// journal reused with another plan skips nothing new).
    pub(crate) fingerprint: String,
    /// The values the request sends: taken values, and kept values sent back so that their
    /// conflicts are cleared.
    pub writes: Vec<Write>,
    /// Every value the request throws away.
    pub discards: Vec<Discard>,
    /// Fields left for a person on purpose ([`Decision::Leave`]): nothing is sent for them.
    pub left: Vec<ConflictField>,
    /// Fields decided but that cannot be sent (a field this SDK does not know, a value the
    /// route refuses, a kept field with no current value such as a deleted manager): they
    /// stay conflicted, and a run does not call such a contact clean.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unsent: Vec<ConflictField>,
    /// Whether the request sends `wipeConflicts` (every conflict entry goes).
    pub wipe: bool,
}

impl Plan {
    /// A plan from a policy's decisions over `contact`'s conflicts; `wipe` when the policy
    /// allows `wipeConflicts` (never with a field left for a person).
    pub(crate) fn decided(
        contact: &Contact,
        decisions: Vec<(FieldConflict, Decision)>,
        wipe: bool,
    ) -> Self {
        let wipe = wipe
            && !decisions
                .iter()
                .any(|(_, decision)| matches!(decision, Decision::Leave));
        let snapshot = Snapshot::of(contact);
        let mut writes = Vec::new();
        let mut left = Vec::new();
        let mut unsent = Vec::new();
        for (conflict, decision) in decisions {
            let value = match decision {
                Decision::Leave => {
                    left.push(conflict.field);
                    continue;
                }
                Decision::Take(value) => Some(value),
                // A wipe clears the field's entries without sending its value.
                Decision::KeepCurrent if wipe => continue,
                Decision::KeepCurrent => conflict.current,
            };
            match value {
                Some(value) if sendable(&conflict.field, &value) => writes.push(Write {
                    from: snapshot.value(&conflict.field),
                    field: conflict.field,
                    to: value,
                }),
                _ if wipe => {}
                _ => unsent.push(conflict.field),
            }
        }
        let discards = discards(&snapshot, &writes, wipe);
        Self {
            contact_id: contact.id.clone(),
            fingerprint: snapshot.fingerprint(),
            snapshot,
            writes,
            discards,
            left,
            unsent,
            wipe,
        }
    }

    /// Whether there is anything to send: `false` when every field is left for a person or
    /// cannot be sent.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// assert!(!Policy::keep_current().plan(&Contact::new("c1")).sends());
    /// ```
    pub fn sends(&self) -> bool {
        !self.writes.is_empty() || self.wipe
    }

    /// The values that change, by field (kept values, written back unchanged, are not
    /// listed).
    ///
    /// ```
    /// # use rocketchat_omnichannel::{models::Contact, workflow::Policy};
    /// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane",
    ///   "conflictingFields":[{"field":"name","value":"Janet"}]}"#)?;
    /// assert_eq!(Policy::keep_current().plan(&contact).changes().count(), 0);
    /// assert_eq!(Policy::take_incoming().plan(&contact).changes().count(), 1);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn changes(&self) -> impl Iterator<Item = (&ConflictField, &Value)> {
        self.writes
            .iter()
            .filter(|w| w.from.as_ref() != Some(&w.to))
            .map(|w| (&w.field, &w.to))
    }

    /// Every field whose conflicts stay after the request: [`left`](Self::left) on purpose,
    /// then [`unsent`](Self::unsent).
    pub fn remaining(&self) -> impl Iterator<Item = &ConflictField> {
        self.left.iter().chain(&self.unsent)
    }

    /// The resolve request that carries out the plan. It borrows `client` for its lifetime;
    /// clone the client to move it.
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
        let start = if self.wipe {
            start.wipe_conflicts(true)
        } else {
            start
        };
        self.writes
            .iter()
            .fold(start, |request, write| match &write.field {
                ConflictField::Name => request.name(write.to.as_str().unwrap_or_default()),
                ConflictField::Manager => {
                    request.contact_manager(write.to.as_str().unwrap_or_default())
                }
                ConflictField::CustomField(key) => {
                    request.custom_field(key.clone(), write.to.clone())
                }
                _ => request,
            })
    }

    /// The fields whose value or conflict entries differ in `now` from what the plan saw,
    /// among those it writes or discards: a non-empty answer means sending would overwrite
    /// or throw away something the plan never saw.
    pub fn changed_since(&self, now: &Contact) -> Vec<ConflictField> {
        let current = Snapshot::of(now);
        let mut fields: Vec<ConflictField> = self.writes.iter().map(|w| w.field.clone()).collect();
        if self.wipe {
            for entry in current
                .conflicting_fields
                .iter()
                .chain(&self.snapshot.conflicting_fields)
            {
                fields.push(entry.field.clone());
            }
        }
        fields.sort();
        fields.dedup();
        fields
            .into_iter()
            .filter(|field| {
                current.value(field) != self.snapshot.value(field)
                    || current.entries(field) != self.snapshot.entries(field)
            })
            .collect()
    }

    /// Whether `now` shows the plan carried out: every written value in place and the
    /// cleared fields' entries gone.
    pub(crate) fn is_applied_in(&self, now: &Contact) -> bool {
        let current = Snapshot::of(now);
        self.writes
            .iter()
            .all(|w| current.value(&w.field).as_ref() == Some(&w.to))
            && (if self.wipe {
                current.conflicting_fields.is_empty()
            } else {
                self.writes
                    .iter()
                    .all(|w| current.entries(&w.field).is_empty())
            })
    }

    /// The same writes over `now`: the values they replace and discard as they are now, so
    /// that a journal records (and undo restores) what was really there.
    pub(crate) fn rebased_on(&self, now: &Contact) -> Plan {
        let snapshot = Snapshot::of(now);
        let mut rebased = self.clone();
        for write in &mut rebased.writes {
            write.from = snapshot.value(&write.field);
        }
        rebased.discards = discards(&snapshot, &rebased.writes, rebased.wipe);
        rebased.fingerprint = snapshot.fingerprint();
        rebased.snapshot = snapshot;
        rebased
    }

    /// The fingerprint this plan was made for.
    pub(crate) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// What writing `writes` (and wiping, with `wipe`) over `snapshot` throws away: replaced
/// current values, and the conflict entries of every cleared field but those kept as the
/// new value.
fn discards(snapshot: &Snapshot, writes: &[Write], wipe: bool) -> Vec<Discard> {
    let mut discards = Vec::new();
    for write in writes {
        if let Some(from) = &write.from
            && from != &write.to
        {
            discards.push(Discard {
                field: write.field.clone(),
                value: from.clone(),
            });
        }
    }
    let cleared = |field: &ConflictField| wipe || writes.iter().any(|w| &w.field == field);
    for entry in &snapshot.conflicting_fields {
        let kept = writes
            .iter()
            .any(|w| w.field == entry.field && w.to == entry.value);
        if cleared(&entry.field) && !kept {
            discards.push(Discard {
                field: entry.field.clone(),
                value: entry.value.clone(),
            });
        }
    }
    discards
}

/// Whether `value` can be sent for `field`: a name or manager must be a non-blank string
/// (an empty manager would clear it on 8.1 and later); fields the SDK does not know cannot
/// be sent at all.
pub(crate) fn sendable(field: &ConflictField, value: &Value) -> bool {
    match field {
        ConflictField::Name | ConflictField::Manager => {
            value.as_str().is_some_and(|s| !s.trim().is_empty())
        }
        ConflictField::CustomField(_) => true,
        _ => false,
    }
}

/// A value as a person reads it: a string without its quotes, on [`one_line`].
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => one_line(s).into_owned(),
        other => one_line(&other.to_string()).into_owned(),
    }
}

/// `text` kept on one line of a report: control characters (line breaks, ESC, which starts
/// the sequences that retitle a terminal or write its clipboard) and the bidirectional
/// overrides that reorder what is shown become `\u{…}` escapes. Names, values and custom
/// field keys come from visitors: without this a name could forge a line of a report.
pub(crate) fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A field's path (`customFields.KEY`: the key is data too) on one line.
pub(crate) fn field(field: &ConflictField) -> String {
    one_line(&field.to_string()).into_owned()
}

/// The readable diff `conflicts plan` prints: per field, current → new and what is lost.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = one_line(self.snapshot.name.as_deref().unwrap_or("-"));
        writeln!(f, "{} ({name})", one_line(self.contact_id.as_str()))?;
        for write in &self.writes {
            let shown = |value: &Value| self.snapshot.shown(&write.field, value);
            let from = write
                .from
                .as_ref()
                .map_or_else(|| "(unset)".to_owned(), shown);
            let to = shown(&write.to);
            if from == to {
                write!(f, "  {}: keep {to}", field(&write.field))?;
            } else {
                write!(f, "  {}: {from} → {to}", field(&write.field))?;
            }
            let lost: Vec<String> = self
                .discards
                .iter()
                .filter(|d| d.field == write.field)
                .filter(|d| Some(&d.value) != write.from.as_ref() || from == to)
                .map(|d| shown(&d.value))
                .collect();
            if !lost.is_empty() {
                write!(f, "  (discards {})", lost.join(", "))?;
            }
            writeln!(f)?;
        }
        let written: Vec<&ConflictField> = self.writes.iter().map(|w| &w.field).collect();
        for discard in self
            .discards
            .iter()
            .filter(|d| !written.contains(&&d.field))
        {
            writeln!(
                f,
                "  {}: discards {} (wipe)",
                field(&discard.field),
                text(&discard.value)
            )?;
        }
        let left: Vec<String> = self.remaining().map(field).collect();
        if !left.is_empty() {
            writeln!(f, "  left for a person: {}", left.join(", "))?;
        }
        if !self.sends() {
            writeln!(f, "  nothing to send")?;
        }
        Ok(())
    }
}
