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

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path_regex, query_param};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

use super::bodies;
use crate::models::{Contact, ContactId, Me, UserId};

fn json_answer(status: u16, body: Vec<u8>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

/// What a current server answers for a route it does not have (Hono's default).
fn route_missing() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw("404 Not Found", "text/plain; charset=UTF-8")
}

/// A success body: the value's fields next to `success: true`.
fn success(key: &str, value: &impl Serialize) -> ResponseTemplate {
    let body = json!({ key: value, "success": true });
    json_answer(200, serde_json::to_vec(&body).unwrap_or_default())
        .insert_header("cache-control", "no-store")
        .insert_header("pragma", "no-cache")
}

/// Answers any endpoint can give: 401, 403, 429, and anything by hand.
macro_rules! common_answers {
    () => {
        /// 401 with the server's "You must be logged in to do this." body.
        pub fn respond_with_unauthorized(self) -> Mock {
            self.respond(json_answer(401, bodies::unauthorized()))
        }

        /// 403 with the server's permission message.
        pub fn respond_with_forbidden(self) -> Mock {
            self.respond(json_answer(403, bodies::error(bodies::FORBIDDEN)))
        }

        /// 429 with the limiter's message and `X-RateLimit-*` headers that reset at `reset`.
        pub fn respond_with_rate_limit(self, reset: SystemTime) -> Mock {
            let reset_ms = reset
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let wait = reset
                .duration_since(SystemTime::now())
                .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
            self.respond(
                json_answer(429, bodies::rate_limited(wait))
                    .insert_header("x-ratelimit-limit", "10")
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", reset_ms.to_string().as_str()),
            )
        }

        /// 400 `invalid-params` with the validator's message (e.g. `must be boolean`).
        pub fn respond_with_invalid_params(self, message: &str) -> Mock {
            self.respond(json_answer(400, bodies::invalid_params(message)))
        }

        /// Any status and raw body (an HTML 502 from a proxy, a truncated body …).
        pub fn respond_with_raw(
            self,
            status: u16,
            body: impl Into<Vec<u8>>,
            content_type: &str,
        ) -> Mock {
            self.respond(ResponseTemplate::new(status).set_body_raw(body.into(), content_type))
        }

        /// Escape hatch: a hand-made wiremock answer on this endpoint's matcher.
        pub fn respond(self, template: ResponseTemplate) -> Mock {
            self.given().respond_with(template)
        }
    };
}

/// Starts a mock of `POST omnichannel/contacts.conflicts`.
///
/// ```
/// let mock = rocketchat_omnichannel::testing::mocks::resolve_conflicts().respond_with_no_conflicts();
/// # let _ = mock;
/// ```
pub fn resolve_conflicts() -> ResolveConflictsMock {
    ResolveConflictsMock { contact_id: None }
}

/// A mock of the resolve call; see [`resolve_conflicts`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct ResolveConflictsMock {
    contact_id: Option<ContactId>,
}

impl ResolveConflictsMock {
    /// Matches only calls for this contact id.
    pub fn for_contact(mut self, contact_id: impl Into<ContactId>) -> Self {
        self.contact_id = Some(contact_id.into());
        self
    }

    fn given(&self) -> MockBuilder {
        let mock = Mock::given(method("POST"))
            .and(path_regex(r"/api/v1/omnichannel/contacts\.conflicts$"));
        match &self.contact_id {
            Some(id) => mock.and(body_partial_json(json!({ "contactId": id }))),
            None => mock,
        }
    }

    /// 200 with this contact as `result`.
    pub fn respond_with_contact(self, contact: &Contact) -> Mock {
        self.respond(success("result", contact))
    }

    /// 400 `error-contact-has-no-conflicts`.
    pub fn respond_with_no_conflicts(self) -> Mock {
        self.respond(json_answer(
            400,
            bodies::error("error-contact-has-no-conflicts"),
        ))
    }

    /// 400 `error-contact-not-found`.
    pub fn respond_with_contact_not_found(self) -> Mock {
        self.respond(json_answer(400, bodies::error("error-contact-not-found")))
    }

    /// 400 `error-contact-manager-not-found`.
    pub fn respond_with_contact_manager_not_found(self) -> Mock {
        self.respond(json_answer(
            400,
            bodies::error("error-contact-manager-not-found"),
        ))
    }

    common_answers!();
}

/// Starts a mock of `GET omnichannel/contacts.get`.
///
/// ```
/// use rocketchat_omnichannel::models::Contact;
/// let mock = rocketchat_omnichannel::testing::mocks::get_contact()
///     .for_contact("c1")
///     .respond_with_contact(&Contact::new("c1"));
/// # let _ = mock;
/// ```
pub fn get_contact() -> GetContactMock {
    GetContactMock { contact_id: None }
}

/// A mock of `contacts.get`; see [`get_contact`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct GetContactMock {
    contact_id: Option<ContactId>,
}

impl GetContactMock {
    /// Matches only calls for this contact id.
    pub fn for_contact(mut self, contact_id: impl Into<ContactId>) -> Self {
        self.contact_id = Some(contact_id.into());
        self
    }

    fn given(&self) -> MockBuilder {
        let mock =
            Mock::given(method("GET")).and(path_regex(r"/api/v1/omnichannel/contacts\.get$"));
        match &self.contact_id {
            Some(id) => mock.and(query_param("contactId", id.as_str())),
            None => mock,
        }
    }

    /// 200 with this contact.
    pub fn respond_with_contact(self, contact: &Contact) -> Mock {
        self.respond(success("contact", contact))
    }

    /// 404 `Resource not found`, as the server answers an unknown id here.
    pub fn respond_with_not_found(self) -> Mock {
        self.respond(json_answer(404, bodies::error("Resource not found")))
    }

    common_answers!();
}

/// Starts a mock of `GET omnichannel/contacts.search`.
///
/// Which listings the workflow makes: [`Client::resolve_all`](crate::Client::resolve_all),
/// [`Client::conflicted_contacts`](crate::Client::conflicted_contacts) and
/// [`Client::watch_conflicts`](crate::Client::watch_conflicts) walk `unknown=false`, then
/// (with [`UnknownContacts::Include`](crate::workflow::UnknownContacts::Include), the
/// default) `unknown=true`. A mock that matches any `unknown` answers both walks alike, so
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

/// Starts a mock of `POST omnichannel/contacts.update`.
///
/// ```
/// use rocketchat_omnichannel::models::Contact;
/// let mock = rocketchat_omnichannel::testing::mocks::update_contact()
///     .for_contact("c1")
///     .respond_with_contact(&Contact::new("c1"));
/// # let _ = mock;
/// ```
pub fn update_contact() -> UpdateContactMock {
    UpdateContactMock { contact_id: None }
}

/// A mock of `contacts.update`; see [`update_contact`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct UpdateContactMock {
    contact_id: Option<ContactId>,
}

impl UpdateContactMock {
    /// Matches only calls for this contact id.
    pub fn for_contact(mut self, contact_id: impl Into<ContactId>) -> Self {
        self.contact_id = Some(contact_id.into());
        self
    }

    fn given(&self) -> MockBuilder {
        let mock =
            Mock::given(method("POST")).and(path_regex(r"/api/v1/omnichannel/contacts\.update$"));
        match &self.contact_id {
            Some(id) => mock.and(body_partial_json(json!({ "contactId": id }))),
            None => mock,
        }
    }

    /// 200 with this contact under `contact` (this route's key).
    pub fn respond_with_contact(self, contact: &Contact) -> Mock {
        self.respond(success("contact", contact))
    }

    /// 400 `error-contact-not-found`.
    pub fn respond_with_contact_not_found(self) -> Mock {
        self.respond(json_answer(400, bodies::error("error-contact-not-found")))
    }

    common_answers!();
}

/// Starts a mock of `POST omnichannel/contacts.delete` (Rocket.Chat 7.11+).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::{Client, Credentials};
/// use rocketchat_omnichannel::testing::mocks;
/// let server = wiremock::MockServer::start().await;
/// mocks::delete_contact().for_contact("c1").respond_with_deleted().expect(1).mount(&server).await;
/// let client = Client::builder(server.uri()).credentials(Credentials::token("u", "t")).build()?;
/// client.delete_contact("c1").await?;
/// # Ok(()) }
/// ```
pub fn delete_contact() -> DeleteContactMock {
    DeleteContactMock { contact_id: None }
}

/// A mock of `contacts.delete`; see [`delete_contact`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct DeleteContactMock {
    contact_id: Option<ContactId>,
}

impl DeleteContactMock {
    /// Matches only calls for this contact id.
    pub fn for_contact(mut self, contact_id: impl Into<ContactId>) -> Self {
        self.contact_id = Some(contact_id.into());
        self
    }

    fn given(&self) -> MockBuilder {
        let mock =
            Mock::given(method("POST")).and(path_regex(r"/api/v1/omnichannel/contacts\.delete$"));
        match &self.contact_id {
            Some(id) => mock.and(body_partial_json(json!({ "contactId": id }))),
            None => mock,
        }
    }

    /// 200 `{"success":true}`.
    pub fn respond_with_deleted(self) -> Mock {
        self.respond(json_answer(200, br#"{"success":true}"#.to_vec()))
    }

    /// 404 `error-contact-not-found`: unknown or already deleted.
    pub fn respond_with_contact_not_found(self) -> Mock {
        self.respond(json_answer(404, bodies::error("error-contact-not-found")))
    }

    /// 404 as a server before 7.11 answers, which has no such route: Hono's plain-text
    /// `404 Not Found` (`packages/http-router/src/Router.ts` sets no notFound handler). The
    /// SDK then asks `GET /api/info` for the server's version and reports
    /// [`ErrorKind::EndpointMissing`](crate::ErrorKind::EndpointMissing) when it is older
    /// than 7.11, so mount [`server_info`] too.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rocketchat_omnichannel::testing::mocks;
    /// use rocketchat_omnichannel::{Client, Credentials, ErrorKind};
    ///
    /// let server = wiremock::MockServer::start().await;
    /// mocks::delete_contact().respond_with_route_missing().mount(&server).await;
    /// mocks::server_info().respond_with_version("7.10").mount(&server).await;
    /// let client = Client::builder(server.uri()).credentials(Credentials::token("u", "t")).build()?;
    /// let error: rocketchat_omnichannel::Error = client.delete_contact("c1").await.unwrap_err().into();
    /// assert!(matches!(error.kind(), ErrorKind::EndpointMissing { since: "7.11.0", .. }));
    /// # Ok(()) }
    /// ```
    pub fn respond_with_route_missing(self) -> Mock {
        self.respond(route_missing())
    }

    common_answers!();
}

/// Starts a mock of `POST omnichannel/contacts` (create).
///
/// ```
/// let mock = rocketchat_omnichannel::testing::mocks::create_contact().respond_with_id("c1");
/// # let _ = mock;
/// ```
pub fn create_contact() -> CreateContactMock {
    CreateContactMock { _private: () }
}

/// A mock of the contact creation; see [`create_contact`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct CreateContactMock {
    _private: (),
}

impl CreateContactMock {
    fn given(&self) -> MockBuilder {
        Mock::given(method("POST")).and(path_regex(r"/api/v1/omnichannel/contacts$"))
    }

    /// 200 with the new contact's id.
    pub fn respond_with_id(self, contact_id: impl Into<ContactId>) -> Mock {
        self.respond(success("contactId", &contact_id.into()))
    }

    /// 400 `error-contact-manager-not-found`.
    pub fn respond_with_contact_manager_not_found(self) -> Mock {
        self.respond(json_answer(
            400,
            bodies::error("error-contact-manager-not-found"),
        ))
    }

    common_answers!();
}

/// Starts a mock of `POST login`.
///
/// ```
/// use rocketchat_omnichannel::testing::mocks;
/// let mock = mocks::login().respond_with_two_factor_required();
/// # let _ = mock;
/// ```
pub fn login() -> LoginMock {
    LoginMock { _private: () }
}

/// A mock of the login call; see [`login`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct LoginMock {
    _private: (),
}

impl LoginMock {
    fn given(&self) -> MockBuilder {
        Mock::given(method("POST")).and(path_regex(r"/api/v1/login$"))
    }

    /// 200 with a new session for `me`, using `auth_token`.
    pub fn respond_with_session(self, me: &Me, auth_token: &str) -> Mock {
        let body = json!({
            "status": "success",
            "data": {"userId": me.id, "authToken": auth_token, "me": me},
            "success": true,
        });
        self.respond(json_answer(
            200,
            serde_json::to_vec(&body).unwrap_or_default(),
        ))
    }

    /// 401 for a wrong user name or password.
    pub fn respond_with_bad_password(self) -> Mock {
        self.respond(json_answer(
            401,
            bodies::login_failure("Unauthorized", "Unauthorized", None),
        ))
    }

    /// 401 `totp-required`, offering TOTP and email codes.
    pub fn respond_with_two_factor_required(self) -> Mock {
        let details = json!({"method": "totp", "codeGenerated": false, "availableMethods": ["totp", "email"]});
        self.respond(json_answer(
            401,
            bodies::login_failure("totp-required", "TOTP Required", Some(&details)),
        ))
    }

    /// 401 `totp-invalid`.
    pub fn respond_with_two_factor_invalid(self) -> Mock {
        // A wrong code carries the same details as a missing one.
        let details = json!({"method": "totp", "codeGenerated": false, "availableMethods": ["totp", "email"]});
        self.respond(json_answer(
            401,
            bodies::login_failure("totp-invalid", "TOTP Invalid", Some(&details)),
        ))
    }

    common_answers!();
}

/// Starts a mock of `GET me`.
///
/// ```
/// use rocketchat_omnichannel::models::Me;
/// let mut me = Me::default();
/// me.id = "u1".into();
/// let mock = rocketchat_omnichannel::testing::mocks::me().respond_with_user(&me);
/// # let _ = mock;
/// ```
pub fn me() -> MeMock {
    MeMock { _private: () }
}

/// A mock of the `me` call; see [`me`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct MeMock {
    _private: (),
}

impl MeMock {
    fn given(&self) -> MockBuilder {
        Mock::given(method("GET")).and(path_regex(r"/api/v1/me$"))
    }

    /// 200 with the user's fields at the top level, as the server sends them.
    pub fn respond_with_user(self, me: &Me) -> Mock {
        let mut body = serde_json::to_value(me).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut body {
            map.insert("success".into(), Value::Bool(true));
        }
        self.respond(json_answer(
            200,
            serde_json::to_vec(&body).unwrap_or_default(),
        ))
    }

    common_answers!();
}

/// Starts a mock of `GET /api/info`, which needs no login.
///
/// ```
/// let mock = rocketchat_omnichannel::testing::mocks::server_info().respond_with_version("7.10");
/// # let _ = mock;
/// ```
pub fn server_info() -> ServerInfoMock {
    ServerInfoMock { _private: () }
}

/// A mock of `GET /api/info`; see [`server_info`].
#[derive(Debug)]
#[must_use = "a mock does nothing until it answers and is mounted"]
pub struct ServerInfoMock {
    _private: (),
}

impl ServerInfoMock {
    fn given(&self) -> MockBuilder {
        Mock::given(method("GET")).and(path_regex(r"/api/info$"))
    }

    /// 200 with this version, as Rocket.Chat sends it to anonymous callers (`"7.10"`) or
    /// to users with `view-statistics` (`"7.10.2"`).
    pub fn respond_with_version(self, version: &str) -> Mock {
        let body = json!({"version": version, "success": true});
        self.respond(json_answer(
            200,
            serde_json::to_vec(&body).unwrap_or_default(),
        ))
    }

    /// Any answer, for what the typed ones do not cover.
    pub fn respond(self, template: ResponseTemplate) -> Mock {
        self.given().respond_with(template)
    }
}

/// A user id, for building [`Me`] values in mocks.
///
/// ```
/// let me = rocketchat_omnichannel::testing::mocks::user("u1", "agent1");
/// assert_eq!(me.username.as_deref(), Some("agent1"));
/// ```
pub fn user(id: impl Into<UserId>, username: &str) -> Me {
    Me {
        id: id.into(),
        username: Some(username.to_owned()),
        roles: vec!["user".into(), "livechat-agent".into()],
        ..Me::default()
    }
}
