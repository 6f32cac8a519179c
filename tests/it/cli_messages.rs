//! The messages a new user of `rocketchat-contacts` reads first (issue 24 #9): each names
//! what happened and what to do, once, without contradicting itself.

use std::process::Command;
use std::time::Duration;

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, Fault, Visitor};
use rocketchat_omnichannel::workflow::Policy;
use rocketchat_omnichannel::{Client, Credentials, ResolveConflictsError};

const BIN: &str = env!("CARGO_BIN_EXE_rocketchat-contacts");

/// Runs the CLI off this test's runtime (the fake keeps serving) with these variables.
pub(crate) async fn cli(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let output = Command::new(BIN)
            .args(&args)
            .env_remove("ROCKETCHAT_URL")
            .envs(env)
            .output()
            .unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    })
    .await
    .unwrap()
}

pub(crate) async fn demo() -> FakeRocketChat {
    FakeRocketChat::builder().demo_data().start().await.unwrap()
}

pub(crate) fn token_env(fake: &FakeRocketChat) -> Vec<(&'static str, String)> {
    vec![
        ("ROCKETCHAT_URL", fake.uri()),
        ("ROCKETCHAT_USER_ID", DemoData::AGENT_ID.to_owned()),
        ("ROCKETCHAT_AUTH_TOKEN", DemoData::AGENT_TOKEN.to_owned()),
    ]
}

pub(crate) fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_says_the_login_was_refused() {
    let fake = demo().await;
    let url = fake.uri();
    let (code, _, err) = cli(
        &["conflicts", "list"],
        &[
            ("ROCKETCHAT_URL", &url),
            ("ROCKETCHAT_USER", DemoData::AGENT_USERNAME),
            ("ROCKETCHAT_PASSWORD", "not-the-password"),
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("login refused: check the user name and password"),
        "{err}"
    );
    assert!(!err.contains("not-the-password"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_error_names_the_server() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/some/path");
    let (code, _, err) = cli(
        &["conflicts", "list"],
        &[
            ("ROCKETCHAT_URL", &url),
            ("ROCKETCHAT_USER_ID", "u"),
            ("ROCKETCHAT_AUTH_TOKEN", "t"),
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("(server: http://127.0.0.1:{port})")),
        "{err}"
    );
    assert!(!err.contains("/some/path"), "only the origin: {err}");
}

#[tokio::test]
async fn a_429_says_when_to_retry_without_the_bodys_own_figure() {
    let fake = FakeRocketChat::builder()
        .demo_data()
        .rate_limit(1, Duration::from_secs(5))
        .start()
        .await
        .unwrap();
    let client = Client::builder(fake.uri())
        .credentials(Credentials::token(
            DemoData::AGENT_ID,
            DemoData::AGENT_TOKEN,
        ))
        .build()
        .unwrap();
    let jane = || {
        client
            .resolve_contact_conflicts(DemoData::CONTACT_ID)
            .wipe_conflicts(true)
    };
    jane().await.unwrap();
    let error = jane().await.unwrap_err();
    assert!(
        matches!(error, ResolveConflictsError::RateLimited { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("rate limited by the server: retry in "),
        "{text}"
    );
    assert!(
        text.ends_with("(server answered 429 Too Many Requests)"),
        "{text}"
    );
    assert!(
        !text.contains("You must wait"),
        "two figures would disagree: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_left_for_a_human_names_its_fields_and_the_dry_run_agrees() {
    let fake = demo().await;
    let env = token_env(&fake);
    let (code, out, _) = cli(
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--leave-contact-if",
            "manager",
        ],
        &borrowed(&env),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("left for a person demoContactJane1: name, manager, customFields.cpf\n"),
        "{out}"
    );
    assert!(!out.contains("keep current values"), "{out}");

    let fake = demo().await;
    let env = token_env(&fake);
    let (_, out, _) = cli(
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--leave",
            "manager",
            "--dry-run",
        ],
        &borrowed(&env),
    )
    .await;
    assert!(out.contains("left for a person: manager"), "{out}");
    assert!(
        out.ends_with(
            "dry run: 3 contact(s) would be resolved (1 of them partly: some fields left for \
             a person), 0 left entirely for a person\n"
        ),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_table_keeps_its_columns_and_the_summary_fits_a_terminal() {
    let fake = demo().await;
    let long = fake.add_contact_named("Maria da Conceição Albuquerque Figueiredo");
    fake.merge_visitor(
        &long,
        Visitor::new().name("Maria C. A. Figueiredo de Souza Lima"),
    );
    let env = token_env(&fake);
    let (code, out, _) = cli(&["conflicts", "list"], &borrowed(&env)).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    let column = |line: &str, at: usize| line.chars().skip(at).take(1).collect::<String>();
    let header = lines[0];
    let field_at = header.find("FIELD").unwrap();
    for line in lines.iter().skip(1).filter(|l| l.contains("name ")) {
        // Every row has its FIELD cell where the header has it.
        assert_eq!(column(line, field_at), "n", "{out}");
    }
    assert!(out.contains("Maria da Conceição…  name"), "{out}");

    let (_, out, _) = cli(
        &["conflicts", "resolve", "--policy", "take-incoming"],
        &borrowed(&env),
    )
    .await;
    let summary = out.lines().rev().nth(1).unwrap();
    assert!(summary.chars().count() <= 80, "{summary}");
    assert_eq!(summary, "4 seen: 4 resolved; 0 left conflicted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_fails_for_every_listing_is_reported_once() {
    let fake = demo().await;
    let url = fake.uri();
    let (code, out, _) = cli(
        &["conflicts", "resolve", "--policy", "take-incoming"],
        &[
            ("ROCKETCHAT_URL", &url),
            ("ROCKETCHAT_USER_ID", "nobody"),
            ("ROCKETCHAT_AUTH_TOKEN", "revoked"),
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(out.matches("could not list contacts").count(), 1, "{out}");
    let searches = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.search"))
        .count();
    assert_eq!(
        searches, 1,
        "the second listing is not asked the same question"
    );
    // A failure that may pass (a 502 from a proxy on the first probe) loses nothing: the
    // walk asks again itself and the run completes.
    fake.inject_faults(1, Fault::html(502));
    let client = Client::builder(fake.uri())
        .credentials(Credentials::token(
            DemoData::AGENT_ID,
            DemoData::AGENT_TOKEN,
        ))
        .build()
        .unwrap();
    let summary = client.resolve_all(Policy::take_incoming()).run().await;
    assert!(summary.complete, "{summary:?}");
    assert_eq!(summary.resolved, 3, "{summary:?}");
    assert!(fake.conflicted_contacts().is_empty());
}
