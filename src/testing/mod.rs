// Each half of this module is documented only with its feature: the manual's links to the
// other half go to docs.rs when it is off. (Defined before the manual: a definition cannot
// follow its last paragraph.)
#![cfg_attr(
    feature = "fake",
    doc = "[`FakeRocketChat`]: FakeRocketChat\n\n[`DemoData`]: DemoData\n\n[`CassetteServer`]: CassetteServer"
)]
#![cfg_attr(
    not(feature = "fake"),
    doc = "[`FakeRocketChat`]: https://docs.rs/rocketchat-omnichannel/latest/rocketchat_omnichannel/testing/struct.FakeRocketChat.html\n\n[`DemoData`]: https://docs.rs/rocketchat-omnichannel/latest/rocketchat_omnichannel/testing/struct.DemoData.html\n\n[`CassetteServer`]: https://docs.rs/rocketchat-omnichannel/latest/rocketchat_omnichannel/testing/struct.CassetteServer.html"
)]
#![cfg_attr(feature = "mocks", doc = "[`mocks`]: mocks")]
#![cfg_attr(
    not(feature = "mocks"),
    doc = "[`mocks`]: https://docs.rs/rocketchat-omnichannel/latest/rocketchat_omnichannel/testing/mocks/index.html"
)]
#![doc = include_str!("../../docs/fake-server.md")]

mod bodies;
#[cfg(feature = "fake")]
mod cassette;
#[cfg(feature = "fake")]
mod fake;
#[cfg(feature = "mocks")]
pub mod mocks;

#[cfg(feature = "fake")]
pub use cassette::{CassetteError, CassetteServer, CassetteServerBuilder};
#[cfg(feature = "fake")]
pub use fake::{
    CustomField, DemoData, FakeRocketChat, FakeRocketChatBuilder, FakeUser, Fault, RecordedRequest,
    SeedError, VersionError, Visitor,
};
