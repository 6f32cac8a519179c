//! `GET omnichannel/contacts.get`, `POST omnichannel/contacts.update`,
//! `POST omnichannel/contacts.delete` and `POST omnichannel/contacts` (create).

use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path_regex, query_param};
use wiremock::{Mock, MockBuilder};

use super::answers::{common_answers, json_answer, route_missing, success};
use crate::models::{Contact, ContactId};
use crate::testing::bodies;

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
    /// than 7.11, so mount [`server_info`](super::server_info()) too.
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
