//! Reading an answer: the size-capped body read and the decode step shared by every
//! operation (2xx → typed value with a path-aware error; anything else → typed error).

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error, ErrorKind};
use crate::rate_limit::RateLimit;

/// A complete answer: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) body: Bytes,
}

/// Lets the shared decode step build an operation's typed error from an error answer.
pub(crate) trait FromApiError: From<Error> {
    fn from_api_error(response: ApiError) -> Self;
}

impl FromApiError for Error {
    fn from_api_error(response: ApiError) -> Self {
        Error::from_api(response)
    }
}

/// Most endpoints wrap their value: `{"result": …, "success": true}` for
/// `contacts.conflicts`, `{"contact": …}` for `contacts.get`/`contacts.update`.
/// `result` is what the real server sends for the resolve call; `contact` is accepted too
/// because `@rocket.chat/rest-typings` declares it and a future server may follow them.
#[derive(Deserialize)]
pub(crate) struct Envelope<T> {
    #[serde(alias = "contact")]
    pub(crate) result: T,
}

/// Reads the body chunk by chunk, failing as soon as it passes `limit` bytes: a lying or
/// missing `Content-Length` cannot make it buffer more than the limit.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, Error> {
    let too_large = || Error::new(ErrorKind::ResponseTooLarge { limit });
    let declared = response.content_length();
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let Some(first) = response.chunk().await.map_err(Error::transport)? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large());
    }
    // Most small answers arrive in one chunk: hand that chunk back without copying.
    let Some(second) = response.chunk().await.map_err(Error::transport)? else {
        return Ok(first);
    };
    let hint = declared.map_or(first.len() + second.len(), |len| len as usize);
    let mut buffer = BytesMut::with_capacity(hint.min(limit));
    buffer.extend_from_slice(&first);
    buffer.extend_from_slice(&second);
    while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
        if buffer.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buffer.extend_from_slice(&chunk);
    }
    if buffer.len() > limit {
        return Err(too_large());
    }
    Ok(buffer.freeze())
}

/// Turns an answer into the operation's result.
pub(crate) fn decode<T: DeserializeOwned, E: FromApiError>(response: RawResponse) -> Result<T, E> {
    if response.status.is_success() {
        decode_success(response, true).map_err(E::from)
    } else {
        Err(E::from_api_error(ApiError::new(
            response.status,
            response.rate_limit,
            response.body,
        )))
    }
}

/// Decodes a 2xx body. A body that is not JSON at all (an HTML page served with 200 because
/// the base URL points at the web app) is an unexpected response, not a decode error.
/// `keep_body` is false for answers that hold secrets, such as a login's auth token.
pub(crate) fn decode_success<T: DeserializeOwned>(
    response: RawResponse,
    keep_body: bool,
) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(&response.body);
    let result = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| (e.path().to_string(), e.into_inner()))
        .and_then(|value| {
            deserializer
                .end()
                .map(|()| value)
                .map_err(|e| ("(after the value)".to_owned(), e))
        });
    match result {
        Ok(value) => Ok(value),
        Err((path, error)) => {
            let looks_like_json = response
                .body
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'{' || *b == b'[');
            if !looks_like_json && keep_body {
                return Err(Error::new(ErrorKind::UnexpectedResponse(ApiError::new(
                    response.status,
                    response.rate_limit,
                    response.body,
                ))));
            }
            let kind = ErrorKind::Decode {
                status: response.status,
                path,
                body: if keep_body {
                    response.body
                } else {
                    Bytes::new()
                },
            };
            Err(Error::with_source(kind, error))
        }
    }
}
