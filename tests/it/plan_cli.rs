//! `conflicts plan`, `apply` and `undo` as a user runs them, including an apply killed with
//! SIGKILL half-way and started again with its journal (issue 23).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, Visitor};

const BIN: &str = env!("CARGO_BIN_EXE_rocketchat-contacts");

fn dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rc-plan-cli-{}-{:?}",
        std::process::id(),
        Instant::now()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn command(fake: &FakeRocketChat, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("ROCKETCHAT_URL", fake.uri())
        .env("ROCKETCHAT_USER_ID", DemoData::AGENT_ID)
        .env("ROCKETCHAT_AUTH_TOKEN", DemoData::AGENT_TOKEN);
    command
}

async fn run(fake: &FakeRocketChat, args: &[&str]) -> (i32, String) {
    let mut command = command(fake, args);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap(),
    )
}

fn outcome_lines(journal: &std::path::Path) -> usize {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(r#""type":"outcome""#))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_killed_half_way_resumes_and_sends_each_contact_once() {
    // Rocket.Chat's default shape, 10 calls per route per window, the window scaled down.
    let fake = FakeRocketChat::builder()
        .demo_data()
        .rate_limit(10, Duration::from_millis(400))
        .start()
        .await
        .unwrap();
    let ids: Vec<_> = (0..40)
        .map(|i| {
            let id = fake.add_contact_named(&format!("Person {i:02}"));
            fake.merge_visitor(&id, Visitor::new().name(&format!("P. {i:02}")));
            id
        })
        .collect();
    let dir = dir();
    let plan = dir.join("plan.json");
    let journal = dir.join("run.jsonl");
    let (code, out) = run(
        &fake,
        &[
            "conflicts",
            "plan",
            "--policy",
            "take-incoming",
            "--out",
            plan.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("name: Person 00 → P. 00"), "{out}");
    assert!(out.contains("plan: 43 contact(s), 43 to send"), "{out}");
    assert!(
        fake.conflicted_contacts().len() == 43,
        "planning changed nothing"
    );

    let apply_args = [
        "conflicts",
        "apply",
        plan.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
    ];
    let mut child = command(&fake, &apply_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while outcome_lines(&journal) < 12 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "apply makes progress"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL: no handler, no last words
    child.wait().unwrap();
    let killed_at = outcome_lines(&journal);
    assert!(killed_at < 43, "killed half-way ({killed_at} done)");
    assert!(!fake.conflicted_contacts().is_empty());

    let (code, out) = run(&fake, &apply_args).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to do"), "{out}");
    assert!(fake.conflicted_contacts().is_empty(), "{out}");
    // Exactly one successful resolve call per contact, over both runs.
    let mut calls = std::collections::HashMap::new();
    for request in fake.requests() {
        if request.path.ends_with("contacts.conflicts") && request.status == Some(200) {
            let id = request.json().unwrap()["contactId"]
                .as_str()
                .unwrap()
                .to_owned();
            *calls.entry(id).or_insert(0) += 1;
        }
    }
    assert_eq!(calls.len(), 43);
    assert!(calls.values().all(|n| *n == 1), "{calls:?}");

    // Undo puts every name back.
    let (code, out) = run(&fake, &["conflicts", "undo", journal.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("undo: 43 contact(s)"), "{out}");
    for (i, id) in ids.iter().enumerate() {
        let name = fake.contact(id).unwrap().name;
        assert_eq!(name, Some(format!("Person {i:02}")), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_with_a_journal_can_be_undone() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let ana = rocketchat_omnichannel::ContactId::from(DemoData::THIRD_CONTACT_ID);
    let before = fake.contact(&ana).unwrap().name;
    let journal = dir().join("resolve.jsonl");
    let (code, out) = run(
        &fake,
        &[
            "conflicts",
            "resolve",
            "--policy",
            "take-incoming",
            "--journal",
            journal.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(outcome_lines(&journal), 3);
    assert_ne!(fake.contact(&ana).unwrap().name, before);
    let (code, out) = run(&fake, &["conflicts", "undo", journal.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(fake.contact(&ana).unwrap().name, before, "{out}");
    assert!(out.contains("demoContactAna01: restored name"), "{out}");
}
