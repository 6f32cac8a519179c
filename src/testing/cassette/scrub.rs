//! What never reaches the disk, and what `normalize` makes stable between recordings.

use std::collections::HashMap;

use serde_json::Value;

use super::{Body, Cassette, Recorded};

/// What a scrubbed value becomes.
pub(super) const SCRUBBED: &str = "SCRUBBED";

/// Keys whose values are secrets wherever they appear: login bodies (`password`, `code`,
/// `resume`), login answers (`authToken`), personal access tokens and visitor tokens
/// (`token`), and what a user document may carry (`hashedToken`, `bcrypt`, `loginTokens`).
pub(super) const SECRET_KEYS: [&str; 8] = [
    "password",
    "code",
    "resume",
    "authToken",
    "token",
    "hashedToken",
    "bcrypt",
    "loginTokens",
];

/// The keys to scrub: the secrets and the user's own, compared without case.
#[derive(Clone, Debug)]
pub(super) struct Scrubber {
    keys: Vec<String>,
}

impl Scrubber {
    pub(super) fn new(extra: &[String]) -> Self {
        Self {
            keys: SECRET_KEYS
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .chain(extra.iter().map(|k| k.to_ascii_lowercase()))
                .collect(),
        }
    }

    fn secret(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k.eq_ignore_ascii_case(key))
    }

    /// The request as it may be written and matched.
    pub(super) fn request(&self, mut request: Recorded) -> Recorded {
        request.path = path(&request.path);
        request.query = request.query.map(|q| self.query(&q));
        match &mut request.body {
            Some(Body::Json { json }) => self.value(json),
            // A form (`user=…&password=…`) is scrubbed like a query.
            Some(Body::Text { text }) if looks_like_a_form(text) => *text = self.query(text),
            _ => {}
        }
        request
    }

    /// A JSON value with every secret key's value replaced.
    pub(super) fn value(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if self.secret(key) && !value.is_null() {
                        *value = Value::String(SCRUBBED.into());
                    } else {
                        self.value(value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            _ => {}
        }
    }

    fn query(&self, query: &str) -> String {
        let pairs = url::form_urlencoded::parse(query.as_bytes()).map(|(key, value)| {
            let value = if self.secret(&key) {
                SCRUBBED.into()
            } else {
                value
            };
            (key, value)
        });
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }
}

/// Whether a body that is not JSON is `key=value&…`.
fn looks_like_a_form(text: &str) -> bool {
    !text.is_empty()
        && !text.chars().any(char::is_whitespace)
        && text
            .split('&')
            .all(|pair| pair.split_once('=').is_some_and(|(key, _)| !key.is_empty()))
}

/// The widget's routes that carry the visitor's token in the path, and which segment after
/// the route's name it is (`apps/meteor/app/livechat/server/api/v1/`: `visitor/:token`,
/// `agent.info/:rid/:token`, `agent.next/:token`).
const TOKEN_PATHS: [(&str, usize); 3] = [
    ("/livechat/visitor/", 0),
    ("/livechat/agent.info/", 1),
    ("/livechat/agent.next/", 0),
];

/// A path with any visitor token in it replaced.
fn path(path: &str) -> String {
    for (route, segment) in TOKEN_PATHS {
        let Some(at) = path.find(route) else {
            continue;
        };
        let (head, rest) = path.split_at(at + route.len());
        let mut segments: Vec<&str> = rest.split('/').collect();
        if let Some(token) = segments.get_mut(segment)
            && !token.is_empty()
        {
            *token = SCRUBBED;
        }
        return format!("{head}{}", segments.join("/"));
    }
    path.to_owned()
}

/// Makes a re-recording differ only where the server changed: ids the server generated
/// become `id-0001`, `id-0002`… in order of first appearance, and ISO timestamps become
/// `2000-01-01T00:00:00.000Z` plus one second per distinct instant, in their own order.
/// The same value maps to the same stand-in everywhere (bodies and queries), so a request
/// that carries an id from an earlier answer still matches on replay.
pub(super) fn normalize(cassette: &mut Cassette) {
    let mut ids = Vec::new();
    let mut times = Vec::new();
    for interaction in &cassette.interactions {
        for body in [&interaction.request.body, &interaction.response.body]
            .into_iter()
            .flatten()
        {
            if let Body::Json { json } = body {
                collect(json, None, &mut ids, &mut times);
            }
        }
        if let Some(date) = http_date(&interaction.response.headers) {
            times.push(iso(date));
        }
    }
    times.sort();
    times.dedup();
    let mut map: HashMap<String, String> = HashMap::new();
    for (n, id) in ids.iter().enumerate() {
        map.entry(id.clone())
            .or_insert_with(|| format!("id-{:04}", n + 1));
    }
    let base = jiff::Timestamp::from_second(946_684_800).unwrap_or_default();
    for (n, time) in times.iter().enumerate() {
        let stand_in = base
            .checked_add(jiff::SignedDuration::from_secs(n as i64))
            .unwrap_or(base);
        map.insert(time.clone(), iso(stand_in));
    }
    for interaction in &mut cassette.interactions {
        if let Some(date) = http_date(&interaction.response.headers)
            && let Some(stand_in) = map.get(&iso(date))
            && let Ok(stand_in) = stand_in.parse::<jiff::Timestamp>()
        {
            let printer = jiff::fmt::rfc2822::DateTimePrinter::new();
            if let Ok(text) = printer.timestamp_to_rfc9110_string(&stand_in) {
                interaction
                    .response
                    .headers
                    .insert("date".into(), Value::String(text));
            }
        }
        let request = &mut interaction.request;
        if let Some(query) = &request.query {
            let pairs = url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| {
                let v = map
                    .get(v.as_ref())
                    .cloned()
                    .unwrap_or_else(|| v.into_owned());
                (k.into_owned(), v)
            });
            request.query = Some(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish(),
            );
        }
        for body in [&mut request.body, &mut interaction.response.body]
            .into_iter()
            .flatten()
        {
            if let Body::Json { json } = body {
                replace(json, &map);
            }
        }
    }
}

/// The answer's `Date` header (the server's clock, which a watcher's marks come from).
fn http_date(headers: &serde_json::Map<String, Value>) -> Option<jiff::Timestamp> {
    let text = headers.get("date")?.as_str()?;
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text)
        .ok()
}

fn iso(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An id the server generated: Meteor's 17-character ids, or a 24-digit hex ObjectId.
fn looks_generated(text: &str) -> bool {
    (text.len() == 17 && text.chars().all(|c| c.is_ascii_alphanumeric()))
        || (text.len() == 24 && text.chars().all(|c| c.is_ascii_hexdigit()))
}

fn looks_like_time(text: &str) -> bool {
    text.len() >= 20
        && text.as_bytes().get(4) == Some(&b'-')
        && text.as_bytes().get(10) == Some(&b'T')
        && text.ends_with('Z')
        && text.parse::<jiff::Timestamp>().is_ok()
}

fn collect(value: &Value, key: Option<&str>, ids: &mut Vec<String>, times: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            let id_key = key.is_some_and(|k| k == "_id" || k == "rid" || k.ends_with("Id"));
            if id_key && looks_generated(text) && !ids.contains(text) {
                ids.push(text.clone());
            } else if looks_like_time(text) {
                times.push(text.clone());
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                collect(v, Some(k), ids, times);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, key, ids, times);
            }
        }
        _ => {}
    }
}

fn replace(value: &mut Value, map: &HashMap<String, String>) {
    match value {
        Value::String(text) => {
            if let Some(stand_in) = map.get(text.as_str()) {
                *text = stand_in.clone();
            }
        }
        Value::Object(object) => object.values_mut().for_each(|v| replace(v, map)),
        Value::Array(items) => items.iter_mut().for_each(|v| replace(v, map)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed_in_bodies_queries_and_paths() {
        let scrubber = Scrubber::new(&["address".into()]);
        let mut body = serde_json::json!({"user": "bot", "password": "pw", "totp": {"code": "123"},
            "emails": [{"address": "a@b.c"}], "data": {"authToken": "t", "userId": "u"}});
        scrubber.value(&mut body);
        let text = body.to_string();
        for secret in ["pw", "123", "a@b.c", "\"t\""] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("\"userId\":\"u\""), "{text}");
        assert_eq!(scrubber.query("token=abc&rid=r1"), "token=SCRUBBED&rid=r1");
        assert_eq!(
            path("/api/v1/livechat/visitor/abc123"),
            "/api/v1/livechat/visitor/SCRUBBED"
        );
        assert_eq!(path("/api/v1/livechat/visitor"), "/api/v1/livechat/visitor");
        assert_eq!(
            path("/api/v1/livechat/agent.info/room1/tok"),
            "/api/v1/livechat/agent.info/room1/SCRUBBED"
        );
        assert_eq!(
            path("/api/v1/livechat/agent.next/tok"),
            "/api/v1/livechat/agent.next/SCRUBBED"
        );
        let form = scrubber.request(Recorded {
            method: "POST".into(),
            path: "/api/v1/login".into(),
            query: None,
            body: Some(Body::Text {
                text: "user=bot&password=pw".into(),
            }),
        });
        assert_eq!(
            form.body,
            Some(Body::Text {
                text: "user=bot&password=SCRUBBED".into()
            })
        );
    }
}
