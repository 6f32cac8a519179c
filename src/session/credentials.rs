//! Credentials: the user id and token a session sends, where the token came from, and the
//! password that lets a session log in again.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::models::UserId;
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
