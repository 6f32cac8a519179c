//! `rocketchat-contacts` end to end against the fake server: output and exit codes.

use std::process::{Command, Output};

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, Visitor};

const BIN: &str = env!("CARGO_BIN_EXE_rocketchat-contacts");

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(BIN);
    command.args(args).env_remove("ROCKETCHAT_URL");
    for (key, value) in env {
        command.env(key, value);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the binary runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

/// Runs the CLI in a thread, so the fake server keeps serving on this test's runtime.
async fn run_against(
    fake: &FakeRocketChat,
    args: &'static [&'static str],
) -> (i32, String, String) {
    let url = fake.uri();
    tokio::task::spawn_blocking(move || {
        run(
            args,
            &[
                ("ROCKETCHAT_URL", url.as_str()),
                ("ROCKETCHAT_USER_ID", DemoData::AGENT_ID),
                ("ROCKETCHAT_AUTH_TOKEN", DemoData::AGENT_TOKEN),
            ],
        )
    })
    .await
    .unwrap()
}

#[test]
fn demo_list_shows_a_table_and_json() {
    let (code, out, _) = run(&["--demo", "conflicts", "list"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("demoContactJane1") && out.contains("customFields.cpf"),
        "{out}"
    );
    assert!(out.contains("3 contact(s) with conflicts"), "{out}");
    assert!(!out.contains("demoContactMaria"), "{out}");

    let (code, out, _) = run(&["--demo", "--output", "json", "conflicts", "list"], &[]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    let jane = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == DemoData::CONTACT_ID)
        .unwrap();
    assert_eq!(
        jane["conflicts"][0],
        serde_json::json!({"field": "name", "current": "Jane Doe", "candidates": ["Jane D."]})
    );
}

#[test]
fn demo_dry_run_prints_plans_and_a_summary() {
    let (code, out, _) = run(
        &[
            "--demo",
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--dry-run",
        ],
        &[],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("would resolve demoContactJane1: set name=Jane D., manager=demoAgent0000002"),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("dry run: 3 contact(s) would be resolved, 0 left entirely for a person"),
        "{out}"
    );
}

#[test]
fn contact_get_prints_text_or_json_or_fails() {
    let (code, out, _) = run(&["--demo", "contact", "get", DemoData::CONTACT_ID], &[]);
    assert_eq!(code, 0);
    assert!(out.contains("name:     Jane Doe"), "{out}");
    assert!(
        out.contains("conflict: name could also be Jane D."),
        "{out}"
    );
    let (code, out, _) = run(
        &[
            "--demo",
            "contact",
            "get",
            "--output",
            "json",
            DemoData::CLEAN_CONTACT_ID,
        ],
        &[],
    );
    assert_eq!(code, 0);
    let contact: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(contact["name"], "Maria Silva");
    let (code, _, err) = run(&["--demo", "contact", "get", "nope"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("no contact has this id"), "{err}");
}

#[test]
fn missing_connection_settings_are_explained() {
    let (code, _, err) = run(&["conflicts", "list"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("ROCKETCHAT_URL"), "{err}");
    let (code, _, err) = run(&["conflicts", "resolve", "--policy", "sometimes"], &[]);
    assert_eq!(code, 2, "usage error");
    assert!(err.contains("keep-current"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_against_a_server_then_nothing_is_left() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let (code, out, _) = run_against(
        &fake,
        &[
            "conflicts",
            "resolve",
            "--policy",
            "keep-current",
            "--concurrency",
            "2",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("3 seen: 3 resolved; 0 left conflicted\n"),
        "{out}"
    );
    assert!(out.contains("2 walk(s), 0 rate-limited answer(s)"), "{out}");
    assert!(
        out.lines().filter(|l| l.starts_with("resolved ")).count() == 3,
        "plain lines when not a terminal: {out}"
    );
    let (code, out, _) = run_against(&fake, &["conflicts", "list"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("no contact has conflicts"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_contact_makes_the_exit_code_non_zero() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let id = fake.add_contact_named("Zed");
    let mut zed = fake.contact_json(&id).unwrap();
    zed.insert(
        "contactManager".into(),
        serde_json::json!(DemoData::AGENT_ID),
    );
    fake.add_contact_json(zed);
    // A user who is not an agent: the merger keeps only managers that exist as users.
    fake.add_user(rocketchat_omnichannel::testing::FakeUser::new("plain").id("not-an-agent"));
    fake.merge_visitor(&id, Visitor::new().contact_manager("not-an-agent"));
    let (code, out, _) = run_against(
        &fake,
        &["conflicts", "resolve", "--policy", "take-incoming"],
    )
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "failed {id}: the contact manager must be the user id of a livechat agent"
        )),
        "{out}"
    );
    assert!(
        out.contains("4 seen: 3 resolved, 1 failed; 1 left conflicted"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_a_field_reports_partly_resolved_and_succeeds() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let (code, out, _) = run_against(
        &fake,
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--leave",
            "name",
        ],
    )
    .await;
    assert_eq!(code, 0, "fields left for a human are not failures: {out}");
    assert!(
        out.contains("partly resolved demoContactJane1: set manager=demoAgent0000002"),
        "{out}"
    );
    assert!(out.contains("; left for a person: name"), "{out}");
    assert!(out.contains("; 0 left conflicted\n"), "{out}");
    let jane = fake.contact(&DemoData::CONTACT_ID.into()).unwrap();
    assert_eq!(jane.name.as_deref(), Some("Jane Doe"));
    assert_eq!(jane.conflicting_fields.len(), 1, "the name conflict stays");
    let (code, out, _) = run_against(&fake, &["conflicts", "list", "--output", "json"]).await;
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        rows.as_array().unwrap().iter().all(|r| r["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["field"] == "name")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leave_contact_if_leaves_the_whole_contact_to_a_human() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let (code, out, _) = run_against(
        &fake,
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--leave-contact-if",
            "manager",
        ],
    )
    .await;
    assert_eq!(
        code, 0,
        "a contact left for a human is not a failure: {out}"
    );
    assert!(out.contains("demoContactJane1"), "{out}");
    assert!(!out.contains("resolved demoContactJane1"), "{out}");
    assert!(out.contains("resolved demoContactAna01"), "{out}");
    assert!(out.contains("1 left for a person"), "{out}");
    let jane = fake.contact(&DemoData::CONTACT_ID.into()).unwrap();
    assert_eq!(jane.name.as_deref(), Some("Jane Doe"), "not even the name");
    assert_eq!(jane.conflicting_fields.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_runs_passes_and_reports_each() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let (code, out, _) = run_against(
        &fake,
        &[
            "conflicts",
            "watch",
            "--policy",
            "keep-current",
            "--interval",
            "50ms",
            "--passes",
            "2",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("resolved ")).count(),
        3,
        "{out}"
    );
    assert!(out.contains("pass 1: 3 seen: 3 resolved"), "{out}");
    assert!(
        out.contains("[full (first pass); next full pass in "),
        "{out}"
    );
    // The second pass walks only what changed since the first and finds nothing.
    assert!(
        out.contains("pass 2: no conflicts [changes only; next full pass in "),
        "{out}"
    );
    assert!(
        out.trim_end().ends_with("watch stopped after 2 pass(es)"),
        "{out}"
    );
}

/// Runs `conflicts watch --policy keep-current --interval INTERVAL` against `fake`, sends
/// SIGTERM after the first line that `signal_after` accepts, and returns the exit code and
/// every line printed.
#[cfg(unix)]
async fn watch_until_sigterm(
    fake: &FakeRocketChat,
    interval: &'static str,
    signal_after: fn(&str) -> bool,
) -> (Option<i32>, String) {
    let token = [
        ("ROCKETCHAT_USER_ID", DemoData::AGENT_ID),
        ("ROCKETCHAT_AUTH_TOKEN", DemoData::AGENT_TOKEN),
    ];
    watch_until_sigterm_as(fake, &token, interval, signal_after).await
}

/// [`watch_until_sigterm`] with these credentials variables.
#[cfg(unix)]
async fn watch_until_sigterm_as(
    fake: &FakeRocketChat,
    credentials: &[(&'static str, &'static str)],
    interval: &'static str,
    signal_after: fn(&str) -> bool,
) -> (Option<i32>, String) {
    let credentials = credentials.to_vec();
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let url = fake.uri();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(BIN)
            .args([
                "conflicts",
                "watch",
                "--policy",
                "keep-current",
                "--interval",
                interval,
            ])
            .env("ROCKETCHAT_URL", &url)
            .envs(credentials)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut out = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let now = signal_after(&line);
            out.push(line);
            if now {
                break;
            }
        }
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        out.extend(lines.map(Result::unwrap));
        (child.wait().unwrap().code(), out.join("\n"))
    });
    tokio::time::timeout(std::time::Duration::from_secs(60), out)
        .await
        .expect("the watcher stops soon after the signal")
        .unwrap()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_stops_cleanly_on_sigterm() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    // After the first pass the watcher sleeps for 30 s: the signal comes between passes.
    let (code, out) = watch_until_sigterm(&fake, "30s", |line| line.starts_with("pass 1:")).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("pass 1: 3 seen: 3 resolved"), "{out}");
    assert!(
        out.ends_with("watch stopped after 1 pass(es) (stopped by signal)"),
        "{out}"
    );
}

/// Under systemd or Kubernetes a stop is a SIGTERM at any moment: during a pass it must exit
/// 0 as well (it exited 1 before, because the contacts not yet sent counted as left).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_exits_zero_when_a_signal_stops_it_during_a_pass() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    for i in 0..40 {
        let id = fake.add_contact_named(&format!("Slow {i:02}"));
        assert!(fake.merge_visitor(&id, Visitor::new().name(&format!("Other {i:02}"))));
    }
    // Two resolve calls a second: the pass takes about 20 s.
    fake.set_rate_limit(Some((2, std::time::Duration::from_secs(1))));
    let (code, out) = watch_until_sigterm(&fake, "1s", |line| line.starts_with("resolved ")).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(!out.contains("pass 1:") || out.contains("stopped"), "{out}");
    assert!(out.ends_with("(stopped by signal)"), "{out}");
    assert!(
        fake.conflicted_contacts().len() > 10,
        "the signal came early in the pass"
    );
}

/// The report's scenario: 250 contacts `A0000`… each with a `Z…` name conflict. Under name
/// order, taking the latest value moved contacts behind the walk and a third were missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn take_incoming_over_renamed_contacts_reaches_all_of_them() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    for i in 0..250 {
        let id = fake.add_contact_named(&format!("A{i:04}"));
        fake.merge_visitor(&id, Visitor::new().name(&format!("Z{i:04}")));
    }
    let (code, out, _) = run_against(
        &fake,
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--concurrency",
            "8",
            "--unknown",
            "exclude",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("253 seen: 253 resolved; 0 left conflicted\n"),
        "{out}"
    );
    assert!(fake.conflicted_contacts().is_empty());
}

#[test]
fn every_command_has_help_with_an_example() {
    for args in [
        &["--help"][..],
        &["conflicts", "--help"],
        &["conflicts", "list", "--help"],
        &["conflicts", "resolve", "--help"],
        &["conflicts", "watch", "--help"],
        &["contact", "--help"],
        &["contact", "get", "--help"],
    ] {
        let (code, out, _) = run(args, &[]);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Example"), "{args:?}: {out}");
        assert!(out.contains("rocketchat-contacts "), "{args:?}: {out}");
    }
}

#[test]
fn no_color_turns_off_colour_even_when_forced() {
    let (_, coloured, _) = run(&["--help"], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        coloured.contains('\u{1b}'),
        "forcing colour shows escapes: {coloured}"
    );
    let (_, plain, _) = run(&["--help"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!plain.contains('\u{1b}'), "{plain}");
}

#[test]
fn resolve_prints_json_lines_and_a_json_summary() {
    let (code, out, _) = run(
        &[
            "--demo",
            "--output",
            "json",
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    let (summary, outcomes) = lines.split_last().unwrap();
    assert_eq!(outcomes.len(), 3, "{out}");
    assert!(outcomes.iter().all(|o| o["outcome"] == "resolved"), "{out}");
    let jane = outcomes
        .iter()
        .find(|o| o["contactId"] == DemoData::CONTACT_ID)
        .unwrap();
    assert_eq!(jane["set"]["name"], "Jane D.");
    assert_eq!(summary["summary"]["resolved"], 3);
    assert_eq!(summary["summary"]["leftConflicted"], 0);
    assert_eq!(summary["summary"]["complete"], true);
}

/// `http://rocketchat:3000` in a compose network is plain http to a host that is not
/// loopback: refused by default with a message naming the ways to allow it, allowed by
/// `--allow-insecure-http` or `ROCKETCHAT_ALLOW_INSECURE_HTTP=1`, with a warning. (On Linux,
/// `0.0.0.0` reaches this machine and is not a loopback address, so it stands in for such a
/// host.)
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_another_host_needs_allowing_and_warns() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let url = format!("http://0.0.0.0:{}", fake.address().port());
    let runs = tokio::task::spawn_blocking(move || {
        let env = |extra: Option<(&'static str, &'static str)>| {
            let mut env = vec![
                ("ROCKETCHAT_URL", url.clone()),
                ("ROCKETCHAT_USER_ID", DemoData::AGENT_ID.to_owned()),
                ("ROCKETCHAT_AUTH_TOKEN", DemoData::AGENT_TOKEN.to_owned()),
            ];
            env.extend(extra.map(|(k, v)| (k, v.to_owned())));
            env
        };
        let call = |args: &[&str], env: Vec<(&str, String)>| {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            run(args, &env)
        };
        (
            call(&["conflicts", "list"], env(None)),
            call(&["--allow-insecure-http", "conflicts", "list"], env(None)),
            call(
                &["conflicts", "list"],
                env(Some(("ROCKETCHAT_ALLOW_INSECURE_HTTP", "1"))),
            ),
        )
    })
    .await
    .unwrap();
    let (refused, flag, variable) = runs;
    assert_eq!(refused.0, 1, "{refused:?}");
    assert!(
        refused.2.contains("--allow-insecure-http")
            && refused.2.contains("ROCKETCHAT_ALLOW_INSECURE_HTTP=1"),
        "{refused:?}"
    );
    for allowed in [&flag, &variable] {
        assert_eq!(allowed.0, 0, "{allowed:?}");
        assert!(allowed.1.contains("demoContactJane1"), "{allowed:?}");
        assert!(allowed.2.contains("travel in clear"), "{allowed:?}");
    }
}

/// Names and values come from visitors: an escape sequence in one (here a window-title OSC
/// and a bidi override) reaches the terminal as visible text, never as bytes the terminal
/// acts on; the JSON output keeps the exact value (issue 20 #12).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitor_text_cannot_drive_the_terminal() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let evil = "Eve\u{1b}]0;pwned\u{7}\u{202e}";
    let id = fake.add_contact_named("Plain");
    assert!(fake.merge_visitor(&id, Visitor::new().name(evil)));
    let id: &'static str = Box::leak(id.to_string().into_boxed_str());
    let outputs = [
        run_against(&fake, &["conflicts", "list"]).await,
        run_against(&fake, Box::leak(Box::new(["contact", "get", id]))).await,
        run_against(
            &fake,
            &[
                "conflicts",
                "resolve",
                "--policy",
                "take-incoming",
                "--dry-run",
            ],
        )
        .await,
    ];
    for (code, out, _) in &outputs {
        assert_eq!(*code, 0, "{out}");
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
            "{out:?}"
        );
        assert!(out.contains(r"Eve\u{1b}]0;pwned\u{7}\u{202e}"), "{out}");
    }
    let (code, json, _) = run_against(&fake, &["--output", "json", "conflicts", "list"]).await;
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let found = rows
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row["conflicts"].as_array().unwrap())
        .flat_map(|c| c["candidates"].as_array().unwrap())
        .any(|v| v == evil);
    assert!(found, "JSON keeps the exact value: {json}");
}

fn logouts(fake: &FakeRocketChat) -> Vec<Option<u16>> {
    fake.requests()
        .iter()
        .filter(|r| r.path == "/api/v1/logout")
        .map(|r| r.status)
        .collect()
}

/// A password login opened a session: it is logged out when the command ends, successful or
/// not, and when a signal stops `watch`; a token the user gave is never logged out (issue
/// 20 #11: a CI job running the tool every few minutes piled up login tokens).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_tool_opened_is_logged_out_on_exit() {
    let password = [
        ("ROCKETCHAT_USER", DemoData::AGENT_USERNAME),
        ("ROCKETCHAT_PASSWORD", DemoData::AGENT_PASSWORD),
    ];
    let run_as = |fake: &FakeRocketChat,
                  args: &'static [&'static str],
                  creds: [(&'static str, &'static str); 2]| {
        let url = fake.uri();
        tokio::task::spawn_blocking(move || {
            let mut env = vec![("ROCKETCHAT_URL", url.as_str())];
            env.extend(creds);
            run(args, &env)
        })
    };

    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let (code, out, _) = run_as(&fake, &["conflicts", "list"], password)
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(logouts(&fake), [Some(200)], "success");

    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let (code, _, err) = run_as(&fake, &["contact", "get", "no-such-contact"], password)
        .await
        .unwrap();
    assert_eq!(code, 1, "{err}");
    assert_eq!(logouts(&fake), [Some(200)], "error");

    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let token = [
        ("ROCKETCHAT_USER_ID", DemoData::AGENT_ID),
        ("ROCKETCHAT_AUTH_TOKEN", DemoData::AGENT_TOKEN),
    ];
    let (code, out, _) = run_as(&fake, &["conflicts", "list"], token).await.unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(logouts(&fake).is_empty(), "a given token is kept");

    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let (code, out) =
        watch_until_sigterm_as(&fake, &password, "30s", |line| line.starts_with("pass 1:")).await;
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(logouts(&fake), [Some(200)], "SIGTERM");
}
