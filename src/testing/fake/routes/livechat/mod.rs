//! The widget's public routes (no login): `livechat/visitor`, `livechat/room`,
//! `livechat/room.close` and `livechat/custom.field`; and an agent's `livechat/visitors.info`. They are how a real widget creates the
//! conflicts the contact routes resolve; what they do to contacts is in `fake/livechat/`.

pub(crate) mod custom_field;
pub(crate) mod room;
pub(crate) mod room_close;
pub(crate) mod visitor;
pub(crate) mod visitors_info;

use super::reply::Reply;

/// Meteor's `check()` failure: 400 with only the match error's text
/// (`apps/meteor/server/api/ApiClass.ts` → `failure(e.message)`; a `Match.Error` has no code).
fn match_error(message: &str) -> Reply {
    Reply::error(400, &format!("Match error: {message}"))
}
