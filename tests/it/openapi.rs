//! The SDK and `openapi/contacts.conflicts.openapi.json` agree: every example decodes into the
//! SDK's types (errors into the variant the example names), and every body the builder can
//! produce, and every answer of the fake, validates against the document's schemas.

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::{Client, Credentials};
use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn spec() -> Value {
    serde_json::from_str(include_str!(
        "../../openapi/contacts.conflicts.openapi.json"
    ))
    .unwrap()
}

/// Follows `#/components/...` references.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(
                spec,
                spec.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {reference}")),
            )
        }
        None => schema,
    }
}

/// Validates `value` against the subset of OpenAPI 3.0 schemas the document uses; returns the
/// JSON path of the first violation.
fn validate(spec: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if value.is_null() {
        return if schema.get("nullable") == Some(&json!(true)) || schema.get("type").is_none() {
            Ok(())
        } else {
            Err(format!("{at}: null is not allowed"))
        };
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let kind = schema.get("type").and_then(Value::as_str);
    let ok = match kind {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("boolean") => value.is_boolean(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some(other) => return Err(format!("{at}: the validator does not know type {other}")),
    };
    if !ok {
        return Err(format!(
            "{at}: expected {}, got {value}",
            kind.unwrap_or_default()
        ));
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = required
                .as_str()
                .expect("`required` is an array of strings");
            if !object.contains_key(key) {
                return Err(format!("{at}: missing required `{key}`"));
            }
        }
        for (key, item) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(property) => validate(spec, property, item, &format!("{at}.{key}"))?,
                None if schema.get("additionalProperties") == Some(&json!(false)) => {
                    return Err(format!("{at}: unexpected property `{key}`"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            validate(spec, items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn operation<'a>(spec: &'a Value, path: &str, verb: &str) -> &'a Value {
    &spec["paths"][path][verb]
}

#[test]
fn the_document_fixes_the_published_defects() {
    let spec = spec();
    let text = serde_json::to_string(&spec).unwrap();
    assert!(!text.contains(r#""required":"true""#));
    assert!(
        !text.contains(r#":"false""#) && !text.contains(r#":"true""#),
        "booleans are booleans"
    );
    let request = &spec["components"]["schemas"]["ResolveConflictsRequest"];
    assert_eq!(request["required"], json!(["contactId"]));
    assert_eq!(request["additionalProperties"], json!(false));
    let responses =
        &operation(&spec, "/api/v1/omnichannel/contacts.conflicts", "post")["responses"];
    for status in ["200", "400", "401", "403", "429"] {
        assert!(responses.get(status).is_some(), "{status} documented");
    }
    assert!(
        responses["200"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap()
            .ends_with("ResolveConflictsResponse")
    );
    assert_eq!(
        spec["components"]["securitySchemes"]["AuthToken"]["in"],
        "header"
    );
}

#[test]
fn every_example_matches_its_schema() {
    let spec = spec();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            if let Some(body) = op.pointer("/requestBody/content/application~1json") {
                for (name, example) in body["examples"].as_object().unwrap() {
                    validate(&spec, &body["schema"], &example["value"], "$")
                        .unwrap_or_else(|e| panic!("{verb} {path} request {name}: {e}"));
                    checked += 1;
                }
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let response = resolve(&spec, response);
                let Some(content) = response.pointer("/content/application~1json") else {
                    continue;
                };
                for (name, example) in content["examples"].as_object().unwrap() {
                    validate(&spec, &content["schema"], &example["value"], "$")
                        .unwrap_or_else(|e| panic!("{verb} {path} {status} {name}: {e}"));
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 25, "{checked} examples");
}

#[test]
fn every_body_the_builder_can_produce_validates() {
    let spec = spec();
    let schema = &spec["components"]["schemas"]["ResolveConflictsRequest"];
    let client = Client::builder("https://chat.example.com").build().unwrap();
    let mut produced = 0;
    for mask in 0u32..64 {
        let mut request = client.resolve_contact_conflicts("68341efdd387e3d7509267fb");
        if mask & 1 != 0 {
            request = request.name("Jane Doe");
        }
        if mask & 2 != 0 {
            request = request.contact_manager("agent-id");
        }
        if mask & 4 != 0 {
            request = request.clear_contact_manager();
        }
        if mask & 8 != 0 {
            request = request
                .custom_field("cpf", "1")
                .custom_field("age", 42)
                .custom_field("tags", json!(["a"]));
        }
        if mask & 16 != 0 {
            request = request.custom_fields([("n", Value::Null)]);
        }
        if mask & 32 != 0 {
            request = request.wipe_conflicts(mask & 1 == 0);
        }
        let body: Value = serde_json::from_str(&request.to_json().unwrap()).unwrap();
        validate(&spec, schema, &body, "$").unwrap_or_else(|e| panic!("mask {mask}: {body}: {e}"));
        produced += 1;
    }
    assert_eq!(produced, 64);
}

async fn serve(status: u16, body: &Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/api/v1/"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// The name of an enum value's variant, from its `Debug` output.
fn variant(debug: String) -> String {
    debug.split([' ', '(', '{']).next().unwrap().to_owned()
}

#[tokio::test]
async fn every_resolve_example_decodes_into_the_named_variant() {
    let spec = spec();
    let responses =
        &operation(&spec, "/api/v1/omnichannel/contacts.conflicts", "post")["responses"];
    let mut checked = 0;
    for (status, response) in responses.as_object().unwrap() {
        let status: u16 = status.parse().unwrap();
        for (name, example) in response["content"]["application/json"]["examples"]
            .as_object()
            .unwrap()
        {
            let server = serve(status, &example["value"]).await;
            let client = Client::builder(server.uri())
                .credentials(Credentials::token("u", "t"))
                .build()
                .unwrap();
            let outcome = client
                .resolve_contact_conflicts("c1")
                .wipe_conflicts(true)
                .await;
            match (status, outcome) {
                (200, Ok(contact)) => assert_eq!(
                    contact.id,
                    example["value"]["result"]["_id"].as_str().unwrap()
                ),
                (200, Err(error)) => panic!("{name}: {error:?}"),
                (_, Ok(_)) => panic!("{name}: an error example decoded as success"),
                (_, Err(error)) => {
                    let expected = example["x-sdk-variant"].as_str().unwrap();
                    assert_eq!(
                        variant(format!("{error:#?}")),
                        expected,
                        "{status} {name}: {error:?}"
                    );
                    assert_eq!(error.status().unwrap().as_u16(), status);
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 14, "{checked}");
}

#[tokio::test]
async fn every_auth_example_decodes() {
    let spec = spec();
    let login = &operation(&spec, "/api/v1/login", "post")["responses"];
    for (status, response) in login.as_object().unwrap() {
        let status: u16 = status.parse().unwrap();
        for (name, example) in response["content"]["application/json"]["examples"]
            .as_object()
            .unwrap()
        {
            let server = serve(status, &example["value"]).await;
            let client = Client::builder(server.uri()).build().unwrap();
            match client.login("agent1", "pw").await {
                Ok(logged_in) => {
                    assert_eq!(status, 200, "{name}");
                    assert_eq!(
                        logged_in.id,
                        example["value"]["data"]["userId"].as_str().unwrap()
                    );
                }
                Err(error) => assert_eq!(
                    variant(format!("{error:#?}")),
                    example["x-sdk-variant"].as_str().unwrap(),
                    "{name}"
                ),
            }
        }
    }
    let me = &operation(&spec, "/api/v1/me", "get")["responses"]["200"]["content"]["application/json"]
        ["examples"]["me"]["value"];
    let server = serve(200, me).await;
    let client = Client::builder(server.uri())
        .credentials(Credentials::token("u", "t"))
        .build()
        .unwrap();
    assert_eq!(client.me().await.unwrap().id, me["_id"].as_str().unwrap());
}

#[tokio::test]
async fn the_fake_answers_match_the_document() {
    let spec = spec();
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let http = reqwest::Client::new();
    let responses =
        &operation(&spec, "/api/v1/omnichannel/contacts.conflicts", "post")["responses"];
    let calls = [
        (
            json!({"contactId": DemoData::CONTACT_ID, "name": "Jane"}),
            200,
        ),
        (json!({"contactId": DemoData::CONTACT_ID, "bogus": 1}), 400),
        (json!({"contactId": "missing"}), 400),
    ];
    for (body, status) in calls {
        let answer = http
            .post(format!(
                "{}/api/v1/omnichannel/contacts.conflicts",
                fake.uri()
            ))
            .header("x-user-id", DemoData::AGENT_ID)
            .header("x-auth-token", DemoData::AGENT_TOKEN)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), status);
        let value: Value = answer.json_body().await;
        let schema = &responses[status.to_string()]["content"]["application/json"]["schema"];
        validate(&spec, schema, &value, "$").unwrap_or_else(|e| panic!("{body}: {e}"));
    }
    // And every request example is accepted by the fake's validator.
    let body = operation(&spec, "/api/v1/omnichannel/contacts.conflicts", "post");
    for (name, example) in body["requestBody"]["content"]["application/json"]["examples"]
        .as_object()
        .unwrap()
    {
        let answer = http
            .post(format!(
                "{}/api/v1/omnichannel/contacts.conflicts",
                fake.uri()
            ))
            .header("x-user-id", DemoData::AGENT_ID)
            .header("x-auth-token", DemoData::AGENT_TOKEN)
            .header("content-type", "application/json")
            .body(example["value"].to_string())
            .send()
            .await
            .unwrap();
        let value: Value = answer.json_body().await;
        assert_ne!(
            value.get("errorType"),
            Some(&json!("invalid-params")),
            "{name}: {value}"
        );
    }
}

trait JsonBody {
    async fn json_body(self) -> Value;
}

impl JsonBody for reqwest::Response {
    async fn json_body(self) -> Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}

#[test]
fn the_validator_rejects_what_the_published_page_shows() {
    let spec = spec();
    let request = &spec["components"]["schemas"]["ResolveConflictsRequest"];
    let published = json!({"contactId": "x", "name": "John Doe", "contactManager": "test.agent", "wipeConflicts": "false"});
    assert!(
        validate(&spec, request, &published, "$")
            .unwrap_err()
            .contains("wipeConflicts")
    );
    assert!(validate(&spec, request, &json!({"name": "x"}), "$").is_err());
    assert!(validate(&spec, request, &json!({"contactId": "x", "extra": 1}), "$").is_err());
    assert!(
        validate(
            &spec,
            request,
            &json!({"contactId": "x", "customFields": null}),
            "$"
        )
        .is_err()
    );
    let response = &spec["components"]["schemas"]["ResolveConflictsResponse"];
    let typings_shape = json!({"contact": {"_id": "x"}, "success": true});
    assert!(validate(&spec, response, &typings_shape, "$").is_err());
}

/// The document's request schema without what only documents (descriptions, examples) or
/// restates a default (`additionalProperties: true`).
fn validation_only(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, value)| {
                    let documentation =
                        matches!(key.as_str(), "description" | "example" | "examples");
                    let default =
                        key.as_str() == "additionalProperties" && **value == Value::Bool(true);
                    !(documentation || default)
                })
                .map(|(key, value)| (key.clone(), validation_only(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn the_fake_validates_conflicts_with_the_documented_schema() {
    let spec = spec();
    let documented = &spec["components"]["schemas"]["ResolveConflictsRequest"];
    let fake: Value = serde_json::from_str(include_str!(
        "../../src/testing/fake/schemas-by-release.json"
    ))
    .unwrap();
    let validated =
        &fake["releases"]["8.8.1"]["routes"]["POST omnichannel/contacts.conflicts"]["body"];
    assert_eq!(&validation_only(documented), validated);
}
