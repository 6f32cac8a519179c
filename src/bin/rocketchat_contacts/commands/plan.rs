//! `conflicts plan`, `conflicts apply` and `conflicts undo`: a saved plan, applied with a
//! journal, and taken back from it.

use std::io::Write;
use std::path::Path;

use futures_util::TryStreamExt;
use rocketchat_omnichannel::Client;
use rocketchat_omnichannel::workflow::{Journal, Outcome, PlanFile, undo as undo_journal};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::BoxError;
use crate::args::{Output, PlanArgs};
use crate::output::{Clean, json_line};
use crate::service::Watched;
use crate::signals::stop_on_signals;

pub(crate) async fn run(client: &Client, output: Output, args: PlanArgs) -> Result<bool, BoxError> {
    let policy = args.decide.policy();
    let contacts: Vec<_> = client
        .conflicted_contacts(args.decide.unknown.into())
        .try_collect()
        .await?;
    let plan = PlanFile::new(client, &policy, &contacts);
    plan.save(&args.out)?;
    let sending = plan.contacts.iter().filter(|c| c.sends()).count();
    let discarded: usize = plan.contacts.iter().map(|c| c.discards.len()).sum();
    if output == Output::Json {
        json_line(&json!({
            "plan": args.out.display().to_string(),
            "contacts": plan.contacts.len(),
            "sending": sending,
            "discards": discarded,
        }))?;
        return Ok(true);
    }
    let mut stdout = Clean(std::io::stdout().lock());
    for planned in &plan.contacts {
        write!(stdout, "{planned}")?;
    }
    writeln!(
        stdout,
        "plan: {} contact(s), {sending} to send, {discarded} value(s) discarded; saved to {}",
        plan.contacts.len(),
        args.out.display()
    )?;
    stdout.flush()?;
    Ok(true)
}

pub(crate) async fn apply(
    client: &Client,
    output: Output,
    plan: &Path,
    journal: &Path,
    force: bool,
    health: Watched,
) -> Result<bool, BoxError> {
    let plan = PlanFile::load(plan)?;
    if let Some(health) = &health {
        health.running();
    }
    plan.check_server(client)?;
    let journal_path = journal;
    let journal = Journal::open(journal_path, client)?;
    let stop = CancellationToken::new();
    stop_on_signals(&stop);
    let outcomes = client
        .apply(&plan)
        .journal(&journal)
        .force(force)
        .stop_on(stop.clone())
        .run()
        .await?;
    if let Some(health) = &health {
        for outcome in &outcomes {
            health.outcome(outcome);
        }
    }
    let problems: Vec<_> = outcomes
        .iter()
        .filter(|o| o.is_failure() || matches!(o, Outcome::Stale { .. } | Outcome::Stopped { .. }))
        .collect();
    let unfinished = plan.contacts.len() - outcomes.len();
    match output {
        Output::Json => {
            for outcome in &outcomes {
                json_line(outcome)?;
            }
            json_line(&json!({
                "applied": outcomes.len(),
                "problems": problems.len(),
                "notReached": unfinished,
                "journal": journal_path.display().to_string(),
            }))?;
        }
        Output::Text => {
            let mut stdout = Clean(std::io::stdout().lock());
            for outcome in &outcomes {
                writeln!(stdout, "{outcome}")?;
            }
            if !problems.is_empty() {
                writeln!(stdout, "skipped or failed:")?;
                for problem in &problems {
                    writeln!(stdout, "  {problem}")?;
                }
            }
            writeln!(
                stdout,
                "apply: {} contact(s) handled, {} skipped or failed{}; journal {}",
                outcomes.len(),
                problems.len(),
                if unfinished > 0 {
                    format!(", {unfinished} not reached (stopped by signal)")
                } else {
                    String::new()
                },
                journal_path.display()
            )?;
            stdout.flush()?;
        }
    }
    Ok(problems.is_empty() && unfinished == 0)
}

pub(crate) async fn undo(
    client: &Client,
    output: Output,
    journal: &Path,
) -> Result<bool, BoxError> {
    let journal = Journal::open_existing(journal, client)?;
    let report = undo_journal(client, &journal).await?;
    let clean = report.iter().all(|u| u.is_complete());
    if output == Output::Json {
        for contact in &report {
            json_line(contact)?;
        }
        return Ok(clean);
    }
    let mut stdout = Clean(std::io::stdout().lock());
    for contact in &report {
        let names = |fields: &[rocketchat_omnichannel::models::ConflictField]| {
            fields
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(stdout, "{}:", contact.contact_id)?;
        if !contact.restored.is_empty() {
            write!(stdout, " restored {}", names(&contact.restored))?;
        }
        let value = |now: &Option<serde_json::Value>| {
            now.as_ref()
                .map_or_else(|| "(unset)".to_owned(), ToString::to_string)
        };
        for (field, now) in &contact.kept {
            let now = value(now);
            write!(stdout, " kept {field} (changed since the run: now {now})")?;
        }
        for (field, now) in &contact.could_not {
            let now = value(now);
            write!(
                stdout,
                " could not restore {field} (the server holds {now})"
            )?;
        }
        if let Some(error) = &contact.error {
            write!(stdout, " failed: {error}")?;
        }
        let untouched = contact.restored.is_empty() && contact.is_complete();
        if untouched {
            write!(stdout, " no value to put back (the run changed none)")?;
        }
        writeln!(stdout)?;
        for lost in &contact.lost {
            writeln!(
                stdout,
                "  conflict entry not re-creatable: {} = {}",
                lost.field, lost.value
            )?;
        }
    }
    writeln!(stdout, "undo: {} contact(s)", report.len())?;
    stdout.flush()?;
    Ok(clean)
}
