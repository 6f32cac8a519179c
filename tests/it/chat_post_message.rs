//! `chat.postMessage`: the typed call against recorded answers, and the fake playing the
//! route as `chat.ts` and `processWebhookMessage.ts` do.

use rocketchat_omnichannel::chat::PostMessageError;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{client, fixture};

async fn answering(status: u16, file: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/chat.postMessage"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(
            fixture(&format!("chat.postMessage/{file}")),
            "application/json",
        ))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_channel_name_goes_as_channel_and_an_id_as_room_id() {
    let server = MockServer::start().await;
    for body in [
        serde_json::json!({"channel": "#general", "text": "hi"}),
        serde_json::json!({"roomId": "GENERAL", "text": "hi"}),
    ] {
        Mock::given(method("POST"))
            .and(path("/api/v1/chat.postMessage"))
            .and(body_json(body))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture("chat.postMessage/success.json"), "application/json"),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server.uri());
    let posted = client.post_message("#general").text("hi").await.unwrap();
    assert_eq!(
        (posted.id.as_str(), posted.room_id.as_str()),
        ("Wm4rXyLnTd5jk8H2q", "GENERAL")
    );
    client.post_message("GENERAL").text("hi").await.unwrap();
}

#[tokio::test]
async fn errors_are_typed() {
    let error = client(&answering(400, "invalid_channel.json").await.uri())
        .post_message("#nope")
        .text("hi")
        .await
        .unwrap_err();
    assert!(
        matches!(error, PostMessageError::RoomNotFound { .. }),
        "{error:?}"
    );
    let error = client(&answering(400, "not_allowed.json").await.uri())
        .post_message("private")
        .text("hi")
        .await
        .unwrap_err();
    assert!(
        matches!(error, PostMessageError::NotAllowed { .. }),
        "{error:?}"
    );
    // Nothing to send is refused before sending.
    let error = client("http://127.0.0.1:9")
        .post_message("GENERAL")
        .text("  ")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("must have text"), "{error}");
}

#[tokio::test]
async fn the_fake_plays_the_route() {
    let fake = FakeRocketChat::builder()
        .demo_data()
        .seed_json(
            r#"{"users": [{"_id": "lead1", "username": "teamlead", "roles": ["user"]}],
                "rooms": [{"_id": "ops", "name": "ops", "t": "p", "members": ["lead1"]}]}"#,
        )
        .unwrap()
        .start()
        .await
        .unwrap();
    let agent = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    let posted = agent.post_message("#general").text("one").await.unwrap();
    assert_eq!(posted.room_id, "GENERAL");
    agent.post_message("GENERAL").text("two").await.unwrap();
    // A direct message by username is created on demand.
    let direct = agent.post_message("@teamlead").text("three").await.unwrap();
    assert_ne!(direct.room_id, "GENERAL");
    let error = agent.post_message("#nope").text("x").await.unwrap_err();
    assert!(
        matches!(error, PostMessageError::RoomNotFound { .. }),
        "{error:?}"
    );
    let api = error.response().unwrap();
    assert_eq!(
        api.body_text(),
        std::str::from_utf8(&fixture("chat.postMessage/invalid_channel.json"))
            .unwrap()
            .trim()
    );
    let error = agent.post_message("ops").text("x").await.unwrap_err();
    assert!(
        matches!(error, PostMessageError::NotAllowed { .. }),
        "{error:?}"
    );
    let lead = fake.client_for(&"lead1".into()).unwrap();
    lead.post_message("#ops")
        .text("for the team")
        .await
        .unwrap();
    let texts: Vec<_> = fake
        .messages()
        .iter()
        .map(|m| m["msg"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["one", "two", "three", "for the team"]);

    // Both targets, or neither: the schema's `oneOf`.
    let raw = crate::common::fake_http::Raw::start(fake).await;
    let (status, body) = raw
        .post_as(
            &raw.agent,
            "chat.postMessage",
            serde_json::json!({"roomId": "GENERAL", "channel": "#general", "text": "x"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errorType"], "invalid-params", "{body}");
}
