//! The stable JSON and text of outcomes, summaries and watch events: what
//! `rocketchat-contacts --output json` prints and what a program gets from `serde_json`.

use futures_util::StreamExt;
use rocketchat_omnichannel::models::Contact;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, Visitor};
use rocketchat_omnichannel::workflow::{Outcome, Policy, Summary, WatchEvent};
use rocketchat_omnichannel::{Client, Credentials};
use serde_json::{Value, json};

async fn demo() -> (FakeRocketChat, Client) {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = Client::builder(fake.uri())
        .credentials(Credentials::token(
            DemoData::AGENT_ID,
            DemoData::AGENT_TOKEN,
        ))
        .build()
        .unwrap();
    (fake, client)
}

#[tokio::test]
async fn a_resolved_outcome_carries_the_plan_and_the_server_contact() {
    let (fake, client) = demo().await;
    let outcomes: Vec<Outcome> = client
        .resolve_all(Policy::take_incoming())
        .into_stream()
        .collect()
        .await;
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    for outcome in &outcomes {
        let json = serde_json::to_value(outcome).unwrap();
        let id = outcome.contact_id().unwrap();
        assert_eq!(json["outcome"], "resolved", "{json}");
        assert_eq!(json["contactId"], id.as_str());
        assert_eq!(json["wipeConflicts"], false);
        assert_eq!(json["leftForPerson"], json!([]));
        assert!(json["set"].is_object(), "{json}");
        // The contact is the server's document: `_id`, camelCase keys, and it reads back as
        // the contact the fake holds now.
        assert_eq!(json["contact"]["_id"], id.as_str());
        let back: Contact = serde_json::from_value(json["contact"].clone()).unwrap();
        assert_eq!(Some(back), fake.contact(id));
    }
    let jane = outcomes
        .iter()
        .find(|o| o.contact_id().unwrap() == DemoData::CONTACT_ID)
        .unwrap();
    let json = serde_json::to_value(jane).unwrap();
    assert_eq!(json["set"]["name"], "Jane D.", "{json}");
    assert_eq!(
        jane.to_string(),
        format!(
            "resolved {}: set name=Jane D., manager={}, customFields.cpf=123.456.789-99",
            DemoData::CONTACT_ID,
            json["set"]["manager"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn a_failure_names_its_status_and_error_code() {
    let (fake, client) = demo().await;
    let id = fake.add_contact_named("Zed");
    let mut zed = fake.contact_json(&id).unwrap();
    zed.insert("contactManager".into(), json!(DemoData::AGENT_ID));
    fake.add_contact_json(zed);
    // A user who is not an agent: the merger keeps only managers that exist as users.
    fake.add_user(rocketchat_omnichannel::testing::FakeUser::new("plain").id("not-an-agent"));
    fake.merge_visitor(&id, Visitor::new().contact_manager("not-an-agent"));
    let outcomes: Vec<Outcome> = client
        .resolve_all(Policy::take_incoming())
        .into_stream()
        .collect()
        .await;
    let failed = outcomes
        .iter()
        .find(|o| matches!(o, Outcome::Failed { .. }))
        .unwrap_or_else(|| panic!("{outcomes:?}"));
    let json = serde_json::to_value(failed).unwrap();
    assert_eq!(json["outcome"], "failed");
    assert_eq!(json["contactId"], id.as_str());
    assert_eq!(json["status"], 400, "{json}");
    assert_eq!(json["code"], "error-contact-manager-not-found", "{json}");
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("the contact manager must be the user id of a livechat agent"),
        "{json}"
    );
    assert!(json.get("set").is_none() && json.get("contact").is_none());
}

#[tokio::test]
async fn debug_shows_ids_and_counts_not_whole_contacts() {
    let (fake, client) = demo().await;
    // A contact with many channels and custom fields: its Debug used to be kilobytes.
    let id = DemoData::CONTACT_ID.into();
    let mut doc = fake.contact_json(&id).unwrap();
    let channels: Vec<Value> = (0..50)
        .map(|i| json!({"name": format!("widget-{i}"), "visitor": {"visitorId": format!("v{i}"), "source": {"type": "widget"}}, "blocked": false, "verified": false}))
        .collect();
    doc.insert("channels".into(), Value::Array(channels));
    fake.add_contact_json(doc);
    let outcomes: Vec<Outcome> = client
        .resolve_all(Policy::take_incoming())
        .into_stream()
        .collect()
        .await;
    let jane = outcomes
        .iter()
        .find(|o| o.contact_id() == Some(&id))
        .unwrap();
    let debug = format!("{jane:?}");
    assert!(debug.len() < 200, "{debug}");
    assert!(!debug.contains("widget-"), "{debug}");
    assert!(debug.contains(DemoData::CONTACT_ID), "{debug}");
    assert!(debug.contains("changes: 3"), "{debug}");
    // The JSON still carries the whole contact.
    let json = serde_json::to_value(jane).unwrap();
    assert_eq!(json["contact"]["channels"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn summary_json_and_line_match_the_run() {
    let (_fake, client) = demo().await;
    let mut stream = client.resolve_all(Policy::keep_current()).into_stream();
    while stream.next().await.is_some() {}
    let summary = stream.summary();
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(
        json,
        json!({
            "seen": 3, "resolved": 3, "partlyResolved": 0, "leftForPerson": 0, "planned": 0,
            "nothingToDo": 0, "stale": 0, "gone": 0, "failed": 0, "stopped": 0, "leftConflicted": 0,
            "waitingForPerson": 0, "rounds": 2, "rateLimited": 0, "complete": true, "halted": null
        })
    );
    assert_eq!(summary.to_string(), "3 seen: 3 resolved; 0 left conflicted");
}

#[test]
fn an_incomplete_summary_prints_no_unmeasured_figure() {
    let summary = Summary::default();
    assert!(!summary.complete);
    let json = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["leftConflicted"], Value::Null);
    let line = summary.to_string();
    assert!(
        line.ends_with("; left conflicted: unknown (final check incomplete)"),
        "{line}"
    );
}

#[tokio::test]
async fn watch_events_serialise_as_outcomes_and_passes() {
    let (_fake, client) = demo().await;
    let events: Vec<WatchEvent> = client
        .resolve_all(Policy::keep_current())
        .watch(std::time::Duration::from_millis(10))
        .passes(2)
        .into_stream()
        .collect()
        .await;
    let lines: Vec<Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let outcomes = lines.iter().filter(|l| l.get("outcome").is_some()).count();
    let passes: Vec<&Value> = lines.iter().filter(|l| l.get("pass").is_some()).collect();
    assert_eq!(outcomes, 3, "{lines:?}");
    assert_eq!(passes.len(), 2, "{lines:?}");
    assert_eq!(passes[0]["pass"], 1);
    assert_eq!(passes[0]["summary"]["resolved"], 3);
    assert_eq!(passes[1]["summary"]["seen"], 0);
    // Which kind of pass ran, and when the next full one is due.
    assert_eq!(passes[0]["kind"], "full");
    assert_eq!(passes[0]["reason"], "first");
    assert_eq!(passes[1]["kind"], "changes");
    assert!(passes[1].get("reason").is_none(), "{:?}", passes[1]);
    let next = passes[1]["nextFullPassInSeconds"].as_f64().unwrap();
    assert!(next > 3.0 * 3600.0 - 60.0 && next <= 3.0 * 3600.0, "{next}");
}
