//! Watching and bulk runs at scale, against the in-process fake under Rocket.Chat's default
//! rate-limit shape (10 calls per route and method per window; the window, 60 s on a real
//! server, scaled to 500 ms). Not a timed test: figures for `BENCHMARKS.md`.
//!
//! ```text
//! watch latency <contacts>...            # conflict-to-resolution time and calls per idle pass
//! watch latency-bulk <contacts>...       # the same, every contact written within a second
//! watch bulk <contacts> <conflicted>     # a first resolve_all against the ideal pace
//! ```
//!
//! Run with no arguments (as `cargo bench` does) it only prints this usage.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rocketchat_omnichannel::testing::{FakeRocketChat, Visitor};
use rocketchat_omnichannel::workflow::{Outcome, PassKind, Policy, WatchEvent};
use rocketchat_omnichannel::{Client, ContactId};
use serde_json::json;

const WINDOW: Duration = Duration::from_millis(500);
const CALLS: u64 = 10;
const SEARCH: &str = "/api/v1/omnichannel/contacts.search";
const RESOLVE: &str = "/api/v1/omnichannel/contacts.conflicts";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    match args.as_slice() {
        ["latency", sizes @ ..] if !sizes.is_empty() => {
            for size in sizes {
                runtime.block_on(latency(size.parse().expect("contacts"), History::Spread));
            }
        }
        ["latency-bulk", sizes @ ..] if !sizes.is_empty() => {
            for size in sizes {
                runtime.block_on(latency(size.parse().expect("contacts"), History::Bulk));
            }
        }
        ["bulk", size, conflicted] => runtime.block_on(bulk(
            size.parse().expect("contacts"),
            conflicted.parse().expect("conflicted"),
        )),
        _ => eprintln!(
            "watch: `watch latency 1000 20000` or `watch bulk 100000 10000` (BENCHMARKS.md)"
        ),
    }
}

/// When a workspace's contacts were last written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum History {
    /// One a second over the past three days: the watcher's 2 s overlap reaches none.
    Spread,
    /// All within the same second, just now: a bulk import, the 7.0 migration, a bulk run.
    Bulk,
}

/// A fake with `size` contacts written as `history` says, every `every`-th with a name
/// conflict, and one agent.
async fn workspace(
    size: usize,
    every: Option<usize>,
    history: History,
) -> (FakeRocketChat, Client, Vec<ContactId>) {
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(72);
    let now = jiff::Timestamp::now();
    let contacts: Vec<_> = (0..size)
        .map(|i| {
            let at = match history {
                History::Spread => start + jiff::SignedDuration::from_millis(i as i64 * 1000),
                History::Bulk => now,
            };
            let at = at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            let mut contact = json!({
                "_id": format!("bench{i:07}"), "name": format!("M{i:07}"), "unknown": false,
                "emails": [], "phones": [], "channels": [],
                "createdAt": at, "_updatedAt": at,
            });
            if every.is_some_and(|every| i % every == 0) {
                contact["conflictingFields"] =
                    json!([{"field": "name", "value": format!("A{i:07}")}]);
            }
            contact
        })
        .collect();
    let seed = json!({
        "users": [{"_id": "benchAgent", "username": "bench.agent", "password": "pw",
                   "roles": ["user", "livechat-agent"]}],
        "contacts": contacts,
    });
    let fake = FakeRocketChat::builder()
        .seed_json(&seed.to_string())
        .unwrap()
        .rate_limit(CALLS, WINDOW)
        .record_requests(1 << 20)
        .start()
        .await
        .unwrap();
    let client = fake.client_for(&"benchAgent".into()).unwrap();
    let ids = (0..size)
        .map(|i| ContactId::from(format!("bench{i:07}")))
        .collect();
    (fake, client, ids)
}

fn count(fake: &FakeRocketChat, path: &str) -> usize {
    fake.requests().iter().filter(|r| r.path == path).count()
}

fn answered_429(fake: &FakeRocketChat) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count()
}

fn windows(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() / WINDOW.as_secs_f64()
}

/// How long a conflict that appears at a random moment waits for a watcher (50 ms interval,
/// `keep-current`, every setting at its default) to resolve it, and what an idle pass costs.
async fn latency(size: usize, history: History) {
    let (fake, client, ids) = workspace(size, None, history).await;
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let watcher = tokio::spawn({
        let client = client.clone();
        async move {
            let mut stream = client
                .resolve_all(Policy::keep_current())
                .watch(Duration::from_millis(50))
                .into_stream();
            while let Some(event) = stream.next().await {
                if events_tx.send((Instant::now(), event)).is_err() {
                    break;
                }
            }
        }
    });
    let started = Instant::now();
    let first_pass = loop {
        if let (at, WatchEvent::PassFinished { .. }) = events.recv().await.unwrap() {
            break at - started;
        }
    };
    let first_searches = count(&fake, SEARCH);

    // Idle passes: nothing changes. Passes that start within the overlap (2 s) of the last
    // writes read those writes again; count until five in a row cost one page per listing.
    let mut idle = Vec::new();
    let mut before = count(&fake, SEARCH);
    while idle.len() < 5 || idle[idle.len() - 5..].iter().any(|calls| *calls != 2) {
        if let (_, WatchEvent::PassFinished { kind, .. }) = events.recv().await.unwrap() {
            assert_eq!(kind, PassKind::Changes);
            let now = count(&fake, SEARCH);
            idle.push(now - before);
            before = now;
        }
    }
    let settled = started.elapsed();

    // Conflicts at moments spread over a window and a half, on contacts spread over the
    // workspace (the oldest sort last by `_updatedAt`).
    let mut latencies = Vec::new();
    for trial in 0..8usize {
        tokio::time::sleep(Duration::from_millis(37 + (trial as u64 * 97) % 700)).await;
        let target = &ids[(trial * 7919) % ids.len()];
        let appeared = Instant::now();
        assert!(fake.merge_visitor(target, Visitor::new().name(&format!("Other {trial}"))));
        let resolved = loop {
            match events.recv().await.unwrap() {
                (at, WatchEvent::Outcome(Outcome::Resolved { plan, .. }))
                    if plan.contact_id == *target =>
                {
                    break at;
                }
                (_, WatchEvent::Outcome(other)) => panic!("unexpected outcome {other}"),
                _ => {}
            }
        };
        latencies.push(resolved - appeared);
    }
    watcher.abort();
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let worst = latencies[latencies.len() - 1];
    let rate_limited = answered_429(&fake);
    println!(
        "latency contacts={size} history={history:?} first_full_pass={:.2}s ({first_searches} \
         searches) idle_pass_searches={idle:?} cheap_from={:.2}s conflict_to_resolution \
         median={:.3}s ({:.2} windows) max={:.3}s ({:.2} windows) answers_429={rate_limited}",
        first_pass.as_secs_f64(),
        settled.as_secs_f64(),
        median.as_secs_f64(),
        windows(median),
        worst.as_secs_f64(),
        windows(worst),
    );
}

/// A first `resolve_all` over `size` contacts of which `conflicted` have a conflict, against
/// the ideal `max(search pages, resolves) / 10` windows.
async fn bulk(size: usize, conflicted: usize) {
    let (fake, client, _) = workspace(size, Some(size / conflicted), History::Spread).await;
    let started = Instant::now();
    let mut stream = client.resolve_all(Policy::keep_current()).into_stream();
    let mut resolved = 0;
    while let Some(outcome) = stream.next().await {
        match outcome {
            Outcome::Resolved { .. } => resolved += 1,
            other => panic!("unexpected outcome {other}"),
        }
    }
    let elapsed = started.elapsed();
    let summary = stream.summary();
    let pages = size.div_ceil(100);
    let ideal = pages.max(conflicted) as f64 / CALLS as f64;
    let rate_limited = answered_429(&fake);
    println!(
        "bulk contacts={size} conflicted={conflicted} resolved={resolved} left={} \
         wall={:.1}s = {:.1} windows; ideal {ideal:.0} windows; ratio {:.3}; \
         searches={} resolves={} answers_429={rate_limited}",
        summary.left_conflicted,
        elapsed.as_secs_f64(),
        windows(elapsed),
        windows(elapsed) / ideal,
        count(&fake, SEARCH),
        count(&fake, RESOLVE),
    );
}
