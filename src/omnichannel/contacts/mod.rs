//! `omnichannel/contacts.*`: one file per endpoint, each adding its method to
//! [`Client`](crate::Client).

pub(crate) mod body;
mod channels;
mod check_existence;
mod create;
mod delete;
pub(crate) mod get;
mod history;
mod page;
pub(crate) mod resolve_conflicts;
pub(crate) mod search;
mod update;

pub use channels::ContactChannelsError;
pub use check_existence::{CheckExistenceError, ContactLookup};
pub use create::{CreateContact, CreateContactError};
pub use delete::{DeleteContact, DeleteContactError};
pub use get::{GetContact, GetContactError};
pub use history::{ClosedChat, ContactHistory, ContactHistoryError};
pub use page::{Page, SortOrder};
pub use resolve_conflicts::{ResolveConflicts, ResolveConflictsError};
pub use search::{SearchContacts, SearchContactsError};
pub use update::{UpdateContact, UpdateContactError};
