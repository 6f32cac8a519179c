//! Saved credentials stay current: every login, re-login and logout reaches the caller's
//! hook, and `CredentialsFile` writes them atomically and privately.

use std::sync::{Arc, Mutex};

use rocketchat_omnichannel::{Client, Credentials, CredentialsFile};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn login_answer(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        format!(
            r#"{{"status":"success","data":{{"userId":"u1","authToken":"{token}","me":{{"_id":"u1","username":"agent1"}}}}}}"#
        ),
        "application/json",
    )
}

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("first-token"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/login"))
        .respond_with(login_answer("second-token"))
        .mount(&server)
        .await;
    // The first token has expired; the second works.
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .and(header("x-auth-token", "first-token"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"success":false,"status":"error","message":"You must be logged in to do this."}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"_id":"u1","username":"agent1","success":true}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/logout"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"success","data":{"message":"You've been logged out!"}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    server
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rc-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn the_hook_hears_every_login_relogin_and_logout_in_order() {
    let server = server().await;
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let record = seen.clone();
    let client = Client::builder(server.uri())
        .on_credentials_change(move |credentials: Option<&Credentials>| {
            record
                .lock()
                .unwrap()
                .push(credentials.map(|c| c.auth_token().expose().to_owned()));
        })
        .build()
        .unwrap();
    assert!(seen.lock().unwrap().is_empty());
    client.login("agent1", "secret").await.unwrap();
    client.me().await.unwrap(); // a 401, a re-login, the replay
    client.logout().await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            Some("first-token".to_owned()),
            Some("second-token".to_owned()),
            None
        ]
    );
}

#[tokio::test]
async fn the_file_follows_the_session_and_only_its_owner_can_read_it() {
    let server = server().await;
    let dir = scratch("follow");
    let store = CredentialsFile::new(dir.join("credentials.json"));
    let hook = store.clone();
    let client = Client::builder(server.uri())
        .on_credentials_change(move |credentials| hook.update(credentials))
        .build()
        .unwrap();
    client.login("agent1", "secret").await.unwrap();
    assert_eq!(
        store.load().unwrap().unwrap().auth_token().expose(),
        "first-token"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    client.me().await.unwrap();
    // The re-login the client did by itself is saved: a restart would not use a dead token.
    let saved = store.load().unwrap().unwrap();
    assert_eq!(saved.auth_token().expose(), "second-token");
    // A restart resumes from the file.
    let restarted = Client::builder(server.uri())
        .credentials(saved)
        .build()
        .unwrap();
    restarted.me().await.unwrap();
    client.logout().await.unwrap();
    assert!(store.load().unwrap().is_none());
    // No temporary file is left next to it.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_save_over_a_world_readable_file_makes_it_private_and_a_torn_file_is_an_error() {
    let dir = scratch("private");
    let path = dir.join("credentials.json");
    std::fs::write(&path, "{}").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let store = CredentialsFile::new(&path);
    assert_eq!(
        store.load().unwrap_err().kind(),
        std::io::ErrorKind::InvalidData
    );
    store.save(&Credentials::token("u1", "tok")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    assert_eq!(store.load().unwrap().unwrap().user_id(), "u1");
    store.remove().unwrap();
    store.remove().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_restored_token_the_server_refuses_falls_back_to_the_password() {
    let server = server().await;
    let dir = scratch("fallback");
    let store = CredentialsFile::new(dir.join("credentials.json"));
    // Saved by an earlier run; the server has expired it since.
    let dead: Credentials =
        serde_json::from_str(r#"{"userId":"u1","authToken":"dead-token","session":true}"#).unwrap();
    store.save(&dead).unwrap();
    Mock::given(method("GET"))
        .and(path("/api/v1/me"))
        .and(header("x-auth-token", "dead-token"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"success":false,"status":"error","message":"You must be logged in to do this."}"#,
            "application/json",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    let uri = server.uri();
    let vars = [
        ("ROCKETCHAT_URL", uri.as_str()),
        ("ROCKETCHAT_USER", "agent1"),
        ("ROCKETCHAT_PASSWORD", "secret"),
    ];
    let lookup = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let hook = store.clone();
    let builder = rocketchat_omnichannel::ClientBuilder::from_lookup(lookup)
        .unwrap()
        .on_credentials_change(move |c| hook.update(c))
        .credentials(store.load().unwrap().unwrap());
    let client = builder.connect().await.unwrap();
    // The dead token was tried once, then the password login ran and its token was saved.
    let saved = store.load().unwrap().unwrap();
    assert_eq!(saved.auth_token().expose(), "first-token");
    let requests = server.received_requests().await.unwrap();
    let count = |route: &str, token: Option<&str>| {
        requests
            .iter()
            .filter(|r| r.url.path() == route)
            .filter(|r| token.is_none_or(|t| r.headers.get("x-auth-token").is_some_and(|v| v == t)))
            .count()
    };
    assert_eq!(count("/api/v1/login", None), 1);
    assert_eq!(count("/api/v1/me", Some("dead-token")), 1);
    assert!(client.is_authenticated());
    std::fs::remove_dir_all(&dir).unwrap();
}
