//! Recorded requests: what tests inspect with [`FakeRocketChat::requests`](super::FakeRocketChat::requests).
//! Kept in a bounded ring so a long-running fake does not grow without limit.

use std::collections::VecDeque;

use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Value, json};

/// How many requests the in-process fake keeps by default (the oldest are dropped first).
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

/// Headers whose values are never recorded.
const SECRET_HEADERS: [&str; 4] = ["x-auth-token", "x-2fa-code", "authorization", "cookie"];

/// A request the fake received. Values of `X-Auth-Token`, `X-2fa-Code`, `Authorization`
/// and `Cookie`, secret fields of JSON bodies at any depth (`password`, `code`, `resume`,
/// `authToken`, `token`), and a `token` query parameter (a widget visitor's), read
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
/// assert_eq!(request.status, Some(200));
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
    /// The status the fake answered with; `None` while the request is being handled, or
    /// when the fake dropped the connection on purpose ([`Fault::drop_connection`](super::Fault::drop_connection)).
    pub status: Option<u16>,
    /// When the fake received it: tests that check what a run may have seen compare these.
    pub received: std::time::Instant,
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

/// The ring of recorded requests. A capacity of 0 turns recording off.
#[derive(Debug)]
pub(crate) struct Recorder {
    capacity: usize,
    requests: VecDeque<RecordedRequest>,
    /// How many requests were ever recorded: the front of the ring is number
    /// `recorded - requests.len()`.
    recorded: u64,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl Recorder {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            requests: VecDeque::new(),
            recorded: 0,
        }
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        while self.requests.len() > capacity {
            self.requests.pop_front();
        }
    }

    /// Records one request with its secrets redacted; the number it returns is for
    /// [`Recorder::answered`] (`None` when recording is off).
    pub(crate) fn record(
        &mut self,
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Option<u64> {
        if self.capacity == 0 {
            return None;
        }
        if self.requests.len() == self.capacity {
            self.requests.pop_front();
        }
        self.requests.push_back(RecordedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.map(redact_query),
            headers: headers
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
            body: redact_body(body),
            status: None,
            received: std::time::Instant::now(),
        });
        self.recorded += 1;
        Some(self.recorded - 1)
    }

    /// Notes the status of request number `number`, if the ring still holds it.
    pub(crate) fn answered(&mut self, number: Option<u64>, status: u16) {
        let Some(number) = number else { return };
        let front = self.recorded - self.requests.len() as u64;
        if let Some(at) = number
            .checked_sub(front)
            .and_then(|i| usize::try_from(i).ok())
            && let Some(request) = self.requests.get_mut(at)
        {
            request.status = Some(status);
        }
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.requests.iter().cloned().collect()
    }
}

/// Keys whose values are secrets wherever they appear in a body (a widget's visitor token
/// sits at `visitor.token`) or a query (`livechat/room?token=`).
const SECRET_KEYS: [&str; 5] = ["password", "code", "resume", "authToken", "token"];

/// Redacts the secret values in a recorded JSON body, at any depth.
fn redact_body(body: &Bytes) -> Bytes {
    fn walk(value: &mut Value) -> bool {
        match value {
            Value::Object(map) => {
                let mut changed = false;
                for (key, v) in map.iter_mut() {
                    if SECRET_KEYS.contains(&key.as_str()) {
                        *v = json!("<redacted>");
                        changed = true;
                    } else {
                        changed |= walk(v);
                    }
                }
                changed
            }
            Value::Array(items) => {
                let mut changed = false;
                for v in items {
                    changed |= walk(v);
                }
                changed
            }
            _ => false,
        }
    }
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return body.clone();
    };
    if walk(&mut value) {
        Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
    } else {
        body.clone()
    }
}

/// The query string with secret parameters' values redacted.
fn redact_query(query: &str) -> String {
    if !url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, _)| SECRET_KEYS.contains(&k.as_ref()))
    {
        return query.to_owned();
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if SECRET_KEYS.contains(&key.as_ref()) {
            out.append_pair(&key, "<redacted>");
        } else {
            out.append_pair(&key, &value);
        }
    }
    out.finish()
}
