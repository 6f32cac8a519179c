//! Rocket.Chat's rate-limit headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName};

/// The `X-RateLimit-*` headers Rocket.Chat sends on every answer while its limiter is on.
///
/// `X-RateLimit-Reset` is an absolute Unix time in **milliseconds**, not seconds and not a
/// delay, which is easy to get wrong by hand.
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
        let limit = Self {
            limit: number(&LIMIT),
            remaining: number(&REMAINING),
            reset_ms: number(&RESET),
            retry_after: number(&http::header::RETRY_AFTER),
        };
        (limit != Self::default_empty()).then_some(limit)
    }

    const fn default_empty() -> Self {
        Self {
            limit: None,
            remaining: None,
            reset_ms: None,
            retry_after: None,
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

    /// When the window resets, or when `Retry-After` says to come back, whichever is later.
    ///
    /// ```
    /// # let limit: Option<rocketchat_omnichannel::RateLimit> = None;
    /// # if let Some(l) = limit { println!("{:?}", l.reset_at()); }
    /// ```
    pub fn reset_at(&self) -> Option<SystemTime> {
        let reset = self
            .reset_ms
            .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)));
        let after = self
            .retry_after
            .and_then(|s| SystemTime::now().checked_add(Duration::from_secs(s)));
        match (reset, after) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn absent_headers_give_none() {
        assert!(RateLimit::from_headers(&HeaderMap::new()).is_none());
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
