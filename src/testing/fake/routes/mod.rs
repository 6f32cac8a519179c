//! The fake's routes: dispatch, header auth and the rate limiter; the request and answer
//! types are in `call.rs` and `reply.rs`. Each route lives in its own file and follows the
//! real server's order of checks:
//! 401 (auth) → 429 (limiter) → 400 (validation, from [`schema`](super::schema)) → 403
//! (permission) → business errors.

mod auth;
mod call;
mod chat;
mod contacts;
mod info;
mod livechat;
mod reply;

use std::time::SystemTime;

use bytes::Bytes;
use http::Method;

use super::state::{RateRule, RateWindow, State, epoch_ms};
use super::users::UserRecord;
use crate::testing::bodies;
pub(crate) use call::Call;
pub(crate) use reply::Reply;

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

/// The 400 the route's schema gives the request, if it gives one.
fn invalid(state: &State, call: &Call<'_>, route: &str) -> Option<Reply> {
    let release = state.profile.version;
    let answer = if call.method == Method::GET {
        call.valid_query(release, route).map(drop)
    } else {
        call.valid_body(release, route).map(drop)
    };
    answer.err()
}

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
    // The widget's routes need no login. Two have a limit of their own, 5 calls a minute
    // (`rateLimiterOptions` in `apps/meteor/server/api/v1/omnichannel/visitor.ts` at
    // 5d603e27 and `room.ts` at 0d155da3), counted while the limiter is on.
    if matches!(
        (call.method.as_str(), route),
        ("POST", "livechat/visitor") | ("GET", "livechat/room")
    ) {
        let rule = RateRule {
            calls: 5,
            window: std::time::Duration::from_secs(60),
        };
        let key = format!("{}|{}|{}", call.peer, route, call.method);
        if let Some((window, calls, over)) = state.count_call_by(key, rule) {
            let mut reply = if over {
                limited(&window)
            } else if route == "livechat/visitor" {
                livechat::visitor::handle(state, call)
            } else {
                livechat::room::handle(state, call)
            };
            limit_headers(&mut reply, &window, calls);
            return reply;
        }
    }
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
        ("POST", "chat.postMessage") => (chat::handle, None),
        ("POST", "omnichannel/contacts.conflicts") => (
            contacts::resolve_conflicts::handle,
            Some("update-livechat-contact"),
        ),
        ("GET", "livechat/visitors.info") => (livechat::visitors_info::handle, Some("view-l-room")),
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

/// The checks every authenticated route runs before its action. From 8.0, the order of
/// `apps/meteor/server/api/ApiClass.ts` at 2e2355e7, where each route is
/// `authenticationMiddlewareForHono` → `rateLimiterMiddleware` → `permissionsMiddleware` →
/// the action, which validates its body or query: 401, then 429, then 403, then the
/// route's own 400s. In 7.x (`ApiClass.ts` at e5433893 and 019378e3: `enforceRateLimit` →
/// `validateParams` → `checkPermissionsForInvocation`) the schema's 400 comes before the
/// 403. The rate limiter's headers go on every answer, successes too.
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
    let limited = if user.has_permission(&state.permissions, "api-bypass-rate-limit") {
        None
    } else {
        state.count_call(format!("{}|{}|{}", call.peer, route, call.method))
    };
    let mut reply = match limited {
        Some((window, _, true)) => self::limited(&window),
        // 7.x validated the request before it looked at permissions: a bad request from a
        // user without the permission is a 400 there.
        _ if permission.is_some_and(|p| !user.has_permission(&state.permissions, p)) => {
            match state
                .profile
                .validates_before_permissions()
                .then(|| invalid(state, call, route))
                .flatten()
            {
                Some(reply) => reply,
                // permissions.ts answers 403 with the same text whether breaking changes
                // apply or not.
                None => Reply::forbidden(),
            }
        }
        _ => handler(state, call, &user),
    };
    if let Some((window, calls, _)) = limited {
        limit_headers(&mut reply, &window, calls);
    }
    reply
}

/// The limiter's 429, with the wait it names.
fn limited(window: &RateWindow) -> Reply {
    let wait_ms = window.reset_ms.saturating_sub(epoch_ms(SystemTime::now()));
    Reply::error_json(429, bodies::rate_limited(wait_ms.div_ceil(1000)))
}

/// The limiter's headers, which go on every answer it counted, successes too.
fn limit_headers(reply: &mut Reply, window: &RateWindow, calls: u64) {
    reply.headers.push(("x-ratelimit-limit", calls.to_string()));
    reply.headers.push((
        "x-ratelimit-remaining",
        calls.saturating_sub(window.count).to_string(),
    ));
    reply
        .headers
        .push(("x-ratelimit-reset", window.reset_ms.to_string()));
}
