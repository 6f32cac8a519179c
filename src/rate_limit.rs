//! Rocket.Chat's rate-limit headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::DATE;
use http::{HeaderMap, HeaderName};

/// The `X-RateLimit-*` headers Rocket.Chat sends on every answer while its limiter is on.
///
/// `X-RateLimit-Reset` is an absolute Unix time in **milliseconds** on the *server's*
/// clock (`new Date().getTime() + timeToReset` in `apps/meteor/app/api/server/api.ts`), not
/// seconds and not a delay, which is easy to get wrong by hand. When the answer has a `Date`
/// header, the reset is read relative to it, so a client whose clock is a minute off still
/// waits the right time.
///
/// ```
/// use rocketchat_omnichannel::RateLimit;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert("x-ratelimit-limit", "10".parse().unwrap());
/// headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
/// headers.insert("x-ratelimit-reset", "1767225600000".parse().unwrap());
/// let limit = RateLimit::from_headers(&headers).unwrap();
/// assert_eq!(limit.limit(), Some(10));
/// assert_eq!(limit.remaining(), Some(0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset_ms: Option<u64>,
    retry_after: Option<u64>,
    /// On this machine's clock, worked out once when the answer arrived.
    reset_at: Option<SystemTime>,
}

impl RateLimit {
    /// Reads the headers; `None` when none of them is present. `Retry-After` (in seconds) is
    /// read too, for proxies that add it; Rocket.Chat itself does not send it.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        // Looked up by `HeaderName`: a `&str` key is parsed and validated on every lookup,
        // which cost ~250 instructions each on every call (benches/callgrind.sh).
        const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
        const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
        const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
        let number = |name: &HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let mut limit = Self {
            limit: number(&LIMIT),
            remaining: number(&REMAINING),
            reset_ms: number(&RESET),
            retry_after: number(&http::header::RETRY_AFTER),
            reset_at: None,
        };
        if limit == Self::default_empty() {
            return None;
        }
        let server_now = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(server_time);
        limit.reset_at = limit.local_reset(SystemTime::now(), server_now);
        Some(limit)
    }

    const fn default_empty() -> Self {
        Self {
            limit: None,
            remaining: None,
            reset_ms: None,
            retry_after: None,
            reset_at: None,
        }
    }

    /// The reset on this machine's clock: the server's reset moved by the difference
    /// between the server's `Date` and `now`, or taken as is without a `Date`. `Date` has
    /// whole seconds, so a difference within [`SKEW_TOLERANCE`] is resolution, not skew,
    /// and the server's millisecond reset is kept as it is.
    fn local_reset(&self, now: SystemTime, server_now: Option<SystemTime>) -> Option<SystemTime> {
        let server_now = server_now.filter(|server| {
            let skew = server.duration_since(now).unwrap_or_else(|e| e.duration());
            skew > SKEW_TOLERANCE
        });
        let reset = self.reset_ms.and_then(|ms| {
            let server_reset = UNIX_EPOCH.checked_add(Duration::from_millis(ms))?;
            match server_now {
                Some(server_now) => match server_reset.duration_since(server_now) {
                    Ok(ahead) => now.checked_add(ahead),
                    // Already past on the server's clock.
                    Err(_) => Some(now),
                },
                None => Some(server_reset),
            }
        });
        let after = self
            .retry_after
            .and_then(|s| now.checked_add(Duration::from_secs(s)));
        match (reset, after) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// Calls allowed per window (`X-RateLimit-Limit`).
    ///
    /// ```
    /// # let limit: Option<rocketchat_omnichannel::RateLimit> = None;
    /// # if let Some(l) = limit { println!("{:?}", l.limit()); }
    /// ```
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Calls left in the window (`X-RateLimit-Remaining`).
    ///
    /// ```
    /// # let limit: Option<rocketchat_omnichannel::RateLimit> = None;
    /// # if let Some(l) = limit { println!("{:?}", l.remaining()); }
    /// ```
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// The same answer with `calls` fewer remaining: what is left for a client that still
    /// has that many calls on their way, which the server has not counted yet.
    pub(crate) fn less_remaining(mut self, calls: u64) -> Self {
        self.remaining = self.remaining.map(|r| r.saturating_sub(calls));
        self
    }

    /// When the window resets, or when `Retry-After` says to come back, whichever is later,
    /// on this machine's clock (corrected for skew with the answer's `Date` header). Worked
    /// out once when the answer arrived: calling it later gives the same instant.
    ///
    /// ```
    /// # let limit: Option<rocketchat_omnichannel::RateLimit> = None;
    /// # if let Some(l) = limit { println!("{:?}", l.reset_at()); }
    /// ```
    pub fn reset_at(&self) -> Option<SystemTime> {
        self.reset_at
    }
}

/// Clock differences up to this are put down to `Date`'s one-second resolution and the
/// answer's time in flight.
const SKEW_TOLERANCE: Duration = Duration::from_secs(2);

/// Reads an HTTP `Date` (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's IMF-fixdate, which is
/// also valid RFC 2822).
fn server_time(date: &str) -> Option<SystemTime> {
    let timestamp = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(date)
        .ok()?;
    let ms = u64::try_from(timestamp.as_millisecond()).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn reset_is_epoch_milliseconds() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", "1767225600123".parse().unwrap());
        let at = RateLimit::from_headers(&headers)
            .unwrap()
            .reset_at()
            .unwrap();
        assert_eq!(
            at.duration_since(UNIX_EPOCH).unwrap(),
            Duration::from_millis(1_767_225_600_123)
        );
    }

    fn skewed(skew_secs: i64) -> Duration {
        // The server's clock runs `skew_secs` ahead of ours; its window resets 2 s from
        // its own now.
        let now = SystemTime::now();
        let server_now = if skew_secs >= 0 {
            now + Duration::from_secs(skew_secs.unsigned_abs())
        } else {
            now - Duration::from_secs(skew_secs.unsigned_abs())
        };
        let reset_ms = (server_now + Duration::from_secs(2))
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(
                &jiff::Timestamp::from_millisecond(
                    server_now.duration_since(UNIX_EPOCH).unwrap().as_millis() as i64,
                )
                .unwrap(),
            )
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", reset_ms.to_string().parse().unwrap());
        headers.insert("date", date.parse().unwrap());
        let reset = RateLimit::from_headers(&headers)
            .unwrap()
            .reset_at()
            .unwrap();
        reset.duration_since(now).unwrap_or_default()
    }

    #[test]
    fn a_server_clock_a_minute_off_does_not_change_the_wait() {
        // `Date` has whole seconds, so the wait is 2 s give or take one.
        for skew in [60, -60, 0] {
            let wait = skewed(skew);
            assert!(
                wait >= Duration::from_millis(900) && wait <= Duration::from_millis(3100),
                "skew {skew}: {wait:?}"
            );
        }
    }

    #[test]
    fn reset_at_is_fixed_when_the_answer_arrives() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "5".parse().unwrap());
        let limit = RateLimit::from_headers(&headers).unwrap();
        let first = limit.reset_at();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(limit.reset_at(), first);
    }

    #[test]
    fn absent_headers_give_none() {
        assert!(RateLimit::from_headers(&HeaderMap::new()).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 5_000, failure_persistence: None, ..Default::default() })]

        /// Any bytes a header may hold (HTTP allows obs-text, so not only ASCII), in every
        /// header the client reads, `Date` included: no panic, and a reset, when there is
        /// one, is a real instant.
        #[test]
        fn any_header_bytes_are_read_without_panic(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
                    "[0-9]{0,25}".prop_map(String::into_bytes),
                    "\\PC{0,30}".prop_map(String::into_bytes),
                    proptest::strategy::Just(b"Sun, 06 Nov 1994 08:49:37 GMT".to_vec()),
                    proptest::strategy::Just(b"Fri, 31 Dec 9999 23:59:59 GMT".to_vec()),
                ],
                5,
            ),
        ) {
            let mut headers = HeaderMap::new();
            let names = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "date"];
            for (name, value) in names.iter().zip(&values) {
                if let Ok(value) = http::HeaderValue::from_bytes(value) {
                    headers.insert(HeaderName::from_static(name), value);
                }
            }
            if let Some(limit) = RateLimit::from_headers(&headers) {
                let _ = (limit.limit(), limit.remaining(), limit.less_remaining(u64::MAX));
                if let Some(at) = limit.reset_at() {
                    proptest::prop_assert!(at.duration_since(UNIX_EPOCH).is_ok());
                }
            }
            if let Some(date) = values.last().and_then(|v| std::str::from_utf8(v).ok()) {
                let _ = server_time(date);
            }
        }
    }

    #[test]
    fn garbage_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", "soon".parse().unwrap());
        headers.insert("x-ratelimit-limit", "10".parse().unwrap());
        let limit = RateLimit::from_headers(&headers).unwrap();
        assert_eq!(limit.reset_at(), None);
        assert_eq!(limit.limit(), Some(10));
    }
}
