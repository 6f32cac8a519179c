//! `--notify-room`: the contacts a pass left for a person, posted to a room where people
//! look, at most one message per pass. The watcher reports a contact once per state of its
//! conflicts, so a digest never names the same contact twice for the same conflicts.

use rocketchat_omnichannel::chat::PostMessageError;
use rocketchat_omnichannel::workflow::Outcome;
use rocketchat_omnichannel::{Client, ContactId};

use crate::commands::BoxError;
use crate::service::UsageError;

/// How long a digest may grow before the rest are only counted: Rocket.Chat refuses a
/// message longer than `Message_MaxAllowedSize` (5000 characters by default).
const MAX_CHARS: usize = 4000;

pub(crate) struct Notifier {
    client: Client,
    room: String,
    /// `https://chat.example.com/` when the API base allows links to the contact center.
    web: Option<String>,
    /// This pass's contacts newly left for a person, with the fields that wait.
    pending: Vec<(ContactId, String)>,
}

impl Notifier {
    /// Says in the room that the watcher is on, which also proves the room exists and the
    /// bot may post there: a wrong room is found now (a usage error), not at the first
    /// contact left for a person.
    pub(crate) async fn start(client: &Client, room: &str) -> Result<Self, BoxError> {
        let hello = "rocketchat-contacts is watching contact conflicts: contacts it leaves \
                     for a person will be listed here.";
        match client.post_message(room).text(hello).await {
            Ok(_) => {}
            Err(
                error @ (PostMessageError::RoomNotFound { .. }
                | PostMessageError::NotAllowed { .. }
                | PostMessageError::Forbidden { .. }),
            ) => {
                return Err(Box::new(UsageError(format!(
                    "--notify-room `{room}`: {error}"
                ))));
            }
            Err(error) => return Err(format!("--notify-room `{room}`: {error}").into()),
        }
        let web = client.api_base().strip_suffix("api/v1/").map(str::to_owned);
        Ok(Self {
            client: client.clone(),
            room: room.to_owned(),
            web,
            pending: Vec::new(),
        })
    }

    /// Notes a contact the pass left for a person, wholly or in part.
    pub(crate) fn outcome(&mut self, outcome: &Outcome) {
        let plan = match outcome {
            Outcome::LeftForPerson { plan } | Outcome::PartlyResolved { plan, .. } => plan,
            _ => return,
        };
        let fields: Vec<String> = plan.remaining().map(ToString::to_string).collect();
        if !fields.is_empty() {
            self.pending
                .push((plan.contact_id.clone(), fields.join(", ")));
        }
    }

    /// Posts this pass's digest, if it has anything; a failure is returned for the caller
    /// to report (the contacts stay reported on the tool's own output).
    pub(crate) async fn pass_finished(&mut self, pass: u64) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let mut text = format!(
            "{} contact(s) newly waiting for a person (pass {pass}):",
            pending.len()
        );
        let mut listed = 0;
        for (id, fields) in &pending {
            let mut line = format!("\n- `{id}`: {fields}");
            if let Some(web) = &self.web {
                line.push_str(&format!(
                    " — {web}omnichannel-directory/contacts/details/{id}"
                ));
            }
            if text.chars().count() + line.chars().count() > MAX_CHARS {
                break;
            }
            text.push_str(&line);
            listed += 1;
        }
        if pending.len() > listed {
            text.push_str(&format!("\n…and {} more", pending.len() - listed));
        }
        self.client
            .post_message(self.room.as_str())
            .text(text)
            .await
            .map(|_| ())
            .map_err(|e| format!("could not post to {}: {e}", self.room))
    }
}
