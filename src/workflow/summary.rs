//! [`Summary`]: the figures of a run, counted in the words of [`Outcome`].

use std::fmt;

use serde::Serialize;
use serde::ser::Serializer;

use super::outcome::Outcome;

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
