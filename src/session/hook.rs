//! The caller's hook for sessions that need a person (a two-factor code) to log in again.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::models::UserId;
use crate::secret::SecretString;

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
    pub(super) user: String,
    pub(super) user_id: UserId,
    pub(super) attempt: u32,
    pub(super) previous_refusal: Option<String>,
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

    /// Which ask this is since the session last worked: 1 the first time, 2 after one
    /// refused answer, and so on.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Why the previous answer did not renew the session, when there was one: the server's
    /// error code (`totp-invalid` for a wrong code, `totp-max-attempts` when the server
    /// wants a pause), `no-code` when the hook gave up (`None`), or `timed-out` when the
    /// answer and the login after it took longer than the
    /// [`renewal_timeout`](crate::ClientBuilder::renewal_timeout). A person can be told
    /// "that code was wrong" instead of being asked as if for the first time.
    pub fn previous_refusal(&self) -> Option<&str> {
        self.previous_refusal.as_deref()
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
    pub(super) credentials: Option<(String, SecretString)>,
    pub(super) code: Option<SecretString>,
}

impl FreshLogin {
    /// Logs in again as the same user with the same password and this two-factor code.
    pub fn code(code: impl Into<SecretString>) -> Self {
        Self {
            credentials: None,
            code: Some(code.into()),
        }
    }

    /// Logs in with other credentials (add a code with [`FreshLogin::two_factor_code`]).
    pub fn credentials(user: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self {
            credentials: Some((user.into(), password.into())),
            code: None,
        }
    }

    /// Adds a two-factor code.
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
