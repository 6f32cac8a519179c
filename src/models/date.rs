//! Dates as the REST API writes them (`"2025-05-26T07:57:49.616Z"`), also accepting the
//! `{"$date": <epoch ms>}` form of the realtime API, which some proxies and exports pass on.

use jiff::Timestamp;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Parses a date string: Rocket.Chat's own shape on a short path, anything else with jiff.
///
/// The REST API writes its answers with `JSON.stringify` (Rocket.Chat's
/// `packages/http-router/src/Router.ts`), so every `Date` goes through
/// `Date.prototype.toISOString`: `YYYY-MM-DDTHH:MM:SS.mmmZ` for years 0000–9999. jiff's
/// general RFC 3339 / Temporal parser costs about 680 instructions per date, which was most
/// of what a typed model added over a hand-written one with dates kept as strings (a contact
/// with 1,000 channels holds ~2,000 dates); this path costs about 130 (BENCHMARKS.md).
/// Whatever it does not accept, it leaves to jiff, so the result and the error are jiff's
/// for every input (checked by the property tests below).
fn parse(text: &str) -> Result<Timestamp, jiff::Error> {
    match parse_iso_milliseconds(text) {
        Some(ts) => Ok(ts),
        None => parse_other(text),
    }
}

/// Any other form: jiff's parser, kept out of line so the short path stays small.
#[cold]
#[inline(never)]
fn parse_other(text: &str) -> Result<Timestamp, jiff::Error> {
    text.parse()
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (upper-case `T` and `Z`, years 0000–9999, seconds 00–59) to a
/// timestamp; `None` for any other text, for an impossible date and for one outside
/// jiff's range.
fn parse_iso_milliseconds(text: &str) -> Option<Timestamp> {
    let b: &[u8; 24] = text.as_bytes().try_into().ok()?;
    // Three little-endian words, checked eight bytes at a time: the separators must match
    // exactly and every other byte must be an ASCII digit.
    let word = |i: usize| {
        u64::from_le_bytes([
            b[i],
            b[i + 1],
            b[i + 2],
            b[i + 3],
            b[i + 4],
            b[i + 5],
            b[i + 6],
            b[i + 7],
        ])
    };
    let words = [word(0), word(8), word(16)];
    // Per byte: 0xff where a digit belongs; the separators `YYYY-MM-`, `DDTHH:MM`, `:SS.mmmZ`.
    const DIGITS: [u64; 3] = [
        0x00ff_ff00_ffff_ffff,
        0xffff_00ff_ff00_ffff,
        0x00ff_ffff_00ff_ff00,
    ];
    const SEPARATORS: [u64; 3] = [
        u64::from_le_bytes(*b"\0\0\0\0-\0\0-"),
        u64::from_le_bytes(*b"\0\0T\0\0:\0\0"),
        u64::from_le_bytes(*b":\0\0.\0\0\0Z"),
    ];
    let mut values = [0u64; 3];
    for i in 0..3 {
        if words[i] & !DIGITS[i] != SEPARATORS[i] {
            return None;
        }
        // Digit bytes minus '0': 0–9 for a digit. A byte is a digit when neither it nor it
        // plus 6 reaches 0x10.
        let value = (words[i] & DIGITS[i]) ^ (0x3030_3030_3030_3030 & DIGITS[i]);
        // Wrapping: a non-ASCII byte (a UTF-8 lead byte such as 0xCF) in a word's top
        // position would overflow. Any byte at or above 0x10 is rejected below whatever the
        // carry does, so wrapping changes no verdict.
        let plus_six = value.wrapping_add(0x0606_0606_0606_0606 & DIGITS[i]);
        if (value | plus_six) & (0xf0f0_f0f0_f0f0_f0f0 & DIGITS[i]) != 0 {
            return None;
        }
        values[i] = value;
    }
    // Each byte of `pairs` is the two-digit number starting at that byte (ten times the
    // digit plus the next one, at most 99, so no byte carries into the next). A pair that
    // crosses a word boundary does not occur in this shape.
    let pairs = values.map(|v| v * 10 + (v >> 8));
    let pair = |i: usize| ((pairs[i / 8] >> (8 * (i % 8))) & 0xff) as u32;
    let year = pair(0) * 100 + pair(2);
    let (month, day) = (pair(5), pair(8));
    let (hour, minute, second) = (pair(11), pair(14), pair(17));
    let millisecond = pair(20) * 10 + (values[2] >> 48) as u32;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let seconds = days_since_epoch(year, month, day) * 86_400
        + i64::from(hour * 3_600 + minute * 60 + second);
    // jiff's own range check still applies (years 0–9999 are not all within it).
    Timestamp::new(seconds, (millisecond * 1_000_000) as i32).ok()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (year 0–9999). Years are counted from
/// 1 March, so the leap day falls at the end of a year, and shifted by 400 years so the
/// arithmetic stays unsigned.
fn days_since_epoch(year: u32, month: u32, day: u32) -> i64 {
    // Years since 1 March of year −400 (a whole number of 400-year cycles before year 0).
    let years = year + 400 - u32::from(month <= 2);
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let days = years * 365 + years / 4 - years / 100 + years / 400 + day_of_year;
    // 1970-01-01 counted the same way: 2,369 whole years from 1 March −400, plus 306 days
    // from 1 March 1969.
    const EPOCH: i64 = 2_369 * 365 + 2_369 / 4 - 2_369 / 100 + 2_369 / 400 + 306;
    i64::from(days) - EPOCH
}

/// Reads a date without buffering: a string, `{"$date": ms | string}`, or bare
/// milliseconds.
struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO-8601 date string, {\"$date\": milliseconds} or milliseconds")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        parse(text).map_err(|e| E::custom(format_args!("invalid date `{text}`: {e}")))
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

    /// A multibyte character whose lead byte lands on the top byte of a word (position 15)
    /// overflowed the digit check: a panic in every debug build instead of `None`.
    #[test]
    fn a_multibyte_character_in_the_fast_path_is_rejected_not_a_panic() {
        for text in [
            "2024-01-01T00:0\u{3f0}00.000Z", // 0xCF 0xB0 at bytes 15-16
            "2024-01-01T00:0\u{280}00.000Z", // 0xCA 0x80
            "2024-01-01T00:00:00.0\u{e9}Z",  // inside the milliseconds
            "\u{3f0}24-01-01T00:00:00.000Z",
        ] {
            assert_eq!(text.len(), 24, "{text}");
            assert_eq!(parse_iso_milliseconds(text), None, "{text}");
        }
        // Every byte value at every position of the fixed shape: never a panic, and only
        // ASCII digits where digits belong are accepted.
        let valid = *b"2024-02-29T23:59:58.123Z";
        for position in 0..24 {
            for byte in 0..=255u8 {
                let mut bytes = valid;
                bytes[position] = byte;
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    let parsed = parse_iso_milliseconds(text);
                    if !valid[position].is_ascii_digit() && byte != valid[position] {
                        assert_eq!(parsed, None, "{text}");
                    }
                    if !byte.is_ascii_digit() && valid[position].is_ascii_digit() {
                        assert_eq!(parsed, None, "{text}");
                    }
                }
            }
        }
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

    /// Parses with jiff alone, the reference the short path must agree with.
    fn jiff(text: &str) -> Result<Timestamp, String> {
        text.parse::<Timestamp>().map_err(|e| e.to_string())
    }

    fn ours(text: &str) -> Result<Timestamp, String> {
        parse(text).map_err(|e| e.to_string())
    }

    #[test]
    fn short_path_takes_rocket_chat_dates() {
        for text in [
            "2025-05-26T07:57:49.616Z",
            "1970-01-01T00:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
            "2000-02-29T12:00:00.000Z",
            "0000-01-01T00:00:00.000Z",
            "9999-12-30T22:00:00.999Z",
        ] {
            assert_eq!(
                parse_iso_milliseconds(text).ok_or(()),
                jiff(text).map_err(drop),
                "{text}"
            );
        }
        for text in [
            "2025-02-29T00:00:00.000Z", // no such day
            "2025-05-26T07:57:60.000Z", // leap second: jiff's rules apply
            "2025-05-26t07:57:49.616z",
            "2025-05-26T07:57:49.616+00:00",
            "2025-05-26T07:57:49Z",
            "9999-12-31T23:59:59.999Z", // past jiff's range: jiff's error
            "+2025-05-26T07:57:49.616Z",
        ] {
            assert_eq!(parse_iso_milliseconds(text), None, "{text}");
            assert_eq!(ours(text), jiff(text), "{text}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 20_000, failure_persistence: None, ..Default::default() })]

        /// Any date in the fixed shape, including impossible ones (day 31 in a 30-day
        /// month, hour 24): the same timestamp or the same error as jiff, and the short path
        /// is taken whenever the date is valid.
        #[test]
        fn fixed_shape_agrees_with_jiff(
            year in 0i64..=9999, month in 0i64..=13, day in 0i64..=32,
            hour in 0i64..=25, minute in 0i64..=60, second in 0i64..=61, ms in 0i64..=999,
        ) {
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{ms:03}Z");
            let reference = jiff(&text);
            proptest::prop_assert_eq!(&ours(&text), &reference, "{}", text);
            if second < 60 {
                proptest::prop_assert_eq!(parse_iso_milliseconds(&text).is_some(), reference.is_ok(), "{}", text);
            }
        }

        /// A valid date with one byte replaced by anything: the same answer as jiff.
        #[test]
        fn damaged_dates_agree_with_jiff(
            millis in -62_167_219_200_000i64..=253_402_207_200_000,
            at in 0usize..24, byte in proptest::prelude::any::<u8>(),
        ) {
            let ts = Timestamp::from_millisecond(millis).unwrap();
            let mut text = ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into_bytes();
            proptest::prop_assert_eq!(parse_iso_milliseconds(std::str::from_utf8(&text).unwrap()), Some(ts));
            text[at] = byte;
            if let Ok(text) = std::str::from_utf8(&text) {
                proptest::prop_assert_eq!(ours(text), jiff(text), "{}", text);
            }
        }

        /// A valid date with one character replaced by any character, multibyte ones
        /// weighted up, keeping the text at 24 bytes (the length the short path reads): the
        /// same answer as jiff, and no overflow in a debug build. (Two-byte characters with
        /// lead bytes 0xCA–0xCF at byte 15 are the ones that overflowed before.)
        #[test]
        fn multibyte_characters_in_a_date_agree_with_jiff(
            millis in -62_167_219_200_000i64..=253_402_207_200_000,
            at in 0usize..24,
            c in proptest::prop_oneof![
                proptest::prelude::any::<char>(),
                proptest::char::range('\u{80}', '\u{7ff}'),
                proptest::char::range('\u{800}', '\u{ffff}'),
                proptest::char::range('\u{10000}', '\u{10ffff}'),
            ],
        ) {
            let ts = Timestamp::from_millisecond(millis).unwrap();
            let date = ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            let end = (at + c.len_utf8()).min(24);
            let mut text = String::with_capacity(27);
            text.push_str(&date[..at]);
            text.push(c);
            text.push_str(&date[end..]);
            proptest::prop_assert_eq!(ours(&text), jiff(&text), "{}", text);
        }

        /// Any 24 bytes' worth of characters, any Unicode at all, and any 24 bytes that
        /// happen to be UTF-8: the same answer as jiff.
        #[test]
        fn any_24_bytes_agree_with_jiff(
            chars in proptest::collection::vec(proptest::prelude::any::<char>(), 1..24),
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 24),
        ) {
            let mut text: String = chars.into_iter().scan(0, |len, c| {
                *len += c.len_utf8();
                (*len <= 24).then_some(c)
            }).collect();
            while text.len() < 24 {
                text.push('0');
            }
            proptest::prop_assert_eq!(ours(&text), jiff(&text), "{}", text);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                proptest::prop_assert_eq!(ours(text), jiff(text), "{}", text);
            }
        }

        /// Any text at all: the same answer as jiff.
        #[test]
        fn any_text_agrees_with_jiff(text in "[0-9T:.Z+-]{0,30}|.{0,30}") {
            proptest::prop_assert_eq!(ours(&text), jiff(&text), "{}", text);
        }
    }

    #[test]
    fn bad_date_names_the_text() {
        let err = serde_json::from_str::<Holder>(r#"{"at":"yesterday"}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("yesterday"), "{err}");
    }
}
