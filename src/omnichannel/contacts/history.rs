//! `GET /api/v1/omnichannel/contacts.history`: a contact's closed conversations.

use futures_core::Stream;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::page::{DEFAULT_STREAM_PAGE, Page, Paging, SortOrder, paginate, paging_setters};
use crate::awaitable::awaitable;
use crate::client::{ApiRequest, Caller, Client, request_options};
use crate::error::{Error, Matcher, operation_error};
use crate::models::{ChannelSource, ContactId, date};
use crate::response;

operation_error! {
    /// Why reading a contact's history failed.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::omnichannel::contacts::ContactHistoryError;
    /// if let Err(ContactHistoryError::ContactNotFound { .. }) = client.contact_history("gone").await {
    ///     println!("no such contact");
    /// }
    /// # }
    /// ```
    pub enum ContactHistoryError {
        /// 400 `invalid-params`: the query broke the server's schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the query";
        /// 400 `error-contact-not-found`.
        ContactNotFound = Matcher::Code("error-contact-not-found"),
            "no contact has this id (it may have been deleted)";
    }
}

/// A closed conversation of a contact. Only the fields common to every source are typed.
///
/// ```
/// use rocketchat_omnichannel::omnichannel::contacts::ClosedChat;
/// let chat: ClosedChat = serde_json::from_str(r#"{"_id":"room1","closedAt":"2025-05-26T08:00:00.000Z","source":{"type":"widget"}}"#)?;
/// assert_eq!(chat.id, "room1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClosedChat {
    /// The room id.
    #[serde(rename = "_id")]
    pub id: String,
    /// When the conversation started.
    #[serde(
        default,
        with = "date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ts: Option<Timestamp>,
    /// When it was closed.
    #[serde(
        default,
        with = "date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub closed_at: Option<Timestamp>,
    /// Where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ChannelSource>,
}

#[derive(Deserialize)]
struct Wire {
    history: Vec<ClosedChat>,
    #[serde(default)]
    offset: usize,
    #[serde(default)]
    total: usize,
}

/// Reads a contact's closed conversations. Made by [`Client::contact_history`]; `.await` one
/// page or walk them all with [`ContactHistory::into_stream`].
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// let page = client.contact_history("contact-id").source("widget").count(10).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is awaited or streamed"]
pub struct ContactHistory {
    client: Caller,
    contact_id: ContactId,
    source: Option<String>,
    paging: Paging,
}

impl Client {
    /// Starts a `contacts.history` call. Needs the `view-livechat-contact-history` permission.
    ///
    /// Needs Rocket.Chat 7.0 or newer, where the contact model shipped.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let page = client.contact_history("contact-id").await?;
    /// # Ok(()) }
    /// ```
    pub fn contact_history(&self, contact_id: impl Into<ContactId>) -> ContactHistory {
        ContactHistory {
            client: Caller::new(self),
            contact_id: contact_id.into(),
            source: None,
            paging: Paging::default(),
        }
    }
}

impl ContactHistory {
    request_options!(r#"contact_history("contact-id")"#);

    /// Only conversations from this source type (`widget`, `email`, `sms`, `app`, …).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.contact_history("contact-id").source("email").await?;
    /// # Ok(()) }
    /// ```
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    paging_setters!("contact_history(\"contact-id\")", "closedAt");

    fn query(&self, offset: usize) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("contactId", &self.contact_id);
        if let Some(source) = &self.source {
            query.append_pair("source", source);
        }
        self.paging.append(&mut query, offset);
        query.finish()
    }

    async fn page(&self, offset: usize) -> Result<Page<ClosedChat>, ContactHistoryError> {
        if self.contact_id.trim().is_empty() {
            return Err(Error::validation("the contact id is empty").into());
        }
        self.paging.check()?;
        let request =
            ApiRequest::get("omnichannel/contacts.history", self.query(offset)).since("7.0.0");
        let answer = self.client.execute(request).await?;
        let wire: Wire = response::decode::<_, ContactHistoryError>(answer)?;
        Ok(Page::new(wire.history, wire.offset, wire.total))
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// See [`ContactHistoryError`].
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let page = client.contact_history("contact-id").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Page<ClosedChat>, ContactHistoryError> {
        self.page(self.paging.offset).await
    }

    /// Every closed conversation, page after page.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// use futures_util::TryStreamExt;
    /// let chats: Vec<_> = client.contact_history("contact-id").into_stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn into_stream(
        mut self,
    ) -> impl Stream<Item = Result<ClosedChat, ContactHistoryError>> + Send + 'static {
        self.paging.count.get_or_insert(DEFAULT_STREAM_PAGE);
        let start = self.paging.offset;
        paginate(start, move |offset| {
            let history = self.clone();
            async move { history.page(offset).await }
        })
    }
}

awaitable!(ContactHistory => Result<Page<ClosedChat>, ContactHistoryError>);
