//! Omnichannel endpoints, one area per module.

pub mod contacts;
