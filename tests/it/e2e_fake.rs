//! The SDK end to end against the fake server: sessions, the resolve call and every typed
//! error, fault injection, timeouts and retries.

use std::time::{Duration, Instant};

use rocketchat_omnichannel::models::ConflictField;
use rocketchat_omnichannel::omnichannel::contacts::GetContactError;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat, FakeUser, Fault};
use rocketchat_omnichannel::{
    Client, ContactId, ErrorKind, LoginError, ResolveConflictsError, RetryPolicy,
};

async fn demo() -> FakeRocketChat {
    FakeRocketChat::builder().demo_data().start().await.unwrap()
}

fn jane() -> ContactId {
    ContactId::from(DemoData::CONTACT_ID)
}

async fn agent(fake: &FakeRocketChat) -> Client {
    let client = fake.client_builder().build().unwrap();
    client
        .login(DemoData::AGENT_USERNAME, DemoData::AGENT_PASSWORD)
        .await
        .unwrap();
    client
}

#[tokio::test]
async fn find_decide_resolve() {
    let fake = demo().await;
    let client = agent(&fake).await;
    let contact = client.get_contact(jane()).await.unwrap();
    let fields: Vec<_> = contact
        .conflicting_fields
        .iter()
        .map(|c| c.field.clone())
        .collect();
    assert_eq!(
        fields,
        [
            ConflictField::Name,
            ConflictField::Manager,
            ConflictField::CustomField("cpf".into())
        ]
    );

    let resolved = client
        .resolve_contact_conflicts(contact.id.clone())
        .name("Jane Doe")
        .contact_manager(DemoData::SECOND_AGENT_ID)
        .custom_field("cpf", "123.456.789-99")
        .await
        .unwrap();
    assert!(resolved.conflicting_fields.is_empty());
    assert_eq!(
        resolved.contact_manager.as_ref().unwrap(),
        DemoData::SECOND_AGENT_ID
    );
    assert_eq!(resolved.custom_fields["cpf"], "123.456.789-99");
    assert_eq!(resolved.custom_fields["city"], "Recife");
    assert_eq!(
        fake.contact(&jane()).unwrap(),
        resolved,
        "the fake stored what it returned"
    );

    let again = client
        .resolve_contact_conflicts(jane())
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    assert!(
        matches!(again, ResolveConflictsError::NoConflicts { .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn every_typed_error_from_the_fake() {
    let fake = demo().await;
    let client = agent(&fake).await;
    let not_found = client
        .resolve_contact_conflicts("nope")
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    assert!(
        matches!(not_found, ResolveConflictsError::ContactNotFound { .. }),
        "{not_found:?}"
    );
    let manager = client
        .resolve_contact_conflicts(jane())
        .contact_manager(DemoData::AGENT_USERNAME)
        .await
        .unwrap_err();
    assert!(
        matches!(
            manager,
            ResolveConflictsError::ContactManagerNotFound { .. }
        ),
        "{manager:?}"
    );
    let clean = client
        .resolve_contact_conflicts(DemoData::CLEAN_CONTACT_ID)
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    assert!(
        matches!(clean, ResolveConflictsError::NoConflicts { .. }),
        "{clean:?}"
    );
    let missing = client.get_contact("nope").await.unwrap_err();
    assert!(
        matches!(missing, GetContactError::NotFound { .. }),
        "{missing:?}"
    );

    let viewer = fake.client_builder().build().unwrap();
    viewer
        .login(DemoData::VIEWER_USERNAME, DemoData::VIEWER_PASSWORD)
        .await
        .unwrap();
    let forbidden = viewer
        .resolve_contact_conflicts(jane())
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    assert!(
        matches!(forbidden, ResolveConflictsError::Forbidden { .. }),
        "{forbidden:?}"
    );

    let stranger = Client::builder(fake.uri())
        .credentials(rocketchat_omnichannel::Credentials::token(
            "someone",
            "bad-token",
        ))
        .build()
        .unwrap();
    let unauthorized = stranger
        .resolve_contact_conflicts(jane())
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    assert!(
        matches!(unauthorized, ResolveConflictsError::Unauthorized { .. }),
        "{unauthorized:?}"
    );

    fake.set_rate_limit(Some((1, Duration::from_secs(60))));
    let _ = client.resolve_contact_conflicts("nope").await;
    let limited = client.resolve_contact_conflicts("nope").await.unwrap_err();
    let ResolveConflictsError::RateLimited { retry_at, .. } = limited else {
        panic!("{limited:?}")
    };
    let wait = retry_at
        .unwrap()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(wait > Duration::from_secs(55), "{wait:?}");
}

#[tokio::test]
async fn two_factor_login_against_the_fake() {
    let fake = demo().await;
    let client = fake.client_builder().build().unwrap();
    let error = client
        .login(DemoData::SUPERVISOR_USERNAME, DemoData::SUPERVISOR_PASSWORD)
        .await
        .unwrap_err();
    assert!(
        matches!(error, LoginError::TwoFactorRequired { .. }),
        "{error:?}"
    );
    let wrong = client
        .login(DemoData::SUPERVISOR_USERNAME, DemoData::SUPERVISOR_PASSWORD)
        .two_factor_code("000000")
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, LoginError::TwoFactorInvalid { .. }),
        "{wrong:?}"
    );
    let ok = client
        .login(DemoData::SUPERVISOR_USERNAME, DemoData::SUPERVISOR_PASSWORD)
        .two_factor_code(DemoData::SUPERVISOR_TOTP)
        .await
        .unwrap();
    assert_eq!(ok.username.as_deref(), Some(DemoData::SUPERVISOR_USERNAME));
    // The supervisor (livechat-manager) may resolve.
    client
        .resolve_contact_conflicts(jane())
        .wipe_conflicts(true)
        .await
        .unwrap();
}

#[tokio::test]
async fn logout_revokes_the_session_on_the_server() {
    let fake = demo().await;
    let client = agent(&fake).await;
    let credentials = client.credentials().unwrap();
    client.logout().await.unwrap();
    let reused = Client::builder(fake.uri())
        .credentials(credentials)
        .build()
        .unwrap();
    let error = reused.me().await.unwrap_err();
    assert_eq!(error.status().unwrap().as_u16(), 401);
}

#[tokio::test]
async fn a_personal_access_token_survives_logout() {
    let fake = demo().await;
    let agent = fake.add_user(FakeUser::agent("bot").password("pw"));
    let client = fake.client_for(&agent).unwrap();
    let credentials = client.credentials().unwrap();
    client.logout().await.unwrap();
    let again = Client::builder(fake.uri())
        .credentials(credentials)
        .build()
        .unwrap();
    assert_eq!(again.me().await.unwrap().id, agent);
}

#[tokio::test]
async fn faults_become_typed_errors() {
    let fake = demo().await;
    // The normal call timeout, so that only the injected delay below can time out, however
    // busy the machine is.
    let client = fake
        .client_builder()
        .credentials(fake.personal_access_token(&DemoData::AGENT_ID.into()))
        .build()
        .unwrap();

    fake.inject_faults(1, Fault::html(502));
    let error = client.get_contact(jane()).await.unwrap_err();
    let GetContactError::Other(inner) = &error else {
        panic!("{error:?}")
    };
    assert!(
        matches!(inner.kind(), ErrorKind::UnexpectedResponse(api) if api.status().as_u16() == 502)
    );

    fake.inject_faults(1, Fault::drop_connection());
    let error = client.get_contact(jane()).await.unwrap_err();
    let GetContactError::Other(inner) = &error else {
        panic!("{error:?}")
    };
    assert!(matches!(inner.kind(), ErrorKind::Transport), "{inner:?}");

    fake.inject_faults(1, Fault::truncated_body());
    let error = client.get_contact(jane()).await.unwrap_err();
    let GetContactError::Other(inner) = &error else {
        panic!("{error:?}")
    };
    assert!(
        matches!(inner.kind(), ErrorKind::Decode { .. }),
        "{inner:?}"
    );

    // A short timeout against a delay far longer than any scheduling hiccup: ending well before
    // the delay proves the timeout fired, with room for a slow timer on a loaded machine.
    let impatient = fake
        .client_builder()
        .credentials(fake.personal_access_token(&DemoData::AGENT_ID.into()))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    fake.inject_faults(1, Fault::delay(Duration::from_secs(120)));
    let started = Instant::now();
    let error = impatient.get_contact(jane()).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(30),
        "{elapsed:?}"
    );
    let GetContactError::Other(inner) = &error else {
        panic!("{error:?}")
    };
    assert!(matches!(inner.kind(), ErrorKind::Timeout), "{inner:?}");
    assert!(error.is_retryable());

    fake.inject_faults(
        1,
        Fault::status(503, r#"{"success":false,"error":"Service Unavailable"}"#),
    );
    let error = client.get_contact(jane()).await.unwrap_err();
    assert_eq!(error.status().unwrap().as_u16(), 503);

    // Back to normal.
    client.get_contact(jane()).await.unwrap();
}

#[tokio::test]
async fn retries_wait_for_the_rate_limit_reset() {
    let fake = demo().await;
    // A window long enough that the second call always lands inside it, even on a busy machine.
    fake.set_rate_limit(Some((1, Duration::from_secs(3))));
    let client = fake
        .client_builder()
        .credentials(fake.personal_access_token(&DemoData::AGENT_ID.into()))
        .retry(RetryPolicy::standard().base_backoff(Duration::from_millis(20)))
        .build()
        .unwrap();
    let started = Instant::now();
    client.get_contact(jane()).await.unwrap();
    client.get_contact(jane()).await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2),
        "waited for the reset: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    let statuses: Vec<_> = fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(statuses.len(), 3, "one refused call was sent again");
}

#[tokio::test]
async fn retries_give_up_when_the_reset_is_too_far() {
    let fake = demo().await;
    fake.set_rate_limit(Some((1, Duration::from_secs(120))));
    let client = fake
        .client_builder()
        .credentials(fake.personal_access_token(&DemoData::AGENT_ID.into()))
        .retry(RetryPolicy::standard().max_total_wait(Duration::from_secs(1)))
        .build()
        .unwrap();
    client.get_contact(jane()).await.unwrap();
    let started = Instant::now();
    let error = client.get_contact(jane()).await.unwrap_err();
    assert!(
        matches!(error, GetContactError::RateLimited { .. }),
        "{error:?}"
    );
    // Waiting would take two minutes; anything far below that means it gave up at once.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "did not sleep: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_timed_out_resolve_is_not_retried_but_a_refused_connection_is() {
    let fake = demo().await;
    let client = fake
        .client_builder()
        .credentials(fake.personal_access_token(&DemoData::AGENT_ID.into()))
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::standard().base_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    fake.inject_faults(1, Fault::delay(Duration::from_secs(120)));
    let error = client
        .resolve_contact_conflicts(jane())
        .wipe_conflicts(true)
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(
        fake.requests().len(),
        1,
        "a POST that may have been applied is not repeated"
    );

    // A port with nothing listening: connection refused, retried, then reported.
    let nothing = Client::builder("http://127.0.0.1:9")
        .retry(RetryPolicy::standard().base_backoff(Duration::from_millis(5)))
        .credentials(rocketchat_omnichannel::Credentials::token("u", "t"))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = nothing.resolve_contact_conflicts("c").await.unwrap_err();
    // Three back-offs of at least 5, 10 and 20 ms: the refused connection was retried.
    assert!(
        started.elapsed() >= Duration::from_millis(35),
        "{:?}",
        started.elapsed()
    );
    let ResolveConflictsError::Other(inner) = error else {
        panic!()
    };
    assert!(matches!(inner.kind(), ErrorKind::Transport), "{inner:?}");
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let fake = demo().await;
    let client = fake
        .client_builder()
        .credentials(fake.personal_access_token(&DemoData::AGENT_ID.into()))
        .max_response_size(256)
        .build()
        .unwrap();
    let error = client.get_contact(jane()).await.unwrap_err();
    let GetContactError::Other(inner) = error else {
        panic!()
    };
    assert!(
        matches!(inner.kind(), ErrorKind::ResponseTooLarge { limit: 256 }),
        "{inner:?}"
    );
}
