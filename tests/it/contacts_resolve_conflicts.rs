//! `POST omnichannel/contacts.conflicts` against wiremock: one test per real server answer,
//! plus what the SDK sends.

use std::error::Error as _;
use std::time::{Duration, UNIX_EPOCH};

use crate::common::{TOKEN, USER_ID, client, fixture};
use rocketchat_omnichannel::models::{ConflictField, SourceType};
use rocketchat_omnichannel::{Error, ErrorKind, ResolveConflictsError};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PATH: &str = "/api/v1/omnichannel/contacts.conflicts";

async fn answer(status: u16, fixture_path: &str, content_type: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(fixture(fixture_path), content_type),
        )
        .mount(&server)
        .await;
    server
}

async fn resolve(
    server: &MockServer,
) -> Result<rocketchat_omnichannel::Contact, ResolveConflictsError> {
    client(&server.uri())
        .resolve_contact_conflicts("68341efdd387e3d7509267fb")
        .wipe_conflicts(true)
        .await
}

#[tokio::test]
async fn full_contact_from_the_docs_decodes() {
    let server = answer(
        200,
        "contacts.conflicts/success_full.json",
        "application/json",
    )
    .await;
    let contact = resolve(&server).await.unwrap();
    assert_eq!(contact.id, "68341efdd387e3d7509267fb");
    assert_eq!(contact.name.as_deref(), Some("Jane Doe"));
    assert_eq!(contact.unknown, Some(false));
    assert_eq!(contact.emails[0].address, "jane.doe@email.com");
    assert!(contact.phones.is_empty());
    assert!(contact.conflicting_fields.is_empty());
    assert_eq!(contact.custom_fields["field1"], "field1");
    assert_eq!(
        contact.activity.as_deref(),
        Some(&["2025-05".to_owned()][..])
    );
    let channel = &contact.channels[0];
    assert_eq!(channel.verified, Some(true));
    assert_eq!(channel.blocked, Some(false));
    assert_eq!(channel.field.as_deref(), Some("email"));
    let source = channel.visitor.as_ref().unwrap().source.as_ref().unwrap();
    assert_eq!(source.kind, Some(SourceType::Widget));
    assert_eq!(
        channel.details.as_ref().unwrap().destination.as_deref(),
        Some("writing-demo.dev.rocket.chat")
    );
    assert_eq!(
        contact.created_at.unwrap().as_millisecond(),
        1_748_246_269_616,
        "createdAt 2025-05-26T07:57:49.616Z"
    );
    assert_eq!(contact.last_chat.as_ref().unwrap().id, "cz5uyBRyKPfoWHBat");
}

#[tokio::test]
async fn conflicts_unknown_kinds_and_legacy_shapes_decode() {
    let server = answer(
        200,
        "contacts.conflicts/success_conflicts_left.json",
        "application/json",
    )
    .await;
    let contact = resolve(&server).await.unwrap();
    let fields: Vec<_> = contact
        .conflicting_fields
        .iter()
        .map(|c| c.field.clone())
        .collect();
    assert_eq!(
        fields,
        [
            ConflictField::CustomField("cpf".into()),
            ConflictField::CustomField("age".into()),
            ConflictField::Unknown("avatarUrl".into()),
        ]
    );
    assert_eq!(contact.conflicting_fields[1].value, 42);
    assert_eq!(contact.custom_fields["tags"], json!(["vip"]));
    assert!(contact.custom_fields["notes"].is_null());
    assert_eq!(contact.contact_manager.as_ref().unwrap(), "agentUserId01");
    assert_eq!(
        contact.channels[0].visitor_id.as_deref(),
        Some("legacyVisitor")
    );
    assert_eq!(
        contact.channels[0].details.as_ref().unwrap().kind,
        Some(SourceType::Sms)
    );
    let source = contact.channels[1]
        .visitor
        .as_ref()
        .unwrap()
        .source
        .as_ref()
        .unwrap();
    assert_eq!(
        source.kind,
        Some(SourceType::Unknown("whatsapp-cloud".into()))
    );
    assert_eq!(
        contact.channels[1].details.as_ref().unwrap().kind,
        Some(SourceType::App)
    );
    assert_eq!(
        contact.created_at.unwrap().as_millisecond(),
        1_748_246_269_616,
        "{{$date}} form"
    );
    assert_eq!(contact.has_conflicts, Some(true));
    assert_eq!(
        contact.import_ids.as_deref(),
        Some(&["imp-1".to_owned()][..])
    );
}

#[tokio::test]
async fn minimal_contact_decodes() {
    let server = answer(
        200,
        "contacts.conflicts/success_minimal.json",
        "application/json",
    )
    .await;
    let contact = resolve(&server).await.unwrap();
    assert_eq!(contact.id, "c-min");
    assert_eq!(contact.name, None);
    assert!(contact.channels.is_empty());
    assert!(contact.created_at.is_none());
}

#[tokio::test]
async fn null_lists_from_7_6_read_as_empty() {
    let server = answer(
        200,
        "contacts.conflicts/success_null_conflicts.json",
        "application/json",
    )
    .await;
    let contact = resolve(&server).await.unwrap();
    assert!(contact.conflicting_fields.is_empty());
    assert!(contact.channels.is_empty());
    assert!(contact.emails.is_empty());
}

fn decode_error(error: ResolveConflictsError) -> (String, Vec<u8>, u16) {
    let ResolveConflictsError::Other(error) = error else {
        panic!("expected Other, got {error:?}");
    };
    let (kind, _) = error.into_parts();
    match kind {
        ErrorKind::Decode { status, path, body } => (path, body.to_vec(), status.as_u16()),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn null_result_is_a_decode_error_at_result() {
    let server = answer(
        200,
        "contacts.conflicts/success_null_result.json",
        "application/json",
    )
    .await;
    let (path, body, status) = decode_error(resolve(&server).await.unwrap_err());
    assert_eq!(path, "result");
    assert_eq!(status, 200);
    assert_eq!(body, fixture("contacts.conflicts/success_null_result.json"));
}

#[tokio::test]
async fn wrong_type_names_the_json_path_and_keeps_the_body() {
    let server = answer(200, "contacts.conflicts/bad_type.json", "application/json").await;
    let error = resolve(&server).await.unwrap_err();
    assert!(
        error.to_string().contains("result.channels[0].verified"),
        "{error}"
    );
    assert!(error.source().is_some(), "the serde error is the source");
    let (path, body, _) = decode_error(error);
    assert_eq!(path, "result.channels[0].verified");
    assert_eq!(body, fixture("contacts.conflicts/bad_type.json"));
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_with_the_body() {
    let server = answer(200, "contacts.conflicts/truncated.json", "application/json").await;
    let (_, body, status) = decode_error(resolve(&server).await.unwrap_err());
    assert_eq!(status, 200);
    assert_eq!(body, fixture("contacts.conflicts/truncated.json"));
}

#[tokio::test]
async fn html_with_200_is_an_unexpected_response_not_a_decode_error() {
    let server = answer(200, "contacts.conflicts/web_app.html", "text/html").await;
    let error = resolve(&server).await.unwrap_err();
    let ResolveConflictsError::Other(error) = error else {
        panic!()
    };
    let ErrorKind::UnexpectedResponse(api) = error.kind() else {
        panic!("expected UnexpectedResponse, got {error:?}");
    };
    assert_eq!(api.status().as_u16(), 200);
    assert!(api.body_text().contains("react-root"));
    assert!(error.to_string().contains("base URL"), "{error}");
}

#[tokio::test]
async fn invalid_params_gives_the_reason() {
    let server = answer(
        400,
        "contacts.conflicts/invalid_params.json",
        "application/json",
    )
    .await;
    match resolve(&server).await.unwrap_err() {
        ResolveConflictsError::InvalidParams { response } => {
            assert_eq!(response.status().as_u16(), 400);
            assert_eq!(response.error_type(), Some("invalid-params"));
            assert_eq!(
                response.reason(),
                Some("must have required property 'contactId'")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn business_errors_have_their_variants() {
    for (file, check) in [
        (
            "no_conflicts",
            (|e| matches!(e, ResolveConflictsError::NoConflicts { .. }))
                as fn(&ResolveConflictsError) -> bool,
        ),
        ("contact_not_found", |e| {
            matches!(e, ResolveConflictsError::ContactNotFound { .. })
        }),
        ("contact_manager_not_found", |e| {
            matches!(e, ResolveConflictsError::ContactManagerNotFound { .. })
        }),
    ] {
        let server = answer(
            400,
            &format!("contacts.conflicts/{file}.json"),
            "application/json",
        )
        .await;
        let error = resolve(&server).await.unwrap_err();
        assert!(check(&error), "{file}: {error:?}");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
        assert_eq!(
            error.response().unwrap().body().as_ref(),
            fixture(&format!("contacts.conflicts/{file}.json"))
        );
        assert!(!error.is_retryable());
    }
}

#[tokio::test]
async fn unauthorized_in_both_server_generations() {
    for file in ["unauthorized", "unauthorized_v9"] {
        let server = answer(
            401,
            &format!("contacts.conflicts/{file}.json"),
            "application/json",
        )
        .await;
        let error = resolve(&server).await.unwrap_err();
        assert!(
            matches!(error, ResolveConflictsError::Unauthorized { .. }),
            "{file}: {error:?}"
        );
        assert!(error.to_string().contains("log in again"), "{error}");
    }
}

#[tokio::test]
async fn forbidden_in_both_server_generations() {
    for file in ["forbidden", "forbidden_v9"] {
        let server = answer(
            403,
            &format!("contacts.conflicts/{file}.json"),
            "application/json",
        )
        .await;
        let error = resolve(&server).await.unwrap_err();
        assert!(
            matches!(error, ResolveConflictsError::Forbidden { .. }),
            "{file}: {error:?}"
        );
    }
}

#[tokio::test]
async fn rate_limit_reads_the_reset_in_epoch_milliseconds() {
    let reset_ms: u64 = 4_102_444_800_123; // 2100-01-01T00:00:00.123Z
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_raw(
                    fixture("contacts.conflicts/rate_limited.json"),
                    "application/json",
                )
                .insert_header("X-RateLimit-Limit", "10")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header("X-RateLimit-Reset", reset_ms.to_string().as_str()),
        )
        .mount(&server)
        .await;
    let error = resolve(&server).await.unwrap_err();
    let ResolveConflictsError::RateLimited { retry_at, response } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        retry_at.unwrap(),
        UNIX_EPOCH + Duration::from_millis(reset_ms)
    );
    let limit = response.rate_limit().unwrap();
    assert_eq!((limit.limit(), limit.remaining()), (Some(10), Some(0)));
    assert!(error.is_retryable());
    assert!(error.to_string().contains("retry in"), "{error}");
}

#[tokio::test]
async fn rate_limit_without_headers_falls_back_to_the_message() {
    let server = answer(
        429,
        "contacts.conflicts/rate_limited.json",
        "application/json",
    )
    .await;
    let error = resolve(&server).await.unwrap_err();
    let ResolveConflictsError::RateLimited { retry_at, .. } = error else {
        panic!()
    };
    let wait = retry_at
        .unwrap()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(
        // 36 s from when the answer arrived; the lower bound leaves room for a slow machine.
        wait > Duration::from_secs(26) && wait <= Duration::from_secs(37),
        "{wait:?}"
    );
}

#[tokio::test]
async fn html_500_and_502_keep_status_and_body() {
    for (status, file) in [(500, "server_error.html"), (502, "bad_gateway.html")] {
        let server = answer(status, &format!("contacts.conflicts/{file}"), "text/html").await;
        let error = resolve(&server).await.unwrap_err();
        let ResolveConflictsError::Other(inner) = &error else {
            panic!("{error:?}")
        };
        let ErrorKind::UnexpectedResponse(api) = inner.kind() else {
            panic!("{inner:?}")
        };
        assert_eq!(api.status().as_u16(), status);
        assert_eq!(
            api.body().as_ref(),
            fixture(&format!("contacts.conflicts/{file}"))
        );
        let text = error.to_string();
        // One line: the page summarised, the whole of it in the body.
        assert!(
            text.contains(&status.to_string()) && text.contains("HTML page: "),
            "{text}"
        );
        assert!(!text.contains('\n') && !text.contains('<'), "{text}");
        assert_eq!(error.is_retryable(), status == 502);
    }
}

#[tokio::test]
async fn json_500_and_uncaught_400_are_api_errors() {
    for (status, file, reason) in [
        (500, "internal_error", "Internal server error"),
        (
            400,
            "uncaught_400",
            "Cannot read properties of undefined (reading '_id')",
        ),
    ] {
        let server = answer(
            status,
            &format!("contacts.conflicts/{file}.json"),
            "application/json",
        )
        .await;
        let error = resolve(&server).await.unwrap_err();
        let ResolveConflictsError::Other(inner) = &error else {
            panic!("{error:?}")
        };
        let ErrorKind::Api(api) = inner.kind() else {
            panic!("{inner:?}")
        };
        assert_eq!(api.reason(), Some(reason));
        assert!(error.to_string().contains(reason), "{error}");
    }
}

#[tokio::test]
async fn sends_the_exact_body_headers_and_path_under_a_prefix() {
    let server = MockServer::start().await;
    let expected = r#"{"contactId":"c1","name":"Jane Doe","contactManager":"agent-2","customFields":{"age":42,"cpf":"123.456.789-00"},"wipeConflicts":false}"#;
    Mock::given(method("POST"))
        .and(path("/chat/api/v1/omnichannel/contacts.conflicts"))
        .and(header("x-user-id", USER_ID))
        .and(header("x-auth-token", TOKEN))
        .and(header("content-type", "application/json"))
        .and(body_string(expected))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("contacts.conflicts/success_minimal.json"),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&format!("{}/chat/", server.uri()));
    client
        .resolve_contact_conflicts("c1")
        .name("Jane Doe")
        .contact_manager("agent-2")
        .custom_field("cpf", "123.456.789-00")
        .custom_field("age", 42)
        .wipe_conflicts(false)
        .await
        .unwrap();
}

#[tokio::test]
async fn sends_no_nulls_and_an_empty_string_to_clear_the_manager() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(body_string(r#"{"contactId":"c1","contactManager":""}"#))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("contacts.conflicts/success_minimal.json"),
            "application/json",
        ))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server.uri());
    client
        .resolve_contact_conflicts("c1")
        .clear_contact_manager()
        .await
        .unwrap();
    client
        .resolve_contact_conflicts("c1")
        .contact_manager("")
        .await
        .unwrap();
}

#[tokio::test]
async fn whole_map_setter_merges_with_single_fields() {
    let client = client("http://127.0.0.1:9");
    let body = client
        .resolve_contact_conflicts("c1")
        .custom_field("a", 1)
        .custom_fields([("b", "x"), ("c", "y")])
        .to_json()
        .unwrap();
    assert_eq!(
        body,
        r#"{"contactId":"c1","customFields":{"a":1,"b":"x","c":"y"}}"#
    );
}

#[tokio::test]
async fn invalid_input_is_reported_at_send_and_nothing_is_sent() {
    let server = MockServer::start().await;
    let client = client(&server.uri());
    let cases = [
        client.resolve_contact_conflicts("").wipe_conflicts(true),
        client.resolve_contact_conflicts("   ").wipe_conflicts(true),
        client
            .resolve_contact_conflicts("c1")
            .custom_field("a.b", "x"),
        client
            .resolve_contact_conflicts("c1")
            .custom_field("$set", "x"),
        client.resolve_contact_conflicts("c1").custom_field("", "x"),
        client.resolve_contact_conflicts("c1").name("  "),
    ];
    for request in cases {
        let error = request.await.unwrap_err();
        let ResolveConflictsError::Other(inner) = &error else {
            panic!("{error:?}")
        };
        assert!(
            matches!(inner.kind(), ErrorKind::Validation { .. }),
            "{inner:?}"
        );
        assert!(
            error.to_string().starts_with("invalid request: "),
            "{error}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_first_invalid_input_wins() {
    let client = client("http://127.0.0.1:9");
    let error = client
        .resolve_contact_conflicts("c1")
        .custom_field("a.b", 1)
        .name("")
        .to_json()
        .unwrap_err();
    assert!(error.to_string().contains("a.b"), "{error}");
}

#[tokio::test]
async fn converts_into_the_crate_error_keeping_the_answer() {
    let server = answer(
        400,
        "contacts.conflicts/contact_not_found.json",
        "application/json",
    )
    .await;
    let error: Error = resolve(&server).await.unwrap_err().into();
    assert_eq!(error.status().unwrap().as_u16(), 400);
    assert_eq!(
        error.api_error().unwrap().error(),
        Some("error-contact-not-found")
    );
    assert!(matches!(error.kind(), ErrorKind::Api(_)));
}

#[tokio::test]
async fn question_mark_works_across_operations() {
    async fn flow(uri: &str) -> Result<(), Error> {
        let client = client(uri);
        client
            .resolve_contact_conflicts("c1")
            .wipe_conflicts(true)
            .await?;
        client.get_contact("c1").await?;
        Ok(())
    }
    let server = answer(
        400,
        "contacts.conflicts/no_conflicts.json",
        "application/json",
    )
    .await;
    let error = flow(&server.uri()).await.unwrap_err();
    assert_eq!(
        error.api_error().unwrap().error(),
        Some("error-contact-has-no-conflicts")
    );
}
