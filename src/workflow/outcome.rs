//! What can happen to a contact in a run ([`Outcome`]), and the figures of a run
//! ([`Summary`]): the one list of outcomes.

use crate::models::{Contact, ContactId};
use crate::omnichannel::contacts::{ResolveConflictsError, SearchContactsError};

use super::policy::Plan;

/// What happened to one contact.
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
#[derive(Debug)]
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
            | Self::Abandoned { contact_id } => Some(contact_id),
            Self::ListingFailed(_) => None,
        }
    }
}

/// The figures of a run. Every conflicted contact the run met is counted once, by its last
/// outcome, so `resolved + partly_resolved + deferred + planned + skipped + gone + failed +
/// abandoned == seen`.
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
    /// Contacts still holding conflicts the policy would resolve, found by the final check
    /// (0 for dry runs, which make no check). Only exact when `complete` is true.
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
}

impl Summary {
    /// Whether the job is done: the final check was complete, left nothing the policy would
    /// resolve, and no call failed or was abandoned.
    ///
    /// ```
    /// assert!(!rocketchat_omnichannel::workflow::Summary::default().is_clean());
    /// ```
    pub fn is_clean(&self) -> bool {
        self.complete && self.left_conflicted == 0 && self.failed == 0 && self.abandoned == 0
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
}
