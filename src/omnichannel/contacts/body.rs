//! What the write endpoints share: a body that keeps the first invalid input until the
//! request is sent, the custom-field key rules, and the encode → send → decode step.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::client::{ApiRequest, Caller};
use crate::error::Error;
use crate::models::ContactId;
use crate::response::{self, FromApiError, Observed};

/// Applies a setter's change unless an earlier setter already failed.
pub(crate) fn amend<B>(
    body: Result<B, Error>,
    change: impl FnOnce(&mut B) -> Result<(), Error>,
) -> Result<B, Error> {
    body.and_then(|mut body| change(&mut body).map(|()| body))
}

/// A required contact id, refused when empty.
pub(crate) fn required_id(id: ContactId) -> Result<ContactId, Error> {
    if id.trim().is_empty() {
        Err(Error::validation("the contact id is empty"))
    } else {
        Ok(id)
    }
}

/// Adds one custom field. Keys become `customFields.<key>` paths on the server: a dot
/// would nest, a `$` is an operator, and an empty key names nothing.
pub(crate) fn set_custom_field(
    fields: &mut Option<Map<String, Value>>,
    key: String,
    value: Value,
) -> Result<(), Error> {
    if key.trim().is_empty() {
        return Err(Error::validation("a custom field key is empty"));
    }
    if key.contains(['.', '$']) {
        return Err(Error::validation(format!(
            "custom field key `{key}` contains `.` or `$`, which the server would read as a path or an operator"
        )));
    }
    fields.get_or_insert_with(Map::new).insert(key, value);
    Ok(())
}

/// The JSON a kept body encodes to.
pub(crate) fn encode<B: Serialize>(body: &Result<B, Error>) -> Result<Vec<u8>, Error> {
    let body = body.as_ref().map_err(Error::clone_validation)?;
    serde_json::to_vec(body)
        .map_err(|e| Error::validation(format!("the body could not be encoded: {e}")))
}

/// Encodes the body, POSTs it to `path` (a route added in Rocket.Chat `since`) and decodes
/// the answer.
pub(crate) async fn post<B, T, E>(
    client: &Caller,
    path: &'static str,
    since: &'static str,
    body: Result<B, Error>,
) -> Result<T, E>
where
    B: Serialize,
    T: DeserializeOwned,
    E: FromApiError,
{
    post_observed(client, path, since, body).await.0
}

/// [`post`], also saying what the answer told the rate-limit pacing (the bulk workflow
/// sends through here, so a single call and a paced one build the same request).
pub(crate) async fn post_observed<B, T, E>(
    client: &Caller,
    path: &'static str,
    since: &'static str,
    body: Result<B, Error>,
) -> (Result<T, E>, Observed)
where
    B: Serialize,
    T: DeserializeOwned,
    E: FromApiError,
{
    let body = match body.and_then(|body| encode(&Ok(body))) {
        Ok(body) => body,
        Err(error) => return (Err(error.into()), Observed::NoAnswer),
    };
    match client
        .execute(ApiRequest::post(path, body).since(since))
        .await
    {
        Ok(answer) => {
            let observed = Observed::of(&answer);
            (response::decode(answer), observed)
        }
        Err(error) => (Err(error.into()), Observed::NoAnswer),
    }
}
