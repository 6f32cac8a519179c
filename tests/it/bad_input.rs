//! The table of caller mistakes and what each one gets: a typed error (or the documented
//! behaviour), never a panic, and nothing sent when the input is wrong.

use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::{Client, Credentials, Error, ErrorKind};

/// What a case must produce.
#[derive(Debug)]
enum Expect {
    /// `ErrorKind::Configuration` from `build()`.
    Configuration,
    /// `ErrorKind::Validation` at send, with nothing sent.
    Validation,
    /// Sent, and the server's answer is returned (documented behaviour).
    Sent,
}

fn check(
    name: &str,
    outcome: Result<(), Error>,
    expect: Expect,
    sent_before: usize,
    sent_after: usize,
) {
    match (&expect, &outcome) {
        (Expect::Configuration, Err(e)) if matches!(e.kind(), ErrorKind::Configuration { .. }) => {}
        (Expect::Validation, Err(e)) if matches!(e.kind(), ErrorKind::Validation { .. }) => {
            assert_eq!(sent_before, sent_after, "{name}: nothing may be sent");
        }
        (Expect::Sent, _) => assert_eq!(sent_after, sent_before + 1, "{name}: one request"),
        _ => panic!("{name}: expected {expect:?}, got {outcome:?}"),
    }
    if let Err(error) = &outcome {
        assert!(!error.to_string().is_empty(), "{name}: a message");
    }
}

#[tokio::test]
async fn configuration_mistakes() {
    let cases: [(&str, &str, Credentials); 9] = [
        (
            "base URL without a scheme",
            "chat.example.com",
            Credentials::token("u", "t"),
        ),
        (
            "base URL with a query",
            "https://chat.example.com/?a=1",
            Credentials::token("u", "t"),
        ),
        (
            "base URL with a fragment",
            "https://chat.example.com/#x",
            Credentials::token("u", "t"),
        ),
        (
            "base URL with a password",
            "https://a:b@chat.example.com",
            Credentials::token("u", "t"),
        ),
        (
            "plain http to a remote host",
            "http://chat.example.com",
            Credentials::token("u", "t"),
        ),
        (
            "token with a line break",
            "https://chat.example.com",
            Credentials::token("u", "t\r\nX-Evil: 1"),
        ),
        (
            "token with non-ASCII",
            "https://chat.example.com",
            Credentials::token("u", "tok\u{201d}"),
        ),
        (
            "empty token",
            "https://chat.example.com",
            Credentials::token("u", ""),
        ),
        (
            "user id with a space",
            "https://chat.example.com",
            Credentials::token("user 1", "t"),
        ),
    ];
    for (name, url, credentials) in cases {
        let outcome = Client::builder(url)
            .credentials(credentials)
            .build()
            .map(|_| ());
        check(name, outcome, Expect::Configuration, 0, 0);
    }
}

#[tokio::test]
async fn request_mistakes() {
    let fake = FakeRocketChat::builder().demo_data().start().await.unwrap();
    let client = Client::builder(fake.uri())
        .credentials(Credentials::token(
            DemoData::AGENT_ID,
            DemoData::AGENT_TOKEN,
        ))
        .build()
        .unwrap();
    let jane = DemoData::CONTACT_ID;
    let huge = "x".repeat(1_000_000);
    let cases = [
        (
            "empty contact id",
            client.resolve_contact_conflicts(""),
            Expect::Validation,
        ),
        (
            "whitespace contact id",
            client.resolve_contact_conflicts(" \t"),
            Expect::Validation,
        ),
        (
            "custom field key with a dot",
            client
                .resolve_contact_conflicts(jane)
                .custom_field("a.b", 1),
            Expect::Validation,
        ),
        (
            "custom field key with a dollar",
            client
                .resolve_contact_conflicts(jane)
                .custom_field("$set", 1),
            Expect::Validation,
        ),
        (
            "empty custom field key",
            client.resolve_contact_conflicts(jane).custom_field("", 1),
            Expect::Validation,
        ),
        (
            "empty name",
            client.resolve_contact_conflicts(jane).name(""),
            Expect::Validation,
        ),
        // Documented: an empty manager id clears the manager.
        (
            "empty manager id clears it",
            client.resolve_contact_conflicts(jane).contact_manager(""),
            Expect::Sent,
        ),
        // Documented: sizes are the server's business; a megabyte name is sent as is.
        (
            "a megabyte name",
            client.resolve_contact_conflicts(jane).name(huge.as_str()),
            Expect::Sent,
        ),
        (
            "a manager id with spaces",
            client
                .resolve_contact_conflicts(jane)
                .contact_manager("not an id"),
            Expect::Sent,
        ),
    ];
    for (name, request, expect) in cases {
        let before = fake.requests().len();
        let outcome = request.await.map(|_| ()).map_err(Error::from);
        check(name, outcome, expect, before, fake.requests().len());
    }
    assert_eq!(
        fake.contact(&jane.into()).unwrap().name.unwrap().len(),
        1_000_000
    );
    assert!(
        fake.contact(&jane.into())
            .unwrap()
            .contact_manager
            .is_none()
    );

    let before = fake.requests().len();
    let outcome = client
        .get_contact("")
        .await
        .map(|_| ())
        .map_err(Error::from);
    check(
        "empty id for contacts.get",
        outcome,
        Expect::Validation,
        before,
        fake.requests().len(),
    );
    let outcome = client
        .login("", "pw")
        .await
        .map(|_| ())
        .map_err(Error::from);
    check(
        "empty user name at login",
        outcome,
        Expect::Validation,
        before,
        fake.requests().len(),
    );
    let outcome = client.resume(" ").await.map(|_| ()).map_err(Error::from);
    check(
        "empty resume token",
        outcome,
        Expect::Validation,
        before,
        fake.requests().len(),
    );
}
