//! The control API: what a test in another language needs to change the fake while it runs
//! (add contacts and conflicts, inject faults on a route, change the rate limit, end
//! sessions, read the recorded requests), over HTTP under [`PREFIX`], a path Rocket.Chat
//! never serves (its REST API lives under `/api`). Answers loopback peers only, is never
//! rate-limited, faulted or recorded, and is off unless the builder turns it on
//! ([`FakeRocketChatBuilder::control_api`](super::FakeRocketChatBuilder::control_api);
//! `rocketchat-fake` turns it on unless given `--no-control-api`).

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::faults::Fault;
use super::livechat;
use super::routes::{Call, Reply};
use super::state::{RateRule, State};
use super::visitors::Visitor;

/// Where the control API lives.
pub(crate) const PREFIX: &str = "/_fake";

/// Whether a path belongs to the control API (`/_fake` or below it).
pub(crate) fn is_control_path(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// What each route does, for `GET /_fake` and for the messages of wrong calls.
const ROUTES: &[(&str, &str)] = &[
    ("GET /_fake", "this list"),
    (
        "POST /_fake/contacts",
        "add a contact document as given; answers {\"_id\"}",
    ),
    ("GET /_fake/contacts/{id}", "a contact document as stored"),
    (
        "POST /_fake/contacts/{id}/merge",
        "merge a visitor {name, email, phone, contactManager, customFields}: differing values become conflicts",
    ),
    (
        "POST /_fake/faults",
        "queue faults {count, status, body, html, drop, truncate, delayMs, method, path}",
    ),
    ("DELETE /_fake/faults", "drop the queued faults"),
    (
        "PUT /_fake/rate-limit",
        "{calls, windowMs} per client address, route and method; {\"calls\": null} turns it off",
    ),
    ("POST /_fake/sessions/expire", "end every login session"),
    (
        "GET /_fake/requests",
        "the recorded requests with their statuses (needs --record-requests N)",
    ),
];

/// Answers a control call.
pub(crate) fn handle(state: &mut State, call: &Call<'_>) -> Reply {
    if !call.peer.is_loopback() {
        return problem(403, "the control API answers loopback clients only");
    }
    // A web page on another name that resolves to loopback (DNS rebinding) sends its own
    // Host: only loopback names are served.
    let host = call
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    let loopback_name = name.eq_ignore_ascii_case("localhost")
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback_name {
        return problem(
            403,
            "the control API answers requests addressed to a loopback name only",
        );
    }
    let path = call.path.strip_prefix(PREFIX).unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (call.method.as_str(), segments.as_slice()) {
        ("GET", []) => index(),
        ("POST", ["contacts"]) => add_contact(state, call),
        ("GET", ["contacts", id]) => match state.contacts.get(id) {
            Some(doc) => Reply::json(200, &Value::Object(doc)),
            None => problem(404, &format!("no contact `{id}`")),
        },
        ("POST", ["contacts", id, "merge"]) => merge(state, call, id),
        ("POST", ["contacts", id, "verify"]) => verify(state, call, id),
        ("POST", ["faults"]) => faults(state, call),
        ("DELETE", ["faults"]) => {
            let dropped = state.faults.len();
            state.faults.clear();
            Reply::json(200, &json!({"dropped": dropped}))
        }
        ("PUT", ["rate-limit"]) => rate_limit(state, call),
        ("POST", ["sessions", "expire"]) => {
            Reply::json(200, &json!({"expired": state.expire_login_sessions()}))
        }
        ("GET", ["requests"]) => requests(state),
        ("GET", ["messages"]) => Reply::json(200, &state.messages),
        _ => problem(
            404,
            &format!(
                "no control route {} {}; GET {PREFIX} lists them",
                call.method, call.path
            ),
        ),
    }
}

fn problem(status: u16, message: &str) -> Reply {
    Reply::json(status, &json!({"error": message}))
}

fn index() -> Reply {
    let routes: Map<String, Value> = ROUTES
        .iter()
        .map(|(route, what)| ((*route).to_owned(), Value::from(*what)))
        .collect();
    Reply::json(200, &Value::Object(routes))
}

/// The body as a JSON object, or the 400 to answer.
fn object(call: &Call<'_>) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(call.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(problem(400, "the body must be a JSON object")),
        Err(e) => Err(problem(400, &format!("the body is not JSON: {e}"))),
    }
}

fn add_contact(state: &mut State, call: &Call<'_>) -> Reply {
    match object(call) {
        Ok(doc) => {
            let id = state.add_contact_document(doc, false);
            Reply::json(201, &json!({"_id": id}))
        }
        Err(reply) => reply,
    }
}

/// `{"field": "email" | "phone", "value": …}`: Enterprise verification, which merges and
/// hard-deletes the contacts verified by the same value.
fn verify(state: &mut State, call: &Call<'_>, id: &str) -> Reply {
    let body = match object(call) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let (Some(field), Some(value)) = (
        body.get("field").and_then(Value::as_str),
        body.get("value").and_then(Value::as_str),
    ) else {
        return problem(400, "`field` and `value` must be strings");
    };
    match livechat::verify_channel(state, id, field, value) {
        Some(deleted) => Reply::json(200, &json!({"deleted": deleted})),
        None => problem(404, &format!("no contact has _id `{id}`")),
    }
}

fn merge(state: &mut State, call: &Call<'_>, id: &str) -> Reply {
    let body = match object(call) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let text = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(problem(400, &format!("`{key}` must be a string"))),
    };
    let visitor = (|| {
        Ok::<_, Reply>(Visitor {
            name: text("name")?,
            email: text("email")?,
            phone: text("phone")?,
            contact_manager: text("contactManager")?,
            custom_fields: match body.get("customFields") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(fields)) => fields.clone(),
                Some(_) => return Err(problem(400, "`customFields` must be an object")),
            },
        })
    })();
    match visitor {
        Ok(visitor) => match livechat::merge_visitor(state, id, visitor) {
            Some(()) => Reply::json(200, &json!({"merged": true})),
            None => problem(404, &format!("no contact `{id}`")),
        },
        Err(reply) => reply,
    }
}

fn faults(state: &mut State, call: &Call<'_>) -> Reply {
    let body = match object(call) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let flag = |key: &str| body.get(key).and_then(Value::as_bool).unwrap_or(false);
    let count = body.get("count").and_then(Value::as_u64).unwrap_or(1);
    let mut fault = if flag("drop") {
        Fault::drop_connection()
    } else if flag("truncate") {
        Fault::truncated_body()
    } else if let Some(ms) = body.get("delayMs").and_then(Value::as_u64) {
        Fault::delay(Duration::from_millis(ms))
    } else if let Some(status) = body.get("status").and_then(Value::as_u64) {
        let Ok(status) = u16::try_from(status) else {
            return problem(400, "`status` must be an HTTP status");
        };
        if !(100..=599).contains(&status) {
            return problem(400, "`status` must be an HTTP status");
        }
        if flag("html") {
            Fault::html(status)
        } else {
            let text = body.get("body").and_then(Value::as_str).unwrap_or("{}");
            Fault::status(status, text.to_owned())
        }
    } else {
        return problem(
            400,
            "say which fault: `drop`, `truncate`, `delayMs` or `status` (with `body` or `html`)",
        );
    };
    match (body.get("method"), body.get("path")) {
        (Some(Value::String(method)), Some(Value::String(path))) => {
            fault = fault.only_on(method, path);
        }
        (None, None) => {}
        _ => return problem(400, "`method` and `path` go together, as strings"),
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX).min(100_000);
    state.faults.extend(std::iter::repeat_n(fault, count));
    Reply::json(200, &json!({"queued": count}))
}

fn rate_limit(state: &mut State, call: &Call<'_>) -> Reply {
    let body = match object(call) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    state.rate_rule = match body.get("calls") {
        None | Some(Value::Null) => None,
        Some(calls) => {
            let (Some(calls), Some(window)) =
                (calls.as_u64(), body.get("windowMs").and_then(Value::as_u64))
            else {
                return problem(
                    400,
                    "give `calls` and `windowMs` as numbers, or `calls: null` to turn it off",
                );
            };
            Some(RateRule {
                calls,
                window: Duration::from_millis(window),
            })
        }
    };
    state.rate_windows.clear();
    Reply::json(
        200,
        &json!({"rateLimit": body.get("calls").cloned().unwrap_or(Value::Null)}),
    )
}

fn requests(state: &State) -> Reply {
    let recorded: Vec<Value> = state
        .requests
        .all()
        .into_iter()
        .map(|r| {
            let headers: Map<String, Value> = r
                .headers
                .into_iter()
                .map(|(name, value)| (name, Value::from(value)))
                .collect();
            json!({
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "headers": headers,
                "body": String::from_utf8_lossy(&r.body),
                "status": r.status,
            })
        })
        .collect();
    Reply::json(200, &Value::Array(recorded))
}
