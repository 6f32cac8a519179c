//! What can happen to a contact ([`Outcome`]) and the figures of a run ([`Summary`]): the
//! one list of words that a bulk run, a watcher, `apply`, the journal and the CLI all speak.
//! Their JSON and their text are defined here, next to the variants, so a new outcome is
//! added in one file.

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

/// The figures of a run (or of one watcher's pass). Every conflicted contact met is counted
/// once, by its last outcome, so `resolved + partly_resolved + left_for_person + planned +
/// nothing_to_do + stale + gone + failed + stopped == seen`.
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
///
/// // While a run goes on, its summary is also its progress.
/// let mut run = client.resolve_all(Policy::keep_current()).into_stream();
/// futures_util::StreamExt::next(&mut run).await;
/// let now = run.summary();
/// assert_eq!(now.rounds, 1);
/// assert!(now.total.is_some_and(|total| now.done <= total));
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
    /// [`Outcome::Resolved`].
    pub resolved: usize,
    /// [`Outcome::PartlyResolved`].
    pub partly_resolved: usize,
    /// [`Outcome::LeftForPerson`].
    pub left_for_person: usize,
    /// [`Outcome::Planned`] (dry runs).
    pub planned: usize,
    /// [`Outcome::NothingToDo`].
    pub nothing_to_do: usize,
    /// [`Outcome::Stale`].
    pub stale: usize,
    /// [`Outcome::Gone`].
    pub gone: usize,
    /// [`Outcome::Failed`].
    pub failed: usize,
    /// [`Outcome::Stopped`].
    pub stopped: usize,
    /// Contacts still holding conflicts the policy would resolve, found by the final check
    /// (0 for dry runs, which make no check). Only exact when `complete` is true (and
    /// serialised as `null` when it is not).
    pub left_conflicted: usize,
    /// Contacts whose only remaining conflicts are fields left for a person, found by the
    /// final check: what a person has to look at.
    pub waiting_for_person: usize,
    /// Walks over the contacts (each listing every contact once, or what changed since);
    /// while the run goes on, the number of the walk under way.
    pub rounds: u32,
    /// Contacts the walk under way is finished with so far (with or without conflicts; a
    /// contact it resolves counts once the server has answered): what a progress bar shows.
    /// Not in the JSON or the line, which tell the whole run.
    pub done: usize,
    /// How many contacts the walk under way will list, as the server counted them before it
    /// began: known for a full walk (once its probes are answered), `None` for a walk of
    /// changes only. Contacts created or deleted meanwhile make `done` and `total` differ
    /// slightly. Not in the JSON or the line.
    pub total: Option<usize>,
    /// 429 answers the run saw (listing and resolving). A client whose
    /// [`RetryPolicy`](crate::RetryPolicy) waits out 429s itself hides those from the run.
    pub rate_limited: u64,
    /// Whether the final check walked every contact (false after a listing failure, the
    /// deadline or a stop).
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
    /// would resolve, nothing was stopped or stale, and the run did not halt.
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
            && self.stopped == 0
            && self.stale == 0
            && self.halted.is_none()
    }

    /// Counts one more contact in `state`.
    pub(super) fn count(&mut self, state: State) {
        let figure = match state {
            State::Resolved => &mut self.resolved,
            State::PartlyResolved => &mut self.partly_resolved,
            State::LeftForPerson => &mut self.left_for_person,
            State::Planned => &mut self.planned,
            State::NothingToDo => &mut self.nothing_to_do,
            State::Stale => &mut self.stale,
            State::Gone => &mut self.gone,
            State::Failed { .. } => &mut self.failed,
            State::Stopped => &mut self.stopped,
        };
        *figure += 1;
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
        out.serialize_field("leftForPerson", &self.left_for_person)?;
        out.serialize_field("planned", &self.planned)?;
        out.serialize_field("nothingToDo", &self.nothing_to_do)?;
        out.serialize_field("stale", &self.stale)?;
        out.serialize_field("gone", &self.gone)?;
        out.serialize_field("failed", &self.failed)?;
        out.serialize_field("stopped", &self.stopped)?;
        let left = self.complete.then_some(self.left_conflicted);
        out.serialize_field("leftConflicted", &left)?;
        out.serialize_field("waitingForPerson", &self.waiting_for_person)?;
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
            (self.left_for_person, "left for a person"),
            (self.planned, "planned"),
            (self.nothing_to_do, "nothing to do"),
            (self.stale, "stale"),
            (self.gone, "gone"),
            (self.failed, "failed"),
            (self.stopped, "stopped"),
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

/// The last thing that happened to a contact, as a run keeps count of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    Resolved,
    PartlyResolved,
    LeftForPerson,
    Planned,
    NothingToDo,
    Stale,
    Gone,
    /// `retryable`: a later walk may try again.
    Failed {
        retryable: bool,
    },
    Stopped,
}

impl State {
    /// The state an outcome leaves its contact in (none for a listing failure).
    pub(super) fn of(outcome: &Outcome) -> Option<Self> {
        Some(match outcome {
            Outcome::Resolved { .. } => Self::Resolved,
            Outcome::PartlyResolved { .. } => Self::PartlyResolved,
            Outcome::LeftForPerson { .. } => Self::LeftForPerson,
            Outcome::Planned { .. } => Self::Planned,
            Outcome::NothingToDo { .. } => Self::NothingToDo,
            Outcome::Stale { .. } => Self::Stale,
            Outcome::Gone { .. } => Self::Gone,
            Outcome::Failed { error, .. } => Self::Failed {
                retryable: error.is_retryable(),
            },
            Outcome::Stopped { .. } => Self::Stopped,
            Outcome::ListingFailed(_) => return None,
        })
    }
}
