//! Plans as files: what a run would write and throw away, per contact, made from a snapshot
//! that apply checks again before sending, so a decision never overwrites a value it did not
//! see.
//!
//! Why: Rocket.Chat resolves conflicts without a version check (`resolveContactConflicts.ts`
//! reads the contact and writes it back), a resolve discards the alternatives it does not
//! keep, and `contacts.update` cannot bring conflict entries back (its schema has no
//! `conflictingFields`). A saved plan, checked against the server before each write, is
//! what makes bulk changes reviewable and safe.

use std::fmt;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::policy::{Decision, Plan, Policy};
use crate::client::Client;
use crate::error::Error;
use crate::models::{ConflictField, ConflictingField, Contact, ContactId};
use crate::omnichannel::contacts::ResolveConflicts;

/// The format of plan and journal files; bumped on any change a reader must know about.
pub const FORMAT: u32 = 1;

/// What a plan (and its checks) looks at in a contact: the fields a resolve can change and
/// the conflict entries it can discard.
///
/// ```
/// use rocketchat_omnichannel::models::Contact;
/// use rocketchat_omnichannel::workflow::Snapshot;
/// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane",
///   "conflictingFields":[{"field":"name","value":"J."}]}"#)?;
/// let snapshot = Snapshot::of(&contact);
/// assert_eq!(snapshot.name.as_deref(), Some("Jane"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Snapshot {
    /// The contact's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The contact manager's user id.
    #[serde(default)]
    pub contact_manager: Option<String>,
    /// Every custom field.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    /// Every conflict entry, in the server's order.
    #[serde(default)]
    pub conflicting_fields: Vec<ConflictingField>,
    /// The server's `_updatedAt`.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

impl Snapshot {
    /// The parts of `contact` a plan depends on.
    pub fn of(contact: &Contact) -> Self {
        Self {
            name: contact.name.clone(),
            contact_manager: contact.contact_manager.as_ref().map(|m| m.id().to_string()),
            custom_fields: contact.custom_fields.clone(),
            conflicting_fields: contact.conflicting_fields.clone(),
            updated_at: contact.updated_at,
        }
    }

    /// The value this snapshot holds for `field` (`None` when unset).
    pub fn value(&self, field: &ConflictField) -> Option<Value> {
        match field {
            ConflictField::Name => self.name.clone().map(Value::String),
            ConflictField::Manager => self.contact_manager.clone().map(Value::String),
            ConflictField::CustomField(key) => self.custom_fields.get(key).cloned(),
            _ => None,
        }
    }

    /// The conflict entries' values for `field`, in order.
    pub fn entries(&self, field: &ConflictField) -> Vec<&Value> {
        self.conflicting_fields
            .iter()
            .filter(|entry| &entry.field == field)
            .map(|entry| &entry.value)
            .collect()
    }

    /// A short stable digest of the snapshot (FNV-1a over its JSON): two snapshots with the
    /// same fingerprint hold the same values.
    pub fn fingerprint(&self) -> String {
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

/// What writing `writes` (and wiping, with `wipe`) over `snapshot` throws away: replaced
/// current values, and the conflict entries of every cleared field but those kept as the
/// new value.
pub(crate) fn discards(snapshot: &Snapshot, writes: &[Write], wipe: bool) -> Vec<Discard> {
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

/// What a plan does to one contact.
///
/// ```
/// use rocketchat_omnichannel::models::Contact;
/// use rocketchat_omnichannel::workflow::{PlannedContact, Policy};
/// let contact: Contact = serde_json::from_str(r#"{"_id":"c1","name":"Jane",
///   "conflictingFields":[{"field":"name","value":"J."},{"field":"name","value":"Janet"}]}"#)?;
/// let planned = PlannedContact::new(&Policy::take_latest(), &contact);
/// assert_eq!(planned.writes[0].to, "Janet");
/// assert_eq!(planned.discards.len(), 2); // "J." and the old "Jane"
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlannedContact {
    /// The contact.
    pub contact_id: ContactId,
    /// What the plan was made from.
    pub snapshot: Snapshot,
    /// [`Snapshot::fingerprint`] of it.
    pub fingerprint: String,
    /// The values the request sends (taken values, and kept values sent back so their
    /// conflicts are cleared).
    pub writes: Vec<Write>,
    /// Every value the request throws away.
    pub discards: Vec<Discard>,
    /// Fields whose conflicts stay for a human.
    pub left: Vec<ConflictField>,
    /// Whether the request sends `wipeConflicts` (every conflict entry goes).
    pub wipe: bool,
}

impl PlannedContact {
    /// Decides `contact` with `policy` and works out what the request writes and discards.
    pub fn new(policy: &Policy, contact: &Contact) -> Self {
        Self::from_plan(&policy.plan(contact), contact)
    }

    /// The same for an existing per-contact [`Plan`].
    pub fn from_plan(plan: &Plan, contact: &Contact) -> Self {
        let snapshot = Snapshot::of(contact);
        let writes: Vec<Write> = plan
            .sent()
            .into_iter()
            .map(|(field, value)| Write {
                field: field.clone(),
                from: snapshot.value(field),
                to: value.clone(),
            })
            .collect();
        let wipe = plan.wipes();
        let discards = discards(&snapshot, &writes, wipe);
        let cleared = |field: &ConflictField| wipe || writes.iter().any(|w| &w.field == field);
        let left = plan
            .decisions
            .iter()
            .filter(|(_, decision)| matches!(decision, Decision::Leave))
            .map(|(conflict, _)| conflict.field.clone())
            .chain(plan.left().cloned())
            .fold(Vec::new(), |mut left, field| {
                if !left.contains(&field) && !cleared(&field) {
                    left.push(field);
                }
                left
            });
        Self {
            contact_id: contact.id.clone(),
            fingerprint: snapshot.fingerprint(),
            snapshot,
            writes,
            discards,
            left,
            wipe,
        }
    }

    /// Whether the plan sends anything.
    pub fn sends(&self) -> bool {
        !self.writes.is_empty() || self.wipe
    }

    /// The resolve request that carries the plan out.
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

    /// The fields whose state on the server differs from the snapshot where the plan would
    /// write or discard: their value, or their conflict entries (all of them for a wiping
    /// plan). Empty: sending it overwrites nothing the plan did not see.
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

    /// Whether `now` shows this plan carried out: every written value in place and no
    /// conflict entry left for a field it cleared.
    pub fn is_applied_in(&self, now: &Contact) -> bool {
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
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The readable diff `conflicts plan` prints: per field, current → new and what is lost.
impl fmt::Display for PlannedContact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.snapshot.name.as_deref().unwrap_or("-");
        writeln!(f, "{} ({name})", self.contact_id)?;
        for write in &self.writes {
            let from = write
                .from
                .as_ref()
                .map_or_else(|| "(unset)".to_owned(), text);
            let to = text(&write.to);
            if from == to {
                write!(f, "  {}: keep {to}", write.field)?;
            } else {
                write!(f, "  {}: {from} → {to}", write.field)?;
            }
            let lost: Vec<String> = self
                .discards
                .iter()
                .filter(|d| d.field == write.field)
                .map(|d| text(&d.value))
                .filter(|v| v != &from || from == to)
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
                discard.field,
                text(&discard.value)
            )?;
        }
        if !self.left.is_empty() {
            let left: Vec<String> = self.left.iter().map(ToString::to_string).collect();
            writeln!(f, "  left for a human: {}", left.join(", "))?;
        }
        if !self.sends() {
            writeln!(f, "  nothing to send")?;
        }
        Ok(())
    }
}

/// A saved plan: every contact's [`PlannedContact`], and the server and policy it was made
/// for. Serialises to a versioned JSON document (`format`, `server`, `policy`, `createdAt`,
/// `contacts`).
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::TryStreamExt;
/// use rocketchat_omnichannel::workflow::{PlanFile, Policy, UnknownContacts};
/// let contacts: Vec<_> = client.conflicted_contacts(UnknownContacts::Include).try_collect().await?;
/// let plan = PlanFile::new(&client, &Policy::take_latest(), &contacts);
/// plan.save("plan.json")?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlanFile {
    /// [`FORMAT`].
    pub format: u32,
    /// The server it was made against ([`server_id`]).
    pub server: String,
    /// The policy's name.
    pub policy: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// One entry per contact.
    pub contacts: Vec<PlannedContact>,
}

/// Writes a new file readable by its owner only (mode 0600 on Unix): plans hold names and
/// custom fields. Elsewhere the platform's default permissions apply.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// How plans and journals name a server: the client's API base, without credentials.
///
/// ```
/// let client = rocketchat_omnichannel::Client::builder("https://chat.example.com").build()?;
/// assert_eq!(rocketchat_omnichannel::workflow::server_id(&client), "https://chat.example.com/api/v1/");
/// # Ok::<(), rocketchat_omnichannel::Error>(())
/// ```
pub fn server_id(client: &Client) -> String {
    match url::Url::parse(client.api_base()) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => client.api_base().to_owned(),
    }
}

impl PlanFile {
    /// Plans every contact in `contacts` with `policy`, for the server `client` talks to.
    pub fn new(client: &Client, policy: &Policy, contacts: &[Contact]) -> Self {
        Self {
            format: FORMAT,
            server: server_id(client),
            policy: policy.name().to_owned(),
            created_at: Timestamp::now(),
            contacts: contacts
                .iter()
                .map(|contact| PlannedContact::new(policy, contact))
                .collect(),
        }
    }

    /// Reads a plan file.
    ///
    /// # Errors
    /// The file cannot be read, is not a plan, or has a format this version does not know.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::configuration(format!("cannot read the plan {}: {e}", path.display()))
        })?;
        let plan: Self = serde_json::from_str(&text).map_err(|e| {
            Error::configuration(format!("{} is not a plan file: {e}", path.display()))
        })?;
        if plan.format != FORMAT {
            return Err(Error::configuration(format!(
                "{} has plan format {}; this version reads format {FORMAT}",
                path.display(),
                plan.format
            )));
        }
        // A hand-edited plan must still be sendable: an empty name or manager would be sent
        // as "" (which clears a manager on 8.1 and later).
        for planned in &plan.contacts {
            for write in &planned.writes {
                let text_field =
                    matches!(write.field, ConflictField::Name | ConflictField::Manager);
                let unsendable = match &write.field {
                    ConflictField::Unknown(_) => true,
                    _ => text_field && write.to.as_str().is_none_or(|t| t.trim().is_empty()),
                };
                if unsendable {
                    return Err(Error::configuration(format!(
                        "{}: contact {} writes {} = {}, which cannot be sent",
                        path.display(),
                        planned.contact_id,
                        write.field,
                        write.to
                    )));
                }
            }
        }
        Ok(plan)
    }

    /// Writes the plan atomically (a temporary file renamed over the target).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::configuration(format!("the plan cannot be encoded: {e}")))?;
        let tmp = path.with_extension("json.tmp");
        write_private(&tmp, (text + "\n").as_bytes())
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                Error::configuration(format!("cannot write the plan {}: {e}", path.display()))
            })
    }

    /// Refuses a plan made for another server than `client`'s.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) naming both servers.
    pub fn check_server(&self, client: &Client) -> Result<(), Error> {
        let here = server_id(client);
        if self.server == here {
            Ok(())
        } else {
            Err(Error::configuration(format!(
                "the plan was made for {}, not {here}: make a new plan against this server",
                self.server
            )))
        }
    }
}
