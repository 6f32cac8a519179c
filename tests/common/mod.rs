//! Shared set-up for the integration tests.
#![allow(dead_code)]

use rocketchat_omnichannel::{Client, Credentials};

pub mod fake_http;
pub mod raw_server;

pub const USER_ID: &str = "agentUserId01";
pub const TOKEN: &str = "tok-9HqLlyZOugoStsXCUfD";

/// Reads a fixture under `tests/fixtures/`.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

/// A client with a personal access token, pointed at `uri`.
pub fn client(uri: &str) -> Client {
    Client::builder(uri)
        .credentials(Credentials::token(USER_ID, TOKEN))
        .build()
        .expect("client builds")
}
