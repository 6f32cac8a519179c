//! `conflicts watch`: pass after pass until stopped, a line per contact and per pass.

use std::time::Duration;

use futures_util::StreamExt;
use rocketchat_omnichannel::Client;
use rocketchat_omnichannel::workflow::{
    Journal, Outcome, PassKind, Summary, WatchEvent, WatchStream,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::BoxError;
use crate::args::{Output, WatchArgs};
use crate::output::{Bar, PROGRESS_TICK, clean, human_duration, json_line, report};
use crate::signals::stop_on_signals;

pub(crate) async fn run(
    client: &Client,
    output: Output,
    args: WatchArgs,
) -> Result<bool, BoxError> {
    let stop = CancellationToken::new();
    stop_on_signals(&stop);
    let mut run = client
        .resolve_all(args.decide.policy())
        .concurrency(args.concurrency)
        .stop_on(stop.clone());
    if let Some(unknown) = args.decide.unknown.into() {
        run = run.unknown(unknown);
    }
    if let Some(path) = &args.journal {
        run = run.journal(Journal::open(path, client)?);
    }
    let mut watcher = run.watch(args.interval).incremental(!args.always_full);
    if let Some(passes) = args.passes {
        watcher = watcher.passes(passes);
    }
    if let Some(every) = args.full_pass_every {
        watcher = watcher.full_pass_every(every);
    }
    let mut events = watcher.into_stream();
    let (mut done, mut last_clean) = (0u64, true);
    // Whether a call or a listing failed in the pass under way, and in the last one that ended.
    let (mut failing, mut last_failed) = (false, false);
    let bar = Bar::on_terminal().filter(|_| output == Output::Text);
    let mut tick = tokio::time::interval(PROGRESS_TICK);
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = tick.tick(), if bar.is_some() => {
                show(bar.as_ref(), &events, done + 1);
                continue;
            }
        };
        let Some(event) = event else { break };
        match &event {
            WatchEvent::PassFinished { pass, summary, .. } => {
                done = *pass;
                last_clean = summary.is_clean();
                last_failed = failing || summary.failed > 0;
                failing = false;
            }
            WatchEvent::Outcome(outcome) => {
                failing |= matches!(outcome, Outcome::Failed { .. } | Outcome::ListingFailed(_));
            }
            _ => {}
        }
        match (&event, output) {
            (_, Output::Json) => json_line(&event)?,
            (WatchEvent::Outcome(outcome), Output::Text) => report(bar.as_ref(), outcome, output),
            (
                WatchEvent::PassFinished {
                    pass,
                    summary,
                    kind,
                    next_full_pass,
                    ..
                },
                Output::Text,
            ) => {
                let line = pass_line(*pass, summary, kind, *next_full_pass);
                match &bar {
                    Some(bar) => bar.println(&line),
                    None => println!("{line}"),
                }
            }
            _ => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish();
    }
    match output {
        Output::Text => println!(
            "watch stopped after {done} pass(es){}",
            if stop.is_cancelled() {
                " (stopped by signal)"
            } else {
                ""
            }
        ),
        Output::Json => {
            json_line(&json!({"stopped": {"passes": done, "signal": stop.is_cancelled()}}))?
        }
    }
    // Stopped by a signal (systemd, Kubernetes, Ctrl-C), the watcher did what it was told
    // whenever it came: success, unless a call or a listing failed in the last pass or the
    // one the signal cut short. Run for a set number of passes, the last one must be clean.
    Ok(if stop.is_cancelled() {
        !failing && !last_failed
    } else {
        last_clean
    })
}

/// Redraws the progress line: the pass under way, or that the watcher waits for the next.
fn show(bar: Option<&Bar>, events: &WatchStream, pass: u64) {
    match (bar, events.summary()) {
        (Some(bar), Some(progress)) => bar.show(&progress, &format!("(pass {pass})")),
        (Some(bar), None) => bar.idle("waiting for the next pass"),
        (None, _) => {}
    }
}

/// One line per pass: its kind, then "nothing to do" when it met no conflict and finished
/// its walk, else the summary; then when the next full pass is due.
fn pass_line(pass: u64, summary: &Summary, kind: &PassKind, next_full: Option<Duration>) -> String {
    let body = if summary.seen == 0 && summary.complete {
        "no conflicts".to_owned()
    } else {
        summary.to_string()
    };
    let next = match next_full {
        Some(due) if due.is_zero() => "; the next pass is full".to_owned(),
        Some(due) => format!("; next full pass in {}", human_duration(due)),
        None => String::new(),
    };
    clean(&format!("pass {pass}: {body} [{kind}{next}]")).into_owned()
}
