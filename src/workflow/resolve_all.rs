//! `client.resolve_all(policy)`: every conflicted contact, decided and resolved with bounded
//! concurrency, as a stream of per-contact outcomes.

use std::time::{Duration, SystemTime};

use futures_core::Stream;
use futures_util::StreamExt;

use super::policy::{Plan, Policy};
use crate::client::Client;
use crate::models::{Contact, ContactId};
use crate::omnichannel::contacts::{ResolveConflictsError, SearchContactsError};

/// How often one contact's resolve is retried after a 429 before it is reported failed.
const RATE_LIMIT_RETRIES: u32 = 5;
/// The longest single wait for a rate-limit reset.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(120);

/// What happened to one contact.
///
/// ```
/// use rocketchat_omnichannel::workflow::Outcome;
/// fn describe(outcome: &Outcome) -> String {
///     match outcome {
///         Outcome::Resolved { contact, .. } => format!("resolved {}", contact.id),
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
    /// The plan was carried out; `contact` is the server's answer.
    Resolved {
        /// What was decided.
        plan: Plan,
        /// The contact after resolving (boxed: it is by far the largest outcome).
        contact: Box<Contact>,
    },
    /// Dry run: what would be sent.
    Planned {
        /// What was decided.
        plan: Plan,
    },
    /// The conflicts were gone by the time of the call (someone else resolved them, or a
    /// previous run did).
    Skipped {
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
    /// Listing contacts failed; the stream ends after this.
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
        matches!(self, Self::Failed { .. } | Self::ListingFailed(_))
    }
}

/// Resolves every conflicted contact by a policy. Made by [`Client::resolve_all`]; run it
/// with [`ResolveAll::into_stream`].
///
/// Safe to run again after a crash: a contact already resolved has no conflicts, so it is
/// not picked (or comes back as [`Outcome::Skipped`] if it was resolved mid-run).
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) {
/// use futures_util::StreamExt;
/// use rocketchat_omnichannel::workflow::{Outcome, Policy};
///
/// let mut outcomes = std::pin::pin!(client.resolve_all(Policy::keep_current()).concurrency(4).into_stream());
/// while let Some(outcome) = outcomes.next().await {
///     if outcome.is_failure() {
///         eprintln!("{outcome:?}");
///     }
/// }
/// # }
/// ```
#[derive(Debug)]
#[must_use = "nothing happens until the stream is polled"]
pub struct ResolveAll<'a> {
    client: &'a Client,
    policy: Policy,
    concurrency: usize,
    dry_run: bool,
    search_text: Option<String>,
}

impl Client {
    /// Starts resolving every known contact that has conflicts, deciding each field with
    /// `policy`.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::take_latest()).dry_run(true);
    /// # let _ = run;
    /// # }
    /// ```
    pub fn resolve_all(&self, policy: Policy) -> ResolveAll<'_> {
        ResolveAll {
            client: self,
            policy,
            concurrency: 4,
            dry_run: false,
            search_text: None,
        }
    }
}

impl<'a> ResolveAll<'a> {
    /// How many resolve calls may be in flight at once (1–32, default 4).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::keep_current()).concurrency(8);
    /// # let _ = run; }
    /// ```
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.clamp(1, 32);
        self
    }

    /// Decide but send nothing; outcomes are [`Outcome::Planned`].
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::take_latest()).dry_run(true);
    /// # let _ = run; }
    /// ```
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Only contacts matching this text (name, email or phone).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// # use rocketchat_omnichannel::workflow::Policy;
    /// let run = client.resolve_all(Policy::keep_current()).search_text("@example.com");
    /// # let _ = run; }
    /// ```
    pub fn search_text(mut self, text: impl Into<String>) -> Self {
        self.search_text = Some(text.into());
        self
    }

    /// Runs: pages through the contacts, plans each conflicted one and resolves it, yielding
    /// outcomes as they complete (not in listing order).
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
    /// let outcomes: Vec<_> = client.resolve_all(Policy::keep_current()).into_stream().collect().await;
    /// assert_eq!(outcomes.len(), 3);
    /// # Ok(()) }
    /// ```
    pub fn into_stream(self) -> impl Stream<Item = Outcome> + Send + 'a {
        let Self {
            client,
            policy,
            concurrency,
            dry_run,
            search_text,
        } = self;
        let mut search = client.search_contacts().count(100);
        if let Some(text) = search_text {
            search = search.search_text(text);
        }
        search
            .into_stream()
            .filter(|item| std::future::ready(item.as_ref().map_or(true, Contact::has_conflicts)))
            .map(move |item| {
                let policy = policy.clone();
                async move {
                    match item {
                        Ok(contact) => {
                            let plan = policy.plan(&contact);
                            if dry_run {
                                Outcome::Planned { plan }
                            } else {
                                resolve(client, plan).await
                            }
                        }
                        Err(error) => Outcome::ListingFailed(error),
                    }
                }
            })
            .buffer_unordered(concurrency)
    }
}

/// Sends one plan, waiting out rate limits.
async fn resolve(client: &Client, plan: Plan) -> Outcome {
    let mut attempt = 0;
    loop {
        match plan.request(client).await {
            Ok(contact) => {
                return Outcome::Resolved {
                    plan,
                    contact: Box::new(contact),
                };
            }
            Err(ResolveConflictsError::NoConflicts { .. }) => {
                return Outcome::Skipped {
                    contact_id: plan.contact_id,
                };
            }
            Err(ResolveConflictsError::RateLimited { retry_at, .. })
                if attempt < RATE_LIMIT_RETRIES =>
            {
                attempt += 1;
                let wait = retry_at
                    .and_then(|at| at.duration_since(SystemTime::now()).ok())
                    .unwrap_or(Duration::from_secs(1))
                    .min(MAX_RATE_LIMIT_WAIT);
                tracing::debug!(contact = %plan.contact_id, wait_ms = wait.as_millis() as u64, "rate limited; waiting");
                tokio::time::sleep(wait + Duration::from_millis(50)).await;
            }
            Err(error) => {
                return Outcome::Failed {
                    contact_id: plan.contact_id,
                    error,
                };
            }
        }
    }
}
