//! Carrying out a saved [`PlanFile`] without overwriting anyone: `client.apply(&plan)`.
//!
//! Each contact goes through the same call path as a bulk run (see `send.rs`): skipped when
//! the journal says an earlier run finished it, read again once the resolve budget is
//! granted, counted without sending when a call an earlier run left in flight already shows
//! on the server, and reported [`Outcome::Stale`] (nothing sent) when anything the plan
//! writes or discards changed since the plan, unless forced.

use tokio_util::sync::CancellationToken;

use super::journal::Journal;
use super::outcome::Outcome;
use super::pacing::Pacer;
use super::plan_file::PlanFile;
use super::send::{OnChange, Sender};
use crate::client::Client;
use crate::error::Error;

/// A saved plan about to be carried out; made by [`Client::apply`], run by [`Apply::run`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::TryStreamExt;
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
/// use rocketchat_omnichannel::workflow::{Journal, Outcome, PlanFile, Policy};
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
/// let contacts: Vec<_> = client.conflicted_contacts(None).try_collect().await?;
/// let plan = PlanFile::new(&client, &Policy::keep_current(), &contacts);
/// // … saved, reviewed by a person, loaded again …
/// let path = std::env::temp_dir().join(format!("apply-doc-{}.jsonl", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let journal = Journal::open(&path, &client)?;
/// let outcomes = client.apply(&plan).journal(&journal).run().await?;
/// assert!(outcomes.iter().all(|o| matches!(o, Outcome::Resolved { .. })));
/// # std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "nothing is sent until `run` is awaited"]
pub struct Apply<'a> {
    client: &'a Client,
    plan: &'a PlanFile,
    journal: Option<&'a Journal>,
    force: bool,
    stop: Option<CancellationToken>,
}

impl Client {
    /// Carries out a saved plan, contact by contact, checking each against the server first.
    pub fn apply<'a>(&'a self, plan: &'a PlanFile) -> Apply<'a> {
        Apply {
            client: self,
            plan,
            journal: None,
            force: false,
            stop: None,
        }
    }
}

impl<'a> Apply<'a> {
    /// Records every call, so that a run started again skips what is done and
    /// [`undo`](super::undo) can take it back. Strongly advised.
    pub fn journal(mut self, journal: &'a Journal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Sends a contact even when it changed since the plan (what changed is overwritten or
    /// thrown away). Off by default.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Stops once `token` is cancelled: a contact waiting for its call is `Stopped`, and the
    /// contacts after it are not in the result.
    pub fn stop_on(mut self, token: CancellationToken) -> Self {
        self.stop = Some(token);
        self
    }

    /// Carries out the plan: one [`Outcome`] per contact reached, in plan order. An entry
    /// that sends nothing is read too, so that a contact resolved or deleted since the plan
    /// is reported as such rather than as left for a person.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the plan was made
    /// for another server. A contact's own failure is its `Outcome::Failed`, not an error.
    pub async fn run(self) -> Result<Vec<Outcome>, Error> {
        self.plan.check_server(self.client)?;
        let pacer = Pacer::new(true, None).with_stop(self.stop.clone());
        let sender = Sender {
            client: self.client,
            pacer: &pacer,
            journal: self.journal,
            on_change: OnChange::Refuse { force: self.force },
            stale_after: std::time::Duration::ZERO,
        };
        let mut outcomes = Vec::with_capacity(self.plan.contacts.len());
        for plan in &self.plan.contacts {
            if self
                .stop
                .as_ref()
                .is_some_and(CancellationToken::is_cancelled)
            {
                break;
            }
            let outcome = if plan.sends() {
                sender
                    .send(plan.clone(), None, Some(plan.fingerprint()))
                    .await
            } else {
                sender.left(plan.clone(), Some(plan.fingerprint())).await
            };
            crate::metrics::outcome(&outcome);
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }
}
