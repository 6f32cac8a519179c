//! `client.resolve_all(policy)`: every conflicted contact, decided and resolved with bounded
//! concurrency and paced to the server's rate limit, as a stream of per-contact outcomes
//! with a truthful summary at the end.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::awaiting::Awaiting;
use super::changes::Scope;
use super::journal::Journal;
use super::policy::Policy;
use crate::client::Client;
use tokio_util::sync::CancellationToken;

/// The `unknown` flag of each listing a run walks, in walking order: both listings unless
/// the run asked for one. Resolving an unknown contact may make it known (`patchContact` in
/// `packages/models/src/models/LivechatContacts.ts` sets `unknown: false` on every write);
/// the walks cope with contacts moving between the listings.
pub(super) fn listings(unknown: Option<bool>) -> Vec<bool> {
    match unknown {
        None => vec![false, true],
        Some(unknown) => vec![unknown],
    }
}

/// Resolves every conflicted contact by a policy. Made by [`Client::resolve_all`]; run it
/// with [`ResolveAll::into_stream`] or [`ResolveAll::run`].
///
/// # What one run guarantees
///
/// Every contact that has conflicts when the run starts and still exists when it ends is
/// reached, whatever the policy does to names and whatever other clients create, rename,
/// resolve or delete meanwhile:
///
/// 1. The run walks the contacts sorted by `_id`, which no rename changes, and detects the
///    shifts that creations, deletions and contacts leaving the `unknown` listing cause, so
///    each existing contact is met once per walk (a walk that cannot make sure says it is
///    incomplete).
/// 2. After the walk it walks again and resolves what is still (or newly) conflicted, up to
///    [`ResolveAll::max_rounds`] walks that resolve something; if the last one still did,
///    one more walk only counts. The [`Summary`](super::Summary) then says how many are left
///    (`left_conflicted`) and whether that last walk was complete.
///
/// A contact that failed with an error a retry cannot fix is not retried by later walks;
/// it is counted as left if it still has conflicts. Safe to run again after a crash.
/// Contacts without the `unknown` key on servers that filter it by equality are not listed
/// by `contacts.search` at all, so no run can reach them.
///
/// The builder and its stream own a clone of the client, so they can be moved into a
/// spawned task.
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) {
/// use futures_util::StreamExt;
/// use rocketchat_omnichannel::workflow::{Outcome, Policy};
///
/// let mut outcomes = client.resolve_all(Policy::keep_current()).concurrency(4).into_stream();
/// while let Some(outcome) = outcomes.next().await {
///     if outcome.is_failure() {
///         eprintln!("{outcome:?}");
///     }
/// }
/// println!("{:?}", outcomes.summary());
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "nothing happens until the stream is polled"]
pub struct ResolveAll {
    pub(super) client: Client,
    pub(super) policy: Policy,
    pub(super) concurrency: usize,
    pub(super) dry_run: bool,
    pub(super) search_text: Option<String>,
    pub(super) unknown: Option<bool>,
    pub(super) deadline: Option<Duration>,
    pub(super) pacing: bool,
    pub(super) max_rounds: u32,
    pub(super) stop: Option<CancellationToken>,
    /// What each walk lists: everything (the default), or a watcher's changes.
    pub(super) scope: Scope,
    /// A watcher's record of contacts reported as waiting for a person (none for one run).
    pub(super) awaiting: Option<Arc<Mutex<Awaiting>>>,
    /// A watcher's contacts whose call kept failing in earlier passes (none for one run).
    pub(super) failing: std::collections::HashSet<crate::models::ContactId>,
    /// A listing older than this is read again before its contact is resolved.
    pub(super) stale_after: Duration,
    /// Where intents and outcomes are recorded, if anywhere.
    pub(super) journal: Option<Arc<Journal>>,
}

/// How old a listed contact may be before it is read again ahead of its resolve call: a
/// run that waits for the rate limit waits longer than this, so a paced run re-reads.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(2);

impl Client {
    /// Starts resolving every contact that has conflicts, deciding each field with
    /// `policy`.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::take_incoming()).dry_run(true);
    /// # let _ = run;
    /// # }
    /// ```
    pub fn resolve_all(&self, policy: Policy) -> ResolveAll {
        ResolveAll {
            client: self.clone(),
            policy,
            concurrency: 4,
            dry_run: false,
            search_text: None,
            unknown: None,
            deadline: None,
            pacing: true,
            max_rounds: 3,
            stop: None,
            scope: Scope::default(),
            awaiting: None,
            failing: std::collections::HashSet::new(),
            stale_after: DEFAULT_STALE_AFTER,
            journal: None,
        }
    }
}

impl ResolveAll {
    /// How many resolve calls may be in flight at once (default 4). Taken as given: pacing
    /// keeps any number within the server's rate limit. 0 is refused when the run starts
    /// (see [`Summary::halted`](super::Summary::halted)).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Decide but send nothing; outcomes are [`Outcome::Planned`](super::Outcome::Planned) (or
    /// [`Outcome::LeftForPerson`](super::Outcome::LeftForPerson)). A dry run walks once and makes no final check.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Only contacts matching this text (name, email or phone).
    pub fn search_text(mut self, text: impl Into<String>) -> Self {
        self.search_text = Some(text.into());
        self
    }

    /// Walks only known contacts (`false`) or only unknown ones (`true`), as
    /// `contacts.search`'s `unknown` filter does. By default both are walked, so nothing
    /// conflicted is dropped.
    pub fn unknown(mut self, unknown: bool) -> Self {
        self.unknown = Some(unknown);
        self
    }

    /// How old a contact's copy may be when its resolve call is about to go out, once the
    /// rate limit has granted the call (default [`DEFAULT_STALE_AFTER`], 2 s; the age counts
    /// from when the request that read it was sent). Older, the contact is read again
    /// (`contacts.get`, which has a rate-limit budget of its own); if a value the plan would
    /// overwrite or a conflict it would discard changed meanwhile, the contact is decided
    /// again from what the server holds now. So a value written more than `stale_after` plus
    /// one round trip before the call is never overwritten by a decision that did not see
    /// it. Rocket.Chat offers no conditional update to close that window; `Duration::ZERO`
    /// narrows it to one round trip, at the cost of a `contacts.get` per contact.
    pub fn stale_after(mut self, age: Duration) -> Self {
        self.stale_after = age;
        self
    }

    /// Records each resolve call in `journal` (an intent before, the outcome after). A
    /// contact whose call was in flight when an earlier run with this journal stopped is
    /// checked on the server first and not sent again when its result is already there.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// use rocketchat_omnichannel::workflow::{Journal, Policy};
    /// let journal = Journal::open("resolve.jsonl", &client)?;
    /// let summary = client.resolve_all(Policy::take_incoming()).journal(journal).run().await;
    /// # Ok(()) }
    /// ```
    pub fn journal(mut self, journal: Journal) -> Self {
        self.journal = Some(Arc::new(journal));
        self
    }

    /// The most the whole run may take. Calls that would have to wait past it are not sent
    /// ([`Outcome::Stopped`](super::Outcome::Stopped)), and the summary says the run is incomplete. No deadline by
    /// default.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Whether to pace calls by the server's rate-limit headers (on by default). Off, calls
    /// go out as fast as the concurrency allows and 429s are still waited out.
    pub fn pacing(mut self, pacing: bool) -> Self {
        self.pacing = pacing;
        self
    }

    /// How many walks may resolve something (default 3) before a last walk only counts
    /// what is left. More rounds help when other clients keep adding conflicts. Taken as
    /// given; 0 is refused when the run starts (see [`Summary::halted`](super::Summary::halted)).
    pub fn max_rounds(mut self, rounds: u32) -> Self {
        self.max_rounds = rounds;
        self
    }

    /// What is wrong with the settings, if anything: a run with these sends nothing.
    pub(super) fn invalid(&self) -> Option<String> {
        let mut problems = Vec::new();
        if self.concurrency == 0 {
            problems.push("concurrency 0 (at least 1 call must be allowed in flight)");
        }
        if self.max_rounds == 0 {
            problems.push("max_rounds 0 (at least 1 walk must be allowed to resolve)");
        }
        (!problems.is_empty()).then(|| format!("invalid settings: {}", problems.join(", ")))
    }

    /// Stops the run early once `token` is cancelled: no more listing or new calls,
    /// in-flight calls finish and are yielded, then the stream ends (the summary says
    /// incomplete). Waits end the moment it is cancelled. A watcher made from the run stops
    /// on the same token.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::workflow::Policy;
    /// use tokio_util::sync::CancellationToken;
    /// let stop = CancellationToken::new();
    /// let run = client.resolve_all(Policy::keep_current()).stop_on(stop.clone());
    /// // … later, from another task or a signal handler:
    /// stop.cancel();
    /// # let _ = run; }
    /// ```
    pub fn stop_on(mut self, token: CancellationToken) -> Self {
        self.stop = Some(token);
        self
    }
}
