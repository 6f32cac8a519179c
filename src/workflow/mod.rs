//! Find, decide, resolve: turn conflicts into resolve requests by a [`Policy`], resolve
//! every conflicted contact with [`Client::resolve_all`](crate::Client::resolve_all), and
//! keep doing it with [`Client::watch_conflicts`](crate::Client::watch_conflicts).

mod apply;
mod awaiting;
mod changes;
mod driver;
mod journal;
mod outcome;
mod pacing;
mod plan_file;
mod policy;
mod resolve_all;
mod scan;
mod stop;
mod watch;

pub use apply::{Applied, ApplyOptions, apply, undo};
pub use changes::{FullReason, PassKind};
pub use journal::{Journal, JournalLine, JournalStatus, Undone};
pub use outcome::{Outcome, Progress, Summary};
pub use plan_file::{Discard, FORMAT, PlanFile, PlannedContact, Snapshot, Write, server_id};
pub use policy::{ContactDecision, Decision, Plan, Policy};
pub use resolve_all::{DEFAULT_STALE_AFTER, ResolveAll, ResolveStream, UnknownContacts};
pub use stop::StopSignal;
/// The tokio-util token [`StopSignal`] wraps, re-exported so yours is always of the same
/// version.
pub use tokio_util::sync::CancellationToken;
pub use watch::{WatchConflicts, WatchEvent, WatchStream};
