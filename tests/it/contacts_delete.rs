//! `contacts.delete` (Rocket.Chat 7.11+): the request the SDK sends and every answer it
//! classifies, against wiremock and the typed mocks.

use rocketchat_omnichannel::omnichannel::contacts::DeleteContactError;
use rocketchat_omnichannel::testing::mocks;
use rocketchat_omnichannel::{Client, Credentials};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn with(mock: Mock) -> (MockServer, Client) {
    let server = MockServer::start().await;
    mock.mount(&server).await;
    let client = Client::builder(server.uri())
        .credentials(Credentials::token("u", "t"))
        .build()
        .unwrap();
    (server, client)
}

#[tokio::test]
async fn delete_posts_the_contact_id_and_reads_success() {
    let (server, client) = with(
        Mock::given(method("POST"))
            .and(path("/api/v1/omnichannel/contacts.delete"))
            .and(header("x-user-id", "u"))
            .and(body_json(serde_json::json!({"contactId": "c1"})))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(r#"{"success":true}"#, "application/json"),
            )
            .expect(1),
    )
    .await;
    client.delete_contact("c1").await.unwrap();
    server.verify().await;
}

#[tokio::test]
async fn every_typed_answer_maps_to_its_variant() {
    type Check = fn(&DeleteContactError) -> bool;
    let cases: Vec<(wiremock::Mock, Check)> = vec![
        (
            mocks::delete_contact().respond_with_contact_not_found(),
            |e| matches!(e, DeleteContactError::ContactNotFound { .. }),
        ),
        (
            mocks::delete_contact().respond_with_route_missing(),
            |e| route_missing(e),
        ),
        (
            mocks::delete_contact().respond_with_forbidden(),
            |e| matches!(e, DeleteContactError::Forbidden { .. }),
        ),
        (
            mocks::delete_contact().respond_with_unauthorized(),
            |e| matches!(e, DeleteContactError::Unauthorized { .. }),
        ),
        (
            mocks::delete_contact().respond_with_invalid_params("must be string"),
            |e| matches!(e, DeleteContactError::InvalidParams { .. }),
        ),
        (
            // The new-style route's validator: `errorType` but no suffix in `error`.
            mocks::delete_contact().respond(ResponseTemplate::new(400).set_body_raw(
                r#"{"success":false,"error":"must have required property 'contactId'","errorType":"invalid-params"}"#,
                "application/json",
            )),
            |e| matches!(e, DeleteContactError::InvalidParams { .. }),
        ),
        (
            mocks::delete_contact().respond_with_raw(502, "<html>bad gateway</html>", "text/html"),
            |e| matches!(e, DeleteContactError::Other(_)) && e.is_retryable(),
        ),
    ];
    for (mock, check) in cases {
        let (server, client) = with(mock).await;
        // A missing route is told by the server's version (7.10 lacks contacts.delete).
        mocks::server_info()
            .respond_with_version("7.10")
            .mount(&server)
            .await;
        let error = client.delete_contact("c1").await.unwrap_err();
        assert!(check(&error), "{error:?}");
    }
}

#[tokio::test]
async fn the_mock_matches_only_its_contact() {
    let (_server, client) = with(
        mocks::delete_contact()
            .for_contact("c1")
            .respond_with_deleted(),
    )
    .await;
    client.delete_contact("c1").await.unwrap();
    let other = client.delete_contact("c2").await.unwrap_err();
    assert_eq!(other.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn an_empty_id_is_refused_before_sending() {
    let (server, client) = with(mocks::delete_contact().respond_with_deleted().expect(0)).await;
    let error = client.delete_contact(" ").await.unwrap_err();
    assert!(matches!(error, DeleteContactError::Other(_)), "{error:?}");
    assert!(error.to_string().contains("empty"), "{error}");
    server.verify().await;
}

/// A 404 from a server without the route, reported as the version-naming error.
fn route_missing(error: &DeleteContactError) -> bool {
    matches!(error, DeleteContactError::Other(inner)
        if matches!(inner.kind(), rocketchat_omnichannel::ErrorKind::EndpointMissing { .. }))
}
