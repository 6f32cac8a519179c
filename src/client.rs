//! The client: configuration, the session it holds, and the one path every request takes.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use http::header::{CONTENT_TYPE, HeaderValue};
use tracing::Instrument;
use url::{Host, Url};

use crate::auth::{Credentials, Session};
use crate::error::Error;
use crate::response::{RawResponse, read_body};
use crate::retry::RetryPolicy;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_MAX_RESPONSE_SIZE: usize = 32 * 1024 * 1024;
const MAX_SAME_ORIGIN_REDIRECTS: usize = 5;

/// A Rocket.Chat client with its session.
///
/// Cloning is cheap (one `Arc`): clones share the connection pool and the session, so one
/// login serves every task.
///
/// ```
/// use rocketchat_omnichannel::{Client, Credentials};
///
/// let client = Client::builder("https://chat.example.com")
///     .credentials(Credentials::token("user-id", "auth-token"))
///     .build()?;
/// # Ok::<(), rocketchat_omnichannel::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `https://host/prefix/api/v1/`, parsed and checked once at build time.
    api_base: String,
    session: RwLock<Option<Arc<Session>>>,
    timeout: Duration,
    max_response_size: usize,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_base", &self.inner.api_base)
            .field(
                "session",
                &*self
                    .inner
                    .session
                    .read()
                    .unwrap_or_else(PoisonError::into_inner),
            )
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Setters never fail; [`ClientBuilder::build`] reports any problem.
///
/// ```
/// use std::time::Duration;
/// use rocketchat_omnichannel::Client;
///
/// let client = Client::builder("https://chat.example.com/")
///     .timeout(Duration::from_secs(10))
///     .build()?;
/// # Ok::<(), rocketchat_omnichannel::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    http: Option<reqwest::Client>,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_size: usize,
    retry: RetryPolicy,
    allow_insecure_http: bool,
}

impl Client {
    /// Starts configuring a client for the server at `base_url` (the address users open in
    /// a browser, e.g. `https://chat.example.com` or `https://example.com/chat/`).
    ///
    /// ```
    /// let builder = rocketchat_omnichannel::Client::builder("https://chat.example.com");
    /// # let _ = builder;
    /// ```
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            credentials: None,
            http: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            retry: RetryPolicy::none(),
            allow_insecure_http: false,
        }
    }

    /// The REST base every path is joined to, e.g. `https://chat.example.com/api/v1/`.
    ///
    /// ```
    /// # let client = rocketchat_omnichannel::Client::builder("https://example.com/chat").build()?;
    /// assert_eq!(client.api_base(), "https://example.com/chat/api/v1/");
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn api_base(&self) -> &str {
        &self.inner.api_base
    }

    /// The credentials of the current session, for storing and resuming later; `None` when
    /// the client is not logged in. The token stays redacted in `Debug`.
    ///
    /// ```
    /// # let client = rocketchat_omnichannel::Client::builder("https://chat.example.com").build()?;
    /// assert!(client.credentials().is_none());
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn credentials(&self) -> Option<Credentials> {
        self.session().map(|s| s.credentials())
    }

    /// Whether the client holds a session (from credentials or a login).
    ///
    /// ```
    /// # let client = rocketchat_omnichannel::Client::builder("https://chat.example.com").build()?;
    /// assert!(!client.is_authenticated());
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn is_authenticated(&self) -> bool {
        self.session().is_some()
    }

    pub(crate) fn session(&self) -> Option<Arc<Session>> {
        self.inner
            .session
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_session(&self, session: Option<Session>) {
        *self
            .inner
            .session
            .write()
            .unwrap_or_else(PoisonError::into_inner) = session.map(Arc::new);
    }

    /// Sends a request, retrying as the policy allows, and reads the whole answer.
    pub(crate) async fn execute(&self, request: ApiRequest) -> Result<RawResponse, Error> {
        let span = tracing::info_span!(
            "rocketchat.request",
            method = %request.method,
            path = request.path,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            retries = tracing::field::Empty,
        );
        // Without a subscriber the span is disabled: then skip reading the clock twice.
        let timed = !span.is_disabled();
        async move {
            let started = timed.then(Instant::now);
            let mut attempt = 0;
            let mut waited = Duration::ZERO;
            loop {
                let outcome = self.send_once(&request).await;
                let wait = self.inner.retry.wait_before_retry(
                    &outcome,
                    request.idempotent,
                    attempt,
                    waited,
                );
                match wait {
                    Some(wait) => {
                        tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
                        tokio::time::sleep(wait).await;
                        waited += wait;
                        attempt += 1;
                    }
                    None => {
                        if let Some(started) = started {
                            let span = tracing::Span::current();
                            if let Ok(response) = &outcome {
                                span.record("status", response.status.as_u16());
                            }
                            span.record("duration_ms", started.elapsed().as_millis() as u64);
                            span.record("retries", attempt);
                        }
                        return outcome;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn send_once(&self, request: &ApiRequest) -> Result<RawResponse, Error> {
        let inner = &*self.inner;
        let mut url = String::with_capacity(
            inner.api_base.len() + request.path.len() + request.query.len() + 1,
        );
        url.push_str(&inner.api_base);
        url.push_str(request.path);
        if !request.query.is_empty() {
            url.push('?');
            url.push_str(&request.query);
        }
        let mut builder = inner
            .http
            .request(request.method.clone(), url)
            .timeout(inner.timeout);
        if request.authenticated {
            let session = self
                .session()
                .ok_or_else(|| Error::new(crate::ErrorKind::NotAuthenticated))?;
            builder = session.apply(builder);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.clone());
        }
        let response = builder.send().await.map_err(Error::transport)?;
        let status = response.status();
        // Only the rate-limit figures are kept, not the header map: nothing else in the
        // headers is used, and copying the map would cost every call.
        let rate_limit = crate::RateLimit::from_headers(response.headers());
        if let Some(limit) = &rate_limit {
            tracing::debug!(
                limit = limit.limit(),
                remaining = limit.remaining(),
                "rate limit"
            );
        }
        let body = read_body(response, inner.max_response_size).await?;
        Ok(RawResponse {
            status,
            rate_limit,
            body,
        })
    }
}

/// What an operation asks the client to send.
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// Path below `/api/v1/`, also used as the span's path template.
    pub(crate) path: &'static str,
    /// Already-encoded query string, empty for none.
    pub(crate) query: String,
    pub(crate) body: Option<Bytes>,
    pub(crate) authenticated: bool,
    /// Safe to send twice (reads); decides which failures may be retried.
    pub(crate) idempotent: bool,
}

impl ApiRequest {
    pub(crate) fn get(path: &'static str, query: String) -> Self {
        Self {
            method: Method::GET,
            path,
            query,
            body: None,
            authenticated: true,
            idempotent: true,
        }
    }

    pub(crate) fn post(path: &'static str, body: Vec<u8>) -> Self {
        Self {
            method: Method::POST,
            path,
            query: String::new(),
            body: Some(Bytes::from(body)),
            authenticated: true,
            idempotent: false,
        }
    }
}

impl ClientBuilder {
    /// Authenticates every request with these credentials (a personal access token or the
    /// token of an existing session).
    ///
    /// ```
    /// use rocketchat_omnichannel::{Client, Credentials};
    /// let builder = Client::builder("https://chat.example.com")
    ///     .credentials(Credentials::token("user-id", "token"));
    /// # let _ = builder;
    /// ```
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Uses the caller's `reqwest::Client` (for proxies, custom CAs, connection-pool tuning).
    ///
    /// The SDK still applies its per-request timeout and body-size cap. Redirects are the
    /// client's own: build it with [`crate::redirect_policy`] so that `X-Auth-Token` is never
    /// forwarded to another host (reqwest's default policy forwards custom headers).
    ///
    /// ```
    /// let http = reqwest::Client::builder()
    ///     .redirect(rocketchat_omnichannel::redirect_policy())
    ///     .build()?;
    /// let client = rocketchat_omnichannel::Client::builder("https://chat.example.com")
    ///     .http_client(http)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Time allowed for a whole call, from connecting to the last byte of the answer.
    /// Default 30 s: Rocket.Chat answers contact calls in milliseconds, so a call that takes
    /// longer is stuck, yet 30 s leaves room for a slow proxy or a large search page.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = rocketchat_omnichannel::Client::builder("https://chat.example.com")
    ///     .timeout(Duration::from_secs(5));
    /// # let _ = builder;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to open a connection (default 10 s). Ignored with
    /// [`ClientBuilder::http_client`], whose own setting applies.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = rocketchat_omnichannel::Client::builder("https://chat.example.com")
    ///     .connect_timeout(Duration::from_secs(2));
    /// # let _ = builder;
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest answer body accepted, in bytes (default 32 MiB). A larger body ends the
    /// call with [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge).
    ///
    /// ```
    /// let builder = rocketchat_omnichannel::Client::builder("https://chat.example.com")
    ///     .max_response_size(1 << 20);
    /// # let _ = builder;
    /// ```
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Which failed calls are sent again; see [`RetryPolicy`]. Off by default.
    ///
    /// ```
    /// use rocketchat_omnichannel::{Client, RetryPolicy};
    /// let builder = Client::builder("https://chat.example.com").retry(RetryPolicy::standard());
    /// # let _ = builder;
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Allows plain `http://` to a host that is not loopback. Tokens and passwords then
    /// cross the network unencrypted, so this is refused unless asked for.
    ///
    /// ```
    /// let builder = rocketchat_omnichannel::Client::builder("http://chat.internal")
    ///     .allow_insecure_http(true);
    /// # let _ = builder;
    /// ```
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the base URL is
    /// not an absolute `http(s)` URL, has a query, fragment or embedded user info, uses
    /// `http://` to a non-loopback host without [`ClientBuilder::allow_insecure_http`], or
    /// when the credentials cannot be sent as HTTP headers; also when reqwest cannot build
    /// its client (no TLS back-end).
    ///
    /// ```
    /// let error = rocketchat_omnichannel::Client::builder("chat.example.com").build().unwrap_err();
    /// assert!(error.to_string().contains("base URL"));
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let api_base = api_base(&self.base_url, self.allow_insecure_http)?;
        let session = self
            .credentials
            .map(Session::from_credentials)
            .transpose()?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .redirect(redirect_policy())
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| {
                    Error::with_source(
                        crate::ErrorKind::Configuration {
                            message: "the HTTP client could not be built".into(),
                        },
                        e,
                    )
                })?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                api_base,
                session: RwLock::new(session.map(Arc::new)),
                timeout: self.timeout,
                max_response_size: self.max_response_size,
                retry: self.retry,
            }),
        })
    }
}

/// A redirect policy that follows at most five redirects and only within the same origin
/// (scheme, host and port). reqwest's default policy strips `Authorization` and cookies on
/// a cross-host redirect but forwards `X-Auth-Token` and `X-User-Id`; with this policy a
/// redirect elsewhere is not followed and comes back as an unexpected 3xx answer.
///
/// The default client uses it; pass it to your own `reqwest::ClientBuilder` when you use
/// [`ClientBuilder::http_client`].
///
/// ```
/// let http = reqwest::Client::builder()
///     .redirect(rocketchat_omnichannel::redirect_policy())
///     .build()?;
/// # Ok::<(), reqwest::Error>(())
/// ```
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            tracing::warn!("not following a redirect to another origin");
            attempt.stop()
        } else if attempt.previous().len() > MAX_SAME_ORIGIN_REDIRECTS {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

/// Checks the base URL and derives `…/api/v1/` from it.
fn api_base(base_url: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let shown = without_user_info(base_url.trim());
    let bad = |why: &str| Error::configuration(format!("base URL `{shown}` {why}"));
    let mut url = Url::parse(base_url.trim()).map_err(|e| {
        Error::with_source(
            crate::ErrorKind::Configuration {
                message: format!(
                    "base URL `{shown}` is not an absolute URL (expected e.g. https://chat.example.com)"
                ),
            },
            e,
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "uses plain http to a non-loopback host; use https or allow_insecure_http(true)",
            ));
        }
        _ => return Err(bad("must start with http:// or https://")),
    }
    if url.host().is_none() {
        return Err(bad("has no host"));
    }
    if url.query().is_some() {
        return Err(bad("must not have a query string"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not embed a user name or password"));
    }
    let mut path = url.path().trim_end_matches('/').to_owned();
    if !path.ends_with("/api/v1") {
        path.push_str("/api/v1");
    }
    path.push('/');
    url.set_path(&path);
    Ok(url.into())
}

/// Hides a `user:password@` part so an error message never repeats a password.
fn without_user_info(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_keeps_a_path_prefix() {
        assert_eq!(
            api_base("https://h.example/chat/", false).unwrap(),
            "https://h.example/chat/api/v1/"
        );
        assert_eq!(
            api_base("https://h.example", false).unwrap(),
            "https://h.example/api/v1/"
        );
        assert_eq!(
            api_base("https://h.example/api/v1", false).unwrap(),
            "https://h.example/api/v1/"
        );
    }

    #[test]
    fn user_info_is_hidden() {
        assert_eq!(
            without_user_info("https://u:pw@h.example/x"),
            "https://***@h.example/x"
        );
        assert_eq!(
            without_user_info("https://h.example/a@b"),
            "https://h.example/a@b"
        );
        assert_eq!(without_user_info("u:pw@host"), "***@host");
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(api_base("http://127.0.0.1:3000", false).is_ok());
        assert!(api_base("http://localhost:3000", false).is_ok());
        assert!(api_base("http://[::1]:3000", false).is_ok());
        assert!(api_base("http://chat.example.com", false).is_err());
        assert!(api_base("http://chat.example.com", true).is_ok());
    }

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
    }
}
