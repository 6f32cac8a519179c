//! `GET /api/v1/omnichannel/contacts.channels`: the latest channel of each kind a contact used.

use serde::Deserialize;

use crate::client::{ApiRequest, Client};
use crate::error::{Error, Matcher, operation_error};
use crate::models::{Channel, ContactId};
use crate::response;

operation_error! {
    /// Why listing a contact's channels failed.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// if let Err(error) = client.contact_channels("contact-id").await {
    ///     eprintln!("{error}");
    /// }
    /// # }
    /// ```
    pub enum ContactChannelsError {
        /// 400 `invalid-params`: the query broke the server's schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the query";
    }
}

#[derive(Deserialize)]
struct Channels {
    #[serde(default)]
    channels: Vec<Channel>,
}

impl Client {
    /// The latest channel per channel name. An unknown id gives an empty list, not an error.
    /// Needs the `view-livechat-contact` permission.
    ///
    /// # Errors
    /// See [`ContactChannelsError`]; an empty id is `Other` with a validation error.
    ///
    /// Needs Rocket.Chat 7.0 or newer, where the contact model shipped.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// for channel in client.contact_channels("contact-id").await? {
    ///     println!("{:?} verified: {:?}", channel.name, channel.verified);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn contact_channels(
        &self,
        contact_id: impl Into<ContactId>,
    ) -> Result<Vec<Channel>, ContactChannelsError> {
        let contact_id = contact_id.into();
        if contact_id.trim().is_empty() {
            return Err(Error::validation("the contact id is empty").into());
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("contactId", &contact_id)
            .finish();
        let answer = self
            .execute(ApiRequest::get("omnichannel/contacts.channels", query).since("7.0.0"))
            .await?;
        response::decode::<Channels, _>(answer).map(|c| c.channels)
    }
}
