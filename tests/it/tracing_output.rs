//! Tracing output: one span per request with its fields, and no secret anywhere.
//!
//! Run alone in a process of its own: tracing caches per-callsite interest process-wide, so
//! a test running in parallel without a subscriber could hide this test's spans.

use std::io::Write;
use std::sync::{Arc, Mutex};

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::{Client, Credentials};

/// Collects everything a tracing subscriber writes.
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

#[tokio::test]
async fn tracing_output_has_spans_but_no_secrets() {
    if !crate::common::alone_in_a_process("tracing_output::tracing_output_has_spans_but_no_secrets")
    {
        return;
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeRocketChat::builder()
        .demo_data()
        .rate_limit(100, std::time::Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let client = fake.client_builder().build().unwrap();
    client
        .login(DemoData::SUPERVISOR_USERNAME, DemoData::SUPERVISOR_PASSWORD)
        .two_factor_code(DemoData::SUPERVISOR_TOTP)
        .await
        .unwrap();
    let token = client
        .credentials()
        .unwrap()
        .auth_token()
        .expose()
        .to_owned();
    client
        .resolve_contact_conflicts(DemoData::CONTACT_ID)
        .wipe_conflicts(true)
        .await
        .unwrap();
    let _ = client
        .resolve_contact_conflicts("nope")
        .wipe_conflicts(true)
        .await;
    let pat = Client::builder(fake.uri())
        .credentials(Credentials::token(
            DemoData::AGENT_ID,
            DemoData::AGENT_TOKEN,
        ))
        .build()
        .unwrap();
    pat.me().await.unwrap();
    let _ = client
        .search_contacts()
        .search_text("query-text")
        .await
        .unwrap();
    client.logout().await.unwrap();

    let output = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(output.contains("rocketchat.request"), "{output}");
    assert!(
        output.contains("omnichannel/contacts.conflicts"),
        "{output}"
    );
    // OpenTelemetry's HTTP client field names, so OTel back-ends file the spans correctly.
    let port = url::Url::parse(&fake.uri()).unwrap().port().unwrap();
    for field in [
        "http.request.method=POST".to_owned(),
        "url.path=/api/v1/omnichannel/contacts.conflicts".to_owned(),
        "url.path=/api/v1/omnichannel/contacts.search".to_owned(),
        "server.address=127.0.0.1".to_owned(),
        format!("server.port={port}"),
        "http.response.status_code=200".to_owned(),
        "http.response.status_code=400".to_owned(),
        "error.type=\"400\"".to_owned(),
        "http.request.resend_count=0".to_owned(),
        "otel.kind=\"client\"".to_owned(),
    ] {
        assert!(output.contains(&field), "no `{field}` in:\n{output}");
    }
    // `url.path` is the path alone: the query (search text) is never recorded.
    assert!(!output.contains("query-text"), "{output}");
    assert!(!output.contains("searchText"), "{output}");
    assert!(output.contains("rate limit"), "{output}");
    for secret in [
        DemoData::SUPERVISOR_PASSWORD,
        DemoData::SUPERVISOR_TOTP,
        &token,
        DemoData::AGENT_TOKEN,
    ] {
        assert!(
            !output.contains(secret),
            "`{secret}` leaked into:\n{output}"
        );
    }
}
