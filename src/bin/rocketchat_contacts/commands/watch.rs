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
use crate::notify::Notifier;
use crate::output::{Bar, PROGRESS_TICK, clean, human_duration, json_line, report, say};
use crate::service::Watched;
use crate::signals::stop_on_signals;

pub(crate) async fn run(
    client: &Client,
    output: Output,
    args: WatchArgs,
    health: Watched,
) -> Result<bool, BoxError> {
    let mut notifier = match &args.notify_room {
        Some(room) => Some(Notifier::start(client, room).await?),
        None => None,
    };
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
    // When the next pass is due, for the countdown between passes.
    let mut next_at: Option<tokio::time::Instant> = None;
    // Whether a call or a listing failed in the pass under way, and in the last one that ended.
    let (mut failing, mut last_failed) = (false, false);
    // A refusal that concerns every contact (a 403, an older server), as last told: the
    // passes that back off after it say "still refused", not the whole story again.
    let mut told: Option<String> = None;
    let bar = Bar::on_terminal(false).filter(|_| output == Output::Text);
    let mut tick = tokio::time::interval(PROGRESS_TICK);
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = tick.tick(), if bar.is_some() || health.is_some() => {
                show(bar.as_ref(), &events, done + 1, next_at);
                if let (Some(health), Some(progress)) = (&health, events.summary()) {
                    health.progress(progress.done);
                }
                continue;
            }
        };
        let Some(event) = event else { break };
        match &event {
            WatchEvent::PassFinished {
                pass,
                summary,
                next_pass,
                ..
            } => {
                next_at = next_pass.map(|pause| tokio::time::Instant::now() + pause);
                if let Some(health) = &health {
                    health.pass(summary, *next_pass);
                }
                if let Some(notifier) = &mut notifier
                    && let Err(why) = notifier.pass_finished(*pass).await
                {
                    tracing::warn!(pass, "{why}");
                    say(bar.as_ref(), &clean(&format!("warning: {why}")))?;
                }
                done = *pass;
                last_clean = summary.is_clean();
                last_failed = failing || summary.failed > 0;
                failing = false;
            }
            WatchEvent::Outcome(outcome) => {
                failing |= matches!(outcome, Outcome::Failed { .. } | Outcome::ListingFailed(_));
                if let Some(health) = &health {
                    health.outcome(outcome);
                }
                if let Some(notifier) = &mut notifier {
                    notifier.outcome(outcome);
                }
            }
            _ => {}
        }
        match (&event, output) {
            (_, Output::Json) => json_line(&event)?,
            // The probe a backing-off pass sends, refused as before: said already.
            (WatchEvent::Outcome(Outcome::Failed { error, .. }), Output::Text)
                if told.as_deref() == Some(error.to_string().as_str()) => {}
            (WatchEvent::Outcome(outcome), Output::Text) => report(bar.as_ref(), outcome, output)?,
            (
                WatchEvent::PassFinished {
                    pass,
                    summary,
                    kind,
                    next_pass,
                    ..
                },
                Output::Text,
            ) if summary.halted.is_some() && summary.halted == told => {
                let next = next_pass.map_or_else(String::new, |pause| {
                    format!("; next try in {}", human_duration(pause))
                });
                say(
                    bar.as_ref(),
                    &format!("pass {pass}: still refused, as above{next} [{kind}]"),
                )?;
            }
            (
                WatchEvent::PassFinished {
                    pass,
                    summary,
                    kind,
                    next_full_pass,
                    next_pass,
                    waiting,
                    ..
                },
                Output::Text,
            ) => {
                let mut line = pass_line(*pass, summary, kind, *next_full_pass, *waiting);
                if summary.halted.is_some()
                    && let Some(pause) = next_pass
                {
                    line.push_str(&format!(
                        " (backing off: next try in {})",
                        human_duration(*pause)
                    ));
                }
                say(bar.as_ref(), &line)?;
            }
            _ => {}
        }
        if let WatchEvent::PassFinished { summary, .. } = &event {
            // Told now; a pass that got through forgets it.
            told = summary.halted.clone();
        }
    }
    if let Some(bar) = bar {
        bar.finish();
    }
    match output {
        Output::Text => say(
            None,
            &format!(
                "watch stopped after {done} pass(es){}",
                if stop.is_cancelled() {
                    " (stopped by signal)"
                } else {
                    ""
                }
            ),
        )?,
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

/// Redraws the progress line: the pass under way, or how long until the next.
fn show(bar: Option<&Bar>, events: &WatchStream, pass: u64, next_at: Option<tokio::time::Instant>) {
    match (bar, events.summary()) {
        (Some(bar), Some(progress)) => bar.show(&progress, &format!("(pass {pass})")),
        (Some(bar), None) => {
            let left = next_at.map_or(Duration::ZERO, |at| {
                at.saturating_duration_since(tokio::time::Instant::now())
            });
            // Rounded up: "in 1s" until the pass starts, never "in 0s" for a second.
            let left = Duration::from_secs(left.as_secs() + u64::from(left.subsec_nanos() > 0));
            bar.idle(&format!("next pass in {}", human_duration(left)));
        }
        (None, _) => {}
    }
}

/// One line per pass: its kind, then what it did ("no conflicts" when it met none and
/// finished its walk, "nothing new" when only contacts already reported wait), how many
/// wait for a person, and when the next full pass is due.
fn pass_line(
    pass: u64,
    summary: &Summary,
    kind: &PassKind,
    next_full: Option<Duration>,
    waiting: usize,
) -> String {
    let body = match (summary.seen, summary.complete, waiting) {
        (0, true, 0) => "no conflicts".to_owned(),
        (0, true, _) => "nothing new".to_owned(),
        _ => summary.to_string(),
    };
    let waiting = match waiting {
        0 => String::new(),
        1 => "; 1 contact waits for a person".to_owned(),
        n => format!("; {n} contacts wait for a person"),
    };
    let next = match next_full {
        Some(due) if due.is_zero() => "; the next pass is full".to_owned(),
        Some(due) => format!("; next full pass in {}", human_duration(due)),
        None => String::new(),
    };
    clean(&format!("pass {pass}: {body}{waiting} [{kind}{next}]")).into_owned()
}
