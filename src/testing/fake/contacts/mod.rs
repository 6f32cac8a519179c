//! The contact collection: documents kept as compact JSON text, plus the ordered views that
//! `contacts.search` pages through.
//!
//! A real server keeps contacts in MongoDB with indexes on `name`, `unknown`, `emails.address`
//! and `phones.phoneNumber` (`packages/models/src/models/LivechatContacts.ts`). The fake keeps
//! the same shape of data at a fraction of the memory a `serde_json::Map` per contact costs:
//! each document is stored as its JSON text (parsed again only when a route reads it) and the
//! views hold 4-byte slot numbers, sorted once on insert, so a page is a slice and never a sort
//! of the whole collection.
//!
//! Layers, each file using only those above it: [`order`] (MongoDB's orders), [`slot`] (one
//! stored contact), [`view`] (the ordered views), [`store`] (the collection and its
//! indexes), [`search`] (pages of a search).

mod order;
mod search;
mod slot;
mod store;
mod view;

#[cfg(test)]
mod tests;

pub(crate) use store::ContactStore;
pub(crate) use view::View;
