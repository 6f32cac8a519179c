//! Errors: the crate-wide [`Error`], the server's error answer [`ApiError`], and the
//! macro that builds each operation's typed error enum from a shared core.

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;

use crate::rate_limit::RateLimit;

type BoxError = Box<dyn StdError + Send + Sync>;

/// How many characters of a server message or body an error's `Display` shows.
const DISPLAY_LIMIT: usize = 200;

/// The crate-wide error: every operation's typed error converts into it, so an application
/// can use `?` across operations and still inspect what went wrong through [`Error::kind`].
///
/// `Display` is one lowercase line; the underlying cause (an I/O error, a serde error) is
/// reachable through [`std::error::Error::source`] and is not repeated in the message.
///
/// ```
/// use rocketchat_omnichannel::{Error, ErrorKind};
///
/// fn explain(error: &Error) -> &'static str {
///     match error.kind() {
///         ErrorKind::Timeout => "the server is slow; try again later",
///         ErrorKind::Api(api) if api.status().as_u16() == 401 => "log in again",
///         _ => "see the message",
///     }
/// }
/// # let _ = explain;
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    source: Option<BoxError>,
}

/// What went wrong, with the data needed to react to it. Its `Display` is the message of
/// the [`Error`] that holds it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller's input was rejected before anything was sent.
    #[error("invalid request: {message}")]
    Validation {
        /// Which input was wrong and why.
        message: String,
    },
    /// The client could not be built from the given configuration (base URL, credentials).
    #[error("invalid client configuration: {message}")]
    Configuration {
        /// What is wrong with the configuration.
        message: String,
    },
    /// The operation needs a session and the client has none: log in or pass credentials.
    #[error("the client has no session: log in or build it with credentials first")]
    NotAuthenticated,
    /// The request or the connection attempt took longer than the configured timeout.
    #[error("the request timed out")]
    Timeout,
    /// The request could not be sent or the response could not be read (DNS, TCP, TLS, reset).
    #[error("the request could not be sent or its answer read")]
    Transport,
    /// The response body was larger than [`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size).
    #[error("the response body is larger than the {limit}-byte limit")]
    ResponseTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// A successful (2xx) JSON answer did not have the expected shape.
    #[error("the server's {status} answer could not be decoded at `{path}`")]
    Decode {
        /// HTTP status of the answer.
        status: StatusCode,
        /// JSON path of the value that failed, e.g. `result.channels[0].verified`.
        path: String,
        /// The raw body (empty for answers that carry secrets, such as a login).
        body: Bytes,
    },
    /// The server (or a proxy in front of it) answered with something that is not a
    /// Rocket.Chat JSON answer: an HTML error page, plain text, a redirect.
    #[error(
        "unexpected {} answer that is not a Rocket.Chat API response (check the base URL and \
         any proxy in between): {}",
        .0.status(),
        .0.body_excerpt()
    )]
    UnexpectedResponse(ApiError),
    /// The server answered with a Rocket.Chat error that this operation does not model.
    #[error("{0}")]
    Api(ApiError),
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner { kind, source: None }),
        }
    }

    pub(crate) fn with_source(kind: ErrorKind, source: impl Into<BoxError>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                source: Some(source.into()),
            }),
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation {
            message: message.into(),
        })
    }

    pub(crate) fn configuration(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Configuration {
            message: message.into(),
        })
    }

    /// A copy of a kept validation error, for methods that report it through `&self`.
    pub(crate) fn clone_validation(&self) -> Self {
        match self.kind() {
            ErrorKind::Validation { message } => Self::validation(message.clone()),
            _ => Self::validation(self.to_string()),
        }
    }

    /// Wraps a server error answer, telling a Rocket.Chat JSON error from anything else.
    pub(crate) fn from_api(api: ApiError) -> Self {
        if api.is_rocketchat_error() {
            Self::new(ErrorKind::Api(api))
        } else {
            Self::new(ErrorKind::UnexpectedResponse(api))
        }
    }

    pub(crate) fn transport(source: reqwest::Error) -> Self {
        let kind = if source.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Transport
        };
        // reqwest errors may carry the URL; ours never holds secrets, but drop it anyway so
        // a future query parameter can never leak through an error message.
        Self::with_source(kind, source.without_url())
    }

    /// What went wrong.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{Error, ErrorKind};
    /// # fn f(e: Error) { if let ErrorKind::Timeout = e.kind() { /* retry later */ } }
    /// ```
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// Takes the error apart into its kind and its underlying cause.
    ///
    /// ```
    /// # use rocketchat_omnichannel::Error;
    /// # fn f(e: Error) { let (kind, source) = e.into_parts(); }
    /// ```
    pub fn into_parts(self) -> (ErrorKind, Option<BoxError>) {
        let inner = *self.inner;
        (inner.kind, inner.source)
    }

    /// The HTTP status of the server's answer, when there was one.
    ///
    /// ```
    /// # use rocketchat_omnichannel::Error;
    /// # fn f(e: Error) { if e.status().map_or(false, |s| s.is_server_error()) { /* … */ } }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match &self.inner.kind {
            ErrorKind::Api(api) | ErrorKind::UnexpectedResponse(api) => Some(api.status()),
            ErrorKind::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's error answer, when the error is one.
    ///
    /// ```
    /// # use rocketchat_omnichannel::Error;
    /// # fn f(e: Error) { if let Some(api) = e.api_error() { println!("{}", api.body_text()); } }
    /// ```
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.inner.kind {
            ErrorKind::Api(api) | ErrorKind::UnexpectedResponse(api) => Some(api),
            _ => None,
        }
    }

    /// True when the connection could not be opened, so the server never saw the request.
    pub(crate) fn is_connect(&self) -> bool {
        self.inner
            .source
            .as_deref()
            .and_then(|s| s.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_connect)
    }

    /// Whether sending the same request again later may succeed: timeouts, connection
    /// failures, 429 and 502–504. It does not say whether retrying is *safe*: a timed-out
    /// POST may have been processed.
    ///
    /// ```
    /// # use rocketchat_omnichannel::Error;
    /// # fn f(e: Error) { if e.is_retryable() { /* back off and try again */ } }
    /// ```
    pub fn is_retryable(&self) -> bool {
        match &self.inner.kind {
            ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::Api(api) | ErrorKind::UnexpectedResponse(api) => api.is_retryable(),
            _ => false,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner.kind, f)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

/// An error answer from the server (any non-2xx status), kept whole: the status, the
/// rate-limit headers, the fields Rocket.Chat puts in error bodies, and the raw body.
///
/// It is one pointer wide, so the typed error enums that carry it stay small.
#[derive(Clone)]
pub struct ApiError {
    inner: Box<ApiErrorInner>,
}

#[derive(Clone)]
struct ApiErrorInner {
    status: StatusCode,
    body: Bytes,
    fields: Option<ErrorBody>,
    rate_limit: Option<RateLimit>,
}

/// The fields Rocket.Chat puts in error bodies. Every field is optional, and `error` may
/// (rarely) be a number, so it is read leniently.
#[derive(Clone, Debug, Deserialize)]
struct ErrorBody {
    #[serde(default, deserialize_with = "lenient_string")]
    error: Option<String>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    details: Option<serde_json::Value>,
    #[serde(default)]
    success: Option<bool>,
}

fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    })
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, rate_limit: Option<RateLimit>, body: Bytes) -> Self {
        let fields = serde_json::from_slice::<ErrorBody>(&body).ok();
        Self {
            inner: Box::new(ApiErrorInner {
                status,
                rate_limit,
                fields,
                body,
            }),
        }
    }

    /// Builds an error answer by hand, for tests of code that handles SDK errors.
    ///
    /// ```
    /// use rocketchat_omnichannel::ApiError;
    ///
    /// let api = ApiError::from_parts(400, r#"{"success":false,"error":"error-contact-not-found"}"#);
    /// assert_eq!(api.error(), Some("error-contact-not-found"));
    /// ```
    pub fn from_parts(status: u16, body: impl Into<Bytes>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, None, body.into())
    }

    /// The HTTP status.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(403, "{}");
    /// assert_eq!(api.status().as_u16(), 403);
    /// ```
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The raw body exactly as received.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(502, "<html>bad gateway</html>");
    /// assert!(api.body().starts_with(b"<html>"));
    /// ```
    pub fn body(&self) -> &Bytes {
        &self.inner.body
    }

    /// The body as text, with invalid UTF-8 replaced.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(502, "bad gateway");
    /// assert_eq!(api.body_text(), "bad gateway");
    /// ```
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.inner.body)
    }

    /// The body's `error` field: a code such as `error-contact-not-found`, or a message that
    /// ends in `[code]`.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(400, r#"{"error":"error-contact-has-no-conflicts"}"#);
    /// assert_eq!(api.error(), Some("error-contact-has-no-conflicts"));
    /// ```
    pub fn error(&self) -> Option<&str> {
        self.fields()?.error.as_deref()
    }

    /// The body's `errorType` field (`invalid-params`, `totp-required`, …).
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(400, r#"{"error":"x [invalid-params]","errorType":"invalid-params"}"#);
    /// assert_eq!(api.error_type(), Some("invalid-params"));
    /// ```
    pub fn error_type(&self) -> Option<&str> {
        self.fields()?.error_type.as_deref()
    }

    /// The body's `message` field, sent by login and 401 answers.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(401, r#"{"message":"TOTP Required"}"#);
    /// assert_eq!(api.message(), Some("TOTP Required"));
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.fields()?.message.as_deref()
    }

    /// The body's `details` field (two-factor challenges put the methods here).
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(401, r#"{"details":{"method":"totp"}}"#);
    /// assert_eq!(api.details().unwrap()["method"], "totp");
    /// ```
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.fields()?.details.as_ref()
    }

    /// The human reason: `error` without its trailing ` [code]`, else `message`.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(400, r#"{"error":"must have required property 'contactId' [invalid-params]"}"#);
    /// assert_eq!(api.reason(), Some("must have required property 'contactId'"));
    /// ```
    pub fn reason(&self) -> Option<&str> {
        let text = self.error().or_else(|| self.message())?;
        Some(strip_code_suffix(text))
    }

    /// The rate-limit headers of the answer, when the server's limiter is on.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(429, "{}");
    /// assert!(api.rate_limit().is_none());
    /// ```
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.inner.rate_limit.as_ref()
    }

    /// When a rate-limited request may be sent again: `X-RateLimit-Reset`, else the
    /// "wait N seconds" in the message, counted from now.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(429, r#"{"error":"You must wait 3 seconds before trying this endpoint again."}"#);
    /// assert!(api.retry_at().is_some());
    /// ```
    pub fn retry_at(&self) -> Option<SystemTime> {
        if let Some(reset) = self.rate_limit().and_then(RateLimit::reset_at) {
            return Some(reset);
        }
        let seconds = wait_seconds_in(self.error()?)?;
        SystemTime::now().checked_add(Duration::from_secs(seconds))
    }

    /// Whether the same request may succeed later: 429 and 502–504.
    ///
    /// ```
    /// # let api = rocketchat_omnichannel::ApiError::from_parts(503, "");
    /// assert!(api.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        matches!(self.status().as_u16(), 429 | 502..=504)
    }

    /// True when the body is a Rocket.Chat JSON error (it has `success:false` or an
    /// `error`/`message` field), false for HTML pages and other foreign bodies.
    pub(crate) fn is_rocketchat_error(&self) -> bool {
        self.fields().is_some_and(|f| {
            f.success == Some(false)
                || f.error.is_some()
                || f.message.is_some()
                || f.status.is_some()
        })
    }

    fn fields(&self) -> Option<&ErrorBody> {
        self.inner.fields.as_ref()
    }

    pub(crate) fn body_excerpt(&self) -> String {
        if self.inner.body.is_empty() {
            return "(empty body)".to_owned();
        }
        excerpt(&self.body_text())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.inner.status)
            .field("error", &self.error())
            .field("error_type", &self.error_type())
            .field("rate_limit", &self.inner.rate_limit)
            .field("body", &self.body_excerpt())
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server answered {}", self.status())?;
        if let Some(kind) = self.error_type() {
            write!(f, " ({kind})")?;
        }
        match self.error().or_else(|| self.message()) {
            Some(text) => write!(f, ": {}", excerpt(text)),
            None => write!(f, ": {}", self.body_excerpt()),
        }
    }
}

impl StdError for ApiError {}

/// Cuts text to [`DISPLAY_LIMIT`] characters on a character boundary.
fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(DISPLAY_LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `"must be object [invalid-params]"` → `"must be object"`.
fn strip_code_suffix(text: &str) -> &str {
    let trimmed = text.trim_end();
    if trimmed.ends_with(']')
        && let Some(open) = trimmed.rfind(" [")
    {
        return &trimmed[..open];
    }
    trimmed
}

/// Reads `N` from Rocket.Chat's "You must wait N seconds before trying this endpoint again".
fn wait_seconds_in(text: &str) -> Option<u64> {
    let rest = &text[text.find("wait ")? + 5..];
    let digits: &str = &rest[..rest.find(|c: char| !c.is_ascii_digit())?];
    digits.parse().ok()
}

/// Which part of an error answer identifies a specific error variant.
#[derive(Clone, Copy)]
pub(crate) enum Matcher {
    /// A Rocket.Chat error code, wherever the server version puts it: the whole `error`
    /// (business errors), `errorType`, or a trailing `[code]` in `error`.
    Code(&'static str),
    /// The HTTP status alone (404 on `contacts.get` has only a generic message).
    Status(u16),
}

impl Matcher {
    pub(crate) fn matches(self, api: &ApiError) -> bool {
        match self {
            Matcher::Code(code) => {
                api.error_type() == Some(code)
                    || api.error().is_some_and(|e| {
                        let e = e.trim_end();
                        e == code
                            || e.strip_suffix(']')
                                .and_then(|e| e.strip_suffix(code))
                                .is_some_and(|e| e.ends_with('['))
                    })
            }
            Matcher::Status(status) => api.status().as_u16() == status,
        }
    }
}

/// Builds an operation's error enum. Every enum shares the same core (401, 403, 429 and
/// `Other` for everything else) plus the operation's own variants, each recognised by a
/// [`Matcher`]. Specific variants are checked first because some (two-factor at login, 404
/// on `contacts.get`) share a status with a common one.
macro_rules! operation_error {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $matcher:expr, $display:literal;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant {
                    /// The server's answer.
                    response: $crate::ApiError,
                },
            )*
            /// 401: the credentials are missing, wrong, expired or revoked. Log in again.
            Unauthorized {
                /// The server's answer.
                response: $crate::ApiError,
            },
            /// 403: the user lacks the permission this operation needs.
            Forbidden {
                /// The server's answer.
                response: $crate::ApiError,
            },
            /// 429: the server's rate limiter refused the call. Wait until `retry_at`.
            RateLimited {
                /// When the server will accept the call again, if it said.
                retry_at: Option<std::time::SystemTime>,
                /// The server's answer.
                response: $crate::ApiError,
            },
            /// Anything else: other statuses, foreign bodies, transport, timeouts, decoding,
            /// invalid input. The status and raw body are kept where there was an answer.
            Other($crate::Error),
        }

        impl $name {
            pub(crate) fn from_api(response: $crate::ApiError) -> Self {
                $(
                    if $crate::error::Matcher::matches($matcher, &response) {
                        return Self::$variant { response };
                    }
                )*
                match response.status().as_u16() {
                    401 => Self::Unauthorized { response },
                    403 => Self::Forbidden { response },
                    429 => Self::RateLimited { retry_at: response.retry_at(), response },
                    _ => Self::Other($crate::Error::from_api(response)),
                }
            }

            /// The server's answer, when the error is one.
            pub fn response(&self) -> Option<&$crate::ApiError> {
                match self {
                    $( Self::$variant { response } => Some(response), )*
                    Self::Unauthorized { response }
                    | Self::Forbidden { response }
                    | Self::RateLimited { response, .. } => Some(response),
                    Self::Other(error) => error.api_error(),
                }
            }

            /// The HTTP status of the server's answer, when there was one.
            pub fn status(&self) -> Option<http::StatusCode> {
                match self {
                    Self::Other(error) => error.status(),
                    _ => self.response().map($crate::ApiError::status),
                }
            }

            /// Whether the same call may succeed later (429, 502–504, timeouts, connection
            /// failures).
            pub fn is_retryable(&self) -> bool {
                match self {
                    Self::RateLimited { .. } => true,
                    Self::Other(error) => error.is_retryable(),
                    _ => false,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $( Self::$variant { response } => write!(f, concat!($display, " ({})"), response), )*
                    Self::Unauthorized { response } => write!(
                        f,
                        "not authenticated: log in again or check the user id and token ({response})"
                    ),
                    Self::Forbidden { response } => write!(
                        f,
                        "permission denied: the user lacks the permission this call needs ({response})"
                    ),
                    Self::RateLimited { retry_at, response } => {
                        f.write_str("rate limited by the server")?;
                        if let Some(wait) = retry_at.and_then(|at| at.duration_since(std::time::SystemTime::now()).ok()) {
                            write!(f, ": retry in {:.1} s", wait.as_secs_f64())?;
                        }
                        write!(f, " ({response})")
                    }
                    Self::Other(error) => std::fmt::Display::fmt(error, f),
                }
            }
        }

        impl std::error::Error for $name {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                match self {
                    // `Display` already shows the wrapped error, so its cause comes next.
                    Self::Other(error) => std::error::Error::source(error),
                    _ => None,
                }
            }
        }

        impl From<$crate::Error> for $name {
            fn from(error: $crate::Error) -> Self {
                Self::Other(error)
            }
        }

        impl From<$name> for $crate::Error {
            fn from(error: $name) -> Self {
                match error {
                    $( $name::$variant { response } => $crate::Error::from_api(response), )*
                    $name::Unauthorized { response }
                    | $name::Forbidden { response }
                    | $name::RateLimited { response, .. } => $crate::Error::from_api(response),
                    $name::Other(error) => error,
                }
            }
        }

        impl $crate::response::FromApiError for $name {
            fn from_api_error(response: $crate::ApiError) -> Self {
                Self::from_api(response)
            }
        }
    };
}

pub(crate) use operation_error;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_code_suffix() {
        assert_eq!(
            strip_code_suffix("must be object [invalid-params]"),
            "must be object"
        );
        assert_eq!(
            strip_code_suffix("error-contact-not-found"),
            "error-contact-not-found"
        );
    }

    #[test]
    fn reads_wait_seconds() {
        let text = "Error, too many requests. Please slow down. You must wait 42 seconds before \
                    trying this endpoint again. [error-too-many-requests]";
        assert_eq!(wait_seconds_in(text), Some(42));
        assert_eq!(wait_seconds_in("nothing here"), None);
    }

    #[test]
    fn an_absurd_wait_does_not_overflow() {
        let api = ApiError::from_parts(
            429,
            r#"{"error":"You must wait 18446744073709551615 seconds before trying again"}"#,
        );
        assert_eq!(api.retry_at(), None);
    }

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        let long = "é".repeat(500);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), DISPLAY_LIMIT + 1);
    }

    #[test]
    fn html_body_is_an_unexpected_response() {
        let api = ApiError::from_parts(502, "<html><body>Bad Gateway</body></html>");
        let error = Error::from_api(api);
        assert!(matches!(error.kind(), ErrorKind::UnexpectedResponse(_)));
        let text = error.to_string();
        assert!(text.contains("502"), "{text}");
        assert!(text.contains("Bad Gateway"), "{text}");
    }

    #[test]
    fn numeric_error_code_is_read_leniently() {
        let api = ApiError::from_parts(401, r#"{"success":false,"error":403}"#);
        assert_eq!(api.error(), Some("403"));
    }

    #[test]
    fn error_is_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_send_sync::<ApiError>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
