//! [`ClientBuilder`]: every setting of a [`Client`], checked once when it is built.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{Client, Inner, ServerParts};
use crate::base_url::{api_base, without_user_info};
use crate::error::Error;
use crate::redirect::redirect_policy;
use crate::retry::RetryPolicy;
use crate::secret::SecretString;
use crate::session::{
    Credentials, CredentialsHook, ExpiredSession, ExpiryHook, FreshLogin, Session, SessionSlot,
    expiry_hook,
};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Sent unless the caller chooses another: some proxies and WAFs refuse requests without
/// a `User-Agent`, and it tells a server's admin which program is calling.
const DEFAULT_USER_AGENT: &str = concat!("rocketchat-omnichannel/", env!("CARGO_PKG_VERSION"));
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_MAX_RESPONSE_SIZE: usize = 32 * 1024 * 1024;

/// A password login the builder must perform when it connects: read by
/// [`ClientBuilder::from_env`], done by [`ClientBuilder::connect`]. It lives here, not with
/// the environment code, so that the client never imports the layer above it.
#[derive(Clone)]
pub(crate) struct PendingLogin {
    pub(crate) user: String,
    pub(crate) password: SecretString,
    pub(crate) code: Option<SecretString>,
    /// Names what the login came from (the variables), for error messages.
    pub(crate) source: &'static str,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("user", &self.user)
            .field("password", &self.password)
            .field("code", &self.code)
            .field("source", &self.source)
            .finish()
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
    on_credentials_change: Option<CredentialsHook>,
    two_factor_backoff: Duration,
    renewal_timeout: Duration,
    user_agent: Option<String>,
    /// A password login read by [`ClientBuilder::from_env`], done by [`ClientBuilder::connect`].
    pub(crate) pending_login: Option<PendingLogin>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            // A password in the URL's user info never shows, as in the errors.
            .field("base_url", &without_user_info(&self.base_url))
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_size", &self.max_response_size)
            .field("retry", &self.retry)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("relogin", &self.relogin)
            .field("on_session_expired", &self.on_session_expired.is_some())
            .field(
                "on_credentials_change",
                &self.on_credentials_change.is_some(),
            )
            .field("user_agent", &self.user_agent)
            .field("pending_login", &self.pending_login)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client for the server at `base_url` (the address users open in
    /// a browser, e.g. `https://chat.example.com` or `https://example.com/chat/`).
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
            on_credentials_change: None,
            two_factor_backoff: crate::session::FIRST_TWO_FACTOR_BACKOFF,
            renewal_timeout: crate::session::RENEWAL_TIMEOUT,
            user_agent: None,
            pending_login: None,
        }
    }
}

impl ClientBuilder {
    /// Authenticates every request with these credentials (a personal access token or the
    /// token of an existing session).
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
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A limit for each single attempt (from sending to the last byte), within the overall
    /// [`timeout`](ClientBuilder::timeout). Off by default: an attempt may use whatever
    /// is left of the deadline. Set it with retries on, so that one stalled attempt leaves
    /// time for another.
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
    pub fn relogin(mut self, relogin: bool) -> Self {
        self.relogin = relogin;
        self
    }

    /// The hook a bot uses to renew a session that needed a two-factor code: called (once
    /// for all waiting calls) when such a session expires, it returns a [`FreshLogin`]
    /// (a new code, or other credentials) or `None` to give up. Without a hook, or when it
    /// gives up or the new login is refused, calls fail with
    /// [`ErrorKind::SessionExpired`](crate::ErrorKind::SessionExpired); with a hook, the next
    /// call that finds the session expired after a back-off
    /// ([`two_factor_backoff`](ClientBuilder::two_factor_backoff)) asks it again, telling it
    /// why its previous answer failed ([`ExpiredSession::previous_refusal`]).
    ///
    /// The hook runs in a renewal task of its own, bounded by
    /// [`renewal_timeout`](ClientBuilder::renewal_timeout) (5 minutes by default), not by
    /// the timeout of the call that found the session expired: a call whose deadline passes
    /// meanwhile gets [`ErrorKind::Timeout`](crate::ErrorKind::Timeout), the person keeps
    /// typing, and the calls after the renewal use the new session. The hook is asked once
    /// per expiry, however many calls are waiting.
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

    /// The longest a session's renewal may take: the [`on_session_expired`] hook's answer
    /// and the login after it (default 5 minutes). A renewal that takes longer fails; for a
    /// two-factor session the hook is asked again after the back-off, told `timed-out`.
    ///
    /// [`on_session_expired`]: ClientBuilder::on_session_expired
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = rocketchat_omnichannel::Client::builder("https://chat.example.com")
    ///     .renewal_timeout(Duration::from_secs(120))
    ///     .build()?;
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn renewal_timeout(mut self, timeout: Duration) -> Self {
        self.renewal_timeout = timeout;
        self
    }

    /// How long a two-factor session waits, after the hook's answer was refused (a wrong
    /// code) or the hook gave up, before the next expired call asks the hook again (default
    /// 1 s). The wait doubles with each refusal in a row, up to 5 minutes, and is at least a
    /// minute after `totp-max-attempts`; in between, calls fail at once with
    /// [`ErrorKind::SessionExpired`](crate::ErrorKind::SessionExpired) and no login is sent,
    /// because every failed login counts towards the server's lockout.
    pub fn two_factor_backoff(mut self, first: Duration) -> Self {
        self.two_factor_backoff = first;
        self
    }

    /// Called whenever the client's session changes: `Some` after a login, a resume or a
    /// re-login the client did by itself, `None` after a logout. This is how a bot keeps its
    /// saved credentials current, so a restart never starts from a dead token; see
    /// [`CredentialsFile`](crate::CredentialsFile) for a store that writes them safely.
    ///
    /// The hook runs while the session is being switched, in the order the changes happen:
    /// keep it short (write a file, send a message to a task) and do not call the client
    /// from it.
    ///
    /// ```no_run
    /// use rocketchat_omnichannel::{Client, CredentialsFile};
    ///
    /// let store = CredentialsFile::new("/var/lib/bot/credentials.json");
    /// let saved = store.load()?;
    /// let mut builder = Client::builder("https://chat.example.com")
    ///     .on_credentials_change(move |credentials| store.update(credentials));
    /// if let Some(credentials) = saved {
    ///     builder = builder.credentials(credentials);
    /// }
    /// let client = builder.build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_credentials_change<F>(mut self, hook: F) -> Self
    where
        F: Fn(Option<&Credentials>) + Send + Sync + 'static,
    {
        self.on_credentials_change = Some(std::sync::Arc::new(hook));
        self
    }

    /// The `User-Agent` the client sends (default `rocketchat-omnichannel/<version>`).
    /// Ignored with [`ClientBuilder::http_client`]: that client keeps its own.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Time allowed to open a connection (default 10 s). Ignored with
    /// [`ClientBuilder::http_client`], whose own setting applies.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest answer body accepted, in bytes (default 32 MiB). A larger body ends the
    /// call with [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge).
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Which failed calls are sent again; see [`RetryPolicy`]. Off by default.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Allows plain `http://` to a host that is not loopback. Tokens and passwords then
    /// cross the network unencrypted, so this is refused unless asked for.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Whether credentials were given (to [`ClientBuilder::credentials`]).
    pub(crate) fn has_credentials(&self) -> bool {
        self.credentials.is_some()
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
                pending.source
            )));
        }
        let api_base = api_base(&self.base_url, self.allow_insecure_http)?;
        let session = self
            .credentials
            .map(Session::from_credentials)
            .transpose()?;
        #[cfg(feature = "rustls-ring")]
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // The process has no provider yet (one installed by the program wins): without
            // one, reqwest's provider-less rustls cannot build a client. Losing a race with
            // another thread installing one is fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
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
                server: ServerParts::of(&api_base),
                api_base,
                sessions: SessionSlot::new(
                    session,
                    self.relogin,
                    self.on_session_expired,
                    self.on_credentials_change,
                )
                .with_first_backoff(self.two_factor_backoff)
                .with_renewal_timeout(self.renewal_timeout),
                timeout: self.timeout,
                attempt_timeout: self.attempt_timeout,
                max_response_size: self.max_response_size,
                retry: self.retry,
                server_info: Arc::default(),
            }),
        })
    }
}
