//! When to send a request again.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::response::RawResponse;

/// Which failed calls the client sends again by itself, and for how long.
///
/// **Off by default.** A rate-limited call is returned at once as a typed `RateLimited`
/// error carrying when to retry, so the caller decides (a request handler may prefer
/// failing fast to waiting a minute). Turn retries on with [`RetryPolicy::standard`].
///
/// When on, a call is retried only if the server certainly did not process it, or the
/// operation is safe to repeat:
/// - 429 (the limiter refuses before the route runs): wait until `X-RateLimit-Reset`
///   (epoch milliseconds) or `Retry-After`, plus jitter;
/// - a refused connection (the server never saw the request);
/// - for reads (`GET`) only: timeouts, connections reset or closed mid-answer, and
///   502/503/504.
///
/// A resolve or update that timed out is never repeated, because it may have been applied.
/// A host name that does not resolve (DNS) and a TLS or certificate failure are never
/// retried: they do not fix themselves, and their errors say so. All waits together stay
/// under [`RetryPolicy::max_total_wait`], and no wait is started that would end after the
/// client's [`timeout`](crate::ClientBuilder::timeout), which bounds the whole call.
///
/// ```
/// use std::time::Duration;
/// use rocketchat_omnichannel::{Client, RetryPolicy};
///
/// let client = Client::builder("https://chat.example.com")
///     .retry(RetryPolicy::standard().max_retries(5).max_total_wait(Duration::from_secs(90)))
///     .build()?;
/// # Ok::<(), rocketchat_omnichannel::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    max_retries: u32,
    max_total_wait: Duration,
    base_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::none()
    }
}

impl RetryPolicy {
    /// Never retry (the default).
    pub const fn none() -> Self {
        Self {
            max_retries: 0,
            max_total_wait: Duration::ZERO,
            base_backoff: Duration::from_millis(200),
        }
    }

    /// Up to 3 retries, waiting at most 70 s in all: enough to ride out one window of
    /// Rocket.Chat's default limiter (10 calls per 60 s).
    pub const fn standard() -> Self {
        Self {
            max_retries: 3,
            max_total_wait: Duration::from_secs(70),
            base_backoff: Duration::from_millis(200),
        }
    }

    /// How many times one call may be sent again.
    #[must_use]
    pub const fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The most one call may spend waiting between attempts. A 429 whose reset is further
    /// away is returned as an error at once instead of sleeping.
    #[must_use]
    pub const fn max_total_wait(mut self, wait: Duration) -> Self {
        self.max_total_wait = wait;
        self
    }

    /// The first back-off for failures that carry no reset time; it doubles each attempt.
    #[must_use]
    pub const fn base_backoff(mut self, backoff: Duration) -> Self {
        self.base_backoff = backoff;
        self
    }

    /// How long to wait before attempt `attempt + 1`, or `None` to give up and return
    /// `outcome` as it is.
    pub(crate) fn wait_before_retry(
        &self,
        outcome: &Result<RawResponse, Error>,
        idempotent: bool,
        attempt: u32,
        waited: Duration,
    ) -> Option<Duration> {
        if attempt >= self.max_retries {
            return None;
        }
        let wait = match outcome {
            Ok(response) if response.status.as_u16() == 429 => {
                // The reset header, or else the body's "You must wait N seconds" (servers
                // and proxies that send no rate-limit headers): not a blind back-off that
                // would only be refused again.
                let reset = response.rate_limit.and_then(|l| l.reset_at()).or_else(|| {
                    crate::ApiError::new(
                        response.status,
                        response.rate_limit,
                        response.body.clone(),
                    )
                    .retry_at()
                });
                match reset {
                    Some(at) => at
                        .duration_since(SystemTime::now())
                        .unwrap_or(Duration::ZERO)
                        .saturating_add(jitter(self.base_backoff)),
                    None => self.backoff(attempt),
                }
            }
            Ok(response) if idempotent && matches!(response.status.as_u16(), 502..=504) => {
                self.backoff(attempt)
            }
            Ok(_) => return None,
            // Refused: the server never saw the request, so any method may go again. DNS and
            // TLS failures are not retryable at all (see `Error::is_retryable`).
            Err(error) if error.is_refused() => self.backoff(attempt),
            Err(error) if idempotent && error.is_retryable() => self.backoff(attempt),
            Err(_) => return None,
        };
        (waited.saturating_add(wait) <= self.max_total_wait).then_some(wait)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self.base_backoff.saturating_mul(1 << attempt.min(16));
        exponential.saturating_add(jitter(exponential))
    }
}

/// A random duration in `[0, up_to / 2)`, so many clients hit by the same limit do not
/// all come back at the same millisecond. std's randomly seeded hasher is random enough.
pub(crate) fn jitter(up_to: Duration) -> Duration {
    let half = u64::try_from(up_to.as_millis() / 2).unwrap_or(u64::MAX);
    if half == 0 {
        return Duration::ZERO;
    }
    let random = RandomState::new().build_hasher().finish();
    Duration::from_millis(random % half)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, StatusCode};

    fn answer(status: u16, headers: HeaderMap) -> Result<RawResponse, Error> {
        Ok(RawResponse {
            status: StatusCode::from_u16(status).unwrap(),
            rate_limit: crate::RateLimit::from_headers(&headers),
            body: Bytes::new(),
            endpoint: None,
            date: None,
        })
    }

    #[test]
    fn none_never_retries() {
        let policy = RetryPolicy::none();
        assert_eq!(
            policy.wait_before_retry(&answer(429, HeaderMap::new()), true, 0, Duration::ZERO),
            None
        );
    }

    #[test]
    fn waits_until_the_reset_for_429() {
        let reset = SystemTime::now() + Duration::from_secs(2);
        let ms = reset
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", ms.to_string().parse().unwrap());
        let wait = RetryPolicy::standard()
            .wait_before_retry(&answer(429, headers), false, 0, Duration::ZERO)
            .unwrap();
        assert!(
            wait > Duration::from_millis(500) && wait < Duration::from_millis(2200),
            "{wait:?}"
        );
    }

    #[test]
    fn without_headers_a_429_waits_the_seconds_its_body_names() {
        let answer = Ok(RawResponse {
            status: StatusCode::TOO_MANY_REQUESTS,
            rate_limit: None,
            body: Bytes::from_static(
                br#"{"success":false,"error":"Error, too many requests. Please slow down. You must wait 2 seconds before trying this endpoint again. [error-too-many-requests]"}"#,
            ),
            endpoint: None,
            date: None,
        });
        let wait = RetryPolicy::standard()
            .wait_before_retry(&answer, false, 0, Duration::ZERO)
            .unwrap();
        // Two seconds (the clock may have moved a little), not the 200 ms first back-off.
        assert!(
            wait > Duration::from_millis(1500) && wait < Duration::from_millis(2200),
            "{wait:?}"
        );
    }

    #[test]
    fn gives_up_when_the_reset_is_beyond_the_cap() {
        let reset = SystemTime::now() + Duration::from_secs(600);
        let ms = reset
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-reset", ms.to_string().parse().unwrap());
        let policy = RetryPolicy::standard();
        assert_eq!(
            policy.wait_before_retry(&answer(429, headers), false, 0, Duration::ZERO),
            None
        );
    }

    #[test]
    fn server_errors_are_retried_only_for_reads() {
        let policy = RetryPolicy::standard();
        assert!(
            policy
                .wait_before_retry(&answer(503, HeaderMap::new()), true, 0, Duration::ZERO)
                .is_some()
        );
        assert!(
            policy
                .wait_before_retry(&answer(503, HeaderMap::new()), false, 0, Duration::ZERO)
                .is_none()
        );
        assert!(
            policy
                .wait_before_retry(&answer(400, HeaderMap::new()), true, 0, Duration::ZERO)
                .is_none()
        );
    }

    #[test]
    fn stops_after_max_retries() {
        let policy = RetryPolicy::standard().max_retries(2);
        assert!(
            policy
                .wait_before_retry(&answer(503, HeaderMap::new()), true, 2, Duration::ZERO)
                .is_none()
        );
    }
}
