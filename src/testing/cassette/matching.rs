//! Which recorded answer a request gets.

use serde_json::Value;

use super::{Answer, Body, Interaction, Recorded};

/// A cassette being replayed: each entry answers once, in recorded order.
#[derive(Debug)]
pub(super) struct Tape {
    interactions: Vec<Interaction>,
    used: Vec<bool>,
}

impl Tape {
    pub(super) fn new(interactions: Vec<Interaction>) -> Self {
        let used = vec![false; interactions.len()];
        Self { interactions, used }
    }

    /// The answer to `request` (already scrubbed), or why there is none: nothing like it
    /// was recorded (the nearest entry and how it differs), or its answers are used up.
    pub(super) fn answer(&mut self, request: &Recorded) -> Result<Answer, String> {
        let mut matching = (0..self.interactions.len())
            .filter(|&i| differences(&self.interactions[i].request, request).is_empty());
        let Some(first) = matching.next() else {
            return Err(self.nearest(request));
        };
        let unused = std::iter::once(first)
            .chain(matching)
            .find(|&i| !self.used[i]);
        match unused {
            Some(i) => {
                self.used[i] = true;
                Ok(self.interactions[i].response.clone())
            }
            None => {
                let times = self
                    .interactions
                    .iter()
                    .filter(|x| differences(&x.request, request).is_empty())
                    .count();
                Err(format!(
                    "{} was recorded {times} time(s), and every answer was used: record the \
                     cassette again with the calls this test makes",
                    describe(request)
                ))
            }
        }
    }

    /// How many entries were never replayed.
    pub(super) fn unused(&self) -> usize {
        self.used.iter().filter(|used| !**used).count()
    }

    fn nearest(&self, request: &Recorded) -> String {
        let nearest = self
            .interactions
            .iter()
            .map(|x| (&x.request, differences(&x.request, request)))
            .min_by_key(|(recorded, diffs)| {
                // A different method or path counts most.
                let weight: usize = diffs
                    .iter()
                    .map(|d| {
                        if d.starts_with("method") || d.starts_with("path") {
                            10
                        } else {
                            1
                        }
                    })
                    .sum();
                (weight, recorded.path.len())
            });
        match nearest {
            Some((recorded, diffs)) => format!(
                "nothing was recorded for {}; the nearest recorded request is {}, which differs in {}",
                describe(request),
                describe(recorded),
                diffs.join("; ")
            ),
            None => format!(
                "nothing was recorded for {}: the cassette is empty",
                describe(request)
            ),
        }
    }
}

fn describe(request: &Recorded) -> String {
    match &request.query {
        Some(query) => format!("{} {}?{query}", request.method, request.path),
        None => format!("{} {}", request.method, request.path),
    }
}

/// How `recorded` and `request` differ: empty when they match.
fn differences(recorded: &Recorded, request: &Recorded) -> Vec<String> {
    let mut diffs = Vec::new();
    if !recorded.method.eq_ignore_ascii_case(&request.method) {
        diffs.push(format!("method ({} here)", recorded.method));
    }
    if recorded.path != request.path {
        diffs.push(format!("path ({} here)", recorded.path));
    }
    let pairs = |query: &Option<String>| {
        let mut pairs: Vec<(String, String)> = query
            .as_deref()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        pairs.sort();
        pairs
    };
    let (want, got) = (pairs(&recorded.query), pairs(&request.query));
    if want != got {
        let missing: Vec<String> = want
            .iter()
            .filter(|p| !got.contains(p))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        diffs.push(format!("query (recorded with {})", missing.join("&")));
    }
    match (&recorded.body, &request.body) {
        (None, None) => {}
        (Some(Body::Json { json: a }), Some(Body::Json { json: b })) => {
            if let Some(at) = first_difference(a, b, String::new()) {
                diffs.push(format!("body at {at}"));
            }
        }
        (a, b) if a == b => {}
        _ => diffs.push("body".into()),
    }
    diffs
}

/// The JSON pointer of the first place two values differ.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, format!("{at}/{k}")),
                _ => Some(format!("{at}/{k}")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(if at.is_empty() { "/".into() } else { at }),
    }
}
