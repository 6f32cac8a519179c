//! Raw HTTP against the in-process fake, as another language's test would send it: an
//! admin, an agent and a livechat manager with personal access tokens.

use rocketchat_omnichannel::testing::{FakeRocketChat, FakeUser};
use serde_json::{Value, json};

/// The fake and the three users.
pub struct Raw {
    pub fake: FakeRocketChat,
    pub http: reqwest::Client,
    /// (user id, token) of an admin, an agent and a livechat manager.
    pub admin: (String, String),
    pub agent: (String, String),
    pub manager: (String, String),
}

impl Raw {
    pub async fn start(fake: FakeRocketChat) -> Self {
        let login = |user: FakeUser| {
            let id = fake.add_user(user);
            let token = fake.personal_access_token(&id);
            (id.to_string(), token.auth_token().expose().to_owned())
        };
        let admin = login(FakeUser::new("root").id("root").name("Root").role("admin"));
        let agent = login(FakeUser::agent("agent1").id("agent1").name("Agent One"));
        let manager = login(FakeUser::new("lead").id("lead").role("livechat-manager"));
        Self {
            fake,
            http: reqwest::Client::new(),
            admin,
            agent,
            manager,
        }
    }

    pub async fn new() -> Self {
        Self::start(FakeRocketChat::start().await).await
    }

    pub async fn version(version: &str) -> Self {
        let fake = FakeRocketChat::builder()
            .version(version)
            .unwrap()
            .start()
            .await
            .unwrap();
        Self::start(fake).await
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        who: Option<&(String, String)>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.fake.uri());
        let mut request = if method == "GET" {
            self.http.get(url)
        } else {
            self.http
                .post(url)
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body.unwrap_or(json!({}))).unwrap())
        };
        if let Some((id, token)) = who {
            request = request
                .header("X-User-Id", id)
                .header("X-Auth-Token", token);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status().as_u16();
        let bytes = answer.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn get(&self, route: &str) -> (u16, Value) {
        self.send("GET", &format!("/api/v1/{route}"), None, Some(&self.agent))
            .await
    }

    pub async fn post_as(&self, who: &(String, String), route: &str, body: Value) -> (u16, Value) {
        self.send("POST", &format!("/api/v1/{route}"), Some(body), Some(who))
            .await
    }
}
