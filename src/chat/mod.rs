//! Messages: [`Client::post_message`](crate::Client::post_message), for a bot that tells
//! people what it left for them.

mod post_message;

pub use post_message::{PostMessage, PostMessageError, PostedMessage};
