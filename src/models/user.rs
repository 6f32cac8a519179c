//! The logged-in user as `GET /api/v1/me` and `POST /api/v1/login` return it.

use serde::{Deserialize, Serialize};

use super::id::string_id;

string_id! {
    /// A user's `_id` (agents, contact managers, the logged-in user).
    ///
    /// ```
    /// use rocketchat_omnichannel::models::UserId;
    /// let id = UserId::from("agent-user-id");
    /// assert_eq!(id.as_str(), "agent-user-id");
    /// ```
    UserId
}

/// The logged-in user. Only the fields an integration commonly needs are typed; the rest of
/// the answer is ignored.
///
/// ```
/// use rocketchat_omnichannel::models::Me;
///
/// let me: Me = serde_json::from_str(r#"{"_id":"u1","username":"agent1","roles":["user","livechat-agent"]}"#)?;
/// assert!(me.is_agent());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Me {
    /// The user id.
    #[serde(rename = "_id")]
    pub id: UserId,
    /// The user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's addresses.
    #[serde(default)]
    pub emails: Vec<UserEmail>,
    /// The first verified address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Presence (`online`, `away`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Whether the account is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Role names; permissions follow from them.
    #[serde(default)]
    pub roles: Vec<String>,
    /// UTC offset in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<f64>,
    /// Avatar address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

impl Me {
    /// Whether the user holds the `livechat-agent` role, which a contact manager needs.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::Me;
    /// assert!(!Me::default().is_agent());
    /// ```
    pub fn is_agent(&self) -> bool {
        self.roles.iter().any(|r| r == "livechat-agent")
    }
}

/// An email address of a user.
///
/// ```
/// # use rocketchat_omnichannel::models::UserEmail;
/// let e: UserEmail = serde_json::from_str(r#"{"address":"a@example.com","verified":true}"#)?;
/// assert!(e.verified);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserEmail {
    /// The address.
    pub address: String,
    /// Whether it was verified.
    #[serde(default)]
    pub verified: bool,
}
