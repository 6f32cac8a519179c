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
#[derive(Clone, Debug)]
pub struct Fault {
    pub(crate) kind: FaultKind,
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
    /// Answers with this status and JSON body.
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
    pub fn delay(delay: Duration) -> Self {
        Self {
            kind: FaultKind::Delay(delay),
        }
    }

    /// Closes the connection without answering.
    pub fn drop_connection() -> Self {
        Self {
            kind: FaultKind::Drop,
        }
    }

    /// Answers normally but sends only the first half of the body.
    pub fn truncated_body() -> Self {
        Self {
            kind: FaultKind::Truncate,
        }
    }
}
