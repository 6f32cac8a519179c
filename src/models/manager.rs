//! The contact manager: the agent who looks after a contact.
//!
//! Servers send it in two shapes. `contacts.get`, `contacts.update` and `contacts.conflicts`
//! send the bare user `_id`; `contacts.search` on current servers replaces it with the
//! manager's `{_id, name, username}` (`ILivechatContactWithManagerData`, built in
//! `apps/meteor/app/livechat/server/lib/contacts/getContacts.ts`) and leaves the key out when
//! that user no longer exists. One type reads both, so code that only needs the id never
//! cares which endpoint a contact came from.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::user::UserId;

/// Who manages a contact: always the user id, plus the name and username when the server
/// sent them (only `contacts.search` does).
///
/// Serialises as the bare id string, the form the server stores and every write expects;
/// the name and username are read-only extras and are not written back.
///
/// ```
/// use rocketchat_omnichannel::models::ContactManager;
///
/// // `contacts.get` and 7.x `contacts.search`
/// let bare: ContactManager = serde_json::from_str(r#""agent-1""#)?;
/// assert_eq!(bare.id(), "agent-1");
/// assert_eq!(bare.username(), None);
///
/// // `contacts.search` on 8.x
/// let full: ContactManager =
///     serde_json::from_str(r#"{"_id":"agent-1","name":"Ana Agent","username":"ana"}"#)?;
/// assert_eq!(full.id(), "agent-1");
/// assert_eq!(full.username(), Some("ana"));
/// assert_eq!(serde_json::to_string(&full)?, r#""agent-1""#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ContactManager {
    id: UserId,
    name: Option<String>,
    username: Option<String>,
}

impl ContactManager {
    /// A manager known only by id, as most endpoints send it.
    ///
    /// ```
    /// let manager = rocketchat_omnichannel::models::ContactManager::new("agent-1");
    /// assert_eq!(manager.id(), "agent-1");
    /// ```
    pub fn new(id: impl Into<UserId>) -> Self {
        Self {
            id: id.into(),
            name: None,
            username: None,
        }
    }

    /// Adds the display name and username, as `contacts.search` sends them (for mocks).
    ///
    /// ```
    /// use rocketchat_omnichannel::models::ContactManager;
    /// let manager = ContactManager::new("agent-1").with_user(Some("Ana Agent"), Some("ana"));
    /// assert_eq!(manager.name(), Some("Ana Agent"));
    /// ```
    #[must_use]
    pub fn with_user(mut self, name: Option<&str>, username: Option<&str>) -> Self {
        self.name = name.map(str::to_owned);
        self.username = username.map(str::to_owned);
        self
    }

    /// The manager's user `_id`; always present.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::ContactManager;
    /// assert_eq!(ContactManager::new("agent-1").id().as_str(), "agent-1");
    /// ```
    pub fn id(&self) -> &UserId {
        &self.id
    }

    /// The id as text.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::ContactManager;
    /// assert_eq!(ContactManager::new("agent-1").as_str(), "agent-1");
    /// ```
    pub fn as_str(&self) -> &str {
        self.id.as_str()
    }

    /// The manager's display name, when the server sent it.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::ContactManager;
    /// assert_eq!(ContactManager::new("agent-1").name(), None);
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The manager's username, when the server sent it.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::ContactManager;
    /// assert_eq!(ContactManager::new("agent-1").username(), None);
    /// ```
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The id, dropping the rest.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::ContactManager;
    /// let id = ContactManager::new("agent-1").into_id();
    /// assert_eq!(id, "agent-1");
    /// ```
    pub fn into_id(self) -> UserId {
        self.id
    }
}

impl fmt::Display for ContactManager {
    /// Writes the id, the value conflict entries and writes use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id.as_str())
    }
}

impl From<UserId> for ContactManager {
    fn from(id: UserId) -> Self {
        Self::new(id)
    }
}

impl From<&str> for ContactManager {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl From<String> for ContactManager {
    fn from(id: String) -> Self {
        Self::new(id)
    }
}

impl From<ContactManager> for UserId {
    fn from(manager: ContactManager) -> Self {
        manager.id
    }
}

impl From<&ContactManager> for UserId {
    fn from(manager: &ContactManager) -> Self {
        manager.id.clone()
    }
}

impl AsRef<str> for ContactManager {
    fn as_ref(&self) -> &str {
        self.id.as_str()
    }
}

impl PartialEq<str> for ContactManager {
    fn eq(&self, other: &str) -> bool {
        self.id == *other
    }
}

impl PartialEq<&str> for ContactManager {
    fn eq(&self, other: &&str) -> bool {
        self.id == **other
    }
}

impl PartialEq<UserId> for ContactManager {
    fn eq(&self, other: &UserId) -> bool {
        self.id == *other
    }
}

impl Serialize for ContactManager {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id.as_str())
    }
}

impl<'de> Deserialize<'de> for ContactManager {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ManagerVisitor)
    }
}

struct ManagerVisitor;

impl<'de> Visitor<'de> for ManagerVisitor {
    type Value = ContactManager;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a user id string or an object with `_id`")
    }

    fn visit_str<E: de::Error>(self, id: &str) -> Result<Self::Value, E> {
        Ok(ContactManager::new(id))
    }

    fn visit_string<E: de::Error>(self, id: String) -> Result<Self::Value, E> {
        Ok(ContactManager::new(id))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut id: Option<String> = None;
        let mut name = None;
        let mut username = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "_id" => id = Some(map.next_value()?),
                // A user without a display name or username may send `null` or leave it out.
                "name" => name = map.next_value::<Option<String>>()?,
                "username" => username = map.next_value::<Option<String>>()?,
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("_id"))?;
        Ok(ContactManager {
            id: UserId::from(id),
            name,
            username,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_shapes_and_writes_the_id() {
        let bare: ContactManager = serde_json::from_str(r#""u1""#).unwrap();
        assert_eq!(bare, ContactManager::new("u1"));
        let full: ContactManager =
            serde_json::from_str(r#"{"username":"ana","_id":"u1","name":null,"extra":[1]}"#)
                .unwrap();
        assert_eq!(full.id(), "u1");
        assert_eq!(full.name(), None);
        assert_eq!(full.username(), Some("ana"));
        assert_eq!(serde_json::to_string(&full).unwrap(), r#""u1""#);
    }

    #[test]
    fn an_object_without_id_or_another_type_is_an_error() {
        let err = serde_json::from_str::<ContactManager>(r#"{"name":"Ana"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `_id`"), "{err}");
        let err = serde_json::from_str::<ContactManager>("42").unwrap_err();
        assert!(err.to_string().contains("a user id string"), "{err}");
    }
}
