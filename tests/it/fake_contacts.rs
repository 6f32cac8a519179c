//! The fake's other contact routes judged with raw HTTP: get, search, create, update,
//! checkExistence, channels, history; permissions, validation and exact error bodies.

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, FakeUser, Visitor};
use serde_json::{Value, json};

struct Raw {
    fake: FakeRocketChat,
    http: reqwest::Client,
}

const FORBIDDEN: &str = r#"{"success":false,"error":"User does not have the permissions required for this action [error-unauthorized]"}"#;

impl Raw {
    async fn new() -> Self {
        let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
        fake.add_user(FakeUser::new("plain").id("plainUser").password("pw"));
        Self {
            fake,
            http: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: &str,
        route: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
        as_agent: bool,
    ) -> (u16, String) {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let url = format!("{}/api/v1/{route}?{query}", self.fake.uri());
        let mut request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url),
        };
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let (user, token) = if as_agent {
            (
                DemoData::AGENT_ID.to_owned(),
                DemoData::AGENT_TOKEN.to_owned(),
            )
        } else {
            let credentials = self.fake.personal_access_token(&"plainUser".into());
            (
                credentials.user_id().to_string(),
                credentials.auth_token().expose().to_owned(),
            )
        };
        let response = request
            .header("x-user-id", user)
            .header("x-auth-token", token)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn get(&self, route: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let (status, text) = self.call("GET", route, query, None, true).await;
        (status, serde_json::from_str(&text).unwrap())
    }

    async fn post(&self, route: &str, body: Value) -> (u16, Value) {
        let (status, text) = self.call("POST", route, &[], Some(body), true).await;
        (status, serde_json::from_str(&text).unwrap())
    }
}

fn invalid(message: &str) -> Value {
    json!({"success": false, "error": format!("{message} [invalid-params]"), "errorType": "invalid-params"})
}

#[tokio::test]
async fn get_answers_the_contact_or_a_404() {
    let raw = Raw::new().await;
    let (status, body) = raw
        .get(
            "omnichannel/contacts.get",
            &[("contactId", DemoData::CONTACT_ID)],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["contact"]["_id"], DemoData::CONTACT_ID);
    assert_eq!(body["success"], true);
    let (status, body) = raw
        .get("omnichannel/contacts.get", &[("contactId", "nope")])
        .await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"success": false, "error": "Resource not found"})
        )
    );
    let (status, body) = raw.get("omnichannel/contacts.get", &[]).await;
    assert_eq!(
        (status, body),
        (400, invalid("must have required property 'contactId'"))
    );
    let (status, text) = raw
        .call(
            "GET",
            "omnichannel/contacts.get",
            &[("contactId", "x")],
            None,
            false,
        )
        .await;
    assert_eq!((status, text.as_str()), (403, FORBIDDEN));
}

#[tokio::test]
async fn search_filters_pages_and_sorts() {
    let raw = Raw::new().await;
    let mut hidden = serde_json::Map::new();
    hidden.insert("name".into(), json!("Visitor 1"));
    hidden.insert("unknown".into(), json!(true));
    raw.fake.add_contact_json(hidden);
    let mut deleted = serde_json::Map::new();
    deleted.insert("name".into(), json!("Deleted Person"));
    deleted.insert("enabled".into(), json!(false));
    raw.fake.add_contact_json(deleted);

    let (_, all) = raw.get("omnichannel/contacts.search", &[]).await;
    let names: Vec<_> = all["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Ana Lima", "Jane Doe", "John Roe", "Maria Silva"],
        "known, enabled, by name"
    );
    // `count` is the page size asked for (default 50, getPaginationItems), not the
    // number of contacts returned (getContacts.ts).
    assert_eq!(
        (
            all["count"].clone(),
            all["offset"].clone(),
            all["total"].clone()
        ),
        (json!(50), json!(0), json!(4))
    );

    let (_, unknown) = raw
        .get("omnichannel/contacts.search", &[("unknown", "true")])
        .await;
    assert_eq!(unknown["contacts"][0]["name"], "Visitor 1");

    let (_, by_email) = raw
        .get(
            "omnichannel/contacts.search",
            &[("searchText", "JOHN.ROE@")],
        )
        .await;
    assert_eq!(by_email["total"], 1);
    let (_, by_phone) = raw
        .get("omnichannel/contacts.search", &[("searchText", "8199999")])
        .await;
    assert_eq!(by_phone["contacts"][0]["_id"], DemoData::CONTACT_ID);

    let (_, page) = raw
        .get(
            "omnichannel/contacts.search",
            &[("count", "2"), ("offset", "1"), ("sort", r#"{"name":-1}"#)],
        )
        .await;
    let names: Vec<_> = page["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["John Roe", "Jane Doe"]);
    assert_eq!(
        (
            page["count"].clone(),
            page["offset"].clone(),
            page["total"].clone()
        ),
        (json!(2), json!(1), json!(4))
    );

    let (status, _) = raw
        .get("omnichannel/contacts.search", &[("count", "many")])
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn create_validates_and_starts_without_conflicts() {
    let raw = Raw::new().await;
    let (status, body) = raw
        .post("omnichannel/contacts", json!({"name": "New Person", "emails": ["n@example.com"], "phones": [], "contactManager": DemoData::AGENT_ID}))
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["contactId"].as_str().unwrap();
    let stored = raw.fake.contact_json(&id.into()).unwrap();
    assert_eq!(stored["emails"], json!([{"address": "n@example.com"}]));
    assert_eq!(stored["conflictingFields"], json!([]));
    assert_eq!(stored["preRegistration"], true);

    let (status, body) = raw
        .post("omnichannel/contacts", json!({"name": "X", "emails": []}))
        .await;
    assert_eq!(
        (status, body),
        (400, invalid("must have required property 'phones'"))
    );
    let (status, body) = raw
        .post(
            "omnichannel/contacts",
            json!({"name": "X", "emails": [], "phones": [], "contactManager": "agent1"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"success": false, "error": "error-contact-manager-not-found"})
        )
    );
    let (status, text) = raw
        .call(
            "POST",
            "omnichannel/contacts",
            &[],
            Some(json!({"name": "X", "emails": [], "phones": []})),
            false,
        )
        .await;
    assert_eq!((status, text.as_str()), (403, FORBIDDEN));
}

#[tokio::test]
async fn update_answers_under_contact() {
    let raw = Raw::new().await;
    let (status, body) = raw
        .post("omnichannel/contacts.update", json!({"contactId": DemoData::CLEAN_CONTACT_ID, "phones": ["+1 555"], "wipeConflicts": true}))
        .await;
    assert_eq!(status, 200);
    assert!(body.get("result").is_none());
    assert_eq!(
        body["contact"]["phones"],
        json!([{"phoneNumber": "+1 555"}])
    );
    let (status, body) = raw
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": "nope", "name": "X"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"success": false, "error": "error-contact-not-found"})
        )
    );
    let (status, body) = raw
        .post(
            "omnichannel/contacts.update",
            json!({"contactId": "x", "nick": "y"}),
        )
        .await;
    assert_eq!(
        (status, body),
        (400, invalid("must NOT have additional properties"))
    );
}

#[tokio::test]
async fn check_existence_takes_exactly_one_key() {
    let raw = Raw::new().await;
    for (key, value, exists) in [
        ("contactId", DemoData::CONTACT_ID, true),
        ("email", "jane.doe@example.com", true),
        // countByContactInfo passes no collation (LivechatContacts.ts, 1d777246): exact match.
        ("email", "JANE.DOE@example.com", false),
        ("phone", "+5581999990000", true),
        ("email", "nobody@example.com", false),
    ] {
        let (status, body) = raw
            .get("omnichannel/contacts.checkExistence", &[(key, value)])
            .await;
        assert_eq!(
            (status, body),
            (200, json!({"exists": exists, "success": true})),
            "{key}={value}"
        );
    }
    let (status, body) = raw
        .get(
            "omnichannel/contacts.checkExistence",
            &[("email", "a"), ("phone", "b")],
        )
        .await;
    // Every branch's failure, joined by the router with "\n ", then the oneOf message.
    assert_eq!(
        (status, body),
        (
            400,
            invalid(
                "must have required property 'contactId'\n must NOT have additional properties\n \
                 must NOT have additional properties\n must match exactly one schema in oneOf"
            )
        )
    );
}

#[tokio::test]
async fn channels_are_the_latest_per_name() {
    let raw = Raw::new().await;
    raw.fake.merge_visitor(
        &DemoData::CONTACT_ID.into(),
        Visitor::new().email("jane.doe@example.com"),
    );
    let (_, body) = raw
        .get(
            "omnichannel/contacts.channels",
            &[("contactId", DemoData::CONTACT_ID)],
        )
        .await;
    assert_eq!(
        body["channels"].as_array().unwrap().len(),
        1,
        "two widget channels, latest kept"
    );
    let (status, body) = raw
        .get("omnichannel/contacts.channels", &[("contactId", "nope")])
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"channels": [], "success": true}))
    );
}

#[tokio::test]
async fn history_lists_closed_chats() {
    let raw = Raw::new().await;
    let (status, body) = raw
        .get(
            "omnichannel/contacts.history",
            &[("contactId", DemoData::CONTACT_ID)],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1);
    assert_eq!(body["history"][0]["source"]["type"], "widget");
    let (_, filtered) = raw
        .get(
            "omnichannel/contacts.history",
            &[("contactId", DemoData::CONTACT_ID), ("source", "sms")],
        )
        .await;
    assert_eq!(filtered["total"], 0);
    let (status, body) = raw
        .get("omnichannel/contacts.history", &[("contactId", "nope")])
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"success": false, "error": "error-contact-not-found"})
        )
    );
}
