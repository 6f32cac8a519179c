//! Reading an answer: the size-capped body read and the decode step shared by every
//! operation (2xx → typed value with a path-aware error; anything else → typed error).

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Endpoint, Error, ErrorKind};
use crate::rate_limit::RateLimit;

/// A complete answer: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) body: Bytes,
    /// The route that answered, so errors can say which endpoint a server lacks.
    pub(crate) endpoint: Option<Endpoint>,
    /// The `Date` header, kept unparsed (a watcher reads the server's clock from it).
    pub(crate) date: Option<http::HeaderValue>,
}

/// What one call told the rate-limit pacing besides its result: nothing when no answer came
/// (a transport failure, or input refused before sending), else the answer's status and
/// rate-limit headers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Observed {
    NoAnswer,
    Answer {
        status: StatusCode,
        rate_limit: Option<RateLimit>,
        /// For a 429, the "You must wait N seconds" of Rocket.Chat's body.
        body_wait: Option<std::time::Duration>,
        /// The server's clock when it answered (its `Date` header: whole seconds, so never
        /// later than the truth).
        server_time: Option<jiff::Timestamp>,
    },
}

impl Observed {
    /// What `response` tells the pacing.
    pub(crate) fn of(response: &RawResponse) -> Self {
        let body_wait = (response.status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| crate::error::wait_seconds_in(&String::from_utf8_lossy(&response.body)))
            .flatten()
            .map(std::time::Duration::from_secs);
        let server_time = response
            .date
            .as_ref()
            .and_then(|date| date.to_str().ok())
            .and_then(|date| {
                jiff::fmt::rfc2822::DateTimeParser::new()
                    .parse_timestamp(date)
                    .ok()
            });
        Self::Answer {
            status: response.status,
            rate_limit: response.rate_limit,
            body_wait,
            server_time,
        }
    }
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

/// The largest buffer allocated up front from a `Content-Length`; bigger bodies grow it.
const PREALLOCATE_AT_MOST: usize = 8 * 1024 * 1024;

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
    // Trust the declared length for the first allocation only up to a point: a server may
    // lie, and the limit may be set very high.
    let mut buffer = BytesMut::with_capacity(hint.min(limit).min(PREALLOCATE_AT_MOST));
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
        Err(E::from_api_error(
            ApiError::new(response.status, response.rate_limit, response.body)
                .with_endpoint(response.endpoint),
        ))
    }
}

/// Decodes a 2xx body. A body that is not JSON at all (an HTML page served with 200 because
/// the base URL points at the web app) is an unexpected response, not a decode error.
/// `keep_body` is false for answers that hold secrets, such as a login's auth token.
pub(crate) fn decode_success<T: DeserializeOwned>(
    response: RawResponse,
    keep_body: bool,
) -> Result<T, Error> {
    // The fast path is plain serde_json, exactly what a hand-written call does; the
    // path-tracking decoder runs only to explain a failure.
    if let Ok(value) = serde_json::from_slice(&response.body) {
        return Ok(value);
    }
    Err(explain_failure::<T>(response, keep_body))
}

/// Decodes again, tracking the JSON path, to build the error for a body that failed.
#[cold]
fn explain_failure<T: DeserializeOwned>(response: RawResponse, keep_body: bool) -> Error {
    let mut deserializer = serde_json::Deserializer::from_slice(&response.body);
    let outcome = serde_path_to_error::deserialize::<_, T>(&mut deserializer)
        .map_err(|e| (e.path().to_string(), e.into_inner()))
        .and_then(|_| {
            deserializer
                .end()
                .map_err(|e| ("(after the value)".to_owned(), e))
        });
    let (path, error) = match outcome {
        Err(failure) => failure,
        // Both decoders accept the body: cannot happen, but report it rather than panic.
        Ok(()) => (
            String::new(),
            serde::de::Error::custom("the body decoded only on the second try"),
        ),
    };
    let looks_like_json = response
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{' || *b == b'[');
    // Not JSON at all (an HTML page from a wrong base URL or a proxy): it cannot hold a
    // token, so it is kept even where a JSON body would not be, and reported as a foreign
    // answer rather than a decode error with an empty body.
    if !looks_like_json {
        return Error::new(ErrorKind::UnexpectedResponse(
            ApiError::new(response.status, response.rate_limit, response.body)
                .with_endpoint(response.endpoint),
        ));
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
    Error::with_source(kind, error)
}

#[cfg(test)]
mod tests {
    //! Property tests: whatever bytes, JSON, status or headers arrive, decoding ends in `Ok`
    //! or a typed error, never a panic, and the error's messages render.

    use super::*;
    use crate::models::{Contact, Me};
    use crate::omnichannel::contacts::{GetContactError, ResolveConflictsError};
    use crate::{LoginError, RateLimit};
    use http::{HeaderMap, HeaderName, HeaderValue};
    use proptest::collection::{btree_map, vec};
    use proptest::prelude::*;
    use serde_json::Value;

    fn raw(status: u16, body: Vec<u8>, rate_limit: Option<RateLimit>) -> RawResponse {
        RawResponse {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            rate_limit,
            body: Bytes::from(body),
            endpoint: None,
            date: None,
        }
    }

    /// Decodes as three operations would and renders every error.
    fn exercise(status: u16, body: &[u8], rate_limit: Option<RateLimit>) {
        let resolve = decode::<Envelope<Contact>, ResolveConflictsError>(raw(
            status,
            body.to_vec(),
            rate_limit,
        ));
        if let Err(error) = resolve {
            let _ = (
                error.to_string(),
                format!("{error:?}"),
                error.status(),
                error.is_retryable(),
            );
            let crate_error: Error = error.into();
            let _ = (
                crate_error.to_string(),
                crate_error.api_error().map(|a| (a.reason(), a.retry_at())),
            );
        }
        let get =
            decode::<Envelope<Contact>, GetContactError>(raw(status, body.to_vec(), rate_limit));
        if let Err(error) = get {
            let _ = error.to_string();
        }
        if let Err(error) = decode::<Me, LoginError>(raw(status, body.to_vec(), rate_limit)) {
            let _ = (
                error.to_string(),
                error.two_factor_challenge().map(|c| c.is_ok()),
            );
        }
    }

    const KEYS: &[&str] = &[
        "result",
        "contact",
        "success",
        "error",
        "errorType",
        "message",
        "status",
        "details",
        "_id",
        "name",
        "emails",
        "phones",
        "address",
        "phoneNumber",
        "contactManager",
        "unknown",
        "conflictingFields",
        "field",
        "value",
        "customFields",
        "channels",
        "visitor",
        "visitorId",
        "source",
        "type",
        "details",
        "lastChat",
        "ts",
        "createdAt",
        "_updatedAt",
        "$date",
        "verified",
        "verifiedAt",
        "blocked",
        "activity",
        "importIds",
        "method",
        "availableMethods",
    ];

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            prop_oneof![
                ".*".prop_map(Value::String),
                Just(Value::from("2025-05-26T07:57:49.616Z")),
                // 24 bytes with a two-byte character at byte 15: the date fast path's
                // overflow before issue 20 #10.
                Just(Value::from("2025-05-26T07:5\u{3ef}49.616Z")),
                Just(Value::from("customFields.cpf")),
                Just(Value::from("widget")),
                Just(Value::from("must be object [invalid-params]")),
                Just(Value::from("error-contact-not-found")),
            ],
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Value::Array),
                btree_map(
                    prop_oneof![
                        proptest::sample::select(KEYS).prop_map(str::to_owned),
                        ".{0,8}"
                    ],
                    inner,
                    0..8
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn statuses() -> impl Strategy<Value = u16> {
        prop_oneof![
            Just(200u16),
            Just(400),
            Just(401),
            Just(403),
            Just(404),
            Just(429),
            Just(502),
            100u16..600
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 40_000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(status in statuses(), body in vec(any::<u8>(), 0..256)) {
            exercise(status, &body, None);
        }

        #[test]
        fn arbitrary_json_never_panics(status in statuses(), value in json()) {
            exercise(status, &serde_json::to_vec(&value).unwrap(), None);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn contact_shaped_json_never_panics(result in json(), wrap in any::<bool>()) {
            let body = if wrap { serde_json::json!({"result": result, "success": true}) } else { result };
            exercise(200, &serde_json::to_vec(&body).unwrap(), None);
        }

        #[test]
        fn arbitrary_headers_never_panic(
            status in statuses(),
            values in vec(prop_oneof![".{0,24}", "[0-9]{0,25}", Just("-1".to_owned())], 4),
            error in ".{0,60}",
        ) {
            let mut headers = HeaderMap::new();
            for (name, value) in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"].iter().zip(&values) {
                if let Ok(value) = HeaderValue::from_str(value) {
                    headers.insert(HeaderName::from_static(name), value);
                }
            }
            let limit = RateLimit::from_headers(&headers);
            if let Some(limit) = &limit {
                let _ = (limit.reset_at(), limit.limit(), limit.remaining());
            }
            let body = serde_json::to_vec(&serde_json::json!({"success": false, "error": format!("You must wait {error} seconds")})).unwrap();
            exercise(status, &body, limit);
        }
    }
}
