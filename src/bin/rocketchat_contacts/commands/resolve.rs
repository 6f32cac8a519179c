//! `conflicts resolve`: one bulk run, with a line per contact and a summary.

use std::io::Write;
use std::time::Instant;

use futures_util::StreamExt;
use rocketchat_omnichannel::Client;
use rocketchat_omnichannel::workflow::{StopSignal, Summary};
use serde::Serialize;

use super::BoxError;
use crate::args::{Output, ResolveArgs};
use crate::output::{Clean, json_line, progress_bar, report};
use crate::signals::stop_on_signals;

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
) -> Result<bool, BoxError> {
    let started = Instant::now();
    let stop = StopSignal::new();
    stop_on_signals(&stop);
    let mut run = client
        .resolve_all(args.decide.policy())
        .dry_run(args.dry_run)
        .concurrency(args.concurrency)
        .max_rounds(args.max_rounds)
        .unknown(args.decide.unknown.into())
        .stop_signal(&stop);
    if let Some(deadline) = args.deadline {
        run = run.deadline(deadline);
    }
    let bar = progress_bar().filter(|_| output == Output::Text);
    let mut outcomes = run.into_stream();
    while let Some(outcome) = outcomes.next().await {
        report(bar.as_ref(), &outcome, output);
        if let Some(bar) = &bar {
            let s = outcomes.summary();
            bar.set_message(format!(
                "({} resolved, {} failed, {} rate-limited)",
                s.resolved, s.failed, s.rate_limited
            ));
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary = outcomes.summary();
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
        writeln!(
            stdout,
            "dry run: {} contact(s) would be resolved, {} left for a human",
            summary.planned, summary.deferred
        )?;
    } else {
        writeln!(stdout, "{summary}")?;
        writeln!(
            stdout,
            "{} walk(s), {} rate-limited answer(s), {seconds:.1} s",
            summary.rounds, summary.rate_limited
        )?;
    }
    stdout.flush()?;
    Ok(done)
}
