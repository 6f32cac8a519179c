#![doc = include_str!("../README.md")]
#![deny(missing_docs, missing_debug_implementations, unsafe_code)]
#![warn(rust_2018_idioms, unreachable_pub)]

mod auth;
mod awaitable;
mod base_url;
mod client;
mod env;
mod error;
mod info;
pub mod models;
pub mod omnichannel;
mod rate_limit;
mod redirect;
mod response;
mod retry;
mod secret;
mod session;
#[cfg(any(feature = "fake", feature = "mocks"))]
pub mod testing;
pub mod workflow;

pub use auth::{LoggedIn, Login, LoginError, TwoFactorChallenge, TwoFactorMethod};
pub use client::{Client, ClientBuilder};
pub use error::{ApiError, Error, ErrorKind};
pub use models::{Contact, ContactId, ServerInfo, UserId};
pub use omnichannel::contacts::{ResolveConflicts, ResolveConflictsError};
pub use rate_limit::RateLimit;
pub use redirect::redirect_policy;
pub use retry::RetryPolicy;
pub use secret::SecretString;
pub use session::{Credentials, CredentialsFile, ExpiredSession, FreshLogin};

/// The `reqwest` this crate is built on, so that a [`reqwest::Client`] given to
/// [`ClientBuilder::http_client`] (and [`redirect_policy`]) is always of the same version.
pub use reqwest;

/// Entry points for the benchmarks in `benches/`; not part of the API.
#[doc(hidden)]
pub mod __bench {
    /// Decodes a `contacts.conflicts` answer through the SDK's own decode step.
    pub fn decode_contact(
        body: &bytes::Bytes,
    ) -> Result<crate::Contact, crate::ResolveConflictsError> {
        let answer = crate::response::RawResponse {
            status: http::StatusCode::OK,
            rate_limit: None,
            body: body.clone(),
            endpoint: None,
        };
        crate::response::decode::<crate::response::Envelope<crate::Contact>, _>(answer)
            .map(|e| e.result)
    }
}
