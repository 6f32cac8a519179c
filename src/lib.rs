#![doc = include_str!("../README.md")]
// The README links to the test tools; they are documented only when their features are on
// (a user's own `cargo doc` builds this crate without them), so the links go to docs.rs
// otherwise instead of being broken.
#![cfg_attr(
    feature = "fake",
    doc = "[`testing`]: crate::testing\n\n[`testing::FakeRocketChat`]: crate::testing::FakeRocketChat"
)]
#![cfg_attr(
    not(feature = "fake"),
    doc = "[`testing`]: https://docs.rs/rocketchat-omnichannel/latest/rocketchat_omnichannel/testing/index.html\n\n[`testing::FakeRocketChat`]: https://docs.rs/rocketchat-omnichannel/latest/rocketchat_omnichannel/testing/struct.FakeRocketChat.html"
)]
#![cfg_attr(feature = "mocks", doc = "[`testing::mocks`]: crate::testing::mocks")]
#![cfg_attr(
    not(feature = "mocks"),
    doc = "[`testing::mocks`]: https://docs.rs/rocketchat-omnichannel/latest/rocketchat_omnichannel/testing/mocks/index.html"
)]
#![deny(missing_docs, missing_debug_implementations, unsafe_code)]
#![warn(rust_2018_idioms, unreachable_pub)]

mod auth;
mod awaitable;
mod base_url;
pub mod chat;
mod client;
mod env;
mod error;
mod info;
pub mod metrics;
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

pub use auth::{Login, LoginError, TwoFactorChallenge, TwoFactorMethod};
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
