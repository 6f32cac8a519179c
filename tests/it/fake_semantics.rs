//! Raw-HTTP checks of the fake's Rocket.Chat semantics: search, version profiles,
//! contacts.delete, `GET /api/info` and custom-field definitions. Status and exact body.

use rocketchat_omnichannel::models::Contact;
use rocketchat_omnichannel::testing::{CustomField, FakeRocketChat, FakeUser};
use serde_json::{Map, Value, json};

use crate::common::fake_http::Raw;

fn doc(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn names(page: &Value) -> Vec<&str> {
    page["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("<none>"))
        .collect()
}

#[tokio::test]
async fn search_lists_only_an_exact_unknown_match() {
    let raw = Raw::new().await;
    raw.fake
        .add_contact_json(doc(json!({"_id": "no-key", "name": "No Key"})));
    raw.fake.add_contact_json(doc(
        json!({"_id": "known", "name": "Known", "unknown": false}),
    ));
    raw.fake
        .add_contact_json(doc(json!({"_id": "auto", "name": "Auto", "unknown": true})));
    // The SDK model with `unknown` unset is filled in as createContact does.
    let mut model = Contact::new("");
    model.name = Some("From Model".into());
    raw.fake.add_contact(&model);
    raw.fake.add_contact_named("Named");

    let (status, page) = raw.get("omnichannel/contacts.search").await;
    assert_eq!(status, 200);
    assert_eq!(names(&page), ["From Model", "Known", "Named"]);
    assert_eq!(page["total"], 3);
    let (_, unknown) = raw.get("omnichannel/contacts.search?unknown=true").await;
    assert_eq!(names(&unknown), ["Auto"]);
}

#[tokio::test]
async fn search_count_is_the_requested_page_size() {
    let raw = Raw::new().await;
    for i in 0..3 {
        raw.fake.add_contact_named(&format!("C{i}"));
    }
    for (query, count, returned) in [
        ("", 50, 3),
        ("?count=2", 2, 2),
        ("?count=500", 100, 3),
        ("?count=0", 50, 3),
        ("?count=10&offset=2", 10, 1),
    ] {
        let (status, page) = raw
            .get(&format!("omnichannel/contacts.search{query}"))
            .await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(page["count"], count, "{query}");
        assert_eq!(
            page["contacts"].as_array().unwrap().len(),
            returned,
            "{query}"
        );
        assert_eq!(page["total"], 3, "{query}");
    }
}

#[tokio::test]
async fn search_orders_names_as_mongodb_does() {
    let raw = Raw::new().await;
    for name in ["bob", "Zed", "alice", "Ann"] {
        raw.fake.add_contact_named(name);
    }
    let (_, page) = raw.get("omnichannel/contacts.search").await;
    assert_eq!(
        names(&page),
        ["Ann", "Zed", "alice", "bob"],
        "byte order, no collation"
    );
    let (_, page) = raw
        .get("omnichannel/contacts.search?sort=%7B%22name%22%3A-1%7D&count=2")
        .await;
    assert_eq!(names(&page), ["bob", "alice"]);
    let (_, page) = raw.get("omnichannel/contacts.search?searchText=AN").await;
    assert_eq!(names(&page), ["Ann"]);
}

#[tokio::test]
async fn search_expands_the_manager_on_new_releases_only() {
    for (version, expected) in [
        (
            "8.8.0",
            json!([{"_id": "agent1", "name": "Agent One", "username": "agent1"}, null]),
        ),
        ("7.6.0", json!(["agent1", "ghost"])),
    ] {
        let raw = Raw::version(version).await;
        raw.fake.add_contact_json(doc(
            json!({"_id": "a", "name": "A", "unknown": false, "contactManager": "agent1"}),
        ));
        raw.fake.add_contact_json(doc(
            json!({"_id": "b", "name": "B", "unknown": false, "contactManager": "ghost"}),
        ));
        let (_, page) = raw.get("omnichannel/contacts.search").await;
        let managers: Vec<Value> = page["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.get("contactManager").cloned().unwrap_or(Value::Null))
            .collect();
        assert_eq!(Value::Array(managers), expected, "{version}");
        if version == "8.8.0" {
            assert!(
                page["contacts"][1].get("contactManager").is_none(),
                "the key is left out for a user that does not exist"
            );
        }
        // contacts.get keeps the stored id on every release.
        let (_, got) = raw.get("omnichannel/contacts.get?contactId=a").await;
        assert_eq!(got["contact"]["contactManager"], "agent1");
    }
}

#[tokio::test]
async fn routes_newer_than_the_release_are_missing() {
    let raw = Raw::version("7.6.0").await;
    let id = raw.fake.add_contact_named("Jane").to_string();
    let body = json!({"contactId": id, "wipeConflicts": true});
    let (status, answer) = raw
        .post_as(&raw.admin, "omnichannel/contacts.conflicts", body)
        .await;
    // Hono's plain-text `404 Not Found`, not JSON (tests/fake_round3.rs pins the bytes).
    assert_eq!((status, answer), (404, Value::Null));
    let (status, _) = raw
        .post_as(
            &raw.admin,
            "omnichannel/contacts.delete",
            json!({"contactId": id}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = raw
        .get(&format!(
            "omnichannel/contacts.checkExistence?contactId={id}"
        ))
        .await;
    assert_eq!(status, 200, "checkExistence exists since 7.2.0");
    let raw = Raw::version("7.1.0").await;
    let (status, _) = raw
        .get("omnichannel/contacts.checkExistence?contactId=x")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_empty_manager_clears_only_after_the_fix() {
    for (version, cleared) in [("8.0.0", false), ("8.1.0", true), ("8.8.0", true)] {
        let raw = Raw::version(version).await;
        raw.fake.add_contact_json(doc(
            json!({"_id": "c", "name": "C", "unknown": false, "contactManager": "agent1"}),
        ));
        let (status, answer) = raw
            .post_as(
                &raw.agent,
                "omnichannel/contacts.update",
                json!({"contactId": "c", "contactManager": ""}),
            )
            .await;
        assert_eq!(status, 200, "{version}");
        assert_eq!(
            answer["contact"].get("contactManager").is_none(),
            cleared,
            "{version}"
        );
    }
}

#[tokio::test]
async fn auth_bodies_follow_the_release() {
    let old = Raw::new().await;
    let (status, body) = old.send("GET", "/api/v1/me", None, None).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"success": false, "status": "error", "error": "You must be logged in to do this.", "message": "You must be logged in to do this."})
    );
    let plain = old.fake.add_user(FakeUser::new("plain").id("plain"));
    let plain = (
        plain.to_string(),
        old.fake
            .personal_access_token(&plain)
            .auth_token()
            .expose()
            .to_owned(),
    );
    let (status, body) = old
        .send(
            "GET",
            "/api/v1/omnichannel/contacts.get?contactId=x",
            None,
            Some(&plain),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            403,
            json!({"success": false, "error": "User does not have the permissions required for this action [error-unauthorized]"})
        )
    );

    let new = Raw::version("9.0.0").await;
    let (status, body) = new.send("GET", "/api/v1/me", None, None).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"success": false, "error": "You must be logged in to do this."})
        )
    );
    let (status, body) = new
        .post_as(
            &new.agent,
            "omnichannel/contacts.delete",
            json!({"contactId": "x"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            403,
            // permissions.ts (a1167b28): the same text with breaking changes applied.
            json!({"success": false, "error": "User does not have the permissions required for this action [error-unauthorized]"})
        )
    );
}

#[tokio::test]
async fn delete_erases_the_contact_for_every_route() {
    let raw = Raw::new().await;
    let id = raw.fake.add_contact_named("Jane Doe").to_string();
    let (status, body) = raw
        .post_as(
            &raw.agent,
            "omnichannel/contacts.delete",
            json!({"contactId": id}),
        )
        .await;
    assert_eq!(status, 403, "agents lack delete-livechat-contact: {body}");
    let (status, body) = raw
        .post_as(
            &raw.manager,
            "omnichannel/contacts.delete",
            json!({"contactId": id}),
        )
        .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let (status, body) = raw
        .post_as(
            &raw.manager,
            "omnichannel/contacts.delete",
            json!({"contactId": id}),
        )
        .await;
    // The newest route answers 400 (404 before 8.8 in the fake; see fake_profiles).
    assert_eq!(
        (status, body),
        (
            400,
            json!({"success": false, "error": "error-contact-not-found"})
        )
    );
    let (status, _) = raw
        .get(&format!("omnichannel/contacts.get?contactId={id}"))
        .await;
    assert_eq!(status, 404);
    let (_, page) = raw.get("omnichannel/contacts.search").await;
    assert_eq!(page["total"], 0);
    let stored = raw.fake.contact_json(&id.as_str().into()).unwrap();
    assert_eq!(stored["enabled"], false);
    assert!(stored.get("name").is_none() && stored.get("emails").is_none());
    let (status, body) = raw
        .post_as(&raw.admin, "omnichannel/contacts.delete", json!({}))
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"success": false, "error": "must have required property 'contactId'", "errorType": "invalid-params"})
        )
    );
}

#[tokio::test]
async fn info_shows_the_full_version_to_admins_only() {
    let raw = Raw::version("7.7.3").await;
    let (status, anonymous) = raw.send("GET", "/api/info", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(anonymous["version"], "7.7");
    assert!(anonymous.get("info").is_none());
    assert!(anonymous["minimumClientVersions"].is_object());
    assert_eq!(anonymous["success"], true);
    let (_, agent) = raw.send("GET", "/api/info", None, Some(&raw.agent)).await;
    assert_eq!(agent, anonymous, "agents lack view-statistics");
    let (_, admin) = raw.send("GET", "/api/info", None, Some(&raw.admin)).await;
    assert_eq!(admin["version"], "7.7.3");
    assert_eq!(admin["info"]["version"], "7.7.3");
}

const DEFINITIONS_SEED: &str = r#"{
  "users": [{"_id": "agent1", "username": "agent1", "roles": ["user", "livechat-agent"]}],
  "customFields": [
    {"_id": "cpf", "label": "CPF", "scope": "visitor", "visibility": "visible",
     "regexp": "^\\d{3}$", "required": false, "type": "input"},
    {"_id": "city", "label": "City", "required": true},
    {"_id": "topic", "label": "Topic", "scope": "room"},
    {"_id": "secret", "visibility": "hidden"}
  ],
  "contacts": [{"_id": "old", "name": "Old", "unknown": false,
                "customFields": {"legacy": "kept", "city": "Recife"}}]
}"#;

async fn with_definitions(from_json: bool) -> Raw {
    let builder = if from_json {
        FakeRocketChat::builder()
            .seed_json(DEFINITIONS_SEED)
            .unwrap()
    } else {
        let mut old = Map::new();
        old.insert("_id".into(), json!("old"));
        old.insert("name".into(), json!("Old"));
        old.insert("unknown".into(), json!(false));
        old.insert(
            "customFields".into(),
            json!({"legacy": "kept", "city": "Recife"}),
        );
        FakeRocketChat::builder()
            .custom_field(CustomField::new("cpf").label("CPF").regexp(r"^\d{3}$"))
            .custom_field(CustomField::new("city").label("City").required(true))
            .custom_field(CustomField::new("topic").label("Topic").scope("room"))
            .custom_field(CustomField::new("secret").visibility("hidden"))
            .seed_json(&format!(
                r#"{{"contacts": [{}]}}"#,
                serde_json::to_string(&old).unwrap()
            ))
            .unwrap()
    };
    Raw::start(builder.start().await.unwrap()).await
}

#[tokio::test]
async fn custom_fields_follow_the_definitions_from_json_and_from_rust() {
    for from_json in [true, false] {
        let raw = with_definitions(from_json).await;
        let create = |fields: Value| json!({"name": "N", "emails": [], "phones": [], "customFields": fields});
        for (fields, error) in [
            (
                json!({"city": "Recife", "nope": "x"}),
                "Custom field nope is not allowed",
            ),
            (
                json!({"city": "Recife", "topic": "x"}),
                "Custom field topic is not allowed",
            ),
            (
                json!({"city": "Recife", "secret": "x"}),
                "Custom field secret is not allowed",
            ),
            (json!({"cpf": "123"}), "Invalid value for City field"),
            (json!({"city": "  "}), "Invalid value for City field"),
            (
                json!({"city": "Recife", "cpf": "12a"}),
                "Invalid value for CPF field",
            ),
        ] {
            let (status, body) = raw
                .post_as(&raw.agent, "omnichannel/contacts", create(fields.clone()))
                .await;
            assert_eq!(
                (status, body),
                (400, json!({"success": false, "error": error})),
                "{fields} (from json: {from_json})"
            );
        }
        let (status, created) = raw
            .post_as(
                &raw.agent,
                "omnichannel/contacts",
                create(json!({"city": " Recife ", "cpf": "123"})),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        let id = created["contactId"].as_str().unwrap();
        let stored = raw.fake.contact_json(&id.into()).unwrap();
        assert_eq!(
            stored["customFields"],
            json!({"city": "Recife", "cpf": "123"})
        );

        // A legacy field stored before its definition went away is kept, not updated.
        let (status, body) = raw
            .post_as(
                &raw.agent,
                "omnichannel/contacts.update",
                json!({"contactId": "old", "customFields": {"legacy": "new", "city": "Natal"}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["contact"]["customFields"],
            json!({"legacy": "kept", "city": "Natal"})
        );
        let (status, body) = raw
            .post_as(
                &raw.agent,
                "omnichannel/contacts.update",
                json!({"contactId": "old", "customFields": {"city": "Natal", "other": 1}}),
            )
            .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"success": false, "error": "Custom field other is not allowed"})
            )
        );
    }
}

#[tokio::test]
async fn a_workspace_without_definitions_accepts_no_custom_field() {
    let raw = Raw::new().await;
    let (status, body) = raw
        .post_as(
            &raw.agent,
            "omnichannel/contacts",
            json!({"name": "N", "emails": [], "phones": [], "customFields": {"a": "1"}}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"success": false, "error": "Custom field a is not allowed"})
        )
    );
}

#[test]
fn bad_definitions_in_a_seed_name_their_path() {
    let error = FakeRocketChat::builder()
        .seed_json(r#"{"customFields": [{"_id": "x", "regexp": "("}]}"#)
        .unwrap_err();
    assert_eq!(error.path(), "customFields[0].regexp");
    let error = FakeRocketChat::builder()
        .seed_json(r#"{"customFields": [{"_id": "x", "colour": "red"}]}"#)
        .unwrap_err();
    assert!(
        error.path().starts_with("customFields[0]"),
        "{}",
        error.path()
    );
    assert!(FakeRocketChat::builder().version("6.9.0").is_err());
}

#[tokio::test]
async fn recording_is_bounded() {
    let fake = FakeRocketChat::builder()
        .record_requests(3)
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    for i in 0..5 {
        http.get(format!("{}/api/v1/nothing-{i}", fake.uri()))
            .send()
            .await
            .unwrap();
    }
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/nothing-2",
            "/api/v1/nothing-3",
            "/api/v1/nothing-4"
        ]
    );
}
