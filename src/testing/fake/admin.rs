//! Direct changes to the fake's contacts, standing in for other clients (or an admin) that
//! write while a test runs: delete, rename, count what is still conflicted.

use serde_json::Value;

use super::FakeRocketChat;
use crate::models::ContactId;

impl FakeRocketChat {
    /// Deletes a contact outright, as if another client removed it. Returns whether it
    /// existed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let id = fake.add_contact_named("Jane");
    /// assert!(fake.remove_contact(&id));
    /// assert!(fake.contact(&id).is_none());
    /// # }
    /// ```
    pub fn remove_contact(&self, id: &ContactId) -> bool {
        self.state().contacts.remove(id.as_str())
    }

    /// Renames a contact without touching its conflicts, as another client's update would.
    /// Returns whether it existed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let id = fake.add_contact_named("Jane");
    /// assert!(fake.rename_contact(&id, "Janet"));
    /// assert_eq!(fake.contact(&id).unwrap().name.as_deref(), Some("Janet"));
    /// # }
    /// ```
    pub fn rename_contact(&self, id: &ContactId, name: &str) -> bool {
        let mut state = self.state();
        let Some(mut doc) = state.contacts.get(id.as_str()) else {
            return false;
        };
        doc.insert("name".into(), Value::from(name));
        state.contacts.put(id.as_str(), &doc);
        true
    }

    /// Ends every session opened by a login, as when Rocket.Chat's login tokens expire
    /// (`Accounts_LoginExpiration`, 90 days by default) or an admin logs everyone out;
    /// personal access tokens stay valid. Calls with an ended session get the 401 a real
    /// server sends for an unknown token. Returns how many sessions ended.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// fake.add_agent("bot", "pw");
    /// let client = fake.client_builder().build()?;
    /// client.login("bot", "pw").await?;
    /// assert_eq!(fake.expire_sessions(), 1);
    /// # Ok(()) }
    /// ```
    pub fn expire_sessions(&self) -> usize {
        self.state().expire_login_sessions()
    }

    /// The ids of the enabled contacts that still have conflict entries, in id order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// use rocketchat_omnichannel::testing::Visitor;
    /// let id = fake.add_contact_named("Jane");
    /// fake.merge_visitor(&id, Visitor::new().name("Janet"));
    /// assert_eq!(fake.conflicted_contacts(), [id]);
    /// # }
    /// ```
    pub fn conflicted_contacts(&self) -> Vec<ContactId> {
        self.state()
            .contacts
            .enabled_ids_where(|doc| {
                doc.get("conflictingFields")
                    .and_then(Value::as_array)
                    .is_some_and(|entries| !entries.is_empty())
            })
            .into_iter()
            .map(ContactId::from)
            .collect()
    }
}
