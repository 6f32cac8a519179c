//! Seed documents: users, personal access tokens and contacts as JSON.

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::contacts::ContactStore;
use super::custom_fields::CustomField;
use super::state::{ChatRoom, State};
use super::users::{FakeUser, TokenKind};

/// A seed document that could not be loaded, with the JSON path of the problem.
///
/// ```
/// use rocketchat_omnichannel::testing::FakeRocketChat;
/// let error = FakeRocketChat::builder().seed_json(r#"{"users": [{"username": 7}]}"#).unwrap_err();
/// assert_eq!(error.path(), "users[0].username");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.path, .message))]
pub struct SeedError {
    path: String,
    message: String,
}

/// `invalid seed at `path`: message`, or the message alone for a file that cannot be read.
fn describe(path: &str, message: &str) -> String {
    if path.is_empty() {
        message.to_owned()
    } else {
        format!("invalid seed at `{path}`: {message}")
    }
}

impl SeedError {
    fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A seed that could not be read at all (path `""`).
    pub(crate) fn unreadable(message: &str) -> Self {
        Self::at("", message)
    }

    /// Where in the document the problem is, e.g. `contacts[2]._id`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong there.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Seed {
    #[serde(default)]
    users: Vec<SeedUser>,
    #[serde(default)]
    personal_access_tokens: Vec<SeedToken>,
    /// Livechat custom-field definitions (`ILivechatCustomField`); none means a workspace
    /// that accepts no custom field on create and update.
    #[serde(default)]
    custom_fields: Vec<CustomField>,
    /// Checked and stored one by one while the document is read, so a large seed is never
    /// held twice in memory.
    #[serde(default)]
    contacts: SeedContacts,
    /// Which roles hold a permission, in the shape of Rocket.Chat's permissions collection
    /// (`IPermission`: `_id` is the permission, `roles` who holds it). A permission not
    /// listed keeps the roles a new server gives it.
    #[serde(default)]
    permissions: Vec<SeedPermission>,
    /// Chat rooms beside `GENERAL`: `_id`, `name`, `t` (`c` public, `p` private) and, for a
    /// private room, the ids of the users in it (`members`).
    #[serde(default)]
    rooms: Vec<SeedRoom>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedRoom {
    #[serde(rename = "_id")]
    id: String,
    name: String,
    #[serde(default = "public")]
    t: String,
    #[serde(default)]
    members: Vec<String>,
}

fn public() -> String {
    "c".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedPermission {
    #[serde(rename = "_id")]
    id: String,
    roles: Vec<String>,
}

/// Marks a contact error raised inside the streaming reader: index, field, message.
const MARK: char = '\u{1}';

/// The seed's contacts, read straight into a store.
#[derive(Default)]
struct SeedContacts(ContactStore);

impl<'de> Deserialize<'de> for SeedContacts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Reader;
        impl<'de> Visitor<'de> for Reader {
            type Value = SeedContacts;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of contact documents")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut store = ContactStore::default();
                let mut index = 0usize;
                while let Some(contact) = seq.next_element::<Map<String, Value>>()? {
                    if let Err((field, message)) = check_contact(&contact) {
                        return Err(de::Error::custom(format!(
                            "{MARK}{index}{MARK}{field}{MARK}{message}"
                        )));
                    }
                    let id = contact["_id"].as_str().unwrap_or_default().to_owned();
                    store.put_unindexed(&id, &contact);
                    index += 1;
                }
                Ok(SeedContacts(store))
            }
        }
        deserializer.deserialize_seq(Reader)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedUser {
    #[serde(rename = "_id")]
    id: String,
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default = "default_roles")]
    roles: Vec<String>,
    #[serde(default)]
    totp: Option<SeedTotp>,
}

fn default_roles() -> Vec<String> {
    vec!["user".into()]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedTotp {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SeedToken {
    user_id: String,
    token: String,
}

pub(super) fn load(state: &mut State, json: &str) -> Result<(), SeedError> {
    apply(state, &mut serde_json::Deserializer::from_str(json))
}

/// [`load`] from a reader, parsed as it is read: a large seed is never held whole (a
/// 28 MB seed of 100,000 contacts held as text while parsing was a third of the peak).
pub(super) fn load_reader(state: &mut State, reader: impl std::io::Read) -> Result<(), SeedError> {
    apply(
        state,
        &mut serde_json::Deserializer::from_reader(std::io::BufReader::new(reader)),
    )
}

fn apply<'de, R: serde_json::de::Read<'de>>(
    state: &mut State,
    deserializer: &mut serde_json::Deserializer<R>,
) -> Result<(), SeedError> {
    let seed: Seed = serde_path_to_error::deserialize(&mut *deserializer).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let mut parts = message.splitn(4, MARK);
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(_), Some(index), Some(field), Some(message)) => {
                // serde_json appends " at line L column C" to custom errors.
                let message = message.rsplit_once(" at line ").map_or(message, |(m, _)| m);
                SeedError::at(format!("contacts[{index}]{field}"), message)
            }
            _ => SeedError::at(path, message),
        }
    })?;
    for (i, user) in seed.users.iter().enumerate() {
        if user.id.trim().is_empty() {
            return Err(SeedError::at(
                format!("users[{i}]._id"),
                "must not be empty",
            ));
        }
        if seed.users[..i]
            .iter()
            .any(|u| u.id == user.id || u.username == user.username)
        {
            return Err(SeedError::at(
                format!("users[{i}]"),
                "duplicate _id or username",
            ));
        }
    }
    for (i, token) in seed.personal_access_tokens.iter().enumerate() {
        if !seed.users.iter().any(|u| u.id == token.user_id) {
            return Err(SeedError::at(
                format!("personalAccessTokens[{i}].userId"),
                format!("no user in `users` has _id `{}`", token.user_id),
            ));
        }
        if token.token.trim().is_empty() {
            return Err(SeedError::at(
                format!("personalAccessTokens[{i}].token"),
                "must not be empty",
            ));
        }
    }
    for user in seed.users {
        let mut fake = FakeUser::new(&user.username)
            .id(&user.id)
            .password(&user.password);
        fake.roles = user.roles;
        fake.name = user.name;
        fake.email = user.email;
        fake.totp_code = user.totp.map(|t| t.code);
        state.add_user(fake);
    }
    for token in seed.personal_access_tokens {
        state
            .tokens
            .insert(token.token, (token.user_id, TokenKind::PersonalAccess));
    }
    for (i, field) in seed.custom_fields.iter().enumerate() {
        if field.id.trim().is_empty() {
            return Err(SeedError::at(
                format!("customFields[{i}]._id"),
                "must not be empty",
            ));
        }
        if let Some(pattern) = &field.regexp
            && let Err(e) = regex::Regex::new(pattern)
        {
            return Err(SeedError::at(
                format!("customFields[{i}].regexp"),
                format!("not a regular expression the fake can run: {e}"),
            ));
        }
    }
    for (i, permission) in seed.permissions.iter().enumerate() {
        if permission.id.trim().is_empty() {
            return Err(SeedError::at(
                format!("permissions[{i}]._id"),
                "must not be empty",
            ));
        }
    }
    for (i, room) in seed.rooms.iter().enumerate() {
        if room.id.trim().is_empty() || room.name.trim().is_empty() {
            return Err(SeedError::at(
                format!("rooms[{i}]"),
                "`_id` and `name` must not be empty",
            ));
        }
        if !matches!(room.t.as_str(), "c" | "p") {
            return Err(SeedError::at(
                format!("rooms[{i}].t"),
                "must be `c` (public) or `p` (private)",
            ));
        }
        if state.chat_rooms.iter().any(|r| r.id == room.id) {
            return Err(SeedError::at(format!("rooms[{i}]._id"), "duplicate _id"));
        }
        let private = room.t == "p";
        state.chat_rooms.push(ChatRoom {
            id: room.id.clone(),
            name: Some(room.name.clone()),
            kind: if private { 'p' } else { 'c' },
            members: private.then(|| room.members.clone()),
        });
    }
    state.permissions.extend(
        seed.permissions
            .into_iter()
            .map(|permission| (permission.id, permission.roles)),
    );
    state.custom_fields.extend(seed.custom_fields);
    state.contacts.absorb(seed.contacts.0);
    Ok(())
}

/// Checks the fields the fake's routes rely on; everything else is kept as given.
fn check_contact(contact: &Map<String, Value>) -> Result<(), (String, String)> {
    match contact.get("_id") {
        Some(Value::String(id)) if !id.trim().is_empty() => {}
        Some(_) => return Err(("._id".into(), "must be a non-empty string".into())),
        None => return Err(("._id".into(), "is required".into())),
    }
    for key in ["name", "contactManager"] {
        if let Some(value) = contact.get(key)
            && !value.is_string()
        {
            return Err((format!(".{key}"), "must be a string".into()));
        }
    }
    for key in ["emails", "phones", "channels"] {
        if let Some(value) = contact.get(key)
            && !value.is_array()
        {
            return Err((format!(".{key}"), "must be an array".into()));
        }
    }
    if let Some(fields) = contact.get("customFields")
        && !fields.is_object()
    {
        return Err((".customFields".into(), "must be an object".into()));
    }
    match contact.get("conflictingFields") {
        None | Some(Value::Null) => {}
        Some(Value::Array(entries)) => {
            for (j, entry) in entries.iter().enumerate() {
                if !entry.get("field").is_some_and(Value::is_string) {
                    return Err((
                        format!(".conflictingFields[{j}].field"),
                        "must be a string such as \"name\", \"manager\" or \"customFields.<key>\""
                            .into(),
                    ));
                }
                // ContactMerger records the competing value as a string
                // (apps/meteor/app/livechat/server/lib/contacts/ContactMerger.ts); an entry
                // without one has nothing for a human to choose.
                if !entry.get("value").is_some_and(Value::is_string) {
                    return Err((
                        format!(".conflictingFields[{j}].value"),
                        "must be a string: the competing value".into(),
                    ));
                }
            }
        }
        Some(_) => return Err((".conflictingFields".into(), "must be an array".into())),
    }
    Ok(())
}
