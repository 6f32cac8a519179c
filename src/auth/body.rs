//! The login's wire format: the body `POST /api/v1/login` takes and the answer it gives.
//! Shared by [`Client::login`](crate::Client::login) and the session's renewal, so it
//! depends on nothing above the response decoder (no client, no session).

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind};
use crate::models::{Me, UserId};
use crate::response::{self, FromApiError, RawResponse};
use crate::secret::SecretString;

/// The login body, shared by [`Client::login`](crate::Client::login) and renewal. Credentials
/// go in the body, never in the URL.
#[derive(Serialize)]
pub(crate) struct LoginBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) password: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resume: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<&'a str>,
}

impl LoginBody<'_> {
    pub(crate) fn to_vec(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self).map_err(|e| {
            Error::with_source(
                ErrorKind::Validation {
                    message: "the login body could not be encoded".into(),
                },
                e,
            )
        })
    }
}

#[derive(Deserialize)]
struct LoginAnswer {
    data: LoginData,
}

/// A successful login: the token, and the `me` block decoded separately so a surprise in
/// it never costs the token the server already issued.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginData {
    pub(crate) user_id: UserId,
    pub(crate) auth_token: SecretString,
    #[serde(default)]
    me: Option<serde_json::Value>,
}

impl LoginData {
    /// The `me` block, or `Err` with the reason it did not decode.
    pub(crate) fn me(&mut self) -> Result<Option<Me>, serde_json::Error> {
        self.me.take().map(serde_json::from_value).transpose()
    }
}

/// Decodes a login answer without ever keeping its body, which holds the new token.
pub(crate) fn decode_login<E: FromApiError>(answer: RawResponse) -> Result<LoginData, E> {
    if answer.status.is_success() {
        let answer: LoginAnswer = response::decode_success(answer, false)?;
        Ok(answer.data)
    } else {
        response::decode::<LoginAnswer, E>(answer).map(|a| a.data)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::StatusCode;
    use proptest::prelude::*;

    use super::*;
    use crate::auth::LoginError;

    fn answer(status: u16, body: Vec<u8>) -> RawResponse {
        RawResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            rate_limit: None,
            body: Bytes::from(body),
            endpoint: None,
            date: None,
        }
    }

    /// Whatever a server or proxy answers to a login, decoding it and rendering the error
    /// never panics (run in the debug build, overflow checks on), and a decode error never
    /// keeps the body, which may hold a token.
    fn exercise(status: u16, body: Vec<u8>) {
        match decode_login::<LoginError>(answer(status, body)) {
            Ok(mut data) => {
                let _ = data.me();
            }
            Err(error) => {
                let _ = (
                    error.to_string(),
                    format!("{error:?}"),
                    error.two_factor_challenge(),
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_as_a_login_answer(
            status in prop_oneof![Just(200u16), Just(401), Just(400), Just(429), Just(502), 100u16..600],
            body in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            exercise(status, body);
        }

        #[test]
        fn login_shaped_answers_with_any_text(
            status in prop_oneof![Just(200u16), Just(401)],
            user_id in "\\PC{0,20}",
            token in "\\PC{0,40}",
            me in prop_oneof![Just(serde_json::Value::Null), "\\PC{0,30}".prop_map(serde_json::Value::from)],
            error in "\\PC{0,40}",
        ) {
            let body = serde_json::json!({
                "status": if status == 200 { "success" } else { "error" },
                "data": {"userId": user_id, "authToken": token, "me": me},
                "error": error,
                "details": {"method": "totp", "codeGenerated": true},
            });
            exercise(status, serde_json::to_vec(&body).unwrap());
        }
    }
}
