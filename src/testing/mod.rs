//! Test tools for code that uses this SDK (feature `test-util`):
//!
//! - [`FakeRocketChat`]: a stateful in-process server that behaves like Rocket.Chat, for
//!   end-to-end tests with no live server;
//! - [`mocks`]: typed answers for a `wiremock::MockServer`, built from the SDK's own models
//!   so they cannot drift from what the SDK decodes.

mod bodies;
mod fake;
pub mod mocks;

pub use fake::{
    CustomField, DemoData, FakeRocketChat, FakeRocketChatBuilder, FakeUser, Fault, RecordedRequest,
    SeedError, VersionError, Visitor,
};
