//! The public [`Visitor`] type: what a widget visitor brings when it is merged into a
//! contact (the merge itself is in `livechat/`).

use serde_json::{Map, Value};

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

    /// A custom field sent with `overwrite: false` (`livechat/custom.field`): set when the
    /// contact has none, else appended as a `customFields.<key>` conflict entry, even when
    /// the value is the same (Rocket.Chat's `updateContactsCustomFields` does not compare).
    pub fn custom_field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.custom_fields.insert(key.to_owned(), value.into());
        self
    }
}
