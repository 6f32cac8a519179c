//! A bot that keeps contacts free of conflicts: it watches on an interval and resolves new
//! conflicts as visitors create them, leaving names for a person to decide.
//!
//! ```text
//! cargo run --example conflict_bot -- [PASSES]
//! ```
//!
//! Runs on the embedded fake server with demo data, while a second task plays visitors
//! whose details conflict with known contacts. The bot stops by itself after `PASSES`
//! passes (default 4), or on Ctrl-C.

use std::time::Duration;

use futures_util::StreamExt;
use rocketchat_omnichannel::models::ConflictField;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, Visitor};
use rocketchat_omnichannel::workflow::{Outcome, Policy, WatchEvent};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let passes: u64 = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|_| format!("PASSES must be a number, not `{n}`"))?,
        None => 4,
    };
    let fake = std::sync::Arc::new(FakeRocketChat::builder().demo_data().start().await?);
    let client = fake.client_for(&DemoData::AGENT_ID.into())?;

    // Visitors keep arriving with details that differ from the known contacts'.
    let visitors = tokio::spawn({
        let fake = std::sync::Arc::clone(&fake);
        async move {
            for i in 0..6 {
                tokio::time::sleep(Duration::from_millis(150)).await;
                let contact = fake.add_contact_named(&format!("Customer {i}"));
                // The first visit sets the plan; the second disagrees on name and plan.
                fake.merge_visitor(&contact, Visitor::new().custom_field("plan", "silver"));
                fake.merge_visitor(
                    &contact,
                    Visitor::new()
                        .name(&format!("Cust. {i}"))
                        .custom_field("plan", "gold"),
                );
            }
        }
    });

    // Take the incoming value of every field except names, which a person settles.
    let policy = Policy::take_incoming().leaving([ConflictField::Name]);
    let stop = CancellationToken::new();
    tokio::spawn({
        let stop = stop.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.cancel();
            }
        }
    });
    let watcher = client
        .resolve_all(policy)
        .concurrency(4)
        .stop_on(stop)
        .watch(Duration::from_millis(300))
        .passes(passes);

    // The bot's main loop is a spawned task: the watcher owns what it needs.
    let bot = tokio::spawn(async move {
        let mut events = watcher.into_stream();
        while let Some(event) = events.next().await {
            match event {
                WatchEvent::Outcome(Outcome::Resolved { plan, .. }) => {
                    println!("resolved {}", plan.contact_id);
                }
                WatchEvent::Outcome(Outcome::PartlyResolved { plan, .. }) => {
                    let left: Vec<String> = plan.remaining().map(ToString::to_string).collect();
                    println!(
                        "resolved {} except {} (left for a person)",
                        plan.contact_id,
                        left.join(", ")
                    );
                }
                WatchEvent::Outcome(Outcome::LeftForPerson { plan }) => {
                    println!("{} waits for a person", plan.contact_id);
                }
                WatchEvent::Outcome(other) if other.is_failure() => eprintln!("{other:?}"),
                WatchEvent::PassFinished {
                    pass,
                    summary,
                    kind,
                    ..
                } => println!(
                    "pass {pass} ({kind}): {} resolved, {} partly, {} waiting for a person, {} left",
                    summary.resolved,
                    summary.partly_resolved,
                    summary.waiting_for_person,
                    summary.left_conflicted
                ),
                _ => {}
            }
        }
    });
    bot.await?;
    visitors.abort();
    println!("bot stopped");
    Ok(())
}
