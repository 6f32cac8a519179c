//! `operation_error!`, which builds every operation's typed error enum from one core.

use super::ApiError;

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

/// Builds an operation's error enum (`GetContactError`, `LoginError`, …).
///
/// # What every generated enum contains
///
/// - **The operation's own variants**, listed in the invocation, each a struct variant
///   `{ response: ApiError }` recognised by a [`Matcher`] (a Rocket.Chat error code or a
///   status). They are checked first, in order, because some share a status with a common
///   variant (two-factor errors at login are 401s; `contacts.get`'s unknown id is a 404).
/// - **`Unauthorized { response }`**: 401 (missing, wrong, expired or revoked credentials).
/// - **`Forbidden { response }`**: 403 (a permission is missing).
/// - **`RateLimited { retry_at, response }`**: 429, with when to come back
///   ([`ApiError::retry_at`], fixed when the answer arrived).
/// - **`Other(Error)`**: everything else — other statuses, a missing route
///   (`ErrorKind::EndpointMissing`), bodies that are not Rocket.Chat's
///   (`ErrorKind::UnexpectedResponse`), transport failures, timeouts, decode errors, invalid
///   input and an expired two-factor session.
///
/// A typed variant (own or common) is chosen **only** when the body is a Rocket.Chat error
/// body ([`ApiError::is_rocketchat_error`]): an HTML 401/403/404/429 from a proxy or a wrong
/// base URL is `Other`, never `Unauthorized` or `NotFound`.
///
/// Each enum also gets `response()`, `status()` and `is_retryable()`, `Display` (one line,
/// the variant's text plus the answer's excerpt), `std::error::Error` (whose `source` is the
/// wrapped error's cause for `Other`), `From<Error>`, `From<Self> for Error`, and the hook
/// the shared decode step uses to build it.
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
                if !response.is_rocketchat_error() || response.missing_endpoint().is_some() {
                    return Self::Other($crate::Error::from_api(response));
                }
                $(
                    if $crate::error::Matcher::matches($matcher, &response) {
                        return Self::$variant { response };
                    }
                )*
                match response.status().as_u16() {
                    401 => Self::Unauthorized { response },
                    403 => Self::Forbidden { response },
                    429 => Self::RateLimited {
                        retry_at: response.retry_at(),
                        response,
                    },
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
                    // The answer's own text starts with the advice (see `ApiError`'s
                    // `Display`).
                    Self::Unauthorized { response } => std::fmt::Display::fmt(response, f),
                    Self::Forbidden { response } => std::fmt::Display::fmt(response, f),
                    Self::RateLimited { retry_at, response } => {
                        f.write_str("rate limited by the server")?;
                        if let Some(wait) = retry_at.and_then(|at| at.duration_since(std::time::SystemTime::now()).ok()) {
                            write!(f, ": retry in {:.1} s", wait.as_secs_f64())?;
                        }
                        // The body's own "You must wait N seconds" was true when it was
                        // sent and would contradict the figure above: the status only.
                        write!(f, " (server answered {})", response.status())
                    }
                    Self::Other(error) => std::fmt::Display::fmt(error, f),
                }
            }
        }

        /// `{:?}` reads like a report (what `?` in `main` prints): the message, then the
        /// variant and the server's answer. `{:#?}` is the plain structure.
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                if let Self::Other(error) = self {
                    return if f.alternate() {
                        f.debug_tuple("Other").field(error).finish()
                    } else {
                        std::fmt::Debug::fmt(error, f)
                    };
                }
                if !f.alternate() {
                    write!(f, "{self}\n  details: ")?;
                }
                match self {
                    $( Self::$variant { response } => f
                        .debug_struct(stringify!($variant))
                        .field("response", response)
                        .finish(), )*
                    Self::Unauthorized { response } => f
                        .debug_struct("Unauthorized")
                        .field("response", response)
                        .finish(),
                    Self::Forbidden { response } => f
                        .debug_struct("Forbidden")
                        .field("response", response)
                        .finish(),
                    Self::RateLimited { retry_at, response } => f
                        .debug_struct("RateLimited")
                        .field("retry_at", retry_at)
                        .field("response", response)
                        .finish(),
                    Self::Other(_) => Ok(()),
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
