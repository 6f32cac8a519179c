//! Users: the public [`FakeUser`] seed type and the record the routes authenticate against.

use serde_json::{Value, json};
use std::collections::HashMap;

/// A user to seed into the fake.
///
/// ```
/// use rocketchat_omnichannel::testing::FakeUser;
/// let manager = FakeUser::new("lead").password("pw").role("livechat-manager");
/// # let _ = manager;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct FakeUser {
    pub(crate) id: Option<String>,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) totp_code: Option<String>,
}

impl FakeUser {
    /// A plain user (role `user`, no omnichannel permission).
    pub fn new(username: &str) -> Self {
        Self {
            id: None,
            username: username.to_owned(),
            password: String::new(),
            name: None,
            email: None,
            roles: vec!["user".into()],
            totp_code: None,
        }
    }

    /// A livechat agent (roles `user` and `livechat-agent`).
    pub fn agent(username: &str) -> Self {
        Self::new(username).role("livechat-agent")
    }

    /// A fixed `_id` instead of a generated one.
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    /// The password for `login`.
    pub fn password(mut self, password: &str) -> Self {
        self.password = password.to_owned();
        self
    }

    /// The display name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// The email address (logins may use it instead of the user name).
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.to_owned());
        self
    }

    /// Adds a role (`livechat-manager`, `admin`, `bot`, …).
    pub fn role(mut self, role: &str) -> Self {
        if !self.roles.iter().any(|r| r == role) {
            self.roles.push(role.to_owned());
        }
        self
    }

    /// Requires a TOTP second factor at login, accepting this code.
    pub fn two_factor_code(mut self, code: &str) -> Self {
        self.totp_code = Some(code.to_owned());
        self
    }
}

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
    pub(crate) fn from_seed(id: String, user: FakeUser) -> Self {
        Self {
            id,
            name: user.name.unwrap_or_else(|| user.username.clone()),
            username: user.username,
            password: user.password,
            email: user.email,
            roles: user.roles,
            totp_code: user.totp_code,
            failed_codes: 0,
        }
    }

    pub(crate) fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether one of the user's roles holds `permission`: the roles `permissions` gives
    /// for it (a seed's override), else those Rocket.Chat ships.
    pub(crate) fn has_permission(
        &self,
        permissions: &HashMap<String, Vec<String>>,
        permission: &str,
    ) -> bool {
        match permissions.get(permission) {
            Some(roles) => roles.iter().any(|role| self.has_role(role)),
            None => default_roles(permission)
                .iter()
                .any(|role| self.has_role(role)),
        }
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

/// The roles that hold `permission` on a new Rocket.Chat, for the permissions the fake's
/// routes check (`apps/meteor/app/authorization/server/constant/permissions.ts` at 014c0860).
pub(crate) fn default_roles(permission: &str) -> &'static [&'static str] {
    match permission {
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
        "view-l-room" => &[
            "livechat-agent",
            "livechat-monitor",
            "livechat-manager",
            "admin",
        ],
        "api-bypass-rate-limit" => &["admin", "bot", "app"],
        _ => &["admin"],
    }
}
