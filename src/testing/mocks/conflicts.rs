//! `POST omnichannel/contacts.conflicts`.

use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path_regex};
use wiremock::{Mock, MockBuilder};

use super::answers::{common_answers, json_answer, success};
use crate::models::{Contact, ContactId};
use crate::testing::bodies;

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
