//! `POST login`, `GET me`, and [`user`] to build the [`Me`] they answer with.

use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockBuilder};

use super::answers::{common_answers, json_answer};
use crate::models::{Me, UserId};
use crate::testing::bodies;

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
