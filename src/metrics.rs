//! The figures a bot's operators watch, recorded through the [`metrics`](https://docs.rs/metrics)
//! facade when the crate's `metrics` feature is on: install any exporter (Prometheus, StatsD,
//! OpenTelemetry…) in your program and they appear; without one, or without the feature,
//! recording costs nothing. `rocketchat-contacts --metrics-addr` serves them in Prometheus'
//! text format.
//!
//! No label ever holds a contact id, a name, an email or any value a visitor typed: labels
//! are route templates, HTTP statuses and fixed words, so their number stays small.
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `rocketchat_contacts_api_calls_total` | counter | `route`, `status` | calls answered (`status` is the HTTP status) or failed without an answer (`status` is `timeout`, `transport`, `host_not_found`, `tls`, …) |
//! | `rocketchat_contacts_rate_limited_total` | counter | `route` | 429 answers |
//! | `rocketchat_contacts_session_renewals_total` | counter | `result` (`renewed`, `failed`) | password sessions logged in again after a 401 |
//! | `rocketchat_contacts_resolved_total` | counter | | contacts resolved, no conflict left |
//! | `rocketchat_contacts_partly_resolved_total` | counter | | contacts resolved with fields left for a person |
//! | `rocketchat_contacts_left_for_person_total` | counter | | contacts reported as left entirely for a person |
//! | `rocketchat_contacts_planned_total` | counter | | contacts a dry run would resolve |
//! | `rocketchat_contacts_nothing_to_do_total` | counter | | contacts found without conflicts when their turn came |
//! | `rocketchat_contacts_stale_total` | counter | | contacts not sent because they changed since they were read or planned |
//! | `rocketchat_contacts_gone_total` | counter | | contacts deleted meanwhile |
//! | `rocketchat_contacts_failed_total` | counter | | contacts whose call failed |
//! | `rocketchat_contacts_stopped_total` | counter | | contacts not sent because the run was stopped |
//! | `rocketchat_contacts_listing_failures_total` | counter | | listings of contacts that failed |
//! | `rocketchat_contacts_passes_total` | counter | `result` (`ok`, `incomplete`, `halted`) | runs and watch passes ended: `ok` walked every contact, `incomplete` did not (a listing failed, a stop, a deadline), `halted` stopped on an answer concerning every contact (a 403, a missing route) |
//! | `rocketchat_contacts_pass_duration_seconds` | histogram | | how long each run or pass took |
//! | `rocketchat_contacts_last_ok_pass_timestamp_seconds` | gauge | | when the last `ok` pass ended (Unix time) |
//! | `rocketchat_contacts_waiting_for_person` | gauge | | contacts waiting for a person, as the last run or watch pass knows them |
//!
//! `rocketchat-contacts` adds `rocketchat_contacts_build_info{version}` (always 1).

#[cfg(feature = "metrics")]
mod on {
    use std::time::Duration;

    use crate::error::ErrorKind;
    use crate::workflow::Summary;

    pub(crate) fn call(route: &'static str, answer: Result<http::StatusCode, &ErrorKind>) {
        let status = match answer {
            Ok(status) => {
                if status == http::StatusCode::TOO_MANY_REQUESTS {
                    ::metrics::counter!("rocketchat_contacts_rate_limited_total", "route" => route)
                        .increment(1);
                }
                status.as_u16().to_string()
            }
            Err(kind) => crate::client::error_type(kind).to_owned(),
        };
        ::metrics::counter!(
            "rocketchat_contacts_api_calls_total",
            "route" => route,
            "status" => status
        )
        .increment(1);
    }

    pub(crate) fn renewal(renewed: bool) {
        let result = if renewed { "renewed" } else { "failed" };
        ::metrics::counter!("rocketchat_contacts_session_renewals_total", "result" => result)
            .increment(1);
    }

    pub(crate) fn outcome(name: &'static str) {
        ::metrics::counter!(name).increment(1);
    }

    pub(crate) fn pass(summary: &Summary, took: Duration) {
        let result = match (&summary.halted, summary.complete) {
            (Some(_), _) => "halted",
            (None, false) => "incomplete",
            (None, true) => "ok",
        };
        ::metrics::counter!("rocketchat_contacts_passes_total", "result" => result).increment(1);
        ::metrics::histogram!("rocketchat_contacts_pass_duration_seconds")
            .record(took.as_secs_f64());
        if result == "ok" {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            ::metrics::gauge!("rocketchat_contacts_last_ok_pass_timestamp_seconds")
                .set(now.as_secs_f64());
        }
        waiting(summary.waiting_for_person);
    }

    pub(crate) fn waiting(contacts: usize) {
        ::metrics::gauge!("rocketchat_contacts_waiting_for_person").set(contacts as f64);
    }
}

#[cfg(not(feature = "metrics"))]
mod on {
    use std::time::Duration;

    use crate::error::ErrorKind;
    use crate::workflow::Summary;

    pub(crate) fn call(_: &'static str, _: Result<http::StatusCode, &ErrorKind>) {}
    pub(crate) fn renewal(_: bool) {}
    pub(crate) fn outcome(_: &'static str) {}
    pub(crate) fn pass(_: &Summary, _: Duration) {}
    pub(crate) fn waiting(_: usize) {}
}

pub(crate) use on::{call, pass, renewal, waiting};

use crate::workflow::Outcome;

/// Counts an outcome, and logs it with the contact's id and the fields concerned: never a
/// value (names, emails and custom-field values come from visitors), in any log format.
pub(crate) fn outcome(outcome: &Outcome) {
    let (word, metric) = match outcome {
        Outcome::Resolved { .. } => ("resolved", "rocketchat_contacts_resolved_total"),
        Outcome::PartlyResolved { .. } => (
            "partly_resolved",
            "rocketchat_contacts_partly_resolved_total",
        ),
        Outcome::Planned { .. } => ("planned", "rocketchat_contacts_planned_total"),
        Outcome::LeftForPerson { .. } => (
            "left_for_person",
            "rocketchat_contacts_left_for_person_total",
        ),
        Outcome::NothingToDo { .. } => ("nothing_to_do", "rocketchat_contacts_nothing_to_do_total"),
        Outcome::Stale { .. } => ("stale", "rocketchat_contacts_stale_total"),
        Outcome::Gone { .. } => ("gone", "rocketchat_contacts_gone_total"),
        Outcome::Failed { .. } => ("failed", "rocketchat_contacts_failed_total"),
        Outcome::Stopped { .. } => ("stopped", "rocketchat_contacts_stopped_total"),
        Outcome::ListingFailed(_) => (
            "listing_failed",
            "rocketchat_contacts_listing_failures_total",
        ),
    };
    on::outcome(metric);
    let names = |fields: &mut dyn Iterator<Item = &crate::models::ConflictField>| {
        fields
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let (written, left) = match outcome {
        Outcome::Resolved { plan, .. }
        | Outcome::PartlyResolved { plan, .. }
        | Outcome::Planned { plan }
        | Outcome::LeftForPerson { plan } => (
            names(&mut plan.changes().map(|(field, _)| field)),
            names(&mut plan.remaining()),
        ),
        Outcome::Stale { changed, .. } => (String::new(), names(&mut changed.iter())),
        _ => (String::new(), String::new()),
    };
    let status = match outcome {
        Outcome::Failed { error, .. } => error.status().map(|s| s.as_u16()),
        Outcome::ListingFailed(error) => error.status().map(|s| s.as_u16()),
        _ => None,
    };
    let id = outcome.contact_id().map(crate::models::ContactId::as_str);
    if matches!(outcome, Outcome::Failed { .. } | Outcome::ListingFailed(_)) {
        tracing::warn!(
            target: "rocketchat_omnichannel::workflow",
            outcome = word,
            contact_id = id,
            status,
            "contact not resolved"
        );
    } else {
        tracing::info!(
            target: "rocketchat_omnichannel::workflow",
            outcome = word,
            contact_id = id,
            written = %written,
            left = %left,
            "contact"
        );
    }
}
