//! A support bot's weeks, compressed (issue 20 #14): one `watch_conflicts` watcher on a
//! two-factor account against the fake while everything a long run meets happens at once.
//!
//! - Rocket.Chat's default rate-limit shape (10 calls per route per window), the window
//!   scaled from a minute down to 500 ms;
//! - every login session ends every few seconds (`FakeRocketChat::expire_sessions`), so the
//!   bot logs in again through its two-factor hook, whose first answer is a wrong code;
//! - HTML 502s, JSON 503s, dropped connections, truncated bodies and slow answers injected
//!   into whatever request comes next;
//! - new contacts and visitor merges all the time, some with a manager conflict the policy
//!   leaves for a human;
//! - a "human" (a second client) resolving conflicts with their own choice and renaming
//!   contacts meanwhile.
//!
//! Afterwards every conflict the policy may resolve is resolved, every value the human wrote
//! is still there, no contact was resolved twice, the watcher reports each contact left for
//! a human once and its figures match the server, memory stayed flat, and the one watcher
//! ran from start to end.
//!
//! `SOAK_SECONDS` sets how long the trouble lasts (20 s by default, which keeps the test
//! under a minute); BENCHMARKS.md has a longer run and its figures.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rocketchat_omnichannel::models::{ConflictField, ContactId};
use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser, Fault, Visitor};
use rocketchat_omnichannel::workflow::{Outcome, Policy, WatchEvent};
use rocketchat_omnichannel::{FreshLogin, RetryPolicy};
use tokio_util::sync::CancellationToken;

const CODE: &str = "135790";
const WINDOW: Duration = Duration::from_millis(500);
const SESSION_LIFETIME: Duration = Duration::from_secs(3);

/// Resident memory of this process in KiB (Linux), for the flatness check.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A small deterministic generator, so a failing run can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// One finished pass as the test saw it.
struct Pass {
    at: Instant,
    summary: rocketchat_omnichannel::workflow::Summary,
    full: bool,
    rss: Option<u64>,
}

/// What the others did to the workspace while the bot ran.
#[derive(Default)]
struct World {
    /// Contacts a merge gave a name conflict, each once.
    merged: HashSet<ContactId>,
    /// Contacts with a manager conflict, for a human.
    for_humans: HashSet<ContactId>,
    /// Names the human wrote (by resolving or renaming); nothing merges into these again.
    human_wrote: HashMap<ContactId, String>,
    /// Every contact, for picking.
    all: Vec<ContactId>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_bot_survives_a_compressed_month() {
    if !crate::common::alone_in_a_process("soak::a_watch_bot_survives_a_compressed_month") {
        return;
    }
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let trouble = Duration::from_secs(seconds);

    let fake = FakeRocketChat::builder()
        .rate_limit(10, WINDOW)
        .record_requests(0)
        .start()
        .await
        .unwrap();
    fake.add_user(FakeUser::agent("bot").password("pw").two_factor_code(CODE));
    let managers = [fake.add_agent("m1", "pw"), fake.add_agent("m2", "pw")];
    let human_id = fake.add_agent("human", "pw");
    let human = fake
        .client_builder()
        .credentials(fake.personal_access_token(&human_id))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let world = Arc::new(Mutex::new(World::default()));
    let mut rng = Lcg(20);
    {
        let mut world = world.lock().unwrap();
        for i in 0..1500 {
            let id = fake.add_contact_named(&format!("Seed {i:04}"));
            if i % 15 == 0 {
                fake.merge_visitor(&id, Visitor::new().name(&format!("Seed {i:04} (web)")));
                world.merged.insert(id.clone());
            } else if i % 50 == 1 {
                fake.merge_visitor(&id, Visitor::new().contact_manager(managers[0].as_str()));
                fake.merge_visitor(&id, Visitor::new().contact_manager(managers[1].as_str()));
                world.for_humans.insert(id.clone());
            }
            world.all.push(id);
        }
    }

    // The hook answers a wrong code first, then the right one.
    let asked = Arc::new(AtomicUsize::new(0));
    let refusals = Arc::new(Mutex::new(Vec::new()));
    let bot = fake
        .client_builder()
        .two_factor_backoff(Duration::from_millis(100))
        .on_session_expired({
            let asked = Arc::clone(&asked);
            let refusals = Arc::clone(&refusals);
            move |expired| {
                let n = asked.fetch_add(1, Ordering::SeqCst);
                if let Some(why) = expired.previous_refusal() {
                    refusals.lock().unwrap().push(why.to_owned());
                }
                let code = if n == 0 { "000000" } else { CODE };
                async move { Some(FreshLogin::code(code)) }
            }
        })
        .build()
        .unwrap();
    bot.login("bot", "pw").two_factor_code(CODE).await.unwrap();

    let stop = CancellationToken::new();
    let policy = Policy::take_incoming().leaving([ConflictField::Manager]);
    let mut events = bot
        .resolve_all(policy)
        .stop_on(stop.clone())
        .watch(Duration::from_millis(200))
        .full_pass_every(Duration::from_secs(8))
        .into_stream();
    let passes = Arc::new(Mutex::new(Vec::new()));
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let watcher = tokio::spawn({
        let passes = Arc::clone(&passes);
        let outcomes = Arc::clone(&outcomes);
        async move {
            while let Some(event) = events.next().await {
                match event {
                    WatchEvent::PassFinished { summary, kind, .. } => {
                        let full = kind.is_full();
                        passes.lock().unwrap().push(Pass {
                            at: Instant::now(),
                            summary,
                            full,
                            rss: rss_kib(),
                        });
                    }
                    WatchEvent::Outcome(outcome) => outcomes.lock().unwrap().push(outcome),
                    _ => {}
                }
            }
        }
    });

    // The trouble.
    let started = Instant::now();
    let mut last_expiry = started;
    let mut tick = 0u64;
    let mut expiries = 0;
    while started.elapsed() < trouble {
        tokio::time::sleep(Duration::from_millis(100)).await;
        tick += 1;
        if last_expiry.elapsed() >= SESSION_LIFETIME {
            expiries += fake.expire_sessions();
            last_expiry = Instant::now();
        }
        if tick.is_multiple_of(10) {
            let fault = match rng.below(5) {
                0 => Fault::html(502),
                1 => Fault::status(503, r#"{"success":false,"error":"Service Unavailable"}"#),
                2 => Fault::drop_connection(),
                3 => Fault::truncated_body(),
                _ => Fault::delay(Duration::from_millis(300)),
            };
            fake.inject_faults(1, fault);
        }
        // New contacts, and merges into contacts nobody merged into before.
        let (merge, pick_for_human, rename) = {
            let mut world = world.lock().unwrap();
            for _ in 0..2 {
                let id = fake.add_contact_named(&format!("New {tick}-{}", rng.below(1000)));
                world.all.push(id);
            }
            let candidate = world.all[rng.below(world.all.len())].clone();
            let merge = (!world.merged.contains(&candidate)
                && !world.for_humans.contains(&candidate)
                && !world.human_wrote.contains_key(&candidate))
            .then(|| {
                world.merged.insert(candidate.clone());
                candidate
            });
            let rename = world.all[rng.below(world.all.len())].clone();
            let rename = (!world.merged.contains(&rename)
                && !world.for_humans.contains(&rename)
                && !world.human_wrote.contains_key(&rename))
            .then_some(rename);
            (merge, tick.is_multiple_of(3), rename)
        };
        if let Some(id) = merge {
            let manager_too = rng.below(10) == 0;
            let mut visitor = Visitor::new().name(&format!("Visitor {tick}"));
            if manager_too {
                visitor = visitor.contact_manager(managers[0].as_str());
            }
            fake.merge_visitor(&id, visitor);
        }
        // The human renames a contact nobody merges into…
        if let Some(id) = rename {
            let name = format!("Renamed by a human {tick}");
            if fake.rename_contact(&id, &name) {
                world.lock().unwrap().human_wrote.insert(id, name);
            }
        }
        // …and resolves a name conflict with a choice of their own.
        if pick_for_human {
            let conflicted = fake.conflicted_contacts();
            let target = {
                let world = world.lock().unwrap();
                conflicted
                    .into_iter()
                    .filter(|id| world.merged.contains(id) && !world.human_wrote.contains_key(id))
                    .nth(rng.below(5))
            };
            if let Some(id) = target {
                let name = format!("Chosen by a human {tick}");
                let done = human
                    .resolve_contact_conflicts(id.clone())
                    .name(name.clone())
                    .wipe_conflicts(true)
                    .await;
                if done.is_ok() {
                    world.lock().unwrap().human_wrote.insert(id, name);
                }
            }
        }
    }

    // Quiet again: the bot must catch up by itself, within a few passes.
    let catch_up = Instant::now();
    let left_for_humans = || {
        fake.conflicted_contacts().into_iter().all(|id| {
            fake.contact(&id).is_some_and(|c| {
                c.conflicts()
                    .iter()
                    .all(|c| c.field == ConflictField::Manager)
            })
        })
    };
    let mut caught_up_at = None;
    loop {
        if caught_up_at.is_none() && left_for_humans() {
            caught_up_at = Some(Instant::now());
        }
        // A full pass that started after the catch-up (after a pass that ended after it)
        // counts every contact as the trouble left them.
        let counted = caught_up_at.is_some_and(|since| {
            let passes = passes.lock().unwrap();
            passes
                .iter()
                .position(|p| p.at > since)
                .is_some_and(|i| passes[i + 1..].iter().any(|p| p.full && p.summary.complete))
        });
        if counted {
            break;
        }
        assert!(
            catch_up.elapsed() < Duration::from_secs(30),
            "the bot did not catch up: {} conflicted",
            fake.conflicted_contacts().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caught_up_in = caught_up_at.unwrap().duration_since(catch_up);
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(10), watcher)
        .await
        .expect("the watcher ends on the signal")
        .unwrap();

    let world = world.lock().unwrap();
    let passes = passes.lock().unwrap();
    let outcomes = outcomes.lock().unwrap();

    // The trouble happened.
    assert!(expiries >= 2, "sessions ended {expiries} times");
    assert!(
        asked.load(Ordering::SeqCst) >= 2,
        "the hook was asked again"
    );
    assert!(
        refusals.lock().unwrap().iter().any(|r| r == "totp-invalid"),
        "the wrong code was refused and the hook told so: {:?}",
        refusals.lock().unwrap()
    );
    assert!(
        world.human_wrote.len() >= 5,
        "the human wrote {} values",
        world.human_wrote.len()
    );

    // Every value a human wrote is still there.
    for (id, name) in &world.human_wrote {
        let now = fake.contact(id).and_then(|c| c.name);
        assert_eq!(
            now.as_deref(),
            Some(name.as_str()),
            "{id}: the human's value was overwritten"
        );
    }

    // No contact was resolved twice (each got one merge), and every contact the bot reports
    // as waiting for a human is reported once per state of its conflicts.
    let mut resolved: HashMap<&ContactId, usize> = HashMap::new();
    let mut deferred: HashMap<&ContactId, usize> = HashMap::new();
    for outcome in outcomes.iter() {
        match outcome {
            Outcome::Resolved { contact, .. } | Outcome::PartlyResolved { contact, .. } => {
                *resolved.entry(&contact.id).or_default() += 1;
            }
            Outcome::LeftForPerson { plan } => *deferred.entry(&plan.contact_id).or_default() += 1,
            _ => {}
        }
    }
    let twice: Vec<_> = resolved.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "resolved more than once: {twice:?}");
    assert!(
        resolved.len() >= 150,
        "the bot resolved {} contacts",
        resolved.len()
    );
    let repeated: Vec<_> = deferred.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "reported again without a change: {repeated:?}"
    );

    // The watcher's figures match the server, and it kept no more state than that.
    let last = &passes
        .iter()
        .rev()
        .find(|p| p.full)
        .expect("a full pass ran")
        .summary;
    let waiting = fake.conflicted_contacts().len();
    assert_eq!(last.waiting_for_person, waiting, "{last:?}");
    assert!(last.is_clean() && last.failed == 0, "{last:?}");

    // Memory is flat: the second half of the passes used about what the first half did
    // (the fake in this process holds a few hundred more contacts by then).
    assert!(passes.len() >= 10, "only {} passes", passes.len());
    let samples: Vec<u64> = passes.iter().filter_map(|p| p.rss).collect();
    let (early, late) = if samples.len() >= 8 {
        let quarter = samples.len() / 4;
        let early = *samples[quarter..2 * quarter].iter().max().unwrap();
        let late = *samples[3 * quarter..].iter().max().unwrap();
        assert!(
            late <= early + 16 * 1024,
            "resident memory grew from {early} KiB to {late} KiB over the passes"
        );
        (early, late)
    } else {
        (0, 0)
    };
    eprintln!(
        "soak: {seconds} s of trouble, {} passes, {} resolved, {} waiting for a human, {} \
         human writes, {expiries} sessions ended, hook asked {} times, caught up in {:.1} s, \
         resident memory {early} KiB (second quarter) → {late} KiB (last quarter)",
        passes.len(),
        resolved.len(),
        waiting,
        world.human_wrote.len(),
        asked.load(Ordering::SeqCst),
        caught_up_in.as_secs_f64()
    );
}
