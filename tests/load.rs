//! 1,000 concurrent calls against a flaky loopback server that answers each connection at
//! random: success, each 400 code, 401, 429, 500, an HTML 502, truncated JSON, a stall, or a
//! reset. Every call must end within its timeout with `Ok` or the typed error matching what
//! the server sent, and the tallies on both sides must agree.

mod common;

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::raw_server::{answer, read_request, write};
use rocketchat_omnichannel::{Client, Credentials, ErrorKind, ResolveConflictsError};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

const CALLS: usize = 1_000;
const TIMEOUT: Duration = Duration::from_millis(1_500);

/// What the server chose for one connection, and the outcome the client must report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Behaviour {
    Ok,
    NoConflicts,
    NotFound,
    ManagerNotFound,
    InvalidParams,
    Unauthorized,
    RateLimited,
    ServerError,
    HtmlBadGateway,
    TruncatedJson,
    Stall,
    Reset,
}

const ALL: [Behaviour; 12] = [
    Behaviour::Ok,
    Behaviour::NoConflicts,
    Behaviour::NotFound,
    Behaviour::ManagerNotFound,
    Behaviour::InvalidParams,
    Behaviour::Unauthorized,
    Behaviour::RateLimited,
    Behaviour::ServerError,
    Behaviour::HtmlBadGateway,
    Behaviour::TruncatedJson,
    Behaviour::Stall,
    Behaviour::Reset,
];

fn json(status: u16, body: &str) -> Vec<u8> {
    answer(status, "application/json", body.as_bytes())
}

async fn serve(listener: TcpListener, sent: Arc<Mutex<BTreeMap<Behaviour, usize>>>) {
    while let Ok((mut stream, _)) = listener.accept().await {
        let sent = Arc::clone(&sent);
        tokio::spawn(async move {
            if read_request(&mut stream).await.is_none() {
                return;
            }
            let pick =
                ALL[(RandomState::new().build_hasher().finish() % ALL.len() as u64) as usize];
            *sent.lock().unwrap().entry(pick).or_default() += 1;
            let bytes = match pick {
                Behaviour::Ok => json(
                    200,
                    r#"{"result":{"_id":"c1","name":"Jane","conflictingFields":[]},"success":true}"#,
                ),
                Behaviour::NoConflicts => json(
                    400,
                    r#"{"success":false,"error":"error-contact-has-no-conflicts"}"#,
                ),
                Behaviour::NotFound => json(
                    400,
                    r#"{"success":false,"error":"error-contact-not-found"}"#,
                ),
                Behaviour::ManagerNotFound => json(
                    400,
                    r#"{"success":false,"error":"error-contact-manager-not-found"}"#,
                ),
                Behaviour::InvalidParams => json(
                    400,
                    r#"{"success":false,"error":"must be boolean [invalid-params]","errorType":"invalid-params"}"#,
                ),
                Behaviour::Unauthorized => json(
                    401,
                    r#"{"success":false,"error":"You must be logged in to do this."}"#,
                ),
                Behaviour::RateLimited => json(
                    429,
                    r#"{"success":false,"error":"You must wait 9 seconds [error-too-many-requests]"}"#,
                ),
                Behaviour::ServerError => {
                    json(500, r#"{"success":false,"error":"Internal server error"}"#)
                }
                Behaviour::HtmlBadGateway => answer(
                    502,
                    "text/html",
                    b"<html><body>502 Bad Gateway</body></html>",
                ),
                Behaviour::TruncatedJson => json(200, r#"{"result":{"_id":"c1","na"#),
                Behaviour::Stall => {
                    tokio::time::sleep(TIMEOUT * 3).await;
                    return;
                }
                Behaviour::Reset => return,
            };
            write(&mut stream, &bytes).await;
        });
    }
}

fn classify(
    outcome: &Result<rocketchat_omnichannel::Contact, ResolveConflictsError>,
) -> Option<Behaviour> {
    Some(match outcome {
        Ok(_) => Behaviour::Ok,
        Err(ResolveConflictsError::NoConflicts { .. }) => Behaviour::NoConflicts,
        Err(ResolveConflictsError::ContactNotFound { .. }) => Behaviour::NotFound,
        Err(ResolveConflictsError::ContactManagerNotFound { .. }) => Behaviour::ManagerNotFound,
        Err(ResolveConflictsError::InvalidParams { .. }) => Behaviour::InvalidParams,
        Err(ResolveConflictsError::Unauthorized { .. }) => Behaviour::Unauthorized,
        Err(ResolveConflictsError::RateLimited { .. }) => Behaviour::RateLimited,
        Err(ResolveConflictsError::Other(error)) => match error.kind() {
            ErrorKind::Api(api) if api.status().as_u16() == 500 => Behaviour::ServerError,
            ErrorKind::UnexpectedResponse(api) if api.status().as_u16() == 502 => {
                Behaviour::HtmlBadGateway
            }
            ErrorKind::Decode { .. } => Behaviour::TruncatedJson,
            ErrorKind::Timeout => Behaviour::Stall,
            ErrorKind::Transport => Behaviour::Reset,
            _ => return None,
        },
        Err(_) => return None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_against_a_flaky_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(Mutex::new(BTreeMap::new()));
    tokio::spawn(serve(listener, Arc::clone(&sent)));

    let client = Client::builder(uri)
        .credentials(Credentials::token("u", "t"))
        .timeout(TIMEOUT)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut calls = JoinSet::new();
    for _ in 0..CALLS {
        let client = client.clone();
        calls.spawn(async move {
            let began = Instant::now();
            let outcome = client
                .resolve_contact_conflicts("c1")
                .wipe_conflicts(true)
                .await;
            (classify(&outcome), began.elapsed(), format!("{outcome:?}"))
        });
    }
    let mut seen: BTreeMap<Behaviour, usize> = BTreeMap::new();
    while let Some(joined) = calls.join_next().await {
        let (class, elapsed, debug) = joined.expect("no call panicked");
        let class = class.unwrap_or_else(|| panic!("an outcome outside the typed set: {debug}"));
        assert!(
            elapsed < TIMEOUT + Duration::from_millis(500),
            "{elapsed:?} for {class:?}"
        );
        *seen.entry(class).or_default() += 1;
    }
    let sent = sent.lock().unwrap().clone();
    println!(
        "{CALLS} calls in {:?}; outcomes: {seen:?}",
        started.elapsed()
    );
    assert_eq!(seen.values().sum::<usize>(), CALLS);
    assert_eq!(seen, sent, "client outcomes match what the server sent");
    assert!(sent.len() >= 10, "most behaviours were exercised: {sent:?}");
}
