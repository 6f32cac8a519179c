//! `POST /api/v1/omnichannel/contacts.update`: change a contact's fields.

use serde::Serialize;
use serde_json::{Map, Value};

use super::body::{amend, post, required_id, set_custom_field};
use crate::awaitable::awaitable;
use crate::client::{Caller, Client, request_options};
use crate::error::{Error, Matcher, operation_error};
use crate::models::{Contact, ContactId, UserId};
use crate::response::Envelope;

operation_error! {
    /// Why updating a contact failed.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::omnichannel::contacts::UpdateContactError;
    /// if let Err(UpdateContactError::ContactNotFound { .. }) = client.update_contact("gone").name("X").await {
    ///     println!("deleted meanwhile");
    /// }
    /// # }
    /// ```
    pub enum UpdateContactError {
        /// 400 `invalid-params`: the body broke the server's schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the update";
        /// 400 `error-contact-not-found`.
        ContactNotFound = Matcher::Code("error-contact-not-found"),
            "no contact has this id (it may have been deleted)";
        /// 400 `error-contact-manager-not-found`: the manager is not a livechat agent's id.
        ContactManagerNotFound = Matcher::Code("error-contact-manager-not-found"),
            "the contact manager must be the user id of a livechat agent";
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    contact_id: ContactId,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emails: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phones: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_fields: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_manager: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wipe_conflicts: Option<bool>,
}

/// Updates a contact. Made by [`Client::update_contact`]. Lists given here **replace** the
/// contact's lists; custom fields replace the whole map. To settle conflicting values use
/// [`Client::resolve_contact_conflicts`], which merges and clears the matching entries.
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// let contact = client
///     .update_contact("contact-id")
///     .emails(["jane@example.com", "jd@example.org"])
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited or sent"]
pub struct UpdateContact {
    client: Caller,
    body: Result<Body, Error>,
}

impl Client {
    /// Starts a `contacts.update` call. Needs the `update-livechat-contact` permission.
    ///
    /// Needs Rocket.Chat 7.0 or newer, where the contact model shipped.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.update_contact("contact-id").name("Jane Doe").await?;
    /// # Ok(()) }
    /// ```
    pub fn update_contact(&self, contact_id: impl Into<ContactId>) -> UpdateContact {
        let body = required_id(contact_id.into()).map(|contact_id| Body {
            contact_id,
            name: None,
            emails: None,
            phones: None,
            custom_fields: None,
            contact_manager: None,
            wipe_conflicts: None,
        });
        UpdateContact {
            client: Caller::new(self),
            body,
        }
    }
}

impl UpdateContact {
    request_options!(r#"update_contact("contact-id").name("Jane")"#);

    fn update(mut self, change: impl FnOnce(&mut Body) -> Result<(), Error>) -> Self {
        self.body = amend(self.body, change);
        self
    }

    /// Sets the name.
    ///
    /// # Errors
    /// An empty name is reported at send time.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.update_contact("contact-id").name("Jane").await?;
    /// # Ok(()) }
    /// ```
    pub fn name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.update(|body| {
            if name.trim().is_empty() {
                return Err(Error::validation("the name is empty"));
            }
            body.name = Some(name);
            Ok(())
        })
    }

    /// Replaces the email addresses.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.update_contact("contact-id").emails(["jane@example.com"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn emails<S: Into<String>>(self, emails: impl IntoIterator<Item = S>) -> Self {
        let emails: Vec<String> = emails.into_iter().map(Into::into).collect();
        self.update(|body| {
            body.emails = Some(emails);
            Ok(())
        })
    }

    /// Replaces the phone numbers.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.update_contact("contact-id").phones(["+5581999990000"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn phones<S: Into<String>>(self, phones: impl IntoIterator<Item = S>) -> Self {
        let phones: Vec<String> = phones.into_iter().map(Into::into).collect();
        self.update(|body| {
            body.phones = Some(phones);
            Ok(())
        })
    }

    /// Sets one custom field; repeat for more. The fields sent replace the contact's map.
    ///
    /// # Errors
    /// A key that is empty or contains `.` or `$` is reported at send time.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.update_contact("contact-id").custom_field("cpf", "123").await?;
    /// # Ok(()) }
    /// ```
    pub fn custom_field(self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let (key, value) = (key.into(), value.into());
        self.update(|body| set_custom_field(&mut body.custom_fields, key, value))
    }

    /// Sets the contact manager by user id; an empty id clears it.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.update_contact("contact-id").contact_manager("agent-user-id").await?;
    /// # Ok(()) }
    /// ```
    pub fn contact_manager(self, user_id: impl Into<UserId>) -> Self {
        let user_id = user_id.into();
        self.update(|body| {
            body.contact_manager = Some(user_id);
            Ok(())
        })
    }

    /// With `true`, removes all conflict entries.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.update_contact("contact-id").wipe_conflicts(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn wipe_conflicts(self, wipe: bool) -> Self {
        self.update(|body| {
            body.wipe_conflicts = Some(wipe);
            Ok(())
        })
    }

    /// Sends the request and returns the updated contact (the server answers with
    /// `{"contact": …}` here, not `{"result": …}`).
    ///
    /// # Errors
    /// See [`UpdateContactError`].
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let contact = client.update_contact("contact-id").name("Jane").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Contact, UpdateContactError> {
        post::<_, Envelope<Contact>, _>(
            &self.client,
            "omnichannel/contacts.update",
            "7.0.0",
            self.body,
        )
        .await
        .map(|envelope| envelope.result)
    }
}

awaitable!(UpdateContact => Result<Contact, UpdateContactError>);
