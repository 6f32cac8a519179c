//! What can happen to a contact in a run ([`Outcome`]), and the figures of a run
//! ([`Summary`]): the one list of outcomes. Their JSON (what `rocketchat-contacts --output
//! json` prints) and their text are defined here, next to the variants, so a new outcome is
//! added in one file.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::models::{Contact, ContactId};
use crate::omnichannel::contacts::{ResolveConflictsError, SearchContactsError};

use super::policy::Plan;

/// What happened to one contact.
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
/// | `outcome` | all | `resolved`, `partly_resolved`, `planned`, `deferred`, `skipped`, `gone`, `failed`, `abandoned`, `stopped`, `listing_failed` |
/// | `contactId` | all but `listing_failed` | the contact's id |
/// | `set` | `resolved`, `partly_resolved`, `planned`, `deferred` | object: field (`name`, `manager`, `customFields.KEY`, as `--leave` spells them) → value written |
/// | `leftForAHuman` | same | array of field paths the policy left |
/// | `wipeConflicts` | same | whether the request clears every conflict entry |
/// | `contact` | `resolved`, `partly_resolved` | the contact as the server returned it (its own JSON) |
/// | `error` | `failed`, `listing_failed` | the error's message |
/// | `status` | same, when the server answered | the HTTP status |
/// | `code` | same, when the server named one | [`ApiError::code`](crate::ApiError::code), e.g. `error-contact-not-found` |
///
/// ```
/// use rocketchat_omnichannel::workflow::Outcome;
/// let gone = Outcome::Gone { contact_id: "c1".into() };
/// assert_eq!(serde_json::to_string(&gone)?, r#"{"outcome":"gone","contactId":"c1"}"#);
/// assert_eq!(gone.to_string(), "gone c1: deleted during the run");
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// ```
/// use rocketchat_omnichannel::workflow::Outcome;
/// fn describe(outcome: &Outcome) -> String {
///     match outcome {
///         Outcome::Resolved { contact, .. } => format!("resolved {}", contact.id),
///         Outcome::PartlyResolved { plan, .. } => format!("{} partly resolved", plan.contact_id),
///         Outcome::Planned { plan } => format!("would resolve {}", plan.contact_id),
///         Outcome::Skipped { contact_id } => format!("{contact_id} had nothing left"),
///         Outcome::Failed { contact_id, error } => format!("{contact_id} failed: {error}"),
///         Outcome::ListingFailed(error) => format!("could not list contacts: {error}"),
///         _ => String::new(),
///     }
/// }
/// # let _ = describe;
/// ```
#[non_exhaustive]
pub enum Outcome {
    /// The plan was carried out and the contact has no conflicts left; `contact` is the
    /// server's answer.
    Resolved {
        /// What was decided.
        plan: Plan,
        /// The contact after resolving (boxed: it is by far the largest outcome).
        contact: Box<Contact>,
    },
    /// The plan was carried out but conflicts remain: fields the policy left for a human
    /// ([`Decision::Leave`](super::Decision::Leave)) or could not send.
    PartlyResolved {
        /// What was decided.
        plan: Plan,
        /// The contact after resolving, with the conflicts that remain.
        contact: Box<Contact>,
    },
    /// Dry run: what would be sent.
    Planned {
        /// What was decided.
        plan: Plan,
    },
    /// Nothing could be sent: the policy left every conflicted field for a human, or its
    /// decisions cannot be carried out (see [`Plan::left_only_on_purpose`]). Only the first
    /// counts in [`Summary::awaiting_human`]; the second counts as left conflicted.
    Deferred {
        /// What was decided.
        plan: Plan,
    },
    /// The conflicts were gone by the time of the call (someone else resolved them, or a
    /// previous run did).
    Skipped {
        /// The contact.
        contact_id: ContactId,
    },
    /// The contact was deleted while the run went on.
    Gone {
        /// The contact.
        contact_id: ContactId,
    },
    /// The resolve call failed.
    Failed {
        /// The contact.
        contact_id: ContactId,
        /// Why.
        error: ResolveConflictsError,
    },
    /// The run's deadline passed before the contact could be sent; it was not touched.
    Abandoned {
        /// The contact.
        contact_id: ContactId,
    },
    /// The run's [`StopSignal`](super::StopSignal) was raised (Ctrl-C in the CLI) before the
    /// contact could be sent; it was not touched. Not a failure: the run did what it was told.
    Stopped {
        /// The contact.
        contact_id: ContactId,
    },
    /// Listing contacts failed. The walk of that listing ends here (the other listing, known
    /// or unknown contacts, is still walked) and the summary says the run is incomplete.
    ListingFailed(SearchContactsError),
}

impl Outcome {
    /// Whether this outcome counts as a failure (for exit codes and summaries).
    ///
    /// ```
    /// use rocketchat_omnichannel::workflow::Outcome;
    /// let skipped = Outcome::Skipped { contact_id: "c1".into() };
    /// assert!(!skipped.is_failure());
    /// ```
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Failed { .. } | Self::ListingFailed(_) | Self::Abandoned { .. }
        )
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
            | Self::Deferred { plan } => Some(&plan.contact_id),
            Self::Skipped { contact_id }
            | Self::Gone { contact_id }
            | Self::Failed { contact_id, .. }
            | Self::Abandoned { contact_id }
            | Self::Stopped { contact_id } => Some(contact_id),
            Self::ListingFailed(_) => None,
        }
    }
}

impl Outcome {
    /// The name of the variant as the JSON's `outcome` key spells it.
    fn kind(&self) -> &'static str {
        match self {
            Self::Resolved { .. } => "resolved",
            Self::PartlyResolved { .. } => "partly_resolved",
            Self::Planned { .. } => "planned",
            Self::Deferred { .. } => "deferred",
            Self::Skipped { .. } => "skipped",
            Self::Gone { .. } => "gone",
            Self::Failed { .. } => "failed",
            Self::Abandoned { .. } => "abandoned",
            Self::Stopped { .. } => "stopped",
            Self::ListingFailed(_) => "listing_failed",
        }
    }

    fn plan(&self) -> Option<&Plan> {
        match self {
            Self::Resolved { plan, .. }
            | Self::PartlyResolved { plan, .. }
            | Self::Planned { plan }
            | Self::Deferred { plan } => Some(plan),
            _ => None,
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

/// The values a plan writes, as a JSON object by field path.
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
        map.serialize_entry("outcome", self.kind())?;
        if let Some(id) = self.contact_id() {
            map.serialize_entry("contactId", id)?;
        }
        if let Some(plan) = self.plan() {
            map.serialize_entry("set", &Changes(plan))?;
            let left: Vec<String> = plan.left().map(ToString::to_string).collect();
            map.serialize_entry("leftForAHuman", &left)?;
            map.serialize_entry("wipeConflicts", &plan.wipes())?;
        }
        if let Some(contact) = self.contact() {
            map.serialize_entry("contact", contact)?;
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
        let mut out = f.debug_struct(self.kind());
        if let Some(id) = self.contact_id() {
            out.field("contact_id", id);
        }
        if let Some(plan) = self.plan() {
            out.field("changes", &plan.changes().count())
                .field("left", &plan.left().count())
                .field("wipes", &plan.wipes());
        }
        if let Some(contact) = self.contact() {
            out.field("conflicts_left", &contact.conflicts().len());
        }
        match self {
            Self::Failed { error, .. } => out.field("error", error),
            Self::ListingFailed(error) => out.field("error", error),
            _ => &mut out,
        };
        out.finish()
    }
}

/// What a plan does, in words: `set name=Jane; left for a human: contactManager`.
struct Describe<'a>(&'a Plan);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut changes = self.0.changes().peekable();
        if changes.peek().is_none() {
            f.write_str("keep current values")?;
        } else {
            f.write_str("set ")?;
            for (i, (field, value)) in changes.enumerate() {
                let separator = if i == 0 { "" } else { ", " };
                match value {
                    serde_json::Value::String(text) => write!(f, "{separator}{field}={text}")?,
                    other => write!(f, "{separator}{field}={other}")?,
                }
            }
        }
        for (i, field) in self.0.left().enumerate() {
            let separator = if i == 0 { "; left for a human: " } else { ", " };
            write!(f, "{separator}{field}")?;
        }
        Ok(())
    }
}

/// The line `rocketchat-contacts` prints for the outcome.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resolved { plan, .. } => {
                write!(f, "resolved {}: {}", plan.contact_id, Describe(plan))
            }
            Self::PartlyResolved { plan, .. } => {
                write!(f, "partly resolved {}: {}", plan.contact_id, Describe(plan))
            }
            Self::Planned { plan } => {
                write!(f, "would resolve {}: {}", plan.contact_id, Describe(plan))
            }
            Self::Deferred { plan } => {
                // Nothing is sent for it: name what waits, not what would be kept.
                write!(f, "left for a human {}: ", plan.contact_id)?;
                for (i, field) in plan.left().enumerate() {
                    write!(f, "{}{field}", if i == 0 { "" } else { ", " })?;
                }
                Ok(())
            }
            Self::Skipped { contact_id } => write!(f, "skipped {contact_id}: no conflicts left"),
            Self::Gone { contact_id } => write!(f, "gone {contact_id}: deleted during the run"),
            Self::Failed { contact_id, error } => write!(f, "failed {contact_id}: {error}"),
            Self::Abandoned { contact_id } => write!(
                f,
                "abandoned {contact_id}: not sent (the run's deadline passed)"
            ),
            Self::Stopped { contact_id } => {
                write!(f, "stopped {contact_id}: not sent (the run was stopped)")
            }
            Self::ListingFailed(error) => write!(f, "could not list contacts: {error}"),
        }
    }
}

/// Where the walk under way stands: what a progress bar shows.
///
/// `done` counts the contacts the walk is finished with (with or without conflicts; a
/// contact it resolves counts once the server has answered); `total` is what the server
/// counted for the walk's listings before it began, so it is known for a full walk and
/// `None` for a walk of changes only (the server does not count those in advance). Contacts
/// created or deleted meanwhile make the two differ slightly.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::StreamExt;
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
/// use rocketchat_omnichannel::workflow::Policy;
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
/// let mut run = client.resolve_all(Policy::keep_current()).into_stream();
/// run.next().await;
/// let progress = run.progress();
/// assert_eq!(progress.walk, 1);
/// assert!(progress.total.is_some_and(|total| progress.done <= total));
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Progress {
    /// The walk under way, from 1 (a run walks again after it resolved something).
    pub walk: u32,
    /// Contacts this walk is finished with so far.
    pub done: usize,
    /// Contacts this walk will list, as the server counted them; `None` until known, and
    /// for a walk of changes only.
    pub total: Option<usize>,
}

/// The figures of a run. Every conflicted contact the run met is counted once, by its last
/// outcome, so `resolved + partly_resolved + deferred + planned + skipped + gone + failed +
/// abandoned + stopped == seen`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
/// use rocketchat_omnichannel::workflow::Policy;
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
/// let summary = client.resolve_all(Policy::keep_current()).run().await;
/// assert_eq!((summary.seen, summary.resolved, summary.left_conflicted), (3, 3, 0));
/// assert!(summary.is_clean());
/// # Ok(()) }
/// ```
///
/// # JSON and text
/// A summary serialises as an object with the fields below in camelCase (`seen`,
/// `partlyResolved`, `leftConflicted`, `rateLimited`, …); new keys may be added. `Display`
/// is the one-line summary `rocketchat-contacts` prints. Neither shows a figure the run did
/// not measure: when the final check was incomplete, `leftConflicted` is `null` in JSON and
/// the line says it is unknown.
///
/// ```
/// use rocketchat_omnichannel::workflow::Summary;
/// let unfinished = Summary::default();
/// assert_eq!(serde_json::to_value(&unfinished)?["leftConflicted"], serde_json::Value::Null);
/// assert!(unfinished.to_string().ends_with("left conflicted: unknown (final check incomplete)"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Distinct contacts with conflicts the run met.
    pub seen: usize,
    /// Resolved with no conflict left.
    pub resolved: usize,
    /// Resolved, with conflicts left for a human.
    pub partly_resolved: usize,
    /// Left entirely for a human; nothing sent.
    pub deferred: usize,
    /// Dry run: would have been resolved.
    pub planned: usize,
    /// Nothing left to resolve at the time of the call.
    pub skipped: usize,
    /// Deleted during the run.
    pub gone: usize,
    /// The resolve call failed.
    pub failed: usize,
    /// Not sent because the deadline passed.
    pub abandoned: usize,
    /// Not sent because the run was stopped (its stop signal, Ctrl-C in the CLI).
    pub stopped: usize,
    /// Contacts still holding conflicts the policy would resolve, found by the final check
    /// (0 for dry runs, which make no check). Only exact when `complete` is true (and
    /// serialised as `null` when it is not).
    pub left_conflicted: usize,
    /// Contacts whose only remaining conflicts are fields the policy leaves for a human.
    pub awaiting_human: usize,
    /// Walks over the contacts (each listing every contact once).
    pub rounds: u32,
    /// 429 answers the run saw (listing and resolving). A client whose
    /// [`RetryPolicy`](crate::RetryPolicy) waits out 429s itself hides those from the run.
    pub rate_limited: u64,
    /// Whether the final check walked every contact (false after a listing failure, the
    /// deadline or a stop signal).
    pub complete: bool,
    /// Why the run stopped on its own after one answer that concerns every contact (the
    /// route missing on an older server, a 403 for want of `update-livechat-contact`, a
    /// session that could not be renewed): that contact's `Failed` outcome carries the
    /// error, and nothing more was sent. Also set, before anything is sent, when the
    /// settings cannot work (`invalid settings: concurrency 0 …`).
    pub halted: Option<String>,
}

impl Summary {
    /// Whether the job is done: the final check was complete and left nothing the policy
    /// would resolve, no call was abandoned or stopped, and the run did not halt.
    ///
    /// A failed call alone does not make a run unclean: a contact whose call failed and
    /// that still has conflicts is counted in `left_conflicted`, while one that someone
    /// else resolved before the final check is done (its failure still counts in
    /// `failed`).
    ///
    /// ```
    /// use rocketchat_omnichannel::workflow::Summary;
    /// assert!(!Summary::default().is_clean(), "nothing was checked");
    /// let mut summary = Summary::default();
    /// summary.complete = true;
    /// summary.failed = 1; // and resolved by someone else since
    /// assert!(summary.is_clean());
    /// summary.left_conflicted = 1;
    /// assert!(!summary.is_clean());
    /// ```
    pub fn is_clean(&self) -> bool {
        self.complete
            && self.left_conflicted == 0
            && self.abandoned == 0
            && self.stopped == 0
            && self.halted.is_none()
    }
}

/// Written out rather than derived: `leftConflicted` depends on `complete`.
impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Summary", 16)?;
        out.serialize_field("seen", &self.seen)?;
        out.serialize_field("resolved", &self.resolved)?;
        out.serialize_field("partlyResolved", &self.partly_resolved)?;
        out.serialize_field("deferred", &self.deferred)?;
        out.serialize_field("planned", &self.planned)?;
        out.serialize_field("skipped", &self.skipped)?;
        out.serialize_field("gone", &self.gone)?;
        out.serialize_field("failed", &self.failed)?;
        out.serialize_field("abandoned", &self.abandoned)?;
        out.serialize_field("stopped", &self.stopped)?;
        let left = self.complete.then_some(self.left_conflicted);
        out.serialize_field("leftConflicted", &left)?;
        out.serialize_field("awaitingHuman", &self.awaiting_human)?;
        out.serialize_field("rounds", &self.rounds)?;
        out.serialize_field("rateLimited", &self.rate_limited)?;
        out.serialize_field("complete", &self.complete)?;
        out.serialize_field("halted", &self.halted)?;
        out.end()
    }
}

impl fmt::Display for Summary {
    /// One line that fits a terminal: the counts that are not zero (resolved always), then
    /// what is left.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} seen: {} resolved", self.seen, self.resolved)?;
        for (count, what) in [
            (self.partly_resolved, "partly resolved"),
            (self.deferred, "left for a human"),
            (self.planned, "planned"),
            (self.skipped, "skipped"),
            (self.gone, "gone"),
            (self.failed, "failed"),
            (self.abandoned, "abandoned"),
            (self.stopped, "not sent (stopped)"),
        ] {
            if count > 0 {
                write!(f, ", {count} {what}")?;
            }
        }
        f.write_str("; ")?;
        if self.complete {
            write!(f, "{} left conflicted", self.left_conflicted)?;
        } else {
            f.write_str("left conflicted: unknown (final check incomplete)")?;
        }
        match &self.halted {
            Some(why) => write!(f, "; the run stopped: {why}"),
            None => Ok(()),
        }
    }
}

/// The last thing that happened to a contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    Resolved,
    PartlyResolved,
    Deferred,
    Planned,
    Skipped,
    Gone,
    /// Failed; `true` when a later walk may try again.
    Failed(bool),
    Abandoned,
    Stopped,
}
