//! [`Call`]: one request as the routes see it, and how they read its headers, body and query.

use std::net::IpAddr;

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::{Map, Value};

use super::reply::Reply;
use crate::testing::fake::schema::{self, Source};
use crate::testing::fake::version::Version;

/// One request, as the routes see it.
pub(crate) struct Call<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Bytes,
    pub(crate) peer: IpAddr,
}

impl Call<'_> {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as the server reads it: JSON, or a form whose values are all strings;
    /// anything else (or malformed JSON) is `{}`.
    pub(super) fn json_body(&self) -> Value {
        let content_type = self
            .header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            return Value::Object(
                url::form_urlencoded::parse(self.body)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect(),
            );
        }
        if !content_type.starts_with("application/json") {
            return Value::Object(Map::new());
        }
        serde_json::from_slice(self.body).unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// The query string as the server's parser (`qs`, Express's "extended" parser) reads
    /// it: see [`qs`].
    pub(super) fn query_params(&self) -> Map<String, Value> {
        qs(self.query.unwrap_or_default())
    }

    /// The query after validation against the route's schema (values coerced).
    pub(super) fn valid_query(
        &self,
        release: Version,
        route: &str,
    ) -> Result<Map<String, Value>, Reply> {
        let mut data = Value::Object(self.query_params());
        schema::validate(release, &format!("GET {route}"), Source::Query, &mut data)
            .map_err(|m| Reply::invalid_params(&m))?;
        Ok(into_object(data))
    }

    /// The body after validation against the route's schema (values coerced).
    pub(super) fn valid_body(
        &self,
        release: Version,
        route: &str,
    ) -> Result<Map<String, Value>, Reply> {
        let mut data = self.json_body();
        schema::validate(release, &format!("POST {route}"), Source::Body, &mut data)
            .map_err(|m| Reply::invalid_params(&m))?;
        Ok(into_object(data))
    }
}

fn into_object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// How deep `qs` reads brackets (`a[b][c]…`); the rest of the key is kept as it is.
const QS_DEPTH: usize = 5;

/// The highest index `qs` reads as an array's (`a[20]`); a larger one is an object's key.
const QS_ARRAY_LIMIT: usize = 20;

/// A query string as `qs` parses it with its defaults: `a=1&a=2` and `a[]=1&a[]=2` give
/// `["1", "2"]`, `a[0]=x` an array, `a[b]=c` `{"b": "c"}`, brackets read to a depth of five;
/// values are strings. Whether a one-item list then counts as its item is the validator's
/// business (`coerceTypes: "array"`).
pub(crate) fn qs(query: &str) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()).take(1000) {
        let (base, path) = qs_key(&key);
        if base.is_empty() {
            continue;
        }
        let value = nest(&path, Value::String(value.into_owned()));
        match root.remove(&base) {
            Some(existing) => {
                root.insert(base, combine(existing, value));
            }
            None => {
                root.insert(base, value);
            }
        }
    }
    root
}

/// `a[b][]` → `("a", ["b", ""])`. A key whose brackets do not close is taken whole.
fn qs_key(key: &str) -> (String, Vec<String>) {
    let Some(open) = key.find('[').filter(|&at| at > 0) else {
        return (key.to_owned(), Vec::new());
    };
    let (base, mut rest) = key.split_at(open);
    let mut path = Vec::new();
    while let Some(inner) = rest.strip_prefix('[')
        && let Some(close) = inner.find(']')
    {
        if path.len() == QS_DEPTH {
            // Past the depth, the rest is one more key, as written.
            path.push(rest.to_owned());
            break;
        }
        path.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
    }
    if path.is_empty() {
        // No bracket closes: the key is taken whole.
        return (key.to_owned(), Vec::new());
    }
    (base.to_owned(), path)
}

/// The value a bracket path gives: `[]` and `[n]` (n up to 20) an array, `[k]` an object.
fn nest(path: &[String], value: Value) -> Value {
    let Some((first, rest)) = path.split_first() else {
        return value;
    };
    let inner = nest(rest, value);
    if first.is_empty() {
        return Value::Array(vec![inner]);
    }
    match first.parse::<usize>() {
        Ok(index) if index <= QS_ARRAY_LIMIT && first == &index.to_string() => {
            Value::Array(vec![inner])
        }
        _ => {
            let mut object = Map::new();
            object.insert(first.clone(), inner);
            Value::Object(object)
        }
    }
}

/// Two values for one key, as `qs` merges them: lists join, objects merge key by key,
/// anything else becomes a list of both.
fn combine(existing: Value, new: Value) -> Value {
    match (existing, new) {
        (Value::Array(mut items), Value::Array(more)) => {
            items.extend(more);
            Value::Array(items)
        }
        (Value::Array(mut items), other) => {
            items.push(other);
            Value::Array(items)
        }
        (Value::Object(mut object), Value::Object(more)) => {
            for (key, value) in more {
                let merged = match object.remove(&key) {
                    Some(existing) => combine(existing, value),
                    None => value,
                };
                object.insert(key, merged);
            }
            Value::Object(object)
        }
        (existing, other) => Value::Array(vec![existing, other]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::qs;

    /// What `qs.parse` gives for each (qs 6, default options).
    #[test]
    fn queries_parse_as_qs_does() {
        for (query, parsed) in [
            ("contactId=x", json!({"contactId": "x"})),
            ("contactId[]=x", json!({"contactId": ["x"]})),
            ("a=1&a=2", json!({"a": ["1", "2"]})),
            ("a[]=1&a[]=2", json!({"a": ["1", "2"]})),
            ("a[0]=x", json!({"a": ["x"]})),
            ("a[21]=x", json!({"a": {"21": "x"}})),
            ("a[b]=c&a[d]=e", json!({"a": {"b": "c", "d": "e"}})),
            ("a[b][c]=d", json!({"a": {"b": {"c": "d"}}})),
            ("a[b=c", json!({"a[b": "c"})),
            ("sort=%7B%22name%22%3A1%7D", json!({"sort": "{\"name\":1}"})),
            ("a=1&a[b]=2", json!({"a": ["1", {"b": "2"}]})),
        ] {
            assert_eq!(serde_json::Value::Object(qs(query)), parsed, "{query}");
        }
    }
}
