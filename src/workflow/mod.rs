//! Find, decide, resolve: turn conflicts into resolve requests by a [`Policy`], and resolve
//! every conflicted contact with [`Client::resolve_all`](crate::Client::resolve_all).

mod policy;
mod resolve_all;

pub use policy::{Decision, Plan, Policy};
pub use resolve_all::{Outcome, ResolveAll};
