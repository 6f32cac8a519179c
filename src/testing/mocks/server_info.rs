//! `GET /api/info`, which needs no login.

use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

use super::answers::json_answer;

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
