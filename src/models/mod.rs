//! Serde types for what the server sends and receives. No I/O here.

mod contact;
mod id;
mod conflict;
pub(crate) mod date;
mod user;

pub use contact::{
    Channel, ChannelSource, ChannelVisitor, Contact, ContactEmail, ContactId, ContactPhone,
    LastChat, SourceType,
};
pub use conflict::{ConflictField, ConflictingField};
pub use user::{Me, UserEmail, UserId};
