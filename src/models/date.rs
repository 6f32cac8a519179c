//! Dates as the REST API writes them (`"2025-05-26T07:57:49.616Z"`), also accepting the
//! `{"$date": <epoch ms>}` form of the realtime API, which some proxies and exports pass on.

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Wire {
    Text(String),
    Extended {
        #[serde(rename = "$date")]
        date: DateValue,
    },
    Millis(i64),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DateValue {
    Millis(i64),
    Text(String),
}

fn parse<E: serde::de::Error>(wire: Wire) -> Result<Timestamp, E> {
    let from_ms = |ms: i64| Timestamp::from_millisecond(ms).map_err(E::custom);
    match wire {
        Wire::Text(text)
        | Wire::Extended {
            date: DateValue::Text(text),
        } => text
            .parse::<Timestamp>()
            .map_err(|e| E::custom(format_args!("invalid date `{text}`: {e}"))),
        Wire::Extended {
            date: DateValue::Millis(ms),
        }
        | Wire::Millis(ms) => from_ms(ms),
    }
}

pub(crate) fn deserialize_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Timestamp>, D::Error> {
    match Option::<Wire>::deserialize(d)? {
        Some(wire) => parse(wire).map(Some),
        None => Ok(None),
    }
}

/// Writes milliseconds, as Rocket.Chat does, so a written date reads back equal.
pub(crate) fn serialize<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{}", ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")))
}

pub(crate) fn serialize_opt<S: Serializer>(
    ts: &Option<Timestamp>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match ts {
        Some(ts) => serialize(ts, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        parse(Wire::deserialize(d)?)
    }

    #[derive(Deserialize, serde::Serialize)]
    struct Holder {
        #[serde(deserialize_with = "deserialize", serialize_with = "serialize")]
        at: Timestamp,
    }

    #[test]
    fn reads_both_forms_and_writes_milliseconds() {
        let a: Holder = serde_json::from_str(r#"{"at":"2025-05-26T07:57:49.616Z"}"#).unwrap();
        let b: Holder = serde_json::from_str(r#"{"at":{"$date":1748246269616}}"#).unwrap();
        assert_eq!(a.at, b.at);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"at":"2025-05-26T07:57:49.616Z"}"#
        );
    }

    #[test]
    fn bad_date_names_the_text() {
        let err = serde_json::from_str::<Holder>(r#"{"at":"yesterday"}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }
}
