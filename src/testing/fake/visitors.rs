//! Visitors: the public [`Visitor`] type and the merge Rocket.Chat performs when a visitor is
//! linked to an existing contact.

use serde_json::{Map, Value, json};

/// A livechat visitor to merge into a contact with [`FakeRocketChat::merge_visitor`](super::FakeRocketChat::merge_visitor).
///
/// ```
/// use rocketchat_omnichannel::testing::Visitor;
/// let visitor = Visitor::new().name("Jane D.").phone("+5511999999999").custom_field("cpf", "000");
/// # let _ = visitor;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Visitor {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) contact_manager: Option<String>,
    pub(crate) custom_fields: Map<String, Value>,
}

impl Visitor {
    /// A visitor with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The name the visitor registered with.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// The visitor's email (appended to the contact's emails).
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.to_owned());
        self
    }

    /// The visitor's phone (appended to the contact's phones).
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(phone.to_owned());
        self
    }

    /// The agent (user id) who served the visitor; differs → a `manager` conflict. Takes
    /// the [`UserId`](crate::models::UserId) that [`FakeRocketChat::add_agent`](super::FakeRocketChat::add_agent)
    /// returns, or a plain `&str`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use rocketchat_omnichannel::testing::{FakeRocketChat, Visitor};
    /// let fake = FakeRocketChat::start().await;
    /// let agent = fake.add_agent("agent2", "pw");
    /// let contact = fake.add_contact_named("Jane Doe");
    /// fake.merge_visitor(&contact, Visitor::new().contact_manager(&agent));
    /// fake.merge_visitor(&contact, Visitor::new().contact_manager("someone-else"));
    /// # }
    /// ```
    pub fn contact_manager(mut self, user_id: impl AsRef<str>) -> Self {
        self.contact_manager = Some(user_id.as_ref().to_owned());
        self
    }

    /// A custom field sent with `overwrite: false`; differs → a `customFields.<key>` conflict.
    pub fn custom_field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.custom_fields.insert(key.to_owned(), value.into());
        self
    }
}

/// Links `visitor` to `contact` the way Rocket.Chat's merge does: emails, phones and the
/// channel are appended; differing name, manager and custom fields become conflict entries
/// on a known contact, or overwrite an unknown one. Returns the closed chat to add to the
/// contact's history.
pub(crate) fn merge(
    contact: &mut Map<String, Value>,
    visitor: Visitor,
    visitor_id: &str,
    now: &str,
) -> Value {
    let unknown = contact
        .get("unknown")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut conflicts: Vec<Value> = Vec::new();
    let mut decide =
        |contact: &mut Map<String, Value>, field: &str, key: &str, value: Value| match contact
            .get(key)
        {
            Some(current) if !current.is_null() && *current != value && !unknown => {
                conflicts.push(json!({"field": field, "value": value}));
            }
            _ => {
                contact.insert(key.to_owned(), value);
            }
        };
    if let Some(name) = visitor.name {
        decide(contact, "name", "name", json!(name));
    }
    if let Some(manager) = visitor.contact_manager {
        decide(contact, "manager", "contactManager", json!(manager));
    }
    if !visitor.custom_fields.is_empty() {
        let mut fields = match contact.remove("customFields") {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for (key, value) in visitor.custom_fields {
            match fields.get(&key) {
                Some(current) if !current.is_null() && *current != value && !unknown => {
                    conflicts.push(json!({"field": format!("customFields.{key}"), "value": value}));
                }
                _ => {
                    fields.insert(key, value);
                }
            }
        }
        contact.insert("customFields".into(), Value::Object(fields));
    }
    append_unique(
        contact,
        "emails",
        visitor.email.map(|a| json!({"address": a})),
    );
    append_unique(
        contact,
        "phones",
        visitor.phone.map(|p| json!({"phoneNumber": p})),
    );
    let room = format!("room-{visitor_id}");
    let channels = contact.entry("channels").or_insert_with(|| json!([]));
    if let Value::Array(channels) = channels {
        channels.push(json!({
            "name": "widget",
            "visitor": {"visitorId": visitor_id, "source": {"type": "widget"}},
            "blocked": false,
            "verified": false,
            "details": {"type": "widget"},
            "lastChat": {"_id": room, "ts": now},
        }));
    }
    if !conflicts.is_empty() {
        let entries = contact
            .entry("conflictingFields")
            .or_insert_with(|| json!([]));
        if !entries.is_array() {
            *entries = json!([]);
        }
        if let Value::Array(entries) = entries {
            entries.extend(conflicts);
        }
        contact.insert("hasConflicts".into(), json!(true));
    }
    contact.insert("lastChat".into(), json!({"_id": room, "ts": now}));
    contact.insert("_updatedAt".into(), json!(now));
    json!({
        "_id": room,
        "ts": now,
        "closedAt": now,
        "source": {"type": "widget"},
        "v": {"_id": visitor_id},
    })
}

fn append_unique(contact: &mut Map<String, Value>, key: &str, entry: Option<Value>) {
    let Some(entry) = entry else { return };
    let list = contact.entry(key).or_insert_with(|| json!([]));
    if let Value::Array(list) = list
        && !list.contains(&entry)
    {
        list.push(entry);
    }
}
