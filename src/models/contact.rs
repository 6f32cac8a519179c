//! The omnichannel contact (`ILivechatContact`) and its parts.
//!
//! Decoding is tolerant, because servers from 7.0 to the newest differ: every field but the
//! id may be absent, unknown fields are ignored, `null` lists read as empty, and unknown enum
//! strings are kept. Serializing writes the wire names back, so a `Contact` can be served by
//! a mock exactly as the SDK will read it.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::conflict::ConflictingField;
use super::date;
use super::id::string_id;
use super::manager::ContactManager;

string_id! {
    /// A contact's `_id`.
    ///
    /// ```
    /// use rocketchat_omnichannel::models::ContactId;
    /// let id = ContactId::from("68341efdd387e3d7509267fb");
    /// assert_eq!(id, "68341efdd387e3d7509267fb");
    /// ```
    ContactId
}

/// A contact: one person across all the channels they used.
///
/// ```
/// use rocketchat_omnichannel::models::Contact;
///
/// let contact: Contact = serde_json::from_str(r#"{
///     "_id": "c1", "name": "Jane Doe",
///     "conflictingFields": [{"field": "name", "value": "Jane D."}]
/// }"#)?;
/// assert!(contact.has_conflicts());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Contact {
    /// The contact's id.
    #[serde(rename = "_id")]
    pub id: ContactId,
    /// The current name (conflicting names are in `conflicting_fields`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email addresses; a merged visitor's new addresses are appended, never conflicts.
    #[serde(default, deserialize_with = "null_as_default")]
    pub emails: Vec<ContactEmail>,
    /// Phone numbers; appended like emails.
    #[serde(default, deserialize_with = "null_as_default")]
    pub phones: Vec<ContactPhone>,
    /// The agent who manages the contact: always the user id, plus name and username when
    /// the server sent them (`contacts.search` on 8.x sends an object, every other route and
    /// 7.x the bare id; the key is absent when there is no manager or the user was deleted).
    /// Written back as the bare id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_manager: Option<ContactManager>,
    /// True for contacts created automatically from a visitor; conflicts are only recorded on
    /// known contacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<bool>,
    /// Competing values waiting to be resolved. `null` (sent by 7.6.x) reads as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub conflicting_fields: Vec<ConflictingField>,
    /// Workspace custom fields; values may be any JSON.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Map::is_empty"
    )]
    pub custom_fields: Map<String, Value>,
    /// The channels (widget, email, SMS, apps) the contact used.
    #[serde(default, deserialize_with = "null_as_default")]
    pub channels: Vec<Channel>,
    /// The latest conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_chat: Option<LastChat>,
    /// Ids from an import, when the contact came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_ids: Option<Vec<String>>,
    /// Months (`"YYYY-MM"`) with activity, newest twelve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Vec<String>>,
    /// True when the contact was created with no channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_registration: Option<bool>,
    /// Database flag some servers leak; not reset when conflicts are resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_conflicts: Option<bool>,
    /// `false` for deleted contacts, on servers that send the flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Creation time.
    #[serde(
        default,
        with = "date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<Timestamp>,
    /// Last write time.
    #[serde(
        rename = "_updatedAt",
        default,
        with = "date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<Timestamp>,
}

impl Contact {
    /// A contact with only an id, to fill in for tests and mocks.
    ///
    /// ```
    /// use rocketchat_omnichannel::models::Contact;
    /// let mut contact = Contact::new("c1");
    /// contact.name = Some("Jane Doe".into());
    /// assert_eq!(contact.id, "c1");
    /// ```
    pub fn new(id: impl Into<ContactId>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// Whether any field is waiting for a decision.
    ///
    /// ```
    /// # use rocketchat_omnichannel::models::Contact;
    /// assert!(!Contact::new("c1").has_conflicts());
    /// ```
    pub fn has_conflicts(&self) -> bool {
        !self.conflicting_fields.is_empty()
    }
}

/// An email address of a contact.
///
/// ```
/// # use rocketchat_omnichannel::models::ContactEmail;
/// let email: ContactEmail = serde_json::from_str(r#"{"address":"jane@example.com"}"#)?;
/// assert_eq!(email.address, "jane@example.com");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactEmail {
    /// The address.
    pub address: String,
}

impl ContactEmail {
    /// An email entry.
    ///
    /// ```
    /// let email = rocketchat_omnichannel::models::ContactEmail::new("jane@example.com");
    /// # assert_eq!(email.address, "jane@example.com");
    /// ```
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
        }
    }
}

/// A phone number of a contact.
///
/// ```
/// # use rocketchat_omnichannel::models::ContactPhone;
/// let phone: ContactPhone = serde_json::from_str(r#"{"phoneNumber":"+5511999999999"}"#)?;
/// assert_eq!(phone.phone_number, "+5511999999999");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ContactPhone {
    /// The number as the server stores it.
    pub phone_number: String,
}

impl ContactPhone {
    /// A phone entry.
    ///
    /// ```
    /// let phone = rocketchat_omnichannel::models::ContactPhone::new("+5511999999999");
    /// # assert_eq!(phone.phone_number, "+5511999999999");
    /// ```
    pub fn new(phone_number: impl Into<String>) -> Self {
        Self {
            phone_number: phone_number.into(),
        }
    }
}

/// A conversation reference: room id and time.
///
/// ```
/// # use rocketchat_omnichannel::models::LastChat;
/// let chat: LastChat = serde_json::from_str(r#"{"_id":"room1","ts":"2025-05-26T07:57:49.661Z"}"#)?;
/// assert_eq!(chat.id, "room1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LastChat {
    /// The room id.
    #[serde(rename = "_id")]
    pub id: String,
    /// When the conversation happened.
    #[serde(
        default,
        with = "date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ts: Option<Timestamp>,
}

/// One channel a contact used, with the visitor behind it.
///
/// ```
/// # use rocketchat_omnichannel::models::{Channel, SourceType};
/// let channel: Channel = serde_json::from_str(r#"{
///   "name": "widget", "verified": true, "blocked": false,
///   "visitor": {"visitorId": "v1", "source": {"type": "widget"}}
/// }"#)?;
/// assert_eq!(channel.visitor.unwrap().source.unwrap().kind, Some(SourceType::Widget));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Channel {
    /// Channel name, e.g. `widget` or an app's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the contact proved they own the identifier in `field`/`value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// When it was verified.
    #[serde(
        default,
        with = "date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub verified_at: Option<Timestamp>,
    /// Whether the channel is blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// Which identifier was verified (e.g. `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The verified identifier itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The visitor behind this channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<ChannelVisitor>,
    /// The visitor id as old documents store it, directly on the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
    /// Where the conversations came from. Boxed: most channels carry one, but the struct is
    /// large, and keeping it out of line makes decoding a contact with many channels move far
    /// fewer bytes (BENCHMARKS.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Box<ChannelSource>>,
    /// The latest conversation on this channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_chat: Option<LastChat>,
}

/// The visitor of a channel.
///
/// ```
/// # use rocketchat_omnichannel::models::ChannelVisitor;
/// let v: ChannelVisitor = serde_json::from_str(r#"{"visitorId":"v1","source":{"type":"sms"}}"#)?;
/// assert_eq!(v.visitor_id, "v1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChannelVisitor {
    /// The livechat visitor's id.
    #[serde(default)]
    pub visitor_id: String,
    /// Where the visitor came from (boxed, as [`Channel::details`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Box<ChannelSource>>,
}

/// The source of a channel's conversations.
///
/// ```
/// # use rocketchat_omnichannel::models::{ChannelSource, SourceType};
/// let s: ChannelSource = serde_json::from_str(r#"{"type":"widget","destination":"site.example"}"#)?;
/// assert_eq!(s.kind, Some(SourceType::Widget));
///
/// // A source without a `type` says so, instead of passing for a widget.
/// let s: ChannelSource = serde_json::from_str(r#"{"id":"inbox-1"}"#)?;
/// assert_eq!(s.kind, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ChannelSource {
    /// The kind of source; `None` when the server sent no `type` (old or hand-made
    /// documents), which is not the same as a widget.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SourceType>,
    /// Source id (an app id, an inbox id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Display label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Sidebar icon name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sidebar_icon: Option<String>,
    /// Default icon name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_icon: Option<String>,
    /// Where the conversation arrived (a site, an address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
}

/// Kinds of channel source. Unknown kinds are kept in [`SourceType::Unknown`], so a newer
/// server's kinds still decode.
///
/// ```
/// # use rocketchat_omnichannel::models::SourceType;
/// let kind: SourceType = serde_json::from_str(r#""whatsapp-cloud""#)?;
/// assert_eq!(kind, SourceType::Unknown("whatsapp-cloud".into()));
/// assert_eq!(kind.as_str(), "whatsapp-cloud");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceType {
    /// The livechat widget.
    Widget,
    /// Email inbox.
    Email,
    /// SMS.
    Sms,
    /// A Rocket.Chat app (WhatsApp and other connectors).
    App,
    /// The REST API.
    Api,
    /// Rocket.Chat's own "other".
    Other,
    /// A kind this SDK does not know yet.
    Unknown(String),
}

impl SourceType {
    /// The wire string.
    ///
    /// ```
    /// assert_eq!(rocketchat_omnichannel::models::SourceType::Sms.as_str(), "sms");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Self::Widget => "widget",
            Self::Email => "email",
            Self::Sms => "sms",
            Self::App => "app",
            Self::Api => "api",
            Self::Other => "other",
            Self::Unknown(kind) => kind,
        }
    }
}

impl From<&str> for SourceType {
    fn from(kind: &str) -> Self {
        match kind {
            "widget" => Self::Widget,
            "email" => Self::Email,
            "sms" => Self::Sms,
            "app" => Self::App,
            "api" => Self::Api,
            "other" => Self::Other,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

impl Serialize for SourceType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SourceType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let kind = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(Self::from(&*kind))
    }
}

/// Reads `null` as the type's default (an empty list or map).
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
