//! `GET omnichannel/contacts.search`.

use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

use super::answers::{common_answers, json_answer};
use crate::models::Contact;

/// Starts a mock of `GET omnichannel/contacts.search`.
///
/// Which listings the workflow makes: [`Client::resolve_all`](crate::Client::resolve_all),
/// its watchers and [`Client::conflicted_contacts`](crate::Client::conflicted_contacts) walk
/// `unknown=false`, then (unless told to walk one listing) `unknown=true`. A mock that matches any `unknown` answers both walks alike, so
/// every contact is met twice; match each listing with [`SearchContactsMock::unknown`]. A
/// walk may also ask for one item sorted by `_updatedAt` (`count=1`), to note where it
/// started; a mock that answers it with the whole page does no harm.
///
/// ```
/// use rocketchat_omnichannel::models::Contact;
/// use rocketchat_omnichannel::testing::mocks;
/// let known = mocks::search_contacts()
///     .unknown(false)
///     .respond_with_contacts(&[Contact::new("c1"), Contact::new("c2")]);
/// let unknown = mocks::search_contacts().unknown(true).respond_with_contacts(&[]);
/// # let _ = (known, unknown);
/// ```
pub fn search_contacts() -> SearchContactsMock {
    SearchContactsMock {
        unknown: None,
        search_text: None,
    }
}

/// A mock of `contacts.search`; see [`search_contacts`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct SearchContactsMock {
    unknown: Option<bool>,
    search_text: Option<String>,
}

impl SearchContactsMock {
    /// Matches only the listing of contacts whose `unknown` is this (a request without
    /// `unknown` lists `false`, as the server's default).
    pub fn unknown(mut self, unknown: bool) -> Self {
        self.unknown = Some(unknown);
        self
    }

    /// Matches only requests with this `searchText`.
    pub fn search_text(mut self, text: impl Into<String>) -> Self {
        self.search_text = Some(text.into());
        self
    }

    fn given(&self) -> MockBuilder {
        let (unknown, text) = (self.unknown, self.search_text.clone());
        let matcher = move |request: &wiremock::Request| {
            let value = |name: &str| {
                request
                    .url
                    .query_pairs()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.into_owned())
            };
            let unknown_ok = unknown.is_none_or(|want| {
                let asked = value("unknown").is_some_and(|v| v == "true");
                asked == want
            });
            let text_ok = text
                .as_ref()
                .is_none_or(|want| value("searchText").as_ref() == Some(want));
            unknown_ok && text_ok
        };
        Mock::given(method("GET"))
            .and(path_regex(r"/api/v1/omnichannel/contacts\.search$"))
            .and(matcher)
    }

    /// 200 with every contact on one page (`offset` 0, `total` = their number). For several
    /// pages, mount [`SearchContactsMock::respond_with_page`] once per `offset`.
    pub fn respond_with_contacts(self, contacts: &[Contact]) -> Mock {
        self.respond(page(contacts, 0, contacts.len()))
    }

    /// 200 with one page; matches only calls asking for this `offset` (0 also matches calls
    /// without one).
    pub fn respond_with_page(self, contacts: &[Contact], offset: usize, total: usize) -> Mock {
        let matcher = move |request: &wiremock::Request| {
            let asked = request
                .url
                .query_pairs()
                .find(|(key, _)| key == "offset")
                .and_then(|(_, value)| value.parse::<usize>().ok())
                .unwrap_or(0);
            asked == offset
        };
        self.given()
            .and(matcher)
            .respond_with(page(contacts, offset, total))
    }

    common_answers!();
}

fn page(contacts: &[Contact], offset: usize, total: usize) -> ResponseTemplate {
    let body = json!({
        "contacts": contacts, "count": contacts.len(), "offset": offset, "total": total, "success": true,
    });
    json_answer(200, serde_json::to_vec(&body).unwrap_or_default())
}
