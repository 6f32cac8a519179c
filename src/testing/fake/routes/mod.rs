//! The fake's routes: dispatch, header auth, the rate limiter and the answer type. Each
//! route lives in its own file and follows the real server's order of checks:
//! 401 (auth) → 429 (limiter) → 400 (validation, from [`schema`](super::schema)) → 403
//! (permission) → business errors.

mod auth;
mod contacts;
mod info;
mod livechat;

use std::net::IpAddr;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::Full;
use hyper::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use super::schema::{self, Source};
use super::state::{State, epoch_ms};
use super::users::UserRecord;
use crate::testing::bodies;

/// One request, as the routes see it.
pub(crate) struct Call<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
    pub(crate) peer: IpAddr,
}

impl Call<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as the server reads it: JSON, or a form whose values are all strings;
    /// anything else (or malformed JSON) is `{}`.
    fn json_body(&self) -> Value {
        let content_type = self
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            return Value::Object(
                url::form_urlencoded::parse(self.body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect(),
            );
        }
        if !content_type.starts_with("application/json") {
            return Value::Object(Map::new());
        }
        serde_json::from_slice(self.body).unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// The query string as an object of strings; a repeated key becomes an array, as the
    /// server's query parser gives it.
    fn query_params(&self) -> Map<String, Value> {
        let mut params = Map::new();
        for (key, value) in url::form_urlencoded::parse(self.query.unwrap_or_default().as_bytes()) {
            let value = Value::String(value.into_owned());
            match params.get_mut(key.as_ref()) {
                Some(Value::Array(values)) => values.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
                None => {
                    params.insert(key.into_owned(), value);
                }
            }
        }
        params
    }

    /// The query after validation against the route's schema (values coerced).
    fn valid_query(&self, route: &str) -> Result<Map<String, Value>, Reply> {
        let mut data = Value::Object(self.query_params());
        schema::validate(&format!("GET {route}"), Source::Query, &mut data)
            .map_err(|m| Reply::invalid_params(&m))?;
        Ok(into_object(data))
    }

    /// The body after validation against the route's schema (values coerced).
    fn valid_body(&self, route: &str) -> Result<Map<String, Value>, Reply> {
        let mut data = self.json_body();
        schema::validate(&format!("POST {route}"), Source::Body, &mut data)
            .map_err(|m| Reply::invalid_params(&m))?;
        Ok(into_object(data))
    }
}

fn into_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// An answer about to be written.
pub(crate) struct Reply {
    pub(crate) status: u16,
    body: Bytes,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &impl Serialize) -> Self {
        Self {
            status,
            body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
            content_type: "application/json",
            headers: Vec::new(),
        }
    }

    pub(crate) fn raw(status: u16, body: Bytes, content_type: &'static str) -> Self {
        Self {
            status,
            body,
            content_type,
            headers: Vec::new(),
        }
    }

    fn error_json(status: u16, body: Vec<u8>) -> Self {
        Self::raw(status, Bytes::from(body), "application/json")
    }

    /// `{"success":false,"error":"…"}`, the shape of business errors.
    pub(crate) fn error(status: u16, error: &str) -> Self {
        Self::error_json(status, bodies::error(error))
    }

    fn invalid_params(message: &str) -> Self {
        Self::error_json(400, bodies::invalid_params(message))
    }

    /// 401 in the shape of the profile's release (see [`Profile::new_auth_bodies`]).
    ///
    /// [`Profile::new_auth_bodies`]: super::version::Profile::new_auth_bodies
    fn unauthorized(state: &State) -> Self {
        if state.profile.new_auth_bodies() {
            Self::error(401, bodies::NOT_LOGGED_IN)
        } else {
            Self::error_json(401, bodies::unauthorized())
        }
    }

    /// 403 from the permissions middleware: `User does not have the permissions required
    /// for this action [error-unauthorized]` in every release the fake plays, with breaking
    /// changes or without (`apps/meteor/server/api/v1/middlewares/permissions.ts`, a1167b28).
    fn forbidden() -> Self {
        Self::error(403, bodies::FORBIDDEN)
    }

    /// A success: the value's fields plus `success: true`.
    fn ok(mut body: Map<String, Value>) -> Self {
        body.insert("success".into(), Value::Bool(true));
        let mut reply = Self::json(200, &body);
        reply.headers.push(("cache-control", "no-store".into()));
        reply.headers.push(("pragma", "no-cache".into()));
        reply
    }

    fn ok_with(key: &str, value: Value) -> Self {
        let mut body = Map::new();
        body.insert(key.to_owned(), value);
        Self::ok(body)
    }

    pub(crate) fn truncate(&mut self) {
        let half = self.body.len() / 2;
        self.body.truncate(half);
    }

    pub(crate) fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::builder()
            .status(self.status)
            .header("content-type", self.content_type);
        for (name, value) in self.headers {
            response = response.header(name, value);
        }
        response
            .body(Full::new(self.body))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }
}

/// The answer to a path no route serves (also a route the played release does not have yet):
/// the REST router (Hono, mounted under `/api` by `honoAdapterForExpress`, which never falls
/// through) has no notFound handler, so Hono's default answers: 404, `text/plain`,
/// `404 Not Found` (`packages/http-router/src/Router.ts` and
/// `middlewares/honoAdapterForExpress.ts` at 3b53488d; Hono's `notFoundHandler`). Servers up
/// to 6.x answered Restivus's JSON instead, which the SDK still recognises; which 7.x release
/// first answered in plain text is not confirmed, so every profile does.
fn not_found() -> Reply {
    Reply::raw(
        404,
        Bytes::from_static(b"404 Not Found"),
        "text/plain; charset=UTF-8",
    )
}

type Handler = fn(&mut State, &Call<'_>, &UserRecord) -> Reply;

/// Dispatches a call to its route.
pub(crate) fn route(state: &mut State, call: &Call<'_>) -> Reply {
    if call.path == "/api/info" && call.method == Method::GET {
        return info::server_info(state, call);
    }
    let Some(route) = call.path.strip_prefix("/api/v1/") else {
        return not_found();
    };
    if !state.profile.has_route(route) {
        return not_found();
    }
    // The widget's routes need no login.
    match (call.method.as_str(), route) {
        ("POST", "livechat/visitor") => return livechat::visitor::handle(state, call),
        ("GET", "livechat/room") => return livechat::room::handle(state, call),
        ("POST", "livechat/room.close") => return livechat::room_close::handle(state, call),
        ("POST", "livechat/custom.field") => return livechat::custom_field::handle(state, call),
        _ => {}
    }
    // Each route with the permission its `permissionsRequired` names
    // (apps/meteor/app/livechat/server/api/v1/contact.ts).
    let (handler, permission): (Handler, Option<&'static str>) = match (call.method.as_str(), route)
    {
        ("POST", "login") => return auth::login(state, call),
        ("POST" | "GET", "logout") => (auth::logout, None),
        ("GET", "me") => (auth::me, None),
        ("POST", "omnichannel/contacts.conflicts") => (
            contacts::resolve_conflicts::handle,
            Some("update-livechat-contact"),
        ),
        ("GET", "omnichannel/contacts.get") => {
            (contacts::get::handle, Some("view-livechat-contact"))
        }
        ("GET", "omnichannel/contacts.search") => {
            (contacts::search::handle, Some("view-livechat-contact"))
        }
        ("POST", "omnichannel/contacts") => {
            (contacts::create::handle, Some("create-livechat-contact"))
        }
        ("POST", "omnichannel/contacts.update") => {
            (contacts::update::handle, Some("update-livechat-contact"))
        }
        ("POST", "omnichannel/contacts.delete") => {
            (contacts::delete::handle, Some("delete-livechat-contact"))
        }
        ("GET", "omnichannel/contacts.checkExistence") => (
            contacts::check_existence::handle,
            Some("view-livechat-contact"),
        ),
        ("GET", "omnichannel/contacts.channels") => {
            (contacts::channels::handle, Some("view-livechat-contact"))
        }
        ("GET", "omnichannel/contacts.history") => (
            contacts::history::handle,
            Some("view-livechat-contact-history"),
        ),
        _ => return not_found(),
    };
    authenticated(state, call, route, handler, permission)
}

/// The checks every authenticated route runs before its action, in the newest server's
/// order (`apps/meteor/server/api/ApiClass.ts` at 2e2355e7, where each route is
/// `authenticationMiddlewareForHono` → `rateLimiterMiddleware` → `permissionsMiddleware` →
/// the action, which validates its body or query): 401, then 429, then 403, then the
/// route's own 400s. The rate limiter's headers go on every answer, successes too.
fn authenticated(
    state: &mut State,
    call: &Call<'_>,
    route: &str,
    handler: Handler,
    permission: Option<&str>,
) -> Reply {
    let user = match state.authenticate(call.header("x-user-id"), call.header("x-auth-token")) {
        Some(user) => user.clone(),
        None => return Reply::unauthorized(state),
    };
    let limited = if user.has_permission("api-bypass-rate-limit") {
        None
    } else {
        state.count_call(format!("{}|{}|{}", call.peer, route, call.method))
    };
    let mut reply = match limited {
        Some((window, _, true)) => {
            let wait_ms = window.reset_ms.saturating_sub(epoch_ms(SystemTime::now()));
            let seconds = wait_ms.div_ceil(1000);
            Reply::error_json(429, bodies::rate_limited(seconds))
        }
        // permissions.ts answers 403 with the same text whether breaking changes apply or not.
        _ if permission.is_some_and(|p| !user.has_permission(p)) => Reply::forbidden(),
        _ => handler(state, call, &user),
    };
    if let Some((window, calls, _)) = limited {
        reply.headers.push(("x-ratelimit-limit", calls.to_string()));
        reply.headers.push((
            "x-ratelimit-remaining",
            calls.saturating_sub(window.count).to_string(),
        ));
        reply
            .headers
            .push(("x-ratelimit-reset", window.reset_ms.to_string()));
    }
    reply
}
