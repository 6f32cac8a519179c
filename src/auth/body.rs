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
