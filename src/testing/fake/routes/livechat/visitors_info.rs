//! `GET livechat/visitors.info?visitorId=…` (an agent's route, permission `view-l-room`):
//! the visitor document (`apps/meteor/server/api/v1/omnichannel/lib/visitors.ts` at
//! 0d0e8b11: `findOneEnabledById(visitorId, {projection: {token: 0}})`), 400
//! `visitor-not-found` for an unknown one. The token is left out from PR #40501; see
//! [`Profile::hides_visitor_token`](crate::testing::fake::version::Profile::hides_visitor_token).

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use crate::testing::fake::state::State;
use crate::testing::fake::users::UserRecord;

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let params = call.query_params();
    let Some(id) = params.get("visitorId").and_then(Value::as_str) else {
        return Reply::invalid_params("must have required property 'visitorId'");
    };
    let Some(mut visitor) = state
        .visitors
        .iter()
        .find(|v| {
            v.get("_id").and_then(Value::as_str) == Some(id)
                && v.get("disabled") != Some(&Value::Bool(true))
        })
        .cloned()
    else {
        return Reply::error(400, "visitor-not-found");
    };
    if state.profile.hides_visitor_token() {
        visitor.remove("token");
    }
    let mut body = Map::new();
    body.insert("visitor".into(), json!(visitor));
    Reply::ok(body)
}
