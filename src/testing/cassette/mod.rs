//! Cassettes: your own server's answers, recorded once and replayed in tests.
//!
//! A [`CassetteServer`] stands where Rocket.Chat would. Recording, it forwards every request
//! to a real server and writes what came back; replaying, it answers from the file. Point
//! a client (or `rocketchat-contacts`, or anything else) at [`CassetteServer::uri`].
//!
//! A cassette is pretty JSON, one entry per request and answer, with the server's
//! `/api/info` beside them. **No secret is written**: request headers are not kept at all
//! (`X-Auth-Token`, `X-User-Id`, cookies), of the answer's headers only the content type, the
//! `Date` and the `X-RateLimit-*` figures are, and in bodies and queries the values of `password`,
//! `code`, `resume`, `authToken`, `token`, `hashedToken`, `bcrypt` and `loginTokens` become
//! `"SCRUBBED"`, as do visitor tokens in the widget's paths (`livechat/visitor/<token>`,
//! `agent.info/<rid>/<token>`, `agent.next/<token>`) and secrets in form bodies. Add keys of your own
//! ([`CassetteServerBuilder::scrub_key`]: `address`, `phoneNumber`, `name`…) to keep
//! people's data out too. Replaying applies the same scrubbing to each request before
//! matching, so a recorded login replays with any password.
//!
//! A request matches an entry by method, path, query (in any order) and JSON body (key order
//! aside); headers are not compared. Identical requests get their answers in recorded order.
//! A request nothing was recorded for gets a 500 whose body names the nearest entry and how
//! it differs.

mod matching;
mod scrub;
mod server;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use server::{CassetteServer, CassetteServerBuilder};

/// The cassette format this crate writes and reads.
const FORMAT: u32 = 1;

/// Why a cassette could not be recorded, read or served.
#[derive(Debug, thiserror::Error)]
#[error("cassette {path}: {message}")]
pub struct CassetteError {
    path: PathBuf,
    message: String,
}

impl CassetteError {
    fn new(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

/// The file: what was recorded, from where.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cassette {
    format: u32,
    /// The server's origin (scheme, host, port; no path or credentials).
    recorded_from: String,
    /// `GET /api/info` as the server answered it when recording began (`null` if it did not).
    server: Value,
    interactions: Vec<Interaction>,
}

/// One request and its answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Interaction {
    request: Recorded,
    response: Answer,
}

/// A request as matched: no headers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Recorded {
    method: String,
    path: String,
    /// The query string as sent (scrubbed), `None` without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    /// The body: JSON when it was JSON, else its text; `None` when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<Body>,
}

/// A body: parsed JSON, or text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Body {
    Json { json: Value },
    Text { text: String },
}

impl Body {
    fn of(bytes: &[u8]) -> Option<Self> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(match serde_json::from_slice(bytes) {
            Ok(json) => Body::Json { json },
            Err(_) => Body::Text {
                text: String::from_utf8_lossy(bytes).into_owned(),
            },
        })
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Body::Json { json } => serde_json::to_vec(json).unwrap_or_default(),
            Body::Text { text } => text.clone().into_bytes(),
        }
    }
}

/// An answer: status, the headers worth keeping, the body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Answer {
    status: u16,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<Body>,
}

impl Cassette {
    fn load(path: &Path) -> Result<Self, CassetteError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CassetteError::new(
                path,
                format!("cannot be read ({e}); record it first (see the testing docs)"),
            )
        })?;
        let cassette: Cassette = serde_json::from_str(&text)
            .map_err(|e| CassetteError::new(path, format!("is not a cassette: {e}")))?;
        if cassette.format != FORMAT {
            return Err(CassetteError::new(
                path,
                format!(
                    "has format {}; this version reads format {FORMAT}: record it again",
                    cassette.format
                ),
            ));
        }
        Ok(cassette)
    }

    /// Written whole or not at all: a temporary file, then a rename.
    fn save(&self, path: &Path) -> Result<(), CassetteError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| CassetteError::new(path, format!("cannot be encoded: {e}")))?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".{}.tmp", std::process::id()));
        let tmp = PathBuf::from(tmp);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| CassetteError::new(path, format!("cannot be written: {e}")))?;
        }
        std::fs::write(&tmp, text + "\n")
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                CassetteError::new(path, format!("cannot be written: {e}"))
            })
    }
}
