//! The fake against Rocket.Chat's source, round 3 (issue 21): each test names the server
//! file (and the commit read) whose behaviour it pins. Where versions of a file disagree,
//! the newest reading is played and the version-profile docs (README, "Version profiles")
//! say what is unconfirmed.

use std::time::Duration;

use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser, Visitor};
use rocketchat_omnichannel::{Client, Credentials, ErrorKind, ResolveConflictsError};
use serde_json::{Map, Value, json};

use crate::common::fake_http::Raw;

fn doc(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

/// A contact with a name conflict, by raw id.
fn conflicted(fake: &FakeRocketChat, name: &str, other: &str) -> String {
    let id = fake.add_contact_named(name);
    fake.merge_visitor(&id, Visitor::new().name(other));
    id.to_string()
}

async fn text_of(raw: &Raw, method: &str, path: &str) -> (u16, String, String) {
    let url = format!("{}{path}", raw.fake.uri());
    let answer = raw
        .http
        .request(method.parse().unwrap(), url)
        .header("X-User-Id", &raw.agent.0)
        .header("X-Auth-Token", &raw.agent.1)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, answer.text().await.unwrap())
}

/// packages/http-router/src/Router.ts and middlewares/honoAdapterForExpress.ts (3b53488d):
/// every API route is mounted under `/api` with no notFound handler and no fall-through, so
/// a route the server lacks gets Hono's default, a plain-text `404 Not Found`.
#[tokio::test]
async fn a_missing_route_is_a_plain_text_404() {
    let raw = Raw::version("7.6.0").await;
    for (method, path) in [
        ("GET", "/api/v1/omnichannel/contacts.nothing"),
        // Newer than the played release (contacts.conflicts arrived in 7.7.0).
        ("POST", "/api/v1/omnichannel/contacts.conflicts"),
        ("GET", "/api/v2/whatever"),
    ] {
        let (status, content_type, body) = text_of(&raw, method, path).await;
        assert_eq!(
            (status, content_type.as_str(), body.as_str()),
            (404, "text/plain; charset=UTF-8", "404 Not Found"),
            "{method} {path}"
        );
    }
}

/// The SDK against that answer: it asks `/api/info` once and names the version the route
/// needs when the server is older, and says "check the base URL" when it is not.
#[tokio::test]
async fn the_sdk_tells_a_missing_route_from_a_wrong_url_by_the_servers_version() {
    let old = Raw::version("7.6.0").await;
    let client = Client::builder(old.fake.uri())
        .credentials(Credentials::token(old.agent.0.clone(), old.agent.1.clone()))
        .build()
        .unwrap();
    for _ in 0..3 {
        let error = client
            .resolve_contact_conflicts("c1")
            .wipe_conflicts(true)
            .await
            .unwrap_err();
        let ResolveConflictsError::Other(inner) = &error else {
            panic!("{error:?}");
        };
        assert!(
            matches!(
                inner.kind(),
                ErrorKind::EndpointMissing { since: "7.7.0", .. }
            ),
            "{inner:?}"
        );
        assert!(error.to_string().contains("older than 7.7.0"), "{error}");
    }
    let infos = old
        .fake
        .requests()
        .iter()
        .filter(|r| r.path == "/api/info")
        .count();
    assert_eq!(infos, 1, "the version is asked once per client");

    // A new enough server whose answer is still a plain 404: a wrong base URL or a proxy.
    let new = Raw::new().await;
    let wrong = Client::builder(format!("{}/chat", new.fake.uri()))
        .credentials(Credentials::token(new.agent.0.clone(), new.agent.1.clone()))
        .build()
        .unwrap();
    let error = wrong.get_contact("c1").await.unwrap_err();
    let text = error.to_string();
    let rocketchat_omnichannel::omnichannel::contacts::GetContactError::Other(inner) = &error
    else {
        panic!("{error:?}");
    };
    assert!(
        matches!(inner.kind(), ErrorKind::UnexpectedResponse(_)),
        "{inner:?}"
    );
    assert!(text.contains("check the base URL"), "{text}");
}

/// A version hint belongs to 404s only: an HTML 500 from a proxy says nothing of versions.
#[tokio::test]
async fn an_html_500_does_not_talk_about_versions() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    fake.inject_faults(1, rocketchat_omnichannel::testing::Fault::html(500));
    let client = fake
        .client_for(&rocketchat_omnichannel::testing::DemoData::AGENT_ID.into())
        .unwrap();
    let error = client
        .resolve_contact_conflicts("c1")
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("check the base URL"), "{text}");
    assert!(!text.contains("older than"), "{text}");
}

/// apps/meteor/server/api/ApiClass.ts (2e2355e7): authentication → rate limiter →
/// permissions → the action, which validates: 401, 429, 403, then 400.
#[tokio::test]
async fn checks_run_in_the_servers_order() {
    let fake = FakeRocketChat::builder()
        .rate_limit(1, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let raw = Raw::start(fake).await;
    let plain = raw.fake.add_user(FakeUser::new("plain").id("plain"));
    let token = raw.fake.personal_access_token(&plain);
    let who = (plain.to_string(), token.auth_token().expose().to_owned());
    let invalid = json!({"contactId": 5, "unexpected": true});
    // No permission and an invalid body: the 403 comes first.
    let (status, body) = raw
        .post_as(&who, "omnichannel/contacts.conflicts", invalid.clone())
        .await;
    assert_eq!(status, 403, "{body}");
    // The limiter runs before the permission check: the next call is a 429.
    let (status, body) = raw
        .post_as(&who, "omnichannel/contacts.conflicts", invalid)
        .await;
    assert_eq!(status, 429, "{body}");
    // No credentials at all: 401 before anything.
    let (status, _) = raw
        .send(
            "POST",
            "/api/v1/omnichannel/contacts.conflicts",
            Some(json!({})),
            None,
        )
        .await;
    assert_eq!(status, 401);
}

/// rateLimiterKey.ts (98072175): the bucket is client address + route + method (`per: 'ip'`
/// by default): two users behind one address share it; another route or method does not.
#[tokio::test]
async fn the_rate_limiter_counts_per_address_route_and_method() {
    let fake = FakeRocketChat::builder()
        .rate_limit(2, Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let raw = Raw::start(fake).await;
    let (a, _) = raw.get("omnichannel/contacts.get?contactId=x").await;
    let (b, _) = raw
        .send(
            "GET",
            "/api/v1/omnichannel/contacts.get?contactId=x",
            None,
            Some(&raw.manager),
        )
        .await;
    let (c, _) = raw.get("omnichannel/contacts.get?contactId=x").await;
    assert_eq!(
        (a, b, c),
        (404, 404, 429),
        "two users, one address, one bucket"
    );
    let (other_route, _) = raw.get("omnichannel/contacts.search").await;
    assert_eq!(other_route, 200);
}

/// resolveContactConflicts.ts before PR #38265 (80aa775b): `contactManager && …` skips an
/// empty manager (nothing cleared, entries kept) and `findOneById` finds a disabled contact
/// (whose conflicts `disableByContactId` unset: no conflicts). After it (the fix's spec,
/// 2a05f70b): `""` unsets the manager and removes its entries, and a disabled contact is
/// not found.
#[tokio::test]
async fn contacts_conflicts_before_and_after_the_empty_manager_fix() {
    for (version, cleared) in [("8.0.0", false), ("8.1.0", true)] {
        let raw = Raw::version(version).await;
        let id = raw.fake.add_contact_named("Jane");
        let agent2 = raw.fake.add_agent("agent2", "pw");
        raw.fake
            .merge_visitor(&id, Visitor::new().contact_manager(raw.agent.0.as_str()));
        raw.fake
            .merge_visitor(&id, Visitor::new().contact_manager(&agent2));
        let (status, body) = raw
            .post_as(
                &raw.agent,
                "omnichannel/contacts.conflicts",
                json!({"contactId": id.to_string(), "contactManager": ""}),
            )
            .await;
        assert_eq!(status, 200, "{version}: {body}");
        let result = &body["result"];
        assert_eq!(
            result.get("contactManager").is_none(),
            cleared,
            "{version}: {body}"
        );
        assert_eq!(
            result["conflictingFields"].as_array().unwrap().is_empty(),
            cleared,
            "{version}: {body}"
        );

        let gone = conflicted(&raw.fake, "Ana", "Ana P.");
        let (status, _) = raw
            .post_as(
                &raw.admin,
                "omnichannel/contacts.delete",
                json!({"contactId": gone}),
            )
            .await;
        assert_eq!(status, 200);
        let (status, body) = raw
            .post_as(
                &raw.agent,
                "omnichannel/contacts.conflicts",
                json!({"contactId": gone, "wipeConflicts": true}),
            )
            .await;
        let expected = if cleared {
            "error-contact-not-found"
        } else {
            "error-contact-has-no-conflicts"
        };
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(expected)),
            "{version}"
        );
    }
}

/// rest-typings' `Ajv` (`coerceTypes: true`) reads `{type:'boolean', nullable:true}` as
/// `['boolean','null']`: `""` cannot be a boolean, so it becomes null, and the route's
/// `removeEmpty` (packages/tools/src/removeEmpty.ts, 9a9c6d39) drops it: no wipe, no 400.
#[tokio::test]
async fn an_empty_wipe_conflicts_is_no_wipe_and_no_error() {
    let raw = Raw::new().await;
    let id = conflicted(&raw.fake, "Jane", "Jane D.");
    let (status, body) = raw
        .post_as(
            &raw.agent,
            "omnichannel/contacts.conflicts",
            json!({"contactId": id, "wipeConflicts": "", "name": "Jane"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(raw.fake.resolved_conflicts_count(), 0, "nothing was wiped");
    let (status, body) = raw
        .post_as(
            &raw.agent,
            "omnichannel/contacts.conflicts",
            json!({"contactId": id, "wipeConflicts": "yes"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("must be boolean"),
        "{body}"
    );
}

/// updateContact.ts (ba4cc4dd): `wipeConflicts` with conflicts present adds their number to
/// `Resolved_Conflicts_Count`; `name` is set as sent, `""` included; before PR #38265
/// `findOneById` finds a disabled contact, after it (`findOneEnabledById`) it does not.
#[tokio::test]
async fn contacts_update_counts_wipes_passes_an_empty_name_and_finds_per_release() {
    let raw = Raw::new().await;
    let id = conflicted(&raw.fake, "Jane", "Jane D.");
    let (status, body) = raw
        .post_as(
            &raw.agent,
            "omnichannel/contacts.update",
            json!({"contactId": id, "wipeConflicts": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(raw.fake.resolved_conflicts_count(), 1);
    let (status, body) = raw
        .post_as(
            &raw.agent,
            "omnichannel/contacts.update",
            json!({"contactId": id, "name": ""}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["contact"]["name"], "");

    for (version, found) in [("8.0.0", true), ("8.1.0", false)] {
        let raw = Raw::version(version).await;
        let id = raw.fake.add_contact_named("Gone").to_string();
        raw.post_as(
            &raw.admin,
            "omnichannel/contacts.delete",
            json!({"contactId": id}),
        )
        .await;
        let (status, body) = raw
            .post_as(
                &raw.agent,
                "omnichannel/contacts.update",
                json!({"contactId": id, "name": "Back"}),
            )
            .await;
        assert_eq!(status == 200, found, "{version}: {body}");
    }
}

/// LivechatContacts.countByContactInfo (1d777246): no `enabled` filter and no collation, so a
/// deleted contact still exists by id, and emails match exactly.
#[tokio::test]
async fn check_existence_counts_deleted_contacts_and_matches_emails_exactly() {
    let raw = Raw::new().await;
    raw.fake.add_contact_json(doc(json!({
        "_id": "withMail", "name": "Mail", "unknown": false,
        "emails": [{"address": "Jane@Example.com"}]
    })));
    let exists = |query: &str| {
        let route = format!("omnichannel/contacts.checkExistence?{query}");
        let raw = &raw;
        async move { raw.get(&route).await.1["exists"].clone() }
    };
    assert_eq!(exists("email=Jane%40Example.com").await, json!(true));
    assert_eq!(exists("email=jane%40example.com").await, json!(false));
    raw.post_as(
        &raw.admin,
        "omnichannel/contacts.delete",
        json!({"contactId": "withMail"}),
    )
    .await;
    assert_eq!(exists("contactId=withMail").await, json!(true));
    assert_eq!(
        exists("email=Jane%40Example.com").await,
        json!(false),
        "emails were unset"
    );
}

/// getContactHistory.ts: the newest version read (with department enrichment) looks the
/// contact up with `findOneEnabledById`, so a deleted contact is 400 `error-contact-not-found`;
/// an older one (4e45018d, `findOneById`) answered 200, with the rooms `removeGuest` had
/// already erased. The newest reading is played (README, "Version profiles").
#[tokio::test]
async fn history_of_a_deleted_contact_is_not_found() {
    let raw = Raw::new().await;
    let id = conflicted(&raw.fake, "Jane", "Jane D.");
    let (status, _) = raw
        .get(&format!("omnichannel/contacts.history?contactId={id}"))
        .await;
    assert_eq!(status, 200);
    raw.post_as(
        &raw.admin,
        "omnichannel/contacts.delete",
        json!({"contactId": id}),
    )
    .await;
    let (status, body) = raw
        .get(&format!("omnichannel/contacts.history?contactId={id}"))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("error-contact-not-found"))
    );
}

/// getContactChannelsGrouped.ts (04994312): per channel name, the one with the greatest
/// `lastChat.ts` (missing counts as 0; a tie keeps the first), in first-seen order.
#[tokio::test]
async fn channels_keep_the_most_recent_per_name() {
    let raw = Raw::new().await;
    let channel = |visitor: &str, ts: Option<&str>| {
        let mut c = json!({"name": "widget", "visitor": {"visitorId": visitor, "source": {"type": "widget"}},
                           "blocked": false, "verified": false, "details": {"type": "widget"}});
        if let Some(ts) = ts {
            c["lastChat"] = json!({"_id": format!("r-{visitor}"), "ts": ts});
        }
        c
    };
    raw.fake.add_contact_json(doc(json!({
        "_id": "multi", "name": "Multi", "unknown": false,
        "channels": [
            channel("newest", Some("2025-05-26T10:00:00.000Z")),
            channel("older", Some("2025-05-20T10:00:00.000Z")),
            channel("none", None),
            {"name": "api", "visitor": {"visitorId": "api1", "source": {"type": "api"}}}
        ]
    })));
    let (status, body) = raw
        .get("omnichannel/contacts.channels?contactId=multi")
        .await;
    assert_eq!(status, 200);
    let kept: Vec<(&str, &str)> = body["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["visitor"]["visitorId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(kept, [("widget", "newest"), ("api", "api1")]);
}

/// apps/meteor/server/api/lib/parseJsonQuery.ts (11654319): a sort that is not JSON, or has
/// a value other than 1/-1, is 400 `error-invalid-sort` quoting it; JSON that is not an
/// object sorts nothing.
#[tokio::test]
async fn a_bad_sort_is_the_servers_error() {
    let raw = Raw::new().await;
    for sort in [r#"{"name":2}"#, "{name:1}", r#"{"name":"asc"}"#] {
        let query: String = url::form_urlencoded::byte_serialize(sort.as_bytes()).collect();
        let (status, body) = raw
            .get(&format!("omnichannel/contacts.search?sort={query}"))
            .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({
                    "success": false,
                    "error": format!("Invalid sort parameter provided: \"{sort}\" [error-invalid-sort]"),
                    "errorType": "error-invalid-sort",
                    "details": {"helperMethod": "parseJsonQuery"}
                })
            ),
            "{sort}"
        );
    }
    let (status, _) = raw.get("omnichannel/contacts.search?sort=1").await;
    assert_eq!(status, 200);
    let (status, _) = raw
        .get("omnichannel/contacts.search?sort=%7B%22name%22%3A-1%7D")
        .await;
    assert_eq!(status, 200);
}

/// apps/meteor/server/api/ApiClass.ts: `applyBreakingChanges = shouldBreakInVersion('9.0.0')`
/// (an older ApiClass said 8.0.0; `semver.gte`, so only 9.0.0 itself and later): the compat
/// 401 with `status` and `message` up to 8.x, `{success, error}` from 9.0.0.
#[tokio::test]
async fn the_breaking_changes_switch_is_9_0_0() {
    for (version, compat) in [("8.0.0", true), ("8.99.0", true), ("9.0.0", false)] {
        let raw = Raw::version(version).await;
        let (status, body) = raw.send("GET", "/api/v1/me", None, None).await;
        assert_eq!(status, 401);
        assert_eq!(body.get("status").is_some(), compat, "{version}: {body}");
        assert_eq!(body["error"], "You must be logged in to do this.");
    }
}
