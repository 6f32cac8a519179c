//! `POST /api/v1/login` (password or resume, with two-factor), `GET /api/v1/me` and
//! `POST /api/v1/logout`, as endpoint code like the contact routes. The session they
//! install lives in [`crate::session`].

pub(crate) mod body;

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

use crate::awaitable::awaitable;
use crate::client::{ApiRequest, Caller, Client, request_options};
use crate::error::{Error, ErrorKind, operation_error};
use crate::models::Me;
use crate::response;
use crate::secret::SecretString;
use crate::session::{Credentials, Origin, PasswordLogin, Session};
use body::{LoginBody, decode_login};

operation_error! {
    /// Why a login failed.
    ///
    /// `Unauthorized` here means the user name or password (or resume token) was wrong.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// use rocketchat_omnichannel::LoginError;
    ///
    /// match client.login("agent1", "secret").await {
    ///     Ok(_) => {}
    ///     Err(error @ LoginError::TwoFactorRequired { .. }) => {
    ///         let challenge = error.two_factor_challenge().unwrap()?;
    ///         println!("send a code by {:?}", challenge.method);
    ///         client.login("agent1", "secret").two_factor_code("123456").await?;
    ///     }
    ///     Err(other) => return Err(other.into()),
    /// }
    /// # Ok(()) }
    /// ```
    pub enum LoginError {
        /// The account needs a second factor: log in again with
        /// [`Login::two_factor_code`]. [`LoginError::two_factor_challenge`] tells which
        /// methods the server offers.
        TwoFactorRequired = crate::error::Matcher::Code("totp-required"),
            "a two-factor code is required: log in again with two_factor_code";
        /// The two-factor code was wrong or expired.
        TwoFactorInvalid = crate::error::Matcher::Code("totp-invalid"),
            "the two-factor code was not accepted";
        /// Too many wrong codes; the account must wait before trying again.
        TwoFactorMaxAttempts = crate::error::Matcher::Code("totp-max-attempts"),
            "too many wrong two-factor codes: wait before trying again";
    }
}

impl LoginError {
    /// What the server asks for when the error is [`LoginError::TwoFactorRequired`];
    /// `None` for other errors.
    ///
    /// # Errors
    /// When the challenge's `details` are missing or do not decode (no `method`, an
    /// unexpected shape), the error says so: the SDK does not guess a method.
    ///
    /// ```
    /// # use rocketchat_omnichannel::{ApiError, LoginError, TwoFactorMethod};
    /// # let error = LoginError::TwoFactorRequired { response: ApiError::from_parts(401,
    /// #   r#"{"success":false,"error":"totp-required","details":{"method":"totp","availableMethods":["totp","email"]}}"#) };
    /// let challenge = error.two_factor_challenge().unwrap()?;
    /// assert_eq!(challenge.method, TwoFactorMethod::Totp);
    /// assert_eq!(challenge.available_methods, [TwoFactorMethod::Totp, TwoFactorMethod::Email]);
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn two_factor_challenge(&self) -> Option<Result<TwoFactorChallenge, Error>> {
        let Self::TwoFactorRequired { response } = self else {
            return None;
        };
        let undecodable = |why: String| {
            Error::new(ErrorKind::Decode {
                status: response.status(),
                path: format!("details: {why}"),
                body: response.body().clone(),
            })
        };
        Some(match response.details() {
            None => Err(undecodable(
                "the two-factor challenge has no details".into(),
            )),
            Some(details) => serde_json::from_value(details.clone())
                .map_err(|e| undecodable(format!("the two-factor challenge did not decode ({e})"))),
        })
    }
}

/// The second factor the server asks for.
///
/// ```
/// # use rocketchat_omnichannel::{TwoFactorChallenge, TwoFactorMethod};
/// let c: TwoFactorChallenge = serde_json::from_str(r#"{"method":"email","availableMethods":["email"],"codeGenerated":true}"#)?;
/// assert_eq!(c.method, TwoFactorMethod::Email);
/// assert_eq!(c.extra["codeGenerated"], true);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TwoFactorChallenge {
    /// The method the server picked (required: a challenge without one is reported as
    /// undecodable rather than guessed).
    pub method: TwoFactorMethod,
    /// Every method the user may use.
    #[serde(default)]
    pub available_methods: Vec<TwoFactorMethod>,
    /// Anything else in `details` (for email codes: `codeGenerated`, `codeCount`, …).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A second-factor method.
///
/// ```
/// # use rocketchat_omnichannel::TwoFactorMethod;
/// let m: TwoFactorMethod = serde_json::from_str(r#""webauthn""#)?;
/// assert_eq!(m, TwoFactorMethod::Unknown("webauthn".into()));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TwoFactorMethod {
    /// An authenticator app's time-based code.
    Totp,
    /// A code sent by email.
    Email,
    /// The account password again (fallback for users without another method).
    Password,
    /// A method this SDK does not know.
    Unknown(String),
}

impl<'de> Deserialize<'de> for TwoFactorMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let method = String::deserialize(d)?;
        Ok(match method.as_str() {
            "totp" => Self::Totp,
            "email" => Self::Email,
            "password" => Self::Password,
            _ => Self::Unknown(method),
        })
    }
}

/// A login request: `client.login(user, password)` or `client.resume(token)`, optionally
/// with a two-factor code, sent by `.await` or [`Login::send`].
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::LoginError> {
/// client.login("agent1", "secret").two_factor_code("123456").await?;
/// # Ok(()) }
/// ```
#[must_use = "a login does nothing until it is awaited"]
pub struct Login {
    client: Caller,
    method: LoginMethod,
    code: Option<SecretString>,
    keep_previous: bool,
}

enum LoginMethod {
    Password {
        user: String,
        password: SecretString,
    },
    Resume {
        token: SecretString,
    },
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Login");
        match &self.method {
            LoginMethod::Password { user, password } => {
                s.field("user", user).field("password", password)
            }
            LoginMethod::Resume { token } => s.field("resume", token),
        };
        s.field("code", &self.code)
            .field("keep_previous", &self.keep_previous)
            .finish()
    }
}

impl Login {
    request_options!(r#"login("agent1", "secret")"#);

    /// Adds the second factor (a TOTP code, an emailed code, or the password for the
    /// `password` method). Sent in the body's `code` field, as Rocket.Chat's own clients do.
    ///
    /// A session that needed a code cannot log in again by itself when it expires; see
    /// [`ClientBuilder::on_session_expired`](crate::ClientBuilder::on_session_expired).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::LoginError> {
    /// client.login("agent1", "secret").two_factor_code("123456").await?;
    /// # Ok(()) }
    /// ```
    pub fn two_factor_code(mut self, code: impl Into<SecretString>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Leaves the session this login replaces alive on the server. By default a session
    /// from an earlier [`Client::login`] or [`Client::resume`] is logged out once the new
    /// one is in place, so switching users never leaves a token behind.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::LoginError> {
    /// client.login("agent2", "secret").keep_previous_session().await?;
    /// # Ok(()) }
    /// ```
    pub fn keep_previous_session(mut self) -> Self {
        self.keep_previous = true;
        self
    }

    /// Sends the login; on success the client holds the new session. A password session
    /// remembers the password (as a [`SecretString`]) to log in again by itself when the
    /// token expires; see [`ClientBuilder::relogin`](crate::ClientBuilder::relogin).
    ///
    /// If the answer's `me` block does not decode, the login still succeeds (the server
    /// has issued the token) and the returned [`Me`] holds only the user id; a warning is
    /// logged.
    ///
    /// # Errors
    /// [`LoginError::Unauthorized`] for a wrong user, password or token;
    /// [`LoginError::TwoFactorRequired`], [`LoginError::TwoFactorInvalid`],
    /// [`LoginError::TwoFactorMaxAttempts`] for the second factor;
    /// [`LoginError::RateLimited`]; [`LoginError::Other`] for the rest (empty user name,
    /// transport, unexpected answers).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::LoginError> {
    /// let logged_in = client.login("agent1", "secret").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Me, LoginError> {
        let code = self.code.as_ref().map(SecretString::expose);
        let body = match &self.method {
            LoginMethod::Password { user, password } => {
                if user.trim().is_empty() {
                    return Err(Error::validation("the user name or email is empty").into());
                }
                LoginBody {
                    user: Some(user),
                    password: Some(password.expose()),
                    resume: None,
                    code,
                }
            }
            LoginMethod::Resume { token } => {
                if token.expose().trim().is_empty() {
                    return Err(Error::validation("the resume token is empty").into());
                }
                LoginBody {
                    user: None,
                    password: None,
                    resume: Some(token.expose()),
                    code,
                }
            }
        }
        .to_vec()?;
        let mut request = ApiRequest::post("login", body);
        request.authenticated = false;
        let answer = self.client.execute(request).await?;
        let mut data = decode_login::<LoginError>(answer)?;
        // The token is installed before `me` is looked at: whatever `me` holds, the server
        // has created the session and only this client knows its token.
        let me = data.me();
        let user_id = data.user_id.clone();
        let mut session = Session::from_credentials(Credentials {
            user_id: data.user_id,
            token: data.auth_token,
            origin: Origin::Login,
        })?;
        if let LoginMethod::Password { user, password } = self.method {
            session.password_login = Some(PasswordLogin {
                user,
                password,
                two_factor: self.code.is_some(),
            });
        }
        let token = session.credentials.token.clone();
        let previous = self.client.client.sessions().replace(Arc::new(session));
        // A resume answers with the token it was given: ending the "previous" session would
        // then end the one just installed.
        if let Some(previous) = previous.filter(|p| {
            p.is_server_session() && !self.keep_previous && p.credentials.token != token
        }) {
            self.client.client.end_on_server(previous).await;
        }
        Ok(match me {
            Ok(Some(me)) => me,
            Ok(None) => Me {
                id: user_id.clone(),
                ..Me::default()
            },
            Err(error) => {
                tracing::warn!(%error, "logged in, but the answer's `me` block did not decode");
                Me {
                    id: user_id.clone(),
                    ..Me::default()
                }
            }
        })
    }
}

awaitable!(Login => Result<Me, LoginError>);

#[derive(Deserialize)]
struct Ignored {}

impl Client {
    /// Logs in with a user name (or email) and password. Await it, or add
    /// [`Login::two_factor_code`] first.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = rocketchat_omnichannel::Client::builder("https://chat.example.com").build()?;
    /// client.login("agent1", "secret").await?;
    /// # Ok(()) }
    /// ```
    pub fn login(&self, user: impl Into<String>, password: impl Into<SecretString>) -> Login {
        Login {
            client: Caller::new(self),
            method: LoginMethod::Password {
                user: user.into(),
                password: password.into(),
            },
            code: None,
            keep_previous: false,
        }
    }

    /// Logs in again with the auth token of an earlier session; logout will end it. A 401
    /// later is returned as it is: there is no password to log in again with.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client, stored: String) -> Result<(), rocketchat_omnichannel::LoginError> {
    /// client.resume(stored).await?;
    /// # Ok(()) }
    /// ```
    pub fn resume(&self, token: impl Into<SecretString>) -> Login {
        Login {
            client: Caller::new(self),
            method: LoginMethod::Resume {
                token: token.into(),
            },
            code: None,
            keep_previous: false,
        }
    }

    /// The logged-in user (`GET /api/v1/me`).
    ///
    /// # Errors
    /// [`ErrorKind::NotAuthenticated`] without a session; [`ErrorKind::Api`] with status 401
    /// when the token is no longer valid; transport and decode errors.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let me = client.me().await?;
    /// println!("{} is an agent: {}", me.id, me.is_agent());
    /// # Ok(()) }
    /// ```
    pub async fn me(&self) -> Result<Me, Error> {
        let answer = self.execute(ApiRequest::get("me", String::new())).await?;
        response::decode(answer)
    }

    /// Ends the session. A session from [`Client::login`] or [`Client::resume`] is ended on
    /// the server (`POST /api/v1/logout`); credentials passed to the builder are only
    /// forgotten, because logging out a personal access token would revoke it. A 401 means
    /// the session was already gone and counts as success.
    ///
    /// Logout ends the session it found when called, even if a concurrent login replaces
    /// it meanwhile, and forgets it locally only if it is still the current one: a login
    /// that won the race keeps its session.
    ///
    /// # Errors
    /// Transport errors and unexpected answers; the session is then kept so the call can be
    /// repeated.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.logout().await?;
    /// assert!(!client.is_authenticated());
    /// # Ok(()) }
    /// ```
    pub async fn logout(&self) -> Result<(), Error> {
        let Some(session) = self.session() else {
            return Ok(());
        };
        if session.is_server_session() {
            // From here on a call that gets a 401 (the token is being revoked) must not log in
            // again and bring the session back behind the logout's back.
            let before = session.begin_logout();
            if let Err(error) = self.revoke(&session).await {
                session.abort_logout(before);
                return Err(error);
            }
        }
        self.sessions().clear_if(&session);
        Ok(())
    }

    /// `POST /api/v1/logout` with this session's own headers, whatever session is current.
    async fn revoke(&self, session: &Arc<Session>) -> Result<(), Error> {
        let mut request = ApiRequest::post("logout", Vec::new());
        request.session = Some(session.clone());
        let answer = self.execute(request).await?;
        if answer.status.as_u16() != 401 && !answer.status.is_success() {
            response::decode::<Ignored, Error>(answer)?;
        }
        Ok(())
    }

    /// Ends a replaced session on the server; a failure is logged, not returned, because
    /// the login that replaced it succeeded.
    pub(crate) async fn end_on_server(&self, session: Arc<Session>) {
        if let Err(error) = self.revoke(&session).await {
            tracing::warn!(%error, "the replaced session could not be logged out on the server");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;

    fn required(body: &str) -> LoginError {
        LoginError::TwoFactorRequired {
            response: ApiError::from_parts(401, body.to_owned()),
        }
    }

    #[test]
    fn an_undecodable_challenge_is_reported_not_guessed() {
        for body in [
            r#"{"success":false,"error":"totp-required"}"#,
            r#"{"success":false,"error":"totp-required","details":{"availableMethods":["email"]}}"#,
            r#"{"success":false,"error":"totp-required","details":"totp"}"#,
        ] {
            let error = required(body).two_factor_challenge().unwrap().unwrap_err();
            assert!(
                matches!(error.kind(), ErrorKind::Decode { .. }),
                "{error:?}"
            );
            assert!(
                error.to_string().contains("two-factor challenge"),
                "{error}"
            );
        }
    }
}
