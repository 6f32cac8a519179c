//! The fake server's data: users, tokens, contacts, custom-field definitions, the rate
//! limiter, recorded requests and queued faults. Everything is behind one mutex and never
//! held across an `.await`.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::contacts::ContactStore;
use super::custom_fields::CustomField;
use super::faults::Fault;
use super::recording::Recorder;
use super::users::{FakeUser, TokenKind, UserRecord};
use super::version::Profile;

/// A rate-limit rule: `calls` per `window`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RateRule {
    pub(crate) calls: u64,
    pub(crate) window: Duration,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct RateWindow {
    pub(crate) started: Instant,
    pub(crate) reset_ms: u64,
    pub(crate) count: u64,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) profile: Profile,
    pub(crate) users: Vec<UserRecord>,
    /// token → (user id, kind)
    pub(crate) tokens: HashMap<String, (String, TokenKind)>,
    /// Contacts, exactly as the API returns them (unknown fields kept).
    pub(crate) contacts: ContactStore,
    /// The workspace's livechat custom-field definitions.
    pub(crate) custom_fields: Vec<CustomField>,
    /// Closed conversations per contact id, for `contacts.history`.
    pub(crate) history: HashMap<String, Vec<Value>>,
    pub(crate) rate_rule: Option<RateRule>,
    pub(crate) rate_windows: HashMap<String, RateWindow>,
    pub(crate) requests: Recorder,
    pub(crate) faults: VecDeque<Fault>,
    pub(crate) resolved_conflicts_count: u64,
    pub(crate) next_id: u64,
    /// Whether the control API under `/_fake` answers (see `control.rs`).
    pub(crate) control_api: bool,
    /// Workspace settings the fake reads, by Rocket.Chat's setting id (see
    /// [`State::setting`]).
    pub(crate) settings: Map<String, Value>,
    /// Livechat rooms, open and closed, as far as the contact routes care.
    pub(crate) rooms: Vec<RoomRecord>,
    /// Livechat visitors, as `LivechatVisitors` stores them.
    pub(crate) visitors: Vec<Map<String, Value>>,
    /// `Livechat_guest_count`, for `guest-N` usernames.
    pub(crate) guest_count: u64,
    /// Permissions whose roles the seed changed, as the `rocketchat_permissions`
    /// collection stores them (`_id` → `roles`); the others have their default roles.
    pub(crate) permissions: HashMap<String, Vec<String>>,
    /// Chat rooms: `GENERAL` on a new server, more from a seed, direct messages as posted.
    pub(crate) chat_rooms: Vec<ChatRoom>,
    /// Messages posted with `chat.postMessage`, as stored.
    pub(crate) messages: Vec<Value>,
}

/// A chat room, as far as posting to it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChatRoom {
    pub(crate) id: String,
    /// `None` for a direct message.
    pub(crate) name: Option<String>,
    /// `c` public, `p` private, `d` direct.
    pub(crate) kind: char,
    /// Who may post; `None`: anyone (a public room joins whoever posts).
    pub(crate) members: Option<Vec<String>>,
}

impl ChatRoom {
    /// The room a new workspace has, `#general`, which every user is in.
    pub(crate) fn general() -> Self {
        Self {
            id: "GENERAL".into(),
            name: Some("general".into()),
            kind: 'c',
            members: None,
        }
    }

    /// Whether `user` may post: anyone in a public room, members elsewhere.
    pub(crate) fn admits(&self, user: &str) -> bool {
        self.kind == 'c'
            || self
                .members
                .as_ref()
                .is_some_and(|members| members.iter().any(|m| m == user))
    }
}

/// A livechat room: who it is with and whether it is still open.
#[derive(Clone, Debug)]
pub(crate) struct RoomRecord {
    pub(crate) id: String,
    pub(crate) visitor_id: String,
    pub(crate) contact_id: Option<String>,
    pub(crate) open: bool,
    /// `{type: "widget" | "api", …}`.
    pub(crate) source: Value,
    pub(crate) opened_at: String,
}

impl State {
    /// A boolean setting; absent means Rocket.Chat's default, `false` for those the fake reads.
    pub(crate) fn setting(&self, id: &str) -> bool {
        self.settings.get(id).and_then(Value::as_bool) == Some(true)
    }

    /// Whether the contact has an open room (`LivechatRooms.checkContactOpenRooms`).
    pub(crate) fn has_open_room(&self, contact_id: &str) -> bool {
        self.rooms
            .iter()
            .any(|room| room.open && room.contact_id.as_deref() == Some(contact_id))
    }

    /// Ends every login session (personal access tokens stay); returns how many ended.
    pub(crate) fn expire_login_sessions(&mut self) -> usize {
        let before = self.tokens.len();
        self.tokens
            .retain(|_, (_, kind)| !matches!(kind, TokenKind::Login));
        before - self.tokens.len()
    }

    /// A Mongo-like 17-character id, unique within this server.
    pub(crate) fn new_id(&mut self) -> String {
        self.next_id += 1;
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(self.next_id);
        let random = hasher.finish();
        format!("{:09x}{:08x}", self.next_id, random as u32)[..17].to_owned()
    }

    /// A 43-character token like Rocket.Chat's.
    pub(crate) fn new_token(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..43)
            .map(|_| {
                let random = RandomState::new().build_hasher().finish();
                ALPHABET[(random % ALPHABET.len() as u64) as usize] as char
            })
            .collect()
    }

    pub(crate) fn user(&self, id: &str) -> Option<&UserRecord> {
        self.users.iter().find(|u| u.id == id)
    }

    pub(crate) fn add_user(&mut self, user: FakeUser) -> String {
        let id = user.id.clone().unwrap_or_else(|| self.new_id());
        self.users.retain(|u| u.id != id);
        self.users.push(UserRecord::from_seed(id.clone(), user));
        id
    }

    pub(crate) fn issue_token(&mut self, user_id: &str, kind: TokenKind) -> String {
        let token = self.new_token();
        self.tokens
            .insert(token.clone(), (user_id.to_owned(), kind));
        token
    }

    /// The user a `X-User-Id`/`X-Auth-Token` pair authenticates, if the pair is valid.
    pub(crate) fn authenticate(
        &self,
        user_id: Option<&str>,
        token: Option<&str>,
    ) -> Option<&UserRecord> {
        let (owner, _) = self.tokens.get(token?)?;
        (owner == user_id?).then(|| self.user(owner))?
    }

    /// Counts a call against the limiter. Returns the headers to send and whether the call
    /// is over the limit (with the seconds to wait).
    pub(crate) fn count_call(&mut self, key: String) -> Option<(RateWindow, u64, bool)> {
        let rule = self.rate_rule?;
        self.count_call_by(key, rule)
    }

    /// Counts a call under a route's own rule (`rateLimiterOptions`), while the limiter is
    /// on at all.
    pub(crate) fn count_call_by(
        &mut self,
        key: String,
        rule: RateRule,
    ) -> Option<(RateWindow, u64, bool)> {
        self.rate_rule?;
        let now = Instant::now();
        let window = self
            .rate_windows
            .entry(key)
            .or_insert_with(|| new_window(now, rule.window));
        if now.duration_since(window.started) >= rule.window {
            *window = new_window(now, rule.window);
        }
        window.count += 1;
        let over = window.count > rule.calls;
        Some((*window, rule.calls, over))
    }

    /// Stores a contact. With `fill_defaults`, missing dates, lists and `unknown: false` are
    /// added as `createContact` would when creating one; without, the document is kept exactly
    /// as given (seeds and `add_contact_json`), apart from a generated `_id` when it has none.
    pub(crate) fn add_contact_document(
        &mut self,
        mut doc: Map<String, Value>,
        fill_defaults: bool,
    ) -> String {
        let id = match doc.get("_id").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => {
                let id = self.new_id();
                doc.insert("_id".into(), json!(id));
                id
            }
        };
        if fill_defaults {
            let now = now_iso();
            for key in ["createdAt", "_updatedAt"] {
                doc.entry(key).or_insert_with(|| json!(now));
            }
            for key in ["channels", "emails", "phones"] {
                doc.entry(key).or_insert_with(|| json!([]));
            }
            // `createContact` always writes `unknown` (false for contacts made by the API).
            if doc.get("unknown").is_none_or(Value::is_null) {
                doc.insert("unknown".into(), json!(false));
            }
        }
        self.contacts.put(&id, &doc);
        id
    }
}

fn new_window(now: Instant, length: Duration) -> RateWindow {
    RateWindow {
        started: now,
        reset_ms: epoch_ms(
            SystemTime::now()
                .checked_add(length)
                .unwrap_or(UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX))),
        ),
        count: 0,
    }
}

pub(crate) fn epoch_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The current time as the REST API writes it.
pub(crate) fn now_iso() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}
