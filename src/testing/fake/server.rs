//! The HTTP plumbing: the accept loop, reading a request, faults, recording and logging.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::control;
use super::faults::FaultKind;
use super::routes::{self, Call, Reply};
use super::state::State;

/// Largest request body the fake reads; larger ones get a 413.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// Longest pause after failed accepts (out of file descriptors, out of memory).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Accepts connections until the task is aborted. When `accept` fails — typically `EMFILE`
/// when the process has run out of file descriptors — the loop sleeps, doubling the pause
/// up to a second, instead of spinning on the error; open connections keep being served
/// and free descriptors in the meantime.
pub(crate) async fn accept(listener: TcpListener, state: Arc<Mutex<State>>, log_requests: bool) {
    let mut backoff = Duration::ZERO;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => {
                backoff = Duration::ZERO;
                accepted
            }
            Err(_) => {
                backoff = next_backoff(backoff);
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service =
                service_fn(move |request| handle(Arc::clone(&state), peer, request, log_requests));
            // A client that hangs up mid-request is not the fake's problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// 5 ms, then doubled, at most [`MAX_ACCEPT_BACKOFF`].
fn next_backoff(current: Duration) -> Duration {
    if current.is_zero() {
        Duration::from_millis(5)
    } else {
        (current * 2).min(MAX_ACCEPT_BACKOFF)
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose")]
struct DroppedConnection;

async fn handle(
    state: Arc<Mutex<State>>,
    peer: SocketAddr,
    request: Request<Incoming>,
    log_requests: bool,
) -> Result<Response<Full<Bytes>>, DroppedConnection> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(Reply::error(413, "Payload Too Large").into_response()),
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let call = Call {
        method: &parts.method,
        path: &path,
        query: query.as_deref(),
        headers: &parts.headers,
        body: &body,
        peer: peer.ip(),
    };
    if control::is_control_path(&path) {
        // The control API is the test's own channel: never recorded, faulted or limited.
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.control_api {
            let reply = control::handle(&mut state, &call);
            drop(state);
            log(log_requests, &parts.method, &path, reply.status, started);
            return Ok(reply.into_response());
        }
    }
    let (number, fault) = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let number = state.requests.record(
            parts.method.as_str(),
            &path,
            query.as_deref(),
            &parts.headers,
            &body,
        );
        let fault = state
            .faults
            .iter()
            .position(|f| f.applies_to(parts.method.as_str(), &path))
            .and_then(|at| state.faults.remove(at));
        (number, fault)
    };
    let answered = |status: u16| {
        state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .requests
            .answered(number, status);
    };
    let mut truncate = false;
    match fault.map(|f| f.kind) {
        Some(FaultKind::Drop) => return Err(DroppedConnection),
        Some(FaultKind::Status {
            status,
            body,
            content_type,
        }) => {
            answered(status);
            return Ok(Reply::raw(status, body, content_type).into_response());
        }
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::Truncate) => truncate = true,
        None => {}
    }
    let mut reply = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let reply = routes::route(&mut state, &call);
        state.requests.answered(number, reply.status);
        reply
    };
    if truncate {
        reply.truncate();
    }
    log(log_requests, &parts.method, &path, reply.status, started);
    Ok(reply.into_response())
}

/// One line per request on stderr: method, path, status and duration, never a header or a body.
fn log(on: bool, method: &hyper::Method, path: &str, status: u16, started: Instant) {
    if on {
        eprintln!(
            "{method} {path} {status} {:.1}ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_backoff_grows_and_is_capped() {
        let mut pause = Duration::ZERO;
        let mut seen = Vec::new();
        for _ in 0..12 {
            pause = next_backoff(pause);
            seen.push(pause);
        }
        assert_eq!(seen[0], Duration::from_millis(5));
        assert_eq!(seen[1], Duration::from_millis(10));
        assert_eq!(*seen.last().unwrap(), MAX_ACCEPT_BACKOFF);
    }
}
