//! The server that records or replays a cassette.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::matching::Tape;
use super::scrub::{Scrubber, normalize};
use super::{Answer, Body, Cassette, CassetteError, FORMAT, Interaction, Recorded};

/// Largest body read either way.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// How long the real server may take to answer while recording.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// The variable [`CassetteServer::start`] reads: a server's URL to record from. Without it,
/// the cassette is replayed, so CI never reaches a real server by accident.
const RECORD_FROM: &str = "ROCKETCHAT_RECORD_FROM";

/// Records a cassette from a real server, or replays one: what is written, how requests are
/// matched, and how to record safely are in [the testing docs](crate::testing#cassettes-your-own-server-in-your-tests).
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::Client;
/// use rocketchat_omnichannel::testing::CassetteServer;
///
/// // Replays tests/cassettes/resolve.json; with ROCKETCHAT_RECORD_FROM set, records it
/// // from that server instead.
/// let server = CassetteServer::start("tests/cassettes/resolve.json").await?;
/// let client = Client::builder(server.uri()).build()?;
/// // … the test …
/// server.finish().await?; // recording: writes the file
/// # Ok(()) }
/// ```
pub struct CassetteServer {
    address: SocketAddr,
    path: PathBuf,
    state: Arc<Mutex<State>>,
    /// Exchanges with the real server under way: `finish` waits for them.
    in_flight: Arc<AtomicUsize>,
    accept_loop: JoinHandle<()>,
}

impl std::fmt::Debug for CassetteServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CassetteServer")
            .field("address", &self.address)
            .field("path", &self.path)
            .field("recording", &self.is_recording())
            .finish_non_exhaustive()
    }
}

/// Settings of a [`CassetteServer`].
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct CassetteServerBuilder {
    path: PathBuf,
    record_from: Option<String>,
    scrub_keys: Vec<String>,
    normalize: bool,
    address: SocketAddr,
}

enum State {
    Replay {
        tape: Tape,
        scrubber: Scrubber,
    },
    Record {
        upstream: String,
        http: reqwest::Client,
        cassette: Cassette,
        scrubber: Scrubber,
        normalize: bool,
        failures: Vec<String>,
    },
}

impl CassetteServer {
    /// Replays the cassette at `path`, or records it from the server named by the
    /// `ROCKETCHAT_RECORD_FROM` variable when that is set.
    ///
    /// # Errors
    /// Replaying: the file is missing or not a cassette. Recording: the URL is not one.
    /// Either: no loopback port.
    pub async fn start(path: impl Into<PathBuf>) -> Result<Self, CassetteError> {
        Self::builder(path)
            .record_from(std::env::var(RECORD_FROM).ok().filter(|v| !v.is_empty()))
            .start()
            .await
    }

    /// Settings first: recording explicitly, scrubbing more keys, stable re-records.
    pub fn builder(path: impl Into<PathBuf>) -> CassetteServerBuilder {
        CassetteServerBuilder {
            path: path.into(),
            record_from: None,
            scrub_keys: Vec::new(),
            normalize: false,
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        }
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:41234`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Whether it forwards to a real server (and will write the cassette).
    pub fn is_recording(&self) -> bool {
        matches!(
            *self.state.lock().unwrap_or_else(PoisonError::into_inner),
            State::Record { .. }
        )
    }

    /// Ends it. Recording, writes the cassette, whole or not at all: when an exchange with
    /// the real server failed (down, an answer cut short), nothing is written and the error
    /// says what failed. Replaying, returns how many recorded answers were never asked for.
    ///
    /// # Errors
    /// As above, or the file cannot be written.
    pub async fn finish(self) -> Result<usize, CassetteError> {
        self.accept_loop.abort();
        // An exchange under way is part of the recording: wait for it to be written down
        // (or counted as failed), as long as the real server may take.
        let until = std::time::Instant::now() + UPSTREAM_TIMEOUT + Duration::from_secs(5);
        while self.in_flight.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return Err(CassetteError::new(
                &self.path,
                "not written: an exchange with the server never ended; record again",
            ));
        }
        let state = std::mem::replace(
            &mut *self.state.lock().unwrap_or_else(PoisonError::into_inner),
            State::Replay {
                tape: Tape::new(Vec::new()),
                scrubber: Scrubber::new(&[]),
            },
        );
        match state {
            State::Replay { tape, .. } => Ok(tape.unused()),
            State::Record {
                mut cassette,
                normalize: stable,
                failures,
                ..
            } => {
                if let Some(first) = failures.first() {
                    return Err(CassetteError::new(
                        &self.path,
                        format!(
                            "not written: {} exchange(s) with the server failed while \
                             recording (the first: {first}); record again",
                            failures.len()
                        ),
                    ));
                }
                if stable {
                    normalize(&mut cassette);
                }
                cassette.save(&self.path)?;
                Ok(0)
            }
        }
    }
}

impl Drop for CassetteServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl CassetteServerBuilder {
    /// Records from this server (its base URL) instead of replaying; `None` replays.
    pub fn record_from(mut self, url: Option<String>) -> Self {
        self.record_from = url;
        self
    }

    /// Scrubs this key's values too, in every body and query, when recording and replaying
    /// alike (e.g. `address`, `phoneNumber`, `name` for people's data).
    pub fn scrub_key(mut self, key: impl Into<String>) -> Self {
        self.scrub_keys.push(key.into());
        self
    }

    /// Writes generated ids as `id-0001`… and timestamps as instants from 2000-01-01, so a
    /// re-recorded cassette differs only where the server's behaviour did. A test replaying
    /// it must take ids from the answers it gets, not from constants.
    pub fn normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }

    /// Where to listen; a free loopback port by default.
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Loads the cassette (replaying) or asks the server for `/api/info` (recording), then
    /// listens.
    ///
    /// # Errors
    /// See [`CassetteServer::start`].
    pub async fn start(self) -> Result<CassetteServer, CassetteError> {
        let scrubber = Scrubber::new(&self.scrub_keys);
        let state = match &self.record_from {
            None => {
                let cassette = Cassette::load(&self.path)?;
                State::Replay {
                    tape: Tape::new(cassette.interactions),
                    scrubber,
                }
            }
            Some(url) => {
                let parsed = url::Url::parse(url.trim()).map_err(|e| {
                    CassetteError::new(&self.path, format!("cannot record from `{url}`: {e}"))
                })?;
                let origin = parsed.origin().ascii_serialization();
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(UPSTREAM_TIMEOUT)
                    .build()
                    .map_err(|e| CassetteError::new(&self.path, e.to_string()))?;
                let upstream = url.trim().trim_end_matches('/').to_owned();
                let server = match http.get(format!("{upstream}/api/info")).send().await {
                    Ok(answer) => answer
                        .bytes()
                        .await
                        .ok()
                        .and_then(|body| serde_json::from_slice(&body).ok())
                        .unwrap_or(Value::Null),
                    Err(_) => Value::Null,
                };
                State::Record {
                    upstream,
                    http,
                    cassette: Cassette {
                        format: FORMAT,
                        recorded_from: origin,
                        server,
                        interactions: Vec::new(),
                    },
                    scrubber,
                    normalize: self.normalize,
                    failures: Vec::new(),
                }
            }
        };
        let listener = TcpListener::bind(self.address)
            .await
            .map_err(|e| CassetteError::new(&self.path, format!("cannot listen: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| CassetteError::new(&self.path, format!("cannot listen: {e}")))?;
        let state = Arc::new(Mutex::new(state));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let accept_loop =
            tokio::spawn(accept(listener, Arc::clone(&state), Arc::clone(&in_flight)));
        Ok(CassetteServer {
            address,
            path: self.path,
            state,
            in_flight,
            accept_loop,
        })
    }
}

async fn accept(listener: TcpListener, state: Arc<Mutex<State>>, in_flight: Arc<AtomicUsize>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let (state, in_flight) = (Arc::clone(&state), Arc::clone(&in_flight));
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let (state, in_flight) = (Arc::clone(&state), Arc::clone(&in_flight));
                async move {
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let answer = handle(state, request).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    answer
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn handle(
    state: Arc<Mutex<State>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(failure(
                413,
                "invalid-request",
                "the request body could not be read",
            ));
        }
    };
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        body: Body::of(&body),
    };
    // Replaying: answer from the tape, under the lock (nothing is awaited).
    let forward = {
        let mut guard = lock(&state);
        match &mut *guard {
            State::Replay { tape, scrubber } => {
                let request = scrubber.request(recorded);
                return Ok(match tape.answer(&request) {
                    Ok(answer) => replayed(&answer),
                    Err(why) => failure(500, "cassette-no-match", &why),
                });
            }
            State::Record { upstream, http, .. } => (upstream.clone(), http.clone()),
        }
    };
    let (upstream, http) = forward;
    let url = match parts.uri.query() {
        Some(query) => format!("{upstream}{}?{query}", parts.uri.path()),
        None => format!("{upstream}{}", parts.uri.path()),
    };
    let mut outgoing = http.request(parts.method.clone(), url).body(body.clone());
    for (name, value) in &parts.headers {
        // Without `Accept-Encoding` the answer comes uncompressed: readable in the cassette,
        // and scrubbed.
        if !hop_by_hop(name.as_str())
            && name != hyper::header::HOST
            && name != hyper::header::ACCEPT_ENCODING
        {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = match outgoing.send().await {
        Ok(answer) => {
            let status = answer.status();
            let headers = answer.headers().clone();
            answer.bytes().await.map(|body| (status, headers, body))
        }
        Err(error) => Err(error),
    };
    let (status, headers, body) = match answer {
        Ok(answer) => answer,
        Err(error) => {
            // The path as scrubbed: a visitor's token never reaches an error either.
            let shown = match &*lock(&state) {
                State::Record { scrubber, .. } => scrubber.request(recorded.clone()).path,
                State::Replay { .. } => String::new(),
            };
            let why = format!("{} {shown}: {}", recorded.method, reason(&error));
            if let State::Record { failures, .. } = &mut *lock(&state) {
                failures.push(why.clone());
            }
            return Ok(failure(
                502,
                "recording-failed",
                &format!("recording: {why}"),
            ));
        }
    };
    let mut kept = Map::new();
    for (name, value) in &headers {
        let name = name.as_str();
        // The `Date` too: a watcher's marks come from the server's clock.
        if name == "content-type" || name == "date" || name.starts_with("x-ratelimit-") {
            kept.insert(name.into(), json!(value.to_str().unwrap_or_default()));
        }
    }
    if let State::Record {
        cassette, scrubber, ..
    } = &mut *lock(&state)
    {
        let mut response_body = Body::of(&body);
        if let Some(Body::Json { json }) = &mut response_body {
            scrubber.value(json);
        }
        cassette.interactions.push(Interaction {
            request: scrubber.request(recorded),
            response: Answer {
                status: status.as_u16(),
                headers: kept,
                body: response_body,
            },
        });
    }
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !hop_by_hop(name.as_str()) && name != hyper::header::CONTENT_LENGTH {
            response.headers_mut().append(name, value.clone());
        }
    }
    Ok(response)
}

fn hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "proxy-connection"
    )
}

fn replayed(answer: &Answer) -> Response<Full<Bytes>> {
    let body = answer.body.as_ref().map(Body::bytes).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(answer.status).unwrap_or(hyper::StatusCode::OK);
    for (name, value) in &answer.headers {
        if let (Ok(name), Some(Ok(value))) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            value.as_str().map(hyper::header::HeaderValue::from_str),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Why the real server gave no whole answer, without the URL (its query may hold search
/// text).
fn reason(error: &reqwest::Error) -> &'static str {
    if error.is_connect() {
        "the server could not be reached"
    } else if error.is_timeout() {
        "the server took too long"
    } else if error.is_body() || error.is_decode() {
        "the answer was cut short"
    } else {
        "the exchange failed"
    }
}

/// The cassette server's own errors, in Rocket.Chat's error shape with an `errorType` of
/// their own.
fn failure(status: u16, kind: &str, why: &str) -> Response<Full<Bytes>> {
    let body = json!({"success": false, "error": why, "errorType": kind});
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
