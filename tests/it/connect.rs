//! Connecting: from `ROCKETCHAT_*` variables, with saved credentials across a restart, and as
//! several users over one connection pool.

use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser};
use rocketchat_omnichannel::{Client, ClientBuilder, Credentials, ErrorKind};

/// A lookup over fixed variables, standing in for the process environment.
fn vars(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    }
}

#[tokio::test]
async fn a_password_from_the_environment_logs_in_and_a_missing_code_is_explained() {
    let fake = FakeRocketChat::start().await;
    fake.add_agent("agent1", "secret");
    fake.add_user(
        FakeUser::agent("careful")
            .password("pw")
            .two_factor_code("654321"),
    );

    let client = ClientBuilder::from_lookup(vars(vec![
        ("ROCKETCHAT_URL", fake.uri()),
        ("ROCKETCHAT_USER", "agent1".into()),
        ("ROCKETCHAT_PASSWORD", "secret".into()),
    ]))
    .unwrap()
    .connect()
    .await
    .unwrap();
    assert_eq!(
        client.me().await.unwrap().username.as_deref(),
        Some("agent1")
    );

    let error = ClientBuilder::from_lookup(vars(vec![
        ("ROCKETCHAT_URL", fake.uri()),
        ("ROCKETCHAT_USER", "careful".into()),
        ("ROCKETCHAT_PASSWORD", "pw".into()),
    ]))
    .unwrap()
    .connect()
    .await
    .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Configuration { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("ROCKETCHAT_2FA_CODE"), "{error}");

    let client = ClientBuilder::from_lookup(vars(vec![
        ("ROCKETCHAT_URL", fake.uri()),
        ("ROCKETCHAT_USER", "careful".into()),
        ("ROCKETCHAT_PASSWORD", "pw".into()),
        ("ROCKETCHAT_2FA_CODE", "654321".into()),
    ]))
    .unwrap()
    .connect()
    .await
    .unwrap();
    assert_eq!(
        client.me().await.unwrap().username.as_deref(),
        Some("careful")
    );
}

#[tokio::test]
async fn a_saved_login_resumes_after_a_restart_and_logout_still_ends_it() {
    let fake = FakeRocketChat::start().await;
    fake.add_agent("bot", "secret");
    // Re-login off, so that the end of the session below shows instead of being renewed.
    let first = Client::builder(fake.uri()).relogin(false).build().unwrap();
    first.login("bot", "secret").await.unwrap();
    let credentials = first.credentials().unwrap();
    let token = credentials.auth_token().expose().to_owned();

    let saved = serde_json::to_string(&credentials).unwrap();
    assert!(saved.contains(&token), "the saved form holds the token");
    assert!(
        !format!("{credentials:?}").contains(&token),
        "Debug stays redacted"
    );

    // The "restarted" bot: no login, the same session.
    let restored: Credentials = serde_json::from_str(&saved).unwrap();
    assert!(!format!("{restored:?}").contains(&token));
    let second = Client::builder(fake.uri())
        .credentials(restored)
        .build()
        .unwrap();
    assert_eq!(second.me().await.unwrap().username.as_deref(), Some("bot"));

    // It came from a login, so logging out ends it on the server for both processes.
    second.logout().await.unwrap();
    let error = first.me().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
}

#[tokio::test]
async fn a_saved_personal_access_token_is_never_revoked_by_logout() {
    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("agent1", "secret");
    let pat = fake.personal_access_token(&agent);
    let saved = serde_json::to_value(&pat).unwrap();
    assert_eq!(saved["session"], false);

    let restored: Credentials = serde_json::from_value(saved).unwrap();
    let client = Client::builder(fake.uri())
        .credentials(restored.clone())
        .build()
        .unwrap();
    client.logout().await.unwrap();
    assert!(!client.is_authenticated());
    let again = Client::builder(fake.uri())
        .credentials(restored)
        .build()
        .unwrap();
    again.me().await.expect("the token still works");
}

#[tokio::test]
async fn clients_for_several_users_share_one_pool_and_separate_sessions() {
    let fake = FakeRocketChat::start().await;
    let ana = fake.add_agent("ana", "a-pass");
    let bia = fake.add_agent("bia", "b-pass");
    let office = Client::builder(fake.uri())
        .credentials(fake.personal_access_token(&ana))
        .build()
        .unwrap();
    let as_bia = office
        .with_credentials(fake.personal_access_token(&bia))
        .unwrap();
    assert_eq!(office.me().await.unwrap().username.as_deref(), Some("ana"));
    assert_eq!(as_bia.me().await.unwrap().username.as_deref(), Some("bia"));

    // Logging one in or out leaves the other alone.
    as_bia.logout().await.unwrap();
    assert!(!as_bia.is_authenticated());
    assert_eq!(office.me().await.unwrap().username.as_deref(), Some("ana"));
    as_bia.login("bia", "b-pass").await.unwrap();
    assert_eq!(as_bia.me().await.unwrap().username.as_deref(), Some("bia"));
    assert_eq!(office.credentials().unwrap().user_id(), &ana);

    // Same base URL and settings.
    assert_eq!(office.api_base(), as_bia.api_base());
    let refused = office.with_credentials(Credentials::token("u", "bad\ntoken"));
    assert!(
        refused.is_err(),
        "a token that cannot be a header is refused"
    );
}
