//! The orders MongoDB compares contacts by: the `unknown` key a filter matches, a `name`, and
//! any two values of one field.

use std::cmp::Ordering;

use serde_json::{Map, Value};

/// The value a MongoDB equality filter on `unknown` compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum UnknownKey {
    /// The document has no `unknown` key (or `null`): matched by neither `true` nor `false`.
    Missing,
    False,
    True,
    /// Any other stored value (a string, a number…): matched by no boolean filter either.
    Other,
}

impl UnknownKey {
    pub(super) fn of(doc: &Map<String, Value>) -> Self {
        match doc.get("unknown") {
            None | Some(Value::Null) => Self::Missing,
            Some(Value::Bool(false)) => Self::False,
            Some(Value::Bool(true)) => Self::True,
            Some(_) => Self::Other,
        }
    }

    #[cfg(test)]
    pub(super) const ALL: [Self; 4] = [Self::Missing, Self::False, Self::True, Self::Other];

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// A `name` as MongoDB orders it without a collation: missing/`null` first, then numbers,
/// then strings compared byte by byte, then everything else.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum NameKey {
    Missing,
    Number(f64),
    Text(Box<str>),
    Other,
}

impl NameKey {
    pub(super) fn of(doc: &Map<String, Value>) -> Self {
        match doc.get("name") {
            None | Some(Value::Null) => Self::Missing,
            Some(Value::Number(n)) => Self::Number(n.as_f64().unwrap_or(0.0)),
            Some(Value::String(s)) => Self::Text(s.as_str().into()),
            Some(_) => Self::Other,
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Missing => 0,
            Self::Number(_) => 1,
            Self::Text(_) => 2,
            Self::Other => 3,
        }
    }

    pub(super) fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Number(a), Self::Number(b)) => a.total_cmp(b),
            (Self::Text(a), Self::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// MongoDB's order between two values of one field: missing/`null` < numbers < strings
/// (bytes) < objects < arrays < booleans.
pub(super) fn mongo_cmp(a: &Value, b: &Value) -> Ordering {
    fn rank(value: &Value) -> u8 {
        match value {
            Value::Null => 0,
            Value::Number(_) => 1,
            Value::String(_) => 2,
            Value::Object(_) => 3,
            Value::Array(_) => 4,
            Value::Bool(_) => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}
