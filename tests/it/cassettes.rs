//! Cassettes (issue 36): a run recorded from a server replays to the same results, no secret
//! reaches the file, a request nothing was recorded for is told what is nearest, and a
//! recording that lost an exchange writes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use rocketchat_omnichannel::Client;
use rocketchat_omnichannel::testing::{CassetteServer, DemoData, FakeRocketChat, Fault};

const CLI: &str = env!("CARGO_BIN_EXE_rocketchat-contacts");
const FAKE: &str = env!("CARGO_BIN_EXE_rocketchat-fake");

fn cassette(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rc-cassettes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// Runs a program off the test's runtime (the servers keep serving): code and stdout.
async fn program(bin: PathBuf, args: &[&str], env: Vec<(&'static str, String)>) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let output = Command::new(bin)
            .args(&args)
            .env_remove("ROCKETCHAT_URL")
            .env_remove("ROCKETCHAT_RECORD_FROM")
            .envs(env)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// A password login, so that the cassette has a login's secrets to keep out.
fn password_env(uri: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ROCKETCHAT_URL", uri.to_owned()),
        ("ROCKETCHAT_USER", DemoData::AGENT_USERNAME.to_owned()),
        ("ROCKETCHAT_PASSWORD", DemoData::AGENT_PASSWORD.to_owned()),
    ]
}

/// The secrets a recording saw, none of which may be in the file.
fn assert_no_secret(path: &Path, secrets: &[&str]) {
    let text = std::fs::read_to_string(path).unwrap();
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "`{secret}` is in {}",
            path.display()
        );
    }
}

/// Records one call from `upstream`, which fails as `says`: a 502 that says so, and no file.
async fn records_nothing(path: &Path, upstream: String, says: &str) {
    let recorder = CassetteServer::builder(path)
        .record_from(Some(upstream))
        .start()
        .await
        .unwrap();
    let answer = reqwest::get(format!("{}/api/v1/me", recorder.uri()))
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 502);
    assert!(answer.text().await.unwrap().contains(says));
    assert!(recorder.finish().await.is_err());
    assert!(!path.exists());
}

fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe().unwrap();
    deps.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_run_recorded_then_replayed_gives_the_same_results() {
    let path = cassette("cli.json");
    let args = [
        "conflicts",
        "resolve",
        "--policy",
        "take-incoming",
        "--leave",
        "manager",
    ];
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let recorder = CassetteServer::builder(&path)
        .record_from(Some(fake.uri()))
        .start()
        .await
        .unwrap();
    assert!(recorder.is_recording());
    let (code, recorded) = program(CLI.into(), &args, password_env(&recorder.uri())).await;
    assert_eq!(code, 0, "{recorded}");
    recorder.finish().await.unwrap();
    assert_no_secret(&path, &[DemoData::AGENT_PASSWORD]);
    let text = std::fs::read_to_string(&path).unwrap();
    // The login's password and the token it answered are there, scrubbed.
    assert!(text.contains(r#""password": "SCRUBBED""#), "{text}");
    assert!(text.contains(r#""authToken": "SCRUBBED""#), "{text}");
    assert!(text.contains("\"recordedFrom\""), "{text}");
    assert!(
        text.contains("\"version\""),
        "the server's /api/info is kept: {text}"
    );
    drop(fake);

    // No server behind it now: the cassette answers, whatever the password.
    let player = CassetteServer::builder(&path).start().await.unwrap();
    assert!(!player.is_recording());
    let mut env = password_env(&player.uri());
    env[2].1 = "not-the-password".into();
    let (code, replayed) = program(CLI.into(), &args, env).await;
    assert_eq!(code, 0, "{replayed}");
    let strip = |out: &str| -> String {
        // The last line carries the run's duration.
        out.lines()
            .filter(|l| !l.contains(" s"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&replayed), strip(&recorded));
    assert_eq!(
        player.finish().await.unwrap(),
        0,
        "every answer was asked for"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_recorded_through_the_fake_binary_replays_the_same() {
    let path = cassette("example.json");
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    let token = client.credentials().unwrap();
    let token_env = |uri: &str| {
        vec![
            ("ROCKETCHAT_URL", uri.to_owned()),
            ("ROCKETCHAT_USER_ID", DemoData::AGENT_ID.to_owned()),
            (
                "ROCKETCHAT_AUTH_TOKEN",
                token.auth_token().expose().to_owned(),
            ),
        ]
    };
    let args = [DemoData::CONTACT_ID, "--name", "Jane D."];
    let recorder = Standalone::start(&[
        "--record-from",
        &fake.uri(),
        "--cassette",
        path.to_str().unwrap(),
    ]);
    let (code, recorded) = program(
        example("resolve_conflicts"),
        &args,
        token_env(&recorder.uri),
    )
    .await;
    assert_eq!(code, 0, "{recorded}");
    assert_eq!(recorder.stop(), 0);
    assert_no_secret(&path, &[token.auth_token().expose()]);
    drop(fake);

    let player = Standalone::start(&["--replay", path.to_str().unwrap()]);
    let (code, replayed) =
        program(example("resolve_conflicts"), &args, token_env(&player.uri)).await;
    assert_eq!(code, 0, "{replayed}");
    assert_eq!(replayed, recorded);
    assert_eq!(player.stop(), 0);
}

/// `rocketchat-fake` in the background: the URL from its `listening` line.
struct Standalone {
    child: std::process::Child,
    uri: String,
}

impl Standalone {
    fn start(args: &[&str]) -> Self {
        use std::io::BufRead as _;
        let mut child = Command::new(FAKE)
            .args(args)
            .arg("--quiet")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let uri = line.trim().strip_prefix("listening ").unwrap().to_owned();
        Self { child, uri }
    }

    fn stop(mut self) -> i32 {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().unwrap().code().unwrap_or(-1)
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test]
async fn a_request_nothing_was_recorded_for_names_the_nearest() {
    let path = cassette("mismatch.json");
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let recorder = CassetteServer::builder(&path)
        .record_from(Some(fake.uri()))
        .scrub_key("address")
        .start()
        .await
        .unwrap();
    let client = |uri: String| {
        let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
        Client::builder(uri)
            .credentials(client.credentials().unwrap())
            .build()
            .unwrap()
    };
    let recording = client(recorder.uri());
    recording.get_contact(DemoData::CONTACT_ID).await.unwrap();
    recording.get_contact(DemoData::CONTACT_ID).await.unwrap();
    recorder.finish().await.unwrap();
    // The user's own scrubber: the contact's email address is not on disk either.
    assert_no_secret(&path, &["jane.doe@example.com"]);

    let player = CassetteServer::builder(&path)
        .scrub_key("address")
        .start()
        .await
        .unwrap();
    let replaying = client(player.uri());
    // Identical requests replay in recorded order, then run out.
    replaying.get_contact(DemoData::CONTACT_ID).await.unwrap();
    replaying.get_contact(DemoData::CONTACT_ID).await.unwrap();
    let error = replaying
        .get_contact(DemoData::CONTACT_ID)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("every answer was used"),
        "{error}"
    );
    let error = replaying.get_contact("someoneElse").await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500), "{error}");
    let text = error.response().unwrap().body_text().into_owned();
    assert!(
        text.contains(
            "nothing was recorded for GET /api/v1/omnichannel/contacts.get?contactId=someoneElse"
        ),
        "{text}"
    );
    assert!(
        text.contains("the nearest recorded request is GET /api/v1/omnichannel/contacts.get"),
        "{text}"
    );
    assert!(text.contains("query (recorded with contactId="), "{text}");
}

#[tokio::test]
async fn a_recording_that_lost_an_exchange_writes_nothing() {
    let path = cassette("failed.json");
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let recorder = CassetteServer::builder(&path)
        .record_from(Some(fake.uri()))
        .start()
        .await
        .unwrap();
    let client = Client::builder(recorder.uri())
        .credentials(
            fake.client_for(&DemoData::AGENT_ID.into())
                .unwrap()
                .credentials()
                .unwrap(),
        )
        .build()
        .unwrap();
    client.get_contact(DemoData::CONTACT_ID).await.unwrap();
    fake.inject_faults(1, Fault::drop_connection());
    let error = client.get_contact(DemoData::CONTACT_ID).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502), "{error}");
    assert!(error.to_string().contains("recording: GET "), "{error}");
    let error = recorder.finish().await.unwrap_err();
    assert!(error.to_string().contains("not written"), "{error}");
    assert!(!path.exists(), "no half cassette");
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("failed.json"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // An answer cut short mid-body.
    let upstream = crate::common::raw_server::start(|mut stream| async move {
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n";
        let cut = format!("{head}{{\"contact\":");
        crate::common::raw_server::write(&mut stream, cut.as_bytes()).await;
    })
    .await;
    records_nothing(&path, upstream, "the answer was cut short").await;

    // An upstream that is down: reported, nothing written.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    records_nothing(
        &path,
        format!("http://127.0.0.1:{port}"),
        "could not be reached",
    )
    .await;

    // And a cassette that is not there says how to make one.
    let error = CassetteServer::builder(&path).start().await.unwrap_err();
    assert!(error.to_string().contains("record it first"), "{error}");
}

#[tokio::test]
async fn normalised_recordings_differ_only_where_the_server_did() {
    let record = |name: &'static str| async move {
        let path = cassette(name);
        let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
        let recorder = CassetteServer::builder(&path)
            .record_from(Some(fake.uri()))
            .normalize(true)
            .start()
            .await
            .unwrap();
        let client = Client::builder(recorder.uri())
            .credentials(
                fake.client_for(&DemoData::AGENT_ID.into())
                    .unwrap()
                    .credentials()
                    .unwrap(),
            )
            .build()
            .unwrap();
        // A contact the server creates: a new id and new timestamps every time.
        let created = client.create_contact("Zoe Recorded").await.unwrap();
        client.get_contact(created).await.unwrap();
        recorder.finish().await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        (path, text)
    };
    let (path, first) = record("stable-1.json").await;
    let (_, second) = record("stable-2.json").await;
    // Two servers (their ports differ), the same cassette otherwise.
    let without_origin = |text: &str| -> String {
        text.lines()
            .filter(|l| !l.contains("\"recordedFrom\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_origin(&first), without_origin(&second));
    assert!(first.contains("Sat, 01 Jan 2000 00:00:"), "{first}");
    assert!(first.contains("id-0001"), "{first}");
    assert!(first.contains("2000-01-01T00:00:"), "{first}");

    // It still replays: the id the answer gave is the one the next request carries.
    let player = CassetteServer::builder(&path).start().await.unwrap();
    let client = Client::builder(player.uri())
        .credentials(rocketchat_omnichannel::Credentials::token("u", "t"))
        .build()
        .unwrap();
    let created = client.create_contact("Zoe Recorded").await.unwrap();
    assert_eq!(created.as_str(), "id-0001");
    client.get_contact(created).await.unwrap();
}
