//! Pacing bulk work to the server's rate limiter, so a long run sends close to the allowed
//! number of calls per window and (almost) never hits a 429.
//!
//! Rocket.Chat counts calls per client address, route and method in fixed windows, and sends
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (an absolute epoch in
//! milliseconds) on every answer while its limiter is on (server facts §5.4). The pacer keeps
//! one budget per route: it learns the limit and the window's end from the first answer
//! (only one call goes out until then), spends the budget locally as calls are sent, trims it
//! to what the server reports, and when it runs out waits until the window's end plus a small
//! random jitter. A 429 empties the budget until the reset it names. Without headers (limiter
//! off) calls are not paced at all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use super::stop::sleep_unless_stopped;
use crate::rate_limit::RateLimit;
use crate::response::Observed;

/// Waited after a window's reset at least, to absorb millisecond rounding of the header.
const RESET_GUARD: Duration = Duration::from_millis(5);
/// The largest random extra wait after a reset, so clients sharing a limit spread out.
const MAX_JITTER: Duration = Duration::from_millis(40);
/// How often a caller waiting for the first answer of a window looks again.
const POLL: Duration = Duration::from_millis(5);
/// 429s waited out for one call (a page, a contact) before it is reported failed.
pub(crate) const MAX_RATE_LIMITED: u32 = 10;
/// The first back-off when a 429 names a reset that has already passed (a skewed clock).
const SKEW_BACKOFF: Duration = Duration::from_millis(250);

/// The run's deadline passed, or would pass before the server accepts another call, or the
/// run was stopped: either way no call may be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DeadlinePassed;

#[derive(Debug)]
enum Budget {
    /// No answer yet: one call probes the limiter.
    Unknown { probing: bool },
    /// The server sent no rate-limit headers: no pacing.
    Unlimited,
    /// Calls left before `reset_at`; `reset_at` is `None` right after a window ended, until
    /// the first answer of the new window names its end.
    Limited {
        limit: u64,
        left: u64,
        reset_at: Option<SystemTime>,
        skew_strikes: u32,
    },
}

/// Shared by every task of one run; cheap to lock (held only for arithmetic).
#[derive(Debug)]
pub(crate) struct Pacer {
    enabled: bool,
    deadline: Option<Instant>,
    /// Raised: no more calls, and waits end at once.
    stop: Option<CancellationToken>,
    routes: Mutex<HashMap<&'static str, Route>>,
    rate_limited: AtomicU64,
    /// Units of each window this run leaves unspent, on every route. Raised by each 429
    /// that came while pacing (someone else spends this address's budget too: two clients
    /// that see the same last unit both send it), up to [`MAX_RESERVE`]. Rocket.Chat counts
    /// per address, route and method, so a client that shares one route's budget shares them
    /// all; learning it once is enough.
    reserve: AtomicU64,
}

/// One route's budget and this run's calls to it that have not been answered yet.
#[derive(Debug)]
struct Route {
    budget: Budget,
    in_flight: u64,
    /// When this run last sent a call to the route.
    last_sent: Option<SystemTime>,
    /// The longest wait a 429's body named for this route.
    justified: Duration,
}

/// The longest wait for a reset before any 429 justified a longer one: Rocket.Chat's default
/// window (`API_Enable_Rate_Limiter_Limit_Time_Default`, 60,000 ms, in
/// apps/meteor/server/settings/rate.ts).
const MIN_WAIT_CAP: Duration = Duration::from_secs(60);

/// The most units of a window a run leaves for other clients at its address.
const MAX_RESERVE: u64 = 2;

impl Pacer {
    pub(crate) fn new(enabled: bool, deadline: Option<Instant>) -> Self {
        Self {
            enabled,
            deadline,
            stop: None,
            routes: Mutex::new(HashMap::new()),
            rate_limited: AtomicU64::new(0),
            reserve: AtomicU64::new(0),
        }
    }

    /// Ends waits, and refuses further calls, once `stop` is raised.
    pub(crate) fn with_stop(mut self, stop: Option<CancellationToken>) -> Self {
        self.stop = stop;
        self
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
    }

    /// How many 429 answers the run saw.
    pub(crate) fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Whether the deadline has passed.
    pub(crate) fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|at| Instant::now() >= at)
    }

    /// Waits until a call to `route` may be sent, and counts it as sent.
    pub(crate) async fn acquire(&self, route: &'static str) -> Result<(), DeadlinePassed> {
        loop {
            if self.past_deadline() || self.stopped() {
                return Err(DeadlinePassed);
            }
            let wait = {
                let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
                let route = routes.entry(route).or_insert_with(|| self.initial());
                let now = SystemTime::now();
                let contended = self.reserve.load(Ordering::Relaxed) > 0;
                match spread(&route.budget, route.last_sent, now, contended)
                    .or_else(|| take(&mut route.budget, now))
                {
                    None => {
                        route.in_flight += 1;
                        route.last_sent = Some(now);
                        return Ok(());
                    }
                    Some(wait) => wait,
                }
            };
            if let Some(deadline) = self.deadline
                && Instant::now()
                    .checked_add(wait)
                    .is_none_or(|ready| ready > deadline)
            {
                return Err(DeadlinePassed);
            }
            // A stop signal ends the wait at once (the loop then sees it).
            sleep_unless_stopped(wait, self.stop.as_ref()).await;
        }
    }

    /// A call counted by [`Pacer::acquire`] got no answer (a transport error): lets another
    /// call probe the limiter if this one was the probe, and gives its unit back to a window
    /// whose end no answer has named yet. Without that, calls that all fail right after a
    /// window ends would leave the budget empty with nothing to refill it, and the run would
    /// wait for ever.
    pub(crate) fn no_answer(&self, route: &'static str) {
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(route) = routes.get_mut(route) else {
            return;
        };
        route.in_flight = route.in_flight.saturating_sub(1);
        match &mut route.budget {
            Budget::Unknown { probing } => *probing = false,
            Budget::Limited {
                limit,
                left,
                reset_at: None,
                ..
            } => *left = (*left + 1).min(*limit),
            _ => {}
        }
    }

    /// Learns from an answer to `route`: its rate-limit headers, and whether it was a 429.
    /// Ends a grant of [`Pacer::acquire`] whose call was not sent after all (the contact
    /// changed, or was gone, by the time the budget came). The unit goes back only while
    /// the window is not yet known, as for a call that got no answer: after a 429 or once
    /// the window has turned, a unit given back would be spent too early.
    pub(crate) fn release(&self, route: &'static str) {
        self.no_answer(route);
    }

    /// Learns from what a call granted by [`Pacer::acquire`] observed; `true` when the server
    /// refused it with a 429 (the caller may try again: `acquire` then waits for the reset).
    pub(crate) fn answered(&self, route: &'static str, observed: Observed) -> bool {
        match observed {
            Observed::NoAnswer => {
                self.no_answer(route);
                false
            }
            Observed::Answer {
                status,
                rate_limit,
                body_wait,
                ..
            } => {
                let rate_limited = status == http::StatusCode::TOO_MANY_REQUESTS;
                self.observe_answer(route, rate_limit, rate_limited, body_wait);
                rate_limited
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn observe(&self, route: &'static str, limit: Option<RateLimit>, refused: bool) {
        self.observe_answer(route, limit, refused, None);
    }

    /// Learns from an answer to `route`: its rate-limit headers, whether it was a 429, and
    /// the wait a 429's body names.
    ///
    /// No wait is longer than the longest the server has justified: [`MIN_WAIT_CAP`], or a
    /// 429 body's "wait N seconds", or a longer wait that a 429 justified earlier. A reset
    /// header far in the future (a proxy's, a skewed clock's) is cut to that, and said so;
    /// a server whose windows really are longer says so in its next 429's body, and is then
    /// believed.
    pub(crate) fn observe_answer(
        &self,
        route: &'static str,
        limit: Option<RateLimit>,
        refused: bool,
        body_wait: Option<Duration>,
    ) {
        let path = route;
        if refused {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
        let route = routes.entry(route).or_insert_with(|| self.initial());
        route.in_flight = route.in_flight.saturating_sub(1);
        let mut reserve = self.reserve.load(Ordering::Relaxed);
        if refused && self.enabled && matches!(route.budget, Budget::Limited { .. }) {
            reserve = (reserve + 1).min(MAX_RESERVE);
            self.reserve.store(reserve, Ordering::Relaxed);
        }
        // The server's `Remaining` has not counted the calls still on their way: without
        // this, a run with four calls in flight would spend the same last units four times.
        let limit = limit.map(|l| l.less_remaining(route.in_flight + reserve));
        let has_headers = limit.is_some();
        let now = SystemTime::now();
        learn(&mut route.budget, limit, refused, self.enabled, now);
        if let Some(wait) = body_wait {
            route.justified = route.justified.max(wait);
        }
        if let Budget::Limited { reset_at, .. } = &mut route.budget {
            if refused
                && !has_headers
                && let Some(wait) = body_wait
            {
                // No headers to go by: the body says how long.
                *reset_at = now.checked_add(wait);
            }
            let cap = route.justified.max(MIN_WAIT_CAP) + RESET_GUARD;
            if let Some(at) = *reset_at
                && at.duration_since(now).is_ok_and(|wait| wait > cap)
            {
                tracing::warn!(
                    route = path,
                    named_wait_s = at.duration_since(now).unwrap_or_default().as_secs(),
                    cap_s = cap.as_secs(),
                    "the rate-limit reset is further away than the server has justified; waiting the cap instead"
                );
                *reset_at = now.checked_add(cap);
            }
        }
    }

    /// A route's budget before any answer: probe when pacing, else send freely.
    fn initial(&self) -> Route {
        Route {
            budget: if self.enabled {
                Budget::Unknown { probing: false }
            } else {
                Budget::Unlimited
            },
            in_flight: 0,
            last_sent: None,
            justified: Duration::ZERO,
        }
    }
}

/// How long to wait so that what is left of a window is spread over the time left of it,
/// rather than sent at once: `time left / (calls left + 1)` after this run's previous call.
/// Clients behind one address share the window (Rocket.Chat counts per address), and each
/// learns what the others spent only from the answers' `Remaining`; spreading the calls lets
/// those answers arrive before the budget is gone, so the clients together slow down instead
/// of all spending the same last units. A run that was idle sends at once; a busy one still
/// spends the whole window by its end.
fn spread(
    budget: &Budget,
    last_sent: Option<SystemTime>,
    now: SystemTime,
    contended: bool,
) -> Option<Duration> {
    let Budget::Limited {
        limit,
        left,
        reset_at: Some(at),
        ..
    } = budget
    else {
        return None;
    };
    let time_left = at.duration_since(now).ok()?;
    // The first half of a window goes out at once (a short sequence of calls, a probe and a
    // page, is not held up); the second half is spread, and so is everything once a 429
    // showed that another client spends this budget.
    if *left == 0 || (!contended && left.saturating_mul(2) > *limit) {
        return None;
    }
    let spacing = time_left / u32::try_from(*left + 1).unwrap_or(u32::MAX);
    let since = now.duration_since(last_sent?).unwrap_or_default();
    spacing.checked_sub(since).filter(|wait| !wait.is_zero())
}

/// Takes one call from the budget, or says how long to wait before asking again.
fn take(budget: &mut Budget, now: SystemTime) -> Option<Duration> {
    match budget {
        Budget::Unlimited => None,
        Budget::Unknown { probing } if !*probing => {
            *probing = true;
            None
        }
        Budget::Unknown { .. } => Some(POLL),
        Budget::Limited {
            limit,
            left,
            reset_at,
            ..
        } => {
            if let Some(at) = *reset_at
                && now >= at
            {
                // The window is over: a fresh one starts with our next call. Only that call
                // goes out until its answer says what is left: Rocket.Chat counts per client
                // address, so other clients behind the same address (NAT, a second bot on
                // the host) may have spent part of the window already.
                // (A limit of `u64::MAX` stands for "refused until the reset, free after":
                // an unpaced run learns nothing from successes, so it must not wait for one.)
                *left = if *limit == u64::MAX { u64::MAX } else { 1 };
                *reset_at = None;
            }
            if *left > 0 {
                *left -= 1;
                return None;
            }
            match *reset_at {
                Some(at) => Some(at.duration_since(now).unwrap_or_default() + jitter()),
                // Spent a fresh window before any of its answers came back: wait for one.
                None => Some(POLL),
            }
        }
    }
}

/// Learns from one answer. With `paced` false only 429s are learnt: they still stop calls
/// until the reset they name.
fn learn(
    budget: &mut Budget,
    headers: Option<RateLimit>,
    refused: bool,
    paced: bool,
    now: SystemTime,
) {
    let strikes = match budget {
        Budget::Limited { skew_strikes, .. } => *skew_strikes,
        _ => 0,
    };
    // Refused until `at`, then unlimited until an answer says otherwise.
    let refuse_until = |at: Option<SystemTime>| match at.filter(|at| *at > now) {
        Some(at) => Budget::Limited {
            limit: u64::MAX,
            left: 0,
            reset_at: Some(at),
            skew_strikes: 0,
        },
        // No reset, or one already past by our clock (skewed clocks, a proxy's 429): back
        // off, longer each time.
        None => Budget::Limited {
            limit: u64::MAX,
            left: 0,
            reset_at: Some(now + SKEW_BACKOFF * (1u32 << strikes.min(5))),
            skew_strikes: strikes + 1,
        },
    };
    let Some(headers) = headers else {
        *budget = if refused {
            refuse_until(None)
        } else {
            // An answer without headers: the limiter is off for this route.
            Budget::Unlimited
        };
        return;
    };
    let reset = headers.reset_at();
    if !paced {
        if refused {
            *budget = refuse_until(reset);
        }
        return;
    }
    let remaining = headers.remaining();
    match budget {
        Budget::Unknown { .. } | Budget::Unlimited => {
            if refused {
                *budget = refuse_until(reset);
                return;
            }
            let limit = headers.limit().or(remaining).unwrap_or(1).max(1);
            *budget = Budget::Limited {
                limit,
                left: remaining.unwrap_or(0),
                reset_at: Some(reset.unwrap_or(now + SKEW_BACKOFF)),
                skew_strikes: 0,
            };
        }
        Budget::Limited {
            limit,
            left,
            reset_at,
            skew_strikes,
        } => {
            if let Some(new_limit) = headers.limit() {
                *limit = new_limit.max(1);
            }
            if refused {
                let limit = *limit;
                *budget = refuse_until(reset);
                if let Budget::Limited { limit: l, .. } = budget {
                    *l = limit;
                }
                return;
            }
            *skew_strikes = 0;
            match (*reset_at, reset) {
                // First answer of a fresh window: it names the window's end and what is left
                // of it.
                (None, Some(at)) => {
                    *reset_at = Some(at);
                    if let Some(remaining) = remaining {
                        *left = remaining;
                    }
                }
                // Same window: never count on more than the server says is left.
                (Some(current), Some(at)) if at <= current + Duration::from_millis(1) => {
                    if at + Duration::from_millis(1) >= current
                        && let Some(remaining) = remaining
                    {
                        *left = (*left).min(remaining);
                    }
                }
                // A later window than we knew of began (our estimate was off): adopt it.
                (Some(_), Some(at)) => {
                    *reset_at = Some(at);
                    if let Some(remaining) = remaining {
                        *left = remaining;
                    }
                }
                // Headers without a reset: do not wait for one forever.
                (None, None) => *reset_at = Some(now + SKEW_BACKOFF),
                (Some(_), None) => {}
            }
        }
    }
}

/// A small random wait past a reset: the guard plus up to [`MAX_JITTER`].
fn jitter() -> Duration {
    // `retry::jitter` draws below half its bound.
    RESET_GUARD + crate::retry::jitter(MAX_JITTER * 2)
}

/// Makes one call to `route` under the pacer and waits out its 429s: each attempt waits for
/// the budget, feeds the answer to the pacer, and a 429 is tried again (at most
/// [`MAX_RATE_LIMITED`] times, after which it is returned like any other answer). The one
/// loop behind every paced call of the workflow, listing or resolving.
pub(crate) async fn paced<T, E, F, Fut>(
    pacer: &Pacer,
    route: &'static str,
    mut call: F,
) -> Result<Result<T, E>, DeadlinePassed>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (Result<T, E>, Observed)>,
{
    let mut refused = 0;
    loop {
        pacer.acquire(route).await?;
        let (result, observed) = call().await;
        if pacer.answered(route, observed) && refused < MAX_RATE_LIMITED {
            refused += 1;
            tracing::debug!(route, "rate limited; waiting for the reset");
            continue;
        }
        return Ok(result);
    }
}

#[cfg(test)]
mod tests;
