//! What a new user meets in the first hour: a fake bound to every interface, a builder printed
//! with `{:?}`, and a base URL that points at a web page instead of Rocket.Chat.

use rocketchat_omnichannel::testing::FakeRocketChat;
use rocketchat_omnichannel::{Client, Error, ErrorKind};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_fake_on_a_wildcard_address_hands_out_a_loopback_uri_that_works() {
    let fake = FakeRocketChat::builder()
        .address("0.0.0.0:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    assert!(fake.address().ip().is_unspecified());
    let uri = fake.uri();
    assert!(uri.starts_with("http://127.0.0.1:"), "{uri}");
    assert!(
        uri.ends_with(&format!(":{}", fake.address().port())),
        "{uri}"
    );
    // The SDK accepts it (plain http to loopback) and reaches the fake through it.
    let client = Client::builder(&uri).build().unwrap();
    client.server_info().await.unwrap();
}

#[test]
fn a_builder_debug_hides_a_password_in_the_base_url() {
    let builder = Client::builder("https://bot:hunter2-SECRET@chat.example.com/");
    let text = format!("{builder:?}");
    assert!(!text.contains("hunter2-SECRET"), "{text}");
    assert!(text.contains("chat.example.com"), "{text}");
}

#[tokio::test]
async fn an_html_page_answering_login_says_to_check_the_base_url() {
    let server = MockServer::start().await;
    let page = "<!DOCTYPE html><html><body>Welcome to our website</body></html>";
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string(page),
        )
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).build().unwrap();
    let error = Error::from(client.login("agent1", "secret").await.unwrap_err());
    let ErrorKind::UnexpectedResponse(answer) = error.kind() else {
        panic!("expected an unexpected response, got {error:?}");
    };
    assert_eq!(answer.status().as_u16(), 200);
    // The page is kept, so the user can see what answered.
    assert_eq!(answer.body().as_ref(), page.as_bytes());
    let text = error.to_string();
    assert!(text.contains("base URL"), "{text}");
    assert!(!client.is_authenticated());
}
