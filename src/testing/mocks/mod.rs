//! Typed answers for a [`wiremock::MockServer`].
//!
//! Each function starts a mock for one endpoint; its `respond_with_*` methods return a
//! [`wiremock::Mock`] to mount (and to add `.expect(n)` to). Bodies are serialized from the
//! SDK's models and from the same error bodies the fake server sends, so a mock cannot
//! answer something the SDK would not read.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rocketchat_omnichannel::{Client, Credentials, ResolveConflictsError};
//! use rocketchat_omnichannel::models::Contact;
//! use rocketchat_omnichannel::testing::mocks;
//!
//! let server = wiremock::MockServer::start().await;
//! mocks::resolve_conflicts().for_contact("c1").respond_with_contact(&Contact::new("c1"))
//!     .expect(1).mount(&server).await;
//! mocks::resolve_conflicts().for_contact("gone").respond_with_contact_not_found()
//!     .mount(&server).await;
//!
//! let client = Client::builder(server.uri()).credentials(Credentials::token("u", "t")).build()?;
//! assert_eq!(client.resolve_contact_conflicts("c1").wipe_conflicts(true).await?.id, "c1");
//! let error = client.resolve_contact_conflicts("gone").wipe_conflicts(true).await.unwrap_err();
//! assert!(matches!(error, ResolveConflictsError::ContactNotFound { .. }));
//! # Ok(()) }
//! ```

// One file per concern: `answers` (the answers every endpoint shares), then one per group
// of endpoints; each uses only `answers`, the error bodies and the SDK's models.

mod answers;
mod auth;
mod conflicts;
mod contacts;
mod search;
mod server_info;

pub use auth::{LoginMock, MeMock, login, me, user};
pub use conflicts::{ResolveConflictsMock, resolve_conflicts};
pub use contacts::{
    CreateContactMock, DeleteContactMock, GetContactMock, UpdateContactMock, create_contact,
    delete_contact, get_contact, update_contact,
};
pub use search::{SearchContactsMock, search_contacts};
pub use server_info::{ServerInfoMock, server_info};
