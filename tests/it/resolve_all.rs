//! `resolve_all` at scale on the fake server: one run reaches every conflicted contact
//! whatever the policy does to names and whatever other writers do meanwhile; 429s during
//! listing and resolving are waited out; pacing keeps clear of the limiter.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use rocketchat_omnichannel::Client;
use rocketchat_omnichannel::models::ContactId;
use rocketchat_omnichannel::testing::{FakeRocketChat, Fault, Visitor};
use rocketchat_omnichannel::workflow::{Outcome, Policy, Summary};

/// Hang guard only: a healthy run takes a few seconds.
const GUARD: Duration = Duration::from_secs(120);

/// `n` contacts named `M0000`… each with a name conflict that moves it to the top (`A…`) or
/// the bottom (`Z…`) of the name order when the latest value is taken.
async fn seeded(n: usize) -> (FakeRocketChat, Client, Vec<ContactId>) {
    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("bot", "pw");
    let ids = (0..n)
        .map(|i| {
            let id = fake.add_contact_named(&format!("M{i:04}"));
            let new_name = if i % 2 == 0 {
                format!("A{i:04}")
            } else {
                format!("Z{i:04}")
            };
            fake.merge_visitor(&id, Visitor::new().name(&new_name));
            id
        })
        .collect();
    let client = fake.client_for(&agent).unwrap();
    (fake, client, ids)
}

async fn run(client: &Client, policy: Policy) -> (Vec<Outcome>, Summary) {
    let mut stream = client.resolve_all(policy).concurrency(8).into_stream();
    let outcomes = tokio::time::timeout(GUARD, async {
        let mut outcomes = Vec::new();
        while let Some(outcome) = stream.next().await {
            outcomes.push(outcome);
        }
        outcomes
    })
    .await
    .expect("the run ends");
    (outcomes, stream.summary())
}

fn searches(fake: &FakeRocketChat) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.search"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_up_and_down_the_name_order_leave_nothing_behind() {
    let (fake, client, ids) = seeded(1050).await;
    assert_eq!(fake.conflicted_contacts().len(), 1050);
    let (outcomes, summary) = run(&client, Policy::take_incoming()).await;
    assert_eq!(fake.conflicted_contacts(), Vec::<ContactId>::new());
    assert_eq!(outcomes.len(), 1050);
    assert_eq!(summary.seen, 1050);
    assert_eq!(summary.resolved, 1050, "{summary:?}");
    assert_eq!((summary.left_conflicted, summary.failed), (0, 0));
    assert!(summary.complete && summary.is_clean(), "{summary:?}");
    assert_eq!(summary.rounds, 2, "one walk resolving, one confirming");
    assert!(searches(&fake) >= 11, "at least 11 pages of 100 were read");
    assert_eq!(
        fake.contact(&ids[0]).unwrap().name.as_deref(),
        Some("A0000")
    );
    assert_eq!(
        fake.contact(&ids[1]).unwrap().name.as_deref(),
        Some("Z0001")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_writers_creating_renaming_and_deleting_do_not_make_it_miss_any() {
    let (fake, client, ids) = seeded(1000).await;
    let fake = Arc::new(fake);
    let done = Arc::new(AtomicBool::new(false));
    // Another client: inserts contacts whose ids sort before everything (shifting every page
    // forward), renames conflicted contacts and deletes some (shifting pages back).
    let writer = tokio::spawn({
        let fake = Arc::clone(&fake);
        let done = Arc::clone(&done);
        let ids = ids.clone();
        async move {
            let mut deleted = HashSet::new();
            let mut step = 0usize;
            while !done.load(Ordering::SeqCst) && step < 3000 {
                let target = &ids[(step * 7919) % ids.len()];
                match step % 3 {
                    0 => {
                        let doc = serde_json::json!({
                            "_id": format!("000000000{step:08x}"), "name": format!("New {step}"),
                            "unknown": false, "conflictingFields": []
                        });
                        fake.add_contact_json(doc.as_object().unwrap().clone());
                    }
                    1 => {
                        fake.rename_contact(target, &format!("Renamed {step}"));
                    }
                    _ => {
                        if fake.remove_contact(target) {
                            deleted.insert(target.clone());
                        }
                    }
                }
                step += 1;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            (deleted, step)
        }
    });
    let (_, summary) = run(&client, Policy::take_incoming()).await;
    done.store(true, Ordering::SeqCst);
    let (deleted, steps) = writer.await.unwrap();
    assert!(steps > 30, "the writer ran during the run ({steps} steps)");
    assert!(!deleted.is_empty());
    // Every contact conflicted at the start that still exists has been resolved.
    assert_eq!(fake.conflicted_contacts(), Vec::<ContactId>::new());
    let survivors = ids.iter().filter(|id| !deleted.contains(*id)).count();
    assert!(
        summary.resolved >= survivors.saturating_sub(summary.gone),
        "{summary:?}"
    );
    assert_eq!(summary.left_conflicted, 0, "{summary:?}");
    assert!(summary.complete, "{summary:?}");
}

#[tokio::test]
async fn a_429_while_listing_is_waited_out() {
    let (fake, client, _) = seeded(30).await;
    let body = r#"{"success":false,"error":"Error, too many requests. Please slow down. You must wait 1 seconds before trying this endpoint again. [error-too-many-requests]","errorType":"error-too-many-requests"}"#;
    fake.inject_faults(2, Fault::status(429, body));
    let (outcomes, summary) = run(&client, Policy::keep_current()).await;
    assert_eq!(outcomes.len(), 30);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Outcome::Resolved { .. })),
        "{outcomes:?}"
    );
    assert_eq!(summary.rate_limited, 2, "{summary:?}");
    let first: Vec<_> = fake
        .requests()
        .iter()
        .take(3)
        .map(|r| r.path.clone())
        .collect();
    assert!(
        first.iter().all(|p| p.ends_with("contacts.search")),
        "{first:?}"
    );
    assert!(summary.is_clean(), "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_while_resolving_are_waited_out_and_pacing_avoids_them() {
    let (fake, client, _) = seeded(24).await;
    fake.set_rate_limit(Some((6, Duration::from_millis(300))));
    let unpaced = tokio::time::timeout(
        GUARD,
        client
            .resolve_all(Policy::keep_current())
            .concurrency(8)
            .pacing(false)
            .run(),
    )
    .await
    .unwrap();
    assert_eq!(unpaced.resolved, 24, "{unpaced:?}");
    assert!(
        unpaced.rate_limited > 0,
        "unpaced bursts hit the limiter: {unpaced:?}"
    );
    assert!(unpaced.is_clean());

    let (fake, client, _) = seeded(24).await;
    fake.set_rate_limit(Some((6, Duration::from_millis(300))));
    let paced = tokio::time::timeout(
        GUARD,
        client
            .resolve_all(Policy::keep_current())
            .concurrency(8)
            .run(),
    )
    .await
    .unwrap();
    assert_eq!(paced.resolved, 24, "{paced:?}");
    assert!(
        paced.rate_limited <= 1,
        "paced runs stay under the limit: {paced:?}"
    );
    assert!(fake.conflicted_contacts().is_empty());
}

#[tokio::test]
async fn a_deadline_abandons_what_it_cannot_reach_and_says_so() {
    let (fake, client, _) = seeded(10).await;
    // Enough search calls at once for both listings' probes and the first page; the resolve
    // route's own budget then runs out long before the deadline.
    fake.set_rate_limit(Some((6, Duration::from_secs(30))));
    let summary = tokio::time::timeout(
        GUARD,
        client
            .resolve_all(Policy::keep_current())
            .deadline(Duration::from_millis(500))
            .run(),
    )
    .await
    .unwrap();
    assert!(!summary.complete, "{summary:?}");
    assert!(!summary.is_clean());
    assert!(summary.resolved < 10, "{summary:?}");
    assert!(summary.stopped > 0, "{summary:?}");
}

#[tokio::test]
async fn conflicts_arriving_during_the_run_are_caught_by_the_next_walk() {
    let (fake, client, ids) = seeded(5).await;
    let fake = Arc::new(fake);
    let late = fake.add_contact_named("Late");
    let injected = Arc::new(AtomicBool::new(false));
    let policy = {
        let fake = Arc::clone(&fake);
        let late = late.clone();
        let injected = Arc::clone(&injected);
        Policy::custom("inject", move |conflict| {
            if !injected.swap(true, Ordering::SeqCst) {
                fake.merge_visitor(&late, Visitor::new().name("Late Comer"));
            }
            match conflict.latest() {
                Some(v) => rocketchat_omnichannel::workflow::Decision::Take(v.clone()),
                None => rocketchat_omnichannel::workflow::Decision::KeepCurrent,
            }
        })
    };
    let summary = client.resolve_all(policy).run().await;
    assert_eq!(summary.seen, ids.len() + 1, "{summary:?}");
    assert_eq!(summary.rounds, 3, "{summary:?}");
    assert!(summary.is_clean(), "{summary:?}");
    assert!(fake.conflicted_contacts().is_empty());
}

#[tokio::test]
async fn unknown_contacts_are_included_unless_excluded() {
    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("bot", "pw");
    let doc = serde_json::json!({"_id": "unknown-1", "name": "Visitor", "unknown": true,
        "conflictingFields": [{"field": "name", "value": "Visitor Two"}]});
    fake.add_contact_json(doc.as_object().unwrap().clone());
    let client = fake.client_for(&agent).unwrap();
    let excluded = client
        .resolve_all(Policy::keep_current())
        .unknown(false)
        .run()
        .await;
    assert_eq!(excluded.seen, 0);
    assert_eq!(fake.conflicted_contacts().len(), 1);
    let included = client.resolve_all(Policy::keep_current()).run().await;
    assert_eq!((included.seen, included.resolved), (1, 1), "{included:?}");
    assert!(fake.conflicted_contacts().is_empty());
}

#[tokio::test]
async fn a_policy_that_leaves_fields_reports_partly_resolved_contacts() {
    let (fake, client, ids) = seeded(4).await;
    fake.merge_visitor(&ids[0], Visitor::new().custom_field("plan", "gold"));
    let doc = fake.contact_json(&ids[0]).unwrap();
    assert!(
        doc["conflictingFields"].as_array().unwrap().len() <= 1,
        "a first value is set, not a conflict"
    );
    fake.merge_visitor(&ids[0], Visitor::new().custom_field("plan", "platinum"));
    let policy =
        Policy::take_incoming().leaving([rocketchat_omnichannel::models::ConflictField::Name]);
    let (outcomes, summary) = run(&client, policy).await;
    // Contact 0 had a name and a custom-field conflict: the field was resolved, the name left.
    assert_eq!(summary.partly_resolved, 1, "{summary:?}");
    assert_eq!(summary.left_for_person, 3, "{summary:?}");
    assert_eq!(summary.waiting_for_person, 4, "{summary:?}");
    assert_eq!(summary.left_conflicted, 0);
    assert!(summary.is_clean());
    assert_eq!(outcomes.len(), 4);
    let zero = fake.contact(&ids[0]).unwrap();
    assert_eq!(zero.custom_fields["plan"], "platinum");
    assert_eq!(zero.conflicting_fields.len(), 1, "the name conflict stays");
}

#[tokio::test]
async fn the_run_can_be_spawned() {
    let (fake, client, _) = seeded(12).await;
    let stream = client.resolve_all(Policy::keep_current()).into_stream();
    drop(client);
    let count = tokio::spawn(async move { stream.count().await })
        .await
        .unwrap();
    assert_eq!(count, 12);
    assert!(fake.conflicted_contacts().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_watcher_resolves_new_conflicts_and_stops_on_the_signal() {
    use rocketchat_omnichannel::workflow::WatchEvent;
    use tokio_util::sync::CancellationToken;

    let (fake, client, _) = seeded(3).await;
    let fake = Arc::new(fake);
    let stop = CancellationToken::new();
    let watcher = client
        .resolve_all(Policy::take_incoming())
        .stop_on(stop.clone())
        .watch(Duration::from_millis(20));
    let bot = tokio::spawn(async move {
        let mut events = watcher.into_stream();
        let mut seen = Vec::new();
        while let Some(event) = events.next().await {
            seen.push(event);
        }
        seen
    });
    // New conflicts appear while the bot runs; it must pick them up in a later pass.
    let late = fake.add_contact_named("Late");
    tokio::time::sleep(Duration::from_millis(100)).await;
    fake.merge_visitor(&late, Visitor::new().name("Late Comer"));
    tokio::time::timeout(GUARD, async {
        while !fake.conflicted_contacts().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the watcher resolves the late conflict");
    stop.cancel();
    let events = tokio::time::timeout(GUARD, bot).await.unwrap().unwrap();
    let resolved = events
        .iter()
        .filter(|e| matches!(e, WatchEvent::Outcome(Outcome::Resolved { .. })))
        .count();
    assert_eq!(resolved, 4);
    assert!(
        matches!(events.last(), Some(WatchEvent::PassFinished { .. })),
        "{events:?}"
    );
    assert_eq!(
        fake.contact(&late).unwrap().name.as_deref(),
        Some("Late Comer")
    );
}

#[tokio::test]
async fn a_decision_that_cannot_be_carried_out_is_left_conflicted_not_clean() {
    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("bot", "pw");
    // A manager conflict on a contact with no current manager (its user was deleted, so
    // search leaves the key out): "keep the current manager" has nothing to send.
    let doc = serde_json::json!({
        "_id": "orphan0000000001", "name": "Orphan", "unknown": false,
        "conflictingFields": [{"field": "manager", "value": agent.as_str()}],
        "createdAt": "2025-05-26T07:57:49.616Z", "_updatedAt": "2025-05-26T07:57:49.616Z"
    });
    let serde_json::Value::Object(doc) = doc else {
        unreachable!()
    };
    let id = fake.add_contact_json(doc);
    let client = fake.client_for(&agent).unwrap();
    let (outcomes, summary) = run(&client, Policy::keep_current()).await;
    assert!(
        matches!(&outcomes[..], [Outcome::LeftForPerson { plan }] if plan.contact_id == id),
        "{outcomes:?}"
    );
    assert_eq!(summary.left_conflicted, 1, "{summary:?}");
    assert_eq!(summary.waiting_for_person, 0, "{summary:?}");
    assert!(!summary.is_clean(), "the job is not done: {summary:?}");
}

/// Rocket.Chat's limiter counts per client address, route and method
/// (apps/meteor/app/api/server/api.ts keys it on `IPAddr` and `route`), so two bots behind
/// one address (NAT, one host) share a budget. Each paces by the `X-RateLimit-Remaining` it
/// reads, which counts the other bot's calls too: together they stay within the budget, with
/// at most a handful of 429s where both spend the same last call at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bots_behind_one_address_share_its_budget() {
    let (fake, first, _) = seeded(120).await;
    let other = fake.add_agent("other-bot", "pw");
    let second = fake.client_for(&other).unwrap();
    fake.set_rate_limit(Some((10, Duration::from_millis(200))));
    let runs = tokio::time::timeout(GUARD, async {
        tokio::join!(
            first.resolve_all(Policy::keep_current()).run(),
            second.resolve_all(Policy::keep_current()).run(),
        )
    })
    .await
    .expect("both runs end");
    assert!(fake.conflicted_contacts().is_empty(), "{runs:?}");
    // Each contact was resolved once; the other bot found it already clean.
    assert_eq!(runs.0.resolved + runs.1.resolved, 120, "{runs:?}");
    let requests = fake.requests();
    let answered_429 = requests.iter().filter(|r| r.status == Some(429)).count();
    for r in &requests {
        eprintln!(
            "DBG {} {:?} {}",
            &r.path[20..],
            r.status,
            r.header("x-user-id").unwrap_or("")
        );
    }
    assert!(
        answered_429 <= 6,
        "{answered_429} answers 429 out of {} calls: {runs:?}",
        requests.len()
    );
}

const CONFLICTS: &str = "/api/v1/omnichannel/contacts.conflicts";
const REFUSED: &str = r#"{"success":false,"error":"must have required property 'contactId' [invalid-params]","errorType":"invalid-params"}"#;

/// Runs with the first resolve call refused (an error no retry fixes); `meanwhile` runs
/// when that failure is yielded, before the run walks again.
/// The contacts were last written long ago, so a walk of recent changes (with its
/// overlap) does not list them unless something writes to them.
async fn one_refused_call(meanwhile: impl AsyncFn(&Client, &ContactId)) -> Summary {
    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("bot", "pw");
    for i in 0..3 {
        let doc = serde_json::json!({
            "_id": format!("old-{i}"), "name": format!("M{i}"), "unknown": false,
            "createdAt": "2020-01-01T00:00:00.000Z", "_updatedAt": "2020-01-01T00:00:00.000Z",
            "emails": [], "phones": [], "channels": [],
            "conflictingFields": [{"field": "name", "value": format!("A{i}")}],
        });
        fake.add_contact_json(doc.as_object().unwrap().clone());
    }
    // The newest write when the run starts, which is where its later walks start from.
    fake.add_contact_named("Recent");
    let client = fake.client_for(&agent).unwrap();
    fake.inject_faults(1, Fault::status(400, REFUSED).only_on("POST", CONFLICTS));
    let mut stream = client.resolve_all(Policy::take_incoming()).into_stream();
    let mut failed = None;
    tokio::time::timeout(GUARD, async {
        while let Some(outcome) = stream.next().await {
            if let Outcome::Failed { contact_id, .. } = &outcome {
                assert!(failed.is_none(), "one failure: {outcome:?}");
                meanwhile(&client, contact_id).await;
                failed = Some(contact_id.clone());
            }
        }
    })
    .await
    .expect("the run ends");
    assert!(failed.is_some(), "the fault made one call fail");
    stream.summary()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_contact_that_someone_else_resolved_leaves_the_run_clean() {
    let summary = one_refused_call(async |client, id| {
        client
            .resolve_contact_conflicts(id.clone())
            .wipe_conflicts(true)
            .await
            .expect("someone else resolves it");
    })
    .await;
    assert_eq!((summary.failed, summary.resolved), (1, 2), "{summary:?}");
    assert_eq!(summary.left_conflicted, 0, "{summary:?}");
    assert!(summary.is_clean(), "nothing is left to do: {summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_contact_still_conflicted_is_counted_as_left() {
    // The failed call changed nothing, so a final walk that lists only changes does not
    // see it: the count must still include it.
    let summary = one_refused_call(async |_, _| {}).await;
    assert_eq!((summary.failed, summary.resolved), (1, 2), "{summary:?}");
    assert_eq!(summary.left_conflicted, 1, "{summary:?}");
    assert!(summary.complete && !summary.is_clean(), "{summary:?}");
}

#[tokio::test]
async fn settings_that_cannot_work_are_refused_not_clamped() {
    let (fake, client, _ids) = seeded(2).await;
    for (run, what) in [
        (
            client.resolve_all(Policy::take_incoming()).concurrency(0),
            "concurrency 0",
        ),
        (
            client.resolve_all(Policy::take_incoming()).max_rounds(0),
            "max_rounds 0",
        ),
    ] {
        let summary = tokio::time::timeout(GUARD, run.run()).await.unwrap();
        let halted = summary.halted.clone().unwrap_or_default();
        assert!(halted.contains(what), "{summary:?}");
        assert!(!summary.is_clean() && summary.seen == 0, "{summary:?}");
        assert!(summary.to_string().contains(what), "{summary}");
    }
    assert!(fake.requests().is_empty(), "nothing was sent");
    // A watcher with such settings ends after saying so once, instead of backing off.
    let events: Vec<_> = tokio::time::timeout(
        GUARD,
        client
            .resolve_all(Policy::take_incoming())
            .concurrency(0)
            .watch(Duration::from_millis(1))
            .into_stream()
            .collect(),
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    // Larger values than the old clamps are taken as given.
    let summary = tokio::time::timeout(
        GUARD,
        client
            .resolve_all(Policy::take_incoming())
            .concurrency(64)
            .max_rounds(20)
            .run(),
    )
    .await
    .unwrap();
    assert!(summary.is_clean() && summary.resolved == 2, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_knows_the_total_from_the_start_and_counts_contacts_done() {
    // 150 conflicted contacts among 400 (two pages and more), and 7 unknown ones: both
    // listings count towards the total.
    let (fake, client, _) = seeded(150).await;
    for i in 0..250 {
        fake.add_contact_named(&format!("Q{i:04}"));
    }
    for i in 0..7 {
        let mut doc = serde_json::Map::new();
        doc.insert("name".into(), format!("U{i}").into());
        doc.insert("unknown".into(), true.into());
        doc.insert("conflictingFields".into(), serde_json::json!([]));
        // Stored as given: without `_updatedAt` no walk of changes could trust this listing.
        doc.insert("_updatedAt".into(), "2025-05-26T11:35:31.241Z".into());
        fake.add_contact_json(doc);
    }
    let mut stream = client
        .resolve_all(Policy::take_incoming())
        .concurrency(4)
        .into_stream();
    assert_eq!(stream.summary().total, None, "nothing listed yet");
    let mut seen = Vec::new();
    while let Some(outcome) = stream.next().await {
        assert!(matches!(outcome, Outcome::Resolved { .. }), "{outcome:?}");
        seen.push(stream.summary());
    }
    // From the first outcome on, the first walk knew it would go through all 407.
    let first_walk: Vec<_> = seen.iter().filter(|p| p.rounds == 1).collect();
    assert_eq!(first_walk.len(), 150);
    assert!(
        first_walk.iter().all(|p| p.total == Some(407)),
        "{first_walk:?}"
    );
    // `done` only grows, never past the total, and counts a resolved contact once answered.
    assert!(first_walk.windows(2).all(|w| w[0].done <= w[1].done));
    assert!(first_walk.iter().all(|p| (1..=407).contains(&p.done)));
    // The run's later walks list only what changed: no total is claimed for them.
    let last = stream.summary();
    assert!(last.rounds >= 2);
    assert_eq!(last.total, None, "{last:?}");
    assert!(stream.summary().is_clean());
}
