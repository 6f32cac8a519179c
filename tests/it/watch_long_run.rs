//! A watcher that runs for weeks: a tokio-util `CancellationToken` stops it at once while it
//! sleeps between passes (the wait is woken by the token, not found by polling), and each
//! pass reports its own figures.

use crate::common;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::workflow::{Policy, WatchEvent};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn cancelling_the_token_ends_a_watcher_between_passes() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    let shutdown = CancellationToken::new();
    let mut events = client
        .resolve_all(Policy::keep_current())
        .stop_on(shutdown.clone())
        .watch(Duration::from_secs(3600))
        .into_stream();
    // The first pass runs to its end; then the watcher sleeps for an hour.
    loop {
        match events.next().await {
            Some(WatchEvent::PassFinished { .. }) => break,
            Some(_) => {}
            None => panic!("the watcher ended before its first pass finished"),
        }
    }
    let started = Instant::now();
    let canceller = shutdown.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        canceller.cancel();
    });
    let rest: Vec<_> = tokio::time::timeout(Duration::from_secs(60), events.collect::<Vec<_>>())
        .await
        .expect("the cancelled watcher must end, not sleep out its hour");
    assert!(
        rest.iter()
            .all(|e| !matches!(e, WatchEvent::PassFinished { .. })),
        "no second pass after the cancel"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// A watcher shares one pacer across its passes; each pass's summary counts its own 429s.
#[tokio::test]
async fn each_pass_counts_only_its_own_rate_limited_answers() {
    use rocketchat_omnichannel::testing::Fault;
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    // The first request of the first pass is refused once, as Rocket.Chat refuses it.
    fake.inject_faults(
        1,
        Fault::status(
            429,
            r#"{"success":false,"error":"Error, too many requests. Please slow down. You must wait 1 seconds before trying this endpoint again. [error-too-many-requests]"}"#,
        ),
    );
    let events: Vec<_> = client
        .resolve_all(Policy::keep_current())
        .watch(Duration::from_millis(10))
        .passes(2)
        .into_stream()
        .collect()
        .await;
    let passes: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            WatchEvent::PassFinished { summary, .. } => Some(summary.rate_limited),
            _ => None,
        })
        .collect();
    assert_eq!(passes, [1, 0], "per pass, not since the watcher started");
}

/// A contact left for a human is reported once per state of its conflicts: not on every
/// pass, but again when a human resolved it and new conflicts arrived, or when another value
/// joined the ones waiting (issue 20 #6: before, it was never reported again).
#[tokio::test]
async fn a_contact_left_for_a_human_is_reported_again_when_its_conflicts_change() {
    use rocketchat_omnichannel::testing::Visitor;
    use rocketchat_omnichannel::workflow::{Decision, Outcome};

    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("bot", "pw");
    let client = fake.client_for(&agent).unwrap();
    let jane = fake.add_contact_named("Jane");
    assert!(fake.merge_visitor(&jane, Visitor::new().name("Jane D.")));
    let mut events = client
        .resolve_all(Policy::custom("leave-all", |_| Decision::Leave))
        .watch(Duration::from_millis(5))
        .into_stream();
    // The contacts each pass reported as waiting for a human.
    let mut pass = async || {
        let mut deferred = Vec::new();
        loop {
            match events.next().await.expect("the watcher runs") {
                WatchEvent::Outcome(Outcome::LeftForPerson { plan }) => {
                    deferred.push(plan.contact_id)
                }
                WatchEvent::Outcome(other) => panic!("unexpected {other}"),
                WatchEvent::PassFinished { .. } => return deferred,
                _ => {}
            }
        }
    };
    assert_eq!(pass().await, std::slice::from_ref(&jane));
    assert!(pass().await.is_empty(), "reported once");

    // A human resolves it; later a visitor brings a new name.
    client
        .resolve_contact_conflicts(jane.clone())
        .wipe_conflicts(true)
        .await
        .unwrap();
    assert!(pass().await.is_empty());
    assert!(fake.merge_visitor(&jane, Visitor::new().name("J. Doe")));
    assert_eq!(
        pass().await,
        std::slice::from_ref(&jane),
        "new conflicts are news"
    );
    assert!(pass().await.is_empty());

    // Another value joins the waiting one.
    assert!(fake.merge_visitor(&jane, Visitor::new().name("Janet")));
    assert_eq!(
        pass().await,
        std::slice::from_ref(&jane),
        "changed conflicts are news"
    );
}

/// A watcher whose passes stop on a failure that concerns every contact (here a 403: the
/// bot lacks `update-livechat-contact`) pauses longer after each such pass and recovers by
/// itself once the cause is gone (issue 20 #5).
#[tokio::test]
async fn a_run_level_failure_backs_the_watcher_off_until_it_clears() {
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    let contact = |conflicts: serde_json::Value| {
        json!({"_id": "c1", "name": "Jane", "unknown": false, "channels": [], "emails": [],
               "phones": [], "_updatedAt": "2026-12-01T10:00:00.000Z",
               "conflictingFields": conflicts})
    };
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "contacts": [contact(json!([{"field": "name", "value": "J."}]))],
            "count": 100, "offset": 0, "total": 1, "success": true,
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/omnichannel/contacts.conflicts"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "success": false,
            "error": "User does not have the permissions required for this action [error-unauthorized]",
        })))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/omnichannel/contacts.conflicts"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": true, "contact": contact(json!([]))})),
        )
        .with_priority(2)
        .mount(&server)
        .await;

    let interval = Duration::from_millis(20);
    let client = common::client(&server.uri());
    let mut events = client
        .resolve_all(Policy::keep_current())
        .concurrency(1)
        .unknown(false)
        .watch(interval)
        .incremental(false)
        .passes(3)
        .into_stream();
    let mut passes = Vec::new();
    while let Some(event) = events.next().await {
        if let WatchEvent::PassFinished { summary, .. } = event {
            passes.push((Instant::now(), summary));
        }
    }
    assert_eq!(passes.len(), 3);
    for (_, halted) in &passes[..2] {
        let why = halted
            .halted
            .as_deref()
            .unwrap_or_else(|| panic!("{halted:?}"));
        assert!(why.contains("403"), "{why}");
        assert_eq!(
            halted.failed, 1,
            "one call, not one per contact: {halted:?}"
        );
    }
    let (_, recovered) = &passes[2];
    assert!(
        recovered.halted.is_none() && recovered.resolved == 1,
        "{recovered:?}"
    );
    // After the second halted pass the pause is four intervals (two doublings).
    let gap = passes[2].0 - passes[1].0;
    assert!(gap >= interval * 4, "{gap:?}");
}
