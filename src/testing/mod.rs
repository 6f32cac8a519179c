//! Test tools for code that uses this SDK:
//!
//! - [`FakeRocketChat`] (feature `fake`): a stateful in-process server that behaves like
//!   Rocket.Chat, for end-to-end tests with no live server;
//! - [`mocks`] (feature `mocks`): typed answers for a `wiremock::MockServer`, built from the
//!   SDK's own models so they cannot drift from what the SDK decodes.
//!
//! Feature `test-util` turns on both.

mod bodies;
#[cfg(feature = "fake")]
mod fake;
#[cfg(feature = "mocks")]
pub mod mocks;

#[cfg(feature = "fake")]
pub use fake::{
    CustomField, DemoData, FakeRocketChat, FakeRocketChatBuilder, FakeUser, Fault, RecordedRequest,
    SeedError, VersionError, Visitor,
};
