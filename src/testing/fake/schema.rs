//! Request validation from the one schema source, `schemas.json` (the request schemas of
//! `@rocket.chat/rest-typings`), with AJV's behaviour as Rocket.Chat configures it
//! (`packages/rest-typings/src/v1/Ajv.ts`): type coercion (`coerceTypes: true` for bodies,
//! `"array"` for queries), AJV's own messages, its keyword order (type, then `oneOf`, then
//! `required`, `additionalProperties`, `properties`; a property's type before its other
//! keywords), the first failure only except inside `oneOf`, and the custom `isNotEmpty`
//! keyword. The router joins the messages with `"\n "` and appends ` [invalid-params]`
//! (`apps/meteor/app/api/server/ApiClass.ts`).
//!
//! The schemas are each release's own: `schemas-by-release.json` holds those of the
//! published `@rocket.chat/rest-typings` 7.0.0, 7.9.8, 7.10.0, 7.13.9, 8.0.0, 8.6.1, 8.7.1
//! and 8.8.1 (extracted with Node from each package's compiled validators, with the AJV
//! options each used). A profile plays its own release's schemas when that release is
//! published, else those of the next published one (a release in between is not known to
//! be stricter; unconfirmed). Queries coerce one-item lists (`coerceTypes: "array"`, a
//! separate `ajvQuery`) from 8.6: 8.6.1 is the first published package with it.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::version::Version;

/// One release's schemas, and whether its queries coerce lists.
struct Release {
    version: Version,
    routes: Map<String, Value>,
    query_arrays: bool,
}

/// The releases, oldest first, parsed once.
fn releases() -> &'static [Release] {
    static RELEASES: OnceLock<Vec<Release>> = OnceLock::new();
    RELEASES.get_or_init(|| {
        let document: Value =
            serde_json::from_str(include_str!("schemas-by-release.json")).unwrap_or_default();
        let mut releases: Vec<Release> = document["releases"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(version, release)| {
                Some(Release {
                    version: version.parse().ok()?,
                    routes: release["routes"].as_object()?.clone(),
                    query_arrays: release["ajv"]["query"]["coerceTypes"] == "array",
                })
            })
            .collect();
        releases.sort_by_key(|r| r.version);
        releases
    })
}

/// The schema a release checks `route`'s `source` with: its own, else (a release between
/// published packages, or a route its package lacks) the next published one's.
fn schema_for(release: Version, route: &str, source: Source) -> Option<(&'static Value, bool)> {
    let all = releases();
    let from = all
        .iter()
        .position(|r| r.version >= release)
        .unwrap_or(all.len().saturating_sub(1));
    all[from..]
        .iter()
        .chain(all[..from].iter().rev())
        .find_map(|r| {
            let schema = r.routes.get(route)?.get(source.key())?;
            Some((schema, r.query_arrays))
        })
}

/// Where the data comes from: a JSON body or a query string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Body,
    Query,
}

impl Source {
    fn key(self) -> &'static str {
        match self {
            Self::Body => "body",
            Self::Query => "query",
        }
    }
}

/// Validates (and coerces) `data` against the schema of `route` (e.g.
/// `"GET omnichannel/contacts.get"`). A route without a schema accepts anything. The error is
/// the router's message without the ` [invalid-params]` suffix.
pub(crate) fn validate(
    release: Version,
    route: &str,
    source: Source,
    data: &mut Value,
) -> Result<(), String> {
    let Some((schema, query_arrays)) = schema_for(release, route, source) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    let arrays = source == Source::Query && query_arrays;
    if check(schema, data, arrays, &mut errors) {
        Ok(())
    } else {
        Err(errors.join("\n "))
    }
}

/// Checks one value; on failure pushes AJV's message(s) and returns false.
fn check(schema: &Value, data: &mut Value, arrays: bool, errors: &mut Vec<String>) -> bool {
    let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    if let Some(kind) = schema.get("type").and_then(Value::as_str)
        && !(nullable && data.is_null())
        && !has_type(kind, data)
    {
        // A nullable type is `[kind, "null"]` to AJV, which tries each in turn: `""` for a
        // nullable boolean cannot be a boolean, so it becomes null (and the route's
        // `removeEmpty` then drops it), as `coerceTypes: true` does in rest-typings' `Ajv`.
        let coerced = coerce(kind, data, arrays).or_else(|| {
            if nullable {
                coerce("null", data, false)
            } else {
                None
            }
        });
        match coerced {
            Some(coerced) => *data = coerced,
            None => {
                errors.push(format!("must be {kind}"));
                return false;
            }
        }
    }
    if data.is_null() && nullable {
        return true;
    }
    if let Some(Value::Array(branches)) = schema.get("oneOf") {
        let mut branch_errors = Vec::new();
        let mut passing = Vec::new();
        for branch in branches {
            let mut attempt = data.clone();
            if check(branch, &mut attempt, arrays, &mut branch_errors) {
                passing.push(attempt);
            }
        }
        if passing.len() != 1 {
            errors.extend(branch_errors);
            errors.push("must match exactly one schema in oneOf".into());
            return false;
        }
        *data = passing.remove(0);
    }
    match data {
        Value::Object(object) => check_object(schema, object, arrays, errors),
        Value::Array(items) => check_array(schema, items, arrays, errors),
        Value::String(text) => check_string(schema, text, errors),
        _ => true,
    }
}

fn check_object(
    schema: &Value,
    object: &mut Map<String, Value>,
    arrays: bool,
    errors: &mut Vec<String>,
) -> bool {
    for key in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !object.contains_key(key) {
            errors.push(format!("must have required property '{key}'"));
            return false;
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    if schema.get("additionalProperties") == Some(&Value::Bool(false))
        && object
            .keys()
            .any(|key| !properties.is_some_and(|p| p.contains_key(key)))
    {
        errors.push("must NOT have additional properties".into());
        return false;
    }
    for (key, property) in properties.into_iter().flatten() {
        if let Some(value) = object.get_mut(key)
            && !check(property, value, arrays, errors)
        {
            return false;
        }
    }
    true
}

fn check_array(
    schema: &Value,
    items: &mut [Value],
    arrays: bool,
    errors: &mut Vec<String>,
) -> bool {
    if let Some(item_schema) = schema.get("items") {
        for item in items.iter_mut() {
            if !check(item_schema, item, arrays, errors) {
                return false;
            }
        }
    }
    if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
        // AJV walks from the end and names the later index first.
        for i in (0..items.len()).rev() {
            if let Some(j) = items[..i].iter().rposition(|earlier| *earlier == items[i]) {
                errors.push(format!(
                    "must NOT have duplicate items (items ## {i} and {j} are identical)"
                ));
                return false;
            }
        }
    }
    true
}

fn check_string(schema: &Value, text: &str, errors: &mut Vec<String>) -> bool {
    if let Some(format) = schema.get("format").and_then(Value::as_str)
        && !matches_format(format, text)
    {
        errors.push(format!("must match format \"{format}\""));
        return false;
    }
    if schema.get("isNotEmpty") == Some(&Value::Bool(true)) && text.trim().is_empty() {
        errors.push("must pass \"isNotEmpty\" keyword validation".into());
        return false;
    }
    true
}

/// The formats the schemas use: `basic_email` is `/^[^@]+@[^@]+$/`.
fn matches_format(format: &str, text: &str) -> bool {
    match format {
        "basic_email" => {
            let mut parts = text.split('@');
            matches!(
                (parts.next(), parts.next(), parts.next()),
                (Some(user), Some(host), None) if !user.is_empty() && !host.is_empty()
                    && !text.contains('\n')
            )
        }
        _ => true,
    }
}

fn has_type(kind: &str, data: &Value) -> bool {
    match kind {
        "string" => data.is_string(),
        "number" => data.is_number(),
        "integer" => data.is_i64() || data.is_u64(),
        "boolean" => data.is_boolean(),
        "object" => data.is_object(),
        "array" => data.is_array(),
        "null" => data.is_null(),
        _ => true,
    }
}

/// AJV's `coerceTypes`; `None` when the value cannot be coerced.
fn coerce(kind: &str, data: &Value, arrays: bool) -> Option<Value> {
    if arrays {
        if kind == "array" {
            return Some(Value::Array(vec![data.clone()]));
        }
        if let Value::Array(items) = data
            && items.len() == 1
        {
            let inner = &items[0];
            if has_type(kind, inner) {
                return Some(inner.clone());
            }
            return coerce(kind, inner, false);
        }
    }
    match (kind, data) {
        ("string", Value::Number(n)) => Some(Value::String(n.to_string())),
        ("string", Value::Bool(b)) => Some(Value::String(b.to_string())),
        ("string", Value::Null) => Some(Value::String(String::new())),
        ("number" | "integer", Value::Bool(b)) => Some(Value::from(u8::from(*b))),
        ("number" | "integer", Value::Null) => Some(Value::from(0)),
        ("number" | "integer", Value::String(s)) => {
            // AJV coerces when `x == +x`: JavaScript's `Number()`, for a non-empty string.
            let number = js_number(s)?;
            if !number.is_finite() || (kind == "integer" && number.fract() != 0.0) {
                return None;
            }
            if number.fract() == 0.0 && number.abs() < 9.0e15 {
                Some(Value::from(number as i64))
            } else {
                serde_json::Number::from_f64(number).map(Value::Number)
            }
        }
        ("boolean", Value::String(s)) if s == "true" => Some(Value::Bool(true)),
        ("boolean", Value::String(s)) if s == "false" => Some(Value::Bool(false)),
        ("boolean", Value::Number(n)) if n.as_f64() == Some(1.0) => Some(Value::Bool(true)),
        ("boolean", Value::Number(n)) if n.as_f64() == Some(0.0) => Some(Value::Bool(false)),
        ("boolean", Value::Null) => Some(Value::Bool(false)),
        ("null", Value::String(s)) if s.is_empty() => Some(Value::Null),
        ("null", Value::Number(n)) if n.as_f64() == Some(0.0) => Some(Value::Null),
        ("null", Value::Bool(false)) => Some(Value::Null),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(route: &str, source: Source, mut data: Value) -> Result<Value, String> {
        validate(Version::NEWEST, route, source, &mut data).map(|()| data)
    }

    #[test]
    fn every_published_release_loads_with_its_routes() {
        let all = releases();
        assert_eq!(all.len(), 8);
        assert_eq!(all[0].version, Version::new(7, 0, 0));
        assert!(
            !all[0]
                .routes
                .contains_key("POST omnichannel/contacts.conflicts")
        );
        assert_eq!(all.last().unwrap().routes.len(), 12);
        assert!(
            all.iter()
                .all(|r| r.query_arrays == (r.version >= Version::new(8, 6, 0)))
        );
    }

    /// 7.0.0's own validators: no `unknown` on search, no `wipeConflicts` on update, no
    /// `isNotEmpty` on get; a list in a query is not its item before 8.6.
    #[test]
    fn a_release_plays_its_own_validators() {
        let old = Version::new(7, 0, 0);
        let mut search = json!({"unknown": "false"});
        assert_eq!(
            validate(
                old,
                "GET omnichannel/contacts.search",
                Source::Query,
                &mut search
            ),
            Err("must NOT have additional properties".into())
        );
        let mut update = json!({"contactId": "c1", "wipeConflicts": true});
        assert!(
            validate(
                old,
                "POST omnichannel/contacts.update",
                Source::Body,
                &mut update
            )
            .is_err()
        );
        let mut blank = json!({"contactId": " "});
        assert!(
            validate(
                old,
                "GET omnichannel/contacts.get",
                Source::Query,
                &mut blank
            )
            .is_ok()
        );
        let mut listed = json!({"contactId": ["c1"]});
        assert_eq!(
            validate(
                Version::new(8, 0, 0),
                "GET omnichannel/contacts.get",
                Source::Query,
                &mut listed
            ),
            Err("must be string".into())
        );
        let mut listed = json!({"contactId": ["c1"]});
        validate(
            Version::new(8, 6, 0),
            "GET omnichannel/contacts.get",
            Source::Query,
            &mut listed,
        )
        .unwrap();
        assert_eq!(listed, json!({"contactId": "c1"}));
        // A release between published packages plays the next one's.
        let mut search = json!({"unknown": "false"});
        validate(
            Version::new(7, 7, 0),
            "GET omnichannel/contacts.search",
            Source::Query,
            &mut search,
        )
        .unwrap();
    }

    #[test]
    fn coercion_and_messages_follow_ajv() {
        let q = Source::Query;
        let ok = run(
            "GET omnichannel/contacts.search",
            q,
            json!({"count": "5", "unknown": "true"}),
        );
        assert_eq!(ok.unwrap(), json!({"count": 5, "unknown": true}));
        let err = run("GET omnichannel/contacts.search", q, json!({"count": "x"}));
        assert_eq!(err.unwrap_err(), "must be number");
        let err = run("GET omnichannel/contacts.get", q, json!({"contactId": " "}));
        assert_eq!(
            err.unwrap_err(),
            "must pass \"isNotEmpty\" keyword validation"
        );
        let err = run("GET omnichannel/contacts.checkExistence", q, json!({}));
        assert_eq!(
            err.unwrap_err(),
            "must have required property 'contactId'\n must have required property 'email'\n \
             must have required property 'phone'\n must match exactly one schema in oneOf"
        );
        let body = Source::Body;
        let err = run(
            "POST omnichannel/contacts",
            body,
            json!({"name": "a", "emails": ["x", "x"], "phones": []}),
        );
        assert_eq!(
            err.unwrap_err(),
            "must NOT have duplicate items (items ## 1 and 0 are identical)"
        );
        let ok = run(
            "POST omnichannel/contacts.conflicts",
            body,
            json!({"contactId": null, "name": null}),
        );
        assert_eq!(ok.unwrap(), json!({"contactId": "", "name": null}));
    }
}

/// JavaScript's `Number(text)` for the strings AJV coerces: white space around is ignored,
/// `0x`/`0o`/`0b` prefixes are read (without a sign), an empty or blank string is not a
/// number here (AJV skips it), nor is anything `Number()` makes `NaN`.
fn js_number(text: &str) -> Option<f64> {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return None;
    }
    let radix = |prefix: [&str; 2], radix: u32| {
        prefix
            .iter()
            .find_map(|p| trimmed.strip_prefix(p))
            .map(|digits| u64::from_str_radix(digits, radix).ok().map(|n| n as f64))
    };
    if let Some(number) = radix(["0x", "0X"], 16)
        .or_else(|| radix(["0o", "0O"], 8))
        .or_else(|| radix(["0b", "0B"], 2))
    {
        return number;
    }
    // Rust also reads "inf", "nan" and "infinity" in any case; JavaScript only "Infinity".
    let word = trimmed.trim_start_matches(['+', '-']);
    if word
        .chars()
        .any(|c| c.is_ascii_alphabetic() && !matches!(c, 'e' | 'E'))
    {
        return None;
    }
    trimmed.parse().ok()
}

#[cfg(test)]
mod number_tests {
    use super::js_number;

    /// What `Number(text)` gives in JavaScript, where it is a finite number.
    #[test]
    fn strings_become_numbers_as_javascript_reads_them() {
        for (text, number) in [
            ("12", Some(12.0)),
            (" 12\n", Some(12.0)),
            ("+5", Some(5.0)),
            ("-5", Some(-5.0)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("1e3", Some(1000.0)),
            ("0x10", Some(16.0)),
            ("0b101", Some(5.0)),
            ("0o17", Some(15.0)),
            ("-0x10", None),
            ("", None),
            ("  ", None),
            ("12px", None),
            ("nan", None),
            ("inf", None),
            ("1_000", None),
        ] {
            assert_eq!(js_number(text), number, "{text:?}");
        }
    }
}
