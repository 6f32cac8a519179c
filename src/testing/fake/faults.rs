//! Faults to answer requests with instead of the normal answer, for resilience tests.

use std::time::Duration;

use bytes::Bytes;

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
///
/// A fault answers the next request, whatever its route, unless
/// [`Fault::only_on`] ties it to one.
#[derive(Clone, Debug)]
pub struct Fault {
    pub(crate) kind: FaultKind,
    /// The method and path it waits for; `None` for any request.
    route: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub(crate) enum FaultKind {
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
    fn of(kind: FaultKind) -> Self {
        Self { kind, route: None }
    }

    /// Waits for a request with this method and path (`"POST"`,
    /// `"/api/v1/omnichannel/contacts.conflicts"`; the query string is not compared) and
    /// lets every other request through untouched, so a test can break one route while a
    /// run goes on over the others.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use rocketchat_omnichannel::testing::{FakeRocketChat, Fault};
    /// let fake = FakeRocketChat::start().await;
    /// // The next resolve call gets a 503; searches are answered as usual.
    /// fake.inject_faults(1, Fault::html(503).only_on("POST", "/api/v1/omnichannel/contacts.conflicts"));
    /// # }
    /// ```
    pub fn only_on(mut self, method: &str, path: &str) -> Self {
        self.route = Some((method.to_ascii_uppercase(), path.to_owned()));
        self
    }

    /// Whether this fault is for a request with this method and path.
    pub(crate) fn applies_to(&self, method: &str, path: &str) -> bool {
        self.route
            .as_ref()
            .is_none_or(|(m, p)| m == method && p == path)
    }
    /// Answers with this status and JSON body.
    pub fn status(status: u16, body: impl Into<Bytes>) -> Self {
        Self::of(FaultKind::Status {
            status,
            body: body.into(),
            content_type: "application/json",
        })
    }

    /// Answers with this status and an HTML page, like a proxy in front of the server.
    pub fn html(status: u16) -> Self {
        let body = format!(
            "<html><head><title>{status}</title></head><body><h1>{status} Proxy Error</h1></body></html>"
        );
        Self::of(FaultKind::Status {
            status,
            body: body.into(),
            content_type: "text/html",
        })
    }

    /// Waits this long, then answers normally.
    pub fn delay(delay: Duration) -> Self {
        Self::of(FaultKind::Delay(delay))
    }

    /// Closes the connection without answering.
    pub fn drop_connection() -> Self {
        Self::of(FaultKind::Drop)
    }

    /// Answers normally but sends only the first half of the body.
    pub fn truncated_body() -> Self {
        Self::of(FaultKind::Truncate)
    }
}
