//! The fake server judged with raw HTTP (not through the SDK): every case of the server facts
//! for `contacts.conflicts` and the auth routes, status and exact body.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser, Visitor};
use rocketchat_omnichannel::{ContactId, Credentials, UserId};
use serde_json::{Value, json};

const NOT_LOGGED_IN: &str = r#"{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}"#;
const FORBIDDEN: &str = r#"{"success":false,"error":"User does not have the permissions required for this action [error-unauthorized]"}"#;

struct World {
    fake: FakeRocketChat,
    http: reqwest::Client,
    agent: UserId,
    agent_pat: Credentials,
    second_agent: UserId,
    plain_pat: Credentials,
    admin_pat: Credentials,
    conflicted: ContactId,
    clean: ContactId,
}

async fn world() -> World {
    let fake = FakeRocketChat::start().await;
    let agent = fake.add_agent("agent1", "pw1");
    let second_agent = fake.add_agent("agent2", "pw2");
    let plain = fake.add_user(FakeUser::new("plain").password("pw3"));
    let admin = fake.add_user(FakeUser::new("root").role("admin").password("pw4"));
    let mut jane = rocketchat_omnichannel::Contact::new("");
    jane.name = Some("Jane Doe".into());
    jane.contact_manager = Some(agent.clone().into());
    jane.unknown = Some(false);
    jane.custom_fields.insert("cpf".into(), json!("111"));
    jane.custom_fields.insert("city".into(), json!("Recife"));
    let conflicted = fake.add_contact(&jane);
    assert!(
        fake.merge_visitor(
            &conflicted,
            Visitor::new()
                .name("Jane D.")
                .email("jd@example.com")
                .contact_manager(second_agent.as_str())
                .custom_field("cpf", "222")
                .custom_field("city", "Olinda"),
        )
    );
    let clean = fake.add_contact_named("Maria Silva");
    World {
        agent_pat: fake.personal_access_token(&agent),
        plain_pat: fake.personal_access_token(&plain),
        admin_pat: fake.personal_access_token(&admin),
        http: reqwest::Client::new(),
        fake,
        agent,
        second_agent,
        conflicted,
        clean,
    }
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl World {
    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the fake answers");
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    fn url(&self, route: &str) -> String {
        format!("{}/api/v1/{route}", self.fake.uri())
    }

    fn authed(
        &self,
        request: reqwest::RequestBuilder,
        who: &Credentials,
    ) -> reqwest::RequestBuilder {
        request
            .header("X-User-Id", who.user_id().as_str())
            .header("X-Auth-Token", who.auth_token().expose())
    }

    /// A `contacts.conflicts` call with a raw body and JSON content type.
    async fn resolve_raw(&self, who: Option<&Credentials>, body: &str) -> Answer {
        let mut request = self
            .http
            .post(self.url("omnichannel/contacts.conflicts"))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(who) = who {
            request = self.authed(request, who);
        }
        self.send(request).await
    }

    async fn resolve(&self, body: Value) -> Answer {
        self.resolve_raw(Some(&self.agent_pat), &body.to_string())
            .await
    }

    fn invalid(message: &str) -> String {
        format!(
            r#"{{"success":false,"error":"{message} [invalid-params]","errorType":"invalid-params"}}"#
        )
    }

    fn error(code: &str) -> String {
        format!(r#"{{"success":false,"error":"{code}"}}"#)
    }

    fn conflicts(&self) -> Vec<String> {
        self.fake.contact_json(&self.conflicted).unwrap()["conflictingFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn seeded_conflicts_arise_from_the_merge() {
    let w = world().await;
    let doc = w.fake.contact_json(&w.conflicted).unwrap();
    assert_eq!(
        doc["conflictingFields"],
        json!([
            {"field": "name", "value": "Jane D."},
            {"field": "manager", "value": w.second_agent.as_str()},
            {"field": "customFields.city", "value": "Olinda"},
            {"field": "customFields.cpf", "value": "222"},
        ])
    );
    // Emails and channels are appended, never conflicts; the current values stay.
    assert_eq!(doc["emails"], json!([{"address": "jd@example.com"}]));
    assert_eq!(doc["channels"].as_array().unwrap().len(), 1);
    assert_eq!(doc["name"], "Jane Doe");
    assert_eq!(doc["customFields"]["cpf"], "111");
}

#[tokio::test]
async fn unknown_contacts_are_overwritten_not_conflicted() {
    let w = world().await;
    let mut doc = serde_json::Map::new();
    doc.insert("name".into(), json!("Visitor 12"));
    doc.insert("unknown".into(), json!(true));
    let id = w.fake.add_contact_json(doc);
    w.fake.merge_visitor(&id, Visitor::new().name("Real Name"));
    let doc = w.fake.contact_json(&id).unwrap();
    assert_eq!(doc["name"], "Real Name");
    assert!(doc.get("conflictingFields").is_none());
}

#[tokio::test]
async fn authentication_failures_are_401_with_the_compat_body() {
    let w = world().await;
    let body = json!({"contactId": w.conflicted}).to_string();
    let no_headers = w.resolve_raw(None, &body).await;
    let bad_token = w
        .resolve_raw(
            Some(&Credentials::token(w.agent.clone(), "not-a-token")),
            &body,
        )
        .await;
    let wrong_owner = w
        .resolve_raw(
            Some(&Credentials::token(
                w.second_agent.clone(),
                w.agent_pat.auth_token().expose(),
            )),
            &body,
        )
        .await;
    for answer in [no_headers, bad_token, wrong_owner] {
        assert_eq!(answer.status, 401);
        assert_eq!(answer.text, NOT_LOGGED_IN);
        assert!(
            answer.header("x-ratelimit-limit").is_none(),
            "unauthenticated calls are not counted"
        );
    }
}

#[tokio::test]
async fn validation_errors_have_the_real_messages() {
    let w = world().await;
    let id = w.conflicted.as_str();
    let cases: Vec<(String, &str)> = vec![
        ("{}".into(), "must have required property 'contactId'"),
        (
            "{not json".into(),
            "must have required property 'contactId'",
        ),
        ("[1,2]".into(), "must be object"),
        (r#""text""#.into(), "must be object"),
        (
            json!({"contactId": id, "extra": 1}).to_string(),
            "must NOT have additional properties",
        ),
        (
            json!({"contactId": id, "customFields": null}).to_string(),
            "must be object",
        ),
        (
            json!({"contactId": id, "customFields": ["a"]}).to_string(),
            "must be object",
        ),
        (json!({"contactId": [id]}).to_string(), "must be string"),
        (
            json!({"contactId": id, "name": {"first": "J"}}).to_string(),
            "must be string",
        ),
        (
            json!({"contactId": id, "contactManager": ["x"]}).to_string(),
            "must be string",
        ),
        (
            json!({"contactId": id, "wipeConflicts": "yes"}).to_string(),
            "must be boolean",
        ),
        (
            json!({"contactId": id, "wipeConflicts": "TRUE"}).to_string(),
            "must be boolean",
        ),
        (
            json!({"contactId": id, "wipeConflicts": "1"}).to_string(),
            "must be boolean",
        ),
        (
            json!({"contactId": id, "wipeConflicts": 2}).to_string(),
            "must be boolean",
        ),
    ];
    for (body, message) in cases {
        let answer = w.resolve_raw(Some(&w.agent_pat), &body).await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (400, World::invalid(message).as_str()),
            "body {body}"
        );
    }
    // A body without a JSON content type is read as `{}`.
    let answer = w
        .send(
            w.authed(
                w.http
                    .post(w.url("omnichannel/contacts.conflicts"))
                    .header("content-type", "text/plain")
                    .body(json!({"contactId": id}).to_string()),
                &w.agent_pat,
            ),
        )
        .await;
    assert_eq!(
        answer.text,
        World::invalid("must have required property 'contactId'")
    );
    assert_eq!(w.conflicts().len(), 4, "nothing changed");
}

#[tokio::test]
async fn the_permission_check_comes_before_validation() {
    // apps/meteor/server/api/ApiClass.ts (2e2355e7): `permissionsMiddleware` runs before the
    // action validates its body (older servers validated first).
    let w = world().await;
    let bad = w.resolve_raw(Some(&w.plain_pat), "{}").await;
    assert_eq!((bad.status, bad.text.as_str()), (403, FORBIDDEN));
    let good = w
        .resolve_raw(
            Some(&w.plain_pat),
            &json!({"contactId": w.conflicted}).to_string(),
        )
        .await;
    assert_eq!((good.status, good.text.as_str()), (403, FORBIDDEN));
}

#[tokio::test]
async fn business_errors_in_the_server_order() {
    let w = world().await;
    let mut disabled = serde_json::Map::new();
    disabled.insert("name".into(), json!("Gone"));
    disabled.insert("enabled".into(), json!(false));
    disabled.insert(
        "conflictingFields".into(),
        json!([{"field": "name", "value": "x"}]),
    );
    let disabled = w.fake.add_contact_json(disabled);
    let cases = [
        (
            json!({"contactId": "no-such-contact"}),
            "error-contact-not-found",
        ),
        (json!({"contactId": disabled}), "error-contact-not-found"),
        (json!({"contactId": null}), "error-contact-not-found"),
        (json!({"contactId": 123}), "error-contact-not-found"),
        (json!({"contactId": ""}), "error-contact-not-found"),
        (
            json!({"contactId": w.clean}),
            "error-contact-has-no-conflicts",
        ),
        // No conflicts is reported before a bad manager.
        (
            json!({"contactId": w.clean, "contactManager": "agent1"}),
            "error-contact-has-no-conflicts",
        ),
        // A user name is not an id; a plain user is not an agent.
        (
            json!({"contactId": w.conflicted, "contactManager": "agent1"}),
            "error-contact-manager-not-found",
        ),
        (
            json!({"contactId": w.conflicted, "contactManager": w.plain_pat.user_id()}),
            "error-contact-manager-not-found",
        ),
    ];
    for (body, code) in cases {
        let answer = w.resolve(body.clone()).await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (400, World::error(code).as_str()),
            "body {body}"
        );
    }
    assert_eq!(w.conflicts().len(), 4, "nothing changed");
}

#[tokio::test]
async fn a_name_clears_only_the_name_conflicts() {
    let w = world().await;
    let answer = w
        .resolve(json!({"contactId": w.conflicted, "name": "Jane Doe-Silva"}))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("pragma"), Some("no-cache"));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let body = answer.json();
    assert_eq!(body["success"], true);
    assert_eq!(
        body.as_object().unwrap().len(),
        2,
        "exactly result and success"
    );
    assert_eq!(body["result"]["name"], "Jane Doe-Silva");
    assert_eq!(body["result"]["unknown"], false);
    assert_eq!(
        w.conflicts(),
        ["manager", "customFields.city", "customFields.cpf"]
    );
    assert_eq!(
        body["result"],
        Value::Object(w.fake.contact_json(&w.conflicted).unwrap())
    );
}

#[tokio::test]
async fn manager_and_custom_fields_overwrite_and_clear_their_entries() {
    let w = world().await;
    let answer = w
        .resolve(json!({
            "contactId": w.conflicted,
            "contactManager": w.second_agent,
            "customFields": {"cpf": "222", "newKey": 5},
            "name": null,
            "wipeConflicts": null,
        }))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let result = &answer.json()["result"];
    assert_eq!(result["contactManager"], w.second_agent.as_str());
    assert_eq!(
        result["customFields"],
        json!({"cpf": "222", "city": "Recife", "newKey": 5}),
        "shallow merge"
    );
    assert_eq!(result["name"], "Jane Doe", "null name is absent");
    assert_eq!(w.conflicts(), ["name", "customFields.city"]);
}

#[tokio::test]
async fn an_empty_manager_unsets_it() {
    let w = world().await;
    let answer = w
        .resolve(json!({"contactId": w.conflicted, "contactManager": ""}))
        .await;
    assert_eq!(answer.status, 200);
    assert!(answer.json()["result"].get("contactManager").is_none());
    assert_eq!(
        w.conflicts(),
        ["name", "customFields.city", "customFields.cpf"]
    );
    // null is the same as absent.
    let answer = w
        .resolve(json!({"contactId": w.conflicted, "contactManager": null}))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(w.conflicts().len(), 3);
}

#[tokio::test]
async fn wipe_clears_everything_and_counts_it() {
    let w = world().await;
    let answer = w
        .resolve(json!({"contactId": w.conflicted, "name": "Final", "wipeConflicts": "true"}))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["result"]["conflictingFields"], json!([]));
    assert_eq!(answer.json()["result"]["name"], "Final");
    assert_eq!(
        answer.json()["result"]["customFields"]["cpf"],
        "111",
        "current values kept"
    );
    assert_eq!(w.fake.resolved_conflicts_count(), 4);
    // Nothing left now.
    let again = w
        .resolve(json!({"contactId": w.conflicted, "wipeConflicts": true}))
        .await;
    assert_eq!(again.text, World::error("error-contact-has-no-conflicts"));
}

#[tokio::test]
async fn only_the_id_changes_nothing() {
    let w = world().await;
    let answer = w
        .resolve(json!({"contactId": w.conflicted, "wipeConflicts": false}))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(w.conflicts().len(), 4);
}

#[tokio::test]
async fn the_rate_limiter_counts_calls_and_sends_its_headers() {
    let w = world().await;
    w.fake.set_rate_limit(Some((2, Duration::from_secs(30))));
    let body = json!({"contactId": w.clean}).to_string();
    let first = w.resolve_raw(Some(&w.agent_pat), &body).await;
    let second = w.resolve_raw(Some(&w.agent_pat), &body).await;
    let third = w.resolve_raw(Some(&w.agent_pat), &body).await;
    assert_eq!(
        (first.status, second.status, third.status),
        (400, 400, 429),
        "invalid calls count too"
    );
    assert_eq!(first.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("1"));
    assert_eq!(third.header("x-ratelimit-remaining"), Some("0"));
    let reset: u64 = third.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        reset > now + 28_000 && reset <= now + 30_000,
        "epoch ms: {reset} vs {now}"
    );
    assert_eq!(
        third.text,
        r#"{"success":false,"error":"Error, too many requests. Please slow down. You must wait 30 seconds before trying this endpoint again. [error-too-many-requests]"}"#
    );
    assert!(third.json().get("errorType").is_none());
    // 401 comes before 429; other routes have their own window; admins bypass the limiter.
    assert_eq!(w.resolve_raw(None, &body).await.status, 401);
    let me = w
        .send(w.authed(w.http.get(w.url("me")), &w.agent_pat))
        .await;
    assert_eq!(me.status, 200);
    let admin = w.resolve_raw(Some(&w.admin_pat), &body).await;
    assert_eq!(admin.status, 400);
    assert!(admin.header("x-ratelimit-limit").is_none());
}

async fn login(w: &World, body: Value) -> Answer {
    w.send(
        w.http
            .post(w.url("login"))
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn login_by_user_username_or_email() {
    let w = world().await;
    w.fake.add_user(
        FakeUser::agent("mail")
            .email("mail@example.com")
            .password("pw"),
    );
    for body in [
        json!({"user": "agent1", "password": "pw1"}),
        json!({"username": "agent1", "password": "pw1"}),
        json!({"user": "mail@example.com", "password": "pw"}),
        json!({"email": "mail@example.com", "password": "pw"}),
    ] {
        let answer = login(&w, body.clone()).await;
        assert_eq!(answer.status, 200, "{body}");
        let json = answer.json();
        assert_eq!(json["status"], "success");
        assert_eq!(json["success"], true);
        assert_eq!(json["data"]["authToken"].as_str().unwrap().len(), 43);
        assert_eq!(json["data"]["me"]["_id"], json["data"]["userId"]);
    }
}

#[tokio::test]
async fn failed_logins_are_401_unauthorized() {
    let w = world().await;
    for body in [
        json!({"user": "agent1", "password": "nope"}),
        json!({"user": "nobody", "password": "pw1"}),
        json!({"password": "pw1"}),
    ] {
        let answer = login(&w, body).await;
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.text,
            r#"{"success":false,"status":"error","error":"Unauthorized","message":"Unauthorized"}"#
        );
    }
}

#[tokio::test]
async fn two_factor_at_login() {
    let w = world().await;
    w.fake.add_user(
        FakeUser::agent("secure")
            .password("pw")
            .two_factor_code("123456"),
    );
    let required = login(&w, json!({"user": "secure", "password": "pw"})).await;
    assert_eq!(required.status, 401);
    assert_eq!(
        required.text,
        r#"{"success":false,"status":"error","error":"totp-required","message":"TOTP Required","details":{"availableMethods":["totp"],"codeGenerated":false,"method":"totp"}}"#
    );
    let in_body = login(
        &w,
        json!({"user": "secure", "password": "pw", "code": "123456"}),
    )
    .await;
    assert_eq!(in_body.status, 200);
    let in_header = w
        .send(
            w.http
                .post(w.url("login"))
                .header("x-2fa-code", "123456")
                .header("content-type", "application/json")
                .body(json!({"user": "secure", "password": "pw"}).to_string()),
        )
        .await;
    assert_eq!(in_header.status, 200);
    let wrong = login(
        &w,
        json!({"user": "secure", "password": "pw", "code": "000000"}),
    )
    .await;
    // A wrong code carries the same details as a missing one (facts document §2, the
    // server's `TwoFactorError` with `processInvalidCode` for the `totp` method).
    assert_eq!(
        wrong.text,
        r#"{"success":false,"status":"error","error":"totp-invalid","message":"TOTP Invalid","details":{"availableMethods":["totp"],"codeGenerated":false,"method":"totp"}}"#
    );
    for _ in 0..4 {
        login(
            &w,
            json!({"user": "secure", "password": "pw", "code": "000000"}),
        )
        .await;
    }
    let locked = login(
        &w,
        json!({"user": "secure", "password": "pw", "code": "123456"}),
    )
    .await;
    assert_eq!(
        (locked.status, locked.json()["error"].as_str()),
        (401, Some("totp-max-attempts"))
    );
}

#[tokio::test]
async fn resume_me_and_logout() {
    let w = world().await;
    let first = login(&w, json!({"user": "agent1", "password": "pw1"}))
        .await
        .json();
    let token = first["data"]["authToken"].as_str().unwrap().to_owned();
    let resumed = login(&w, json!({"resume": token})).await;
    assert_eq!(resumed.status, 200);
    assert_eq!(resumed.json()["data"]["authToken"], token.as_str());

    let session = Credentials::token(w.agent.clone(), token.as_str());
    let me = w.send(w.authed(w.http.get(w.url("me")), &session)).await;
    let me = me.json();
    assert_eq!(me["_id"], w.agent.as_str());
    assert_eq!(me["username"], "agent1");
    assert_eq!(me["success"], true);
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("livechat-agent"))
    );

    let out = w
        .send(w.authed(w.http.post(w.url("logout")), &session))
        .await;
    assert_eq!(out.status, 200);
    assert_eq!(out.json()["data"]["message"], "You've been logged out!");
    let after = w.send(w.authed(w.http.get(w.url("me")), &session)).await;
    assert_eq!((after.status, after.text.as_str()), (401, NOT_LOGGED_IN));
    let resume_again = login(&w, json!({"resume": token})).await;
    assert_eq!(resume_again.status, 401);
}

#[tokio::test]
async fn requests_are_recorded_with_secrets_redacted() {
    let w = world().await;
    login(
        &w,
        json!({"user": "agent1", "password": "pw1", "code": "999"}),
    )
    .await;
    w.resolve(json!({"contactId": w.conflicted, "wipeConflicts": true}))
        .await;
    let requests = w.fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].json().unwrap(),
        json!({"user": "agent1", "password": "<redacted>", "code": "<redacted>"})
    );
    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[1].path, "/api/v1/omnichannel/contacts.conflicts");
    assert_eq!(requests[1].header("x-auth-token"), Some("<redacted>"));
    assert_eq!(requests[1].header("X-User-Id"), Some(w.agent.as_str()));
    assert_eq!(requests[1].json().unwrap()["wipeConflicts"], true);
    let dump = format!("{requests:?}");
    assert!(!dump.contains(w.agent_pat.auth_token().expose()) && !dump.contains("pw1"));
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let w = world().await;
    let answer = w
        .send(w.authed(w.http.get(w.url("omnichannel/nothing")), &w.agent_pat))
        .await;
    assert_eq!(answer.status, 404);
}

/// A seed read from a file as it is parsed (what `rocketchat-fake --seed` uses), with the
/// same errors as `seed_json`, and one for a file that cannot be read.
#[tokio::test]
async fn a_seed_file_loads_as_the_same_text_would() {
    let path = std::env::temp_dir().join(format!("seed-file-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"{"contacts": [{"_id": "c1", "name": "Jane", "unknown": false,
            "conflictingFields": [{"field": "name", "value": "J."}]}]}"#,
    )
    .unwrap();
    let fake = FakeRocketChat::builder()
        .seed_file(&path)
        .unwrap()
        .start()
        .await
        .unwrap();
    assert!(fake.contact(&"c1".into()).unwrap().has_conflicts());
    std::fs::write(&path, r#"{"contacts": [{"name": "no id"}]}"#).unwrap();
    let error = FakeRocketChat::builder().seed_file(&path).unwrap_err();
    assert_eq!(error.path(), "contacts[0]._id");
    std::fs::remove_file(&path).unwrap();
    let error = FakeRocketChat::builder().seed_file(&path).unwrap_err();
    assert!(
        error.to_string().starts_with("cannot read the seed file: "),
        "{error}"
    );
}
