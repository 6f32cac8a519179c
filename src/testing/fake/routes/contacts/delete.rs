//! `POST omnichannel/contacts.delete` (7.11.0+, PR #36589; permission
//! `delete-livechat-contact`): disables the contact as `LivechatContacts.disableByContactId`
//! does (`enabled: false`, personal data unset), after which every route treats it as
//! missing. An unknown or already deleted id is a 404 `error-contact-not-found`. The route is
//! written in the new router style, whose validation errors carry no ` [invalid-params]`
//! suffix.
//!
//! A contact with an open room is not deleted unless the GDPR setting
//! `Livechat_Allow_collect_and_store_HTTP_header_informations` is on: `disableContact.ts`
//! (4ccc52b2, and the spec that uses `checkContactOpenRooms`, which looks for `open: true`)
//! throws `error-contact-has-open-rooms`, and the route turns every error but not-found into
//! 400 `error-invalid-contact`. The newest route (`apps/meteor/server/api/v1/omnichannel/
//! contact.ts` at 4dda5476, `disableContact.ts` at 5d603e27) answers every thrown error with
//! `API.v1.failure(error.message)`: 400 `error-contact-not-found`, 400
//! `error-contact-has-open-rooms`; see [`Profile::delete_fails_with_its_own_error`].
//!
//! [`Profile::delete_fails_with_its_own_error`]: crate::testing::fake::version::Profile::delete_fails_with_its_own_error

use serde_json::{Map, Value, json};

use super::super::call::Call;
use super::super::reply::Reply;
use crate::testing::bodies;
use crate::testing::fake::schema::{self, Source};
use crate::testing::fake::state::{State, now_iso};
use crate::testing::fake::users::UserRecord;

const ROUTE: &str = "omnichannel/contacts.delete";

/// The setting that lets a contact with open rooms be deleted.
pub(crate) const GDPR_SETTING: &str = "Livechat_Allow_collect_and_store_HTTP_header_informations";

/// The fields `disableByContactId` unsets.
const ERASED: [&str; 7] = [
    "emails",
    "customFields",
    "lastChat",
    "channels",
    "name",
    "phones",
    "conflictingFields",
];

pub(crate) fn handle(state: &mut State, call: &Call<'_>, _user: &UserRecord) -> Reply {
    let mut body = call.json_body();
    if let Err(message) = schema::validate(
        state.profile.version,
        &format!("POST {ROUTE}"),
        Source::Body,
        &mut body,
    ) {
        return Reply::error_json(400, bodies::invalid_params_bare(&message));
    }
    let id = body
        .get("contactId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let newest = state.profile.delete_fails_with_its_own_error();
    let Some(mut contact) = state.contacts.get_enabled(&id) else {
        return Reply::error(if newest { 400 } else { 404 }, "error-contact-not-found");
    };
    if state.has_open_room(&id) && !state.setting(GDPR_SETTING) {
        let error = if newest {
            "error-contact-has-open-rooms"
        } else {
            "error-invalid-contact"
        };
        return Reply::error(400, error);
    }
    for key in ERASED {
        contact.remove(key);
    }
    contact.insert("enabled".into(), json!(false));
    contact.insert("_updatedAt".into(), json!(now_iso()));
    state.contacts.put(&id, &contact);
    state.history.remove(&id);
    Reply::ok(Map::new())
}
