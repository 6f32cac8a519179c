//! The client's state: the session it holds, the credentials behind it, and renewal (one
//! re-login shared by every call that saw the session expire).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, PoisonError, RwLock};

use http::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Matcher};
use crate::models::{Me, UserId};
use crate::response::{self, FromApiError, RawResponse};
use crate::secret::SecretString;

/// A user id and auth token: a personal access token, or the token of a session created
/// elsewhere. `Debug` never shows the token.
///
/// ```
/// use rocketchat_omnichannel::Credentials;
///
/// let credentials = Credentials::token("user-id", "auth-token");
/// assert_eq!(credentials.user_id(), "user-id");
/// assert!(!format!("{credentials:?}").contains("auth-token"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub(crate) user_id: UserId,
    pub(crate) token: SecretString,
    pub(crate) origin: Origin,
}

/// Where a token came from decides what logout does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Given by the caller: may be a personal access token, which a server logout would
    /// revoke, so logout only forgets it.
    Provided,
    /// Created by this client's login or resume: logout revokes it on the server.
    Login,
}

impl Credentials {
    /// Credentials from a user id and a token (a personal access token or a session's
    /// `authToken`). Logging out a client built with these only forgets them locally, so a
    /// personal access token is never revoked by accident; use
    /// [`Client::resume`](crate::Client::resume) to adopt a session token that logout
    /// should end. A 401 on such a session is returned as it is: there is no password to
    /// log in again with.
    ///
    /// ```
    /// let credentials = rocketchat_omnichannel::Credentials::token("user-id", "token");
    /// # let _ = credentials;
    /// ```
    pub fn token(user_id: impl Into<UserId>, token: impl Into<SecretString>) -> Self {
        Self {
            user_id: user_id.into(),
            token: token.into(),
            origin: Origin::Provided,
        }
    }

    /// The user id the token belongs to.
    ///
    /// ```
    /// # let credentials = rocketchat_omnichannel::Credentials::token("user-id", "token");
    /// assert_eq!(credentials.user_id(), "user-id");
    /// ```
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    /// The token, redacted unless you call [`SecretString::expose`].
    ///
    /// ```
    /// # let credentials = rocketchat_omnichannel::Credentials::token("user-id", "token");
    /// assert_eq!(credentials.auth_token().expose(), "token");
    /// ```
    pub fn auth_token(&self) -> &SecretString {
        &self.token
    }
}

/// The saved form of [`Credentials`]: what a bot writes to disk to resume its session after a
/// restart without logging in again.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedCredentials<'a> {
    user_id: std::borrow::Cow<'a, str>,
    auth_token: std::borrow::Cow<'a, str>,
    /// `true` for a token this client's login created (logout ends it on the server);
    /// `false` for one the caller provided, such as a personal access token.
    #[serde(default)]
    session: bool,
}

/// Credentials save as `{"userId": …, "authToken": …, "session": true|false}` (for example
/// with `serde_json`), so a bot can keep its login across restarts. **The saved form holds the
/// token in clear**: store it as you would a password. `Debug` stays redacted.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::{Client, Credentials};
/// use rocketchat_omnichannel::testing::FakeRocketChat;
///
/// let fake = FakeRocketChat::start().await;
/// fake.add_agent("bot", "secret");
/// let client = Client::builder(fake.uri()).build()?;
/// client.login("bot", "secret").await?;
/// let saved = serde_json::to_string(&client.credentials().unwrap())?;
///
/// // After a restart: no login, the same session.
/// let restored: Credentials = serde_json::from_str(&saved)?;
/// let client = Client::builder(fake.uri()).credentials(restored).build()?;
/// assert_eq!(client.me().await?.username.as_deref(), Some("bot"));
/// # Ok(()) }
/// ```
impl Serialize for Credentials {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SavedCredentials {
            user_id: self.user_id.as_str().into(),
            auth_token: self.token.expose().into(),
            session: self.origin == Origin::Login,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Credentials {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = SavedCredentials::deserialize(deserializer)?;
        Ok(Self {
            user_id: UserId::from(saved.user_id.into_owned()),
            token: SecretString::from(saved.auth_token.into_owned()),
            origin: if saved.session {
                Origin::Login
            } else {
                Origin::Provided
            },
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user_id", &self.user_id)
            .field("token", &self.token)
            .finish()
    }
}

/// What a password login needs to be repeated. The password is a [`SecretString`]: it
/// never shows in `Debug`, logs or errors.
#[derive(Clone)]
pub(crate) struct PasswordLogin {
    pub(crate) user: String,
    pub(crate) password: SecretString,
    /// The login needed a two-factor code, so it cannot be repeated unattended.
    pub(crate) two_factor: bool,
}

impl fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("user", &self.user)
            .field("password", &self.password)
            .field("two_factor", &self.two_factor)
            .finish()
    }
}

/// The session a client holds, with its headers built once so no request rebuilds them.
pub(crate) struct Session {
    pub(crate) credentials: Credentials,
    user_id_header: HeaderValue,
    token_header: HeaderValue,
    /// Set for sessions from a password login: how to log in again when the token expires.
    pub(crate) password_login: Option<PasswordLogin>,
    /// What became of renewing this session: a logout is ending it (never renew it then, or a
    /// call racing the logout would bring it back), or a re-login already failed (do not
    /// repeat it for every waiting call: failed logins count towards the server's lockout).
    pub(crate) renewal: std::sync::atomic::AtomicU8,
}

/// Values of [`Session::renewal`].
pub(crate) mod renewal {
    /// Renewable if it has a password login.
    pub(crate) const OPEN: u8 = 0;
    /// A logout is ending the session.
    pub(crate) const ENDING: u8 = 1;
    /// Logging in again was refused (a changed password): report the 401.
    pub(crate) const REFUSED: u8 = 2;
    /// Logging in again needs a two-factor code nobody supplied.
    pub(crate) const NEEDS_CODE: u8 = 3;
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("credentials", &self.credentials)
            .field("password_login", &self.password_login)
            .finish()
    }
}

impl Session {
    pub(crate) fn from_credentials(credentials: Credentials) -> Result<Self, Error> {
        if credentials.user_id.trim().is_empty() || credentials.token.expose().trim().is_empty() {
            return Err(Error::configuration(
                "the user id and the auth token must not be empty",
            ));
        }
        // Ids and tokens are printable ASCII; anything else is a copy-paste accident (a line
        // break, a smart quote). The error must not echo the token.
        let header = |value: &str, what: &str| {
            value
                .bytes()
                .all(|b| b.is_ascii_graphic())
                .then(|| HeaderValue::from_str(value).ok())
                .flatten()
                .ok_or_else(|| {
                    Error::configuration(format!(
                        "the {what} contains characters other than printable ASCII, which cannot be sent in an HTTP header"
                    ))
                })
        };
        let user_id_header = header(credentials.user_id.as_str(), "user id")?;
        let mut token_header = header(credentials.token.expose(), "auth token")?;
        token_header.set_sensitive(true);
        Ok(Self {
            credentials,
            user_id_header,
            token_header,
            password_login: None,
            renewal: std::sync::atomic::AtomicU8::new(renewal::OPEN),
        })
    }

    pub(crate) fn credentials(&self) -> Credentials {
        self.credentials.clone()
    }

    /// Whether logout should end this session on the server.
    pub(crate) fn is_server_session(&self) -> bool {
        self.credentials.origin == Origin::Login
    }

    pub(crate) fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        // Static names: a `&str` name is parsed and validated on every call (~500
        // instructions each, measured with benches/callgrind.sh).
        const USER_ID: HeaderName = HeaderName::from_static("x-user-id");
        const AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
        request
            .header(USER_ID, self.user_id_header.clone())
            .header(AUTH_TOKEN, self.token_header.clone())
    }
}

/// Who the expired session belonged to, handed to the
/// [`on_session_expired`](crate::ClientBuilder::on_session_expired) hook.
///
/// ```
/// # use rocketchat_omnichannel::ExpiredSession;
/// fn ask(expired: &ExpiredSession) -> String {
///     format!("enter a new code for {}", expired.user())
/// }
/// # let _ = ask;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ExpiredSession {
    user: String,
    user_id: UserId,
}

impl ExpiredSession {
    /// The user name or email the session logged in with.
    ///
    /// ```
    /// # fn f(e: &rocketchat_omnichannel::ExpiredSession) { println!("{}", e.user()); }
    /// ```
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The user id of the expired session.
    ///
    /// ```
    /// # fn f(e: &rocketchat_omnichannel::ExpiredSession) { println!("{}", e.user_id()); }
    /// ```
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }
}

/// What the [`on_session_expired`](crate::ClientBuilder::on_session_expired) hook hands back
/// to log in again: a fresh two-factor code for the same user and password, or new
/// credentials. `Debug` never shows the password or the code.
///
/// ```
/// use rocketchat_omnichannel::FreshLogin;
/// let same_user = FreshLogin::code("123456");
/// let other = FreshLogin::credentials("bot2", "secret").two_factor_code("654321");
/// assert!(!format!("{same_user:?}{other:?}").contains("123456"));
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct FreshLogin {
    credentials: Option<(String, SecretString)>,
    code: Option<SecretString>,
}

impl FreshLogin {
    /// Logs in again as the same user with the same password and this two-factor code.
    ///
    /// ```
    /// let fresh = rocketchat_omnichannel::FreshLogin::code("123456");
    /// # let _ = fresh;
    /// ```
    pub fn code(code: impl Into<SecretString>) -> Self {
        Self {
            credentials: None,
            code: Some(code.into()),
        }
    }

    /// Logs in with other credentials (add a code with [`FreshLogin::two_factor_code`]).
    ///
    /// ```
    /// let fresh = rocketchat_omnichannel::FreshLogin::credentials("bot", "new-password");
    /// # let _ = fresh;
    /// ```
    pub fn credentials(user: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self {
            credentials: Some((user.into(), password.into())),
            code: None,
        }
    }

    /// Adds a two-factor code.
    ///
    /// ```
    /// let fresh = rocketchat_omnichannel::FreshLogin::credentials("bot", "pw").two_factor_code("123456");
    /// # let _ = fresh;
    /// ```
    pub fn two_factor_code(mut self, code: impl Into<SecretString>) -> Self {
        self.code = Some(code.into());
        self
    }
}

type HookFuture = Pin<Box<dyn Future<Output = Option<FreshLogin>> + Send>>;

/// The caller's hook for two-factor sessions, type-erased so `Client` stays non-generic.
pub(crate) type ExpiryHook = Arc<dyn Fn(ExpiredSession) -> HookFuture + Send + Sync>;

pub(crate) fn expiry_hook<F, Fut>(hook: F) -> ExpiryHook
where
    F: Fn(ExpiredSession) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<FreshLogin>> + Send + 'static,
{
    Arc::new(move |expired| Box::pin(hook(expired)) as HookFuture)
}

/// The login body, shared by [`Client::login`](crate::Client::login) and renewal. Credentials
/// go in the body, never in the URL.
#[derive(Serialize)]
pub(crate) struct LoginBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) password: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resume: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<&'a str>,
}

impl LoginBody<'_> {
    pub(crate) fn to_vec(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self).map_err(|e| {
            Error::with_source(
                ErrorKind::Validation {
                    message: "the login body could not be encoded".into(),
                },
                e,
            )
        })
    }
}

#[derive(Deserialize)]
struct LoginAnswer {
    data: LoginData,
}

/// A successful login: the token, and the `me` block decoded separately so a surprise in
/// it never costs the token the server already issued.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginData {
    pub(crate) user_id: UserId,
    pub(crate) auth_token: SecretString,
    #[serde(default)]
    me: Option<serde_json::Value>,
}

impl LoginData {
    /// The `me` block, or `Err` with the reason it did not decode.
    pub(crate) fn me(&mut self) -> Result<Option<Me>, serde_json::Error> {
        self.me.take().map(serde_json::from_value).transpose()
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }
}

/// Decodes a login answer without ever keeping its body, which holds the new token.
pub(crate) fn decode_login<E: FromApiError>(answer: RawResponse) -> Result<LoginData, E> {
    if answer.status.is_success() {
        let answer: LoginAnswer = response::decode_success(answer, false)?;
        Ok(answer.data)
    } else {
        response::decode::<LoginAnswer, E>(answer).map(|a| a.data)
    }
}

/// The current session and what renewing it needs.
pub(crate) struct SessionSlot {
    current: RwLock<Option<Arc<Session>>>,
    /// Held while one call logs in again, so concurrent calls that saw the same 401 wait
    /// for that login instead of each starting their own.
    renewing: tokio::sync::Mutex<()>,
    relogin: bool,
    hook: Option<ExpiryHook>,
}

impl fmt::Debug for SessionSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

/// How a renewal ended.
pub(crate) enum Renewed {
    /// Replay the call with this session.
    Session(Arc<Session>),
    /// The session cannot be renewed (token session, re-login off, logged out meanwhile, or
    /// the password no longer works): return the 401 as it is.
    NotRenewable,
    /// Renewal needed the caller and could not complete, or the login could not be sent.
    Failed(Error),
}

impl SessionSlot {
    pub(crate) fn new(session: Option<Session>, relogin: bool, hook: Option<ExpiryHook>) -> Self {
        Self {
            current: RwLock::new(session.map(Arc::new)),
            renewing: tokio::sync::Mutex::new(()),
            relogin,
            hook,
        }
    }

    /// Whether password sessions log in again on a 401.
    pub(crate) fn relogin_enabled(&self) -> bool {
        self.relogin
    }

    pub(crate) fn get(&self) -> Option<Arc<Session>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Installs a session and hands back the one it replaced.
    pub(crate) fn replace(&self, session: Arc<Session>) -> Option<Arc<Session>> {
        self.current
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(session)
    }

    /// Forgets the session only if it is still `expected`: a logout must not clear a
    /// session that a concurrent login installed after the logout read its own.
    pub(crate) fn clear_if(&self, expected: &Arc<Session>) -> bool {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, expected)) {
            *current = None;
            true
        } else {
            false
        }
    }

    /// Installs `fresh` in place of `stale`, unless another session took its place.
    fn swap_if(&self, stale: &Arc<Session>, fresh: Arc<Session>) -> Option<Arc<Session>> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        match current.as_ref() {
            Some(c) if Arc::ptr_eq(c, stale) => {
                *current = Some(fresh.clone());
                Some(fresh)
            }
            _ => None,
        }
    }

    /// Renews `stale` after a 401, once for all callers: whoever takes the lock first logs
    /// in; the others find a different session installed and replay with it.
    ///
    /// `send_login` posts a login body (unauthenticated) and returns the answer.
    pub(crate) async fn renew<F, Fut>(&self, stale: &Arc<Session>, send_login: F) -> Renewed
    where
        F: FnOnce(Vec<u8>) -> Fut,
        Fut: Future<Output = Result<RawResponse, Error>>,
    {
        let Some(login) = stale.password_login.clone().filter(|_| self.relogin) else {
            return Renewed::NotRenewable;
        };
        let _renewing = self.renewing.lock().await;
        match self.get() {
            Some(current) if !Arc::ptr_eq(&current, stale) => return Renewed::Session(current),
            None => return Renewed::NotRenewable,
            Some(_) => {}
        }
        // Read under the lock, so every caller that waited for a failed attempt sees it.
        match stale.renewal.load(std::sync::atomic::Ordering::SeqCst) {
            renewal::OPEN => {}
            renewal::NEEDS_CODE => return Renewed::Failed(Error::new(ErrorKind::SessionExpired)),
            _ => return Renewed::NotRenewable,
        }
        let outcome = self.log_in_again(stale, login, send_login).await;
        let failed = match &outcome {
            Renewed::Session(_) => None,
            Renewed::NotRenewable => Some(renewal::REFUSED),
            Renewed::Failed(error) if matches!(error.kind(), ErrorKind::SessionExpired) => {
                Some(renewal::NEEDS_CODE)
            }
            // A transport failure may pass: the next 401 may try again.
            Renewed::Failed(_) => None,
        };
        if let Some(state) = failed {
            let _ = stale.renewal.compare_exchange(
                renewal::OPEN,
                state,
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
            );
        }
        outcome
    }

    /// One attempt at logging in again, asking the hook for a code where one is needed.
    async fn log_in_again<F, Fut>(
        &self,
        stale: &Arc<Session>,
        login: PasswordLogin,
        send_login: F,
    ) -> Renewed
    where
        F: FnOnce(Vec<u8>) -> Fut,
        Fut: Future<Output = Result<RawResponse, Error>>,
    {
        let user_id = stale.credentials.user_id.clone();
        let (login, code) = if login.two_factor {
            let Some(hook) = &self.hook else {
                tracing::warn!(user_id = %user_id, "session expired; a new two-factor code is needed");
                return Renewed::Failed(Error::new(ErrorKind::SessionExpired));
            };
            let expired = ExpiredSession {
                user: login.user.clone(),
                user_id: user_id.clone(),
            };
            let Some(fresh) = hook(expired).await else {
                return Renewed::Failed(Error::new(ErrorKind::SessionExpired));
            };
            let login = match fresh.credentials {
                Some((user, password)) => PasswordLogin {
                    user,
                    password,
                    two_factor: true,
                },
                None => login,
            };
            (login, fresh.code)
        } else {
            (login, None)
        };
        tracing::info!(user_id = %user_id, user = %login.user, "session expired: logging in again");
        let body = LoginBody {
            user: Some(&login.user),
            password: Some(login.password.expose()),
            resume: None,
            code: code.as_ref().map(SecretString::expose),
        }
        .to_vec();
        let answer = match body {
            Ok(body) => send_login(body).await,
            Err(error) => Err(error),
        };
        let data = match answer.and_then(decode_login::<Error>) {
            Ok(data) => data,
            Err(error) => return renewal_failed(error, login.two_factor),
        };
        let credentials = Credentials {
            user_id: data.user_id,
            token: data.auth_token,
            origin: Origin::Login,
        };
        let mut fresh = match Session::from_credentials(credentials) {
            Ok(session) => session,
            Err(error) => return Renewed::Failed(error),
        };
        let two_factor = login.two_factor || code.is_some();
        fresh.password_login = Some(PasswordLogin {
            two_factor,
            ..login
        });
        tracing::info!(user_id = %fresh.credentials.user_id, "logged in again");
        match self.swap_if(stale, Arc::new(fresh)) {
            Some(fresh) => Renewed::Session(fresh),
            None => self.get().map_or(Renewed::NotRenewable, Renewed::Session),
        }
    }
}

/// A re-login that failed: a refused password gives the caller the original 401; a demand
/// for a second factor (or a two-factor session's refused code) is a `SessionExpired`.
fn renewal_failed(error: Error, two_factor: bool) -> Renewed {
    let wants_code = error.api_error().is_some_and(|api| {
        ["totp-required", "totp-invalid", "totp-max-attempts"]
            .iter()
            .any(|code| Matcher::Code(code).matches(api))
    });
    if wants_code || (two_factor && error.status().is_some_and(|s| s.as_u16() == 401)) {
        tracing::warn!("logging in again needs a new two-factor code");
        return Renewed::Failed(Error::with_source(ErrorKind::SessionExpired, error));
    }
    if error.status().is_some_and(|s| s.as_u16() == 401) {
        tracing::warn!("logging in again was refused; the password may have changed");
        return Renewed::NotRenewable;
    }
    Renewed::Failed(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_every_secret() {
        let credentials = Credentials::token("u1", "tok-SECRET");
        let mut session = Session::from_credentials(credentials.clone()).unwrap();
        session.password_login = Some(PasswordLogin {
            user: "agent1".into(),
            password: SecretString::from("pw-SECRET"),
            two_factor: false,
        });
        let fresh = FreshLogin::credentials("u", "pw-SECRET").two_factor_code("code-SECRET");
        for text in [
            format!("{credentials:?}"),
            format!("{session:?}"),
            format!("{fresh:?}"),
        ] {
            assert!(text.contains("<redacted>"), "{text}");
            assert!(!text.contains("SECRET"), "{text}");
        }
    }

    #[test]
    fn token_header_is_sensitive() {
        let session = Session::from_credentials(Credentials::token("u1", "tok")).unwrap();
        assert!(session.token_header.is_sensitive());
    }

    #[test]
    fn bad_header_characters_are_a_configuration_error_without_the_token() {
        let error = Session::from_credentials(Credentials::token("u1", "tok\nSECRET")).unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::Configuration { .. }));
        assert!(!error.to_string().contains("SECRET"));
        assert!(!format!("{error:?}").contains("SECRET"));
    }

    #[test]
    fn logout_clears_only_the_session_it_read() {
        let slot = SessionSlot::new(None, true, None);
        let first = Arc::new(Session::from_credentials(Credentials::token("u1", "a")).unwrap());
        let second = Arc::new(Session::from_credentials(Credentials::token("u1", "b")).unwrap());
        slot.replace(first.clone());
        slot.replace(second.clone());
        assert!(!slot.clear_if(&first));
        assert!(slot.get().is_some_and(|s| Arc::ptr_eq(&s, &second)));
        assert!(slot.clear_if(&second));
        assert!(slot.get().is_none());
    }
}
