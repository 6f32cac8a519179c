//! `rocketchat-fake` as a child process, judged with raw HTTP: startup line, login, personal
//! access tokens, two-factor, `contacts.conflicts` and its errors, seed fidelity, the request
//! log, bad seeds and clean shutdown.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rocketchat-fake");

fn seed(name: &str) -> String {
    format!("{}/tests/fixtures/seed/{name}", env!("CARGO_MANIFEST_DIR"))
}

struct Server {
    child: Child,
    uri: String,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let uri = line
            .trim()
            .strip_prefix("listening ")
            .unwrap_or_else(|| panic!("first line: {line:?}"))
            .to_owned();
        Self { child, uri }
    }

    /// Sends SIGTERM and returns the exit code and everything written to stderr.
    fn stop(mut self) -> (i32, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        let mut log = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        (exit.code().unwrap_or(-1), log)
    }
}

async fn call(
    server: &Server,
    method: &str,
    route: &str,
    auth: Option<(&str, &str)>,
    body: Option<Value>,
) -> (u16, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/{route}", server.uri);
    let mut request = if method == "GET" {
        http.get(url)
    } else {
        http.post(url)
    };
    if let Some((user, token)) = auth {
        request = request
            .header("X-User-Id", user)
            .header("X-Auth-Token", token);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn serves_a_seed_over_http_and_stops_cleanly() {
    let server = Server::start(&["--seed", &seed("seed.json"), "--port", "0"]);
    assert!(server.uri.starts_with("http://127.0.0.1:"));
    let agent = Some(("agentA", "pat-agent-a"));

    // Logins: password, wrong password, two-factor.
    let (status, body) = call(
        &server,
        "POST",
        "login",
        None,
        Some(json!({"user": "agent.a", "password": "a-pass"})),
    )
    .await;
    assert_eq!(status, 200);
    let session_token = body["data"]["authToken"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &server,
        "POST",
        "login",
        None,
        Some(json!({"user": "agent.a", "password": "nope"})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = call(
        &server,
        "POST",
        "login",
        None,
        Some(json!({"user": "agent.b", "password": "b-pass"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("totp-required"))
    );
    let (status, _) = call(
        &server,
        "POST",
        "login",
        None,
        Some(json!({"user": "agent.b", "password": "b-pass", "code": "654321"})),
    )
    .await;
    assert_eq!(status, 200);

    // The session and the personal access token both work.
    let (status, me) = call(&server, "GET", "me", Some(("agentA", &session_token)), None).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("agent.a")));
    let (status, _) = call(&server, "GET", "me", agent, None).await;
    assert_eq!(status, 200);

    // The seed contact comes back exactly as given, unknown fields included.
    let seed_doc: Value =
        serde_json::from_str(&std::fs::read_to_string(seed("seed.json")).unwrap()).unwrap();
    let (status, got) = call(
        &server,
        "GET",
        "omnichannel/contacts.get?contactId=seedContact1",
        agent,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(got["contact"], seed_doc["contacts"][0]);

    // contacts.conflicts: every error, then success.
    let cases = [
        (
            None,
            json!({"contactId": "seedContact1"}),
            401,
            "You must be logged in to do this.",
        ),
        (
            agent,
            json!({}),
            400,
            "must have required property 'contactId' [invalid-params]",
        ),
        (
            agent,
            json!({"contactId": "seedContact1", "x": 1}),
            400,
            "must NOT have additional properties [invalid-params]",
        ),
        (
            Some(("plainC", "pat-plain-c")),
            json!({"contactId": "seedContact1"}),
            403,
            "User does not have the permissions required for this action [error-unauthorized]",
        ),
        (
            agent,
            json!({"contactId": "nope"}),
            400,
            "error-contact-not-found",
        ),
        (
            agent,
            json!({"contactId": "seedContact2"}),
            400,
            "error-contact-has-no-conflicts",
        ),
        (
            agent,
            json!({"contactId": "seedContact1", "contactManager": "plainC"}),
            400,
            "error-contact-manager-not-found",
        ),
    ];
    for (auth, body, status, error) in cases {
        let (got_status, got) = call(
            &server,
            "POST",
            "omnichannel/contacts.conflicts",
            auth,
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (got_status, got["error"].as_str()),
            (status, Some(error)),
            "{body}"
        );
        assert_eq!(got["success"], false);
    }
    let (status, resolved) = call(
        &server,
        "POST",
        "omnichannel/contacts.conflicts",
        agent,
        Some(json!({"contactId": "seedContact1", "contactManager": "agentB", "customFields": {"tier": "silver"}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        resolved["result"]["conflictingFields"],
        json!([{"field": "name", "value": "Carla M."}])
    );
    assert_eq!(
        resolved["result"]["customFields"],
        json!({"tier": "silver", "score": 7.5, "tags": ["vip"]})
    );
    assert_eq!(
        resolved["result"]["crmSync"], seed_doc["contacts"][0]["crmSync"],
        "unknown fields survive writes"
    );

    let (code, log) = server.stop();
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("POST /api/v1/omnichannel/contacts.conflicts 400"),
        "{log}"
    );
    assert!(log.contains("GET /api/v1/me 200"), "{log}");
    for secret in [
        "a-pass",
        "b-pass",
        "654321",
        "pat-agent-a",
        session_token.as_str(),
    ] {
        assert!(!log.contains(secret), "`{secret}` in the log:\n{log}");
    }
}

#[tokio::test]
async fn rate_limit_flags_and_quiet_mode() {
    let server = Server::start(&[
        "--seed",
        &seed("seed.json"),
        "--rate-limit",
        "1",
        "--rate-limit-window-ms",
        "60000",
        "--quiet",
    ]);
    let agent = Some(("agentA", "pat-agent-a"));
    let (first, _) = call(
        &server,
        "POST",
        "omnichannel/contacts.conflicts",
        agent,
        Some(json!({"contactId": "seedContact2"})),
    )
    .await;
    let (second, body) = call(
        &server,
        "POST",
        "omnichannel/contacts.conflicts",
        agent,
        Some(json!({"contactId": "seedContact2"})),
    )
    .await;
    assert_eq!((first, second), (400, 429));
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .ends_with("[error-too-many-requests]")
    );
    let (code, log) = server.stop();
    assert_eq!(code, 0);
    assert!(log.is_empty(), "quiet: {log}");
}

#[tokio::test]
async fn without_a_seed_it_serves_the_demo_data() {
    let server = Server::start(&[]);
    let (status, _) = call(
        &server,
        "POST",
        "login",
        None,
        Some(json!({"user": "agent1", "password": "agent1-password"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(server.stop().0, 0);
}

#[test]
fn bad_seeds_name_the_path_and_exit_non_zero() {
    for (file, path) in [
        ("bad_roles.json", "users[0].roles"),
        (
            "bad_conflict.json",
            "contacts[0].conflictingFields[0].field",
        ),
        (
            "bad_conflict_value.json",
            "contacts[0].conflictingFields[0].value",
        ),
        ("bad_token_owner.json", "personalAccessTokens[0].userId"),
        ("bad_key.json", "contacs"),
    ] {
        let output = Command::new(BIN)
            .args(["--seed", &seed(file)])
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(1), "{file}: {stderr}");
        assert!(stderr.contains(path), "{file}: {stderr}");
        assert!(output.stdout.is_empty(), "no listening line");
    }
}

#[test]
fn remote_hosts_need_allow_remote() {
    let output = Command::new(BIN)
        .args(["--host", "0.0.0.0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("--allow-remote")
    );
    let output = Command::new(BIN)
        .args(["--port", "seventy"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // With the flag it starts; stop it at once.
    let server = Server::start(&["--host", "0.0.0.0", "--allow-remote", "--quiet"]);
    // Bound to every interface, it hands out the loopback address: `0.0.0.0` is not an
    // address to connect to, and the SDK refuses plain http to anything but loopback.
    assert!(
        server.uri.starts_with("http://127.0.0.1:"),
        "{}",
        server.uri
    );
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(server.stop().0, 0);
}

#[tokio::test]
async fn rocketchat_version_plays_an_older_release() {
    let server = Server::start(&["--quiet", "--rocketchat-version", "7.6.0"]);
    // contacts.conflicts arrived in 7.7.0: a 7.6 server answers as for a missing route,
    // with Hono's plain-text 404.
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/omnichannel/contacts.conflicts",
            server.uri
        ))
        .header("X-User-Id", "demoAgent0000001")
        .header("X-Auth-Token", "demo-agent1-personal-access-token")
        .header("Content-Type", "application/json")
        .body(json!({"contactId": "demoContactJane1", "wipeConflicts": true}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 404);
    assert_eq!(answer.text().await.unwrap(), "404 Not Found");
    let answer = reqwest::get(format!("{}/api/info", server.uri))
        .await
        .unwrap();
    let info: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(info["version"], "7.6");
    assert_eq!(server.stop().0, 0);

    let output = Command::new(BIN)
        .args(["--rocketchat-version", "6.0.0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("--rocketchat-version")
    );
}

#[test]
fn help_and_version_are_answers_not_errors() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8(help.stdout).unwrap();
    for flag in [
        "--seed",
        "--rate-limit-window-ms",
        "--rocketchat-version",
        "--record-requests",
        "--no-control-api",
        "60,000 ms",
        "/_fake",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}:\n{text}");
    }
    let version = Command::new(BIN).arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("rocketchat-fake {}", env!("CARGO_PKG_VERSION"))
    );
    let wrong = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8(wrong.stderr).unwrap().contains("--help"));
}

/// A control call: method, path under the server, optional JSON body → status and JSON.
async fn control(server: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", server.uri);
    let mut request = http.request(method.parse().unwrap(), url);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
    )
}

#[tokio::test]
async fn the_control_api_drives_a_running_fake() {
    let server = Server::start(&[
        "--seed",
        &seed("seed.json"),
        "--record-requests",
        "50",
        "--quiet",
    ]);
    let agent = Some(("agentA", "pat-agent-a"));

    // A page on another name resolving to loopback (DNS rebinding) is refused.
    let rebound = reqwest::Client::new()
        .get(format!("{}/_fake", server.uri))
        .header("host", "evil.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status().as_u16(), 403);

    // The index names every route.
    let (status, index) = control(&server, "GET", "/_fake", None).await;
    assert_eq!(status, 200);
    for route in [
        "POST /_fake/contacts",
        "POST /_fake/contacts/{id}/merge",
        "POST /_fake/faults",
        "PUT /_fake/rate-limit",
        "POST /_fake/sessions/expire",
        "GET /_fake/requests",
    ] {
        assert!(index.get(route).is_some(), "{route} missing from {index}");
    }

    // A contact, then a visitor who disagrees on the name: a conflict, as a merge makes it.
    let (status, added) = control(
        &server,
        "POST",
        "/_fake/contacts",
        Some(json!({"name": "Ana Lima", "unknown": false, "conflictingFields": []})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let id = added["_id"].as_str().unwrap().to_owned();
    let (status, _) = control(
        &server,
        "POST",
        &format!("/_fake/contacts/{id}/merge"),
        Some(json!({"name": "Ana P. Lima"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, stored) = control(&server, "GET", &format!("/_fake/contacts/{id}"), None).await;
    assert_eq!(
        stored["conflictingFields"],
        json!([{"field": "name", "value": "Ana P. Lima"}])
    );
    let (status, body) = control(
        &server,
        "POST",
        "/_fake/contacts/nobody/merge",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!((status, body["error"].is_string()), (404, true));

    // A fault for one route only: contacts.get fails once, the search is untouched.
    let (status, _) = control(
        &server,
        "POST",
        "/_fake/faults",
        Some(json!({"status": 502, "html": true, "method": "GET", "path": "/api/v1/omnichannel/contacts.get"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(&server, "GET", "omnichannel/contacts.search", agent, None).await;
    assert_eq!(status, 200);
    let response = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/omnichannel/contacts.get?contactId={id}",
            server.uri
        ))
        .header("X-User-Id", "agentA")
        .header("X-Auth-Token", "pat-agent-a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 502);
    let (status, _) = call(
        &server,
        "GET",
        &format!("omnichannel/contacts.get?contactId={id}"),
        agent,
        None,
    )
    .await;
    assert_eq!(status, 200, "the fault was used up");
    let (status, body) = control(&server, "POST", "/_fake/faults", Some(json!({"count": 2}))).await;
    assert_eq!(status, 400, "a fault must say what it is: {body}");

    // The rate limit, changed while it runs, then off again.
    let (status, _) = control(
        &server,
        "PUT",
        "/_fake/rate-limit",
        Some(json!({"calls": 1, "windowMs": 60_000})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(call(&server, "GET", "me", agent, None).await.0, 200);
    assert_eq!(call(&server, "GET", "me", agent, None).await.0, 429);
    control(
        &server,
        "PUT",
        "/_fake/rate-limit",
        Some(json!({"calls": null})),
    )
    .await;
    assert_eq!(call(&server, "GET", "me", agent, None).await.0, 200);

    // Ending sessions: a password login's token stops working, the personal token goes on.
    let (_, login) = call(
        &server,
        "POST",
        "login",
        None,
        Some(json!({"user": "agent.a", "password": "a-pass"})),
    )
    .await;
    let token = login["data"]["authToken"].as_str().unwrap().to_owned();
    let (status, expired) = control(&server, "POST", "/_fake/sessions/expire", None).await;
    assert_eq!((status, expired["expired"].as_u64()), (200, Some(1)));
    assert_eq!(
        call(&server, "GET", "me", Some(("agentA", &token)), None)
            .await
            .0,
        401
    );
    assert_eq!(call(&server, "GET", "me", agent, None).await.0, 200);

    // What was recorded: API calls with their statuses, never the control calls.
    let (status, recorded) = control(&server, "GET", "/_fake/requests", None).await;
    assert_eq!(status, 200);
    let seen: Vec<(String, u64)> = recorded
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        seen.iter().all(|(path, _)| path.starts_with("/api/")),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("/api/v1/omnichannel/contacts.get".to_owned(), 502)),
        "{seen:?}"
    );
    assert!(seen.contains(&("/api/v1/me".to_owned(), 429)), "{seen:?}");
    assert_eq!(server.stop().0, 0);
}

#[tokio::test]
async fn without_the_control_api_its_prefix_is_a_missing_route() {
    let server = Server::start(&["--quiet", "--no-control-api"]);
    let (status, body) = control(&server, "GET", "/_fake", None).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.get("_fake/contacts").is_none());
    assert_eq!(server.stop().0, 0);
}
