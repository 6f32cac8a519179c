//! `GET /api/v1/omnichannel/contacts.get`: one contact by id.

use crate::awaitable::awaitable;
use crate::client::{ApiRequest, Caller, Client, request_options};
use crate::error::{Error, Matcher, operation_error};
use crate::models::{Contact, ContactId};
use crate::response::{self, Envelope, Observed};

operation_error! {
    /// Why fetching a contact failed.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::omnichannel::contacts::GetContactError;
    /// match client.get_contact("contact-id").await {
    ///     Ok(contact) => println!("{:?}", contact.name),
    ///     Err(GetContactError::NotFound { .. }) => println!("no such contact"),
    ///     Err(other) => eprintln!("{other}"),
    /// }
    /// # }
    /// ```
    pub enum GetContactError {
        /// 404 `Resource not found`: no enabled contact has this id. (Unlike the other
        /// contact routes, this one answers 404 rather than 400.)
        NotFound = Matcher::Status(404),
            "no contact has this id (it may have been deleted)";
        /// 400 `invalid-params`: the query broke the server's schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the query";
    }
}

/// Fetches one contact. Made by [`Client::get_contact`]; send with `.await` or
/// [`GetContact::send`].
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// let contact = client.get_contact("contact-id").await?;
/// for conflict in &contact.conflicting_fields {
///     println!("{} could also be {}", conflict.field, conflict.value);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited or sent"]
pub struct GetContact {
    client: Caller,
    contact_id: ContactId,
}

impl Client {
    /// Starts a `contacts.get` call. Needs the `view-livechat-contact` permission.
    ///
    /// Needs Rocket.Chat 7.0 or newer, where the contact model shipped.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let contact = client.get_contact("contact-id").await?;
    /// # Ok(()) }
    /// ```
    pub fn get_contact(&self, contact_id: impl Into<ContactId>) -> GetContact {
        GetContact {
            client: Caller::new(self),
            contact_id: contact_id.into(),
        }
    }
}

impl GetContact {
    request_options!(r#"get_contact("contact-id")"#);

    /// Sends the request.
    ///
    /// # Errors
    /// [`GetContactError::NotFound`] for an unknown id, the common variants for auth, permission
    /// and rate limits, and [`GetContactError::Other`] for an empty id (before sending),
    /// transport failures and unexpected answers.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let contact = client.get_contact("contact-id").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Contact, GetContactError> {
        self.send_observed().await.0
    }

    /// [`send`](Self::send), also saying what the answer told the rate-limit pacing.
    pub(crate) async fn send_observed(self) -> (Result<Contact, GetContactError>, Observed) {
        if self.contact_id.trim().is_empty() {
            return (
                Err(Error::validation("the contact id is empty").into()),
                Observed::NoAnswer,
            );
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("contactId", &self.contact_id)
            .finish();
        let request = ApiRequest::get(GET_PATH, query).since("7.0.0");
        let answer = match self.client.execute(request).await {
            Ok(answer) => answer,
            Err(error) => return (Err(error.into()), Observed::NoAnswer),
        };
        let observed = Observed::of(&answer);
        let contact =
            response::decode::<Envelope<Contact>, _>(answer).map(|envelope| envelope.result);
        (contact, observed)
    }
}

/// The route, below `/api/v1/`; the workflow paces by it.
pub(crate) const GET_PATH: &str = "omnichannel/contacts.get";

awaitable!(GetContact => Result<Contact, GetContactError>);
