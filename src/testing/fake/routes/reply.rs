//! [`Reply`]: an answer about to be written, and the shapes every route answers with.

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::testing::bodies;
use crate::testing::fake::state::State;

/// An answer about to be written.
pub(crate) struct Reply {
    pub(crate) status: u16,
    body: Bytes,
    content_type: &'static str,
    pub(super) headers: Vec<(&'static str, String)>,
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

    pub(super) fn error_json(status: u16, body: Vec<u8>) -> Self {
        Self::raw(status, Bytes::from(body), "application/json")
    }

    /// `{"success":false,"error":"…"}`, the shape of business errors.
    pub(crate) fn error(status: u16, error: &str) -> Self {
        Self::error_json(status, bodies::error(error))
    }

    pub(super) fn invalid_params(message: &str) -> Self {
        Self::error_json(400, bodies::invalid_params(message))
    }

    /// 401 in the shape of the profile's release (see [`Profile::new_auth_bodies`]).
    ///
    /// [`Profile::new_auth_bodies`]: crate::testing::fake::version::Profile::new_auth_bodies
    pub(super) fn unauthorized(state: &State) -> Self {
        if state.profile.new_auth_bodies() {
            Self::error(401, bodies::NOT_LOGGED_IN)
        } else {
            Self::error_json(401, bodies::unauthorized())
        }
    }

    /// 403 from the permissions middleware: `User does not have the permissions required
    /// for this action [error-unauthorized]` in every release the fake plays, with breaking
    /// changes or without (`apps/meteor/server/api/v1/middlewares/permissions.ts`, a1167b28).
    pub(super) fn forbidden() -> Self {
        Self::error(403, bodies::FORBIDDEN)
    }

    /// A success: the value's fields plus `success: true`.
    pub(super) fn ok(mut body: Map<String, Value>) -> Self {
        body.insert("success".into(), Value::Bool(true));
        let mut reply = Self::json(200, &body);
        reply.headers.push(("cache-control", "no-store".into()));
        reply.headers.push(("pragma", "no-cache".into()));
        reply
    }

    pub(super) fn ok_with(key: &str, value: Value) -> Self {
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
