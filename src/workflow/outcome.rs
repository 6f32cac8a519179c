//! What can happen to a contact ([`Outcome`]): the one list of words that a bulk run, a
//! watcher, `apply`, the journal and the CLI all speak ([`Summary`](super::Summary) counts
//! them). Their JSON and their text are defined here, next to the variants.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::plan::{Plan, field, one_line, text};
use crate::models::{ConflictField, Contact, ContactId};
use crate::omnichannel::contacts::{ResolveConflictsError, SearchContactsError};

/// What happened to one contact in a run, a watcher's pass, or `apply`.
///
/// | variant | sent? | meaning |
/// |---|---|---|
/// | `Resolved` | yes | no conflict left |
/// | `PartlyResolved` | yes | some fields left for a person |
/// | `Planned` | no | a dry run: what would be sent |
/// | `LeftForPerson` | no | every conflict stays for a person |
/// | `NothingToDo` | no | no conflicts left when its turn came, or an earlier run with this journal did it |
/// | `Stale` | no | changed since it was read or planned, where the plan writes or discards |
/// | `Gone` | no | deleted meanwhile |
/// | `Failed` | maybe | the call failed (`error` says how) |
/// | `Stopped` | no | the run was stopped (its token or its deadline) before the call |
///
/// `Debug` shows ids and counts, never whole contacts, so a log line stays short. `Display`
/// is the line `rocketchat-contacts` prints for it.
///
/// # JSON
/// An outcome serialises as one object (stable within a major version; new keys may be
/// added):
///
/// | key | present for | value |
/// |---|---|---|
/// | `outcome` | all | `resolved`, `partly_resolved`, `planned`, `left_for_person`, `nothing_to_do`, `stale`, `gone`, `failed`, `stopped`, `listing_failed` |
/// | `contactId` | all but `listing_failed` | the contact's id |
/// | `set` | `resolved`, `partly_resolved`, `planned`, `left_for_person` | object: field (`name`, `manager`, `customFields.KEY`) → value written where it changes |
/// | `leftForPerson` | same | array of the field paths whose conflicts stay |
/// | `wipeConflicts` | same | whether the request clears every conflict entry |
/// | `contact` | `resolved`, `partly_resolved` | the contact as the server returned it |
/// | `changed` | `stale` | array of the field paths that changed |
/// | `error` | `failed`, `listing_failed` | the error's message |
/// | `status` | same, when the server answered | the HTTP status |
/// | `code` | same, when the server named one | [`ApiError::code`](crate::ApiError::code), e.g. `error-contact-not-found` |
///
/// ```
/// use rocketchat_omnichannel::workflow::Outcome;
/// let gone = Outcome::Gone { contact_id: "c1".into() };
/// assert_eq!(serde_json::to_string(&gone)?, r#"{"outcome":"gone","contactId":"c1"}"#);
/// assert_eq!(gone.to_string(), "gone c1: deleted meanwhile");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[non_exhaustive]
pub enum Outcome {
    /// The plan was carried out and the contact has no conflicts left.
    Resolved {
        /// What was sent.
        plan: Box<Plan>,
        /// The contact after resolving, as the server returned it.
        contact: Box<Contact>,
    },
    /// The plan was carried out but conflicts remain: fields left for a person, or
    /// conflicts that arrived meanwhile.
    PartlyResolved {
        /// What was sent.
        plan: Box<Plan>,
        /// The contact after resolving, with the conflicts that remain.
        contact: Box<Contact>,
    },
    /// Dry run: what would be sent.
    Planned {
        /// What was decided.
        plan: Box<Plan>,
    },
    /// Nothing was sent: every conflict stays for a person ([`Plan::left`]), or the
    /// decisions cannot be sent ([`Plan::unsent`], counted as left conflicted).
    LeftForPerson {
        /// What was decided.
        plan: Box<Plan>,
    },
    /// Nothing to do when its turn came: someone else resolved the conflicts, or an earlier
    /// run with the same journal did.
    NothingToDo {
        /// The contact.
        contact_id: ContactId,
    },
    /// Not sent: the contact changed since it was planned, where the plan writes or
    /// discards, so sending would overwrite or throw away something nobody decided on.
    Stale {
        /// The contact.
        contact_id: ContactId,
        /// The fields that changed.
        changed: Vec<ConflictField>,
    },
    /// The contact was deleted meanwhile.
    Gone {
        /// The contact.
        contact_id: ContactId,
    },
    /// The call (or the read before it) failed.
    Failed {
        /// The contact.
        contact_id: ContactId,
        /// Why: the resolve call's typed error. A failure before the call (the read that
        /// checks the contact, the journal) is its `Other`.
        error: ResolveConflictsError,
    },
    /// Not sent: the run was stopped (its cancellation token, Ctrl-C in the CLI) or its
    /// deadline passed first. The contact was not touched.
    Stopped {
        /// The contact.
        contact_id: ContactId,
    },
    /// Listing contacts failed. The walk of that listing ends here (the other listing, known
    /// or unknown contacts, is still walked) and the summary says the run is incomplete.
    ListingFailed(SearchContactsError),
}

impl Outcome {
    /// Whether this outcome counts as a failure (for exit codes and alerts).
    ///
    /// ```
    /// use rocketchat_omnichannel::workflow::Outcome;
    /// assert!(!Outcome::NothingToDo { contact_id: "c1".into() }.is_failure());
    /// ```
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed { .. } | Self::ListingFailed(_))
    }

    /// The contact this outcome is about (none for a listing failure).
    ///
    /// ```
    /// use rocketchat_omnichannel::workflow::Outcome;
    /// let gone = Outcome::Gone { contact_id: "c1".into() };
    /// assert_eq!(gone.contact_id().unwrap(), "c1");
    /// ```
    pub fn contact_id(&self) -> Option<&ContactId> {
        match self {
            Self::Resolved { plan, .. }
            | Self::PartlyResolved { plan, .. }
            | Self::Planned { plan }
            | Self::LeftForPerson { plan } => Some(&plan.contact_id),
            Self::NothingToDo { contact_id }
            | Self::Stale { contact_id, .. }
            | Self::Gone { contact_id }
            | Self::Failed { contact_id, .. }
            | Self::Stopped { contact_id } => Some(contact_id),
            Self::ListingFailed(_) => None,
        }
    }

    /// The plan, for the outcomes that carry one.
    pub fn plan(&self) -> Option<&Plan> {
        match self {
            Self::Resolved { plan, .. }
            | Self::PartlyResolved { plan, .. }
            | Self::Planned { plan }
            | Self::LeftForPerson { plan } => Some(plan),
            _ => None,
        }
    }

    /// The word for this outcome, as the JSON's `outcome` key and the journal spell it.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Self::Resolved { .. } => "resolved",
            Self::PartlyResolved { .. } => "partly_resolved",
            Self::Planned { .. } => "planned",
            Self::LeftForPerson { .. } => "left_for_person",
            Self::NothingToDo { .. } => "nothing_to_do",
            Self::Stale { .. } => "stale",
            Self::Gone { .. } => "gone",
            Self::Failed { .. } => "failed",
            Self::Stopped { .. } => "stopped",
            Self::ListingFailed(_) => "listing_failed",
        }
    }

    fn contact(&self) -> Option<&Contact> {
        match self {
            Self::Resolved { contact, .. } | Self::PartlyResolved { contact, .. } => Some(contact),
            _ => None,
        }
    }

    /// The error's message, status and error type, for failures.
    fn error(&self) -> Option<(String, Option<u16>, Option<&str>)> {
        match self {
            Self::Failed { error, .. } => Some((
                error.to_string(),
                error.status().map(|s| s.as_u16()),
                error.response().and_then(crate::ApiError::code),
            )),
            Self::ListingFailed(error) => Some((
                error.to_string(),
                error.status().map(|s| s.as_u16()),
                error.response().and_then(crate::ApiError::code),
            )),
            _ => None,
        }
    }
}

/// The values a plan changes, as a JSON object by field path.
struct Changes<'a>(&'a Plan);

impl Serialize for Changes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0
                .changes()
                .map(|(field, value)| (field.to_string(), value)),
        )
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("outcome", self.word())?;
        if let Some(id) = self.contact_id() {
            map.serialize_entry("contactId", id)?;
        }
        if let Some(plan) = self.plan() {
            map.serialize_entry("set", &Changes(plan))?;
            let left: Vec<String> = plan.remaining().map(ToString::to_string).collect();
            map.serialize_entry("leftForPerson", &left)?;
            map.serialize_entry("wipeConflicts", &plan.wipe)?;
        }
        if let Some(contact) = self.contact() {
            map.serialize_entry("contact", contact)?;
        }
        if let Self::Stale { changed, .. } = self {
            let changed: Vec<String> = changed.iter().map(ToString::to_string).collect();
            map.serialize_entry("changed", &changed)?;
        }
        if let Some((message, status, error_type)) = self.error() {
            map.serialize_entry("error", &message)?;
            if let Some(status) = status {
                map.serialize_entry("status", &status)?;
            }
            if let Some(error_type) = error_type {
                map.serialize_entry("code", error_type)?;
            }
        }
        map.end()
    }
}

/// Ids and counts only: a contact's channels and fields would make every log line KBs long.
impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct(self.word());
        if let Some(id) = self.contact_id() {
            out.field("contact_id", id);
        }
        if let Some(plan) = self.plan() {
            out.field("changes", &plan.changes().count())
                .field("left", &plan.remaining().count())
                .field("wipe", &plan.wipe);
        }
        if let Some(contact) = self.contact() {
            out.field("conflicts_left", &contact.conflicts().len());
        }
        match self {
            Self::Stale { changed, .. } => out.field("changed", changed),
            Self::Failed { error, .. } => out.field("error", error),
            Self::ListingFailed(error) => out.field("error", error),
            _ => &mut out,
        };
        out.finish()
    }
}

/// Field paths joined by ", ".
fn fields<'a>(fields: impl IntoIterator<Item = &'a ConflictField>) -> String {
    let names: Vec<String> = fields.into_iter().map(field).collect();
    names.join(", ")
}

/// What a plan does, in words: `set name=Jane; left for a person: manager`.
struct Describe<'a>(&'a Plan);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut changes = self.0.changes().peekable();
        if changes.peek().is_none() {
            f.write_str("keep current values")?;
        } else {
            f.write_str("set ")?;
            for (i, (name, value)) in changes.enumerate() {
                let separator = if i == 0 { "" } else { ", " };
                write!(f, "{separator}{}={}", field(name), text(value))?;
            }
        }
        if self.0.remaining().next().is_some() {
            write!(f, "; left for a person: {}", fields(self.0.remaining()))?;
        }
        Ok(())
    }
}

/// The line `rocketchat-contacts` prints for the outcome.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resolved { plan, .. } => {
                write!(
                    f,
                    "resolved {}: {}",
                    one_line(plan.contact_id.as_str()),
                    Describe(plan)
                )
            }
            Self::PartlyResolved { plan, .. } => {
                write!(
                    f,
                    "partly resolved {}: {}",
                    one_line(plan.contact_id.as_str()),
                    Describe(plan)
                )
            }
            Self::Planned { plan } => {
                write!(
                    f,
                    "would resolve {}: {}",
                    one_line(plan.contact_id.as_str()),
                    Describe(plan)
                )
            }
            Self::LeftForPerson { plan } => {
                // Nothing is sent for it: name what waits, not what would be kept.
                let left = fields(plan.remaining());
                write!(
                    f,
                    "left for a person {}: {left}",
                    one_line(plan.contact_id.as_str())
                )
            }
            Self::NothingToDo { contact_id } => {
                let id = one_line(contact_id.as_str());
                write!(f, "nothing to do {id}: no conflicts left")
            }
            Self::Stale {
                contact_id,
                changed,
            } => write!(
                f,
                "stale {}: changed meanwhile ({}), not sent",
                one_line(contact_id.as_str()),
                fields(changed)
            ),
            Self::Gone { contact_id } => {
                write!(
                    f,
                    "gone {}: deleted meanwhile",
                    one_line(contact_id.as_str())
                )
            }
            Self::Failed { contact_id, error } => write!(
                f,
                "failed {}: {}",
                one_line(contact_id.as_str()),
                one_line(&error.to_string())
            ),
            Self::Stopped { contact_id } => write!(
                f,
                "stopped {}: not sent (the run was stopped)",
                one_line(contact_id.as_str())
            ),
            Self::ListingFailed(error) => write!(f, "could not list contacts: {error}"),
        }
    }
}
