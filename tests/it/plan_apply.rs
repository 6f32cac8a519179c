//! Plans, apply, journal and undo (issue 23) against the fake: a person's edit between plan
//! and apply is kept, undo restores what it can, an interrupted apply resumes without
//! sending anything twice, and files from one server are refused by another.

use futures_util::TryStreamExt;
use rocketchat_omnichannel::models::ConflictField;
use rocketchat_omnichannel::testing::{CustomField, DemoData, FakeRocketChat, Visitor};
use rocketchat_omnichannel::workflow::{Journal, Outcome, Plan, PlanFile, Policy, undo};
use rocketchat_omnichannel::{Client, ContactId};

fn temp(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("rc-plan-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// What a process killed right after its intent line leaves behind: the intent, no outcome.
fn write_intent(path: &std::path::Path, plan: &Plan) {
    use std::io::Write;
    let line = serde_json::json!({"type": "intent", "at": "2026-12-06T00:00:00Z", "sent": plan});
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    writeln!(file, "{line}").unwrap();
}

/// The type of the journal's last line about `contact` (`intent` or `outcome`).
fn last_line_about(path: &std::path::Path, contact: &ContactId) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["contactId"] == contact.as_str() || l["sent"]["contactId"] == contact.as_str())
        .map(|l| l["type"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Not carried out, and reported: stale or failed.
fn problem(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Stale { .. } | Outcome::Failed { .. })
}

fn sent(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Resolved { .. } | Outcome::PartlyResolved { .. }
    )
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(7);
    h.finish()
}

async fn demo() -> (FakeRocketChat, Client) {
    let fake = FakeRocketChat::builder()
        .demo_data()
        .custom_field(CustomField::new("cpf"))
        .custom_field(CustomField::new("plan"))
        .start()
        .await
        .unwrap();
    let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    (fake, client)
}

async fn plan(client: &Client, policy: &Policy) -> PlanFile {
    let contacts: Vec<_> = client
        .conflicted_contacts(None)
        .try_collect()
        .await
        .unwrap();
    PlanFile::new(client, policy, &contacts)
}

fn resolve_calls(fake: &FakeRocketChat, contact: &str) -> usize {
    fake.requests()
        .iter()
        .filter(|r| {
            r.path.ends_with("contacts.conflicts")
                && r.status == Some(200)
                && r.json().is_some_and(|b| b["contactId"] == contact)
        })
        .count()
}

#[tokio::test]
async fn a_persons_edit_between_plan_and_apply_is_kept_and_reported() {
    let (fake, client) = demo().await;
    let plan = plan(&client, &Policy::take_incoming()).await;
    let saved = temp("plan.json");
    plan.save(&saved).unwrap();
    let plan = PlanFile::load(&saved).unwrap();
    let ana = ContactId::from(DemoData::THIRD_CONTACT_ID);
    let planned = plan.contacts.iter().find(|c| c.contact_id == ana).unwrap();
    assert_eq!(planned.writes[0].to, "Ana Paula Lima");
    assert_eq!(planned.discards[0].value, "Ana Lima");

    // A person renames Ana after the plan was made.
    client
        .update_contact(ana.clone())
        .name("Ana L. (checked by phone)")
        .await
        .unwrap();
    let journal = Journal::open(temp("run.jsonl"), &client).unwrap();
    let outcomes = client.apply(&plan).journal(&journal).run().await.unwrap();
    let stale: Vec<_> = outcomes.iter().filter(|o| problem(o)).collect();
    assert!(
        matches!(stale[..], [Outcome::Stale { contact_id, changed }]
            if *contact_id == ana && *changed == [ConflictField::Name]),
        "{stale:?}"
    );
    assert_eq!(
        fake.contact(&ana).unwrap().name.as_deref(),
        Some("Ana L. (checked by phone)"),
        "the person's value stands"
    );
    assert_eq!(resolve_calls(&fake, DemoData::THIRD_CONTACT_ID), 0);
    let sent = outcomes.iter().filter(|o| sent(o)).count();
    assert_eq!(sent, 2);

    // A second apply with the same journal sends nothing again, and still reports Ana.
    let again = client.apply(&plan).journal(&journal).run().await.unwrap();
    assert_eq!(
        again
            .iter()
            .filter(|o| matches!(o, Outcome::NothingToDo { .. }))
            .count(),
        2
    );
    assert!(again.iter().any(|o| matches!(o, Outcome::Stale { .. })));
}

#[tokio::test]
async fn undo_restores_what_it_can_reports_the_rest_and_is_idempotent() {
    let (fake, client) = demo().await;
    let jane = ContactId::from(DemoData::CONTACT_ID);
    let john = ContactId::from(DemoData::SECOND_CONTACT_ID);
    let before_jane = fake.contact(&jane).unwrap();
    let before_john = fake.contact(&john).unwrap();
    let bruno = fake.add_contact_named("Bruno");
    fake.merge_visitor(&bruno, Visitor::new().name("Bruno S."));
    fake.merge_visitor(&bruno, Visitor::new().name("B. Souza"));
    let plan = plan(&client, &Policy::take_incoming()).await;
    let path = temp("undo.jsonl");
    let journal = Journal::open(&path, &client).unwrap();
    client.apply(&plan).journal(&journal).run().await.unwrap();
    assert_eq!(
        fake.contact(&jane).unwrap().name.as_deref(),
        Some("Jane D.")
    );
    // After the run, a person changes John's plan again: undo must not overwrite it.
    client
        .update_contact(john.clone())
        .custom_field("plan", "enterprise")
        .await
        .unwrap();

    drop(journal);
    let journal = Journal::open(&path, &client).unwrap();
    let report = undo(&client, &journal).await.unwrap();
    let jane_after = fake.contact(&jane).unwrap();
    assert_eq!(jane_after.name, before_jane.name);
    assert_eq!(
        jane_after.contact_manager.map(|m| m.id().to_string()),
        before_jane.contact_manager.map(|m| m.id().to_string())
    );
    assert_eq!(
        jane_after.custom_fields["cpf"],
        before_jane.custom_fields["cpf"]
    );
    let jane_report = report.iter().find(|u| u.contact_id == jane).unwrap();
    assert_eq!(jane_report.restored.len(), 3, "{jane_report:?}");
    assert!(
        jane_report.lost.is_empty(),
        "each of her fields had one candidate, taken"
    );
    // Bruno's other candidate was discarded: it cannot come back, so it is listed.
    let bruno_report = report.iter().find(|u| u.contact_id == bruno).unwrap();
    assert_eq!(bruno_report.restored, [ConflictField::Name]);
    assert_eq!(fake.contact(&bruno).unwrap().name.as_deref(), Some("Bruno"));
    assert_eq!(bruno_report.lost.len(), 1);
    assert_eq!(bruno_report.lost[0].value, "Bruno S.");
    let john_report = report.iter().find(|u| u.contact_id == john).unwrap();
    assert_eq!(
        john_report.kept,
        vec![(
            ConflictField::CustomField("plan".into()),
            Some(serde_json::json!("enterprise"))
        )]
    );
    assert_eq!(
        fake.contact(&john).unwrap().custom_fields["plan"],
        "enterprise"
    );
    assert_ne!(before_john.custom_fields["plan"], "enterprise");

    // Again: nothing left to send, and the same report (the fields hold their earlier
    // values, John's plan is still someone else's).
    let updates_before = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.update"))
        .count();
    let again = undo(&client, &journal).await.unwrap();
    assert_eq!(again, report);
    let updates_after = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.update"))
        .count();
    assert_eq!(updates_before, updates_after);
}

#[tokio::test]
async fn a_call_in_flight_when_the_run_died_is_not_sent_again() {
    let (fake, client) = demo().await;
    let plan = plan(&client, &Policy::take_incoming()).await;
    let path = temp("inflight.jsonl");
    // The run wrote its intent for Ana, the call reached the server, and the process died
    // before writing the outcome.
    let ana = ContactId::from(DemoData::THIRD_CONTACT_ID);
    let planned = plan.contacts.iter().find(|c| c.contact_id == ana).unwrap();
    drop(Journal::open(&path, &client).unwrap());
    write_intent(&path, planned);
    planned.request(&client).await.unwrap();
    assert_eq!(resolve_calls(&fake, DemoData::THIRD_CONTACT_ID), 1);
    let journal = Journal::open(&path, &client).unwrap();
    let outcomes = client.apply(&plan).journal(&journal).run().await.unwrap();
    assert!(
        outcomes
            .iter()
            .any(|o| sent(o) && o.contact_id() == Some(&ana)),
        "{outcomes:?}"
    );
    assert_eq!(
        resolve_calls(&fake, DemoData::THIRD_CONTACT_ID),
        1,
        "not twice"
    );
    assert!(fake.conflicted_contacts().is_empty());
}

#[tokio::test]
async fn plans_and_journals_stay_with_their_server() {
    let (_one, client_one) = demo().await;
    let (_two, client_two) = demo().await;
    let plan = plan(&client_one, &Policy::keep_current()).await;
    let path = temp("one.jsonl");
    let journal = Journal::open(&path, &client_one).unwrap();
    let error = client_two
        .apply(&plan)
        .journal(&journal)
        .run()
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("the plan was made for"),
        "{error}"
    );
    drop(journal);
    let error = Journal::open(&path, &client_two).unwrap_err();
    assert!(error.to_string().contains("belongs to"), "{error}");
}

#[tokio::test]
async fn a_torn_last_line_is_ignored_on_resume() {
    let (_fake, client) = demo().await;
    let path = temp("torn.jsonl");
    drop(Journal::open(&path, &client).unwrap());
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(r#"{"type":"outcome","at":"2026-"#);
    std::fs::write(&path, text).unwrap();
    let journal = Journal::open(&path, &client).unwrap();
    let plan = plan(&client, &Policy::keep_current()).await;
    let outcomes = client.apply(&plan).journal(&journal).run().await.unwrap();
    assert!(outcomes.iter().all(|o| !problem(o)), "{outcomes:?}");
    // Every line of the journal parses now.
    let journal_text = std::fs::read_to_string(&path).unwrap();
    let bad = journal_text
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
        .count();
    assert_eq!(bad, 0, "the torn line was cut off:\n{journal_text}");
    drop(journal);
    Journal::open(&path, &client).unwrap();
}

#[tokio::test]
async fn visitors_add_to_the_plan_the_human_sees() {
    let (fake, client) = demo().await;
    let id = fake.add_contact_named("Bruno");
    fake.merge_visitor(&id, Visitor::new().name("Bruno S."));
    fake.merge_visitor(&id, Visitor::new().name("B. Souza"));
    let plan = plan(&client, &Policy::take_incoming()).await;
    let planned = plan.contacts.iter().find(|c| c.contact_id == id).unwrap();
    let text = planned.to_string();
    assert!(
        text.contains("name: Bruno → B. Souza  (discards Bruno S.)"),
        "{text}"
    );
}

#[tokio::test]
async fn a_journal_never_harms_a_file_that_is_not_one() {
    let (_fake, client) = demo().await;
    let notes = temp("notes.txt");
    std::fs::write(&notes, "my notes\n").unwrap();
    let error = Journal::open(&notes, &client).unwrap_err();
    assert!(error.to_string().contains("is not a journal"), "{error}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");
    // Undo of a mistyped path is an error, not an empty success.
    let missing = temp("typo.jsonl");
    assert!(Journal::open_existing(&missing, &client).is_err());
    assert!(!missing.exists());
    // A blank file becomes a journal; a last line cut inside a character is dropped.
    let blank = temp("blank.jsonl");
    std::fs::write(&blank, "\n  \n").unwrap();
    drop(Journal::open(&blank, &client).unwrap());
    let mut bytes = std::fs::read(&blank).unwrap();
    bytes.extend_from_slice(b"{\"type\":\"outcome\",\"contactId\":\"J\xc3");
    std::fs::write(&blank, bytes).unwrap();
    Journal::open(&blank, &client).unwrap();
    Journal::open(&blank, &client).unwrap();
}

#[tokio::test]
async fn a_call_that_may_have_landed_stays_in_flight_and_undo_sees_it() {
    let (fake, client) = demo().await;
    let plan = plan(&client, &Policy::take_incoming()).await;
    let ana = ContactId::from(DemoData::THIRD_CONTACT_ID);
    let path = temp("unknown.jsonl");
    // A proxy answers 502 for the resolve call: nobody knows whether it landed.
    fake.inject_faults(
        1,
        rocketchat_omnichannel::testing::Fault::html(502)
            .only_on("POST", "/api/v1/omnichannel/contacts.conflicts"),
    );
    let journal = Journal::open(&path, &client).unwrap();
    let outcomes = client.apply(&plan).journal(&journal).run().await.unwrap();
    let failed: Vec<_> = outcomes.iter().filter(|o| problem(o)).collect();
    assert_eq!(failed.len(), 1, "{outcomes:?}");
    let Outcome::Failed { contact_id, .. } = failed[0] else {
        panic!("{failed:?}")
    };
    assert_eq!(
        last_line_about(&path, contact_id),
        "intent",
        "no outcome written for it"
    );
    // The next run checks the server and sends it (it had not landed).
    let again = client.apply(&plan).journal(&journal).run().await.unwrap();
    assert!(again.iter().all(|o| !problem(o)), "{again:?}");
    assert!(fake.conflicted_contacts().is_empty());

    // A run killed after its call landed, before the outcome: undo still restores it.
    let (fake, client) = demo().await;
    let plan = self::plan(&client, &Policy::take_incoming()).await;
    let planned = plan.contacts.iter().find(|c| c.contact_id == ana).unwrap();
    let path = temp("dangling.jsonl");
    drop(Journal::open(&path, &client).unwrap());
    write_intent(&path, planned);
    planned.request(&client).await.unwrap();
    let journal = Journal::open(&path, &client).unwrap();
    let report = undo(&client, &journal).await.unwrap();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].restored, [ConflictField::Name]);
    assert_eq!(
        fake.contact(&ana).unwrap().name.as_deref(),
        Some("Ana Lima")
    );
}

#[tokio::test]
async fn a_journal_reused_with_a_new_plan_skips_nothing_of_it() {
    let (fake, client) = demo().await;
    let path = temp("reused.jsonl");
    let first = plan(&client, &Policy::take_incoming()).await;
    let journal = Journal::open(&path, &client).unwrap();
    client.apply(&first).journal(&journal).run().await.unwrap();
    let ana = ContactId::from(DemoData::THIRD_CONTACT_ID);
    fake.merge_visitor(&ana, Visitor::new().name("Ana P. L."));
    let second = plan(&client, &Policy::take_incoming()).await;
    let outcomes = client.apply(&second).journal(&journal).run().await.unwrap();
    assert!(
        matches!(&outcomes[..], [Outcome::Resolved { plan, .. }] if plan.contact_id == ana),
        "{outcomes:?}"
    );
    assert_eq!(
        fake.contact(&ana).unwrap().name.as_deref(),
        Some("Ana P. L.")
    );
}

#[tokio::test]
async fn a_hand_edited_plan_that_cannot_be_sent_is_refused() {
    let (_fake, client) = demo().await;
    let plan = plan(&client, &Policy::take_incoming()).await;
    let path = temp("edited.json");
    plan.save(&path).unwrap();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"Ana Paula Lima\"", "\"  \"");
    std::fs::write(&path, text).unwrap();
    let error = PlanFile::load(&path).unwrap_err();
    assert!(error.to_string().contains("cannot be sent"), "{error}");
}

/// A call an earlier run left in flight is counted as its own plan entry's: a newer plan for
/// the same contact is still sent, not taken as done.
#[tokio::test]
async fn a_recovered_call_does_not_stand_in_for_a_newer_plan() {
    let (fake, client) = demo().await;
    let ana = ContactId::from(DemoData::THIRD_CONTACT_ID);
    let first = plan(&client, &Policy::take_incoming()).await;
    let planned = first.contacts.iter().find(|c| c.contact_id == ana).unwrap();
    let path = temp("recovered.jsonl");
    drop(Journal::open(&path, &client).unwrap());
    write_intent(&path, planned);
    planned.request(&client).await.unwrap();
    // Visitors bring a custom-field conflict, a field the first call did not touch: its
    // call shows as carried out, and a new plan takes the new value.
    fake.merge_visitor(&ana, Visitor::new().custom_field("cpf", "111"));
    fake.merge_visitor(&ana, Visitor::new().custom_field("cpf", "222"));
    let second = plan(&client, &Policy::take_incoming()).await;
    let newer = second
        .contacts
        .iter()
        .find(|c| c.contact_id == ana)
        .unwrap();
    assert_eq!(newer.writes.len(), 1, "{newer:?}");
    let journal = Journal::open(&path, &client).unwrap();
    let outcomes = client.apply(&second).journal(&journal).run().await.unwrap();
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Resolved { .. })),
        "{outcomes:?}"
    );
    assert_eq!(
        fake.contact(&ana).unwrap().custom_fields["cpf"],
        "222",
        "the newer plan was sent"
    );
    assert!(fake.conflicted_contacts().is_empty());
}

/// Issue 38: `--out /dev/null` replaced the device with a file (the save renames a
/// temporary file over its target). A FIFO stands in for the device here: it is written
/// to, and stays a FIFO.
#[cfg(unix)]
#[tokio::test]
async fn a_plan_saved_to_a_device_or_pipe_is_written_to_not_replaced() {
    use std::os::unix::fs::FileTypeExt as _;
    let (_fake, client) = demo().await;
    let plan = plan(&client, &Policy::keep_current()).await;
    let fifo = temp("plan.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    plan.save(&fifo).unwrap();
    let written = reader.join().unwrap();
    assert!(written.contains("\"contacts\""), "{written}");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}
