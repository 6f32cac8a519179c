//! `POST /api/v1/omnichannel/contacts`: create a known contact.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::body::{amend, post, set_custom_field};
use crate::awaitable::awaitable;
use crate::client::{Caller, Client, request_options};
use crate::error::{Error, Matcher, operation_error};
use crate::models::{ContactId, UserId};

operation_error! {
    /// Why creating a contact failed.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::omnichannel::contacts::CreateContactError;
    /// match client.create_contact("Jane Doe").email("jane@example.com").await {
    ///     Ok(id) => println!("created {id}"),
    ///     Err(CreateContactError::ContactManagerNotFound { .. }) => println!("pick an agent"),
    ///     Err(other) => eprintln!("{other}"),
    /// }
    /// # }
    /// ```
    pub enum CreateContactError {
        /// 400 `invalid-params`, or a custom field the workspace does not define (the server
        /// validates custom fields on creation).
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the contact";
        /// 400 `error-contact-manager-not-found`: the manager is not a livechat agent's id.
        ContactManagerNotFound = Matcher::Code("error-contact-manager-not-found"),
            "the contact manager must be the user id of a livechat agent";
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    name: String,
    emails: Vec<String>,
    phones: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_fields: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_manager: Option<UserId>,
}

/// Creates a contact (with no channel, so it is "pre-registered"). Made by
/// [`Client::create_contact`].
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// let id = client
///     .create_contact("Jane Doe")
///     .email("jane@example.com")
///     .phone("+5581999990000")
///     .custom_field("cpf", "123.456.789-00")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited or sent"]
pub struct CreateContact {
    client: Caller,
    body: Result<Body, Error>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    contact_id: ContactId,
}

impl Client {
    /// Starts a contact creation. Needs the `create-livechat-contact` permission.
    ///
    /// Needs Rocket.Chat 7.0 or newer, where the contact model shipped.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let id = client.create_contact("Jane Doe").await?;
    /// # Ok(()) }
    /// ```
    pub fn create_contact(&self, name: impl Into<String>) -> CreateContact {
        let name = name.into();
        let body = if name.trim().is_empty() {
            Err(Error::validation("the contact name is empty"))
        } else {
            Ok(Body {
                name,
                emails: Vec::new(),
                phones: Vec::new(),
                custom_fields: None,
                contact_manager: None,
            })
        };
        CreateContact {
            client: Caller::new(self),
            body,
        }
    }
}

impl CreateContact {
    request_options!(r#"create_contact("Jane")"#);

    fn update(mut self, change: impl FnOnce(&mut Body) -> Result<(), Error>) -> Self {
        self.body = amend(self.body, change);
        self
    }

    /// Adds an email address (repeatable).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.create_contact("Jane").email("a@example.com").email("b@example.com").await?;
    /// # Ok(()) }
    /// ```
    pub fn email(self, address: impl Into<String>) -> Self {
        let address = address.into();
        self.update(|body| {
            body.emails.push(address);
            Ok(())
        })
    }

    /// Adds a phone number (repeatable).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.create_contact("Jane").phone("+5581999990000").await?;
    /// # Ok(()) }
    /// ```
    pub fn phone(self, number: impl Into<String>) -> Self {
        let number = number.into();
        self.update(|body| {
            body.phones.push(number);
            Ok(())
        })
    }

    /// Sets a custom field (it must be defined in the workspace).
    ///
    /// # Errors
    /// A key that is empty or contains `.` or `$` is reported at send time.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.create_contact("Jane").custom_field("cpf", "123").await?;
    /// # Ok(()) }
    /// ```
    pub fn custom_field(self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let (key, value) = (key.into(), value.into());
        self.update(|body| set_custom_field(&mut body.custom_fields, key, value))
    }

    /// Sets the contact manager, by the agent's user id.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.create_contact("Jane").contact_manager("agent-user-id").await?;
    /// # Ok(()) }
    /// ```
    pub fn contact_manager(self, user_id: impl Into<UserId>) -> Self {
        let user_id = user_id.into();
        self.update(|body| {
            body.contact_manager = Some(user_id).filter(|id| !id.trim().is_empty());
            Ok(())
        })
    }

    /// Sends the request and returns the new contact's id.
    ///
    /// # Errors
    /// See [`CreateContactError`]; an empty name or a bad custom-field key is `Other`
    /// with a validation error, before anything is sent.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let id = client.create_contact("Jane").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<ContactId, CreateContactError> {
        post::<_, Created, _>(&self.client, "omnichannel/contacts", "7.0.0", self.body)
            .await
            .map(|created| created.contact_id)
    }
}

awaitable!(CreateContact => Result<ContactId, CreateContactError>);
