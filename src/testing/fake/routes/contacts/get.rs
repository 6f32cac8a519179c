//! `GET omnichannel/contacts.get` (`apps/meteor/app/livechat/server/api/v1/contact.ts`):
//! an unknown or disabled id is a 404 `Resource not found`.

use serde_json::Value;

use super::super::call::Call;
use super::super::reply::Reply;
use crate::testing::fake::state::State;
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.get";

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let params = match call.valid_query(state.profile.version, ROUTE) {
        Ok(params) => params,
        Err(reply) => return reply,
    };
    let id = params["contactId"].as_str().unwrap_or_default();
    match state.contacts.get_enabled(id) {
        Some(contact) => Reply::ok_with("contact", Value::Object(contact)),
        None => Reply::error(404, "Resource not found"),
    }
}
