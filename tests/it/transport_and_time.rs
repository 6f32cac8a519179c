//! Which transport failures are retried, one deadline over retries, and the User-Agent.

use crate::common;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{TOKEN, USER_ID};
use rocketchat_omnichannel::{Client, Credentials, ErrorKind, RetryPolicy};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn retrying(uri: &str) -> Client {
    Client::builder(uri)
        .credentials(Credentials::token(USER_ID, TOKEN))
        .retry(RetryPolicy::standard().base_backoff(Duration::from_millis(10)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_unknown_host_is_not_retried_and_says_so() {
    // `.invalid` never resolves (RFC 2606).
    let client = retrying("https://rocketchat-omnichannel-test.invalid");
    let error = client.get_contact("c1").await.unwrap_err();
    let error: rocketchat_omnichannel::Error = error.into();
    assert!(matches!(error.kind(), ErrorKind::HostNotFound), "{error:?}");
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(
        text.contains("DNS") && text.contains("not retried"),
        "{text}"
    );
}

#[tokio::test]
async fn a_tls_failure_is_not_retried_and_says_so() {
    // A plain-TCP listener that answers a TLS hello with plain text, counting connections.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let client = retrying(&format!("https://127.0.0.1:{port}"));
    let error: rocketchat_omnichannel::Error = client.get_contact("c1").await.unwrap_err().into();
    assert!(matches!(error.kind(), ErrorKind::Tls), "{error:?}");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("not retried"), "{error}");
    assert_eq!(connections.load(Ordering::SeqCst), 1, "no second attempt");
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = retrying(&format!("http://127.0.0.1:{port}"));
    let error: rocketchat_omnichannel::Error = client.get_contact("c1").await.unwrap_err().into();
    assert!(matches!(error.kind(), ErrorKind::Transport), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn the_timeout_is_one_deadline_over_all_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_raw(
            r#"{"success":false,"error":"Service Unavailable"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    // Each back-off (20 s and more) is longer than the whole call may take (2 s): the
    // first answer comes back at once instead of after minutes of waiting.
    let client = Client::builder(server.uri())
        .credentials(Credentials::token(USER_ID, TOKEN))
        .timeout(Duration::from_secs(2))
        .retry(
            RetryPolicy::standard()
                .base_backoff(Duration::from_secs(20))
                .max_total_wait(Duration::from_secs(600)),
        )
        .build()
        .unwrap();
    let error = tokio::time::timeout(Duration::from_secs(60), client.get_contact("c1"))
        .await
        .expect("the call ends by its deadline, not after the back-offs")
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_attempt_timeout_leaves_room_for_another_attempt() {
    // Accepts, reads nothing, answers nothing.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            open.push(stream);
        }
    });
    let client = Client::builder(format!("http://127.0.0.1:{port}"))
        .credentials(Credentials::token(USER_ID, TOKEN))
        .timeout(Duration::from_secs(4))
        .attempt_timeout(Duration::from_millis(300))
        .retry(RetryPolicy::standard().base_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    let error: rocketchat_omnichannel::Error =
        tokio::time::timeout(Duration::from_secs(60), client.get_contact("c1"))
            .await
            .expect("ends by its deadline")
            .unwrap_err()
            .into();
    assert!(matches!(error.kind(), ErrorKind::Timeout), "{error:?}");
    assert!(
        connections.load(Ordering::SeqCst) >= 2,
        "a stalled attempt was given up and another sent"
    );
}

async fn user_agent_server(expected: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/info"))
        .and(header("user-agent", expected))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"version":"7.7","success":true}"#, "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_default_user_agent_names_the_sdk_and_can_be_changed() {
    let default = concat!("rocketchat-omnichannel/", env!("CARGO_PKG_VERSION"));
    let server = user_agent_server(default).await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.server_info().await.unwrap();

    let server = user_agent_server("contact-sync/2.1").await;
    let client = Client::builder(server.uri())
        .user_agent("contact-sync/2.1")
        .build()
        .unwrap();
    client.server_info().await.unwrap();
}

#[tokio::test]
async fn an_injected_http_client_keeps_its_own_user_agent() {
    let server = user_agent_server("my-app/1.0").await;
    let http = reqwest::Client::builder()
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    let client = Client::builder(server.uri())
        .http_client(http)
        .build()
        .unwrap();
    client.server_info().await.unwrap();
}

/// A 429 from a server whose clock is `skew_secs` off ours and whose window resets 2 s
/// from its own now.
async fn skewed_rate_limit(skew_secs: i64) -> MockServer {
    let server_now = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(skew_secs);
    let reset = server_now + jiff::SignedDuration::from_secs(2);
    let date = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&server_now)
        .unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_raw(
                    r#"{"success":false,"error":"Error, too many requests. Please slow down. You must wait 2 seconds before trying this endpoint again. [error-too-many-requests]"}"#,
                    "application/json",
                )
                .insert_header("date", date.as_str())
                .insert_header("x-ratelimit-limit", "10")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.as_millisecond().to_string().as_str()),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn rate_limit_waits_follow_the_servers_clock_a_minute_either_way() {
    for skew in [60, -60] {
        let server = skewed_rate_limit(skew).await;
        let client = common::client(&server.uri());
        let before = std::time::SystemTime::now();
        let error = client
            .resolve_contact_conflicts("c1")
            .wipe_conflicts(true)
            .await
            .unwrap_err();
        let rocketchat_omnichannel::ResolveConflictsError::RateLimited { retry_at, .. } = &error
        else {
            panic!("{error:?}");
        };
        let wait = retry_at.unwrap().duration_since(before).unwrap_or_default();
        // 2 s on the server's clock; `Date` has whole seconds, and the call itself takes a
        // moment on a loaded machine.
        assert!(
            wait <= Duration::from_secs(10) && wait >= Duration::from_millis(500),
            "skew {skew}: {wait:?}"
        );
    }
}
