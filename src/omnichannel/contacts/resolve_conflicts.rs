//! `POST /api/v1/omnichannel/contacts.conflicts`: pick the final value of a contact's
//! disputed fields and clear the matching conflict entries.

use serde::Serialize;
use serde_json::{Map, Value};

use super::body::{amend, encode, post_observed, required_id, set_custom_field};
use crate::awaitable::awaitable;
use crate::client::{Caller, Client, request_options};
use crate::error::{Error, Matcher, operation_error};
use crate::models::{Contact, ContactId, UserId};
use crate::response::{Envelope, Observed};

/// The resolve route, also the key its rate limit is counted under.
pub(crate) const CONFLICTS_PATH: &str = "omnichannel/contacts.conflicts";
/// The first release with the route; an older server's 404 becomes
/// `ErrorKind::EndpointMissing` naming it.
const CONFLICTS_SINCE: &str = "7.7.0";

operation_error! {
    /// Why resolving a contact's conflicts failed.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) {
    /// use rocketchat_omnichannel::ResolveConflictsError;
    ///
    /// match client.resolve_contact_conflicts("contact-id").wipe_conflicts(true).await {
    ///     Ok(contact) => println!("{} resolved", contact.id),
    ///     Err(ResolveConflictsError::NoConflicts { .. }) => println!("nothing to do"),
    ///     Err(ResolveConflictsError::RateLimited { retry_at, .. }) => println!("retry at {retry_at:?}"),
    ///     Err(other) => eprintln!("{other}"),
    /// }
    /// # }
    /// ```
    pub enum ResolveConflictsError {
        /// 400 `invalid-params`: the body broke the server's schema. The reason is in
        /// `response.reason()`; the SDK's builder only produces valid bodies, so this points
        /// at a server that changed its schema.
        InvalidParams = Matcher::Code("invalid-params"),
            "the server rejected the request body";
        /// 400 `error-contact-has-no-conflicts`: nothing left to resolve (someone else may
        /// have resolved it). Usually safe to treat as done.
        NoConflicts = Matcher::Code("error-contact-has-no-conflicts"),
            "the contact has no conflicts to resolve";
        /// 400 `error-contact-not-found`: no enabled contact has this id.
        ContactNotFound = Matcher::Code("error-contact-not-found"),
            "no contact has this id (it may have been deleted)";
        /// 400 `error-contact-manager-not-found`: the manager is not the `_id` of a user with
        /// the `livechat-agent` role (a user name is not accepted).
        ContactManagerNotFound = Matcher::Code("error-contact-manager-not-found"),
            "the contact manager must be the user id of a livechat agent";
    }
}

/// The request body, exactly as sent: absent options are left out, never sent as `null`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    contact_id: ContactId,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_manager: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_fields: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wipe_conflicts: Option<bool>,
}

/// Resolves a contact's conflicts. Made by [`Client::resolve_contact_conflicts`]; send it
/// with `.await` or [`ResolveConflicts::send`].
///
/// Setters never fail: the first invalid input is kept and reported when the request is
/// sent, as [`ResolveConflictsError::Other`] with
/// [`ErrorKind::Validation`](crate::ErrorKind::Validation), before anything goes out.
///
/// ```no_run
/// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// let contact = client
///     .resolve_contact_conflicts("contact-id")
///     .name("Jane Doe")
///     .contact_manager("agent-user-id")
///     .custom_field("cpf", "123.456.789-00")
///     .wipe_conflicts(true)
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited or sent"]
pub struct ResolveConflicts {
    client: Caller,
    body: Result<Body, Error>,
}

impl Client {
    /// Starts a `contacts.conflicts` call for the contact with this id.
    ///
    /// Needs the `update-livechat-contact` permission and Rocket.Chat 7.7 or newer.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let contact = client.resolve_contact_conflicts("contact-id").wipe_conflicts(true).await?;
    /// assert!(contact.conflicting_fields.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn resolve_contact_conflicts(&self, contact_id: impl Into<ContactId>) -> ResolveConflicts {
        let body = required_id(contact_id.into()).map(|contact_id| Body {
            contact_id,
            name: None,
            contact_manager: None,
            custom_fields: None,
            wipe_conflicts: None,
        });
        ResolveConflicts {
            client: Caller::new(self),
            body,
        }
    }
}

impl ResolveConflicts {
    request_options!(r#"resolve_contact_conflicts("contact-id").wipe_conflicts(true)"#);

    fn update(mut self, change: impl FnOnce(&mut Body) -> Result<(), Error>) -> Self {
        self.body = amend(self.body, change);
        self
    }

    /// Sets the final name and removes every `name` conflict entry.
    ///
    /// # Errors
    /// An empty or blank name is reported at send time (the server would silently ignore it).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.resolve_contact_conflicts("contact-id").name("Jane Doe").await?;
    /// # Ok(()) }
    /// ```
    pub fn name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.update(|body| {
            if name.trim().is_empty() {
                return Err(Error::validation(
                    "the name is empty; leave it out to keep the current name",
                ));
            }
            body.name = Some(name);
            Ok(())
        })
    }

    /// Sets the contact manager, by the agent's user **id** (not user name), and removes
    /// every `manager` conflict entry. An empty id clears the manager, like
    /// [`ResolveConflicts::clear_contact_manager`].
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.resolve_contact_conflicts("contact-id").contact_manager("agent-user-id").await?;
    /// # Ok(()) }
    /// ```
    pub fn contact_manager(self, user_id: impl Into<UserId>) -> Self {
        let user_id = user_id.into();
        self.update(|body| {
            body.contact_manager = Some(if user_id.trim().is_empty() {
                UserId::default()
            } else {
                user_id
            });
            Ok(())
        })
    }

    /// Removes the contact manager (sends `""`). Servers before the January 2026 fix
    /// (PR #38265) ignore this and keep the manager; newer ones unset it.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.resolve_contact_conflicts("contact-id").clear_contact_manager().await?;
    /// # Ok(()) }
    /// ```
    pub fn clear_contact_manager(self) -> Self {
        self.contact_manager(UserId::default())
    }

    /// Sets one custom field and removes its `customFields.<key>` conflict entries. Other
    /// custom fields are kept (the server merges). Repeat for more fields.
    ///
    /// # Errors
    /// A key that is empty or contains `.` or `$` is reported at send time: the server
    /// stores custom fields as document paths, where those characters mean something else.
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client
    ///     .resolve_contact_conflicts("contact-id")
    ///     .custom_field("cpf", "123.456.789-00")
    ///     .custom_field("age", 42)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn custom_field(self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let (key, value) = (key.into(), value.into());
        self.update(|body| set_custom_field(&mut body.custom_fields, key, value))
    }

    /// Sets several custom fields at once, adding to any set before.
    ///
    /// # Errors
    /// As for [`ResolveConflicts::custom_field`].
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client
    ///     .resolve_contact_conflicts("contact-id")
    ///     .custom_fields([("cpf", "123.456.789-00"), ("city", "Recife")])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn custom_fields<K, V>(self, fields: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<Value>,
    {
        fields.into_iter().fold(self, |request, (key, value)| {
            request.custom_field(key, value)
        })
    }

    /// With `true`, removes **all** conflict entries, also those of fields not set here
    /// (their current values are kept).
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// client.resolve_contact_conflicts("contact-id").wipe_conflicts(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn wipe_conflicts(self, wipe: bool) -> Self {
        self.update(|body| {
            body.wipe_conflicts = Some(wipe);
            Ok(())
        })
    }

    /// The JSON body this request would send, for dry runs and logs (it holds no secret).
    ///
    /// # Errors
    /// The first invalid input given to a setter.
    ///
    /// ```
    /// # let client = rocketchat_omnichannel::Client::builder("https://chat.example.com").build()?;
    /// let body = client.resolve_contact_conflicts("c1").wipe_conflicts(true).to_json()?;
    /// assert_eq!(body, r#"{"contactId":"c1","wipeConflicts":true}"#);
    /// # Ok::<(), rocketchat_omnichannel::Error>(())
    /// ```
    pub fn to_json(&self) -> Result<String, Error> {
        encode(&self.body).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Sends the request and returns the updated contact.
    ///
    /// # Errors
    /// See [`ResolveConflictsError`]: each server answer has its variant; invalid input,
    /// transport failures and unexpected answers are
    /// [`ResolveConflictsError::Other`].
    ///
    /// ```no_run
    /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
    /// let contact = client.resolve_contact_conflicts("contact-id").name("Jane").send().await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Contact, ResolveConflictsError> {
        self.send_observed().await.0
    }

    /// [`send`](Self::send), also saying what the answer told the rate-limit pacing.
    pub(crate) async fn send_observed(self) -> (Result<Contact, ResolveConflictsError>, Observed) {
        let (result, observed) = post_observed::<_, Envelope<Contact>, _>(
            &self.client,
            CONFLICTS_PATH,
            CONFLICTS_SINCE,
            self.body,
        )
        .await;
        (result.map(|envelope| envelope.result), observed)
    }
}

awaitable!(ResolveConflicts => Result<Contact, ResolveConflictsError>);
