//! `GET /api/v1/omnichannel/contacts.checkExistence`: is there a contact with this id, email
//! or phone?

use serde::Deserialize;

use crate::client::{ApiRequest, Client};
use crate::error::{Error, Matcher, operation_error};
use crate::response;

operation_error! {
    /// Why an existence check failed.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::omnichannel::contacts::ContactLookup;
    /// if let Err(error) = client.contact_exists(ContactLookup::email("a@example.com")).await {
    ///     eprintln!("{error}");
    /// }
    /// # }
    /// ```
    pub enum CheckExistenceError {
        /// 400 `invalid-params`: the query broke the server's schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the lookup";
    }
}

/// What to look a contact up by; the server takes exactly one.
///
/// ```
/// use rocketchat_omnichannel::omnichannel::contacts::ContactLookup;
/// let by_phone = ContactLookup::phone("+5581999990000");
/// # let _ = by_phone;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContactLookup {
    /// By `_id`.
    Id(String),
    /// By email address (case-insensitive).
    Email(String),
    /// By phone number.
    Phone(String),
}

impl ContactLookup {
    /// By `_id`.
    pub fn id(id: impl Into<String>) -> Self {
        Self::Id(id.into())
    }

    /// By email address.
    pub fn email(address: impl Into<String>) -> Self {
        Self::Email(address.into())
    }

    /// By phone number.
    pub fn phone(number: impl Into<String>) -> Self {
        Self::Phone(number.into())
    }

    fn pair(&self) -> (&'static str, &str) {
        match self {
            Self::Id(id) => ("contactId", id),
            Self::Email(address) => ("email", address),
            Self::Phone(number) => ("phone", number),
        }
    }
}

#[derive(Deserialize)]
struct Exists {
    exists: bool,
}

impl Client {
    /// Whether an enabled contact matches. Needs the `view-livechat-contact` permission and
    /// Rocket.Chat 7.2 or newer.
    ///
    /// # Errors
    /// See [`CheckExistenceError`]; an empty value is `Other` with a validation error.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// use rocketchat_omnichannel::omnichannel::contacts::ContactLookup;
    /// if !client.contact_exists(ContactLookup::email("jane@example.com")).await? {
    ///     client.create_contact("Jane").email("jane@example.com").await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn contact_exists(&self, lookup: ContactLookup) -> Result<bool, CheckExistenceError> {
        let (key, value) = lookup.pair();
        if value.trim().is_empty() {
            return Err(Error::validation(format!("the {key} to look up is empty")).into());
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(key, value)
            .finish();
        let answer = self
            .execute(ApiRequest::get("omnichannel/contacts.checkExistence", query).since("7.2.0"))
            .await?;
        response::decode::<Exists, _>(answer).map(|e| e.exists)
    }
}
