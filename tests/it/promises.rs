//! The README's promises, each checked with the settings a user gets (issue 34): a test
//! here that needed a gentler setting to pass would have found a bug.

use std::time::Duration;

use futures_util::StreamExt;
use rocketchat_omnichannel::Client;
use rocketchat_omnichannel::models::ContactId;
use rocketchat_omnichannel::models::ContactManager;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, FakeUser, Fault, Visitor};
use rocketchat_omnichannel::workflow::{Journal, Outcome, PlanFile, Policy, WatchEvent, undo};

/// Long enough for anything here to finish on a loaded machine; a hang fails, not waits.
const GUARD: Duration = Duration::from_secs(60);

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rc-promises-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// `n` contacts, each with a name conflict from a visitor.
fn conflicted(fake: &FakeRocketChat, n: usize, prefix: &str) -> Vec<ContactId> {
    (0..n)
        .map(|i| {
            let id = fake.add_contact_named(&format!("{prefix} {i}"));
            fake.merge_visitor(&id, Visitor::new().name(&format!("Visitor {prefix} {i}")));
            id
        })
        .collect()
}

/// An admin: Rocket.Chat's limiter does not count admins, so a person keeps editing while
/// the bot waits for its budget.
fn person(fake: &FakeRocketChat) -> Client {
    let admin = fake.add_user(FakeUser::new("boss").role("admin"));
    fake.client_for(&admin).unwrap()
}

/// Finding 1: with every default (concurrency 4, `stale_after` 2 s) and Rocket.Chat's limiter
/// shape, the calls that wait for the next window go out with a listing older than
/// `stale_after`. The age is checked once the budget is granted, so those contacts are read
/// again and decided from what a person wrote meanwhile; before, two renames were reverted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_run_with_every_default_never_reverts_a_persons_edit() {
    let fake = FakeRocketChat::builder()
        .rate_limit(2, Duration::from_millis(2_500))
        .start()
        .await
        .unwrap();
    let ids = conflicted(&fake, 4, "Listed");
    let bot = fake.client_for(&fake.add_agent("bot", "pw")).unwrap();
    let person = person(&fake);
    let mut run = bot.resolve_all(Policy::keep_current()).into_stream();
    let bot_task = tokio::spawn(async move {
        let mut outcomes = Vec::new();
        while let Some(outcome) = run.next().await {
            outcomes.push(outcome);
        }
        (outcomes, run.summary())
    });
    // The window's two calls go out; the other two contacts wait for the next window.
    let resolves = || {
        fake.requests()
            .iter()
            .filter(|r| r.path.ends_with("contacts.conflicts"))
            .count()
    };
    let started = std::time::Instant::now();
    while resolves() < 2 {
        assert!(started.elapsed() < GUARD, "the first window's calls go out");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let waiting: Vec<&ContactId> = ids
        .iter()
        .filter(|id| fake.contact(id).unwrap().has_conflicts())
        .collect();
    assert_eq!(waiting.len(), 2, "two contacts wait for the next window");
    for (i, id) in waiting.iter().enumerate() {
        person
            .update_contact((*id).clone())
            .name(format!("Human {i}"))
            .await
            .unwrap();
    }
    let (outcomes, summary) = tokio::time::timeout(GUARD, bot_task)
        .await
        .unwrap()
        .unwrap();
    assert!(summary.is_clean(), "{summary:?} {outcomes:?}");
    for (i, id) in waiting.iter().enumerate() {
        let contact = fake.contact(id).unwrap();
        // Sent in the same window as the first, a contact may have gone out before the
        // person's write (the one documented round trip); the rest must keep it.
        assert_eq!(
            contact.name.as_deref(),
            Some(format!("Human {i}").as_str()),
            "{id}: the person's name was overwritten"
        );
        assert!(!contact.has_conflicts(), "{id}");
    }
}

/// Finding 2: one contact dated ten minutes ahead (a fast instance, an import) made the
/// watcher's mark the future, and no later pass of changes saw a new conflict. The mark now
/// comes from the server's clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_contact_dated_in_the_future_does_not_blind_the_watcher() {
    let fake = FakeRocketChat::start().await;
    let mut doc = serde_json::Map::new();
    doc.insert("name".into(), "From the future".into());
    doc.insert("unknown".into(), false.into());
    let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(10);
    doc.insert(
        "_updatedAt".into(),
        ahead.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into(),
    );
    fake.add_contact_json(doc);
    let target = fake.add_contact_named("Plain");
    let bot = fake.client_for(&fake.add_agent("bot", "pw")).unwrap();
    let mut events = bot
        .resolve_all(Policy::keep_current())
        .watch(Duration::from_millis(50))
        .into_stream();
    let mut changes_passes = 0;
    let mut merged = false;
    while let Some(event) = tokio::time::timeout(GUARD, events.next()).await.unwrap() {
        if let WatchEvent::PassFinished { kind, .. } = &event {
            if !kind.is_full() {
                changes_passes += 1;
            }
            if !merged {
                // After the first pass, a visitor brings a conflict.
                fake.merge_visitor(&target, Visitor::new().name("Someone else"));
                merged = true;
            } else if !fake.contact(&target).unwrap().has_conflicts() {
                break;
            }
            assert!(
                changes_passes <= 5,
                "five passes of changes missed the new conflict"
            );
        }
    }
    assert!(
        changes_passes >= 1,
        "the new conflict was met by a pass of changes"
    );
}

/// Finding 2, the workspace's history: hundreds of contacts written in the same second (a
/// bulk import, the 7.0 migration, our own bulk run) were listed again by every idle pass
/// while the mark sat on their second. Once the overlap has passed, an idle pass costs one
/// search per listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_pass_after_a_bulk_write_costs_one_search_per_listing() {
    let fake = FakeRocketChat::start().await;
    // 250 conflicted contacts: the first pass resolves them all within a second or two.
    conflicted(&fake, 250, "Bulk");
    let bot = fake.client_for(&fake.add_agent("bot", "pw")).unwrap();
    let mut events = bot
        .resolve_all(Policy::keep_current())
        .watch(Duration::from_millis(400))
        .into_stream();
    let searches = || {
        fake.requests()
            .iter()
            .filter(|r| r.path.ends_with("contacts.search"))
            .count()
    };
    let started = std::time::Instant::now();
    let mut last = (searches(), None);
    let mut idle = Vec::new();
    while let Some(event) = tokio::time::timeout(GUARD, events.next()).await.unwrap() {
        if let WatchEvent::PassFinished { kind, summary, .. } = event {
            let now = searches();
            // Passes that start once the overlap (2 s) has passed since the bulk writes.
            if last.1.is_some_and(|at: std::time::Instant| {
                at.duration_since(started) > Duration::from_secs(5)
            }) {
                idle.push((kind.clone(), summary.seen, now - last.0));
            }
            last = (now, Some(std::time::Instant::now()));
            if idle.len() >= 3 {
                break;
            }
        }
    }
    for (kind, seen, calls) in &idle {
        assert!(!kind.is_full(), "{idle:?}");
        assert_eq!(*seen, 0, "{idle:?}");
        assert_eq!(
            *calls, 2,
            "one search per listing (known, unknown): {idle:?}"
        );
    }
}

/// Finding 3: a resolve whose 2xx answer could not be decoded reached the server. It is
/// read back and counted, undo takes it back, and a second apply does not call the run's own
/// write "changed since the plan".
#[tokio::test]
async fn a_write_whose_answer_was_cut_is_counted_and_undone() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    let ana = ContactId::from(DemoData::THIRD_CONTACT_ID);
    let contacts = vec![client.get_contact(ana.clone()).await.unwrap()];
    let plan = PlanFile::new(&client, &Policy::take_incoming(), &contacts);
    let path = temp("cut.jsonl");
    fake.inject_faults(
        1,
        Fault::truncated_body().only_on("POST", "/api/v1/omnichannel/contacts.conflicts"),
    );
    let journal = Journal::open(&path, &client).unwrap();
    let outcomes = client.apply(&plan).journal(&journal).run().await.unwrap();
    assert!(
        matches!(&outcomes[..], [Outcome::Resolved { .. }]),
        "{outcomes:?}"
    );
    assert_eq!(
        fake.contact(&ana).unwrap().name.as_deref(),
        Some("Ana Paula Lima")
    );
    let again = client.apply(&plan).journal(&journal).run().await.unwrap();
    assert!(
        matches!(&again[..], [Outcome::NothingToDo { .. }]),
        "{again:?}"
    );
    let report = undo(&client, &journal).await.unwrap();
    assert_eq!(report.len(), 1, "{report:?}");
    assert!(report[0].is_complete(), "{report:?}");
    assert_eq!(
        fake.contact(&ana).unwrap().name.as_deref(),
        Some("Ana Lima")
    );
}

/// Finding 4: two runs on one journal sent everything twice. The journal is locked while
/// open; the second is refused and says why.
#[tokio::test]
async fn a_second_run_on_the_same_journal_is_refused() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    let path = temp("locked.jsonl");
    let first = Journal::open(&path, &client).unwrap();
    let error = Journal::open(&path, &client).unwrap_err();
    assert!(error.to_string().contains("is in use"), "{error}");
    let summary = client
        .resolve_all(Policy::keep_current())
        .journal(first)
        .run()
        .await;
    assert_eq!(summary.resolved, 3);
    // The run dropped its journal: the file is free again.
    drop(Journal::open(&path, &client).unwrap());
    let calls = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.conflicts"))
        .count();
    assert_eq!(calls, 3, "each contact once");
}

/// Finding 5: a contact that keeps failing was counted by the pass that met it and then
/// forgotten by every pass of changes, so an alert on `is_clean()` fired once. Each pass
/// counts it while it stays conflicted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pass_counts_a_contact_that_keeps_failing() {
    let fake = FakeRocketChat::start().await;
    let bot_id = fake.add_agent("bot", "pw");
    // A competing manager who is not an agent: taking it is refused every time. Written an
    // hour ago, so that no pass of changes lists the contact again.
    fake.add_user(FakeUser::new("plain").id("not-an-agent"));
    let an_hour_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    let mut doc = serde_json::Map::new();
    doc.insert("name".into(), "Stuck".into());
    doc.insert("unknown".into(), false.into());
    doc.insert("contactManager".into(), bot_id.as_str().into());
    doc.insert(
        "conflictingFields".into(),
        serde_json::json!([{"field": "manager", "value": "not-an-agent"}]),
    );
    doc.insert(
        "_updatedAt".into(),
        an_hour_ago
            .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
            .into(),
    );
    let id = fake.add_contact_json(doc);
    assert!(fake.contact(&id).unwrap().has_conflicts());
    let bot = fake.client_for(&bot_id).unwrap();
    let events: Vec<WatchEvent> = tokio::time::timeout(
        GUARD,
        bot.resolve_all(Policy::take_incoming())
            .watch(Duration::from_millis(20))
            .passes(4)
            .into_stream()
            .collect(),
    )
    .await
    .unwrap();
    let passes: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::PassFinished { summary, kind, .. } => Some((kind.is_full(), summary)),
            _ => None,
        })
        .collect();
    assert_eq!(passes.len(), 4);
    assert!(passes.iter().skip(1).any(|(full, _)| !full), "{passes:?}");
    for (_, summary) in &passes {
        assert!(!summary.is_clean(), "{summary:?}");
        assert_eq!(summary.left_conflicted, 1, "{summary:?}");
    }
}

/// Finding 6: on a 7.x server an empty manager is ignored, yet undo said the manager was
/// restored. Undo reads the contact back and says what it could not restore.
#[tokio::test]
async fn undo_reports_what_the_server_did_not_take_back() {
    let fake = FakeRocketChat::builder()
        .version("7.7.0")
        .unwrap()
        .start()
        .await
        .unwrap();
    let agent = fake.add_agent("agent2", "pw");
    // No manager, and a competing one recorded (the manager was removed after the merge).
    let mut doc = serde_json::Map::new();
    doc.insert("name".into(), "No manager now".into());
    doc.insert("unknown".into(), false.into());
    doc.insert(
        "conflictingFields".into(),
        serde_json::json!([{"field": "manager", "value": agent.as_str()}]),
    );
    let id = fake.add_contact_json(doc);
    assert!(fake.contact(&id).unwrap().contact_manager.is_none());
    let client = fake.client_for(&agent).unwrap();
    let contacts = vec![client.get_contact(id.clone()).await.unwrap()];
    let plan = PlanFile::new(&client, &Policy::take_incoming(), &contacts);
    let path = temp("manager.jsonl");
    let journal = Journal::open(&path, &client).unwrap();
    let outcomes = client.apply(&plan).journal(&journal).run().await.unwrap();
    assert!(
        matches!(&outcomes[..], [Outcome::Resolved { .. }]),
        "{outcomes:?}"
    );
    let manager = fake.contact(&id).unwrap().contact_manager;
    assert_eq!(manager.as_ref().map(ContactManager::id), Some(&agent));
    let report = undo(&client, &journal).await.unwrap();
    assert!(report[0].restored.is_empty(), "{report:?}");
    assert_eq!(report[0].could_not.len(), 1, "{report:?}");
    assert!(!report[0].is_complete());
}

/// Finding 9: a visitor's name with a line break could forge a line of a report. Every
/// line an outcome or a plan prints is its own.
#[tokio::test]
async fn a_name_with_line_breaks_stays_on_its_line() {
    let fake = FakeRocketChat::start().await;
    let id = fake.add_contact_named("Plain");
    fake.merge_visitor(
        &id,
        Visitor::new().name("Eve\nresolved c-forged: set name=Mallory\r\u{1b}[2J"),
    );
    let bot = fake.client_for(&fake.add_agent("bot", "pw")).unwrap();
    let contacts = [bot.get_contact(id.clone()).await.unwrap()];
    let plan = Policy::take_incoming().plan(&contacts[0]);
    let text = plan.to_string();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    let outcomes: Vec<Outcome> = bot
        .resolve_all(Policy::take_incoming())
        .into_stream()
        .collect()
        .await;
    for outcome in &outcomes {
        let line = outcome.to_string();
        assert!(!line.contains('\n') && !line.contains('\u{1b}'), "{line:?}");
    }
    // JSON stays exact.
    let json = serde_json::to_value(&outcomes[0]).unwrap();
    assert_eq!(
        json["set"]["name"],
        "Eve\nresolved c-forged: set name=Mallory\r\u{1b}[2J"
    );
}
