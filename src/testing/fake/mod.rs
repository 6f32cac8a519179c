//! [`FakeRocketChat`]: an in-process HTTP server that answers like Rocket.Chat.

mod admin;
mod demo;
mod routes;
mod seed;
mod state;
mod validate;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::models::{Contact, ContactId, UserId};
use crate::{Client, ClientBuilder, Credentials};

pub use demo::DemoData;
pub use seed::SeedError;
use state::{State, TokenKind};

/// Largest request body the fake reads; larger ones get a 413.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// A stateful stand-in for a Rocket.Chat server, for tests and demos.
///
/// It implements the routes this SDK supports with the real server's rules: header auth,
/// logins with two-factor, personal access tokens, roles and permissions, the rate limiter,
/// validation with its exact messages, the order of checks (401 → 429 → 400 → 403 →
/// business errors) and the real JSON bodies. It listens on a loopback port and stops when
/// dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::testing::{FakeRocketChat, Visitor};
///
/// let fake = FakeRocketChat::start().await;
/// let agent = fake.add_agent("agent1", "secret");
/// let contact = fake.add_contact_named("Jane Doe");
/// fake.merge_visitor(&contact, Visitor::new().name("Jane D."));
///
/// let client = fake.client_for(&agent)?;
/// let resolved = client.resolve_contact_conflicts(contact).name("Jane Doe").await?;
/// assert!(resolved.conflicting_fields.is_empty());
/// # Ok(()) }
/// ```
pub struct FakeRocketChat {
    address: SocketAddr,
    state: Arc<Mutex<State>>,
    accept_loop: JoinHandle<()>,
}

impl std::fmt::Debug for FakeRocketChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeRocketChat")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Drop for FakeRocketChat {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// Configures a [`FakeRocketChat`] before it starts.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use rocketchat_omnichannel::testing::FakeRocketChat;
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// assert!(fake.uri().starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "the builder does nothing until `start` is called"]
pub struct FakeRocketChatBuilder {
    address: SocketAddr,
    state: State,
    log_requests: bool,
}

impl FakeRocketChatBuilder {
    /// Listens on this address instead of `127.0.0.1` on a free port.
    ///
    /// ```
    /// # use rocketchat_omnichannel::testing::FakeRocketChat;
    /// let builder = FakeRocketChat::builder().address("127.0.0.1:0".parse().unwrap());
    /// # let _ = builder;
    /// ```
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Loads the demo users and the conflicted contacts of [`DemoData`].
    ///
    /// ```
    /// # use rocketchat_omnichannel::testing::FakeRocketChat;
    /// let builder = FakeRocketChat::builder().demo_data();
    /// # let _ = builder;
    /// ```
    pub fn demo_data(mut self) -> Self {
        demo::seed(&mut self.state);
        self
    }

    /// Loads users, personal access tokens and contacts from a seed document (the format is
    /// described in the README, section "Use the fake from any language").
    ///
    /// # Errors
    /// [`SeedError`] naming the JSON path and the problem.
    ///
    /// ```
    /// # use rocketchat_omnichannel::testing::FakeRocketChat;
    /// let builder = FakeRocketChat::builder().seed_json(r#"{
    ///   "users": [{"_id": "a1", "username": "agent1", "password": "pw", "roles": ["user", "livechat-agent"]}],
    ///   "personalAccessTokens": [{"userId": "a1", "token": "pat-1"}],
    ///   "contacts": [{"_id": "c1", "name": "Jane", "conflictingFields": [{"field": "name", "value": "J."}]}]
    /// }"#)?;
    /// # Ok::<(), rocketchat_omnichannel::testing::SeedError>(())
    /// ```
    pub fn seed_json(mut self, json: &str) -> Result<Self, SeedError> {
        seed::load(&mut self.state, json)?;
        Ok(self)
    }

    /// Applies a rate limit of `calls` per `window` to every authenticated route, as
    /// Rocket.Chat's limiter does (per client address, route and method).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use rocketchat_omnichannel::testing::FakeRocketChat;
    /// let builder = FakeRocketChat::builder().rate_limit(10, Duration::from_secs(60));
    /// # let _ = builder;
    /// ```
    pub fn rate_limit(mut self, calls: u64, window: Duration) -> Self {
        self.state.rate_rule = Some(state::RateRule { calls, window });
        self
    }

    /// Writes one line per request to stderr: method, path, status and duration (never
    /// headers or bodies).
    ///
    /// ```
    /// # use rocketchat_omnichannel::testing::FakeRocketChat;
    /// let builder = FakeRocketChat::builder().log_requests(true);
    /// # let _ = builder;
    /// ```
    pub fn log_requests(mut self, log: bool) -> Self {
        self.log_requests = log;
        self
    }

    /// Binds the address and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    /// The address cannot be bound.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let fake = rocketchat_omnichannel::testing::FakeRocketChat::builder().start().await?;
    /// # Ok(()) }
    /// ```
    pub async fn start(self) -> std::io::Result<FakeRocketChat> {
        let listener = TcpListener::bind(self.address).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(self.state));
        let accept_loop = tokio::spawn(accept(listener, Arc::clone(&state), self.log_requests));
        Ok(FakeRocketChat {
            address,
            state,
            accept_loop,
        })
    }
}

impl FakeRocketChat {
    /// Starts an empty fake on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound (a test cannot go on without it); use
    /// [`FakeRocketChat::builder`] to handle that error yourself.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// # }
    /// ```
    pub async fn start() -> Self {
        Self::builder()
            .start()
            .await
            .expect("the fake Rocket.Chat could not bind a loopback port")
    }

    /// Configures a fake before starting it.
    ///
    /// ```
    /// let builder = rocketchat_omnichannel::testing::FakeRocketChat::builder();
    /// # let _ = builder;
    /// ```
    pub fn builder() -> FakeRocketChatBuilder {
        FakeRocketChatBuilder {
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            state: State::default(),
            log_requests: false,
        }
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:41234`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let client = rocketchat_omnichannel::Client::builder(fake.uri()).build().unwrap();
    /// # }
    /// ```
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address the fake listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// assert!(fake.address().ip().is_loopback());
    /// # }
    /// ```
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A client builder pointed at this fake, without credentials.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rocketchat_omnichannel::Error> {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let client = fake.client_builder().build()?;
    /// # Ok(()) }
    /// ```
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder(self.uri())
    }

    /// A client authenticated as `user` with a new personal access token.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`] (not expected for a fake's address).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), rocketchat_omnichannel::Error> {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let agent = fake.add_agent("agent1", "pw");
    /// let client = fake.client_for(&agent)?;
    /// assert_eq!(client.me().await?.id, agent);
    /// # Ok(()) }
    /// ```
    pub fn client_for(&self, user: &UserId) -> Result<Client, crate::Error> {
        self.client_builder()
            .credentials(self.personal_access_token(user))
            .build()
    }

    /// Adds a user; returns its id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// use rocketchat_omnichannel::testing::FakeUser;
    /// let id = fake.add_user(FakeUser::new("bob").password("pw").two_factor_code("123456"));
    /// # }
    /// ```
    pub fn add_user(&self, user: FakeUser) -> UserId {
        UserId::from(self.state().add_user(user))
    }

    /// Adds a livechat agent (roles `user` and `livechat-agent`) with this password.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let agent = fake.add_agent("agent1", "secret");
    /// # }
    /// ```
    pub fn add_agent(&self, username: &str, password: &str) -> UserId {
        self.add_user(FakeUser::agent(username).password(password))
    }

    /// Creates a personal access token for `user` and returns credentials that use it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let agent = fake.add_agent("agent1", "secret");
    /// let credentials = fake.personal_access_token(&agent);
    /// # }
    /// ```
    pub fn personal_access_token(&self, user: &UserId) -> Credentials {
        let token = self
            .state()
            .issue_token(user.as_str(), TokenKind::PersonalAccess);
        Credentials::token(user.clone(), token)
    }

    /// Adds a contact from the SDK's model (an empty id gets a fresh one); returns its id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// use rocketchat_omnichannel::models::Contact;
    /// let mut contact = Contact::new("c1");
    /// contact.name = Some("Jane".into());
    /// let id = fake.add_contact(&contact);
    /// # }
    /// ```
    pub fn add_contact(&self, contact: &Contact) -> ContactId {
        let mut doc = match serde_json::to_value(contact) {
            Ok(Value::Object(doc)) => doc,
            _ => Map::new(),
        };
        if contact.id.is_empty() {
            doc.remove("_id");
        }
        ContactId::from(self.state().add_contact_document(doc, true))
    }

    /// Adds a known contact with a name and nothing else, as `POST omnichannel/contacts`
    /// would create it; returns its id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let id = fake.add_contact_named("Jane Doe");
    /// # }
    /// ```
    pub fn add_contact_named(&self, name: &str) -> ContactId {
        let mut doc = Map::new();
        doc.insert("name".into(), Value::from(name));
        doc.insert("unknown".into(), Value::Bool(false));
        doc.insert("preRegistration".into(), Value::Bool(true));
        doc.insert("conflictingFields".into(), Value::Array(Vec::new()));
        ContactId::from(self.state().add_contact_document(doc, true))
    }

    /// Adds a contact document exactly as given (an `_id` is generated when missing), unknown
    /// fields included; the API returns it unchanged until a route writes to it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let doc = serde_json::json!({"_id": "c1", "name": "Jane", "source": "import"});
    /// let id = fake.add_contact_json(doc.as_object().unwrap().clone());
    /// # }
    /// ```
    pub fn add_contact_json(&self, doc: Map<String, Value>) -> ContactId {
        ContactId::from(self.state().add_contact_document(doc, false))
    }

    /// Links a visitor to a contact as Rocket.Chat does when a known contact writes from a
    /// new channel: new emails, phones and the channel are appended; a different name,
    /// manager or custom-field value becomes a conflict entry (an unknown contact is
    /// overwritten instead). Returns false when the contact does not exist.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// use rocketchat_omnichannel::testing::Visitor;
    /// let id = fake.add_contact_named("Jane Doe");
    /// assert!(fake.merge_visitor(&id, Visitor::new().name("Jane D.").email("jd@example.com")));
    /// assert!(fake.contact(&id).unwrap().has_conflicts());
    /// # }
    /// ```
    pub fn merge_visitor(&self, contact: &ContactId, visitor: Visitor) -> bool {
        self.state()
            .merge_visitor(contact.as_str(), visitor)
            .is_some()
    }

    /// Turns the rate limiter on (`calls` per `window`) or, with `None`, off.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// fake.set_rate_limit(Some((2, std::time::Duration::from_secs(60))));
    /// # }
    /// ```
    pub fn set_rate_limit(&self, limit: Option<(u64, Duration)>) {
        let mut state = self.state();
        state.rate_rule = limit.map(|(calls, window)| state::RateRule { calls, window });
        state.rate_windows.clear();
    }

    /// The contact as the API would return it now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let id = fake.add_contact_named("Jane");
    /// assert_eq!(fake.contact(&id).unwrap().name.as_deref(), Some("Jane"));
    /// # }
    /// ```
    pub fn contact(&self, id: &ContactId) -> Option<Contact> {
        let doc = self.contact_json(id)?;
        serde_json::from_value(Value::Object(doc)).ok()
    }

    /// The stored document of a contact, unknown fields included.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// let id = fake.add_contact_named("Jane");
    /// assert_eq!(fake.contact_json(&id).unwrap()["name"], "Jane");
    /// # }
    /// ```
    pub fn contact_json(&self, id: &ContactId) -> Option<Map<String, Value>> {
        self.state().contacts.get(id.as_str()).cloned()
    }

    /// How many conflict entries `wipeConflicts` has removed (the server's
    /// `Resolved_Conflicts_Count` statistic).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// assert_eq!(fake.resolved_conflicts_count(), 0);
    /// # }
    /// ```
    pub fn resolved_conflicts_count(&self) -> u64 {
        self.state().resolved_conflicts_count
    }

    /// Every request received so far, oldest first, with secrets redacted.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// assert!(fake.requests().is_empty());
    /// # }
    /// ```
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// Answers the next `count` requests with `fault` instead of the normal answer.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// use rocketchat_omnichannel::testing::Fault;
    /// fake.inject_faults(2, Fault::html(502));
    /// # }
    /// ```
    pub fn inject_faults(&self, count: usize, fault: Fault) {
        let mut state = self.state();
        state.faults.extend(std::iter::repeat_n(fault, count));
    }
}

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
    ///
    /// ```
    /// let user = rocketchat_omnichannel::testing::FakeUser::new("bob");
    /// # let _ = user;
    /// ```
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
    ///
    /// ```
    /// let agent = rocketchat_omnichannel::testing::FakeUser::agent("agent1");
    /// # let _ = agent;
    /// ```
    pub fn agent(username: &str) -> Self {
        Self::new(username).role("livechat-agent")
    }

    /// A fixed `_id` instead of a generated one.
    ///
    /// ```
    /// let user = rocketchat_omnichannel::testing::FakeUser::new("bob").id("bob-id");
    /// # let _ = user;
    /// ```
    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.to_owned());
        self
    }

    /// The password for `login`.
    ///
    /// ```
    /// let user = rocketchat_omnichannel::testing::FakeUser::new("bob").password("pw");
    /// # let _ = user;
    /// ```
    pub fn password(mut self, password: &str) -> Self {
        self.password = password.to_owned();
        self
    }

    /// The display name.
    ///
    /// ```
    /// let user = rocketchat_omnichannel::testing::FakeUser::new("bob").name("Bob Agent");
    /// # let _ = user;
    /// ```
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// The email address (logins may use it instead of the user name).
    ///
    /// ```
    /// let user = rocketchat_omnichannel::testing::FakeUser::new("bob").email("bob@example.com");
    /// # let _ = user;
    /// ```
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.to_owned());
        self
    }

    /// Adds a role (`livechat-manager`, `admin`, `bot`, …).
    ///
    /// ```
    /// let user = rocketchat_omnichannel::testing::FakeUser::new("bob").role("admin");
    /// # let _ = user;
    /// ```
    pub fn role(mut self, role: &str) -> Self {
        if !self.roles.iter().any(|r| r == role) {
            self.roles.push(role.to_owned());
        }
        self
    }

    /// Requires a TOTP second factor at login, accepting this code.
    ///
    /// ```
    /// let user = rocketchat_omnichannel::testing::FakeUser::agent("bob").two_factor_code("123456");
    /// # let _ = user;
    /// ```
    pub fn two_factor_code(mut self, code: &str) -> Self {
        self.totp_code = Some(code.to_owned());
        self
    }
}

/// A livechat visitor to merge into a contact with [`FakeRocketChat::merge_visitor`].
///
/// ```
/// use rocketchat_omnichannel::testing::Visitor;
/// let visitor = Visitor::new().name("Jane D.").phone("+5511999999999").custom_field("cpf", "000");
/// # let _ = visitor;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct Visitor {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) contact_manager: Option<String>,
    pub(crate) custom_fields: Map<String, Value>,
}

impl Visitor {
    /// A visitor with nothing set.
    ///
    /// ```
    /// let visitor = rocketchat_omnichannel::testing::Visitor::new();
    /// # let _ = visitor;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The name the visitor registered with.
    ///
    /// ```
    /// let visitor = rocketchat_omnichannel::testing::Visitor::new().name("Jane D.");
    /// # let _ = visitor;
    /// ```
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// The visitor's email (appended to the contact's emails).
    ///
    /// ```
    /// let visitor = rocketchat_omnichannel::testing::Visitor::new().email("jd@example.com");
    /// # let _ = visitor;
    /// ```
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.to_owned());
        self
    }

    /// The visitor's phone (appended to the contact's phones).
    ///
    /// ```
    /// let visitor = rocketchat_omnichannel::testing::Visitor::new().phone("+5511999999999");
    /// # let _ = visitor;
    /// ```
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(phone.to_owned());
        self
    }

    /// The agent (user id) who served the visitor; differs → a `manager` conflict.
    ///
    /// ```
    /// let visitor = rocketchat_omnichannel::testing::Visitor::new().contact_manager("agent-2");
    /// # let _ = visitor;
    /// ```
    pub fn contact_manager(mut self, user_id: &str) -> Self {
        self.contact_manager = Some(user_id.to_owned());
        self
    }

    /// A custom field sent with `overwrite: false`; differs → a `customFields.<key>` conflict.
    ///
    /// ```
    /// let visitor = rocketchat_omnichannel::testing::Visitor::new().custom_field("cpf", "000");
    /// # let _ = visitor;
    /// ```
    pub fn custom_field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.custom_fields.insert(key.to_owned(), value.into());
        self
    }
}

/// A fault to answer a request with, for resilience tests.
///
/// ```
/// use std::time::Duration;
/// use rocketchat_omnichannel::testing::Fault;
/// let faults = [
///     Fault::status(503, r#"{"success":false,"error":"Service Unavailable"}"#),
///     Fault::html(502),
///     Fault::delay(Duration::from_secs(2)),
///     Fault::drop_connection(),
///     Fault::truncated_body(),
/// ];
/// # let _ = faults;
/// ```
#[derive(Clone, Debug)]
pub struct Fault {
    kind: FaultKind,
}

#[derive(Clone, Debug)]
enum FaultKind {
    Status {
        status: u16,
        body: Bytes,
        content_type: &'static str,
    },
    Delay(Duration),
    Drop,
    Truncate,
}

impl Fault {
    /// Answers with this status and JSON body.
    ///
    /// ```
    /// let fault = rocketchat_omnichannel::testing::Fault::status(500, r#"{"success":false,"error":"Internal server error"}"#);
    /// # let _ = fault;
    /// ```
    pub fn status(status: u16, body: impl Into<Bytes>) -> Self {
        Self {
            kind: FaultKind::Status {
                status,
                body: body.into(),
                content_type: "application/json",
            },
        }
    }

    /// Answers with this status and an HTML page, like a proxy in front of the server.
    ///
    /// ```
    /// let fault = rocketchat_omnichannel::testing::Fault::html(504);
    /// # let _ = fault;
    /// ```
    pub fn html(status: u16) -> Self {
        let body = format!(
            "<html><head><title>{status}</title></head><body><h1>{status} Proxy Error</h1></body></html>"
        );
        Self {
            kind: FaultKind::Status {
                status,
                body: body.into(),
                content_type: "text/html",
            },
        }
    }

    /// Waits this long, then answers normally.
    ///
    /// ```
    /// let fault = rocketchat_omnichannel::testing::Fault::delay(std::time::Duration::from_secs(3));
    /// # let _ = fault;
    /// ```
    pub fn delay(delay: Duration) -> Self {
        Self {
            kind: FaultKind::Delay(delay),
        }
    }

    /// Closes the connection without answering.
    ///
    /// ```
    /// let fault = rocketchat_omnichannel::testing::Fault::drop_connection();
    /// # let _ = fault;
    /// ```
    pub fn drop_connection() -> Self {
        Self {
            kind: FaultKind::Drop,
        }
    }

    /// Answers normally but sends only the first half of the body.
    ///
    /// ```
    /// let fault = rocketchat_omnichannel::testing::Fault::truncated_body();
    /// # let _ = fault;
    /// ```
    pub fn truncated_body() -> Self {
        Self {
            kind: FaultKind::Truncate,
        }
    }
}

/// A request the fake received. Values of `X-Auth-Token`, `X-2fa-Code`, `Authorization`
/// and `Cookie`, and secret fields of JSON bodies (`password`, `code`, `resume`), read
/// `<redacted>`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use rocketchat_omnichannel::testing::FakeRocketChat;
/// let fake = FakeRocketChat::start().await;
/// let agent = fake.add_agent("agent1", "pw");
/// fake.client_for(&agent)?.me().await?;
/// let request = &fake.requests()[0];
/// assert_eq!(request.path, "/api/v1/me");
/// assert_eq!(request.header("x-auth-token"), Some("<redacted>"));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The first value of a header (name in any case). See the type's example.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is JSON.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use rocketchat_omnichannel::testing::FakeRocketChat;
    /// let fake = FakeRocketChat::start().await;
    /// let agent = fake.add_agent("agent1", "pw");
    /// let _ = fake.client_for(&agent)?.resolve_contact_conflicts("c1").wipe_conflicts(true).await;
    /// assert_eq!(fake.requests()[0].json().unwrap()["wipeConflicts"], true);
    /// # Ok(()) }
    /// ```
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

const SECRET_HEADERS: [&str; 4] = ["x-auth-token", "x-2fa-code", "authorization", "cookie"];

async fn accept(listener: TcpListener, state: Arc<Mutex<State>>, log_requests: bool) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service =
                service_fn(move |request| handle(Arc::clone(&state), peer, request, log_requests));
            // A client that hangs up mid-request is not the fake's problem.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped on purpose")]
struct DroppedConnection;

async fn handle(
    state: Arc<Mutex<State>>,
    peer: SocketAddr,
    request: Request<Incoming>,
    log_requests: bool,
) -> Result<Response<Full<Bytes>>, DroppedConnection> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let reply = routes::Reply::error(413, "Payload Too Large");
            return Ok(reply.into_response());
        }
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let fault = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: query.clone(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = if SECRET_HEADERS.contains(&name.as_str()) {
                        "<redacted>".to_owned()
                    } else {
                        String::from_utf8_lossy(value.as_bytes()).into_owned()
                    };
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            body: state::redact_body(&body),
        });
        state.faults.pop_front()
    };
    let mut truncate = false;
    match fault.map(|f| f.kind) {
        Some(FaultKind::Drop) => return Err(DroppedConnection),
        Some(FaultKind::Status {
            status,
            body,
            content_type,
        }) => {
            let reply = routes::Reply::raw(status, body, content_type);
            return Ok(reply.into_response());
        }
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::Truncate) => truncate = true,
        None => {}
    }
    let call = routes::Call {
        method: &parts.method,
        path: &path,
        query: query.as_deref(),
        headers: &parts.headers,
        body: &body,
        peer: peer.ip(),
    };
    let mut reply = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        routes::route(&mut state, &call)
    };
    if truncate {
        reply.truncate();
    }
    if log_requests {
        eprintln!(
            "{} {} {} {:.1}ms",
            parts.method,
            path,
            reply.status,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(reply.into_response())
}
