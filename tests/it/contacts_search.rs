//! `contacts.search` as 7.x and 8.x servers send it: the contact manager as a string, as the
//! `{_id, name, username}` object of `ILivechatContactWithManagerData`
//! (`apps/meteor/app/livechat/server/lib/contacts/getContacts.ts`) or left out; `count`
//! echoing the requested page size; and a missing `total`.

use crate::common::{client, fixture};
use futures_util::{StreamExt, TryStreamExt};
use rocketchat_omnichannel::models::ConflictField;
use rocketchat_omnichannel::omnichannel::contacts::SearchContactsError;
use rocketchat_omnichannel::workflow::Policy;
use rocketchat_omnichannel::{Client, ErrorKind};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn serving(file: &str) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.search"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture(file), "application/json"))
        .mount(&server)
        .await;
    let client = client(&server.uri());
    (server, client)
}

#[tokio::test]
async fn an_8x_page_with_the_manager_object_decodes() {
    let (_server, client) = serving("contacts.search/v8_manager_object.json").await;
    let page = client.search_contacts().await.unwrap();
    assert_eq!((page.items.len(), page.count, page.total), (2, 2, 2));
    let manager = page.items[0].contact_manager.as_ref().unwrap();
    assert_eq!(manager.id(), "agentUserId01");
    assert_eq!(manager.name(), Some("Agent One"));
    assert_eq!(manager.username(), Some("agent.one"));
    assert!(page.items[1].contact_manager.is_none());
    // The manager conflict compares against the id, and a plan sends ids.
    let conflicts = page.items[0].conflicts();
    assert_eq!(conflicts[1].field, ConflictField::Manager);
    assert_eq!(conflicts[1].current.as_ref().unwrap(), "agentUserId01");
    let plan = Policy::keep_current().plan(&page.items[0]);
    let body = plan.request(&client).to_json().unwrap();
    assert_eq!(
        body,
        r#"{"contactId":"6841a1f0c3d2b1a0e9f8d7c6","name":"Ana Lima","contactManager":"agentUserId01"}"#
    );
    // Serialised back, the manager is the bare id the server stores.
    let json = serde_json::to_value(&page.items[0]).unwrap();
    assert_eq!(json["contactManager"], "agentUserId01");
}

#[tokio::test]
async fn a_7x_page_with_the_manager_string_and_null_lists_decodes() {
    let (_server, client) = serving("contacts.search/v7_manager_string.json").await;
    let page = client.search_contacts().await.unwrap();
    let ana = &page.items[0];
    assert_eq!(ana.contact_manager.as_ref().unwrap(), "agentUserId01");
    assert_eq!(ana.contact_manager.as_ref().unwrap().username(), None);
    assert!(
        !ana.has_conflicts(),
        "`conflictingFields: null` reads as none"
    );
    assert!(page.items[1].contact_manager.is_none(), "null manager");
    assert!(page.items[1].has_conflicts());
}

#[tokio::test]
async fn a_missing_manager_or_user_name_decodes() {
    let (_server, client) = serving("contacts.search/manager_missing.json").await;
    let page = client.search_contacts().await.unwrap();
    assert_eq!(page.count, 2, "the items, not the echoed page size (25)");
    let carla = &page.items[0];
    assert!(carla.contact_manager.is_none());
    assert_eq!(carla.conflicts()[0].current, None);
    let davi = page.items[1].contact_manager.as_ref().unwrap();
    assert_eq!((davi.id().as_str(), davi.name()), ("agentUserId04", None));
    assert_eq!(davi.username(), Some("agent.four"));
}

#[tokio::test]
async fn a_missing_total_is_an_error_not_a_silent_stop() {
    let (_server, client) = serving("contacts.search/missing_total.json").await;
    let error = client.search_contacts().await.unwrap_err();
    let SearchContactsError::Other(error) = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(error.kind(), ErrorKind::Decode { .. }),
        "{error:?}"
    );
    let cause = std::error::Error::source(error).expect("the decode error");
    assert!(
        cause.to_string().contains("missing field `total`"),
        "{cause}"
    );
    let items: Vec<_> = client.search_contacts().into_stream().collect().await;
    assert_eq!(items.len(), 1);
    assert!(items[0].is_err());
}

/// Answers like Rocket.Chat: `count` is the requested page size, `offset` the requested one,
/// and the page at offset 3 comes back one short (a contact deleted meanwhile) while `total`
/// still says more remain.
fn paging_server_answer(request: &Request) -> ResponseTemplate {
    let param = |key: &str| {
        request
            .url
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.parse::<usize>().unwrap())
    };
    let offset = param("offset").unwrap_or(0);
    let count = param("count").unwrap_or(50);
    let end = (offset + count).min(10);
    let mut ids: Vec<usize> = (offset..end).collect();
    if offset == 3 {
        ids.pop();
    }
    let contacts: Vec<_> = ids
        .iter()
        .map(|i| serde_json::json!({"_id": format!("c{i}"), "contactManager": {"_id": "u1", "username": "u"}}))
        .collect();
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "contacts": contacts, "count": count, "offset": offset, "total": 10, "success": true
    }))
}

#[tokio::test]
async fn a_short_page_does_not_end_the_stream_and_offsets_follow_the_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.search"))
        .respond_with(paging_server_answer)
        .mount(&server)
        .await;
    let ids: Vec<String> = client(&server.uri())
        .search_contacts()
        .count(3)
        .into_stream()
        .map_ok(|c| c.id.into_string())
        .try_collect()
        .await
        .unwrap();
    // The page at 3 held only c3 and c4; the walk went on from 5, not from the echo.
    assert_eq!(
        ids,
        ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]
    );
    let offsets: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "offset")
                .map_or("0".to_owned(), |(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(offsets, ["0", "3", "5", "8"]);
}

#[tokio::test]
async fn the_stream_can_be_moved_into_a_spawned_task() {
    let (_server, client) = serving("contacts.search/v8_manager_object.json").await;
    let stream = client.search_contacts().into_stream();
    drop(client);
    let count = tokio::spawn(async move { stream.count().await })
        .await
        .unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn a_page_size_of_zero_is_refused_and_a_large_one_sent_as_given() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.search"))
        .respond_with(paging_server_answer)
        .mount(&server)
        .await;
    let client = client(&server.uri());
    let error = client.search_contacts().count(0).await.unwrap_err();
    let SearchContactsError::Other(error) = error else {
        panic!("a validation error: {error:?}")
    };
    assert!(
        matches!(error.kind(), ErrorKind::Validation { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("count 0"), "{error}");
    assert!(server.received_requests().await.unwrap().is_empty());
    // The server caps what it sends; the SDK does not shrink the request behind the
    // caller's back.
    client.search_contacts().count(500).await.unwrap();
    let sent = server.received_requests().await.unwrap();
    assert!(
        sent[0].url.query().unwrap().contains("count=500"),
        "{}",
        sent[0].url
    );
}
