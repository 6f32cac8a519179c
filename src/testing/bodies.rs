//! The exact bodies of Rocket.Chat's error answers, shared by the fake server and the typed
//! mocks so both always send the same bytes.
// Some bodies serve only the fake; with only `mocks` enabled they are unused.
#![cfg_attr(not(feature = "fake"), allow(dead_code))]

use serde::Serialize;
use serde_json::Value;

pub(crate) const NOT_LOGGED_IN: &str = "You must be logged in to do this.";
pub(crate) const FORBIDDEN: &str =
    "User does not have the permissions required for this action [error-unauthorized]";

/// Error bodies keep Rocket.Chat's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
}

fn encode(body: &ErrorBody<'_>) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

/// `{"success":false,"error":"<code>"}`: business errors and 403.
pub(crate) fn error(error: &str) -> Vec<u8> {
    encode(&ErrorBody {
        success: false,
        status: None,
        error,
        error_type: None,
        message: None,
        details: None,
    })
}

/// 400 from the schema validator.
pub(crate) fn invalid_params(message: &str) -> Vec<u8> {
    encode(&ErrorBody {
        success: false,
        status: None,
        error: &format!("{message} [invalid-params]"),
        error_type: Some("invalid-params"),
        message: None,
        details: None,
    })
}

/// 400 from the validator of a new-style route (`contacts.delete`): `errorType` first and
/// no ` [invalid-params]` suffix, as the examples of other new-style routes show
/// (`livechat/custom-fields.delete`, `livechat/business-hours.save`).
pub(crate) fn invalid_params_bare(message: &str) -> Vec<u8> {
    let message = serde_json::to_string(message).unwrap_or_default();
    format!(r#"{{"success":false,"errorType":"invalid-params","error":{message}}}"#).into_bytes()
}

/// The compat-mode 401, in the server's own field order.
pub(crate) fn unauthorized() -> Vec<u8> {
    format!(
        r#"{{"success":false,"error":"{NOT_LOGGED_IN}","status":"error","message":"{NOT_LOGGED_IN}"}}"#
    )
    .into_bytes()
}

/// 429 from the rate limiter.
pub(crate) fn rate_limited(wait_seconds: u64) -> Vec<u8> {
    error(&format!(
        "Error, too many requests. Please slow down. You must wait {wait_seconds} seconds before \
         trying this endpoint again. [error-too-many-requests]"
    ))
}

/// A Meteor error as `failure` sends it: the message with its `[code]`, the code as
/// `errorType`, and the error's details.
pub(crate) fn typed_error(error: &str, error_type: &str, details: &Value) -> Vec<u8> {
    encode(&ErrorBody {
        success: false,
        status: None,
        error,
        error_type: Some(error_type),
        message: None,
        details: Some(details),
    })
}

/// 401 from `login`.
pub(crate) fn login_failure(error: &str, message: &str, details: Option<&Value>) -> Vec<u8> {
    encode(&ErrorBody {
        success: false,
        status: Some("error"),
        error,
        error_type: None,
        message: Some(message),
        details,
    })
}
