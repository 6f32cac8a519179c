//! What the widget's public routes do to contacts, as Rocket.Chat's community edition does it:
//! visitors registered by token, rooms that link a visitor to a contact, and the merge that
//! records conflicts. The HTTP routes (`routes/livechat/`) and
//! [`FakeRocketChat::merge_visitor`](super::FakeRocketChat::merge_visitor) both call this.
//!
//! Sources (RocketChat/Rocket.Chat; the commit or index id read is named where it matters):
//! - `ContactMerger.ts` (156540a3, same as app/livechat's 91047496): incoming values equal to
//!   a value the contact has (its fields or its conflict entries) are dropped; emails,
//!   phones and channels are added; a name or manager is set when the contact has none (or
//!   in overwrite mode, used for `unknown` contacts) and otherwise becomes a conflict entry;
//!   a custom field is set when absent and otherwise dropped (no conflict from the merger).
//! - `updateContactsCustomFields` (server/lib/omnichannel/custom-fields.ts): with
//!   `overwrite: false` and a value present, `{field: "customFields.<key>", value}` is
//!   appended, even when equal, whatever `unknown` says.
//! - `registerGuest` (omni-core) and its ContactMerger patch in `startup.ts` (5c53320a):
//!   a visitor is found by token, then phone, then email; name, phone, email and username are
//!   merged into every contact already linked to it.
//! - `migrateVisitorIfMissingContact` / `migrateVisitorToContactId` (b7bda184) and
//!   `createContactFromVisitor` (`mapVisitorToContact`, 7dd56553): a new room links the
//!   visitor to the contact that has its channel, else merges it into a pre-registered
//!   contact with the same email or phone, else creates an `unknown` contact.
//!
//! Layers, each file using only those above it: [`merge`] (what a visitor brings and the
//! merge into one contact document), [`rooms`] (the contact a room links to, opening and
//! closing it), [`guests`] (visitors by token and [`merge_visitor`]).

mod guests;
mod merge;
mod rooms;
mod verify;

pub(crate) use guests::{
    Guest, merge_visitor, register_guest, set_visitor_custom_field, visitor_by_token,
};
pub(crate) use rooms::{close_room, open_room};
pub(crate) use verify::verify_channel;
