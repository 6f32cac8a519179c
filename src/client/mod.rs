//! The client: the one path every request takes (deadline, attempts, retries, renewal after a
//! 401). Configuration lives in [`builder`], what an operation sends in [`request`].

mod builder;
mod request;

use std::sync::Arc;
use std::time::Duration;

use http::header::{CONTENT_TYPE, HeaderValue};
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{ApiError, Endpoint, Error, ErrorKind};
use crate::models::ServerInfo;
use crate::response::{RawResponse, read_body};
use crate::retry::RetryPolicy;
use crate::session::{Credentials, Renewed, Session, SessionSlot};

pub use builder::ClientBuilder;
pub(crate) use builder::PendingLogin;
pub(crate) use request::{ApiRequest, Caller, request_options};

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
    /// Where requests go, for tracing.
    server: ServerParts,
    sessions: SessionSlot,
    timeout: Duration,
    attempt_timeout: Option<Duration>,
    max_response_size: usize,
    retry: RetryPolicy,
    /// The server's `GET /api/info`, asked once, the first time a route answers a 404 that
    /// is not Rocket.Chat's (shared with clones made by `with_credentials`: same server).
    server_info: Arc<tokio::sync::OnceCell<Option<ServerInfo>>>,
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

impl Client {
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
                server: inner.server.clone(),
                sessions: SessionSlot::new(
                    Some(session),
                    inner.sessions.relogin_enabled(),
                    None,
                    None,
                ),
                timeout: inner.timeout,
                attempt_timeout: inner.attempt_timeout,
                max_response_size: inner.max_response_size,
                retry: inner.retry.clone(),
                server_info: Arc::clone(&inner.server_info),
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
        // Field names follow OpenTelemetry's HTTP client conventions, so the spans land in
        // the right columns of an OTel back-end (through tracing-opentelemetry, `otel.name`
        // and `otel.kind` name and classify the span). `url.path` never holds the query,
        // which may carry search text; no header is recorded.
        let inner = &*self.inner;
        let span = tracing::info_span!(
            "rocketchat.request",
            "otel.name" = %format_args!("{} {}", request.method, request.path),
            "otel.kind" = "client",
            "http.request.method" = %request.method,
            "url.path" = %UrlPath(&inner.server.api_path, request.path),
            "server.address" = %inner.server.address,
            "server.port" = inner.server.port,
            "http.response.status_code" = tracing::field::Empty,
            "error.type" = tracing::field::Empty,
            "http.request.resend_count" = tracing::field::Empty,
            "rocketchat.duration_ms" = tracing::field::Empty,
        );
        // A timeout too large to add (say `Duration::MAX` for "no limit") means no deadline
        // in practice: a century away.
        let now = Instant::now();
        let deadline = now
            .checked_add(request.options.timeout.unwrap_or(self.inner.timeout))
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
                // The renewal runs as a task of its own with its own timeout; this call
                // waits for it only until its deadline, and the renewal goes on if it stops
                // waiting.
                let renewal = self.inner.sessions.renew(stale, |stale| {
                    let client = self.clone();
                    async move { client.renew_now(stale).await }
                });
                match tokio::time::timeout_at(deadline, renewal).await {
                    Ok(Renewed::Session(fresh)) => {
                        return self.attempts(&request, Some(&fresh), deadline).await;
                    }
                    Ok(Renewed::NotRenewable) => {}
                    Ok(Renewed::Failed(error)) => return Err(error),
                    Err(_) => {
                        return Err(Error::with_source(
                            ErrorKind::Timeout,
                            "the session is being renewed (the renewal goes on, and later calls use its session)",
                        ));
                    }
                }
            }
            outcome
        };
        // Without a subscriber the span is disabled: then skip reading the clock and recording
        // (measured with benches/callgrind.sh).
        let timed = !span.is_disabled();
        let since = request.since;
        let request_path = request.path;
        async move {
            let started = timed.then(Instant::now);
            // No timer around the whole call: every attempt's timeout is what is left until
            // the deadline, retry waits that would pass it are skipped, and the re-login is
            // bounded above, so one timer per attempt keeps the deadline (a second timer
            // cost ~1,000 instructions a call; benches/callgrind.sh).
            let outcome = call.await;
            // Only a 404 on a versioned route needs the server's version; every other answer
            // skips the check without building its future (benches/callgrind.sh).
            let outcome = match (since, &outcome) {
                (Some(since), Ok(answer)) if answer.status == http::StatusCode::NOT_FOUND => {
                    self.judge_missing_route(since, outcome).await
                }
                _ => outcome,
            };
            crate::metrics::call(
                request_path,
                outcome.as_ref().map(|a| a.status).map_err(Error::kind),
            );
            if let Some(started) = started {
                let span = tracing::Span::current();
                match &outcome {
                    Ok(response) => {
                        span.record("http.response.status_code", response.status.as_u16());
                        if !response.status.is_success() {
                            // OTel: the status code is the error type of a failed answer.
                            span.record("error.type", response.status.as_str());
                        }
                    }
                    Err(error) => {
                        span.record("error.type", error_type(error.kind()));
                    }
                }
                span.record(
                    "rocketchat.duration_ms",
                    started.elapsed().as_millis() as u64,
                );
            }
            outcome
        }
        .instrument(span)
        .await
    }

    /// A 404 that is not Rocket.Chat's JSON, from a route with a minimum version, means the
    /// server lacks the route or the base URL is wrong. Current servers answer a route they
    /// do not have with Hono's plain-text `404 Not Found` (no notFound handler in
    /// `packages/http-router/src/Router.ts`), so the server's version (`GET /api/info`,
    /// asked once per client) decides between the two; the verdict rides on the answer's
    /// [`Endpoint`] for the decoder.
    async fn judge_missing_route(
        &self,
        since: &'static str,
        outcome: Result<RawResponse, Error>,
    ) -> Result<RawResponse, Error> {
        let Ok(mut answer) = outcome else {
            return outcome;
        };
        if ApiError::new(answer.status, None, answer.body.clone()).is_rocketchat_error() {
            return Ok(answer);
        }
        let older = self.server_older_than(since).await;
        if let Some(endpoint) = &mut answer.endpoint {
            endpoint.server_older = older;
        }
        Ok(answer)
    }

    /// Whether the server is older than `version`, from its cached `/api/info`; `None` when
    /// that cannot be told (no answer, a hidden version, only `major.minor` against a patch).
    async fn server_older_than(&self, version: &str) -> Option<bool> {
        // Asked once per client, failure included: a wrong base URL must not cost a second
        // call on every 404. Bounded by the client's timeout like any call.
        let info = self
            .inner
            .server_info
            .get_or_init(|| {
                // Boxed: this sends a request through `execute`, which called us.
                let client = self.clone();
                Box::pin(async move {
                    let mut request = ApiRequest::get("/info", String::new());
                    request.authenticated = false;
                    request.session = client.session();
                    let answer = client.execute(request).await.ok()?;
                    crate::response::decode::<ServerInfo, Error>(answer).ok()
                })
            })
            .await
            .as_ref()?;
        info.is_at_least(version).map(|at_least| !at_least)
    }

    /// The renewal task's work: logs in again, and ends on the server a fresh session that
    /// lost a race with a login or logout (nobody would ever use its token).
    async fn renew_now(&self, stale: Arc<Session>) -> Renewed {
        let span = tracing::info_span!("rocketchat.renewal");
        async {
            let sessions = self.sessions();
            let (renewed, orphan) = sessions
                .run_renewal(&stale, |body| self.send_login(body))
                .await;
            if let Some(orphan) = orphan {
                self.end_orphan(orphan).await;
            }
            renewed
        }
        .instrument(span)
        .await
    }

    /// Ends a session nobody will use. Boxed with its `Send` spelled out: ending it is a
    /// call, whose renewal path comes back here, and the compiler cannot see through that
    /// cycle on its own.
    fn end_orphan(
        &self,
        orphan: Arc<Session>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(self.end_on_server(orphan))
    }

    /// Posts a re-login body, without a session, within the client's own timeout from now.
    async fn send_login(&self, body: Vec<u8>) -> Result<RawResponse, Error> {
        let mut login = ApiRequest::post("login", body);
        login.authenticated = false;
        let now = Instant::now();
        let deadline = now
            .checked_add(self.inner.timeout)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        self.attempts(&login, None, deadline).await
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
        let retry = request.options.retry.as_ref().unwrap_or(&self.inner.retry);
        loop {
            let outcome = self.send_once(request, session, deadline).await;
            let wait = retry.wait_before_retry(&outcome, request.idempotent, attempt, waited);
            match wait {
                // Sleeping past the deadline would only turn the real answer into a timeout.
                Some(wait) if wait < deadline.saturating_duration_since(Instant::now()) => {
                    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
                    tokio::time::sleep(wait).await;
                    waited += wait;
                    attempt += 1;
                }
                _ => {
                    tracing::Span::current().record("http.request.resend_count", attempt);
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
        let date = response.headers().get(http::header::DATE).cloned();
        let body = read_body(response, inner.max_response_size).await?;
        Ok(RawResponse {
            status,
            rate_limit,
            body,
            endpoint: Some(Endpoint {
                path: request.path,
                since: request.since,
                server_older: None,
            }),
            date,
        })
    }
}

/// The parts of the API base that tracing records: host, port and the path prefix.
#[derive(Clone, Debug)]
struct ServerParts {
    address: String,
    port: u16,
    /// The API base's path, e.g. `/api/v1/` or `/chat/api/v1/`.
    api_path: String,
}

impl ServerParts {
    /// From an API base that [`crate::base_url::api_base`] has already checked.
    fn of(api_base: &str) -> Self {
        let url = url::Url::parse(api_base).ok();
        Self {
            address: url
                .as_ref()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default(),
            port: url
                .as_ref()
                .and_then(url::Url::port_or_known_default)
                .unwrap_or(0),
            api_path: url.map(|u| u.path().to_owned()).unwrap_or_default(),
        }
    }
}

/// `url.path` of a request, formatted only when a subscriber records the span.
struct UrlPath<'a>(&'a str, &'static str);

impl std::fmt::Display for UrlPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self(api_path, path) = *self;
        match path.strip_prefix('/') {
            // Below `/api/` rather than `/api/v1/`.
            Some(root) => write!(f, "{}{root}", api_path.trim_end_matches("v1/")),
            None => write!(f, "{api_path}{path}"),
        }
    }
}

/// OTel's `error.type` for a call that got no answer to decode.
pub(crate) fn error_type(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation { .. } => "validation",
        ErrorKind::Configuration { .. } => "configuration",
        ErrorKind::NotAuthenticated => "not_authenticated",
        ErrorKind::SessionExpired => "session_expired",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Transport => "transport",
        ErrorKind::HostNotFound => "host_not_found",
        ErrorKind::Tls => "tls",
        ErrorKind::ResponseTooLarge { .. } => "response_too_large",
        ErrorKind::Decode { .. } => "decode",
        ErrorKind::UnexpectedResponse(_) => "unexpected_response",
        ErrorKind::EndpointMissing { .. } => "endpoint_missing",
        ErrorKind::Api(_) => "api",
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
