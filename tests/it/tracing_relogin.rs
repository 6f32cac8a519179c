//! Tracing shows a re-login, and never the password or either token.
//!
//! Alone in its own test binary for the same reason as `tracing_output.rs`: tracing caches
//! per-callsite interest process-wide.

use std::io::Write;
use std::sync::{Arc, Mutex};

use rocketchat_omnichannel::Client;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn login_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        format!(r#"{{"status":"success","data":{{"userId":"u1","authToken":"{token}"}},"success":true}}"#),
        "application/json",
    )
}

#[tokio::test]
async fn a_relogin_is_traced_without_secrets() {
    if !crate::common::alone_in_a_process("tracing_relogin::a_relogin_is_traced_without_secrets") {
        return;
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("FIRST-TOKEN-SECRET"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("SECOND-TOKEN-SECRET"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .and(header("x-auth-token", "FIRST-TOKEN-SECRET"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"success":false,"error":"You must be logged in to do this."}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"_id":"u1"}"#, "application/json"),
        )
        .mount(&server)
        .await;

    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "PASSWORD-SECRET").await.unwrap();
    client.me().await.unwrap();

    let output = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(output.contains("logging in again"), "{output}");
    assert!(output.contains("logged in again"), "{output}");
    assert!(!output.contains("SECRET"), "{output}");
}
