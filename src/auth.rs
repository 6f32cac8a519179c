//! Sessions: credentials, password and resume logins with two-factor, `me` and logout.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use http::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::client::{ApiRequest, Client};
use crate::error::{Error, ErrorKind, operation_error};
use crate::models::{Me, UserId};
use crate::response::{self, RawResponse};
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
    user_id: UserId,
    token: SecretString,
    origin: Origin,
}

/// Where a token came from decides what logout does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Given by the caller: may be a personal access token, which a server logout would
    /// revoke, so logout only forgets it.
    Provided,
    /// Created by this client's login or resume: logout revokes it on the server.
    Login,
}

impl Credentials {
    /// Credentials from a user id and a token (a personal access token or a session's
    /// `authToken`). Logging out a client built with these only forgets them locally, so a
    /// personal access token is never revoked by accident; use [`Client::resume`] to adopt
    /// a session token that logout should end.
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

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user_id", &self.user_id)
            .field("token", &self.token)
            .finish()
    }
}

/// The session a client holds, with its headers built once so no request rebuilds them.
pub(crate) struct Session {
    credentials: Credentials,
    user_id_header: HeaderValue,
    token_header: HeaderValue,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.credentials, f)
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
        })
    }

    pub(crate) fn credentials(&self) -> Credentials {
        self.credentials.clone()
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
    ///         let challenge = error.two_factor_challenge().unwrap();
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
    /// What the server asks for when the error is [`LoginError::TwoFactorRequired`].
    ///
    /// ```
    /// # use rocketchat_omnichannel::{ApiError, LoginError, TwoFactorMethod};
    /// # let error = LoginError::TwoFactorRequired { response: ApiError::from_parts(401,
    /// #   r#"{"error":"totp-required","details":{"method":"totp","availableMethods":["totp","email"]}}"#) };
    /// let challenge = error.two_factor_challenge().unwrap();
    /// assert_eq!(challenge.method, TwoFactorMethod::Totp);
    /// assert_eq!(challenge.available_methods, [TwoFactorMethod::Totp, TwoFactorMethod::Email]);
    /// ```
    pub fn two_factor_challenge(&self) -> Option<TwoFactorChallenge> {
        match self {
            Self::TwoFactorRequired { response } => Some(
                response
                    .details()
                    .and_then(|d| serde_json::from_value(d.clone()).ok())
                    .unwrap_or_default(),
            ),
            _ => None,
        }
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
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TwoFactorChallenge {
    /// The method the server picked.
    #[serde(default)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TwoFactorMethod {
    /// An authenticator app's time-based code.
    #[default]
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

/// The outcome of a successful login.
///
/// ```
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::LoginError> {
/// let logged_in = client.login("agent1", "secret").await?;
/// println!("logged in as {}", logged_in.me.username.as_deref().unwrap_or("?"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LoggedIn {
    /// The user id of the session.
    pub user_id: UserId,
    /// The user, as `GET /me` would return it.
    pub me: Me,
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
pub struct Login<'a> {
    client: &'a Client,
    method: LoginMethod,
    code: Option<SecretString>,
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

impl fmt::Debug for Login<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Login");
        match &self.method {
            LoginMethod::Password { user, password } => {
                s.field("user", user).field("password", password)
            }
            LoginMethod::Resume { token } => s.field("resume", token),
        };
        s.field("code", &self.code).finish()
    }
}

#[derive(Serialize)]
struct LoginBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resume: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
}

#[derive(Deserialize)]
struct LoginAnswer {
    data: LoginData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginData {
    user_id: UserId,
    auth_token: SecretString,
    #[serde(default)]
    me: Option<Me>,
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }
}

impl<'a> Login<'a> {
    /// Adds the second factor (a TOTP code, an emailed code, or the password for the
    /// `password` method). Sent in the body's `code` field, as Rocket.Chat's own clients do.
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

    /// Sends the login; on success the client holds the new session.
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
    pub async fn send(self) -> Result<LoggedIn, LoginError> {
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
        };
        let body = serde_json::to_vec(&body).map_err(|e| {
            Error::with_source(
                ErrorKind::Validation {
                    message: "the login body could not be encoded".into(),
                },
                e,
            )
        })?;
        let mut request = ApiRequest::post("login", body);
        request.authenticated = false;
        let answer = self.client.execute(request).await?;
        let data = decode_login(answer)?;
        let credentials = Credentials {
            user_id: data.user_id.clone(),
            token: data.auth_token,
            origin: Origin::Login,
        };
        self.client
            .set_session(Some(Session::from_credentials(credentials)?));
        Ok(LoggedIn {
            me: data.me.unwrap_or_else(|| Me {
                id: data.user_id.clone(),
                ..Me::default()
            }),
            user_id: data.user_id,
        })
    }
}

/// Decodes a login answer without ever keeping its body, which holds the new token.
fn decode_login(answer: RawResponse) -> Result<LoginData, LoginError> {
    if answer.status.is_success() {
        let answer: LoginAnswer = response::decode_success(answer, false)?;
        Ok(answer.data)
    } else {
        response::decode::<LoginAnswer, LoginError>(answer).map(|a| a.data)
    }
}

impl<'a> IntoFuture for Login<'a> {
    type Output = Result<LoggedIn, LoginError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

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
    pub fn login(&self, user: impl Into<String>, password: impl Into<SecretString>) -> Login<'_> {
        Login {
            client: self,
            method: LoginMethod::Password {
                user: user.into(),
                password: password.into(),
            },
            code: None,
        }
    }

    /// Logs in again with the auth token of an earlier session; logout will end it.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client, stored: String) -> Result<(), rocketchat_omnichannel::LoginError> {
    /// client.resume(stored).await?;
    /// # Ok(()) }
    /// ```
    pub fn resume(&self, token: impl Into<SecretString>) -> Login<'_> {
        Login {
            client: self,
            method: LoginMethod::Resume {
                token: token.into(),
            },
            code: None,
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
        if session.credentials.origin == Origin::Login {
            let answer = self.execute(ApiRequest::post("logout", Vec::new())).await?;
            if answer.status.as_u16() != 401 && !answer.status.is_success() {
                response::decode::<Ignored, Error>(answer)?;
            }
        }
        self.set_session(None);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_every_secret() {
        let credentials = Credentials::token("u1", "tok-SECRET");
        let session = Session::from_credentials(credentials.clone()).unwrap();
        for text in [format!("{credentials:?}"), format!("{session:?}")] {
            assert!(text.contains("<redacted>"), "{text}");
            assert!(!text.contains("tok-SECRET"), "{text}");
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
}
