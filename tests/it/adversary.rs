//! A seeded adversary against the workflow (issue 34): scenarios drawn from a seed drive a
//! bulk run, a watcher, `apply` (whole, or killed half-way and resumed) and `undo` against
//! the fake with every default of the SDK, under Rocket.Chat's limiter shape (10 calls per
//! route per window) while people rename contacts, visitors merge into them, writes come in
//! bursts, contacts carry `_updatedAt` ahead of and behind the clock, answers are cut short,
//! dropped or replaced by a proxy's, login sessions end, and a second process tries the same
//! journal. After each scenario
//! the invariants below are checked, written once:
//!
//! - **I1** no name a person wrote is overwritten by a call sent more than the documented
//!   window after the write (`stale_after`, 2 s, plus a round trip);
//! - **I2** the run's figures add up, and once the adversary stops a fresh run leaves nothing
//!   conflicted (every contact was resolved, or is reported);
//! - **I3** undo restores every field the run changed and nobody changed since;
//! - **I4** no plan entry is sent twice (a killed and resumed apply included), a listed
//!   contact is sent again only when a visitor brought new conflicts, and a second process
//!   cannot open a journal in use.
//!
//! (I5, the idle pass and the new conflict found by the next pass, needs seconds of idleness
//! and lives in `promises.rs`.)
//!
//! CI plays [`BUDGET`] scenarios; `ADVERSARY_SCENARIOS=N` plays more, and a failing scenario
//! prints the line that replays it alone (`ADVERSARY_SEED=S`).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use rocketchat_omnichannel::models::ContactId;
use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser, Fault, RecordedRequest, Visitor};
use rocketchat_omnichannel::workflow::{
    DEFAULT_STALE_AFTER, Journal, PlanFile, Policy, Summary, WatchEvent, undo,
};
use tokio_util::sync::CancellationToken;

/// Scenarios CI plays.
const BUDGET: u64 = 200;
/// Scenarios in flight at once: they mostly wait for their rate-limit windows.
const IN_FLIGHT: usize = 16;
/// What a call may take beyond `stale_after` between the age check and the fake receiving
/// it, on a loaded machine.
const SLACK: Duration = Duration::from_millis(1_500);
/// A scenario that takes this long has hung.
const GUARD: Duration = Duration::from_secs(90);

/// A small deterministic generator: a seed replays its scenario.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Run,
    Watch,
    Apply,
    KilledApply,
    Undo,
}

/// One scenario, all drawn from its seed.
#[derive(Debug)]
struct Scenario {
    seed: u64,
    mode: Mode,
    contacts: usize,
    /// The limiter's window (10 calls per route within it).
    window: Duration,
    person_writes: usize,
    merges: usize,
    bursts: usize,
    faults: usize,
    dated_ahead: bool,
    dated_behind: bool,
}

impl Scenario {
    fn from_seed(seed: u64) -> Self {
        let mut rng = Lcg(seed ^ 0x9e37_79b9_7f4a_7c15);
        let mode = match rng.below(5) {
            0 => Mode::Run,
            1 => Mode::Watch,
            2 => Mode::Apply,
            3 => Mode::KilledApply,
            _ => Mode::Undo,
        };
        // Windows longer than `stale_after` (2 s) plus the slack make calls wait past it,
        // where I1 bites; a second or so exercises the waits; short ones play more scenarios
        // per second.
        let window = match rng.below(10) {
            0 => Duration::from_millis(4_000 + rng.below(1_000)),
            1..=3 => Duration::from_millis(900 + rng.below(600)),
            _ => Duration::from_millis(80 + rng.below(300)),
        };
        Self {
            seed,
            mode,
            contacts: 3 + rng.below(28) as usize,
            window,
            // Slow windows get more people: they are where a stale call could overwrite one.
            person_writes: if window > Duration::from_secs(3) {
                10 + rng.below(15) as usize
            } else {
                rng.below(12) as usize
            },
            merges: rng.below(8) as usize,
            bursts: rng.below(3) as usize,
            faults: if rng.chance(40) {
                1 + rng.below(3) as usize
            } else {
                0
            },
            dated_ahead: rng.chance(25),
            dated_behind: rng.chance(25),
        }
    }

    fn replay(&self) -> String {
        format!(
            "ADVERSARY_SEED={} cargo test --all-features --test it adversary -- --nocapture",
            self.seed
        )
    }
}

fn stamp(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A contact with a name conflict, written as a document (so its `_updatedAt` can be set).
fn dated(fake: &FakeRocketChat, name: &str, at: jiff::Timestamp) -> ContactId {
    let mut doc = serde_json::Map::new();
    doc.insert("name".into(), name.into());
    doc.insert("unknown".into(), false.into());
    doc.insert(
        "conflictingFields".into(),
        serde_json::json!([{"field": "name", "value": format!("{name}, again")}]),
    );
    doc.insert("_updatedAt".into(), stamp(at).into());
    fake.add_contact_json(doc)
}

/// What the adversary did.
#[derive(Default)]
struct Done {
    /// Visitor merges per contact (each may bring a new conflict).
    merges: HashMap<ContactId, usize>,
}

/// The adversary: people, visitors and a flaky proxy, for as long as the run goes on.
async fn adversary(
    s: &Scenario,
    fake: &FakeRocketChat,
    person: &rocketchat_omnichannel::Client,
    ids: &[ContactId],
    stop: CancellationToken,
) -> Done {
    let mut rng = Lcg(s.seed.wrapping_add(17));
    let mut done = Done::default();
    let mut events: Vec<u8> = std::iter::repeat_n(0u8, s.person_writes)
        .chain(std::iter::repeat_n(1, s.merges))
        .chain(std::iter::repeat_n(2, s.bursts))
        .chain(std::iter::repeat_n(3, s.faults))
        .collect();
    // In the seed's order, spread over about three windows.
    for i in (1..events.len()).rev() {
        events.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let spread = s.window * 3 / (events.len() as u32 + 1);
    for (k, event) in events.into_iter().enumerate() {
        if stop.is_cancelled() {
            break;
        }
        tokio::time::sleep(spread.mul_f64(0.5 + rng.below(100) as f64 / 100.0)).await;
        let pick = |rng: &mut Lcg| &ids[rng.below(ids.len() as u64) as usize];
        match event {
            0 => {
                let id = pick(&mut rng).clone();
                let _ = person
                    .update_contact(id)
                    .name(format!("Person {} {k}", s.seed))
                    .await;
            }
            1 => {
                let id = pick(&mut rng).clone();
                fake.merge_visitor(&id, Visitor::new().name(&format!("Visitor {k}")));
                *done.merges.entry(id).or_default() += 1;
            }
            2 => {
                // A burst: several writes within a millisecond.
                for b in 0..3 {
                    let id = pick(&mut rng).clone();
                    if b % 2 == 0 {
                        let _ = person
                            .update_contact(id)
                            .name(format!("Burst {} {k} {b}", s.seed))
                            .await;
                    } else {
                        fake.merge_visitor(&id, Visitor::new().name(&format!("Burst {k} {b}")));
                        *done.merges.entry(id).or_default() += 1;
                    }
                }
            }
            _ => {
                let fault = match rng.below(5) {
                    0 => Fault::truncated_body(),
                    1 => Fault::html(502),
                    2 => Fault::drop_connection(),
                    3 => {
                        // Every login session ends: the bot logs in again by itself.
                        fake.expire_sessions();
                        continue;
                    }
                    _ => Fault::status(503, r#"{"success":false,"error":"Service Unavailable"}"#),
                };
                fake.inject_faults(
                    1,
                    fault.only_on("POST", "/api/v1/omnichannel/contacts.conflicts"),
                );
            }
        }
    }
    done
}

/// The calls one user made to one route, in the order the fake received them.
fn calls<'a>(
    requests: &'a [RecordedRequest],
    user: &'a str,
    route: &'a str,
) -> impl Iterator<Item = &'a RecordedRequest> + 'a {
    requests
        .iter()
        .filter(move |r| r.path.ends_with(route) && r.header("x-user-id") == Some(user))
}

fn contact_of(request: &RecordedRequest) -> Option<(String, Option<String>)> {
    let body = request.json()?;
    let id = body["contactId"].as_str()?.to_owned();
    Some((id, body["name"].as_str().map(str::to_owned)))
}

/// I1: every name the bot sent was the current one no longer than the window before.
fn check_no_overwrite(
    requests: &[RecordedRequest],
    bot: &str,
    person: &str,
    original: &HashMap<String, String>,
) -> Result<(), String> {
    let window = DEFAULT_STALE_AFTER + SLACK;
    for sent in calls(requests, bot, "contacts.conflicts") {
        let Some((id, Some(name))) = contact_of(sent) else {
            continue;
        };
        // The names the bot may have seen: the last one written (by a person, or by the bot's
        // own earlier calls) before the window, and any written within it.
        let mut before = original.get(&id).cloned();
        let mut allowed = HashSet::new();
        let writes = calls(requests, person, "contacts.update")
            .chain(calls(requests, bot, "contacts.conflicts"))
            .filter(|w| w.received < sent.received && w.status == Some(200));
        let mut writes: Vec<&RecordedRequest> = writes.collect();
        writes.sort_by_key(|w| w.received);
        for write in writes {
            let Some((wid, Some(value))) = contact_of(write) else {
                continue;
            };
            if wid != id {
                continue;
            }
            if sent.received.duration_since(write.received) > window {
                before = Some(value);
            } else {
                allowed.insert(value);
            }
        }
        allowed.extend(before.clone());
        if !allowed.contains(&name) {
            // What the bot read before the call, and when (seconds before it).
            let ago = |r: &RecordedRequest| sent.received.saturating_duration_since(r.received);
            let reads: Vec<String> = requests
                .iter()
                .filter(|r| r.header("x-user-id") == Some(bot) && r.received <= sent.received)
                .filter(|r| {
                    r.path.ends_with("contacts.search")
                        || r.query.as_deref().is_some_and(|q| q.contains(id.as_str()))
                })
                .rev()
                .take(6)
                .map(|r| format!("{} {:?} ({:?})", r.path, ago(r), r.status))
                .collect();
            let timeline: Vec<String> = requests
                .iter()
                .filter(|r| {
                    contact_of(r).is_some_and(|(c, _)| c == id)
                        || r.query.as_deref().is_some_and(|q| q.contains(id.as_str()))
                })
                .map(|r| {
                    let when = if r.received <= sent.received {
                        format!("-{:?}", sent.received.duration_since(r.received))
                    } else {
                        format!("+{:?}", r.received.duration_since(sent.received))
                    };
                    let who = if r.header("x-user-id") == Some(bot) {
                        "bot"
                    } else {
                        "person"
                    };
                    format!(
                        "{when} {who} {} {:?} {:?}",
                        r.path,
                        r.status,
                        contact_of(r).and_then(|c| c.1)
                    )
                })
                .collect();
            return Err(format!(
                "I1: contact {id} was sent name {name:?}; a person wrote {before:?} more than \
                 {window:?} before the call; the bot's last reads: {reads:?}; timeline: {timeline:#?}"
            ));
        }
    }
    Ok(())
}

/// I2 (first half): the figures add up.
fn check_summary(summary: &Summary) -> Result<(), String> {
    let counted = summary.resolved
        + summary.partly_resolved
        + summary.left_for_person
        + summary.planned
        + summary.nothing_to_do
        + summary.stale
        + summary.gone
        + summary.failed
        + summary.stopped;
    if counted != summary.seen {
        return Err(format!(
            "I2: the outcomes add up to {counted}, not {}: {summary:?}",
            summary.seen
        ));
    }
    Ok(())
}

/// I4: how many times the server took a resolve of each contact.
fn resolves_taken(requests: &[RecordedRequest], bot: &str) -> HashMap<String, usize> {
    let mut taken = HashMap::new();
    for call in calls(requests, bot, "contacts.conflicts").filter(|c| c.status == Some(200)) {
        if let Some((id, _)) = contact_of(call) {
            *taken.entry(id).or_default() += 1;
        }
    }
    taken
}

async fn play(s: &Scenario) -> Result<(), String> {
    let fake = FakeRocketChat::builder()
        .rate_limit(10, s.window)
        .record_requests(200_000)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let bot_id = fake.add_agent("bot", "pw");
    // A password session, so that sessions the server ends are renewed as a bot's are.
    let bot = fake.client_builder().build().map_err(|e| e.to_string())?;
    bot.login("bot", "pw").await.map_err(|e| e.to_string())?;
    // An admin: Rocket.Chat's limiter does not count admins, so people keep writing while
    // the bot waits for its windows.
    let person_id = fake.add_user(FakeUser::new("boss").role("admin"));
    let person = fake.client_for(&person_id).map_err(|e| e.to_string())?;
    let mut ids: Vec<ContactId> = (0..s.contacts)
        .map(|i| {
            let id = fake.add_contact_named(&format!("Contact {i}"));
            fake.merge_visitor(&id, Visitor::new().name(&format!("Visitor name {i}")));
            id
        })
        .collect();
    let now = jiff::Timestamp::now();
    if s.dated_ahead {
        ids.push(dated(
            &fake,
            "Ahead",
            now + jiff::SignedDuration::from_mins(10),
        ));
    }
    if s.dated_behind {
        ids.push(dated(
            &fake,
            "Behind",
            now - jiff::SignedDuration::from_hours(5),
        ));
    }
    let original: HashMap<String, String> = ids
        .iter()
        .filter_map(|id| Some((id.to_string(), fake.contact(id)?.name?)))
        .collect();

    let stop = CancellationToken::new();
    let journal_path = std::env::temp_dir().join(format!(
        "rc-adversary-{}-{}.jsonl",
        std::process::id(),
        s.seed
    ));
    let _ = std::fs::remove_file(&journal_path);
    // Undo needs plans that change values: the others keep current values, so that I1 can
    // tell a stale write from a decision.
    let policy = if s.mode == Mode::Undo {
        Policy::take_incoming()
    } else {
        Policy::keep_current()
    };
    let plan = match s.mode {
        Mode::Apply | Mode::KilledApply | Mode::Undo => {
            let contacts: Vec<_> = bot
                .conflicted_contacts(None)
                .try_collect()
                .await
                .map_err(|e| e.to_string())?;
            Some(PlanFile::new(&bot, &policy, &contacts))
        }
        _ => None,
    };

    let the_run = async {
        match s.mode {
            Mode::Run => {
                let mut run = bot.resolve_all(policy.clone()).into_stream();
                while run.next().await.is_some() {}
                check_summary(&run.summary())
            }
            Mode::Watch => {
                let events: Vec<WatchEvent> = bot
                    .resolve_all(policy.clone())
                    .watch(s.window / 2)
                    .passes(3)
                    .into_stream()
                    .collect()
                    .await;
                for event in &events {
                    if let WatchEvent::PassFinished { summary, .. } = event {
                        check_summary(summary)?;
                    }
                }
                Ok(())
            }
            Mode::Apply | Mode::KilledApply | Mode::Undo => {
                let plan = plan.as_ref().ok_or("no plan")?;
                let journal = Journal::open(&journal_path, &bot).map_err(|e| e.to_string())?;
                // A second process on the same journal is refused while this one has it.
                if Journal::open(&journal_path, &bot).is_ok() {
                    return Err("I4: a second open of a journal in use succeeded".into());
                }
                let outcomes = if s.mode == Mode::KilledApply {
                    let kill = CancellationToken::new();
                    let killer = {
                        let kill = kill.clone();
                        let after = s.window.mul_f64(0.5 + (s.seed % 7) as f64 / 4.0);
                        tokio::spawn(async move {
                            tokio::time::sleep(after).await;
                            kill.cancel();
                        })
                    };
                    let first = bot
                        .apply(plan)
                        .journal(&journal)
                        .stop_on(kill)
                        .run()
                        .await
                        .map_err(|e| e.to_string())?;
                    killer.abort();
                    // The process died: its journal is closed; a new one resumes.
                    drop(journal);
                    let journal = Journal::open(&journal_path, &bot).map_err(|e| e.to_string())?;
                    let rest = bot
                        .apply(plan)
                        .journal(&journal)
                        .run()
                        .await
                        .map_err(|e| e.to_string())?;
                    let _ = first;
                    rest
                } else {
                    bot.apply(plan)
                        .journal(&journal)
                        .run()
                        .await
                        .map_err(|e| e.to_string())?
                };
                if outcomes.len() != plan.contacts.len() {
                    return Err(format!(
                        "I2: {} plan entries, {} outcomes",
                        plan.contacts.len(),
                        outcomes.len()
                    ));
                }
                Ok(())
            }
        }
    };
    let (result, done) = tokio::join!(
        async {
            let result = the_run.await;
            stop.cancel();
            result
        },
        adversary(s, &fake, &person, &ids, stop.clone())
    );
    result?;
    let requests = fake.requests();
    let bot_user = bot_id.to_string();
    let person_user = person_id.to_string();

    if s.mode != Mode::Undo {
        check_no_overwrite(&requests, &bot_user, &person_user, &original)?;
    }

    // I4: a plan entry is taken once; a listed contact again only after a visitor merge.
    let taken = resolves_taken(&requests, &bot_user);
    for (id, times) in &taken {
        let allowed = match s.mode {
            Mode::Apply | Mode::KilledApply | Mode::Undo => 1,
            // A watcher's passes may each resolve what a merge brought back.
            _ => {
                1 + done
                    .merges
                    .get(&ContactId::from(id.as_str()))
                    .copied()
                    .unwrap_or(0)
            }
        };
        if *times > allowed {
            return Err(format!(
                "I4: contact {id} was resolved {times} times (at most {allowed})"
            ));
        }
    }

    if s.mode == Mode::Undo {
        // I3: nothing changes after the apply (the adversary has stopped), so undo restores
        // every field the run changed, unless a person wrote it during the apply.
        let journal = Journal::open(&journal_path, &bot).map_err(|e| e.to_string())?;
        let report = undo(&bot, &journal).await.map_err(|e| e.to_string())?;
        drop(journal);
        for contact in &report {
            if contact.error.is_some() || !contact.could_not.is_empty() {
                return Err(format!("I3: undo could not restore: {contact:?}"));
            }
            for (field, now) in &contact.kept {
                // Kept only because a person wrote it after the run did.
                let wrote = calls(&requests, &person_user, "contacts.update").any(|w| {
                    contact_of(w).is_some_and(|(id, name)| {
                        id == contact.contact_id.as_str()
                            && name.as_ref()
                                == now
                                    .as_ref()
                                    .and_then(|v| v.as_str())
                                    .map(str::to_owned)
                                    .as_ref()
                    })
                });
                if !wrote {
                    return Err(format!(
                        "I3: {} kept {field} = {now:?} that nobody wrote",
                        contact.contact_id
                    ));
                }
            }
        }
        let again = undo(
            &bot,
            &Journal::open(&journal_path, &bot).map_err(|e| e.to_string())?,
        )
        .await
        .map_err(|e| e.to_string())?;
        if again != report {
            return Err("I3: a second undo reported something else".into());
        }
    } else {
        // I2: with the adversary gone, a fresh run leaves nothing conflicted and says so.
        let summary = bot.resolve_all(Policy::keep_current()).run().await;
        check_summary(&summary)?;
        let left = fake.conflicted_contacts();
        if !summary.is_clean() || !left.is_empty() {
            return Err(format!(
                "I2: after a fresh run {left:?} are conflicted: {summary:?}"
            ));
        }
    }
    let _ = std::fs::remove_file(&journal_path);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_adversary_finds_no_broken_promise() {
    let seeds: Vec<u64> = match std::env::var("ADVERSARY_SEED") {
        Ok(seed) => vec![seed.parse().expect("ADVERSARY_SEED is a number")],
        Err(_) => {
            let budget = std::env::var("ADVERSARY_SCENARIOS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(BUDGET);
            (1..=budget).collect()
        }
    };
    let started = Instant::now();
    let failures: Vec<String> = futures_util::stream::iter(seeds.iter().copied())
        .map(|seed| async move {
            let scenario = Scenario::from_seed(seed);
            match tokio::time::timeout(GUARD, play(&scenario)).await {
                Ok(Ok(())) => None,
                Ok(Err(broken)) => Some(format!(
                    "{broken}\n  {scenario:?}\n  replay: {}",
                    scenario.replay()
                )),
                Err(_) => Some(format!(
                    "hung\n  {scenario:?}\n  replay: {}",
                    scenario.replay()
                )),
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .filter_map(std::future::ready)
        .collect()
        .await;
    eprintln!(
        "adversary: {} scenarios in {:.1} s, {} broken",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
