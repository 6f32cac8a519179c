#![doc = include_str!("../../docs/fake-server.md")]

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
