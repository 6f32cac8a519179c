//! Sessions against wiremock: login (password, two-factor, resume), `me`, logout.

use crate::common::{client, fixture};
use rocketchat_omnichannel::{Client, ErrorKind, LoginError, TwoFactorMethod};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LOGIN_TOKEN: &str = "9HqLlyZOugoStsXCUfD_0YdwnNnunAJF8V47U3QHXSq";

fn json(status: u16, file: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(file), "application/json")
}

async fn login_answer(server: &MockServer, body: &str, status: u16, file: &str) {
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .and(body_string(body))
        .respond_with(json(status, file))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn password_login_keeps_the_session_for_later_calls() {
    let server = MockServer::start().await;
    login_answer(
        &server,
        r#"{"user":"agent1","password":"secret"}"#,
        200,
        "login/success.json",
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .and(header("x-user-id", "agentUserId01"))
        .and(header("x-auth-token", LOGIN_TOKEN))
        .respond_with(json(200, "login/me.json"))
        .expect(1)
        .mount(&server)
        .await;

    let client = Client::builder(server.uri()).build().unwrap();
    let logged_in = client.login("agent1", "secret").await.unwrap();
    assert_eq!(logged_in.id, "agentUserId01");
    assert_eq!(logged_in.username.as_deref(), Some("agent1"));
    assert!(logged_in.is_agent());
    // A clone shares the session.
    let me = client.clone().me().await.unwrap();
    assert_eq!(me.email.as_deref(), Some("agent1@example.com"));
    assert_eq!(me.utc_offset, Some(-3.0));
    let credentials = client.credentials().unwrap();
    assert_eq!(credentials.auth_token().expose(), LOGIN_TOKEN);

    let login_request = &server.received_requests().await.unwrap()[0];
    assert!(login_request.headers.get("x-auth-token").is_none());
    assert!(
        login_request.url.query().is_none(),
        "credentials never go in the URL"
    );
}

#[tokio::test]
async fn bad_password_is_unauthorized() {
    let server = MockServer::start().await;
    login_answer(
        &server,
        r#"{"user":"agent1","password":"wrong"}"#,
        401,
        "login/bad_password.json",
    )
    .await;
    let client = Client::builder(server.uri()).build().unwrap();
    let error = client.login("agent1", "wrong").await.unwrap_err();
    assert!(
        matches!(error, LoginError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(!client.is_authenticated());
    assert!(!format!("{error:?}{error}").contains("wrong"));
}

#[tokio::test]
async fn two_factor_required_then_the_code_is_accepted() {
    let server = MockServer::start().await;
    login_answer(
        &server,
        r#"{"user":"agent1","password":"secret"}"#,
        401,
        "login/totp_required.json",
    )
    .await;
    login_answer(
        &server,
        r#"{"user":"agent1","password":"secret","code":"123456"}"#,
        200,
        "login/success.json",
    )
    .await;
    let client = Client::builder(server.uri()).build().unwrap();

    let error = client.login("agent1", "secret").await.unwrap_err();
    assert!(
        matches!(error, LoginError::TwoFactorRequired { .. }),
        "{error:?}"
    );
    let challenge = error.two_factor_challenge().unwrap().unwrap();
    assert_eq!(challenge.method, TwoFactorMethod::Totp);
    assert_eq!(
        challenge.available_methods,
        [TwoFactorMethod::Totp, TwoFactorMethod::Email]
    );
    assert!(error.to_string().contains("two_factor_code"), "{error}");
    assert!(!client.is_authenticated());

    client
        .login("agent1", "secret")
        .two_factor_code("123456")
        .await
        .unwrap();
    assert!(client.is_authenticated());
}

#[tokio::test]
async fn email_two_factor_keeps_the_extra_details() {
    let server = MockServer::start().await;
    login_answer(
        &server,
        r#"{"user":"a@example.com","password":"pw"}"#,
        401,
        "login/totp_required_email.json",
    )
    .await;
    let client = Client::builder(server.uri()).build().unwrap();
    let error = client.login("a@example.com", "pw").await.unwrap_err();
    let challenge = error.two_factor_challenge().unwrap().unwrap();
    assert_eq!(challenge.method, TwoFactorMethod::Email);
    assert_eq!(challenge.extra["codeGenerated"], true);
}

#[tokio::test]
async fn wrong_code_and_too_many_attempts() {
    let server = MockServer::start().await;
    login_answer(
        &server,
        r#"{"user":"agent1","password":"pw","code":"000000"}"#,
        401,
        "login/totp_invalid.json",
    )
    .await;
    login_answer(
        &server,
        r#"{"user":"agent1","password":"pw","code":"111111"}"#,
        401,
        "login/totp_max_attempts.json",
    )
    .await;
    let client = Client::builder(server.uri()).build().unwrap();
    let invalid = client
        .login("agent1", "pw")
        .two_factor_code("000000")
        .await
        .unwrap_err();
    assert!(
        matches!(invalid, LoginError::TwoFactorInvalid { .. }),
        "{invalid:?}"
    );
    assert!(invalid.two_factor_challenge().is_none());
    let max = client
        .login("agent1", "pw")
        .two_factor_code("111111")
        .await
        .unwrap_err();
    assert!(
        matches!(max, LoginError::TwoFactorMaxAttempts { .. }),
        "{max:?}"
    );
    for error in [invalid, max] {
        assert!(!format!("{error:?}{error}").contains("000000"));
    }
}

#[tokio::test]
async fn resume_sends_only_the_token() {
    let server = MockServer::start().await;
    login_answer(
        &server,
        r#"{"resume":"stored-token"}"#,
        200,
        "login/success.json",
    )
    .await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.resume("stored-token").await.unwrap();
    assert!(client.is_authenticated());
}

#[tokio::test]
async fn empty_user_is_rejected_before_sending() {
    let server = MockServer::start().await;
    let client = Client::builder(server.uri()).build().unwrap();
    let error = client.login(" ", "pw").await.unwrap_err();
    let LoginError::Other(inner) = error else {
        panic!()
    };
    assert!(matches!(inner.kind(), ErrorKind::Validation { .. }));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_login_answer_that_does_not_decode_drops_its_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"success","data":{"authToken":"LEAKED-TOKEN"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).build().unwrap();
    let error = client.login("agent1", "pw").await.unwrap_err();
    let LoginError::Other(inner) = &error else {
        panic!("{error:?}")
    };
    let ErrorKind::Decode { path, body, .. } = inner.kind() else {
        panic!("{inner:?}")
    };
    assert_eq!(path, "data");
    assert!(body.is_empty());
    assert!(!format!("{error:?}{error}").contains("LEAKED-TOKEN"));
}

#[tokio::test]
async fn logout_ends_a_login_session_on_the_server() {
    let server = MockServer::start().await;
    login_answer(
        &server,
        r#"{"user":"agent1","password":"pw"}"#,
        200,
        "login/success.json",
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/logout"))
        .and(header("x-auth-token", LOGIN_TOKEN))
        .respond_with(json(200, "login/logout.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "pw").await.unwrap();
    client.logout().await.unwrap();
    assert!(!client.is_authenticated());
    let error = client.me().await.unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::NotAuthenticated),
        "{error:?}"
    );
}

#[tokio::test]
async fn logout_of_a_personal_access_token_only_forgets_it() {
    let server = MockServer::start().await;
    let client = client(&server.uri());
    client.logout().await.unwrap();
    assert!(!client.is_authenticated());
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "a PAT must not be revoked"
    );
}

#[tokio::test]
async fn logout_of_an_expired_session_succeeds() {
    let server = MockServer::start().await;
    login_answer(
        &server,
        r#"{"user":"agent1","password":"pw"}"#,
        200,
        "login/success.json",
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/logout"))
        .respond_with(json(401, "contacts.conflicts/unauthorized.json"))
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).build().unwrap();
    client.login("agent1", "pw").await.unwrap();
    client.logout().await.unwrap();
    assert!(!client.is_authenticated());
}

#[tokio::test]
async fn me_with_a_revoked_token_is_a_401() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .respond_with(json(401, "contacts.conflicts/unauthorized.json"))
        .mount(&server)
        .await;
    let error = client(&server.uri()).me().await.unwrap_err();
    assert_eq!(error.status().unwrap().as_u16(), 401);
}
