//! Request validation, route × rule, against what the real validators say.
//!
//! `tests/fixtures/schema/ajv-cases.json` was produced by `generate.mjs` (next to it) with the
//! published `@rocket.chat/rest-typings` 8.8.1 and AJV 8 configured as Rocket.Chat configures
//! them; `rest-typings-8.8.1.json` holds the schemas it read. Node is needed only to
//! regenerate them, never to run these tests.

use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser};
use serde_json::{Map, Value, json};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/schema/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_fake_schema_source_is_the_published_one() {
    let document: Value = serde_json::from_str(include_str!(
        "../../src/testing/fake/schemas-by-release.json"
    ))
    .unwrap();
    let mut ours: Map<String, Value> = document["releases"]["8.8.1"]["routes"]
        .as_object()
        .unwrap()
        .clone();
    // The fixture predates chat.postMessage.
    ours.remove("POST chat.postMessage");
    let published = fixture("rest-typings-8.8.1.json");
    let published = published.as_object().unwrap();
    assert_eq!(ours.len(), published.len());
    for (route, schema) in published {
        let entry = &ours[route];
        let ours = entry.get("body").or_else(|| entry.get("query")).unwrap();
        assert_eq!(ours, schema, "{route}");
        let source = if route.starts_with("GET ") {
            "query"
        } else {
            "body"
        };
        assert!(
            entry.get(source).is_some(),
            "{route} validates its {source}"
        );
    }
}

/// A query string with repeated keys for arrays, as a browser or client would send them.
fn query_string(input: &Map<String, Value>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in input {
        match value {
            Value::Array(items) => {
                for item in items {
                    query.append_pair(key, item.as_str().unwrap());
                }
            }
            Value::String(text) => {
                query.append_pair(key, text);
            }
            other => panic!("query values are strings, not {other}"),
        }
    }
    query.finish()
}

#[tokio::test]
async fn every_route_applies_every_rule_as_ajv_does() {
    let fake = FakeRocketChat::start().await;
    let admin = fake.add_user(FakeUser::new("root").role("admin").password("pw"));
    let token = fake.personal_access_token(&admin);
    let http = reqwest::Client::new();
    let cases = fixture("ajv-cases.json");
    let mut checked = 0;
    for case in cases.as_array().unwrap() {
        let (route, input, outcome) = (case[0].as_str().unwrap(), &case[2], &case[3]);
        let (method, path) = route.split_once(' ').unwrap();
        let url = format!("{}/api/v1/{path}", fake.uri());
        let request = if method == "GET" {
            http.get(format!(
                "{url}?{}",
                query_string(input.as_object().unwrap())
            ))
        } else {
            http.post(url)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(input).unwrap())
        };
        let response = request
            .header("X-User-Id", admin.as_str())
            .header("X-Auth-Token", token.auth_token().expose())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        let what = format!("{route} {input}");
        match outcome.get("error").and_then(Value::as_str) {
            Some(message) => {
                // `contacts.delete` is a new-style route: no suffix.
                let error = if path == "omnichannel/contacts.delete" {
                    message.to_owned()
                } else {
                    format!("{message} [invalid-params]")
                };
                assert_eq!(status, 400, "{what}");
                assert_eq!(
                    body,
                    json!({"success": false, "error": error, "errorType": "invalid-params"}),
                    "{what}"
                );
            }
            None => assert!(
                body.get("errorType").is_none(),
                "{what} passes validation, got {status} {body}"
            ),
        }
        checked += 1;
    }
    assert!(checked >= 50, "the table covers every route and rule");
}

#[tokio::test]
async fn the_permission_check_comes_before_validation() {
    // apps/meteor/server/api/ApiClass.ts (2e2355e7): permissionsMiddleware runs before the
    // action validates its query; older servers validated first.
    let fake = FakeRocketChat::start().await;
    let plain = fake.add_user(FakeUser::new("plain").password("pw"));
    let token = fake.personal_access_token(&plain);
    let answer = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/omnichannel/contacts.get?contactId=",
            fake.uri()
        ))
        .header("X-User-Id", plain.as_str())
        .header("X-Auth-Token", token.auth_token().expose())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(
        body["error"],
        "User does not have the permissions required for this action [error-unauthorized]"
    );
}
