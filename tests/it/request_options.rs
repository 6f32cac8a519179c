//! Builders own their client (so a request can be spawned) and take per-call overrides of
//! the client's timeout and retry policy.

use std::time::{Duration, Instant};

use rocketchat_omnichannel::{Client, Credentials, Error, ErrorKind, RetryPolicy};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CONTACT: &str =
    r#"{"success":true,"contact":{"_id":"c1","name":"Jane","conflictingFields":[]}}"#;

fn client(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .credentials(Credentials::token("u1", "tok"))
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_request_builder_can_be_spawned() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.get"))
        .respond_with(ResponseTemplate::new(200).set_body_string(CONTACT))
        .mount(&server)
        .await;
    let client = client(&server);
    // The builder is made here and sent in another task: it owns a clone of the client.
    let request = client.get_contact("c1");
    drop(client);
    let contact = tokio::spawn(request.into_future_boxed())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.id, "c1");
}

/// `IntoFuture` spelled out, so the test shows the future is `'static + Send`.
trait Boxed: std::future::IntoFuture + Sized {
    fn into_future_boxed(self) -> Self::IntoFuture {
        std::future::IntoFuture::into_future(self)
    }
}
impl<T: std::future::IntoFuture> Boxed for T {}

#[tokio::test]
async fn a_per_request_timeout_overrides_the_clients() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.get"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(CONTACT)
                .set_delay(Duration::from_secs(120)),
        )
        .mount(&server)
        .await;
    let started = Instant::now();
    let error = client(&server)
        .get_contact("c1")
        .timeout(Duration::from_millis(300))
        .await
        .unwrap_err();
    let error = Error::from(error);
    assert!(matches!(error.kind(), ErrorKind::Timeout), "{error:?}");
    // The client's own timeout is 120 s; the call's 300 ms applied.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test]
async fn a_per_request_retry_policy_overrides_the_clients() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.get"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.get"))
        .respond_with(ResponseTemplate::new(200).set_body_string(CONTACT))
        .mount(&server)
        .await;
    let client = client(&server);
    // The client does not retry; this one call does.
    let contact = client
        .get_contact("c1")
        .retry(RetryPolicy::standard())
        .await
        .unwrap();
    assert_eq!(contact.id, "c1");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    // And the next call, without the override, is not retried.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .mount(&server)
        .await;
    assert!(client.get_contact("c1").await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
