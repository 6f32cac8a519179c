//! [`FakeRocketChat`]: an in-process HTTP server that answers like Rocket.Chat.

mod admin;
mod contacts;
mod control;
mod custom_fields;
mod demo;
mod faults;
mod livechat;
mod recording;
mod routes;
mod schema;
mod seed;
mod server;
mod state;
mod users;
mod version;
mod visitors;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::models::{Contact, ContactId, UserId};
use crate::{Client, ClientBuilder, Credentials};

pub use custom_fields::CustomField;
pub use demo::DemoData;
pub use faults::Fault;
pub use recording::RecordedRequest;
pub use seed::SeedError;
use state::State;
pub use users::FakeUser;
use users::TokenKind;
pub use version::VersionError;
pub use visitors::Visitor;

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
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Loads the demo users and the conflicted contacts of [`DemoData`].
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

    /// [`seed_json`](Self::seed_json) from a file, parsed as it is read, so that a large seed
    /// is never held whole in memory.
    ///
    /// # Errors
    /// [`SeedError`] naming the JSON path and the problem, or (path `""`) that the file
    /// cannot be read.
    ///
    /// ```no_run
    /// # use rocketchat_omnichannel::testing::FakeRocketChat;
    /// let builder = FakeRocketChat::builder().seed_file("seed100k.json")?;
    /// # Ok::<(), rocketchat_omnichannel::testing::SeedError>(())
    /// ```
    pub fn seed_file(mut self, path: impl AsRef<std::path::Path>) -> Result<Self, SeedError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)
            .map_err(|e| SeedError::unreadable(&format!("cannot read the seed file: {e}")))?;
        seed::load_reader(&mut self.state, file)?;
        Ok(self)
    }

    /// Applies a rate limit of `calls` per `window` to every authenticated route, as
    /// Rocket.Chat's limiter does (per client address, route and method).
    pub fn rate_limit(mut self, calls: u64, window: Duration) -> Self {
        self.state.rate_rule = Some(state::RateRule { calls, window });
        self
    }

    /// Plays this Rocket.Chat release (e.g. `"7.7.0"`) instead of the newest behaviour the
    /// fake knows: routes the release did not have answer 404 as a missing route does, and
    /// the behaviours that changed between releases follow it (the README's section
    /// "Version profiles" lists each switch, its source and what is unconfirmed).
    ///
    /// # Errors
    /// [`VersionError`] when the text is not a version or predates 7.0.0, the first release
    /// with these contact routes.
    pub fn version(mut self, version: &str) -> Result<Self, VersionError> {
        self.state.profile = version::Profile {
            version: version.parse()?,
        };
        Ok(self)
    }

    /// Adds a livechat custom-field definition; contacts created or updated through the API
    /// may only carry defined fields (a workspace without definitions accepts none).
    pub fn custom_field(mut self, field: CustomField) -> Self {
        self.state.custom_fields.retain(|f| f.id != field.id);
        self.state.custom_fields.push(field);
        self
    }

    /// Keeps at most this many recorded requests (the oldest are dropped first); 0 turns
    /// recording off. The default is 10,000.
    pub fn record_requests(mut self, capacity: usize) -> Self {
        self.state.requests.set_capacity(capacity);
        self
    }

    /// Sets a workspace setting by its Rocket.Chat id. The fake reads
    /// `Livechat_Allow_collect_and_store_HTTP_header_informations` (off by default: a contact
    /// with an open room cannot be deleted).
    ///
    /// ```
    /// let builder = rocketchat_omnichannel::testing::FakeRocketChat::builder()
    ///     .setting("Livechat_Allow_collect_and_store_HTTP_header_informations", true);
    /// # let _ = builder;
    /// ```
    pub fn setting(mut self, id: &str, value: impl Into<Value>) -> Self {
        self.state.settings.insert(id.to_owned(), value.into());
        self
    }

    /// Serves the control API under `/_fake` (loopback clients only): add contacts and merge
    /// visitors, queue faults for a route, change the rate limit, end sessions and read the
    /// recorded requests over HTTP, for tests written in other languages. Off by default;
    /// `rocketchat-fake` turns it on unless given `--no-control-api`. The routes are listed
    /// in the README ("The control API") and by `GET /_fake`.
    pub fn control_api(mut self, on: bool) -> Self {
        self.state.control_api = on;
        self
    }

    /// Writes one line per request to stderr: method, path, status and duration (never
    /// headers or bodies).
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
        let accept_loop = tokio::spawn(server::accept(
            listener,
            Arc::clone(&state),
            self.log_requests,
        ));
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
    pub fn builder() -> FakeRocketChatBuilder {
        FakeRocketChatBuilder {
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            state: State {
                chat_rooms: vec![state::ChatRoom::general()],
                ..State::default()
            },
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
        // A wildcard bind (`0.0.0.0`, `::`) is not an address to connect to, and the SDK
        // refuses plain http to anything but loopback: hand out the loopback address of the
        // same family and port.
        let mut address = self.address;
        if address.ip().is_unspecified() {
            address.set_ip(match address.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            });
        }
        format!("http://{address}")
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

    /// The messages posted with `chat.postMessage`, oldest first, as the server stores them
    /// (`_id`, `rid` the room, `msg` the text, `u` the author, `ts`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
    /// let fake = FakeRocketChat::builder().demo_data().start().await?;
    /// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
    /// client.post_message("GENERAL").text("hello").await?;
    /// assert_eq!(fake.messages()[0]["msg"], "hello");
    /// # Ok(()) }
    /// ```
    pub fn messages(&self) -> Vec<Value> {
        self.state().messages.clone()
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

    /// Adds a contact from the SDK's model (an empty id gets a fresh one), filled in as
    /// `createContact` would (`unknown: false` when the model leaves it unset, so it is
    /// listed by a default search); returns its id.
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
        doc.insert("preRegistration".into(), Value::Bool(true));
        doc.insert("conflictingFields".into(), Value::Array(Vec::new()));
        ContactId::from(self.state().add_contact_document(doc, true))
    }

    /// Adds a contact document exactly as given (an `_id` is generated when missing), unknown
    /// fields included; the API returns it unchanged until a route writes to it. A document
    /// without `unknown` is, as on a real server, not listed by `contacts.search`.
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

    /// Verifies a contact's channels as Rocket.Chat's Enterprise contact verification does,
    /// by `field` (`email` or `phone`) and `value`: every other contact with a verified
    /// channel of the same field and value is merged into this one (its name and manager as
    /// conflicts) and then hard-deleted, so its id vanishes, as it can in the middle of a
    /// bot's run. Returns the deleted ids; `None` when the contact does not exist. Also
    /// `POST /_fake/contacts/{id}/verify` with `{"field": …, "value": …}`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let fake = rocketchat_omnichannel::testing::FakeRocketChat::start().await;
    /// use rocketchat_omnichannel::testing::Visitor;
    /// let jane = fake.add_contact_named("Jane");
    /// let janet = fake.add_contact_named("Janet");
    /// fake.merge_visitor(&janet, Visitor::new().email("jane@example.com"));
    /// fake.verify_contact_channel(&janet, "email", "jane@example.com").unwrap();
    /// fake.merge_visitor(&jane, Visitor::new().email("jane@example.com"));
    /// let gone = fake.verify_contact_channel(&jane, "email", "jane@example.com").unwrap();
    /// assert_eq!(gone, [janet.clone()]);
    /// assert!(fake.contact(&janet).is_none());
    /// # }
    /// ```
    pub fn verify_contact_channel(
        &self,
        contact: &ContactId,
        field: &str,
        value: &str,
    ) -> Option<Vec<ContactId>> {
        livechat::verify_channel(&mut self.state(), contact.as_str(), field, value)
            .map(|ids| ids.into_iter().map(ContactId::from).collect())
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
        livechat::merge_visitor(&mut self.state(), contact.as_str(), visitor).is_some()
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
        self.state().contacts.get(id.as_str())
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
        self.state().requests.all()
    }

    /// Answers the next `count` requests with `fault` instead of the normal answer (the
    /// next `count` requests to one route for a fault made with [`Fault::only_on`]).
    /// Faults are used in the order queued: each request takes the first one that applies
    /// to it.
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
