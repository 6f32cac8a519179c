//! The SDK end to end against the fake playing several Rocket.Chat releases: every contact
//! route the release has works through the SDK, and the routes it lacks fail as on that
//! release.

use rocketchat_omnichannel::omnichannel::contacts::{ContactLookup, DeleteContactError};
use rocketchat_omnichannel::testing::{CustomField, FakeRocketChat, FakeUser, Visitor};
use rocketchat_omnichannel::{Client, ResolveConflictsError};

async fn fake(version: &str) -> (FakeRocketChat, Client) {
    let fake = FakeRocketChat::builder()
        .version(version)
        .unwrap()
        .custom_field(CustomField::new("cpf").label("CPF"))
        .start()
        .await
        .unwrap();
    let manager = fake.add_user(FakeUser::agent("lead").role("livechat-manager"));
    let client = fake.client_for(&manager).unwrap();
    (fake, client)
}

/// What every release from 7.0 serves: create, get, update, search, history, channels.
async fn common_routes(fake: &FakeRocketChat, client: &Client, version: &str) {
    let id = client
        .create_contact("Jane Doe")
        .email("jane@example.com")
        .phone("+5511999990000")
        .custom_field("cpf", "123")
        .await
        .unwrap_or_else(|e| panic!("{version}: {e}"));
    let contact = client.get_contact(id.clone()).await.unwrap();
    assert_eq!(contact.name.as_deref(), Some("Jane Doe"), "{version}");
    let updated = client
        .update_contact(id.clone())
        .name("Jane Roe")
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Jane Roe"), "{version}");
    // Contacts without a manager read the same on every release (the manager's shape in a
    // search answer changes, see tests/fake_semantics.rs).
    let page = client.search_contacts().search_text("roe").await.unwrap();
    assert_eq!((page.total, page.items.len()), (1, 1), "{version}");
    assert_eq!(page.items[0].id, id, "{version}");
    fake.merge_visitor(&id, Visitor::new().name("J."));
    let history = client.contact_history(id.clone()).await.unwrap();
    assert_eq!(history.total, 1, "{version}");
}

#[tokio::test]
async fn a_7_6_server_has_no_conflicts_route() {
    let (fake, client) = fake("7.6.0").await;
    common_routes(&fake, &client, "7.6.0").await;
    let id = fake.add_contact_named("Ana");
    assert!(
        client
            .contact_exists(ContactLookup::id(id.as_str()))
            .await
            .unwrap()
    );
    let error = client
        .resolve_contact_conflicts(id.clone())
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error:?}");
    assert!(
        matches!(error, ResolveConflictsError::Other(_)),
        "{error:?}"
    );
    let error = client.delete_contact(id).await.unwrap_err();
    assert!(route_missing(&error), "{error:?}");
}

#[tokio::test]
async fn a_7_7_server_resolves_but_cannot_delete() {
    let (fake, client) = fake("7.7.0").await;
    common_routes(&fake, &client, "7.7.0").await;
    let id = fake.add_contact_named("Ana");
    fake.merge_visitor(&id, Visitor::new().name("Ana Paula"));
    let resolved = client
        .resolve_contact_conflicts(id.clone())
        .name("Ana Paula")
        .await
        .unwrap();
    assert!(resolved.conflicting_fields.is_empty());
    let error = client.delete_contact(id).await.unwrap_err();
    assert!(route_missing(&error), "{error:?}");
}

#[tokio::test]
async fn the_newest_server_resolves_and_deletes() {
    let (fake, client) = fake("8.8.0").await;
    common_routes(&fake, &client, "8.8.0").await;
    let id = fake.add_contact_named("Ana");
    fake.merge_visitor(&id, Visitor::new().name("Ana Paula"));
    client
        .resolve_contact_conflicts(id.clone())
        .wipe_conflicts(true)
        .await
        .unwrap();
    client.delete_contact(id.clone()).await.unwrap();
    let error = client.delete_contact(id).await.unwrap_err();
    assert!(
        matches!(error, DeleteContactError::ContactNotFound { .. }),
        "{error:?}"
    );
}

/// A 404 from a server without the route, reported as the version-naming error.
fn route_missing(error: &DeleteContactError) -> bool {
    matches!(error, DeleteContactError::Other(inner)
        if matches!(inner.kind(), rocketchat_omnichannel::ErrorKind::EndpointMissing { .. }))
}

/// The bulk run sends through the single call's request, so a server without the route is
/// diagnosed by version in `resolve_all` too (it used to be a bare 404 per contact).
#[tokio::test]
async fn resolve_all_on_7_6_names_the_missing_route_and_its_version() {
    let (fake, client) = fake("7.6.0").await;
    let id = fake.add_contact_named("Jane Doe");
    fake.merge_visitor(&id, Visitor::new().name("Jane D."));
    let outcomes: Vec<rocketchat_omnichannel::workflow::Outcome> =
        futures_util::StreamExt::collect(
            client
                .resolve_all(rocketchat_omnichannel::workflow::Policy::take_incoming())
                .into_stream(),
        )
        .await;
    let failure = outcomes
        .iter()
        .find_map(|o| match o {
            rocketchat_omnichannel::workflow::Outcome::Failed { error, .. } => Some(error),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{outcomes:?}"));
    match failure {
        ResolveConflictsError::Other(inner) => match inner.kind() {
            rocketchat_omnichannel::ErrorKind::EndpointMissing {
                endpoint, since, ..
            } => {
                assert_eq!(*endpoint, "omnichannel/contacts.conflicts");
                assert_eq!(*since, "7.7.0");
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

/// A failure that concerns the whole run is sent once, not once per contact: on a 7.6
/// server (no `contacts.conflicts`) a run over 20 conflicted contacts sends one POST, stops,
/// and its summary says why (issue 20 #5: it sent 20).
#[tokio::test]
async fn a_missing_route_stops_the_run_after_one_call() {
    use rocketchat_omnichannel::workflow::{Outcome, Policy};

    let (fake, client) = fake("7.6.0").await;
    for i in 0..20 {
        let id = fake.add_contact_named(&format!("Person {i:02}"));
        fake.merge_visitor(&id, Visitor::new().name(&format!("P. {i:02}")));
    }
    let mut stream = client
        .resolve_all(Policy::take_incoming())
        .concurrency(1)
        .into_stream();
    let mut outcomes = Vec::new();
    while let Some(outcome) = futures_util::StreamExt::next(&mut stream).await {
        outcomes.push(outcome);
    }
    let summary = stream.summary();
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("contacts.conflicts"))
        .count();
    assert_eq!(posts, 1, "{outcomes:?}");
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(matches!(outcomes[0], Outcome::Failed { .. }));
    let halted = summary.halted.clone().expect("the summary names the cause");
    assert!(halted.contains("7.7.0"), "{halted}");
    assert!(!summary.complete && !summary.is_clean(), "{summary:?}");
    assert!(
        summary.to_string().contains("the run stopped: "),
        "{summary}"
    );
}

/// Issue 37 #1 and #2: queries are parsed as `qs` does and each release validates with its
/// own `@rocket.chat/rest-typings` (`schemas-by-release.json`).
#[tokio::test]
async fn each_release_parses_and_validates_queries_as_it_did() {
    let newest = crate::common::fake_http::Raw::new().await;
    let id = newest.fake.add_contact_named("Jane");
    // 8.6 and later: a one-item list is its item (`ajvQuery`, `coerceTypes: "array"`).
    let (status, body) = newest
        .get(&format!("omnichannel/contacts.get?contactId[]={id}"))
        .await;
    assert_eq!(status, 200, "{body}");
    // 8.0: the same list is not a string.
    let release_8 = crate::common::fake_http::Raw::version("8.0.0").await;
    let (status, body) = release_8
        .get("omnichannel/contacts.get?contactId[]=x")
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "must be string [invalid-params]", "{body}");
    // 7.0.0: no `unknown` on search, no contacts.channels.
    let release_7 = crate::common::fake_http::Raw::version("7.0.0").await;
    let (status, body) = release_7
        .get("omnichannel/contacts.search?unknown=false")
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"], "must NOT have additional properties [invalid-params]",
        "{body}"
    );
    let (status, _) = release_7.get("omnichannel/contacts.search?count=1").await;
    assert_eq!(status, 200);
    let url = format!(
        "{}/api/v1/omnichannel/contacts.channels?contactId=x",
        release_7.fake.uri()
    );
    let answer = release_7
        .http
        .get(url)
        .header("x-user-id", &release_7.agent.0)
        .header("x-auth-token", &release_7.agent.1)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 404);
}

/// Issue 37 #3: 7.x validated before it checked permissions (`ApiClass.ts` at e5433893 and
/// 019378e3), so a bad body from a user without the permission is a 400 there and a 403 from
/// 8.0 (2e2355e7).
#[tokio::test]
async fn a_bad_body_without_the_permission_is_400_in_7x_and_403_after() {
    for (version, status) in [("7.10.0", 400), ("8.0.0", 403)] {
        let raw = crate::common::fake_http::Raw::version(version).await;
        let plain = raw.fake.add_user(FakeUser::new("plain").id("plain"));
        let token = raw.fake.personal_access_token(&plain);
        let who = (plain.to_string(), token.auth_token().expose().to_owned());
        let (got, body) = raw
            .post_as(
                &who,
                "omnichannel/contacts.update",
                serde_json::json!({"name": "no contactId"}),
            )
            .await;
        assert_eq!(got, status, "{version}: {body}");
        // A valid body is 403 in both.
        let (got, _) = raw
            .post_as(
                &who,
                "omnichannel/contacts.update",
                serde_json::json!({"contactId": "c1"}),
            )
            .await;
        assert_eq!(got, 403, "{version}");
    }
}

/// Issue 37 #4: the newest `contacts.delete` (apps/meteor/server/api/v1/omnichannel/
/// contact.ts at 4dda5476) answers 400 `error-contact-not-found`; the route before it, 404.
#[tokio::test]
async fn deleting_an_unknown_contact_is_404_before_and_400_on_the_newest() {
    for (version, status) in [("7.11.0", 404), ("8.8.0", 400)] {
        let (_fake, client) = fake(version).await;
        let error = client.delete_contact("nobody").await.unwrap_err();
        assert!(
            matches!(error, DeleteContactError::ContactNotFound { .. }),
            "{version}: {error:?}"
        );
        assert_eq!(
            error.status().map(|s| s.as_u16()),
            Some(status),
            "{version}"
        );
    }
}
