//! Permissions as a workspace sets them (issue 38 #3, #4): a seed gives roles to permissions
//! in Rocket.Chat's own shape, a 403 names the permission the route needs (Rocket.Chat's
//! body does not), and a watcher refused for good sends one probe per back-off.

use std::time::Duration;

use futures_util::StreamExt;
use rocketchat_omnichannel::testing::FakeRocketChat;
use rocketchat_omnichannel::workflow::{Outcome, Policy, WatchEvent};
use rocketchat_omnichannel::{Client, Credentials, ResolveConflictsError};

/// Agents may read contacts but not update them; `manager1` may do both.
pub(crate) const READ_ONLY_AGENTS: &str = r#"{
  "users": [
    {"_id": "agent1", "username": "ana.agent", "name": "Ana Agent", "password": "pw",
     "roles": ["user", "livechat-agent"]},
    {"_id": "manager1", "username": "max.manager", "name": "Max", "password": "pw",
     "roles": ["user", "livechat-manager"]}
  ],
  "personalAccessTokens": [{"userId": "agent1", "token": "pat-agent"},
                           {"userId": "manager1", "token": "pat-manager"}],
  "permissions": [{"_id": "update-livechat-contact", "roles": ["admin", "livechat-manager"]}],
  "contacts": [
    {"_id": "c1", "name": "Jane", "unknown": false, "contactManager": "agent1",
     "conflictingFields": [{"field": "name", "value": "J."}]},
    {"_id": "c2", "name": "John", "unknown": false,
     "conflictingFields": [{"field": "name", "value": "Jon"}]},
    {"_id": "c3", "name": "Joan", "unknown": false,
     "conflictingFields": [{"field": "name", "value": "Jo"}]},
    {"_id": "c4", "name": "Jim", "unknown": false,
     "conflictingFields": [{"field": "name", "value": "Jimmy"}]},
    {"_id": "c5", "name": "Jill", "unknown": false,
     "conflictingFields": [{"field": "name", "value": "Jil"}]},
    {"_id": "c6", "name": "Jack", "unknown": false,
     "conflictingFields": [{"field": "name", "value": "Jak"}]}
  ]
}"#;

pub(crate) async fn read_only_agents() -> FakeRocketChat {
    FakeRocketChat::builder()
        .seed_json(READ_ONLY_AGENTS)
        .unwrap()
        .start()
        .await
        .unwrap()
}

fn as_user(fake: &FakeRocketChat, id: &str, token: &str) -> Client {
    Client::builder(fake.uri())
        .credentials(Credentials::token(id, token))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_seed_can_take_a_permission_from_a_role_and_the_403_names_it() {
    let fake = read_only_agents().await;
    let agent = as_user(&fake, "agent1", "pat-agent");
    // Reading is still allowed.
    agent.get_contact("c1").await.unwrap();
    let error = agent
        .resolve_contact_conflicts("c1")
        .name("Jane")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ResolveConflictsError::Forbidden { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.response().and_then(|r| r.permission()),
        Some("update-livechat-contact")
    );
    let text = error.to_string();
    assert!(
        text.starts_with(
            "permission denied: the route needs `update-livechat-contact`, which none of the \
             user's roles holds; server answered 403"
        ),
        "{text}"
    );
    // The server's body itself does not name it.
    let body = error.response().unwrap().body_text().into_owned();
    assert!(!body.contains("update-livechat-contact"), "{body}");
    let error = agent.update_contact("c1").name("Jane").await.unwrap_err();
    assert!(
        error.to_string().contains("`update-livechat-contact`"),
        "{error}"
    );

    // A role the seed kept may still update.
    let manager = as_user(&fake, "manager1", "pat-manager");
    manager
        .resolve_contact_conflicts("c1")
        .name("Jane")
        .await
        .unwrap();

    let error = FakeRocketChat::builder()
        .seed_json(r#"{"permissions": [{"_id": " ", "roles": []}]}"#)
        .unwrap_err();
    assert_eq!(error.path(), "permissions[0]._id");
}

#[tokio::test]
async fn a_watcher_refused_for_good_sends_one_probe_per_back_off() {
    let fake = read_only_agents().await;
    let agent = as_user(&fake, "agent1", "pat-agent");
    let events: Vec<WatchEvent> = agent
        .resolve_all(Policy::keep_current())
        .watch(Duration::from_millis(20))
        .passes(4)
        .into_stream()
        .collect()
        .await;
    let mut pass_calls = Vec::new();
    let mut pauses = Vec::new();
    let mut calls = 0;
    for event in &events {
        match event {
            WatchEvent::Outcome(Outcome::Failed { error, .. }) => {
                assert!(
                    matches!(error, ResolveConflictsError::Forbidden { .. }),
                    "{error:?}"
                );
                calls += 1;
            }
            WatchEvent::PassFinished {
                summary, next_pass, ..
            } => {
                assert!(
                    summary
                        .halted
                        .as_deref()
                        .is_some_and(|why| why.contains("update-livechat-contact")),
                    "{summary:?}"
                );
                pass_calls.push(std::mem::take(&mut calls));
                pauses.extend(*next_pass);
            }
            WatchEvent::Outcome(_) => {}
            other => panic!("{other:?}"),
        }
    }
    let resolves = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.conflicts"))
        .count();
    assert_eq!(resolves, pass_calls.iter().sum::<usize>(), "{pass_calls:?}");
    assert!(pass_calls[0] <= 4, "{pass_calls:?}");
    assert!(
        pass_calls[1..].iter().all(|&n| n == 1),
        "one probe per back-off: {pass_calls:?}"
    );
    assert!(
        pauses.windows(2).all(|w| w[1] > w[0]),
        "the pause grows: {pauses:?}"
    );
}
