//! The bot in production (issue 35): `/metrics` agrees with what the fake saw, readiness
//! turns while liveness stays, JSON logs parse and never carry a visitor's value, the digest
//! reaches the room once per state, a second writer is refused by name, and bad settings stop
//! the tool at start with exit code 2.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, Fault};
use serde_json::Value;

use crate::cli_messages::{borrowed, cli, demo, token_env};

const BIN: &str = env!("CARGO_BIN_EXE_rocketchat-contacts");

/// The CLI running in the background, its stderr read line by line.
struct Running {
    child: Child,
    stderr: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .env_remove("ROCKETCHAT_URL")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (send, stderr) = mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stderr,
            seen: Vec::new(),
        }
    }

    /// The first stderr line `wanted` accepts, within 30 s.
    fn line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no such line on stderr: {:#?}", self.seen),
            }
        }
    }

    fn stop(mut self) -> (i32, Vec<String>) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        let rest: Vec<String> = self.stderr.try_iter().collect();
        self.seen.extend(rest);
        (status.code().unwrap_or(-1), std::mem::take(&mut self.seen))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn get(url: &str) -> (u16, String) {
    let answer = reqwest::get(url).await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// The value of one sample line (`name{labels} value`) of a Prometheus scrape.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

async fn until(url: &str, status: u16) -> String {
    let started = Instant::now();
    loop {
        let (got, body) = get(url).await;
        if got == status {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{url} stayed {got}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_agree_with_the_server_and_readiness_turns_while_liveness_stays() {
    let fake = FakeRocketChat::builder()
        .demo_data()
        .record_requests(10_000)
        .start()
        .await
        .unwrap();
    let env = token_env(&fake);
    let mut bot = Running::start(
        &[
            "conflicts",
            "watch",
            "--policy",
            "take-incoming",
            "--interval",
            "100ms",
            "--metrics-addr",
            "127.0.0.1:0",
        ],
        &borrowed(&env),
    );
    let line = bot.line(|l| l.starts_with("metrics on http://"));
    let base = line
        .strip_prefix("metrics on ")
        .and_then(|l| l.strip_suffix("/metrics (also /livez, /readyz)"))
        .unwrap()
        .to_owned();
    assert_eq!(get(&format!("{base}/livez")).await.0, 200);
    until(&format!("{base}/readyz"), 200).await;
    // Two passes at least, so the figures have settled.
    let started = Instant::now();
    let scrape = loop {
        let (_, scrape) = get(&format!("{base}/metrics")).await;
        if sample(&scrape, r#"rocketchat_contacts_passes_total{result="ok"}"#).unwrap_or(0.0) >= 2.0
        {
            break scrape;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{scrape}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let requests = fake.requests();
    let answered = |path: &str, status: u16| {
        requests
            .iter()
            .filter(|r| r.path.ends_with(path) && r.status == Some(status))
            .count() as f64
    };
    assert_eq!(
        sample(&scrape, "rocketchat_contacts_resolved_total"),
        Some(3.0),
        "{scrape}"
    );
    assert_eq!(
        sample(
            &scrape,
            r#"rocketchat_contacts_api_calls_total{route="omnichannel/contacts.conflicts",status="200"}"#
        ),
        Some(answered("omnichannel/contacts.conflicts", 200)),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, "rocketchat_contacts_waiting_for_person"),
        Some(0.0)
    );
    assert!(
        scrape.contains("rocketchat_contacts_pass_duration_seconds"),
        "{scrape}"
    );
    assert!(
        sample(
            &scrape,
            "rocketchat_contacts_last_ok_pass_timestamp_seconds"
        )
        .unwrap()
            > 1.0e9,
        "{scrape}"
    );
    assert!(
        scrape.contains(&format!(
            r#"rocketchat_contacts_build_info{{version="{}"}} 1"#,
            env!("CARGO_PKG_VERSION")
        )),
        "{scrape}"
    );
    for id in [DemoData::CONTACT_ID, DemoData::AGENT_ID, "Jane"] {
        assert!(!scrape.contains(id), "no id or name in a label: {scrape}");
    }

    // Rocket.Chat stops answering: not ready, still alive.
    fake.inject_faults(100_000, Fault::drop_connection());
    let why = until(&format!("{base}/readyz"), 503).await;
    assert!(why.starts_with("not ready: "), "{why}");
    assert_eq!(get(&format!("{base}/livez")).await.0, 200);
    let (code, _) = bot.stop();
    assert_eq!(code, 1, "the pass the signal cut short had failed");
}

/// A workspace whose visitors typed things no log may show.
const VISITOR_VALUES: [&str; 5] = [
    "Zyxwv Visitorname",
    "Qwrtp Othername",
    "secret.visitor@example.com",
    "+5511977776666",
    "CPF-998877",
];

const SEED: &str = r#"{
  "users": [{"_id": "bot1", "username": "bot", "password": "pw", "roles": ["user", "livechat-agent"]}],
  "personalAccessTokens": [{"userId": "bot1", "token": "pat-bot"}],
  "customFields": [{"_id": "cpf", "label": "CPF", "scope": "visitor", "visibility": "visible"}],
  "contacts": [
    {"_id": "c1", "name": "Zyxwv Visitorname", "unknown": false,
     "emails": [{"address": "secret.visitor@example.com"}], "phones": [{"phoneNumber": "+5511977776666"}],
     "customFields": {"cpf": "CPF-998877"},
     "conflictingFields": [{"field": "name", "value": "Qwrtp Othername"},
                           {"field": "customFields.cpf", "value": "CPF-112233"}]}
  ]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_parse_as_json_and_never_show_a_visitors_value() {
    for format in ["json", "text"] {
        let fake = FakeRocketChat::builder()
            .seed_json(SEED)
            .unwrap()
            .start()
            .await
            .unwrap();
        let url = fake.uri();
        let (code, _, err) = cli(
            &[
                "conflicts",
                "watch",
                "--policy",
                "take-incoming",
                "--interval",
                "50ms",
                "--passes",
                "2",
                "--log-format",
                format,
            ],
            &[
                ("ROCKETCHAT_URL", url.as_str()),
                ("ROCKETCHAT_USER_ID", "bot1"),
                ("ROCKETCHAT_AUTH_TOKEN", "pat-bot"),
                ("RUST_LOG", "rocketchat_omnichannel=trace"),
            ],
        )
        .await;
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("c1"), "the contact is named by id: {err}");
        for value in VISITOR_VALUES.iter().chain(&["CPF-112233"]) {
            assert!(!err.contains(value), "{format} logs show `{value}`: {err}");
        }
        if format == "json" {
            let mut outcomes = 0;
            for line in err.lines() {
                let event: Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if event["fields"]["outcome"] == "resolved" {
                    assert_eq!(event["fields"]["contact_id"], "c1", "{line}");
                    assert_eq!(
                        event["fields"]["written"], "name,customFields.cpf",
                        "{line}"
                    );
                    outcomes += 1;
                }
            }
            assert_eq!(outcomes, 1, "{err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_is_told_once_in_the_room() {
    let fake = demo().await;
    let env = token_env(&fake);
    let (code, out, err) = cli(
        &[
            "conflicts",
            "watch",
            "--policy",
            "take-incoming",
            "--leave",
            "manager",
            "--interval",
            "50ms",
            "--passes",
            "3",
            "--notify-room",
            "#general",
        ],
        &borrowed(&env),
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let messages = fake.messages();
    assert_eq!(messages.len(), 2, "a hello and one digest: {messages:#?}");
    assert!(messages.iter().all(|m| m["rid"] == "GENERAL"));
    let digest = messages[1]["msg"].as_str().unwrap();
    assert!(
        digest.starts_with("1 contact(s) newly waiting for a person (pass 1):"),
        "{digest}"
    );
    assert!(
        digest.contains(&format!(
            "- `{id}`: manager — {}/omnichannel-directory/contacts/details/{id}",
            fake.uri(),
            id = DemoData::CONTACT_ID
        )),
        "{digest}"
    );

    // A room that does not exist is found at start.
    let (code, _, err) = cli(
        &[
            "conflicts",
            "watch",
            "--policy",
            "take-incoming",
            "--notify-room",
            "#no-such-room",
        ],
        &borrowed(&env),
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no room has this id or name"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_is_refused_by_name_and_bad_settings_stop_at_start() {
    let fake = demo().await;
    let env = token_env(&fake);
    let journal = std::env::temp_dir().join(format!("one-writer-{}.jsonl", std::process::id()));
    let journal_s = journal.to_str().unwrap().to_owned();
    let watch = |journal: &str| {
        vec![
            "conflicts".to_owned(),
            "watch".into(),
            "--policy".into(),
            "keep-current".into(),
            "--interval".into(),
            "50ms".into(),
            "--journal".into(),
            journal.into(),
        ]
    };
    let args = watch(&journal_s);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = Running::start(&args, &borrowed(&env));
    // Wait until it holds the journal.
    let started = Instant::now();
    while std::fs::metadata(&journal).map_or(0, |m| m.len()) == 0
        && started.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (code, _, err) = cli(&args, &borrowed(&env)).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("is in use (by pid {} on ", first.child.id())),
        "{err}"
    );
    let (code, _) = first.stop();
    assert_eq!(code, 0);
    let _ = std::fs::remove_file(&journal);
    let _ = std::fs::remove_file(format!("{journal_s}.owner"));

    // Bad settings: exit code 2, before anything is sent.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    for (extra, env_extra, says) in [
        (vec!["--metrics-addr", "nonsense"], None, "is not HOST:PORT"),
        (
            vec!["--metrics-addr", taken.as_str()],
            None,
            "cannot listen on",
        ),
        (vec!["--log-format", "xml"], None, "invalid value 'xml'"),
        (vec![], Some(("RUST_LOG", "=[[[")), "RUST_LOG"),
    ] {
        let mut args = vec!["conflicts", "watch", "--policy", "keep-current"];
        args.extend(extra);
        let mut env = borrowed(&env);
        env.extend(env_extra);
        let before = fake.requests().len();
        let (code, _, err) = cli(&args, &env).await;
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(fake.requests().len(), before, "{args:?}: nothing sent");
    }
}
