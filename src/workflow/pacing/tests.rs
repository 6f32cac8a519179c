//! The pacer against answers made up here: budgets, resets, 429s, skewed clocks, stops.

use super::*;

fn headers(limit: u64, remaining: u64, reset: SystemTime) -> RateLimit {
    let mut map = http::HeaderMap::new();
    let ms = reset
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    map.insert("x-ratelimit-limit", limit.to_string().parse().unwrap());
    map.insert(
        "x-ratelimit-remaining",
        remaining.to_string().parse().unwrap(),
    );
    map.insert("x-ratelimit-reset", ms.to_string().parse().unwrap());
    RateLimit::from_headers(&map).unwrap()
}

#[test]
fn probes_once_then_spends_the_window_then_waits_for_the_reset() {
    let now = SystemTime::now();
    let reset = now + Duration::from_secs(1);
    let mut budget = Budget::Unknown { probing: false };
    assert_eq!(take(&mut budget, now), None, "the probe goes out");
    assert_eq!(
        take(&mut budget, now),
        Some(POLL),
        "others wait for its answer"
    );
    learn(&mut budget, Some(headers(3, 2, reset)), false, true, now);
    assert_eq!(take(&mut budget, now), None);
    assert_eq!(take(&mut budget, now), None);
    let wait = take(&mut budget, now).expect("the window is spent");
    // The header carries whole milliseconds, so the reset it names is up to 1 ms before
    // `reset`.
    assert!(
        wait >= Duration::from_secs(1) + RESET_GUARD - Duration::from_millis(1)
            && wait < Duration::from_secs(1) + RESET_GUARD + MAX_JITTER,
        "{wait:?}"
    );
    // After the reset one call opens the fresh window; the others wait for its answer,
    // which says what is left of it (other clients at this address may have spent some).
    let later = reset + Duration::from_millis(10);
    assert_eq!(take(&mut budget, later), None);
    assert_eq!(
        take(&mut budget, later),
        Some(POLL),
        "what is left of the new window is unknown"
    );
    learn(
        &mut budget,
        Some(headers(3, 1, later + Duration::from_secs(1))),
        false,
        true,
        later,
    );
    assert_eq!(take(&mut budget, later), None, "the one left");
    assert!(take(&mut budget, later).unwrap() > Duration::from_millis(900));
}

/// How long the next call to `route` would wait.
fn next_wait(pacer: &Pacer, route: &'static str) -> Duration {
    let mut routes = pacer.routes.lock().unwrap();
    take(
        &mut routes.get_mut(route).unwrap().budget,
        SystemTime::now(),
    )
    .unwrap_or_default()
}

#[tokio::test]
async fn a_reset_far_away_is_cut_to_what_the_server_justified() {
    let pacer = Pacer::new(true, None);
    pacer.acquire("r").await.unwrap();
    let tomorrow = SystemTime::now() + Duration::from_secs(86_400);
    pacer.observe_answer("r", Some(headers(10, 0, tomorrow)), false, None);
    let wait = next_wait(&pacer, "r");
    assert!(
        wait <= MIN_WAIT_CAP + RESET_GUARD * 2 + MAX_JITTER,
        "{wait:?}"
    );
    assert!(wait >= MIN_WAIT_CAP - Duration::from_secs(1), "{wait:?}");

    // A 429 whose body names a longer wait is believed, and raises the cap.
    let later = SystemTime::now() + Duration::from_secs(3_540);
    pacer.observe_answer(
        "r",
        Some(headers(10, 0, later)),
        true,
        Some(Duration::from_secs(3_540)),
    );
    let wait = next_wait(&pacer, "r");
    assert!(wait >= Duration::from_secs(3_530), "{wait:?}");
}

#[tokio::test]
async fn a_429_without_headers_waits_what_its_body_says() {
    let pacer = Pacer::new(true, None);
    pacer.acquire("r").await.unwrap();
    pacer.observe_answer("r", None, true, Some(Duration::from_secs(3)));
    let wait = next_wait(&pacer, "r");
    assert!(
        wait >= Duration::from_millis(2_900) && wait <= Duration::from_secs(4),
        "{wait:?}, not the 250 ms skew back-off"
    );
}

#[test]
fn what_is_left_is_spread_over_the_rest_of_the_window() {
    let now = SystemTime::now();
    let budget = Budget::Limited {
        limit: 10,
        left: 9,
        reset_at: Some(now + Duration::from_millis(500)),
        skew_strikes: 0,
    };
    assert_eq!(
        spread(&budget, None, now, true),
        None,
        "an idle run sends at once"
    );
    assert_eq!(
        spread(&budget, Some(now), now, true),
        Some(Duration::from_millis(50)),
        "500 ms left for 9 calls: one every 50 ms"
    );
    let later = now + Duration::from_millis(20);
    let wait = spread(&budget, Some(now), later, true).unwrap();
    assert!(wait > Duration::from_millis(20) && wait < Duration::from_millis(30));
    assert_eq!(
        spread(&budget, Some(now), now + Duration::from_millis(60), true),
        None
    );
    let spent = Budget::Limited {
        limit: 10,
        left: 0,
        reset_at: Some(now + Duration::from_millis(500)),
        skew_strikes: 0,
    };
    assert_eq!(
        spread(&spent, Some(now), now, true),
        None,
        "`take` says how long"
    );
    // Alone at its address, a run sends the first half of a window at once.
    assert_eq!(spread(&budget, Some(now), now, false), None);
    let half = Budget::Limited {
        limit: 10,
        left: 5,
        reset_at: Some(now + Duration::from_millis(600)),
        skew_strikes: 0,
    };
    assert_eq!(
        spread(&half, Some(now), now, false),
        Some(Duration::from_millis(100))
    );
}

#[test]
fn the_server_remaining_caps_the_budget_and_a_429_empties_it() {
    let now = SystemTime::now();
    let reset = now + Duration::from_secs(2);
    let mut budget = Budget::Unknown { probing: false };
    take(&mut budget, now);
    learn(&mut budget, Some(headers(10, 9, reset)), false, true, now);
    // Another client shares the limit: the server says only 1 is left.
    learn(&mut budget, Some(headers(10, 1, reset)), false, true, now);
    assert_eq!(take(&mut budget, now), None);
    assert!(take(&mut budget, now).is_some());
    let mut budget = Budget::Unknown { probing: false };
    take(&mut budget, now);
    learn(&mut budget, Some(headers(10, 9, reset)), false, true, now);
    learn(&mut budget, Some(headers(10, 0, reset)), true, true, now);
    assert!(take(&mut budget, now).unwrap() > Duration::from_millis(1900));
}

#[test]
fn no_headers_means_no_pacing_and_a_stale_reset_backs_off() {
    let now = SystemTime::now();
    let mut budget = Budget::Unknown { probing: false };
    take(&mut budget, now);
    learn(&mut budget, None, false, true, now);
    for _ in 0..100 {
        assert_eq!(take(&mut budget, now), None);
    }
    let mut budget = Budget::Unknown { probing: false };
    take(&mut budget, now);
    learn(
        &mut budget,
        Some(headers(5, 4, now + Duration::from_secs(1))),
        false,
        true,
        now,
    );
    // A 429 naming a reset in the past (skewed clocks) still waits a little.
    learn(
        &mut budget,
        Some(headers(5, 0, now - Duration::from_secs(1))),
        true,
        true,
        now,
    );
    let wait = take(&mut budget, now).unwrap();
    assert!(wait >= SKEW_BACKOFF, "{wait:?}");
}

#[test]
fn unpaced_learns_only_from_429s() {
    let now = SystemTime::now();
    let mut budget = Budget::Unlimited;
    learn(
        &mut budget,
        Some(headers(2, 0, now + Duration::from_secs(1))),
        false,
        false,
        now,
    );
    assert_eq!(take(&mut budget, now), None, "successes are not paced");
    learn(
        &mut budget,
        Some(headers(2, 0, now + Duration::from_secs(1))),
        true,
        false,
        now,
    );
    assert!(take(&mut budget, now).unwrap() > Duration::from_millis(900));
    let after = now + Duration::from_secs(2);
    for _ in 0..50 {
        assert_eq!(take(&mut budget, after), None, "free again after the reset");
    }
}

#[tokio::test]
async fn a_deadline_refuses_waits_that_end_too_late() {
    let pacer = Pacer::new(true, Some(Instant::now() + Duration::from_millis(200)));
    pacer.acquire("r").await.unwrap();
    let reset = SystemTime::now() + Duration::from_secs(30);
    pacer.observe("r", Some(headers(1, 0, reset)), false);
    assert_eq!(pacer.acquire("r").await, Err(DeadlinePassed));
    assert_eq!(pacer.rate_limited(), 0);
    pacer.observe("r", Some(headers(1, 0, reset)), true);
    assert_eq!(pacer.rate_limited(), 1);
}

#[tokio::test]
async fn calls_that_get_no_answer_after_a_window_ends_do_not_stall_the_run() {
    let pacer = Pacer::new(true, None);
    let route = crate::omnichannel::contacts::resolve_conflicts::CONFLICTS_PATH;
    pacer.acquire(route).await.unwrap();
    // A window of 2 that has already ended: the next calls open a fresh one.
    let past = SystemTime::now() - Duration::from_secs(1);
    pacer.observe(route, Some(headers(2, 1, past)), false);
    for _ in 0..2 {
        pacer.acquire(route).await.unwrap();
        pacer.no_answer(route); // connection refused, timed out, …
    }
    // Before the fix the budget stayed empty with no reset to wait for: a hang.
    tokio::time::timeout(Duration::from_secs(30), pacer.acquire(route))
        .await
        .expect("a unit came back")
        .unwrap();
}

#[tokio::test]
async fn a_cancelled_token_ends_a_long_wait() {
    let stop = CancellationToken::new();
    let pacer = Pacer::new(true, None).with_stop(Some(stop.clone()));
    let route = "omnichannel/contacts.search";
    pacer.acquire(route).await.unwrap();
    let reset = SystemTime::now() + Duration::from_secs(3600);
    pacer.observe(route, Some(headers(1, 0, reset)), false);
    let waiting = tokio::spawn(async move { pacer.acquire(route).await });
    stop.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("the wait ended soon after the stop, not at the reset an hour away")
        .unwrap();
    assert_eq!(ended, Err(DeadlinePassed));
}
