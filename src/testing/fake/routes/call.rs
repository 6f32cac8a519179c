//! [`Call`]: one request as the routes see it, and how they read its headers, body and query.

use std::net::IpAddr;

use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::{Map, Value};

use super::reply::Reply;
use crate::testing::fake::schema::{self, Source};

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

    /// The query string as an object of strings; a repeated key becomes an array, as the
    /// server's query parser gives it.
    pub(super) fn query_params(&self) -> Map<String, Value> {
        let mut params = Map::new();
        for (key, value) in url::form_urlencoded::parse(self.query.unwrap_or_default().as_bytes()) {
            let value = Value::String(value.into_owned());
            match params.get_mut(key.as_ref()) {
                Some(Value::Array(values)) => values.push(value),
                Some(first) => *first = Value::Array(vec![first.take(), value]),
                None => {
                    params.insert(key.into_owned(), value);
                }
            }
        }
        params
    }

    /// The query after validation against the route's schema (values coerced).
    pub(super) fn valid_query(&self, route: &str) -> Result<Map<String, Value>, Reply> {
        let mut data = Value::Object(self.query_params());
        schema::validate(&format!("GET {route}"), Source::Query, &mut data)
            .map_err(|m| Reply::invalid_params(&m))?;
        Ok(into_object(data))
    }

    /// The body after validation against the route's schema (values coerced).
    pub(super) fn valid_body(&self, route: &str) -> Result<Map<String, Value>, Reply> {
        let mut data = self.json_body();
        schema::validate(&format!("POST {route}"), Source::Body, &mut data)
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
