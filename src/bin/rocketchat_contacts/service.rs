//! Running as a service: logs (`--log-format`, `RUST_LOG`), `/metrics`, `/livez` and
//! `/readyz` (`--metrics-addr`), and what readiness means.
//!
//! Liveness never asks Rocket.Chat: an outage must not become a restart storm. Readiness is
//! the bot's own verdict on its work: a pass (or the run) walked every contact and was not
//! halted, nothing since has failed for every contact, and work is still moving (an event
//! within the pause before the next pass and five minutes more).

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rocketchat_omnichannel::workflow::{Outcome, Summary};
use tokio::net::TcpListener;

use crate::args::LogFormat;
use crate::commands::BoxError;

/// Logs on stderr: text on a terminal, JSON otherwise (or as asked), filtered by `RUST_LOG`
/// (default `warn`). The library logs contact ids and field names, never a visitor's value.
pub(crate) fn init_logs(format: Option<LogFormat>) -> Result<(), String> {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::filter::LevelFilter;
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .from_env()
        .map_err(|e| format!("RUST_LOG is not a filter this tool understands: {e}"))?;
    let terminal = std::io::stderr().is_terminal();
    let json = match format {
        Some(LogFormat::Json) => true,
        Some(LogFormat::Text) => false,
        None => !terminal,
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let done = if json {
        logs.json().with_current_span(false).try_init()
    } else {
        let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        logs.with_ansi(colour).try_init()
    };
    done.map_err(|e| format!("cannot start logging: {e}"))
}

/// Whether the bot is doing its job, for `/readyz`.
#[derive(Debug)]
pub(crate) struct Health {
    state: Mutex<Ready>,
}

#[derive(Debug)]
struct Ready {
    /// Why not ready; `None` when ready.
    not_ready: Option<String>,
    /// The last event: an outcome, or the end of a pass.
    last_event: Instant,
    /// How long without an event is still work moving.
    quiet_allowed: Duration,
    /// Contacts the pass under way had done at the last look.
    last_done: usize,
}

/// Five minutes beyond the pause between passes without any event is a stall.
const STALL: Duration = Duration::from_secs(300);

impl Health {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(Ready {
                not_ready: Some("no pass has finished yet".into()),
                last_event: Instant::now(),
                quiet_allowed: STALL,
                last_done: 0,
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ready> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A one-off run (`resolve`, `apply`) has started: ready until something fails for
    /// every contact.
    pub(crate) fn running(&self) {
        let mut ready = self.lock();
        ready.not_ready = None;
        ready.last_event = Instant::now();
    }

    /// An outcome arrived. A listing that failed (Rocket.Chat down, the session refused)
    /// makes the bot unready at once; one contact's failure does not (a failure that
    /// concerns every contact halts the pass, and its end says so).
    pub(crate) fn outcome(&self, outcome: &Outcome) {
        let mut ready = self.lock();
        ready.last_event = Instant::now();
        if let Outcome::ListingFailed(error) = outcome {
            ready.not_ready = Some(format!("listing contacts failed: {error}"));
        }
    }

    /// The pass under way has done `done` contacts: if that moved, work is moving (a walk
    /// over contacts without conflicts yields no outcome).
    pub(crate) fn progress(&self, done: usize) {
        let mut ready = self.lock();
        if done != ready.last_done {
            ready.last_done = done;
            ready.last_event = Instant::now();
        }
    }

    /// A pass (or the run) ended; `next_pass` is the pause before the next one.
    pub(crate) fn pass(&self, summary: &Summary, next_pass: Option<Duration>) {
        let mut ready = self.lock();
        ready.last_event = Instant::now();
        ready.quiet_allowed = next_pass.unwrap_or_default() + STALL;
        ready.not_ready = match (&summary.halted, summary.complete) {
            (Some(why), _) => Some(format!("halted: {why}")),
            (None, false) => Some("the last pass did not walk every contact".into()),
            (None, true) => None,
        };
    }

    /// `Ok` when ready, else why not.
    fn verdict(&self) -> Result<(), String> {
        let ready = self.lock();
        if let Some(why) = &ready.not_ready {
            return Err(why.clone());
        }
        let quiet = ready.last_event.elapsed();
        if quiet > ready.quiet_allowed {
            return Err(format!("no progress for {} s", quiet.as_secs()));
        }
        Ok(())
    }
}

/// The listener for `--metrics-addr`, bound before anything else happens so that a wrong
/// address is a usage error, not a surprise an hour later.
pub(crate) struct Endpoint {
    listener: TcpListener,
    handle: PrometheusHandle,
}

impl Endpoint {
    pub(crate) async fn bind(address: &str) -> Result<Self, String> {
        let address: SocketAddr = address.parse().map_err(|_| {
            format!("--metrics-addr `{address}` is not HOST:PORT (e.g. 127.0.0.1:9464)")
        })?;
        let listener = TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {address} for --metrics-addr: {e}"))?;
        let handle = PrometheusBuilder::new()
            .install_recorder()
            .map_err(|e| format!("cannot record metrics: {e}"))?;
        metrics::gauge!("rocketchat_contacts_build_info", "version" => env!("CARGO_PKG_VERSION"))
            .set(1.0);
        Ok(Self { listener, handle })
    }

    /// Where it listens (the port, when 0 was asked for).
    pub(crate) fn address(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until the program ends.
    pub(crate) fn serve(self, health: Arc<Health>) {
        let Self { listener, handle } = self;
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let (handle, health) = (handle.clone(), Arc::clone(&health));
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let answer = answer(request.uri().path(), &handle, &health);
                        async move { Ok::<_, std::convert::Infallible>(answer) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    }
}

fn answer(path: &str, metrics: &PrometheusHandle, health: &Health) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match path {
        "/metrics" => (
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(),
        ),
        "/livez" => (200, "text/plain; charset=utf-8", "ok\n".to_owned()),
        "/readyz" => match health.verdict() {
            Ok(()) => (200, "text/plain; charset=utf-8", "ready\n".to_owned()),
            Err(why) => (
                503,
                "text/plain; charset=utf-8",
                format!("not ready: {why}\n"),
            ),
        },
        _ => (
            404,
            "text/plain; charset=utf-8",
            "not found: /metrics, /livez or /readyz\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// What `run` needs from the service options: the health to update, if anything serves it.
pub(crate) type Watched = Option<Arc<Health>>;

/// Binds `--metrics-addr` if given: `Err` is a usage error (exit code 2).
pub(crate) async fn start(address: Option<&str>) -> Result<Watched, BoxError> {
    let Some(address) = address else {
        return Ok(None);
    };
    let endpoint = Endpoint::bind(address).await.map_err(UsageError)?;
    if let Some(bound) = endpoint.address() {
        eprintln!("metrics on http://{bound}/metrics (also /livez, /readyz)");
    }
    let health = Health::new();
    endpoint.serve(Arc::clone(&health));
    Ok(Some(health))
}

/// A mistake in how the tool was started (exit code 2), found after parsing.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}
