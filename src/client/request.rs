//! What an operation asks the client to send.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Method;

use super::Client;
use crate::error::Error;
use crate::response::RawResponse;
use crate::retry::RetryPolicy;
use crate::session::Session;

/// What an operation asks the client to send.
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// Path below `/api/v1/` (or below `/api/` when it starts with `/`), also used as the
    /// span's path template.
    pub(crate) path: &'static str,
    /// Already-encoded query string, empty for none.
    pub(crate) query: String,
    pub(crate) body: Option<Bytes>,
    pub(crate) authenticated: bool,
    /// Safe to send twice (reads); decides which failures may be retried.
    pub(crate) idempotent: bool,
    /// Send with this session rather than the current one, and never renew it (logout).
    pub(crate) session: Option<Arc<Session>>,
    /// The first Rocket.Chat version with this route, for the "route missing" error.
    pub(crate) since: Option<&'static str>,
    /// The caller's overrides of the client's settings for this one call.
    pub(crate) options: RequestOptions,
}

impl ApiRequest {
    pub(crate) fn get(path: &'static str, query: String) -> Self {
        Self {
            method: Method::GET,
            path,
            query,
            body: None,
            authenticated: true,
            idempotent: true,
            session: None,
            since: None,
            options: RequestOptions::default(),
        }
    }

    pub(crate) fn post(path: &'static str, body: Vec<u8>) -> Self {
        Self {
            method: Method::POST,
            path,
            query: String::new(),
            body: Some(Bytes::from(body)),
            authenticated: true,
            idempotent: false,
            session: None,
            since: None,
            options: RequestOptions::default(),
        }
    }

    /// Records the first server version that has this route (see each operation's docs).
    pub(crate) fn since(mut self, version: &'static str) -> Self {
        self.since = Some(version);
        self
    }
}

/// Settings one request may override: the call's deadline and its retry policy. Every
/// endpoint builder has `.timeout()` and `.retry()` setters that fill these in.
#[derive(Clone, Debug, Default)]
pub(crate) struct RequestOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
}

/// What a request builder holds: its own clone of the client (an `Arc`, so a builder can be
/// moved into a spawned task) and the overrides set on it.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) client: Client,
    pub(crate) options: RequestOptions,
}

impl Caller {
    pub(crate) fn new(client: &Client) -> Self {
        Self {
            client: client.clone(),
            options: RequestOptions::default(),
        }
    }

    /// Sends `request` with this builder's overrides.
    pub(crate) async fn execute(&self, mut request: ApiRequest) -> Result<RawResponse, Error> {
        request.options = self.options.clone();
        self.client.execute(request).await
    }
}

/// The `.timeout()` and `.retry()` setters of a request builder whose `client` field is a
/// [`Caller`]; `$example` is the expression that starts the builder in the doc examples.
macro_rules! request_options {
    ($example:literal) => {
        /// A deadline for this call alone, in place of the client's
        /// [`timeout`](crate::ClientBuilder::timeout).
        ///
        /// ```no_run
        /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
        /// # use std::time::Duration;
        #[doc = concat!("client.", $example, ".timeout(Duration::from_secs(5)).await?;")]
        /// # Ok(()) }
        /// ```
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.client.options.timeout = Some(timeout);
            self
        }

        /// A retry policy for this call alone, in place of the client's
        /// [`retry`](crate::ClientBuilder::retry).
        ///
        /// ```no_run
        /// # async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
        /// # use rocketchat_omnichannel::RetryPolicy;
        #[doc = concat!("client.", $example, ".retry(RetryPolicy::standard()).await?;")]
        /// # Ok(()) }
        /// ```
        pub fn retry(mut self, policy: crate::RetryPolicy) -> Self {
            self.client.options.retry = Some(policy);
            self
        }
    };
}

pub(crate) use request_options;
