//! Find, decide, resolve against the fake server: policies, `resolve_all`, re-runs, rate
//! limits, races and failures.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rocketchat_omnichannel::models::ConflictField;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, Visitor};
use rocketchat_omnichannel::workflow::{Decision, Outcome, Policy};
use rocketchat_omnichannel::{Client, ContactId, Credentials, ResolveConflictsError};

async fn demo() -> (FakeRocketChat, Client) {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = Client::builder(fake.uri())
        .credentials(Credentials::token(
            DemoData::AGENT_ID,
            DemoData::AGENT_TOKEN,
        ))
        .build()
        .unwrap();
    (fake, client)
}

async fn run(client: &Client, policy: Policy) -> Vec<Outcome> {
    client
        .resolve_all(policy)
        .concurrency(3)
        .into_stream()
        .collect()
        .await
}

fn conflicted(fake: &FakeRocketChat) -> usize {
    [
        DemoData::CONTACT_ID,
        DemoData::SECOND_CONTACT_ID,
        DemoData::THIRD_CONTACT_ID,
        DemoData::CLEAN_CONTACT_ID,
    ]
    .into_iter()
    .filter(|id| fake.contact(&ContactId::from(*id)).unwrap().has_conflicts())
    .count()
}

#[tokio::test]
async fn keep_current_resolves_every_conflicted_contact_and_a_rerun_does_nothing() {
    let (fake, client) = demo().await;
    assert_eq!(conflicted(&fake), 3);
    let outcomes = run(&client, Policy::keep_current()).await;
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Resolved { .. })),
        "{outcomes:?}"
    );
    assert_eq!(conflicted(&fake), 0);
    let jane = fake.contact(&DemoData::CONTACT_ID.into()).unwrap();
    assert_eq!(jane.name.as_deref(), Some("Jane Doe"));
    assert_eq!(jane.custom_fields["cpf"], "123.456.789-00");

    let again = run(&client, Policy::keep_current()).await;
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test]
async fn take_incoming_takes_the_competing_values() {
    let (fake, client) = demo().await;
    let outcomes = run(&client, Policy::take_incoming()).await;
    assert_eq!(outcomes.len(), 3);
    let jane = fake.contact(&DemoData::CONTACT_ID.into()).unwrap();
    assert_eq!(jane.name.as_deref(), Some("Jane D."));
    assert_eq!(jane.contact_manager.unwrap(), DemoData::SECOND_AGENT_ID);
    assert_eq!(jane.custom_fields["cpf"], "123.456.789-99");
    assert_eq!(jane.custom_fields["city"], "Recife");
    let john = fake.contact(&DemoData::SECOND_CONTACT_ID.into()).unwrap();
    assert_eq!(john.custom_fields["plan"], "premium");
}

#[tokio::test]
async fn a_predicate_policy_picks_per_field() {
    let (fake, client) = demo().await;
    // Longer names win; every other field keeps its current value.
    let policy = Policy::prefer(|field, value| {
        *field == ConflictField::Name && value.as_str().is_some_and(|name| name.len() > 10)
    });
    run(&client, policy).await;
    let ana = fake.contact(&DemoData::THIRD_CONTACT_ID.into()).unwrap();
    assert_eq!(ana.name.as_deref(), Some("Ana Paula Lima"));
    let jane = fake.contact(&DemoData::CONTACT_ID.into()).unwrap();
    assert_eq!(
        jane.name.as_deref(),
        Some("Jane Doe"),
        "`Jane D.` is too short"
    );
    assert!(!jane.has_conflicts());
}

#[tokio::test]
async fn a_dry_run_sends_no_resolve() {
    let (fake, client) = demo().await;
    let outcomes: Vec<_> = client
        .resolve_all(Policy::take_incoming())
        .dry_run(true)
        .into_stream()
        .collect()
        .await;
    assert_eq!(outcomes.len(), 3);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Planned { .. }))
    );
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.path.ends_with("contacts.search"))
    );
    assert_eq!(conflicted(&fake), 3);
}

#[tokio::test]
async fn a_contact_resolved_meanwhile_is_skipped() {
    let (fake, client) = demo().await;
    let fake = Arc::new(fake);
    let racer = Arc::clone(&fake);
    // While deciding for Jane, someone else resolves her.
    let policy = Policy::custom("racy", move |conflict| {
        if let Some(mut jane) = racer.contact_json(&DemoData::CONTACT_ID.into())
            && conflict.field == ConflictField::Name
            && jane["name"] == "Jane Doe"
        {
            jane.insert("conflictingFields".into(), serde_json::json!([]));
            racer.add_contact_json(jane);
        }
        Decision::KeepCurrent
    });
    let outcomes = run(&client, policy).await;
    let skipped: Vec<_> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::NothingToDo { contact_id } => Some(contact_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(skipped, [DemoData::CONTACT_ID], "{outcomes:?}");
}

#[tokio::test]
async fn failures_carry_the_typed_error_and_the_run_goes_on() {
    let (fake, client) = demo().await;
    // A visitor served by a non-agent: its manager value cannot be taken.
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
    let outcomes = run(&client, Policy::take_incoming()).await;
    assert_eq!(outcomes.len(), 4);
    let failed: Vec<_> = outcomes.iter().filter(|o| o.is_failure()).collect();
    assert_eq!(failed.len(), 1);
    assert!(matches!(
        failed[0],
        Outcome::Failed {
            error: ResolveConflictsError::ContactManagerNotFound { .. },
            ..
        }
    ));
}

#[tokio::test]
async fn rate_limits_are_waited_out() {
    let (fake, client) = demo().await;
    fake.set_rate_limit(Some((2, Duration::from_millis(700))));
    let started = std::time::Instant::now();
    let outcomes = run(&client, Policy::keep_current()).await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Resolved { .. })),
        "{outcomes:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "waited for a reset"
    );
    assert_eq!(conflicted(&fake), 0);
}

#[tokio::test]
async fn many_contacts_across_pages() {
    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("bot", "pw");
    for i in 0..230 {
        let id = fake.add_contact_named(&format!("Person {i:03}"));
        if i % 2 == 0 {
            fake.merge_visitor(&id, Visitor::new().name(&format!("P. {i:03}")));
        }
    }
    let client = fake.client_for(&agent).unwrap();
    let outcomes: Vec<_> = client
        .resolve_all(Policy::take_incoming())
        .concurrency(8)
        .into_stream()
        .collect()
        .await;
    assert_eq!(outcomes.len(), 115);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Resolved { .. }))
    );
    let searches = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.search"))
        .count();
    // A one-item probe per listing (where the walk starts, by `_updatedAt`), then two walks
    // (one resolving, one confirming), each three pages of 100 known contacts (overlapping
    // by a few) and one page of unknown ones. The confirming walk lists only contacts
    // written since the first walk started, less a 2 s overlap — here, every contact.
    assert_eq!(searches, 10);
}

#[tokio::test]
async fn a_contact_level_policy_leaves_the_whole_contact_when_its_manager_conflicts() {
    let (fake, client) = demo().await;
    let jane = ContactId::from(DemoData::CONTACT_ID);
    let before = fake.contact(&jane).unwrap();
    // Jane's manager conflicts: a person must look at all of her. The others are decided
    // field by field.
    let policy = Policy::per_contact("manager-needs-a-human", |contact| {
        if contact
            .conflicts()
            .iter()
            .any(|c| c.field == ConflictField::Manager)
        {
            None
        } else {
            Some(Policy::take_incoming())
        }
    });
    let mut stream = client.resolve_all(policy).into_stream();
    let mut outcomes = Vec::new();
    while let Some(outcome) = stream.next().await {
        outcomes.push(outcome);
    }
    let summary = stream.summary();
    assert_eq!(summary.resolved, 2, "{outcomes:?}");
    assert_eq!(summary.waiting_for_person, 1, "{summary:?}");
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Outcome::LeftForPerson { plan } if plan.contact_id == jane)),
        "{outcomes:?}"
    );
    // Not even her name was rewritten: the contact is exactly as it was.
    let after = fake.contact(&jane).unwrap();
    assert_eq!(after.name, before.name);
    assert_eq!(after.conflicting_fields, before.conflicting_fields);
    assert!(!fake.requests().iter().any(|r| {
        r.path.ends_with("contacts.conflicts")
            && r.json()
                .is_some_and(|b| b["contactId"] == DemoData::CONTACT_ID)
    }));

    // The same rule as a combinator, and `leaving` for contrast: it leaves the manager only
    // and still rewrites the name.
    let (fake, client) = demo().await;
    client
        .resolve_all(Policy::take_incoming().leaving([ConflictField::Manager]))
        .run()
        .await;
    assert_eq!(
        fake.contact(&jane).unwrap().name.as_deref(),
        Some("Jane D.")
    );
    let (fake, client) = demo().await;
    let summary = client
        .resolve_all(Policy::take_incoming().leaving_contact_when([ConflictField::Manager]))
        .run()
        .await;
    assert_eq!(
        fake.contact(&jane).unwrap().name.as_deref(),
        Some("Jane Doe")
    );
    assert_eq!((summary.resolved, summary.waiting_for_person), (2, 1));
}
