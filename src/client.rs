//! The client: configuration, the session it holds, and the one path every request takes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http::header::{CONTENT_TYPE, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument;

use crate::base_url::api_base;
use crate::error::{Endpoint, Error, ErrorKind};
use crate::redirect::redirect_policy;
use crate::response::{RawResponse, read_body};
use crate::retry::RetryPolicy;
use crate::session::{
    Credentials, ExpiredSession, ExpiryHook, FreshLogin, Renewed, Session, SessionSlot, expiry_hook,
};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Sent unless the caller chooses another: some proxies and WAFs refuse requests without
/// a `User-Agent`, and it tells a server's admin which program is calling.
const DEFAULT_USER_AGENT: &str = concat!("rocketchat-omnichannel/", env!("CARGO_PKG_VERSION"));
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_MAX_RESPONSE_SIZE: usize = 32 * 1024 * 1024;

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
    sessions: SessionSlot,
    timeout: Duration,
    attempt_timeout: Option<Duration>,
    max_response_size: usize,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_base", &self.inner.api_base)
            .field("session", &self.inner.sessions)
            .field("timeout", &self.inner.timeout)
            .field("attempt_timeout", &self.inner.attempt_timeout)
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
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    http: Option<reqwest::Client>,
    timeout: Duration,
    attempt_timeout: Option<Duration>,
    connect_timeout: Duration,
    max_response_size: usize,
    retry: RetryPolicy,
    allow_insecure_http: bool,
    relogin: bool,
    on_session_expired: Option<ExpiryHook>,
    user_agent: Option<String>,
    /// A password login read by [`ClientBuilder::from_env`], done by [`ClientBuilder::connect`].
    pub(crate) pending_login: Option<crate::env::PendingLogin>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_size", &self.max_response_size)
            .field("retry", &self.retry)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("relogin", &self.relogin)
            .field("on_session_expired", &self.on_session_expired.is_some())
            .field("user_agent", &self.user_agent)
            .field("pending_login", &self.pending_login)
            .finish_non_exhaustive()
    }
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
            attempt_timeout: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            retry: RetryPolicy::none(),
            allow_insecure_http: false,
            relogin: true,
            on_session_expired: None,
            user_agent: None,
            pending_login: None,
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

    /// A client for another user that shares this one's connection pool and settings
    /// (timeouts, retries, User-Agent), e.g. a back-office acting for several agents. The new
    /// client starts with `credentials` and no session-expiry hook; logging it in or out
    /// leaves this client's session alone.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the token cannot be
    /// sent in a header (control or non-ASCII characters).
    ///
    /// ```
    /// use rocketchat_omnichannel::{Client, Credentials};
    ///
    /// let bot = Client::builder("https://chat.example.com")
    ///     .credentials(Credentials::token("bot-id", "bot-token"))
    ///     .build()?;
    /// let agent = bot.with_credentials(Credentials::token("agent-id", "agent-token"))?;
    /// assert_eq!(agent.credentials().unwrap().user_id(), "agent-id");
    /// assert_eq!(bot.credentials().unwrap().user_id(), "bot-id");
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn with_credentials(&self, credentials: Credentials) -> Result<Client, Error> {
        let session = Session::from_credentials(credentials)?;
        let inner = &self.inner;
        Ok(Client {
            inner: Arc::new(Inner {
                http: inner.http.clone(),
                api_base: inner.api_base.clone(),
                sessions: SessionSlot::new(Some(session), inner.sessions.relogin_enabled(), None),
                timeout: inner.timeout,
                attempt_timeout: inner.attempt_timeout,
                max_response_size: inner.max_response_size,
                retry: inner.retry.clone(),
            }),
        })
    }

    pub(crate) fn session(&self) -> Option<Arc<Session>> {
        self.inner.sessions.get()
    }

    pub(crate) fn sessions(&self) -> &SessionSlot {
        &self.inner.sessions
    }

    /// Sends a request within the call's deadline, retrying as the policy allows and, after
    /// a 401 on a password session, logging in again once and replaying it.
    pub(crate) async fn execute(&self, request: ApiRequest) -> Result<RawResponse, Error> {
        let span = tracing::info_span!(
            "rocketchat.request",
            method = %request.method,
            path = request.path,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            retries = tracing::field::Empty,
        );
        // A timeout too large to add (say `Duration::MAX` for "no limit") means no deadline
        // in practice: a century away.
        let now = Instant::now();
        let deadline = now
            .checked_add(self.inner.timeout)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        let call = async {
            let session = match (&request.session, request.authenticated) {
                (Some(pinned), _) => Some(pinned.clone()),
                (None, true) => Some(
                    self.session()
                        .ok_or_else(|| Error::new(ErrorKind::NotAuthenticated))?,
                ),
                (None, false) => None,
            };
            let outcome = self.attempts(&request, session.as_deref(), deadline).await;
            let expired = matches!(&outcome, Ok(answer) if answer.status.as_u16() == 401);
            // A pinned session (logout) is never renewed: it is about to end anyway.
            if let (true, Some(stale), None) = (expired, &session, &request.session) {
                let send_login = |body: Vec<u8>| {
                    let mut login = ApiRequest::post("login", body);
                    login.authenticated = false;
                    self.attempts_owned(login, deadline)
                };
                // Waiting for another call's re-login, or for the caller's hook, is the one
                // step not bounded by an attempt's own timeout: bound it by the deadline.
                let renewed = async {
                    match self.inner.sessions.renew(stale, send_login).await {
                        Renewed::Session(fresh) => {
                            Some(self.attempts(&request, Some(&fresh), deadline).await)
                        }
                        Renewed::NotRenewable => None,
                        Renewed::Failed(error) => Some(Err(error)),
                    }
                };
                match tokio::time::timeout_at(deadline, renewed).await {
                    Ok(Some(replayed)) => return replayed,
                    Ok(None) => {}
                    Err(_) => return Err(Error::new(ErrorKind::Timeout)),
                }
            }
            outcome
        };
        // Without a subscriber the span is disabled: then skip reading the clock and recording
        // (measured with benches/callgrind.sh).
        let timed = !span.is_disabled();
        async move {
            let started = timed.then(Instant::now);
            // No timer around the whole call: every attempt's timeout is what is left until
            // the deadline, retry waits that would pass it are skipped, and the re-login is
            // bounded above, so one timer per attempt keeps the deadline (a second timer
            // cost ~1,000 instructions a call; benches/callgrind.sh).
            let outcome = call.await;
            if let Some(started) = started {
                let span = tracing::Span::current();
                if let Ok(response) = &outcome {
                    span.record("status", response.status.as_u16());
                }
                span.record("duration_ms", started.elapsed().as_millis() as u64);
            }
            outcome
        }
        .instrument(span)
        .await
    }

    /// [`Client::attempts`] for a request it owns (the re-login body), without a session.
    async fn attempts_owned(
        &self,
        request: ApiRequest,
        deadline: Instant,
    ) -> Result<RawResponse, Error> {
        self.attempts(&request, None, deadline).await
    }

    /// One call's attempts: sends, and sends again while the retry policy allows and the
    /// wait still ends before the deadline.
    async fn attempts(
        &self,
        request: &ApiRequest,
        session: Option<&Session>,
        deadline: Instant,
    ) -> Result<RawResponse, Error> {
        let mut attempt = 0;
        let mut waited = Duration::ZERO;
        loop {
            let outcome = self.send_once(request, session, deadline).await;
            let wait =
                self.inner
                    .retry
                    .wait_before_retry(&outcome, request.idempotent, attempt, waited);
            match wait {
                // Sleeping past the deadline would only turn the real answer into a timeout.
                Some(wait) if wait < deadline.saturating_duration_since(Instant::now()) => {
                    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                    waited += wait;
                    attempt += 1;
                }
                _ => {
                    tracing::Span::current().record("retries", attempt);
                    return outcome;
                }
            }
        }
    }

    async fn send_once(
        &self,
        request: &ApiRequest,
        session: Option<&Session>,
        deadline: Instant,
    ) -> Result<RawResponse, Error> {
        let inner = &*self.inner;
        let mut url = String::with_capacity(
            inner.api_base.len() + request.path.len() + request.query.len() + 1,
        );
        match request.path.strip_prefix('/') {
            // Below `/api/` rather than `/api/v1/` (e.g. `/info`).
            Some(root_path) => {
                url.push_str(inner.api_base.trim_end_matches("v1/"));
                url.push_str(root_path);
            }
            None => {
                url.push_str(&inner.api_base);
                url.push_str(request.path);
            }
        }
        if !request.query.is_empty() {
            url.push('?');
            url.push_str(&request.query);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let attempt_limit = inner.attempt_timeout.map_or(left, |limit| limit.min(left));
        if attempt_limit.is_zero() {
            return Err(Error::new(ErrorKind::Timeout));
        }
        let mut builder = inner
            .http
            .request(request.method.clone(), url)
            .timeout(attempt_limit);
        if let Some(session) = session {
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
            endpoint: Some(Endpoint {
                path: request.path,
                since: request.since,
            }),
        })
    }
}

/// What an operation asks the client to send.
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// Path below `/api/v1/` (or below `/api/` when it starts with `/`), also used as the
    /// span's path template.
    pub(crate) path: &'static str,
    /// Already-encoded query string, empty for none.
    pub(crate) query: String,
    pub(crate) body: Option<Bytes>,
    pub(crate) authenticated: bool,
    /// Safe to send twice (reads); decides which failures may be retried.
    pub(crate) idempotent: bool,
    /// Send with this session rather than the current one, and never renew it (logout).
    pub(crate) session: Option<Arc<Session>>,
    /// The first Rocket.Chat version with this route, for the "route missing" error.
    pub(crate) since: Option<&'static str>,
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
            session: None,
            since: None,
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
            session: None,
            since: None,
        }
    }

    /// Records the first server version that has this route (see each operation's docs).
    pub(crate) fn since(mut self, version: &'static str) -> Self {
        self.since = Some(version);
        self
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

    /// One deadline for a whole call: every attempt, the waits between retries, rate-limit
    /// waits and a re-login all end by it. A retry whose wait would pass the deadline is not
    /// made: the last answer (or error) is returned at once, so a rate-limited call reports
    /// `RateLimited` rather than a timeout. Default 30 s: Rocket.Chat answers contact calls
    /// in milliseconds, so a call that takes longer is stuck, yet 30 s leaves room for a
    /// slow proxy or a large search page. Raise it with [`RetryPolicy::standard`], whose
    /// waits can add up to 70 s. See also [`ClientBuilder::attempt_timeout`].
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

    /// A limit for each single attempt (from sending to the last byte), within the overall
    /// [`timeout`](ClientBuilder::timeout). Off by default: an attempt may use whatever
    /// is left of the deadline. Set it with retries on, so that one stalled attempt leaves
    /// time for another.
    ///
    /// ```
    /// # use std::time::Duration;
    /// use rocketchat_omnichannel::{Client, RetryPolicy};
    /// let builder = Client::builder("https://chat.example.com")
    ///     .timeout(Duration::from_secs(60))
    ///     .attempt_timeout(Duration::from_secs(10))
    ///     .retry(RetryPolicy::standard());
    /// # let _ = builder;
    /// ```
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Whether a session from [`Client::login`] with a password logs in again by itself
    /// when a call gets a 401 (token expired after `Accounts_LoginExpiration`, 90 days by
    /// default, or revoked by an admin). On by default. The call is replayed once with the
    /// new session; all calls that saw the same 401 share one login. A second 401 right
    /// after is returned. Token and resume sessions never log in again. Replaying a write
    /// is safe: Rocket.Chat checks the token before anything else, so a 401 means the route
    /// did not run.
    ///
    /// ```
    /// let builder = rocketchat_omnichannel::Client::builder("https://chat.example.com")
    ///     .relogin(false);
    /// # let _ = builder;
    /// ```
    pub fn relogin(mut self, relogin: bool) -> Self {
        self.relogin = relogin;
        self
    }

    /// The hook a bot uses to renew a session that needed a two-factor code: called (once
    /// for all waiting calls) when such a session expires, it returns a [`FreshLogin`]
    /// (a new code, or other credentials) or `None` to give up. Without a hook, or when it
    /// gives up or the new login is refused, calls fail with
    /// [`ErrorKind::SessionExpired`](crate::ErrorKind::SessionExpired). The hook runs within
    /// the [`timeout`](ClientBuilder::timeout) of the call that found the session expired,
    /// so a hook that waits for a person needs a generous timeout.
    ///
    /// ```
    /// use rocketchat_omnichannel::{Client, FreshLogin};
    ///
    /// let client = Client::builder("https://chat.example.com")
    ///     .on_session_expired(|expired| async move {
    ///         // e.g. read a code from an authenticator service for `expired.user()`
    ///         Some(FreshLogin::code("123456"))
    ///     })
    ///     .build()?;
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn on_session_expired<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(ExpiredSession) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<FreshLogin>> + Send + 'static,
    {
        self.on_session_expired = Some(expiry_hook(hook));
        self
    }

    /// The `User-Agent` the client sends (default `rocketchat-omnichannel/<version>`).
    /// Ignored with [`ClientBuilder::http_client`]: that client keeps its own.
    ///
    /// ```
    /// let builder = rocketchat_omnichannel::Client::builder("https://chat.example.com")
    ///     .user_agent("contact-sync/2.1");
    /// # let _ = builder;
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
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
        if let Some(pending) = &self.pending_login {
            return Err(Error::configuration(format!(
                "{} asks for a password login, which needs a request: use `connect().await` instead of `build()`",
                pending.source()
            )));
        }
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
                .user_agent(self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT))
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
                sessions: SessionSlot::new(session, self.relogin, self.on_session_expired),
                timeout: self.timeout,
                attempt_timeout: self.attempt_timeout,
                max_response_size: self.max_response_size,
                retry: self.retry,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
    }
}
