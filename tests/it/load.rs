//! 1,000 concurrent calls against a flaky loopback server that answers each call at random:
//! success, each 400 code, 401, 429, 500, an HTML 502, truncated JSON, a stall, or a reset.
//! Every call must end within its timeout with `Ok` or the typed error matching what the server
//! sent, and the tallies on both sides must agree.
//!
//! Made deterministic for a loaded 2-core machine (a shared CI runner): the server runs on a
//! thread and runtime of its own, so a thousand client tasks cannot starve its accept loop; it
//! listens with a backlog that holds every connection at once; the answer for each call is drawn
//! from a per-run random seed and the call's own id, so each call's expected outcome is known
//! exactly, not only the totals; and the call timeout is long enough that only a deliberate
//! stall can reach it, while stalls hold the connection until the client gives up.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::raw_server::{answer, read_request, write};
use rocketchat_omnichannel::{Client, Credentials, ErrorKind, ResolveConflictsError};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;

const CALLS: usize = 1_000;
/// Far above what a loaded machine needs to answer a thousand loopback calls, so that only the
/// deliberate stalls time out.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How late a timer may fire on a busy machine and still count as "within its timeout".
const TIMER_SLACK: Duration = Duration::from_secs(5);

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

/// The behaviour for call `index` in a run whose random seed is `seed`.
fn behaviour_for(seed: &RandomState, index: usize) -> Behaviour {
    ALL[(seed.hash_one(index) % ALL.len() as u64) as usize]
}

/// What the server saw: connections accepted, and the behaviour it chose for each request.
#[derive(Default)]
struct Tally {
    accepted: AtomicUsize,
    sent: Mutex<BTreeMap<Behaviour, usize>>,
}

/// Reads the call's index from `POST /api/v1/omnichannel/contacts.conflicts` with body
/// `{"contactId":"c<index>",…}`.
fn call_index(request: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(request).ok()?;
    let start = text.find("\"contactId\":\"c")? + "\"contactId\":\"c".len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Starts the server on its own thread and runtime; returns its address.
fn start_server(seed: Arc<RandomState>, tally: Arc<Tally>) -> SocketAddr {
    let (ready, address) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            // Every call may be connecting at once; the kernel caps this at somaxconn.
            let listener = socket.listen(4096).unwrap();
            ready.send(listener.local_addr().unwrap()).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tally.accepted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(answer_one(stream, Arc::clone(&seed), Arc::clone(&tally)));
            }
        });
    });
    address.recv().unwrap()
}

async fn answer_one(mut stream: TcpStream, seed: Arc<RandomState>, tally: Arc<Tally>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let index = call_index(&request).expect("every request names its call");
    let pick = behaviour_for(&seed, index);
    *tally.sent.lock().unwrap().entry(pick).or_default() += 1;
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
        Behaviour::ServerError => json(500, r#"{"success":false,"error":"Internal server error"}"#),
        Behaviour::HtmlBadGateway => answer(
            502,
            "text/html",
            b"<html><body>502 Bad Gateway</body></html>",
        ),
        Behaviour::TruncatedJson => json(200, r#"{"result":{"_id":"c1","na"#),
        Behaviour::Stall => {
            // Hold the connection, answering nothing, until the client gives up and closes it.
            let mut sink = [0u8; 64];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            return;
        }
        Behaviour::Reset => return,
    };
    write(&mut stream, &bytes).await;
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
    let seed = Arc::new(RandomState::new());
    let tally = Arc::new(Tally::default());
    let address = start_server(Arc::clone(&seed), Arc::clone(&tally));

    let client = Client::builder(format!("http://{address}"))
        .credentials(Credentials::token("u", "t"))
        .timeout(TIMEOUT)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut calls = JoinSet::new();
    for index in 0..CALLS {
        let client = client.clone();
        calls.spawn(async move {
            let began = Instant::now();
            let outcome = client
                .resolve_contact_conflicts(format!("c{index}"))
                .wipe_conflicts(true)
                .await;
            (
                index,
                classify(&outcome),
                began.elapsed(),
                format!("{outcome:?}"),
            )
        });
    }
    let mut seen: BTreeMap<Behaviour, usize> = BTreeMap::new();
    while let Some(joined) = calls.join_next().await {
        let (index, class, elapsed, debug) = joined.expect("no call panicked");
        let class = class.unwrap_or_else(|| panic!("an outcome outside the typed set: {debug}"));
        let expected = behaviour_for(&seed, index);
        assert_eq!(class, expected, "call {index} after {elapsed:?}: {debug}");
        assert!(
            elapsed < TIMEOUT + TIMER_SLACK,
            "call {index} ({class:?}) took {elapsed:?}"
        );
        if class == Behaviour::Stall {
            assert!(elapsed >= TIMEOUT, "a stall ended early: {elapsed:?}");
        }
        *seen.entry(class).or_default() += 1;
    }
    let sent = tally.sent.lock().unwrap().clone();
    println!(
        "{CALLS} calls in {:?}; outcomes: {seen:?}",
        started.elapsed()
    );
    assert_eq!(seen.values().sum::<usize>(), CALLS);
    assert_eq!(
        tally.accepted.load(Ordering::SeqCst),
        CALLS,
        "one connection per call (every answer closes its connection)"
    );
    assert_eq!(seen, sent, "client outcomes match what the server sent");
    assert!(sent.len() >= 10, "most behaviours were exercised: {sent:?}");
}
