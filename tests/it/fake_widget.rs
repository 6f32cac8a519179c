//! Conflicts made the way a real widget makes them, over HTTP only (issue 21): the public
//! livechat routes lead to Rocket.Chat's `ContactMerger` in the community edition.
//!
//! - `POST livechat/visitor` → `registerGuest` + its merge patch (`startup.ts`, 5c53320a);
//! - `GET livechat/room` → `migrateVisitorIfMissingContact` → `migrateVisitorToContactId`
//!   (b7bda184): a pre-registered contact with the visitor's email or phone is merged;
//! - `POST livechat/custom.field` → `updateContactsCustomFields` (custom-fields.ts);
//! - `POST livechat/room.close` → `closeRoom`.

use rocketchat_omnichannel::testing::{CustomField, FakeRocketChat};
use serde_json::{Value, json};

use crate::common::fake_http::Raw;

/// A widget's calls: no login, the widget's cookies on the room.
async fn widget(raw: &Raw, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}/api/v1/{path}", raw.fake.uri());
    let mut request = raw
        .http
        .request(method.parse().unwrap(), url)
        .header("cookie", "rc_room_type=l; rc_is_widget=t");
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn register(raw: &Raw, visitor: Value) -> (u16, Value) {
    widget(
        raw,
        "POST",
        "livechat/visitor",
        Some(json!({"visitor": visitor})),
    )
    .await
}

async fn open_room(raw: &Raw, token: &str) -> (u16, Value) {
    widget(raw, "GET", &format!("livechat/room?token={token}"), None).await
}

async fn contact(raw: &Raw, id: &str) -> Value {
    raw.get(&format!("omnichannel/contacts.get?contactId={id}"))
        .await
        .1["contact"]
        .clone()
}

#[tokio::test]
async fn a_visitor_with_a_known_email_puts_a_name_conflict_on_the_pre_registered_contact() {
    let raw = Raw::new().await;
    // An agent registers the contact first (no channel yet: pre-registered).
    let (status, created) = raw
        .post_as(
            &raw.agent,
            "omnichannel/contacts",
            json!({"name": "Jane Doe", "emails": ["jane@example.com"], "phones": []}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["contactId"].as_str().unwrap().to_owned();

    let (status, answer) = register(
        &raw,
        json!({"token": "tok-jane", "name": "Jane D.", "email": "JANE@example.com"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["visitor"]["visitorEmails"],
        json!([{"address": "jane@example.com"}])
    );
    assert!(
        answer["visitor"]["username"]
            .as_str()
            .unwrap()
            .starts_with("guest-")
    );

    let (status, answer) = open_room(&raw, "tok-jane").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["newRoom"], true);
    assert_eq!(answer["room"]["contactId"], id.as_str());
    assert_eq!(answer["room"]["source"]["type"], "widget");

    let jane = contact(&raw, &id).await;
    assert_eq!(jane["name"], "Jane Doe", "a known contact keeps its name");
    assert_eq!(
        jane["conflictingFields"],
        json!([{"field": "name", "value": "Jane D."}])
    );
    assert_eq!(jane["channels"][0]["name"], "widget");
    assert_eq!(
        jane["channels"][0]["lastChat"]["_id"],
        answer["room"]["_id"]
    );
    // The same room again: no second merge, no second conflict.
    let (_, again) = open_room(&raw, "tok-jane").await;
    assert_eq!(again["newRoom"], false);
    // Re-registering with the same name adds nothing; a third name is one more entry.
    register(&raw, json!({"token": "tok-jane", "name": "Jane D."})).await;
    register(&raw, json!({"token": "tok-jane", "name": "J. Doe"})).await;
    let jane = contact(&raw, &id).await;
    assert_eq!(
        jane["conflictingFields"],
        json!([{"field": "name", "value": "Jane D."}, {"field": "name", "value": "J. Doe"}])
    );

    // And the conflict resolves through the SDK's route like any other.
    let (status, resolved) = raw
        .post_as(
            &raw.agent,
            "omnichannel/contacts.conflicts",
            json!({"contactId": id, "name": "Jane D.", "wipeConflicts": true}),
        )
        .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["result"]["conflictingFields"], json!([]));
}

#[tokio::test]
async fn a_new_visitor_gets_an_unknown_contact_that_later_names_overwrite() {
    let raw = Raw::new().await;
    register(
        &raw,
        json!({"token": "tok-new", "name": "First Name", "phone": "+5511900000000"}),
    )
    .await;
    let (_, answer) = widget(&raw, "GET", "livechat/room?token=tok-new", None).await;
    let id = answer["room"]["contactId"].as_str().unwrap().to_owned();
    let created = contact(&raw, &id).await;
    assert_eq!(created["unknown"], true);
    assert_eq!(
        created["phones"],
        json!([{"phoneNumber": "+5511900000000"}])
    );
    // An unknown contact is overwritten (mergeFieldsIntoContact in 'overwrite' mode).
    register(&raw, json!({"token": "tok-new", "name": "Second Name"})).await;
    let after = contact(&raw, &id).await;
    assert_eq!(after["name"], "Second Name");
    assert_eq!(after["conflictingFields"], json!([]));
    // Once an agent has touched it, it is known: the next name is a conflict.
    raw.post_as(
        &raw.agent,
        "omnichannel/contacts.update",
        json!({"contactId": id, "name": "Agreed Name"}),
    )
    .await;
    register(&raw, json!({"token": "tok-new", "name": "Third Name"})).await;
    let known = contact(&raw, &id).await;
    assert_eq!(known["name"], "Agreed Name");
    assert_eq!(
        known["conflictingFields"],
        json!([{"field": "name", "value": "Third Name"}])
    );
}

#[tokio::test]
async fn custom_fields_from_the_widget_conflict_without_overwrite() {
    let fake = FakeRocketChat::builder()
        .custom_field(CustomField::new("cpf"))
        .custom_field(CustomField::new("room_note").scope("room"))
        .start()
        .await
        .unwrap();
    let raw = Raw::start(fake).await;
    register(&raw, json!({"token": "tok-c", "name": "Carla"})).await;
    let (_, room) = open_room(&raw, "tok-c").await;
    let id = room["room"]["contactId"].as_str().unwrap().to_owned();
    let field = |key: &str, value: &str, overwrite: bool| json!({"token": "tok-c", "key": key, "value": value, "overwrite": overwrite});
    let (status, answer) = widget(
        &raw,
        "POST",
        "livechat/custom.field",
        Some(field("cpf", "111", false)),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["field"],
        json!({"key": "cpf", "value": "111", "overwrite": false})
    );
    // Set while absent; then, without overwrite, every value is a conflict entry, even the
    // same one (updateContactsCustomFields does not compare).
    widget(
        &raw,
        "POST",
        "livechat/custom.field",
        Some(field("cpf", "222", false)),
    )
    .await;
    widget(
        &raw,
        "POST",
        "livechat/custom.field",
        Some(field("cpf", "111", false)),
    )
    .await;
    let carla = contact(&raw, &id).await;
    assert_eq!(carla["customFields"]["cpf"], "111");
    assert_eq!(
        carla["conflictingFields"],
        json!([{"field": "customFields.cpf", "value": "222"}, {"field": "customFields.cpf", "value": "111"}])
    );
    // With overwrite the value is replaced; a room field never reaches the contact.
    widget(
        &raw,
        "POST",
        "livechat/custom.field",
        Some(field("cpf", "333", true)),
    )
    .await;
    widget(
        &raw,
        "POST",
        "livechat/custom.field",
        Some(field("room_note", "x", false)),
    )
    .await;
    let carla = contact(&raw, &id).await;
    assert_eq!(carla["customFields"], json!({"cpf": "333"}));

    for (body, status, error) in [
        (field("nope", "1", false), 400, "invalid-custom-field"),
        (
            json!({"token": "unknown", "key": "cpf", "value": "1", "overwrite": false}),
            400,
            "invalid-token",
        ),
        (
            json!({"token": "tok-c", "value": "1", "overwrite": false}),
            400,
            "must have required property 'key' [invalid-params]",
        ),
    ] {
        let (got, answer) = widget(&raw, "POST", "livechat/custom.field", Some(body)).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(error)),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn widget_errors_are_the_servers() {
    let raw = Raw::new().await;
    let (status, answer) = register(&raw, json!({"name": "No Token"})).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (
            400,
            Some("Match error: Missing key 'token' in field visitor")
        )
    );
    let (status, answer) = register(&raw, json!({"token": "  "})).await;
    assert_eq!(status, 400);
    assert_eq!(answer["errorType"], "error-invalid-token");
    assert_eq!(
        answer["error"],
        "Token cannot be empty [error-invalid-token]"
    );
    let (status, answer) = open_room(&raw, "nobody").await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid-token"))
    );
}

/// disableContact.ts (4ccc52b2, 5d603e27) and its newer spec (`checkContactOpenRooms`): an
/// open room blocks deletion (400 `error-contact-has-open-rooms` on the newest route, 8.8.0
/// in the fake; `error-invalid-contact` before) unless the GDPR setting is on; once the
/// visitor closes it, deletion goes through, and the closed room is the contact's history.
#[tokio::test]
async fn an_open_room_blocks_deleting_its_contact_until_it_is_closed() {
    let raw = Raw::new().await;
    register(&raw, json!({"token": "tok-d", "name": "Dora"})).await;
    let (_, room) = open_room(&raw, "tok-d").await;
    let id = room["room"]["contactId"].as_str().unwrap().to_owned();
    let rid = room["room"]["_id"].as_str().unwrap().to_owned();
    let (status, answer) = raw
        .post_as(
            &raw.admin,
            "omnichannel/contacts.delete",
            json!({"contactId": id}),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("error-contact-has-open-rooms"))
    );

    let close = json!({"rid": rid, "token": "tok-d"});
    let (status, answer) = widget(&raw, "POST", "livechat/room.close", Some(close.clone())).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rid"], rid.as_str());
    let (status, answer) = widget(&raw, "POST", "livechat/room.close", Some(close)).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("room-closed"))
    );
    let (_, history) = raw
        .get(&format!("omnichannel/contacts.history?contactId={id}"))
        .await;
    assert_eq!(history["history"][0]["_id"], rid.as_str());

    let (status, _) = raw
        .post_as(
            &raw.admin,
            "omnichannel/contacts.delete",
            json!({"contactId": id}),
        )
        .await;
    assert_eq!(status, 200);

    // With the GDPR setting on, an open room does not block it.
    let fake = FakeRocketChat::builder()
        .setting(
            "Livechat_Allow_collect_and_store_HTTP_header_informations",
            true,
        )
        .start()
        .await
        .unwrap();
    let raw = Raw::start(fake).await;
    register(&raw, json!({"token": "tok-e", "name": "Eva"})).await;
    let (_, room) = open_room(&raw, "tok-e").await;
    let id = room["room"]["contactId"].as_str().unwrap().to_owned();
    let (status, _) = raw
        .post_as(
            &raw.admin,
            "omnichannel/contacts.delete",
            json!({"contactId": id}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn visitor_tokens_are_not_recorded() {
    let raw = Raw::new().await;
    register(
        &raw,
        json!({"token": "secret-visitor-token", "name": "Tess"}),
    )
    .await;
    open_room(&raw, "secret-visitor-token").await;
    let recorded = format!("{:?}", raw.fake.requests());
    assert!(!recorded.contains("secret-visitor-token"), "{recorded}");
    assert!(recorded.contains("<redacted>"));
}

/// Issue 37 #4: Enterprise verification (`ee/server/patches/mergeContacts.ts` at 22a37f9c)
/// merges the contacts verified by the same value into the one being verified and
/// hard-deletes them; a bot running meanwhile meets the id gone and still ends clean.
#[tokio::test]
async fn verification_merges_and_deletes_similar_contacts_under_a_running_bot() {
    use futures_util::StreamExt;
    use rocketchat_omnichannel::testing::{DemoData, Visitor};
    use rocketchat_omnichannel::workflow::{Outcome, Policy};

    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let kept = fake.add_contact_named("Zed Kept");
    let twin = fake.add_contact_named("Zed Twin");
    for id in [&kept, &twin] {
        fake.merge_visitor(id, Visitor::new().email("zed@example.com"));
    }
    // The twin was verified first; verifying the kept one finds it similar.
    assert_eq!(
        fake.verify_contact_channel(&twin, "email", "ZED@example.com"),
        Some(vec![])
    );
    let client = fake.client_for(&DemoData::AGENT_ID.into()).unwrap();
    let mut run = client.resolve_all(Policy::keep_current()).into_stream();
    let first = run.next().await.unwrap();
    assert!(!matches!(first, Outcome::Failed { .. }), "{first:?}");
    let deleted = fake
        .verify_contact_channel(&kept, "email", "zed@example.com")
        .unwrap();
    assert_eq!(deleted, std::slice::from_ref(&twin));
    assert!(fake.contact(&twin).is_none(), "hard-deleted");
    let kept_now = fake.contact_json(&kept).unwrap();
    assert!(
        kept_now["conflictingFields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "name" && c["value"] == "Zed Twin"),
        "the twin's name is a conflict: {kept_now:?}"
    );
    while let Some(outcome) = run.next().await {
        assert!(!outcome.is_failure(), "{outcome:?}");
    }
    // Another run resolves what the merge brought and leaves nothing.
    let summary = client.resolve_all(Policy::keep_current()).run().await;
    assert!(summary.is_clean(), "{summary:?}");
    assert!(fake.conflicted_contacts().is_empty());
}

/// Issue 37 #4: `livechat/visitor` and `livechat/room` have a limit of their own, 5 calls a
/// minute (`rateLimiterOptions` in `visitor.ts` at 5d603e27 and `room.ts` at 0d155da3),
/// whatever the default limit is, while the limiter is on.
#[tokio::test]
async fn the_widget_routes_allow_five_calls_a_minute() {
    let limited = Raw::start(
        FakeRocketChat::builder()
            .rate_limit(1000, std::time::Duration::from_secs(60))
            .start()
            .await
            .unwrap(),
    )
    .await;
    for n in 1..=5 {
        let (status, body) = register(&limited, json!({"token": format!("tok-{n}")})).await;
        assert_eq!(status, 200, "call {n}: {body}");
    }
    let (status, body) = register(&limited, json!({"token": "tok-6"})).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .ends_with("[error-too-many-requests]"),
        "{body}"
    );
    // The room route counts on its own.
    let (status, body) = open_room(&limited, "tok-1").await;
    assert_eq!(status, 200, "{body}");
    // Without the limiter, no limit.
    let free = Raw::new().await;
    for n in 1..=7 {
        let (status, _) = register(&free, json!({"token": format!("tok-{n}")})).await;
        assert_eq!(status, 200);
    }
}

/// Issue 37 #4: `livechat/visitors.info` (`view-l-room`) leaves the visitor's token out from
/// PR #40501 (8.5.0, backported to 8.4.2 … 7.10.12; `lib/visitors.ts` at 0d0e8b11) and
/// sends it before.
#[tokio::test]
async fn visitors_info_hides_the_token_from_the_fix_on() {
    for (version, token_shown) in [
        ("8.8.0", false),
        ("8.4.2", false),
        ("8.4.1", true),
        ("7.10.12", false),
        ("7.10.11", true),
    ] {
        let raw = Raw::version(version).await;
        let (status, body) = register(&raw, json!({"token": "tok-v", "name": "Vera"})).await;
        assert_eq!(status, 200, "{version}: {body}");
        let id = body["visitor"]["_id"].as_str().unwrap().to_owned();
        let (status, info) = raw
            .get(&format!("livechat/visitors.info?visitorId={id}"))
            .await;
        assert_eq!(status, 200, "{version}: {info}");
        assert_eq!(info["visitor"]["name"], "Vera", "{version}: {info}");
        assert_eq!(
            info["visitor"].get("token").is_some(),
            token_shown,
            "{version}: {info}"
        );
        let (status, info) = raw.get("livechat/visitors.info?visitorId=nobody").await;
        assert_eq!(
            (status, info["error"].as_str()),
            (400, Some("visitor-not-found")),
            "{version}"
        );
    }
}
