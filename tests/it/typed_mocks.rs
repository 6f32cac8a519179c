//! Every typed mock answer decodes into the SDK result it promises.

use std::time::{Duration, SystemTime};

use rocketchat_omnichannel::models::Contact;
use rocketchat_omnichannel::omnichannel::contacts::GetContactError;
use rocketchat_omnichannel::testing::mocks;
use rocketchat_omnichannel::{Client, Credentials, LoginError, ResolveConflictsError};
use wiremock::{Mock, MockServer};

/// A client with a token, pointed at `server`.
fn client_at(server: &MockServer) -> Client {
    Client::builder(server.uri())
        .credentials(Credentials::token("u", "t"))
        .build()
        .unwrap()
}

async fn with(mock: Mock) -> (MockServer, Client) {
    let server = MockServer::start().await;
    mock.mount(&server).await;
    let client = client_at(&server);
    (server, client)
}

type Check = fn(&ResolveConflictsError) -> bool;

async fn resolve(mock: Mock) -> Result<Contact, ResolveConflictsError> {
    let (_server, client) = with(mock).await;
    client
        .resolve_contact_conflicts("c1")
        .wipe_conflicts(true)
        .await
}

#[tokio::test]
async fn resolve_conflicts_answers() {
    let mut contact = Contact::new("c1");
    contact.name = Some("Jane".into());
    contact.created_at = Some("2025-05-26T07:57:49.616Z".parse().unwrap());
    assert_eq!(
        resolve(mocks::resolve_conflicts().respond_with_contact(&contact))
            .await
            .unwrap(),
        contact
    );

    let reset = SystemTime::now() + Duration::from_secs(10);
    let cases: Vec<(Mock, Check)> = vec![
        (
            mocks::resolve_conflicts().respond_with_no_conflicts(),
            |e| matches!(e, ResolveConflictsError::NoConflicts { .. }),
        ),
        (
            mocks::resolve_conflicts().respond_with_contact_not_found(),
            |e| matches!(e, ResolveConflictsError::ContactNotFound { .. }),
        ),
        (
            mocks::resolve_conflicts().respond_with_contact_manager_not_found(),
            |e| matches!(e, ResolveConflictsError::ContactManagerNotFound { .. }),
        ),
        (
            mocks::resolve_conflicts().respond_with_invalid_params("must be boolean"),
            |e| matches!(e, ResolveConflictsError::InvalidParams { response } if response.reason() == Some("must be boolean")),
        ),
        (
            mocks::resolve_conflicts().respond_with_unauthorized(),
            |e| matches!(e, ResolveConflictsError::Unauthorized { .. }),
        ),
        (mocks::resolve_conflicts().respond_with_forbidden(), |e| {
            matches!(e, ResolveConflictsError::Forbidden { .. })
        }),
        (
            mocks::resolve_conflicts().respond_with_rate_limit(reset),
            |e| {
                matches!(
                    e,
                    ResolveConflictsError::RateLimited {
                        retry_at: Some(_),
                        ..
                    }
                )
            },
        ),
        (
            mocks::resolve_conflicts().respond_with_raw(
                502,
                "<html>bad gateway</html>",
                "text/html",
            ),
            |e| {
                e.status().map(|s| s.as_u16()) == Some(502)
                    && matches!(e, ResolveConflictsError::Other(_))
            },
        ),
    ];
    for (mock, check) in cases {
        let error = resolve(mock).await.unwrap_err();
        assert!(check(&error), "{error:?}");
    }
}

#[tokio::test]
async fn for_contact_matches_only_that_contact() {
    let (_server, client) = with(
        mocks::resolve_conflicts()
            .for_contact("other")
            .respond_with_no_conflicts(),
    )
    .await;
    let error = client
        .resolve_contact_conflicts("c1")
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    assert_eq!(
        error.status().unwrap().as_u16(),
        404,
        "wiremock's own 404: the mock did not match"
    );
}

#[tokio::test]
async fn get_contact_answers() {
    let (_s, client) = with(
        mocks::get_contact()
            .for_contact("c1")
            .respond_with_contact(&Contact::new("c1")),
    )
    .await;
    assert_eq!(client.get_contact("c1").await.unwrap().id, "c1");
    let (_s, client) = with(mocks::get_contact().respond_with_not_found()).await;
    assert!(matches!(
        client.get_contact("c1").await.unwrap_err(),
        GetContactError::NotFound { .. }
    ));
}

#[tokio::test]
async fn login_and_me_answers() {
    let me = mocks::user("u1", "agent1");
    let (_s, client) = with(mocks::login().respond_with_session(&me, "new-token")).await;
    let logged_in = client.login("agent1", "pw").await.unwrap();
    assert_eq!(logged_in, me);
    assert_eq!(
        client.credentials().unwrap().auth_token().expose(),
        "new-token"
    );

    let (_s, client) = with(mocks::login().respond_with_two_factor_required()).await;
    let error = client.login("agent1", "pw").await.unwrap_err();
    assert_eq!(
        error
            .two_factor_challenge()
            .unwrap()
            .unwrap()
            .available_methods
            .len(),
        2
    );
    let (_s, client) = with(mocks::login().respond_with_two_factor_invalid()).await;
    assert!(matches!(
        client.login("a", "b").await.unwrap_err(),
        LoginError::TwoFactorInvalid { .. }
    ));
    let (_s, client) = with(mocks::login().respond_with_bad_password()).await;
    assert!(matches!(
        client.login("a", "b").await.unwrap_err(),
        LoginError::Unauthorized { .. }
    ));

    let (_s, client) = with(mocks::me().respond_with_user(&me)).await;
    assert_eq!(client.me().await.unwrap(), me);
    let (_s, client) = with(mocks::me().respond_with_unauthorized()).await;
    assert_eq!(
        client.me().await.unwrap_err().status().unwrap().as_u16(),
        401
    );
}

#[tokio::test]
async fn search_create_and_update_answers() {
    use futures_util::TryStreamExt;
    use rocketchat_omnichannel::omnichannel::contacts::{CreateContactError, UpdateContactError};

    let server = MockServer::start().await;
    mocks::search_contacts()
        .respond_with_page(&[Contact::new("a"), Contact::new("b")], 0, 3)
        .mount(&server)
        .await;
    mocks::search_contacts()
        .respond_with_page(&[Contact::new("c")], 2, 3)
        .mount(&server)
        .await;
    let client = client_at(&server);
    let ids: Vec<String> = client
        .search_contacts()
        .count(2)
        .into_stream()
        .map_ok(|c| c.id.into_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a", "b", "c"]);

    let (_s, client) =
        with(mocks::search_contacts().respond_with_contacts(&[Contact::new("x")])).await;
    assert_eq!(client.search_contacts().await.unwrap().total, 1);

    let (_s, client) = with(mocks::create_contact().respond_with_id("new-id")).await;
    assert_eq!(client.create_contact("Jane").await.unwrap(), "new-id");
    let (_s, client) = with(mocks::create_contact().respond_with_contact_manager_not_found()).await;
    let error = client
        .create_contact("Jane")
        .contact_manager("x")
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        CreateContactError::ContactManagerNotFound { .. }
    ));

    let (_s, client) = with(
        mocks::update_contact()
            .for_contact("c1")
            .respond_with_contact(&Contact::new("c1")),
    )
    .await;
    assert_eq!(
        client.update_contact("c1").name("J").await.unwrap().id,
        "c1"
    );
    let (_s, client) = with(mocks::update_contact().respond_with_contact_not_found()).await;
    let error = client.update_contact("c1").name("J").await.unwrap_err();
    assert!(matches!(error, UpdateContactError::ContactNotFound { .. }));
}

/// `resolve_all` walks both listings; a search mock per listing counts each contact once
/// (issue 24 #6: a mock that answered both alike made `seen: 4` of 2 contacts).
#[tokio::test]
async fn search_mocks_match_the_listing_so_a_run_meets_each_contact_once() {
    use rocketchat_omnichannel::models::{ConflictField, ConflictingField};
    use rocketchat_omnichannel::workflow::Policy;

    let conflicted = |id: &str| {
        let mut contact = Contact::new(id);
        contact.name = Some("Jane".into());
        contact.conflicting_fields = vec![ConflictingField::new(ConflictField::Name, "J.")];
        contact
    };
    let server = MockServer::start().await;
    mocks::search_contacts()
        .unknown(false)
        .respond_with_contacts(&[conflicted("a"), conflicted("b")])
        .mount(&server)
        .await;
    mocks::search_contacts()
        .unknown(true)
        .respond_with_contacts(&[])
        .mount(&server)
        .await;
    mocks::search_contacts()
        .search_text("nobody")
        .respond_with_contacts(&[])
        .with_priority(1)
        .mount(&server)
        .await;
    for id in ["a", "b"] {
        mocks::resolve_conflicts()
            .for_contact(id)
            .respond_with_contact(&Contact::new(id))
            .mount(&server)
            .await;
    }
    let client = client_at(&server);
    use futures_util::TryStreamExt;
    let listed: Vec<Contact> = client
        .conflicted_contacts(None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2, "each listing answered by its own mock");
    let summary = client.resolve_all(Policy::keep_current()).run().await;
    assert_eq!((summary.seen, summary.resolved), (2, 2), "{summary:?}");
    let found = client
        .search_contacts()
        .search_text("nobody")
        .await
        .unwrap();
    assert_eq!(found.total, 0, "the searchText mock answered");
}
