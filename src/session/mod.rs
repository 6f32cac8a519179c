//! The client's state: the session it holds, the credentials behind it, and renewal (one
//! re-login shared by every call that saw the session expire).

mod credentials;
mod hook;
mod renewal;
mod store;

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use http::{HeaderName, HeaderValue};

use crate::error::Error;

pub use credentials::Credentials;
pub(crate) use credentials::{Origin, PasswordLogin};
pub use hook::{ExpiredSession, FreshLogin};
pub(crate) use hook::{ExpiryHook, expiry_hook};
pub(crate) use renewal::{FIRST_BACKOFF as FIRST_TWO_FACTOR_BACKOFF, RENEWAL_TIMEOUT, Renewed};
pub use store::CredentialsFile;

/// The caller's hook for credential changes (login, re-login, logout), type-erased.
pub(crate) type CredentialsHook = Arc<dyn Fn(Option<&Credentials>) + Send + Sync>;

/// The session a client holds, with its headers built once so no request rebuilds them.
pub(crate) struct Session {
    pub(crate) credentials: Credentials,
    user_id_header: HeaderValue,
    token_header: HeaderValue,
    /// Set for sessions from a password login: how to log in again when the token expires.
    pub(crate) password_login: Option<PasswordLogin>,
    /// What became of renewing this session; changed only through the transitions in
    /// [`renewal`] (`begin_logout`, `abort_logout`, a failed re-login).
    renewal: renewal::RenewalCell,
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
            renewal: renewal::RenewalCell::default(),
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

/// The current session and what renewing it needs.
pub(crate) struct SessionSlot {
    current: RwLock<Option<Arc<Session>>>,
    /// The renewal under way: calls that saw the session expire wait for it instead of
    /// each starting their own.
    in_flight: renewal::InFlight,
    /// The longest a renewal (the hook's answer and the login after it) may take.
    renewal_timeout: std::time::Duration,
    relogin: bool,
    hook: Option<ExpiryHook>,
    on_change: Option<CredentialsHook>,
    /// Refused two-factor renewals in a row (back-off, and what the hook is told).
    refusals: std::sync::Mutex<renewal::Refusals>,
    first_backoff: std::time::Duration,
}

impl fmt::Debug for SessionSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

impl SessionSlot {
    pub(crate) fn new(
        session: Option<Session>,
        relogin: bool,
        hook: Option<ExpiryHook>,
        on_change: Option<CredentialsHook>,
    ) -> Self {
        Self {
            current: RwLock::new(session.map(Arc::new)),
            in_flight: renewal::InFlight::default(),
            renewal_timeout: renewal::RENEWAL_TIMEOUT,
            relogin,
            hook,
            on_change,
            refusals: std::sync::Mutex::default(),
            first_backoff: renewal::FIRST_BACKOFF,
        }
    }

    /// The wait after a first refused two-factor answer (it doubles after each one more).
    pub(crate) fn with_first_backoff(mut self, first: std::time::Duration) -> Self {
        self.first_backoff = first;
        self
    }

    /// The longest a renewal may take.
    pub(crate) fn with_renewal_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.renewal_timeout = timeout;
        self
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
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        self.changed(Some(&session.credentials));
        current.replace(session)
    }

    /// Tells the caller's hook, while the lock is held so that hooks see the changes in the
    /// order they happened (a file written by the hook ends with the current session).
    fn changed(&self, credentials: Option<&Credentials>) {
        if let Some(hook) = &self.on_change {
            hook(credentials);
        }
    }

    /// Forgets the session only if it is still `expected`: a logout must not clear a
    /// session that a concurrent login installed after the logout read its own.
    pub(crate) fn clear_if(&self, expected: &Arc<Session>) -> bool {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, expected)) {
            *current = None;
            self.changed(None);
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
                self.changed(Some(&fresh.credentials));
                *current = Some(fresh.clone());
                Some(fresh)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::secret::SecretString;

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
        let slot = SessionSlot::new(None, true, None, None);
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
