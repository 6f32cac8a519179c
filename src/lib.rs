#![doc = include_str!("../README.md")]
#![deny(missing_docs, missing_debug_implementations, unsafe_code)]
#![warn(rust_2018_idioms, unreachable_pub)]

mod auth;
mod client;
mod error;
pub mod models;
pub mod omnichannel;
mod rate_limit;
mod response;
mod retry;
mod secret;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod workflow;

pub use auth::{Credentials, LoggedIn, Login, LoginError, TwoFactorChallenge, TwoFactorMethod};
pub use client::{Client, ClientBuilder, redirect_policy};
pub use error::{ApiError, Error, ErrorKind};
pub use models::{Contact, ContactId, UserId};
pub use omnichannel::contacts::{ResolveConflicts, ResolveConflictsError};
pub use rate_limit::RateLimit;
pub use retry::RetryPolicy;
pub use secret::SecretString;
