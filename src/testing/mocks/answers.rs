//! The answers every endpoint shares: JSON bodies, a missing route, a success, and
//! [`common_answers!`] (401, 403, 429, 400 and anything by hand) for each mock's `impl`.

use serde::Serialize;
use serde_json::json;
use wiremock::ResponseTemplate;

pub(super) fn json_answer(status: u16, body: Vec<u8>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

/// What a current server answers for a route it does not have (Hono's default).
pub(super) fn route_missing() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw("404 Not Found", "text/plain; charset=UTF-8")
}

/// A success body: the value's fields next to `success: true`.
pub(super) fn success(key: &str, value: &impl Serialize) -> ResponseTemplate {
    let body = json!({ key: value, "success": true });
    json_answer(200, serde_json::to_vec(&body).unwrap_or_default())
        .insert_header("cache-control", "no-store")
        .insert_header("pragma", "no-cache")
}

/// Answers any endpoint can give: 401, 403, 429, and anything by hand. Paths are absolute,
/// so the `impl` that expands it needs no imports for it.
macro_rules! common_answers {
    () => {
        /// 401 with the server's "You must be logged in to do this." body.
        pub fn respond_with_unauthorized(self) -> ::wiremock::Mock {
            self.respond($crate::testing::mocks::answers::json_answer(
                401,
                $crate::testing::bodies::unauthorized(),
            ))
        }

        /// 403 with the server's permission message.
        pub fn respond_with_forbidden(self) -> ::wiremock::Mock {
            self.respond($crate::testing::mocks::answers::json_answer(
                403,
                $crate::testing::bodies::error($crate::testing::bodies::FORBIDDEN),
            ))
        }

        /// 429 with the limiter's message and `X-RateLimit-*` headers that reset at `reset`.
        pub fn respond_with_rate_limit(self, reset: ::std::time::SystemTime) -> ::wiremock::Mock {
            let reset_ms = reset
                .duration_since(::std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let wait = reset
                .duration_since(::std::time::SystemTime::now())
                .map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
            self.respond(
                $crate::testing::mocks::answers::json_answer(
                    429,
                    $crate::testing::bodies::rate_limited(wait),
                )
                .insert_header("x-ratelimit-limit", "10")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset_ms.to_string().as_str()),
            )
        }

        /// 400 `invalid-params` with the validator's message (e.g. `must be boolean`).
        pub fn respond_with_invalid_params(self, message: &str) -> ::wiremock::Mock {
            self.respond($crate::testing::mocks::answers::json_answer(
                400,
                $crate::testing::bodies::invalid_params(message),
            ))
        }

        /// Any status and raw body (an HTML 502 from a proxy, a truncated body …).
        pub fn respond_with_raw(
            self,
            status: u16,
            body: impl Into<Vec<u8>>,
            content_type: &str,
        ) -> ::wiremock::Mock {
            self.respond(
                ::wiremock::ResponseTemplate::new(status).set_body_raw(body.into(), content_type),
            )
        }

        /// Escape hatch: a hand-made wiremock answer on this endpoint's matcher.
        pub fn respond(self, template: ::wiremock::ResponseTemplate) -> ::wiremock::Mock {
            self.given().respond_with(template)
        }
    };
}

pub(super) use common_answers;
