//! Serde types for what the server sends and receives. No I/O here.

mod conflict;
mod contact;
pub(crate) mod date;
mod id;
mod manager;
mod server_info;
mod user;

pub use conflict::{ConflictField, ConflictingField, FieldConflict};
pub use contact::{
    Channel, ChannelSource, ChannelVisitor, Contact, ContactEmail, ContactId, ContactPhone,
    LastChat, SourceType,
};
pub use manager::ContactManager;
pub use server_info::ServerInfo;
pub use user::{Me, UserEmail, UserId};
