//! Find, decide, resolve — once, on a schedule, or from a reviewed file.
//!
//! - **Decide.** A [`Policy`] decides every conflicted field of a contact ([`Decision`]:
//!   keep the current value, take a value, or leave the field for a person) and makes a
//!   [`Plan`]: what resolving that contact writes, what it throws away, and what stays for a
//!   person. [`Plan::request`] is the one way to turn it into a call.
//! - **Run.** [`Client::resolve_all`](crate::Client::resolve_all) walks every conflicted
//!   contact, decides it and resolves it, paced to the server's rate limit, and tells what
//!   happened to each contact with one list of words, [`Outcome`]: resolved, partly
//!   resolved, left for a person, nothing to do, stale, gone, failed, stopped (and planned,
//!   in a dry run). [`Summary`] counts them and says what is left.
//! - **Watch.** [`ResolveAll::watch`] repeats the same run every interval, listing only the
//!   contacts written since the previous pass, with every setting of the run.
//! - **Review first.** [`PlanFile`] saves the plans of many contacts for a person to read;
//!   [`Client::apply`](crate::Client::apply) carries them out later, refusing a contact that
//!   changed since ([`Outcome::Stale`]).
//! - **Record and undo.** A [`Journal`] records each call before and after it is sent: a
//!   run started again skips what is done and sends nothing twice, and [`undo`] puts back
//!   the fields the run changed where nobody changed them since ([`Undone`]).
//! - **Stop.** Runs, watchers and `apply` take tokio-util's
//!   [`CancellationToken`](tokio_util::sync::CancellationToken)
//!   (`stop_on(token)`); waits end the moment it is cancelled.
//!
//! Every call goes the same way: once the rate-limit budget for it is granted, a copy of the
//! contact older than [`ResolveAll::stale_after`] (2 s) is read again, so a decision is
//! never sent over a value written more than that, plus one round trip, before the call
//! (Rocket.Chat has no conditional update to close the window).

mod apply;
mod awaiting;
mod changes;
mod driver;
mod journal;
mod outcome;
mod pacing;
mod plan;
mod plan_file;
mod policy;
mod resolve_all;
mod run_state;
mod scan;
mod send;
mod stop;
mod stream;
mod summary;
mod undo;
mod watch;

pub use apply::Apply;
pub use changes::PassKind;
pub use journal::Journal;
pub use outcome::Outcome;
pub use plan::{Decision, Discard, Plan, Write};
pub use plan_file::PlanFile;
pub use policy::Policy;
pub use resolve_all::{DEFAULT_STALE_AFTER, ResolveAll};
pub use stream::ResolveStream;
pub use summary::Summary;
pub use undo::{Undone, undo};
pub use watch::{Watch, WatchEvent, WatchStream};
