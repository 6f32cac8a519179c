//! Find, decide, resolve: turn conflicts into resolve requests by a [`Policy`], resolve
//! every conflicted contact with [`Client::resolve_all`](crate::Client::resolve_all).

mod pacing;
mod policy;
mod resolve_all;
mod scan;
mod stop;

pub use policy::{Decision, Plan, Policy};
pub use resolve_all::{Outcome, ResolveAll, ResolveStream, Summary, UnknownContacts};
pub use stop::StopSignal;
