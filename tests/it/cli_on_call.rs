//! `rocketchat-contacts` in pipes, scripts and on call (issue 38): a closed pipe ends every
//! command quietly, a lasting 403 is told once and probed once per back-off, the manager is
//! shown by username, `--keep` keeps a field, watch lines tell what is new and what waits,
//! an HTML error is one line, and the small things it said that were not so.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rocketchat_omnichannel::testing::{DemoData, Visitor};

use crate::cli_messages::{borrowed, cli, demo, token_env};
use crate::common::raw_server;
use crate::permissions::read_only_agents;

const BIN: &str = env!("CARGO_BIN_EXE_rocketchat-contacts");

/// Runs the CLI with its stdout a pipe whose reader has already gone (what `| head` leaves
/// once it has its lines): the exit code and what it said on stderr.
async fn into_a_closed_pipe(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args(&args)
            .env_remove("ROCKETCHAT_URL")
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        (status.code().unwrap_or(-1), err)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_ends_every_command_quietly_the_same_way() {
    let fake = demo().await;
    let env = token_env(&fake);
    let env = borrowed(&env);
    let plan = std::env::temp_dir().join(format!("pipe-plan-{}.json", std::process::id()));
    let commands: [&[&str]; 6] = [
        &["conflicts", "list"],
        &["conflicts", "list", "--output", "json"],
        &["conflicts", "resolve", "--policy", "leave-all", "--dry-run"],
        &[
            "conflicts",
            "watch",
            "--policy",
            "leave-all",
            "--interval",
            "50ms",
            "--passes",
            "3",
        ],
        &[
            "conflicts",
            "plan",
            "--policy",
            "keep-current",
            "--out",
            plan.to_str().unwrap(),
        ],
        &["contact", "get", DemoData::CONTACT_ID],
    ];
    for args in commands {
        let started = Instant::now();
        let (code, err) = into_a_closed_pipe(args, &env).await;
        assert_eq!(code, 141, "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}: nothing said on stderr");
        assert!(started.elapsed() < Duration::from_secs(20), "{args:?}");
    }
    let _ = std::fs::remove_file(&plan);
    // The dry runs resolved nothing.
    assert_eq!(fake.conflicted_contacts().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lasting_403_is_told_once_names_the_permission_and_backs_off() {
    let fake = read_only_agents().await;
    let url = fake.uri();
    let env = [
        ("ROCKETCHAT_URL", url.as_str()),
        ("ROCKETCHAT_USER_ID", "agent1"),
        ("ROCKETCHAT_AUTH_TOKEN", "pat-agent"),
    ];
    let (code, out, _) = cli(
        &[
            "conflicts",
            "watch",
            "--policy",
            "keep-current",
            "--interval",
            "20ms",
            "--passes",
            "4",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 1, "{out}");
    let needs = "the route needs `update-livechat-contact`";
    let pass1 = out.lines().find(|l| l.starts_with("pass 1: ")).unwrap();
    assert!(pass1.contains(needs), "{out}");
    assert!(pass1.contains("backing off: next try in"), "{out}");
    for pass in 2..=4 {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("pass {pass}: ")))
            .unwrap();
        assert!(
            line.starts_with(&format!("pass {pass}: still refused")),
            "{out}"
        );
    }
    // Told in pass 1 only: its failed contacts and its pass line.
    let failed_lines = out.lines().filter(|l| l.starts_with("failed ")).count();
    assert_eq!(
        out.matches(needs).count(),
        failed_lines + 1,
        "said once, in the first pass: {out}"
    );
    // Pass 1 sent at most one call per worker; each later pass one probe.
    let resolves = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.conflicts"))
        .count();
    assert_eq!(resolves, failed_lines + 3, "{out}");

    // A single call names the permission too.
    let (code, out, _) = cli(&["conflicts", "resolve", "--policy", "keep-current"], &env).await;
    assert_eq!(code, 1);
    assert!(out.contains(needs), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manager_is_shown_by_username_and_kept_with_keep() {
    let fake = read_only_agents().await;
    let url = fake.uri();
    // The manager may update.
    let env = [
        ("ROCKETCHAT_URL", url.as_str()),
        ("ROCKETCHAT_USER_ID", "manager1"),
        ("ROCKETCHAT_AUTH_TOKEN", "pat-manager"),
    ];
    assert!(
        fake.merge_visitor(
            &"c1".into(),
            Visitor::new()
                .name("Jane from the widget")
                .contact_manager("manager1"),
        )
    );
    let (code, out, _) = cli(&["conflicts", "list"], &env).await;
    assert_eq!(code, 0, "{out}");
    let manager_row = out.lines().find(|l| l.contains(" manager ")).unwrap();
    assert!(manager_row.contains("ana.agent"), "{out}");
    assert!(!manager_row.contains(" agent1 "), "{out}");
    let (_, json, _) = cli(&["conflicts", "list", "--output", "json"], &env).await;
    assert!(
        json.contains(r#""current": "agent1""#),
        "ids in JSON: {json}"
    );

    let plan = std::env::temp_dir().join(format!("keep-{}.json", std::process::id()));
    let (code, out, _) = cli(
        &[
            "conflicts",
            "plan",
            "--policy",
            "take-incoming",
            "--keep",
            "manager",
            "--out",
            plan.to_str().unwrap(),
        ],
        &env,
    )
    .await;
    let _ = std::fs::remove_file(&plan);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("manager: keep ana.agent (agent1)"), "{out}");
    assert!(out.contains("name: Jane → Jane from the widget"), "{out}");

    let (code, out, _) = cli(
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--keep",
            "manager",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let jane = fake.contact_json(&"c1".into()).unwrap();
    assert_eq!(jane["contactManager"], "agent1", "kept");
    assert_eq!(jane["name"], "Jane from the widget", "taken");

    let (code, _, err) = cli(
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--keep",
            "name",
            "--leave",
            "name",
        ],
        &env,
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`name` is both kept"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_lines_say_what_is_new_and_what_waits() {
    let fake = demo().await;
    let env = token_env(&fake);
    let (code, out, _) = cli(
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
        ],
        &borrowed(&env),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("pass 1: ") && l.contains("; 1 contact waits for a person")),
        "{out}"
    );
    for pass in [2, 3] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("pass {pass}: ")))
            .unwrap();
        assert!(
            line.starts_with(&format!(
                "pass {pass}: nothing new; 1 contact waits for a person"
            )),
            "{out}"
        );
    }
    assert!(!out.contains("no conflicts"), "{out}");
    assert_eq!(
        out.matches("left for a person: manager").count(),
        1,
        "reported once: {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_error_is_one_line_and_v_shows_the_page() {
    let page = "<!DOCTYPE HTML>\n<html>\n<head>\n<title>502 Bad Gateway</title>\n</head>\n\
                <body>\n<h1>Bad Gateway</h1>\n<p>upstream\nfailed</p>\n<hr>\n</body>\n</html>\n";
    let url = raw_server::start(move |mut stream| async move {
        raw_server::write(
            &mut stream,
            &raw_server::answer(502, "text/html", page.as_bytes()),
        )
        .await;
    })
    .await;
    let env = [
        ("ROCKETCHAT_URL", url.as_str()),
        ("ROCKETCHAT_USER_ID", "u1"),
        ("ROCKETCHAT_AUTH_TOKEN", "t1"),
    ];
    let (code, _, err) = cli(&["contact", "get", "c1"], &env).await;
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].contains("HTML page: 502 Bad Gateway"), "{err}");
    assert_eq!(lines[1], "(-v prints the server's whole answer)", "{err}");

    let (_, _, err) = cli(&["-v", "contact", "get", "c1"], &env).await;
    assert!(err.contains("<h1>Bad Gateway</h1>"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_does_not_resolve_is_named_before_any_http_advice() {
    let host = "localhots.invalid";
    // This machine's resolver decides what can be promised: a name it refuses at once is
    // named; one it cannot answer within the CLI's wait falls back to the other advice.
    let started = Instant::now();
    let refused = tokio::net::lookup_host((host, 3100)).await.is_err()
        && started.elapsed() < Duration::from_secs(2);
    let url = format!("http://{host}:3100");
    let (code, _, err) = cli(
        &["conflicts", "list"],
        &[
            ("ROCKETCHAT_URL", url.as_str()),
            ("ROCKETCHAT_USER_ID", "u1"),
            ("ROCKETCHAT_AUTH_TOKEN", "t1"),
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    if refused {
        assert!(
            err.starts_with(
                "error: the host `localhots.invalid` in ROCKETCHAT_URL does not resolve"
            ),
            "{err}"
        );
        assert!(!err.contains("insecure"), "{err}");
    } else {
        assert!(err.contains("plain http"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_apply_undo_and_help_say_is_so() {
    let fake = demo().await;
    let env = token_env(&fake);
    let env = borrowed(&env);
    let dir = std::env::temp_dir();
    let id = std::process::id();
    let plan = dir.join(format!("untruths-plan-{id}.json"));
    let journal = dir.join(format!("untruths-journal-{id}.jsonl"));
    let (plan_s, journal_s) = (plan.to_str().unwrap(), journal.to_str().unwrap());

    // A plan that leaves Jane for a person; someone resolves her before it is applied.
    let (code, out, _) = cli(
        &[
            "conflicts",
            "plan",
            "--policy",
            "keep-current",
            "--leave-contact-if",
            "manager",
            "--out",
            plan_s,
        ],
        &env,
    )
    .await;
    assert_eq!(code, 0, "{out}");
    fake.client_for(&DemoData::AGENT_ID.into())
        .unwrap()
        .resolve_contact_conflicts(DemoData::CONTACT_ID)
        .wipe_conflicts(true)
        .await
        .unwrap();
    let (code, out, _) = cli(
        &["conflicts", "apply", plan_s, "--journal", journal_s],
        &env,
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "nothing to do {}: no conflicts left",
            DemoData::CONTACT_ID
        )),
        "{out}"
    );
    assert!(!out.contains("left for a person"), "{out}");

    // Undo of a run that kept every value: each contact says so, no bare heading.
    let (code, out, _) = cli(&["conflicts", "undo", journal_s], &env).await;
    assert_eq!(code, 0, "{out}");
    for line in out
        .lines()
        .filter(|l| !l.starts_with("  ") && !l.starts_with("undo:"))
    {
        assert!(!line.ends_with(':'), "a bare heading: {out}");
    }
    assert!(
        out.contains("no value to put back (the run changed none)"),
        "{out}"
    );
    let _ = std::fs::remove_file(&plan);
    let _ = std::fs::remove_file(&journal);

    let (code, out, _) = cli(&["--help"], &[]).await;
    assert_eq!(code, 0);
    assert!(
        out.contains("list, resolve, watch, plan, apply, review, undo"),
        "{out}"
    );
    let (_, out, _) = cli(&["conflicts", "review", "--help"], &[]).await;
    assert!(out.contains("not from a plan file"), "{out}");
}
