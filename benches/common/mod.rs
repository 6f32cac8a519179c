//! What both bench targets share: the bodies, a loopback server that answers fixed bytes,
//! the hand-written client a user would write instead of the SDK, and the SDK client.
//!
//! Each bench target uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use bytes::Bytes;
use rocketchat_omnichannel::models::Contact;
use rocketchat_omnichannel::{Client, Credentials};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const USER_ID: &str = "rbAXPnMktTFbNpwtJ";
pub const TOKEN: &str = "RScctEHSmLGZGywfIhWyRpyofhKOiMoUIpimhvheU3f";
pub const CONTACT_ID: &str = "68341efdd387e3d7509267fb";
/// The `User-Agent` the SDK sends by default; both sides set it in the `ua` scenarios.
pub const USER_AGENT: &str = concat!("rocketchat-omnichannel/", env!("CARGO_PKG_VERSION"));
/// The documented `contacts.conflicts` answer (one contact, one channel).
pub const SMALL: &str = include_str!("../../tests/fixtures/contacts.conflicts/success_full.json");

/// The answer body: `small` (the fixture) or `large` (1,000 channels and 1,000 conflicts).
pub fn body(name: &str) -> Bytes {
    match name {
        "small" => Bytes::from_static(SMALL.trim_end().as_bytes()),
        "large" => large_body(),
        other => panic!("unknown body `{other}` (small | large)"),
    }
}

/// A contact with 1,000 channels and 1,000 conflicting fields (~440 KB, ~2,000 dates).
pub fn large_body() -> Bytes {
    let channels: Vec<_> = (0..1_000)
        .map(|i| {
            json!({
                "name": format!("widget-{i}"),
                "visitor": {"visitorId": format!("68341ef9d387e3d75092{i:04}"), "source": {"type": "widget"}},
                "blocked": false, "verified": i % 2 == 0,
                "details": {"type": "widget", "destination": "writing-demo.dev.rocket.chat"},
                "lastChat": {"_id": format!("cz5uyBRyKPfoW{i:04}"), "ts": "2025-05-26T07:57:49.661Z"},
                "field": "email", "value": format!("visitor{i}@email.com"),
                "verifiedAt": "2025-05-26T07:58:26.895Z"
            })
        })
        .collect();
    let conflicts: Vec<_> = (0..1_000)
        .map(|i| json!({"field": format!("customFields.field{i}"), "value": format!("competing value number {i}")}))
        .collect();
    let body = json!({
        "result": {
            "_id": CONTACT_ID, "name": "Jane Doe",
            "createdAt": "2025-05-26T07:57:49.616Z", "_updatedAt": "2025-05-26T11:35:31.241Z",
            "channels": channels, "conflictingFields": conflicts,
            "customFields": {"field1": "field1"}, "unknown": false,
            "emails": [{"address": "jane.doe@email.com"}], "phones": []
        },
        "success": true
    });
    Bytes::from(serde_json::to_vec(&body).unwrap())
}

/// Serves `body` as a 200 JSON answer to every request on a loopback port, from plain
/// threads (one per connection), so the server costs the client's process nothing when it
/// runs in another process, and the same fixed bytes whatever the client sends.
///
/// Two details matter for honest numbers (see BENCHMARKS.md, "User-Agent"):
/// - a request is answered only once all of it has arrived (headers up to `\r\n\r\n`, then
///   `Content-Length` bytes of body), however many reads that takes, and bytes left over
///   start the next request;
/// - the answer is written with one `write_all` on a socket with `TCP_NODELAY`, so no part
///   of it waits for the client's delayed ACK.
pub fn serve_fixed(body: Bytes) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    let answer: &'static [u8] = Box::leak(answer.into_boxed_slice());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || answer_every_request(stream, answer));
        }
    });
    address
}

fn answer_every_request(mut stream: TcpStream, answer: &[u8]) {
    let _ = stream.set_nodelay(true);
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        // Answer every complete request already buffered.
        while let Some(length) = complete_request(&buffer) {
            buffer.drain(..length);
            if stream.write_all(answer).is_err() {
                return;
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The length of the first complete request in `buffer`, if all of it is there.
fn complete_request(buffer: &[u8]) -> Option<usize> {
    let head_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buffer[..head_end]).ok()?;
    let body_length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (buffer.len() >= head_end + body_length).then_some(head_end + body_length)
}

// ---------------------------------------------------------------------------------------
// The hand-written client: what a user writes instead of this crate. Its own small serde
// model of the same fields the SDK exposes, dates and ids kept as strings, enums as
// strings, custom fields as a `HashMap` of JSON values.

#[derive(Debug, Deserialize)]
pub struct MyAnswer<T> {
    pub result: T,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyContact {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: Option<String>,
    #[serde(default)]
    pub emails: Vec<MyEmail>,
    #[serde(default)]
    pub phones: Vec<MyPhone>,
    pub contact_manager: Option<String>,
    pub unknown: Option<bool>,
    #[serde(default)]
    pub conflicting_fields: Vec<MyConflict>,
    #[serde(default)]
    pub custom_fields: HashMap<String, serde_json::Value>,
    #[serde(default)]
    pub channels: Vec<MyChannel>,
    pub last_chat: Option<MyLastChat>,
    pub import_ids: Option<Vec<String>>,
    pub activity: Option<Vec<String>>,
    pub pre_registration: Option<bool>,
    pub has_conflicts: Option<bool>,
    pub enabled: Option<bool>,
    pub created_at: Option<String>,
    #[serde(rename = "_updatedAt")]
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MyEmail {
    pub address: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyPhone {
    pub phone_number: String,
}

#[derive(Debug, Deserialize)]
pub struct MyConflict {
    pub field: String,
    pub value: serde_json::Value,
}

#[derive(Debug, Deserialize)]
pub struct MyLastChat {
    #[serde(rename = "_id")]
    pub id: String,
    pub ts: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyChannel {
    pub name: Option<String>,
    pub verified: Option<bool>,
    pub verified_at: Option<String>,
    pub blocked: Option<bool>,
    pub field: Option<String>,
    pub value: Option<String>,
    pub visitor: Option<MyVisitor>,
    pub visitor_id: Option<String>,
    pub details: Option<MySource>,
    pub last_chat: Option<MyLastChat>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyVisitor {
    pub visitor_id: String,
    pub source: Option<MySource>,
}

#[derive(Debug, Deserialize)]
pub struct MySource {
    #[serde(rename = "type")]
    pub kind: String,
    pub destination: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MyRequest<'a> {
    contact_id: &'a str,
    name: &'a str,
    wipe_conflicts: bool,
}

/// One `reqwest::Client`, two auth headers, a JSON body, `bytes()` and `from_slice`.
pub struct HandWritten {
    http: reqwest::Client,
    url: String,
}

impl HandWritten {
    pub fn new(address: SocketAddr, user_agent: bool) -> Self {
        let mut http = reqwest::Client::builder();
        if user_agent {
            http = http.user_agent(USER_AGENT);
        }
        Self {
            http: http.build().unwrap(),
            url: format!("http://{address}/api/v1/omnichannel/contacts.conflicts"),
        }
    }

    async fn send(&self) -> Bytes {
        let body = serde_json::to_vec(&MyRequest {
            contact_id: CONTACT_ID,
            name: "Jane Doe",
            wipe_conflicts: true,
        })
        .unwrap();
        let response = self
            .http
            .post(&self.url)
            .header("X-Auth-Token", TOKEN)
            .header("X-User-Id", USER_ID)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        response.bytes().await.unwrap()
    }

    /// The honest baseline: the user's own model.
    pub async fn call(&self) -> MyContact {
        decode_own(&self.send().await)
    }

    /// The second line: the same call decoding into the SDK's `Contact`, which puts the
    /// model's cost on both sides of the ratio.
    pub async fn call_shared_model(&self) -> Contact {
        decode_shared_model(&self.send().await)
    }
}

pub fn decode_own(body: &[u8]) -> MyContact {
    serde_json::from_slice::<MyAnswer<MyContact>>(body)
        .unwrap()
        .result
}

pub fn decode_shared_model(body: &[u8]) -> Contact {
    serde_json::from_slice::<MyAnswer<Contact>>(body)
        .unwrap()
        .result
}

/// The SDK's default client; with `user_agent`, built on a reqwest client that sends the
/// SDK's `User-Agent` (otherwise configured as the default one).
pub fn sdk(address: SocketAddr, user_agent: bool) -> Client {
    let mut builder = Client::builder(format!("http://{address}"))
        .credentials(Credentials::token(USER_ID, TOKEN));
    if user_agent {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(rocketchat_omnichannel::redirect_policy())
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        builder = builder.http_client(http);
    }
    builder.build().unwrap()
}

pub async fn sdk_call(client: &Client) -> Contact {
    client
        .resolve_contact_conflicts(CONTACT_ID)
        .name("Jane Doe")
        .wipe_conflicts(true)
        .await
        .unwrap()
}
