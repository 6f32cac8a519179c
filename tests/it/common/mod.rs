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

/// Runs the calling test again, alone, in a child process of this test binary, for the few
/// tests that read process-wide state: resident memory, or tracing's per-callsite interest
/// (which other tests running in parallel without a subscriber would share).
///
/// Returns `true` in the child, where the test goes on, and `false` in the parent once the
/// child has passed: `if !alone_in_a_process("module::test") { return; }`.
pub fn alone_in_a_process(test: &str) -> bool {
    const CHILD: &str = "ROCKETCHAT_OMNICHANNEL_TEST_ALONE";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let binary = std::env::current_exe().expect("the test binary's path");
    let output = std::process::Command::new(binary)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test}, alone in a process:\n{stdout}\n{stderr}"
    );
    // What the child printed (figures of a soak run) stays visible with --nocapture.
    eprint!("{stderr}");
    false
}
