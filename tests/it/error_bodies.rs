//! Errors that say what really happened: typed variants only for Rocket.Chat error bodies,
//! foreign pages and missing routes explained, bodies excerpted, and the server's version.

use crate::common::{client, fixture};
use rocketchat_omnichannel::omnichannel::contacts::{ContactLookup, GetContactError};
use rocketchat_omnichannel::{Client, ErrorKind, ResolveConflictsError};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HTML_404: &str = "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>";

/// What a Restivus-era server (up to 6.x) answers for a route it does not have.
const RESTIVUS_MISSING: &str = r#"{"status":"error","message":"API endpoint does not exist"}"#;

async fn answering(status: u16, body: &str, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(status).set_body_raw(body.to_owned(), content_type))
        .mount(&server)
        .await;
    server
}

async fn resolve(server: &MockServer) -> ResolveConflictsError {
    client(&server.uri())
        .resolve_contact_conflicts("c1")
        .wipe_conflicts(true)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn html_401_403_404_429_are_other_and_point_at_the_base_url() {
    for status in [401, 403, 404, 429] {
        let server = answering(status, HTML_404, "text/html").await;
        let error = resolve(&server).await;
        let ResolveConflictsError::Other(inner) = &error else {
            panic!("{status}: a foreign page must not be a typed variant: {error:?}");
        };
        assert!(
            matches!(inner.kind(), ErrorKind::UnexpectedResponse(_)),
            "{inner:?}"
        );
        let text = error.to_string();
        assert!(
            text.contains("did not come from Rocket.Chat's API"),
            "{text}"
        );
        assert!(text.contains("check the base URL"), "{text}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
    }
}

#[tokio::test]
async fn a_proxy_json_429_is_not_rate_limited_by_rocketchat() {
    let server = answering(
        429,
        r#"{"message":"API rate limit exceeded"}"#,
        "application/json",
    )
    .await;
    let error = resolve(&server).await;
    assert!(
        matches!(error, ResolveConflictsError::Other(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_html_404_is_not_contact_not_found() {
    let server = answering(404, HTML_404, "text/html").await;
    let error = client(&server.uri()).get_contact("c1").await.unwrap_err();
    assert!(matches!(error, GetContactError::Other(_)), "{error:?}");
    // The real "no such contact" body still is.
    let server = answering(
        404,
        std::str::from_utf8(&fixture("contacts.get/not_found.json")).unwrap(),
        "application/json",
    )
    .await;
    let error = client(&server.uri()).get_contact("c1").await.unwrap_err();
    assert!(
        matches!(error, GetContactError::NotFound { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_missing_route_names_the_version_that_added_it() {
    let server = answering(404, RESTIVUS_MISSING, "application/json").await;
    let error = resolve(&server).await;
    let ResolveConflictsError::Other(inner) = &error else {
        panic!("{error:?}");
    };
    let ErrorKind::EndpointMissing {
        endpoint, since, ..
    } = inner.kind()
    else {
        panic!("{inner:?}");
    };
    assert_eq!(
        (*endpoint, *since),
        ("omnichannel/contacts.conflicts", "7.7.0")
    );
    let text = error.to_string();
    assert!(text.contains("older than 7.7.0"), "{text}");

    let error = client(&server.uri())
        .contact_exists(ContactLookup::email("a@example.com"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("older than 7.2.0"), "{error}");
    let error = client(&server.uri()).get_contact("c1").await.unwrap_err();
    assert!(error.to_string().contains("older than 7.0.0"), "{error}");
}

#[tokio::test]
async fn a_web_page_instead_of_the_route_mentions_the_version_too() {
    let web_app = String::from_utf8(fixture("contacts.conflicts/web_app.html")).unwrap();
    let server = answering(404, &web_app, "text/html").await;
    let text = resolve(&server).await.to_string();
    assert!(text.contains("check the base URL"), "{text}");
    assert!(text.contains("older than 7.7.0"), "{text}");
}

#[tokio::test]
async fn a_huge_error_body_is_excerpted_with_its_length() {
    let body = format!("<html>{}</html>", "x".repeat(8 << 20));
    let server = answering(502, &body, "text/html").await;
    let error = resolve(&server).await;
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(text.len() < 2_000, "{} characters", text.len());
        assert!(text.contains(&format!("{} bytes", body.len())), "{text}");
    }
    // The body itself is still there for whoever needs it.
    assert_eq!(error.response().unwrap().body().len(), body.len());
}

#[tokio::test]
async fn a_huge_undecodable_success_is_excerpted_in_debug() {
    let body = format!(r#"{{"result":{{"_id":"{}"#, "x".repeat(4 << 20));
    let server = answering(200, &body, "application/json").await;
    let error = resolve(&server).await;
    let text = format!("{error:?}");
    assert!(text.len() < 2_000, "{} characters", text.len());
}

#[tokio::test]
async fn server_info_reads_the_version_below_api() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/chat/api/info"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"version":"7.6","minimumClientVersions":{"desktop":"4.1.0"},"success":true}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(format!("{}/chat", server.uri()))
        .build()
        .unwrap();
    let info = client.server_info().await.unwrap();
    assert_eq!(info.version.as_deref(), Some("7.6"));
    assert_eq!(info.is_at_least("7.7.0"), Some(false));
    assert_eq!(info.is_at_least("7.2.0"), Some(true));
}

#[tokio::test]
async fn server_info_on_a_wrong_base_url_is_an_unexpected_response() {
    let server = answering(200, "<html>web app</html>", "text/html").await;
    let client = Client::builder(server.uri()).build().unwrap();
    let error = client.server_info().await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::UnexpectedResponse(_)),
        "{error:?}"
    );
}
