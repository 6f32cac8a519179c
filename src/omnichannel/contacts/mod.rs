//! `omnichannel/contacts.*`: one file per endpoint, each adding its method to
//! [`Client`](crate::Client).

mod get;
mod resolve_conflicts;

pub use get::{GetContact, GetContactError};
pub use resolve_conflicts::{ResolveConflicts, ResolveConflictsError};
