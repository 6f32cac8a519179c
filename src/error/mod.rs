//! Errors: the crate-wide [`Error`] and its [`ErrorKind`]s here; the server's error answer
//! [`ApiError`] in `api.rs`; the macro that builds each operation's typed error enum, with
//! what every such enum contains, in `operation.rs`.

mod api;
mod operation;
mod transport;

use std::error::Error as StdError;
use std::fmt;

use bytes::Bytes;
use http::StatusCode;

pub use api::ApiError;
pub(crate) use api::wait_seconds_in;
pub(crate) use api::{Endpoint, excerpt_with_length};
pub(crate) use operation::{Matcher, operation_error};
pub(crate) use transport::TransportCause;

type BoxError = Box<dyn StdError + Send + Sync>;

/// How many characters of a server message or body an error's `Display` or `Debug` shows.
pub(crate) const DISPLAY_LIMIT: usize = 200;

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
    /// For a failure to reach the server, the server tried: scheme, host and port only.
    origin: Option<String>,
}

/// What went wrong, with the data needed to react to it. Its `Display` is the message of
/// the [`Error`] that holds it; its `Debug` shows at most an excerpt of any body, with the
/// body's length, so a 32 MiB answer never lands whole in a log line.
#[derive(Clone, thiserror::Error)]
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
    /// The session of a login that needed a two-factor code has expired (or was revoked) and
    /// cannot be renewed unattended: a new code is needed. Supply one through
    /// [`ClientBuilder::on_session_expired`](crate::ClientBuilder::on_session_expired), or
    /// log in again with [`Client::login`](crate::Client::login).
    #[error(
        "the session expired and logging in again needs a new two-factor code: supply one \
         through ClientBuilder::on_session_expired or log in again"
    )]
    SessionExpired,
    /// The call, with its retries and waits, did not finish within the configured
    /// [`timeout`](crate::ClientBuilder::timeout) (or one attempt exceeded
    /// [`attempt_timeout`](crate::ClientBuilder::attempt_timeout)).
    #[error("the request timed out")]
    Timeout,
    /// The connection failed or broke: refused, reset or closed before the whole answer
    /// arrived, or the answer was not HTTP. Retried when safe (see
    /// [`RetryPolicy`](crate::RetryPolicy)).
    #[error(
        "the request could not be sent or its answer read (connection refused, reset or closed)"
    )]
    Transport,
    /// The server's host name could not be resolved. Never retried: a typo in the base URL
    /// does not fix itself.
    #[error("the server's host name could not be resolved (DNS): check the base URL; not retried")]
    HostNotFound,
    /// The TLS connection could not be set up: an untrusted or expired certificate, a name
    /// mismatch, or a server that does not speak TLS on that port. Never retried.
    #[error(
        "the TLS connection could not be set up (certificate or protocol problem): check the \
         base URL and the server's certificate; not retried"
    )]
    Tls,
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
    /// Rocket.Chat JSON answer: an HTML error page, plain text, a redirect. Typed variants
    /// such as `Unauthorized` are never chosen for these, whatever the status.
    #[error("{}", .0.foreign_message())]
    UnexpectedResponse(ApiError),
    /// The server has no such API route: it is older than the version that added the
    /// endpoint. [`Client::server_info`](crate::Client::server_info) tells its version.
    #[error(
        "the server does not have the `{endpoint}` endpoint: it is older than {since}, which \
         added it (check the server's version with Client::server_info)"
    )]
    EndpointMissing {
        /// The route, below `/api/v1/`.
        endpoint: &'static str,
        /// The first Rocket.Chat version that has it.
        since: &'static str,
        /// The server's answer.
        response: ApiError,
    },
    /// The server answered with a Rocket.Chat error that this operation does not model.
    #[error("{0}")]
    Api(ApiError),
}

impl fmt::Debug for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Validation { message } => f
                .debug_struct("Validation")
                .field("message", message)
                .finish(),
            Self::Configuration { message } => f
                .debug_struct("Configuration")
                .field("message", message)
                .finish(),
            Self::NotAuthenticated => f.write_str("NotAuthenticated"),
            Self::SessionExpired => f.write_str("SessionExpired"),
            Self::Timeout => f.write_str("Timeout"),
            Self::Transport => f.write_str("Transport"),
            Self::HostNotFound => f.write_str("HostNotFound"),
            Self::Tls => f.write_str("Tls"),
            Self::ResponseTooLarge { limit } => f
                .debug_struct("ResponseTooLarge")
                .field("limit", limit)
                .finish(),
            Self::Decode { status, path, body } => f
                .debug_struct("Decode")
                .field("status", status)
                .field("path", path)
                .field("body", &excerpt_with_length(body))
                .finish(),
            Self::UnexpectedResponse(api) => {
                f.debug_tuple("UnexpectedResponse").field(api).finish()
            }
            Self::EndpointMissing {
                endpoint,
                since,
                response,
            } => f
                .debug_struct("EndpointMissing")
                .field("endpoint", endpoint)
                .field("since", since)
                .field("response", response)
                .finish(),
            Self::Api(api) => f.debug_tuple("Api").field(api).finish(),
        }
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                source: None,
                origin: None,
            }),
        }
    }

    pub(crate) fn with_source(kind: ErrorKind, source: impl Into<BoxError>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                source: Some(source.into()),
                origin: None,
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

    /// An error equal to `original` (same kind, same chain of sources) for one of several
    /// callers that waited for the same work, such as a shared renewal.
    pub(crate) fn copy_of(original: &std::sync::Arc<Error>) -> Self {
        let source = original
            .inner
            .source
            .as_ref()
            .map(|_| Box::new(SharedSource(std::sync::Arc::clone(original))) as BoxError);
        Self {
            inner: Box::new(Inner {
                kind: original.kind().clone(),
                source,
                origin: original.inner.origin.clone(),
            }),
        }
    }

    /// A copy of a kept validation error, for methods that report it through `&self`.
    pub(crate) fn clone_validation(&self) -> Self {
        match self.kind() {
            ErrorKind::Validation { message } => Self::validation(message.clone()),
            _ => Self::validation(self.to_string()),
        }
    }

    /// Wraps a server error answer: a missing route, a Rocket.Chat JSON error, or anything
    /// else (which never gets a typed variant).
    pub(crate) fn from_api(api: ApiError) -> Self {
        if let Some((endpoint, since)) = api.missing_endpoint() {
            Self::new(ErrorKind::EndpointMissing {
                endpoint,
                since,
                response: api,
            })
        } else if api.is_rocketchat_error() {
            Self::new(ErrorKind::Api(api))
        } else {
            Self::new(ErrorKind::UnexpectedResponse(api))
        }
    }

    pub(crate) fn transport(source: reqwest::Error) -> Self {
        let kind = match TransportCause::of(&source) {
            TransportCause::Timeout => ErrorKind::Timeout,
            TransportCause::HostNotFound => ErrorKind::HostNotFound,
            TransportCause::Tls => ErrorKind::Tls,
            TransportCause::Refused | TransportCause::Broken => ErrorKind::Transport,
        };
        // reqwest errors may carry the URL; ours never holds secrets, but drop it anyway so
        // a future query parameter can never leak through an error message. Only the origin
        // (scheme, host, port: no user info, path or query) is kept, to name the server.
        let origin = source
            .url()
            .map(|url| url.origin().ascii_serialization())
            .filter(|origin| origin != "null");
        let mut error = Self::with_source(kind, source.without_url());
        error.inner.origin = origin;
        error
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
            ErrorKind::Api(api)
            | ErrorKind::UnexpectedResponse(api)
            | ErrorKind::EndpointMissing { response: api, .. } => Some(api.status()),
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
            ErrorKind::Api(api)
            | ErrorKind::UnexpectedResponse(api)
            | ErrorKind::EndpointMissing { response: api, .. } => Some(api),
            _ => None,
        }
    }

    /// True when the connection was refused, so the server never saw the request and
    /// sending it again is safe whatever the method. DNS and TLS failures are not.
    pub(crate) fn is_refused(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Transport)
            && self
                .inner
                .source
                .as_deref()
                .and_then(|s| s.downcast_ref::<reqwest::Error>())
                .is_some_and(|e| TransportCause::of(e) == TransportCause::Refused)
    }

    /// Whether sending the same request again later may succeed: timeouts, refused or
    /// broken connections, 429 and 502–504; never DNS or TLS failures. It does not say
    /// whether retrying is *safe*: a timed-out POST may have been processed.
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

/// `{:?}` reads like a report, because that is what `?` in `main` prints: the message,
/// then the parts (the kind, with any status and an excerpt of the body), then each cause.
/// `{:#?}` is the plain structure.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("Error")
                .field("kind", &self.inner.kind)
                .field("source", &self.inner.source)
                .finish();
        }
        write!(f, "{self}\n  details: {:?}", self.inner.kind)?;
        let mut cause = StdError::source(self);
        while let Some(error) = cause {
            write!(f, "\n  caused by: {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner.kind, f)?;
        if let Some(origin) = &self.inner.origin {
            write!(f, " (server: {origin})")?;
        }
        Ok(())
    }
}

/// The source of an error shared by several callers: shows and chains as that error's own
/// source does.
struct SharedSource(std::sync::Arc<Error>);

impl SharedSource {
    fn source_of(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.0.inner.source.as_deref()
    }
}

impl fmt::Debug for SharedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source_of() {
            Some(source) => fmt::Debug::fmt(source, f),
            None => f.write_str("None"),
        }
    }
}

impl fmt::Display for SharedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source_of() {
            Some(source) => fmt::Display::fmt(source, f),
            None => Ok(()),
        }
    }
}

impl StdError for SharedSource {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source_of().and_then(|s| s.source())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_body_is_an_unexpected_response() {
        let api = ApiError::from_parts(502, "<html><body>Bad Gateway</body></html>");
        let error = Error::from_api(api);
        assert!(matches!(error.kind(), ErrorKind::UnexpectedResponse(_)));
        let text = error.to_string();
        assert!(text.contains("502"), "{text}");
        assert!(text.contains("Bad Gateway"), "{text}");
        assert!(
            text.contains("did not come from Rocket.Chat's API"),
            "{text}"
        );
        assert!(text.contains("base URL"), "{text}");
    }

    #[test]
    fn a_decode_error_shows_only_an_excerpt_of_a_huge_body() {
        let body = Bytes::from(format!("{{\"result\":\"{}\"}}", "x".repeat(1 << 20)));
        let len = body.len();
        let error = Error::new(ErrorKind::Decode {
            status: StatusCode::OK,
            path: "result".into(),
            body,
        });
        for text in [format!("{error:?}"), error.to_string()] {
            assert!(text.len() < 1000, "{} characters", text.len());
        }
        assert!(format!("{error:?}").contains(&format!("{len} bytes")));
    }

    #[test]
    fn error_is_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_send_sync::<ApiError>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
