//! `POST /api/v1/chat.postMessage`: a message in a room, as the user the client is logged in
//! as. The route (`apps/meteor/app/api/server/v1/chat.ts`) takes `roomId` or `channel`, never
//! both; `processWebhookMessage.ts` resolves either the same way: `#name` a room by name,
//! `@username` a direct message (created if needed), anything else a room id or name, then a
//! user id. A public room is joined on the way; a room it cannot find is 400
//! `[invalid-channel]`, one the user may not post in 400 `error-not-allowed`. There is no
//! permission of its own, and the default rate limit applies.

use serde::{Deserialize, Serialize};

use crate::awaitable::awaitable;
use crate::client::{Caller, Client, request_options};
use crate::error::{Error, Matcher, operation_error};
use crate::omnichannel::contacts::body::post;

operation_error! {
    /// Why posting a message failed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rocketchat_omnichannel::chat::PostMessageError;
    /// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
    /// let fake = FakeRocketChat::builder().demo_data().start().await?;
    /// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
    /// match client.post_message("#no-such-room").text("hello").await {
    ///     Err(PostMessageError::RoomNotFound { .. }) => {}
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub enum PostMessageError {
        /// 400 `invalid-channel`: no room has this id or name (and no user this id).
        RoomNotFound = Matcher::Code("invalid-channel"),
            "no room has this id or name";
        /// 400 `error-not-allowed`: the user may not post in this room (a private room it
        /// is not a member of).
        NotAllowed = Matcher::Code("error-not-allowed"),
            "the user may not post in this room";
        /// 400 `invalid-params`: the body broke the server's schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the request";
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    room_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    text: String,
}

#[derive(Deserialize)]
struct Answer {
    message: PostedMessage,
}

/// The message as the server stored it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PostedMessage {
    /// Its id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The room it went to.
    #[serde(rename = "rid")]
    pub room_id: String,
}

/// A message to post. Made by [`Client::post_message`]; send with `.await` or
/// [`PostMessage::send`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited or sent"]
pub struct PostMessage {
    client: Caller,
    room: String,
    text: String,
}

impl Client {
    /// Starts a `chat.postMessage` call to `room`: a room id (`GENERAL`), `#name` for a room
    /// by name, or `@username` for a direct message.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
    /// # let fake = FakeRocketChat::builder().demo_data().start().await?;
    /// # let client = fake.client_for(&DemoData::AGENT_ID.into())?;
    /// let posted = client.post_message("#general").text("3 contacts wait for a person").await?;
    /// assert_eq!(posted.room_id, "GENERAL");
    /// # Ok(()) }
    /// ```
    pub fn post_message(&self, room: impl Into<String>) -> PostMessage {
        PostMessage {
            client: Caller::new(self),
            room: room.into(),
            text: String::new(),
        }
    }
}

impl PostMessage {
    request_options!(r#"post_message("GENERAL").text("hello")"#);

    /// The message's text (Rocket.Chat's markdown).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    /// Sends the request.
    ///
    /// # Errors
    /// [`PostMessageError::RoomNotFound`], [`PostMessageError::NotAllowed`], the common
    /// variants for auth, permission and rate limits, and [`PostMessageError::Other`] for an
    /// empty room or text (before sending), transport failures and unexpected answers.
    pub async fn send(self) -> Result<PostedMessage, PostMessageError> {
        let room = self.room.trim().to_owned();
        let body = if room.is_empty() {
            Err(Error::validation("the room must not be empty"))
        } else if self.text.trim().is_empty() {
            Err(Error::validation("the message must have text"))
        } else if room.starts_with('#') || room.starts_with('@') {
            Ok(Body {
                room_id: None,
                channel: Some(room),
                text: self.text,
            })
        } else {
            Ok(Body {
                room_id: Some(room),
                channel: None,
                text: self.text,
            })
        };
        post::<_, Answer, PostMessageError>(&self.client, "chat.postMessage", "1.0.0", body)
            .await
            .map(|answer| answer.message)
    }
}

awaitable!(PostMessage => Result<PostedMessage, PostMessageError>);
