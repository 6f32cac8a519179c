//! A tokio-util `CancellationToken` stops a watcher asleep between passes at once: the
//! wait is woken by the token, not found by polling.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::workflow::{CancellationToken, Policy, WatchEvent};

#[tokio::test]
async fn cancelling_the_token_ends_a_watcher_between_passes() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    let shutdown = CancellationToken::new();
    let mut events = client
        .watch_conflicts(Policy::keep_current())
        .interval(Duration::from_secs(3600))
        .stop_signal(shutdown.clone())
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
