//! `POST /api/v1/omnichannel/contacts.delete` (Rocket.Chat 7.11+): delete a contact, as a
//! data-erasure request needs. The server disables the contact and erases its personal
//! data; afterwards every contact route treats the id as unknown.

use serde::{Deserialize, Serialize};

use super::body::{post, required_id};
use crate::awaitable::awaitable;
use crate::client::{Caller, Client, request_options};
use crate::error::{Matcher, operation_error};
use crate::models::ContactId;

operation_error! {
    /// Why deleting a contact failed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rocketchat_omnichannel::omnichannel::contacts::DeleteContactError;
    /// use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser};
    /// let fake = FakeRocketChat::start().await;
    /// let manager = fake.add_user(FakeUser::new("lead").role("livechat-manager"));
    /// let client = fake.client_for(&manager)?;
    /// match client.delete_contact("gone").await {
    ///     Err(DeleteContactError::ContactNotFound { .. }) => println!("already erased"),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub enum DeleteContactError {
        /// `error-contact-not-found` (404; 400 on the newest servers): no contact has this id, or
        /// it was deleted already.
        ContactNotFound = Matcher::Code("error-contact-not-found"),
            "no contact has this id (it may have been deleted already)";
        /// 400 `invalid-params`: the body broke the server's schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the request";
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    contact_id: ContactId,
}

/// The answer carries nothing but `success`.
#[derive(Deserialize)]
struct Deleted {}

/// Deletes a contact. Made by [`Client::delete_contact`]; send with `.await` or
/// [`DeleteContact::send`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser};
/// let fake = FakeRocketChat::start().await;
/// let manager = fake.add_user(FakeUser::new("lead").role("livechat-manager"));
/// let id = fake.add_contact_named("Jane Doe");
/// fake.client_for(&manager)?.delete_contact(id.clone()).await?;
/// assert!(fake.contact(&id).unwrap().name.is_none(), "personal data erased");
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited or sent"]
pub struct DeleteContact {
    client: Caller,
    contact_id: ContactId,
}

impl Client {
    /// Starts a `contacts.delete` call (Rocket.Chat 7.11+). Needs the
    /// `delete-livechat-contact` permission (admins and livechat managers by default).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser};
    /// # let fake = FakeRocketChat::start().await;
    /// # let admin = fake.add_user(FakeUser::new("root").role("admin"));
    /// # let client = fake.client_for(&admin)?;
    /// let id = fake.add_contact_named("Jane Doe");
    /// client.delete_contact(id).await?;
    /// # Ok(()) }
    /// ```
    pub fn delete_contact(&self, contact_id: impl Into<ContactId>) -> DeleteContact {
        DeleteContact {
            client: Caller::new(self),
            contact_id: contact_id.into(),
        }
    }
}

impl DeleteContact {
    request_options!(r#"delete_contact("contact-id")"#);

    /// Sends the request.
    ///
    /// # Errors
    /// [`DeleteContactError::ContactNotFound`] for an unknown or already deleted id,
    /// [`DeleteContactError::Other`] with [`ErrorKind::EndpointMissing`](crate::ErrorKind::EndpointMissing)
    /// on servers before 7.11, which lack the route; the common variants for
    /// auth, permission and rate limits, and [`DeleteContactError::Other`] for an empty id
    /// (before sending), transport failures and unexpected answers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser};
    /// # let fake = FakeRocketChat::start().await;
    /// # let admin = fake.add_user(FakeUser::new("root").role("admin"));
    /// # let id = fake.add_contact_named("Jane Doe");
    /// fake.client_for(&admin)?.delete_contact(id).send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<(), DeleteContactError> {
        let body = required_id(self.contact_id).map(|contact_id| Body { contact_id });
        post::<_, Deleted, DeleteContactError>(
            &self.client,
            "omnichannel/contacts.delete",
            "7.11.0",
            body,
        )
        .await
        .map(|Deleted {}| ())
    }
}

awaitable!(DeleteContact => Result<(), DeleteContactError>);
