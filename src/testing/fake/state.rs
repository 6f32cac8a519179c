//! The fake server's data: users, tokens, contacts, the rate limiter, recorded requests and
//! queued faults. Everything is behind one mutex and never held across an `.await`.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::{FakeUser, Fault, RecordedRequest, Visitor};

/// A user as the fake stores it.
#[derive(Clone, Debug)]
pub(crate) struct UserRecord {
    pub(crate) id: String,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) totp_code: Option<String>,
    pub(crate) failed_codes: u32,
}

impl UserRecord {
    pub(crate) fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Rocket.Chat's default role → permission mapping, for the permissions our routes check.
    pub(crate) fn has_permission(&self, permission: &str) -> bool {
        let roles: &[&str] = match permission {
            "update-livechat-contact"
            | "view-livechat-contact"
            | "view-livechat-contact-history"
            | "create-livechat-contact" => &[
                "admin",
                "livechat-manager",
                "livechat-monitor",
                "livechat-agent",
            ],
            "delete-livechat-contact" => &["admin", "livechat-manager"],
            "api-bypass-rate-limit" => &["admin", "bot", "app"],
            _ => &["admin"],
        };
        roles.iter().any(|role| self.has_role(role))
    }

    /// The `me` document: the user's fields unwrapped at the top level.
    pub(crate) fn me(&self) -> Value {
        let mut me = json!({
            "_id": self.id,
            "username": self.username,
            "name": self.name,
            "status": "online",
            "active": true,
            "roles": self.roles,
            "utcOffset": 0,
            "settings": {"preferences": {}},
            "avatarUrl": format!("/avatar/{}", self.username),
            "isOAuthUser": false,
            "services": {"password": {"exists": true}},
        });
        if let Some(email) = &self.email {
            me["emails"] = json!([{"address": email, "verified": true}]);
            me["email"] = json!(email);
        }
        me
    }
}

/// Whether a token came from a login or is a personal access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Login,
    PersonalAccess,
}

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
    pub(crate) users: Vec<UserRecord>,
    /// token → (user id, kind)
    pub(crate) tokens: HashMap<String, (String, TokenKind)>,
    /// contact id → document, exactly as the API returns it (unknown fields kept).
    pub(crate) contacts: BTreeMap<String, Map<String, Value>>,
    /// Closed conversations per contact id, for `contacts.history`.
    pub(crate) history: HashMap<String, Vec<Value>>,
    pub(crate) rate_rule: Option<RateRule>,
    pub(crate) rate_windows: HashMap<String, RateWindow>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) faults: VecDeque<Fault>,
    pub(crate) resolved_conflicts_count: u64,
    pub(crate) next_id: u64,
}

impl State {
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
        self.users.push(UserRecord {
            id: id.clone(),
            name: user.name.unwrap_or_else(|| user.username.clone()),
            username: user.username,
            password: user.password,
            email: user.email,
            roles: user.roles,
            totp_code: user.totp_code,
            failed_codes: 0,
        });
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

    /// Stores a contact. With `fill_defaults`, missing dates and lists are added as the
    /// server would when creating one; without, the document is kept exactly as given (seeds
    /// and `add_contact_json`), apart from a generated `_id` when it has none.
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
        }
        self.contacts.insert(id.clone(), doc);
        id
    }

    /// Links a visitor to a contact the way Rocket.Chat's merge does: emails, phones and the
    /// channel are appended; differing name, manager and custom fields become conflict
    /// entries on a known contact, or overwrite an unknown one.
    pub(crate) fn merge_visitor(&mut self, contact_id: &str, visitor: Visitor) -> Option<()> {
        let visitor_id = self.new_id();
        let now = now_iso();
        let contact = self.contacts.get_mut(contact_id)?;
        let unknown = contact
            .get("unknown")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut conflicts: Vec<Value> = Vec::new();
        let mut decide = |contact: &mut Map<String, Value>,
                          field: &str,
                          key: &str,
                          value: Value| match contact.get(key) {
            Some(current) if !current.is_null() && *current != value && !unknown => {
                conflicts.push(json!({"field": field, "value": value}));
            }
            _ => {
                contact.insert(key.to_owned(), value);
            }
        };
        if let Some(name) = visitor.name {
            decide(contact, "name", "name", json!(name));
        }
        if let Some(manager) = visitor.contact_manager {
            decide(contact, "manager", "contactManager", json!(manager));
        }
        if !visitor.custom_fields.is_empty() {
            let mut fields = contact
                .remove("customFields")
                .and_then(|v| match v {
                    Value::Object(map) => Some(map),
                    _ => None,
                })
                .unwrap_or_default();
            for (key, value) in visitor.custom_fields {
                match fields.get(&key) {
                    Some(current) if !current.is_null() && *current != value && !unknown => {
                        conflicts
                            .push(json!({"field": format!("customFields.{key}"), "value": value}));
                    }
                    _ => {
                        fields.insert(key, value);
                    }
                }
            }
            contact.insert("customFields".into(), Value::Object(fields));
        }
        append_unique(
            contact,
            "emails",
            visitor.email.map(|a| json!({"address": a})),
        );
        append_unique(
            contact,
            "phones",
            visitor.phone.map(|p| json!({"phoneNumber": p})),
        );
        let channels = contact.entry("channels").or_insert_with(|| json!([]));
        if let Value::Array(channels) = channels {
            channels.push(json!({
                "name": "widget",
                "visitor": {"visitorId": visitor_id, "source": {"type": "widget"}},
                "blocked": false,
                "verified": false,
                "details": {"type": "widget"},
                "lastChat": {"_id": format!("room-{visitor_id}"), "ts": now},
            }));
        }
        if !conflicts.is_empty() {
            let entries = contact
                .entry("conflictingFields")
                .or_insert_with(|| json!([]));
            if !entries.is_array() {
                *entries = json!([]);
            }
            if let Value::Array(entries) = entries {
                entries.extend(conflicts);
            }
            contact.insert("hasConflicts".into(), json!(true));
        }
        contact.insert(
            "lastChat".into(),
            json!({"_id": format!("room-{visitor_id}"), "ts": now}),
        );
        contact.insert("_updatedAt".into(), json!(now));
        self.history
            .entry(contact_id.to_owned())
            .or_default()
            .push(json!({
                "_id": format!("room-{visitor_id}"),
                "ts": now,
                "closedAt": now,
                "source": {"type": "widget"},
                "v": {"_id": visitor_id},
            }));
        Some(())
    }
}

fn append_unique(contact: &mut Map<String, Value>, key: &str, entry: Option<Value>) {
    let Some(entry) = entry else { return };
    let list = contact.entry(key).or_insert_with(|| json!([]));
    if let Value::Array(list) = list
        && !list.contains(&entry)
    {
        list.push(entry);
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

/// Redacts the secret values in a recorded JSON body (login passwords, codes, tokens).
pub(crate) fn redact_body(body: &Bytes) -> Bytes {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return body.clone();
    };
    let Some(map) = value.as_object_mut() else {
        return body.clone();
    };
    let mut changed = false;
    for key in ["password", "code", "resume", "authToken", "token"] {
        if let Some(v) = map.get_mut(key) {
            *v = json!("<redacted>");
            changed = true;
        }
    }
    if changed {
        Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
    } else {
        body.clone()
    }
}
