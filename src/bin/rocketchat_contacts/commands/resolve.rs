//! `conflicts resolve`: one bulk run, with a line per contact and a summary.

use std::io::Write;
use std::time::Instant;

use futures_util::StreamExt;
use rocketchat_omnichannel::Client;
use rocketchat_omnichannel::workflow::{Journal, Outcome, ResolveStream, Summary};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::BoxError;
use crate::args::{Output, ResolveArgs};
use crate::output::{Bar, Clean, PROGRESS_TICK, json_line, report};
use crate::service::Watched;
use crate::signals::stop_on_signals;

/// Redraws the progress line with the run's figures so far.
fn show(bar: Option<&Bar>, outcomes: &ResolveStream) {
    if let Some(bar) = bar {
        let s = outcomes.summary();
        bar.show(
            &s,
            &format!(
                "({} resolved, {} failed, {} rate-limited)",
                s.resolved, s.failed, s.rate_limited
            ),
        );
    }
}

/// The last line of `resolve --output json`: the run's summary and what only the CLI knows.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Finished<'a> {
    summary: &'a Summary,
    seconds: f64,
    dry_run: bool,
}

pub(crate) async fn run(
    client: &Client,
    output: Output,
    args: ResolveArgs,
    health: Watched,
) -> Result<bool, BoxError> {
    let started = Instant::now();
    if let Some(health) = &health {
        health.running();
    }
    let stop = CancellationToken::new();
    stop_on_signals(&stop);
    let mut run = client
        .resolve_all(args.decide.policy())
        .dry_run(args.dry_run)
        .concurrency(args.concurrency)
        .max_rounds(args.max_rounds)
        .stop_on(stop.clone());
    if let Some(unknown) = args.decide.unknown.into() {
        run = run.unknown(unknown);
    }
    if let Some(deadline) = args.deadline {
        run = run.deadline(deadline);
    }
    if let Some(path) = &args.journal {
        run = run.journal(Journal::open(path, client)?);
    }
    let bar = Bar::on_terminal(true).filter(|_| output == Output::Text);
    let mut outcomes = run.into_stream();
    let mut tick = tokio::time::interval(PROGRESS_TICK);
    // Planned contacts that would keep some field's conflicts for a person.
    let mut planned_partly = 0usize;
    loop {
        let outcome = tokio::select! {
            outcome = outcomes.next() => outcome,
            _ = tick.tick(), if bar.is_some() || health.is_some() => {
                show(bar.as_ref(), &outcomes);
                if let Some(health) = &health {
                    health.progress(outcomes.summary().done);
                }
                continue;
            }
        };
        let Some(outcome) = outcome else { break };
        if let Outcome::Planned { plan } = &outcome
            && plan.remaining().next().is_some()
        {
            planned_partly += 1;
        }
        if let Some(health) = &health {
            health.outcome(&outcome);
        }
        report(bar.as_ref(), &outcome, output)?;
        show(bar.as_ref(), &outcomes);
    }
    if let Some(bar) = bar {
        bar.finish();
    }
    let summary = outcomes.summary();
    if let Some(health) = &health {
        health.pass(&summary, None);
    }
    let done = if args.dry_run {
        summary.complete && summary.failed == 0
    } else {
        summary.is_clean()
    };
    let seconds = started.elapsed().as_secs_f64();
    if output == Output::Json {
        json_line(&Finished {
            summary: &summary,
            seconds,
            dry_run: args.dry_run,
        })?;
        return Ok(done);
    }
    let mut stdout = Clean(std::io::stdout().lock());
    if args.dry_run {
        let partly = if planned_partly > 0 {
            format!(" ({planned_partly} of them partly: some fields left for a person)")
        } else {
            String::new()
        };
        writeln!(
            stdout,
            "dry run: {} contact(s) would be resolved{partly}, {} left entirely for a person",
            summary.planned, summary.left_for_person
        )?;
    } else {
        writeln!(stdout, "{summary}")?;
        if stop.is_cancelled() {
            // Only a signal raises this stop (the run's own halts use a child of it).
            writeln!(
                stdout,
                "stopped by signal: {} contact(s) not sent; run again to go on",
                summary.stopped
            )?;
        }
        writeln!(
            stdout,
            "{} walk(s), {} rate-limited answer(s), {seconds:.1} s",
            summary.rounds, summary.rate_limited
        )?;
    }
    stdout.flush()?;
    Ok(done)
}
