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
