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

/// Issue 38 #8: a proxy's HTML error page is one line in `Display` (its title, or its first
/// words), and the whole page stays in the body.
#[tokio::test]
async fn an_html_error_page_is_summarised_on_one_line() {
    let page = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n\
                <title>502 Proxy Error</title>\n</head><body>\n<h1>Proxy Error</h1>\n\
                <p>The proxy server received an invalid\nresponse from an upstream server.</p>\n\
                </body></html>\n";
    let server = answering(502, page, "text/html").await;
    let error = resolve(&server).await;
    let text = error.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(text.contains("HTML page: 502 Proxy Error"), "{text}");
    assert!(!text.contains("<h1>"), "{text}");
    assert_eq!(error.response().map(|r| r.body().len()), Some(page.len()));

    // Without a title: the words, not the markup.
    let untitled = "<html>\n<body>\n<h1>Service\nUnavailable</h1>\n<script>var x = 1;</script>\n\
                    <p>Back soon</p></body></html>";
    let server = answering(503, untitled, "text/html").await;
    let text = resolve(&server).await.to_string();
    assert!(
        text.contains("HTML page: Service Unavailable Back soon"),
        "{text}"
    );
    assert!(!text.contains("var x"), "{text}");
}

/// Issue 38 #2: `{:?}`, which `?` in `main` prints, reads as the message first, then the
/// parts; `{:#?}` is the structure.
#[tokio::test]
async fn debug_reads_message_first_then_the_parts() {
    let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    fake.add_agent("agent1", "secret");
    let client = Client::builder(fake.uri()).build().unwrap();
    let error = client.login("agent1", "wrong").await.unwrap_err();
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    let debug = format!("{boxed:?}");
    assert!(
        debug.starts_with("login refused: check the user name and password"),
        "{debug}"
    );
    assert!(debug.contains("\n  details: "), "{debug}");
    assert!(debug.contains("status: 401"), "{debug}");
    assert!(
        !debug.contains("wrong"),
        "the password never shows: {debug}"
    );

    let error: rocketchat_omnichannel::Error =
        client.login("agent1", "wrong").await.unwrap_err().into();
    let debug = format!("{error:?}");
    assert!(debug.starts_with("login refused"), "{debug}");
    let pretty = format!("{error:#?}");
    assert!(pretty.starts_with("Error {\n    kind: Api("), "{pretty}");

    // A cause is listed after the parts.
    let error = Client::builder("https://127.0.0.1:1")
        .build()
        .unwrap()
        .server_info()
        .await
        .unwrap_err();
    let debug = format!("{error:?}");
    assert!(debug.starts_with(&error.to_string()), "{debug}");
    assert!(debug.contains("\n  caused by: "), "{debug}");
}

/// Issue 38 #9: a bad token read through any route says what to check, like the CLI does.
#[tokio::test]
async fn a_refused_token_says_to_check_the_user_id_and_token() {
    let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    let client = client(&fake.uri());
    let error = client.me().await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("not authenticated: log in again or check the user id and token; "),
        "{text}"
    );
    let error = client.get_contact("c1").await.unwrap_err();
    assert_eq!(
        error
            .to_string()
            .matches("check the user id and token")
            .count(),
        1,
        "{error}"
    );
}
