//! Dates as the REST API writes them (`"2025-05-26T07:57:49.616Z"`), also accepting the
//! `{"$date": <epoch ms>}` form of the realtime API, which some proxies and exports pass on.

use jiff::Timestamp;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Reads a date without buffering: a string, `{"$date": ms | string}`, or bare
/// milliseconds.
struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO-8601 date string, {\"$date\": milliseconds} or milliseconds")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        text.parse::<Timestamp>()
            .map_err(|e| E::custom(format_args!("invalid date `{text}`: {e}")))
    }

    fn visit_i64<E: de::Error>(self, ms: i64) -> Result<Timestamp, E> {
        Timestamp::from_millisecond(ms).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, ms: u64) -> Result<Timestamp, E> {
        let ms = i64::try_from(ms).map_err(|_| E::custom("date out of range"))?;
        self.visit_i64(ms)
    }

    fn visit_f64<E: de::Error>(self, ms: f64) -> Result<Timestamp, E> {
        if ms.is_finite() && ms.fract() == 0.0 && ms.abs() < 9.0e15 {
            self.visit_i64(ms as i64)
        } else {
            Err(E::custom("date out of range"))
        }
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Timestamp, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "$date" && found.is_none() {
                found = Some(map.next_value_seed(DateSeed)?);
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        found.ok_or_else(|| de::Error::missing_field("$date"))
    }
}

struct DateSeed;

impl<'de> de::DeserializeSeed<'de> for DateSeed {
    type Value = Timestamp;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Timestamp, D::Error> {
        d.deserialize_any(DateVisitor)
    }
}

/// An optional date: `null` or absent reads as `None`.
struct OptionalDate;

impl<'de> Visitor<'de> for OptionalDate {
    type Value = Option<Timestamp>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DateVisitor.expecting(f)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(DateVisitor).map(Some)
    }
}

pub(crate) fn deserialize_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Timestamp>, D::Error> {
    d.deserialize_option(OptionalDate)
}

/// `#[serde(with = "date::option")]` for `Option<Timestamp>` fields.
pub(crate) mod option {
    pub(crate) use super::deserialize_opt as deserialize;
    pub(crate) use super::serialize_opt as serialize;
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
        d.deserialize_any(DateVisitor)
    }

    #[derive(serde::Deserialize, serde::Serialize)]
    struct Holder {
        #[serde(deserialize_with = "deserialize", serialize_with = "serialize")]
        at: Timestamp,
    }

    #[test]
    fn reads_both_forms_and_writes_milliseconds() {
        let a: Holder = serde_json::from_str(r#"{"at":"2025-05-26T07:57:49.616Z"}"#).unwrap();
        let b: Holder = serde_json::from_str(r#"{"at":{"$date":1748246269616}}"#).unwrap();
        let c: Holder =
            serde_json::from_str(r#"{"at":{"$date":"2025-05-26T07:57:49.616Z"}}"#).unwrap();
        let d: Holder = serde_json::from_str(r#"{"at":1748246269616}"#).unwrap();
        assert_eq!(a.at, b.at);
        assert_eq!(a.at, c.at);
        assert_eq!(a.at, d.at);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"at":"2025-05-26T07:57:49.616Z"}"#
        );
    }

    #[test]
    fn optional_dates_accept_null_and_reject_garbage() {
        #[derive(serde::Deserialize)]
        struct Maybe {
            #[serde(default, deserialize_with = "deserialize_opt")]
            at: Option<Timestamp>,
        }
        assert!(
            serde_json::from_str::<Maybe>(r#"{"at":null}"#)
                .unwrap()
                .at
                .is_none()
        );
        assert!(serde_json::from_str::<Maybe>(r#"{}"#).unwrap().at.is_none());
        assert!(serde_json::from_str::<Maybe>(r#"{"at":true}"#).is_err());
        assert!(serde_json::from_str::<Maybe>(r#"{"at":{"other":1}}"#).is_err());
        assert!(serde_json::from_str::<Maybe>(r#"{"at":1e300}"#).is_err());
    }

    #[test]
    fn bad_date_names_the_text() {
        let err = serde_json::from_str::<Holder>(r#"{"at":"yesterday"}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }
}
