//! `GET /api/v1/omnichannel/contacts.search`: find contacts by name, email or phone.

use futures_core::Stream;
use serde::Deserialize;

use super::page::{DEFAULT_STREAM_PAGE, Page, Paging, SortOrder, paginate, paging_setters};
use crate::awaitable::awaitable;
use crate::client::{ApiRequest, Caller, Client, request_options};
use crate::error::{Matcher, operation_error};
use crate::models::Contact;
use crate::response::{self, Observed};

/// The route, also the key its rate limit is counted under.
pub(crate) const SEARCH_PATH: &str = "omnichannel/contacts.search";

operation_error! {
    /// Why a contact search failed.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// if let Err(error) = client.search_contacts().search_text("jane").await {
    ///     eprintln!("{error}");
    /// }
    /// # }
    /// ```
    pub enum SearchContactsError {
        /// 400 `invalid-params`: the query broke the server's schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the search parameters";
    }
}

/// A contact search. Made by [`Client::search_contacts`]; `.await` one page, or walk all of
/// them with [`SearchContacts::into_stream`].
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// let page = client.search_contacts().search_text("example.com").count(20).await?;
/// println!("{} of {} contacts", page.items.len(), page.total);
/// # Ok(()) }
/// ```
///
/// The search owns a clone of the (cheap) client, so it and its stream can be moved into a
/// spawned task.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is awaited or streamed"]
pub struct SearchContacts {
    client: Caller,
    search_text: Option<String>,
    unknown: Option<bool>,
    paging: Paging,
}

/// The answer. Its `count` is the page size that was *asked for* (see `getContacts.ts` in
/// `apps/meteor/app/livechat/server/lib/contacts/`) and its `offset` an echo, so neither is
/// read; `total` is required, because without it a walk cannot know where to stop.
#[derive(Deserialize)]
struct Wire {
    contacts: Vec<Contact>,
    total: usize,
}

impl Client {
    /// Starts a `contacts.search` call. Needs the `view-livechat-contact` permission.
    /// Without options it lists known, enabled contacts by name.
    ///
    /// Needs Rocket.Chat 7.0 or newer, where the contact model shipped.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let first_page = client.search_contacts().await?;
    /// # Ok(()) }
    /// ```
    pub fn search_contacts(&self) -> SearchContacts {
        SearchContacts {
            client: Caller::new(self),
            search_text: None,
            unknown: None,
            paging: Paging::default(),
        }
    }
}

impl SearchContacts {
    request_options!(r#"search_contacts()"#);

    /// Case-insensitive text matched against name, email and phone.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.search_contacts().search_text("+55 81").await?;
    /// # Ok(()) }
    /// ```
    pub fn search_text(mut self, text: impl Into<String>) -> Self {
        self.search_text = Some(text.into());
        self
    }

    /// `true` lists the contacts created automatically from visitors instead of the known
    /// ones (the server's default is `false`).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.search_contacts().unknown(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn unknown(mut self, unknown: bool) -> Self {
        self.unknown = Some(unknown);
        self
    }

    paging_setters!("search_contacts()", "_updatedAt");

    fn query(&self, offset: usize) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(text) = &self.search_text {
            query.append_pair("searchText", text);
        }
        if let Some(unknown) = self.unknown {
            query.append_pair("unknown", if unknown { "true" } else { "false" });
        }
        self.paging.append(&mut query, offset);
        query.finish()
    }

    async fn page(&self, offset: usize) -> Result<Page<Contact>, SearchContactsError> {
        self.page_observed(offset).await.0
    }

    /// One page at `offset`, with what the answer told the pacing of bulk work. The page's
    /// `offset` is the one asked for.
    pub(crate) async fn page_observed(
        &self,
        offset: usize,
    ) -> (Result<Page<Contact>, SearchContactsError>, Observed) {
        if let Err(error) = self.paging.check() {
            return (Err(error.into()), Observed::NoAnswer);
        }
        let request = ApiRequest::get(SEARCH_PATH, self.query(offset)).since("7.0.0");
        let answer = match self.client.execute(request).await {
            Ok(answer) => answer,
            Err(error) => return (Err(error.into()), Observed::NoAnswer),
        };
        let observed = Observed::of(&answer);
        let page = response::decode::<Wire, SearchContactsError>(answer)
            .map(|wire| Page::new(wire.contacts, offset, wire.total));
        (page, observed)
    }

    /// Fetches one page.
    ///
    /// # Errors
    /// [`SearchContactsError`]: invalid parameters, auth, permission, rate limit, and
    /// `Other` for transport and unexpected answers.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let page = client.search_contacts().send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Page<Contact>, SearchContactsError> {
        self.page(self.paging.offset).await
    }

    /// Every matching contact, page after page (50 per page unless [`SearchContacts::count`]
    /// says otherwise), until the server's `total` is reached or a page comes back empty. An
    /// error (a missing `total` included) is yielded once and ends the stream.
    ///
    /// Offset paging is only as stable as the order: contacts renamed, created or deleted
    /// while the walk runs may be skipped or seen twice under the default `name` order.
    /// [`Client::resolve_all`] copes with that; for your own walks, sort by `_id`.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// use futures_util::TryStreamExt;
    /// let all: Vec<_> = client.search_contacts().into_stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn into_stream(
        mut self,
    ) -> impl Stream<Item = Result<Contact, SearchContactsError>> + Send + 'static {
        self.paging.count.get_or_insert(DEFAULT_STREAM_PAGE);
        let start = self.paging.offset;
        paginate(start, move |offset| {
            let search = self.clone();
            async move { search.page(offset).await }
        })
    }
}

awaitable!(SearchContacts => Result<Page<Contact>, SearchContactsError>);
