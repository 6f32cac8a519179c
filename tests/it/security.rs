//! No secret leaks: `Debug`, `Display`, tracing output, URLs, redirects to other hosts;
//! plain http refused; bad configuration reported, never a panic.

use crate::common;
use crate::common::fixture;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::{Client, Credentials, ErrorKind, ResolveConflictsError, SecretString};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "tok-SUPER-SECRET-123";

#[test]
fn debug_prints_redacted_for_every_holder_of_a_secret() {
    let credentials = Credentials::token("user-1", SECRET);
    let builder = Client::builder("https://chat.example.com").credentials(credentials.clone());
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    let login_debug = format!(
        "{:?}",
        client.login("agent1", SECRET).two_factor_code(SECRET)
    );
    for text in [
        format!("{credentials:?}"),
        builder_debug,
        format!("{client:?}"),
        login_debug,
        format!("{:?}", SecretString::from(SECRET)),
        SecretString::from(SECRET).to_string(),
        format!("{:?}", client.credentials()),
    ] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
}

#[test]
fn bad_header_characters_in_a_token_are_a_configuration_error() {
    for token in ["line\nbreak", "tab\tis\u{7f}bad", "caf\u{e9}"] {
        let error = Client::builder("https://chat.example.com")
            .credentials(Credentials::token("u", token))
            .build()
            .unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Configuration { .. }),
            "{error:?}"
        );
        assert!(!format!("{error}{error:?}").contains(token));
    }
    for (user, token) in [("", "t"), ("u", ""), ("  ", "t")] {
        let error = Client::builder("https://chat.example.com")
            .credentials(Credentials::token(user, token))
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("must not be empty"), "{error}");
    }
}

#[test]
fn base_url_mistakes_are_configuration_errors() {
    let cases = [
        ("chat.example.com", "not an absolute URL"),
        ("", "not an absolute URL"),
        (
            "ftp://chat.example.com",
            "must start with http:// or https://",
        ),
        (
            "https://chat.example.com/?x=1",
            "must not have a query string",
        ),
        ("https://chat.example.com/#top", "must not have a fragment"),
        (
            "https://user:pw@chat.example.com",
            "must not embed a user name or password",
        ),
        ("http://chat.example.com", "plain http"),
        ("http://10.0.0.5:3000", "plain http"),
    ];
    for (url, expected) in cases {
        let error = Client::builder(url).build().unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Configuration { .. }),
            "{url}: {error:?}"
        );
        assert!(error.to_string().contains(expected), "{url}: {error}");
        assert!(!error.to_string().contains("pw@"), "{error}");
    }
    for url in [
        "http://127.0.0.1:3000",
        "http://localhost",
        "http://[::1]:1",
        "https://chat.example.com/chat/",
    ] {
        Client::builder(url)
            .build()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    Client::builder("http://chat.internal")
        .allow_insecure_http(true)
        .build()
        .unwrap();
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_host() {
    let other_host = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("contacts.conflicts/success_minimal.json"),
            "application/json",
        ))
        .mount(&other_host)
        .await;
    let first = MockServer::start().await;
    // Same IP, different port: a different origin.
    let target = format!("{}/api/v1/omnichannel/contacts.conflicts", other_host.uri());
    for status in [301, 302, 307, 308] {
        Mock::given(method("POST"))
            .and(path("/api/v1/omnichannel/contacts.conflicts"))
            .respond_with(ResponseTemplate::new(status).insert_header("location", target.as_str()))
            .up_to_n_times(1)
            .mount(&first)
            .await;
        let client = common::client(&first.uri());
        let error = client
            .resolve_contact_conflicts("c1")
            .wipe_conflicts(true)
            .await
            .unwrap_err();
        let ResolveConflictsError::Other(inner) = &error else {
            panic!("{error:?}")
        };
        assert!(
            matches!(inner.kind(), ErrorKind::UnexpectedResponse(api) if api.status().as_u16() == status),
            "{inner:?}"
        );
    }
    assert!(
        other_host.received_requests().await.unwrap().is_empty(),
        "the other host saw nothing"
    );
}

#[tokio::test]
async fn same_origin_redirects_are_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/api/v1/me2"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(fixture("login/me.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let me = common::client(&server.uri()).me().await.unwrap();
    assert_eq!(me.username.as_deref(), Some("agent1"));
}

#[tokio::test]
async fn the_token_is_never_in_a_url() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = Client::builder(fake.uri())
        .credentials(Credentials::token(
            DemoData::AGENT_ID,
            DemoData::AGENT_TOKEN,
        ))
        .build()
        .unwrap();
    client.get_contact(DemoData::CONTACT_ID).await.unwrap();
    client
        .resolve_contact_conflicts(DemoData::CONTACT_ID)
        .wipe_conflicts(true)
        .await
        .unwrap();
    for request in fake.requests() {
        let url = format!("{}?{}", request.path, request.query.unwrap_or_default());
        assert!(!url.contains(DemoData::AGENT_TOKEN), "{url}");
    }
}

#[tokio::test]
async fn a_password_session_keeps_its_password_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"success","data":{"userId":"u1","authToken":"tok-1"},"success":true}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", SECRET).await.unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("password: <redacted>"), "{text}");
}
