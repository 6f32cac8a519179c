//! The other contact endpoints against wiremock: request shape and decoding, one test each.

use crate::common::{TOKEN, USER_ID, client, fixture};
use futures_util::TryStreamExt;
use rocketchat_omnichannel::omnichannel::contacts::{
    CheckExistenceError, ContactHistoryError, ContactLookup, CreateContactError, SortOrder,
    UpdateContactError,
};
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn json(status: u16, file: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(file), "application/json")
}

#[tokio::test]
async fn search_sends_its_options_and_decodes_a_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.search"))
        .and(header("x-user-id", USER_ID))
        .and(header("x-auth-token", TOKEN))
        .and(query_param("searchText", "ana & co"))
        .and(query_param("unknown", "false"))
        // Sent as asked: the server applies its own cap (API_Upper_Count_Limit).
        .and(query_param("count", "500"))
        .and(query_param("offset", "10"))
        .and(query_param("sort", r#"{"_updatedAt":-1}"#))
        .respond_with(json(200, "contacts.search/page.json"))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server.uri())
        .search_contacts()
        .search_text("ana & co")
        .unknown(false)
        .count(500)
        .offset(10)
        .sort_by("_updatedAt", SortOrder::Descending)
        .await
        .unwrap();
    // The offset is the one asked for, not the echo (the fixture says 0).
    assert_eq!((page.count, page.offset, page.total), (2, 10, 2));
    assert!(page.items[0].has_conflicts());
    assert_eq!(page.items[1].phones[0].phone_number, "+5581999990000");
}

#[tokio::test]
async fn search_stream_walks_every_page_and_stops_at_total() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.search"))
        .respond_with(|request: &Request| {
            let offset: usize = request
                .url
                .query_pairs()
                .find(|(k, _)| k == "offset")
                .map_or(0, |(_, v)| v.parse().unwrap());
            let count: usize = request.url.query_pairs().find(|(k, _)| k == "count").unwrap().1.parse().unwrap();
            let contacts: Vec<_> = (offset..(offset + count).min(7))
                .map(|i| serde_json::json!({"_id": format!("c{i}")}))
                .collect();
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "contacts": contacts, "count": contacts.len(), "offset": offset, "total": 7, "success": true
            }))
        })
        .expect(3)
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
    assert_eq!(ids, ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]);
}

#[tokio::test]
async fn create_sends_required_lists_and_returns_the_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/omnichannel/contacts"))
        .and(body_string(r#"{"name":"Jane Doe","emails":["jane@example.com"],"phones":[],"customFields":{"cpf":"1"}}"#))
        .respond_with(json(200, "contacts.create/created.json"))
        .expect(1)
        .mount(&server)
        .await;
    let id = client(&server.uri())
        .create_contact("Jane Doe")
        .email("jane@example.com")
        .custom_field("cpf", "1")
        .await
        .unwrap();
    assert_eq!(id, "68341efdd387e3d7509267fb");
}

#[tokio::test]
async fn create_reports_a_bad_manager() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(
            400,
            "contacts.conflicts/contact_manager_not_found.json",
        ))
        .mount(&server)
        .await;
    let error = client(&server.uri())
        .create_contact("J")
        .contact_manager("x")
        .await
        .unwrap_err();
    assert!(
        matches!(error, CreateContactError::ContactManagerNotFound { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn update_reads_the_contact_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/omnichannel/contacts.update"))
        .and(body_string(r#"{"contactId":"c-1","emails":["ana@example.com","ana@work.example"],"wipeConflicts":true}"#))
        .respond_with(json(200, "contacts.update/updated.json"))
        .expect(1)
        .mount(&server)
        .await;
    let contact = client(&server.uri())
        .update_contact("c-1")
        .emails(["ana@example.com", "ana@work.example"])
        .wipe_conflicts(true)
        .await
        .unwrap();
    assert_eq!(contact.emails.len(), 2);
}

#[tokio::test]
async fn update_of_an_unknown_contact() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(400, "contacts.conflicts/contact_not_found.json"))
        .mount(&server)
        .await;
    let error = client(&server.uri())
        .update_contact("gone")
        .name("X")
        .await
        .unwrap_err();
    assert!(
        matches!(error, UpdateContactError::ContactNotFound { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn check_existence_by_each_key() {
    let server = MockServer::start().await;
    for (key, value) in [
        ("contactId", "c-1"),
        ("email", "a@example.com"),
        ("phone", "+55 81"),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/v1/omnichannel/contacts.checkExistence"))
            .and(query_param(key, value))
            .respond_with(json(200, "contacts.checkExistence/exists.json"))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server.uri());
    for lookup in [
        ContactLookup::id("c-1"),
        ContactLookup::email("a@example.com"),
        ContactLookup::phone("+55 81"),
    ] {
        assert!(client.contact_exists(lookup).await.unwrap());
    }
    let empty = client
        .contact_exists(ContactLookup::email(" "))
        .await
        .unwrap_err();
    assert!(matches!(empty, CheckExistenceError::Other(_)));
}

#[tokio::test]
async fn check_existence_invalid_params() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json(400, "contacts.checkExistence/invalid.json"))
        .mount(&server)
        .await;
    let error = client(&server.uri())
        .contact_exists(ContactLookup::id("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, CheckExistenceError::InvalidParams { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn channels_decode() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.channels"))
        .and(query_param("contactId", "c-1"))
        .respond_with(json(200, "contacts.channels/channels.json"))
        .mount(&server)
        .await;
    let channels = client(&server.uri()).contact_channels("c-1").await.unwrap();
    assert_eq!(channels[0].verified, Some(true));
    assert!(channels[0].verified_at.is_some());
}

#[tokio::test]
async fn history_pages_and_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.history"))
        .and(query_param("contactId", "c-1"))
        .and(query_param("source", "widget"))
        .respond_with(json(200, "contacts.history/page.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/omnichannel/contacts.history"))
        .and(query_param("contactId", "gone"))
        .respond_with(json(400, "contacts.conflicts/contact_not_found.json"))
        .mount(&server)
        .await;
    let client = client(&server.uri());
    let page = client
        .contact_history("c-1")
        .source("widget")
        .await
        .unwrap();
    assert_eq!(page.items[0].id, "r1");
    assert!(page.items[0].closed_at.is_some());
    let all: Vec<_> = client
        .contact_history("c-1")
        .source("widget")
        .into_stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    let error = client.contact_history("gone").await.unwrap_err();
    assert!(
        matches!(error, ContactHistoryError::ContactNotFound { .. }),
        "{error:?}"
    );
}
