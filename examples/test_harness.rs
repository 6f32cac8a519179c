//! How to test your own bot code without a live Rocket.Chat: once against the fake server
//! (state and all), once against typed wiremock mocks (exact answers, exact requests).
//!
//! `tidy_contact` stands for your code; the tests at the bottom are what you would write.
//! Copy this file as a starting point.
//!
//! - `cargo test --example test_harness` runs the tests (plain `cargo test` runs them too);
//! - `cargo run --example test_harness` runs the bot once against the embedded fake server.
//!
//! Your own crate needs the `test-util` feature in its dev-dependencies:
//! `rocketchat-omnichannel = { version = "…", features = ["test-util"] }`.

use rocketchat_omnichannel::models::ConflictField;
use rocketchat_omnichannel::{Client, Error, ResolveConflictsError};

/// What the bot did with one contact.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Conflicts were resolved; the number of entries there were.
    Resolved(usize),
    /// Nothing was left to resolve.
    NothingToDo,
}

/// The user's bot: keep the current name, take the newest value of every custom field, and
/// drop whatever else competes.
async fn tidy_contact(client: &Client, id: &str) -> Result<Outcome, Error> {
    let contact = client.get_contact(id).await?;
    if !contact.has_conflicts() {
        return Ok(Outcome::NothingToDo);
    }
    let mut request = client.resolve_contact_conflicts(id).wipe_conflicts(true);
    for conflict in &contact.conflicting_fields {
        if let ConflictField::CustomField(key) = &conflict.field {
            request = request.custom_field(key.clone(), conflict.value.clone());
        }
    }
    match request.await {
        Ok(_) => Ok(Outcome::Resolved(contact.conflicting_fields.len())),
        // Someone else resolved it in between: fine.
        Err(ResolveConflictsError::NoConflicts { .. }) => Ok(Outcome::NothingToDo),
        Err(other) => Err(other.into()),
    }
}

/// Runs the bot once against the embedded fake server.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use rocketchat_omnichannel::testing::{FakeRocketChat, Visitor};

    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("bot", "pw");
    let contact = fake.add_contact_named("Jane Doe");
    fake.merge_visitor(&contact, Visitor::new().custom_field("plan", "basic"));
    fake.merge_visitor(&contact, Visitor::new().custom_field("plan", "premium"));
    let client = fake.client_for(&agent)?;
    println!("first run: {:?}", tidy_contact(&client, &contact).await?);
    println!("second run: {:?}", tidy_contact(&client, &contact).await?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use rocketchat_omnichannel::models::ConflictField;
    use rocketchat_omnichannel::testing::{FakeRocketChat, Fault, Visitor, mocks};
    use rocketchat_omnichannel::{Client, Credentials};

    use crate::{Outcome, tidy_contact};

    #[tokio::test]
    async fn against_the_fake_server() {
        let fake = FakeRocketChat::start().await;
        let agent = fake.add_agent("bot", "pw");
        let contact = fake.add_contact_named("Jane Doe");
        fake.merge_visitor(&contact, Visitor::new().custom_field("plan", "basic"));
        fake.merge_visitor(
            &contact,
            Visitor::new()
                .name("J. Doe")
                .custom_field("plan", "premium"),
        );
        let client = fake.client_for(&agent).unwrap();

        assert_eq!(
            tidy_contact(&client, &contact).await.unwrap(),
            Outcome::Resolved(2)
        );
        let stored = fake.contact(&contact).unwrap();
        assert_eq!(
            stored.name.as_deref(),
            Some("Jane Doe"),
            "kept the current name"
        );
        assert_eq!(
            stored.custom_fields["plan"], "premium",
            "took the newest plan"
        );
        assert!(stored.conflicting_fields.is_empty());
        // Running again is harmless.
        assert_eq!(
            tidy_contact(&client, &contact).await.unwrap(),
            Outcome::NothingToDo
        );

        // And the bot reports a broken proxy instead of crashing.
        fake.inject_faults(1, Fault::html(502));
        let error = tidy_contact(&client, &contact).await.unwrap_err();
        assert_eq!(error.status().unwrap().as_u16(), 502);
    }

    #[tokio::test]
    async fn against_typed_mocks() {
        let server = wiremock::MockServer::start().await;
        let mut contact = rocketchat_omnichannel::Contact::new("c1");
        contact.conflicting_fields = vec![rocketchat_omnichannel::models::ConflictingField::new(
            ConflictField::CustomField("plan".into()),
            "premium",
        )];
        mocks::get_contact()
            .for_contact("c1")
            .respond_with_contact(&contact)
            .mount(&server)
            .await;
        // The resolve races with another agent: the server says there is nothing left.
        mocks::resolve_conflicts()
            .for_contact("c1")
            .respond_with_no_conflicts()
            .expect(1)
            .mount(&server)
            .await;
        let client = Client::builder(server.uri())
            .credentials(Credentials::token("u", "t"))
            .build()
            .unwrap();
        assert_eq!(
            tidy_contact(&client, "c1").await.unwrap(),
            Outcome::NothingToDo
        );

        // What exactly did the bot send?
        let requests = server.received_requests().await.unwrap();
        let sent: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"contactId": "c1", "customFields": {"plan": "premium"}, "wipeConflicts": true})
        );
    }

    #[tokio::test]
    async fn a_rate_limited_bot_learns_when_to_come_back() {
        let server = wiremock::MockServer::start().await;
        let reset = SystemTime::now() + Duration::from_secs(42);
        mocks::get_contact()
            .respond_with_rate_limit(reset)
            .mount(&server)
            .await;
        let client = Client::builder(server.uri())
            .credentials(Credentials::token("u", "t"))
            .build()
            .unwrap();
        let error = tidy_contact(&client, "c1").await.unwrap_err();
        assert_eq!(error.status().unwrap().as_u16(), 429);
        let retry_at = error.api_error().unwrap().retry_at().unwrap();
        let millis = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_millis()
        };
        assert_eq!(millis(retry_at), millis(reset));
    }
}
