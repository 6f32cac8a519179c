//! A watcher in a large workspace lists only what changed since its previous pass
//! (`contacts.search` sorted by `_updatedAt` descending, down to the last mark), so an idle
//! pass costs one search call per listing and a new conflict is found by the next pass
//! whatever the workspace's size. It never skips a contact: one written exactly at the mark is
//! read again, other writers during the run are all seen, and a server that does not keep the
//! order gets full passes that say why.

use crate::common;
use std::time::Duration;

use futures_util::StreamExt;
use rocketchat_omnichannel::testing::{FakeRocketChat, Visitor};
use rocketchat_omnichannel::workflow::{
    Outcome, PassKind, Policy, Summary, Watch, WatchEvent, WatchStream,
};
use rocketchat_omnichannel::{Client, ContactId};
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

const SEARCH: &str = "/api/v1/omnichannel/contacts.search";

/// A fake holding `size` plain contacts (no conflicts) and one agent, recording every
/// request.
async fn workspace(size: usize) -> (FakeRocketChat, Client, Vec<ContactId>) {
    let fake = FakeRocketChat::builder()
        .record_requests(1_000_000)
        .start()
        .await
        .unwrap();
    let ids = (0..size)
        .map(|i| fake.add_contact_named(&format!("Contact {i:06}")))
        .collect();
    let agent = fake.add_agent("watcher", "secret");
    let client = fake.client_for(&agent).unwrap();
    (fake, client, ids)
}

/// What one pass did, as the watcher reported it and the fake saw it.
#[derive(Debug)]
struct Pass {
    kind: PassKind,
    summary: Summary,
    searches: usize,
    resolved: Vec<ContactId>,
}

fn searches(fake: &FakeRocketChat) -> usize {
    fake.requests().iter().filter(|r| r.path == SEARCH).count()
}

/// Polls the watcher until its next pass ends. The watcher does nothing between polls, so
/// whatever the test writes before calling this lands between two passes.
async fn next_pass(events: &mut WatchStream, fake: &FakeRocketChat) -> Pass {
    let before = searches(fake);
    let mut resolved = Vec::new();
    let next = async {
        loop {
            match events.next().await.expect("the watcher ended early") {
                WatchEvent::Outcome(Outcome::Resolved { plan, .. }) => {
                    resolved.push(plan.contact_id.clone())
                }
                WatchEvent::Outcome(other) => panic!("unexpected outcome: {other}"),
                WatchEvent::PassFinished { kind, summary, .. } => return (kind, summary),
                other => panic!("unexpected event: {other:?}"),
            }
        }
    };
    let (kind, summary) = tokio::time::timeout(Duration::from_secs(120), next)
        .await
        .expect("a pass ends");
    Pass {
        kind,
        summary,
        searches: searches(fake) - before,
        resolved,
    }
}

/// A `keep-current` watcher of the known contacts, 5 ms between passes.
fn watcher(client: &Client) -> Watch {
    client
        .resolve_all(Policy::keep_current())
        .unknown(false)
        .watch(Duration::from_millis(5))
}

fn conflicting_name(contact: &ContactId) -> Visitor {
    Visitor::new().name(&format!("Someone else {contact}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_full_pass_an_idle_pass_costs_one_search_per_listing() {
    let (fake, client, ids) = workspace(2_000).await;
    for id in ids.iter().step_by(200) {
        assert!(fake.merge_visitor(id, conflicting_name(id)));
    }
    let mut events = client
        .resolve_all(Policy::keep_current())
        .watch(Duration::from_millis(5))
        .into_stream();

    let first = next_pass(&mut events, &fake).await;
    assert_eq!(first.kind, PassKind::First);
    assert_eq!(first.resolved.len(), 10, "{first:?}");
    // Two listings (`unknown` false and true) of 20 pages each, walked twice (the second
    // walk is the final check), plus one probe per listing.
    assert!(first.searches >= 40, "{first:?}");

    // The whole workspace was written within the last second or two: a pass that starts
    // within the overlap (2 s, plus the `Date` header's whole second) of that reads it again
    // — the price of never skipping a write from an instance whose clock is behind.
    past_the_overlap(&mut events, &fake).await;
    for _ in 0..3 {
        let idle = next_pass(&mut events, &fake).await;
        assert_eq!(idle.kind, PassKind::Changes, "{idle:?}");
        assert_eq!(idle.summary.seen, 0, "{idle:?}");
        assert_eq!(idle.searches, 2, "one page per listing: {idle:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_conflict_is_found_without_listing_the_workspace_again() {
    let (fake, client, ids) = workspace(20_000).await;
    let mut events = watcher(&client).into_stream();
    let first = next_pass(&mut events, &fake).await;
    assert!(first.searches >= 200, "{first:?}");
    past_the_overlap(&mut events, &fake).await;

    // The oldest contact (first by `_id`, last by `_updatedAt`) gets a conflict.
    let target = &ids[0];
    assert!(fake.merge_visitor(target, conflicting_name(target)));
    let pass = next_pass(&mut events, &fake).await;
    assert_eq!(pass.kind, PassKind::Changes, "{pass:?}");
    assert_eq!(pass.resolved, std::slice::from_ref(target), "{pass:?}");
    assert!(!fake.contact(target).unwrap().has_conflicts());
    // One page to find it, one for the final check that it is resolved.
    assert_eq!(pass.searches, 2, "{pass:?}");
}

/// Waits until the workspace's last writes are older than the default overlap (2 s) plus the
/// `Date` header's whole second, then lets one pass move the mark past them.
async fn past_the_overlap(events: &mut WatchStream, fake: &FakeRocketChat) {
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    next_pass(events, fake).await;
}

/// This machine's clock as Rocket.Chat writes `_updatedAt` (the fake shares it).
fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn conflicted_at(updated_at: &str, name: &str) -> Map<String, Value> {
    let Value::Object(doc) = json!({
        "name": name,
        "unknown": false,
        "enabled": true,
        "createdAt": updated_at,
        "_updatedAt": updated_at,
        "emails": [], "phones": [], "channels": [],
        "conflictingFields": [{"field": "name", "value": format!("{name}, again")}],
    }) else {
        unreachable!()
    };
    doc
}

fn millis_before(at: &str, millis: i64) -> String {
    let at: jiff::Timestamp = at.parse().unwrap();
    let earlier = at - jiff::SignedDuration::from_millis(millis);
    earlier.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A write stamped a whole overlap (2 s) behind the clock when it happens — an instance
/// whose clock is that far behind — is still read by the next pass: the previous pass's
/// mark is at most the clock, and the floor is the mark less the overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_stamped_a_whole_overlap_behind_is_checked_again() {
    let (fake, client, _) = workspace(300).await;
    let mut events = watcher(&client).into_stream();
    let first = next_pass(&mut events, &fake).await;
    assert_eq!(first.summary.seen, 0);
    let behind = fake.add_contact_json(conflicted_at(&millis_before(&now(), 2_000), "Behind"));

    let pass = next_pass(&mut events, &fake).await;
    assert_eq!(pass.kind, PassKind::Changes);
    assert_eq!(pass.resolved, std::slice::from_ref(&behind), "{pass:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_overlap_catches_writes_from_a_clock_a_second_behind() {
    let (fake, client, _) = workspace(300).await;
    let mut events = watcher(&client).into_stream();
    next_pass(&mut events, &fake).await;
    let behind = fake.add_contact_json(conflicted_at(&millis_before(&now(), 1_000), "Behind"));

    let pass = next_pass(&mut events, &fake).await;
    assert_eq!(pass.kind, PassKind::Changes);
    assert_eq!(pass.resolved, std::slice::from_ref(&behind), "{pass:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_full_pass_catches_what_listing_changes_cannot() {
    let (fake, client, _) = workspace(300).await;
    let mut events = watcher(&client)
        .full_pass_every(Duration::from_millis(300))
        .into_stream();
    next_pass(&mut events, &fake).await;
    // A write that does not move `_updatedAt` (a direct database edit).
    let hidden = fake.add_contact_json(conflicted_at(&millis_before(&now(), 60_000), "Hidden"));
    let pass = next_pass(&mut events, &fake).await;
    assert_eq!(pass.kind, PassKind::Changes);
    assert!(pass.resolved.is_empty());

    tokio::time::sleep(Duration::from_millis(300)).await;
    let pass = next_pass(&mut events, &fake).await;
    assert_eq!(pass.kind, PassKind::Scheduled);
    assert_eq!(pass.resolved, [hidden], "{pass:?}");
}

/// Other clients create contacts, merge visitors into existing ones and rename contacts while
/// the watcher runs; once they stop, two passes that list only changes leave nothing
/// conflicted — nothing written during the run was skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_by_others_during_the_run_are_all_seen() {
    let (fake, client, ids) = workspace(3_000).await;
    let fake = std::sync::Arc::new(fake);
    let shutdown = CancellationToken::new();
    let mut events = client
        .resolve_all(Policy::keep_current())
        .stop_on(shutdown.clone())
        .watch(Duration::from_millis(1))
        .into_stream();
    next_pass(&mut events, &fake).await;

    let writer = {
        let fake = std::sync::Arc::clone(&fake);
        let editor = fake.add_agent("editor", "secret");
        let other = fake.client_for(&editor).unwrap();
        let ids = ids.clone();
        tokio::spawn(async move {
            for round in 0..300usize {
                let id = &ids[(round * 7919) % ids.len()];
                match round % 3 {
                    0 => assert!(fake.merge_visitor(id, conflicting_name(id))),
                    1 => {
                        let new = fake.add_contact_named(&format!("Newcomer {round}"));
                        assert!(fake.merge_visitor(&new, conflicting_name(&new)));
                    }
                    _ => {
                        other
                            .update_contact(id.clone())
                            .name(format!("Renamed {round}"))
                            .send()
                            .await
                            .unwrap();
                    }
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    // Keep the watcher running while the writer works.
    let mut kinds = Vec::new();
    while !writer.is_finished() {
        kinds.push(next_pass(&mut events, &fake).await.kind);
    }
    writer.await.unwrap();
    for _ in 0..2 {
        kinds.push(next_pass(&mut events, &fake).await.kind);
    }
    shutdown.cancel();
    assert!(
        kinds.iter().all(|k| *k == PassKind::Changes),
        "every pass after the first listed only changes: {kinds:?}"
    );

    let left: Vec<_> = client.conflicted_contacts(None).collect().await;
    assert!(left.is_empty(), "{} contacts left conflicted", left.len());
}

/// A server that ignores `sort` (or sends no `_updatedAt`) cannot be listed by change: every
/// pass walks everything, and says why.
#[tokio::test]
async fn a_server_that_ignores_the_sort_gets_full_passes_that_say_why() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    // Oldest first, whatever the request asked for.
    let contacts: Vec<Value> = (0..3)
        .map(|i| {
            json!({
                "_id": format!("contact{i}"), "name": format!("Contact {i}"),
                "_updatedAt": format!("2026-12-0{}T10:00:00.000Z", i + 1),
                "unknown": false, "channels": [], "emails": [], "phones": [],
            })
        })
        .collect();
    Mock::given(method("GET"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "contacts": contacts, "count": 3, "offset": 0, "total": 3, "success": true,
        })))
        .mount(&server)
        .await;
    let client = common::client(&server.uri());
    let mut events = client
        .resolve_all(Policy::keep_current())
        .unknown(false)
        .watch(Duration::from_millis(1))
        .passes(3)
        .into_stream();
    let mut kinds = Vec::new();
    while let Some(event) = events.next().await {
        if let WatchEvent::PassFinished { kind, .. } = event {
            kinds.push(kind);
        }
    }
    assert_eq!(
        kinds,
        [
            PassKind::First,
            PassKind::Unprovable("the server ignored the sort by `_updatedAt`".into()),
            PassKind::NoMark,
        ]
    );
    // The second pass fell back in place: its walk by change was followed by a walk by `_id`
    // from the start.
    let sorts: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.query_pairs().any(|(k, v)| k == "count" && v == "100"))
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "sort")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    // Pages only (the probe asks for one item): the first by change is pass 2's.
    let by_change = sorts
        .iter()
        .position(|s| s == r#"{"_updatedAt":-1,"_id":-1}"#)
        .unwrap_or_else(|| panic!("{sorts:?}"));
    assert_eq!(
        sorts.get(by_change + 1).map(String::as_str),
        Some(r#"{"_id":1}"#),
        "{sorts:?}"
    );
}
