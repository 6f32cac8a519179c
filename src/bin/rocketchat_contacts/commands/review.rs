//! `conflicts review`: a person decides, contact by contact, on a terminal. For each
//! contact with conflicts: each field's current value and alternatives (with the channels
//! the contact was seen on, which is all Rocket.Chat records of where a value came from),
//! a choice per field, then the diff and a confirmation. Each resolve is journalled like
//! `apply`, re-reading the contact first so a change made meanwhile is never overwritten.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use futures_util::TryStreamExt;
use rocketchat_omnichannel::Client;
use rocketchat_omnichannel::models::{ConflictField, Contact, FieldConflict};
use rocketchat_omnichannel::omnichannel::contacts::GetContactError;
use rocketchat_omnichannel::workflow::{Decision, Journal, Outcome, PlanFile, Policy};
use serde_json::Value;

use super::BoxError;
use crate::output::{clean, for_people, one_line, say};

/// A line for the person, with whatever came from a visitor or the server made harmless.
fn line(text: &str) -> std::io::Result<()> {
    say(None, &clean(text))
}

/// What the person typed for a prompt.
enum Answer {
    Choice(usize),
    Skip,
    Quit,
}

/// Reads one answer: a number within `1..=max`, Enter for `default`, `s` or `q`.
fn ask(prompt: &str, max: usize, default: usize) -> std::io::Result<Answer> {
    let stdin = std::io::stdin();
    loop {
        let mut stdout = std::io::stdout().lock();
        write!(stdout, "{prompt}")?;
        stdout.flush()?;
        drop(stdout);
        let mut typed = String::new();
        if stdin.lock().read_line(&mut typed)? == 0 {
            return Ok(Answer::Quit);
        }
        match typed.trim() {
            "" => return Ok(Answer::Choice(default)),
            "s" | "S" => return Ok(Answer::Skip),
            "q" | "Q" => return Ok(Answer::Quit),
            other => match other.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => return Ok(Answer::Choice(n)),
                _ => line(&format!(
                    "  type a number from 1 to {max}, s to skip this contact, q to quit"
                ))?,
            },
        }
    }
}

/// Where the contact was seen: its channels, for the person deciding.
fn channels(contact: &Contact) -> String {
    let seen: Vec<String> = contact
        .channels
        .iter()
        .map(|c| {
            let name = one_line(c.name.as_deref().unwrap_or("?"));
            match c.last_chat.as_ref().and_then(|l| l.ts) {
                Some(ts) => format!("{name} (last chat {ts})"),
                None => name.into_owned(),
            }
        })
        .collect();
    if seen.is_empty() {
        "no channel".to_owned()
    } else {
        seen.join(", ")
    }
}

/// The choices for one field: the current value first, then each alternative.
fn options(conflict: &FieldConflict) -> Vec<(Value, bool)> {
    let mut options: Vec<(Value, bool)> = Vec::new();
    if let Some(current) = &conflict.current {
        options.push((current.clone(), true));
    }
    for candidate in &conflict.candidates {
        if !options.iter().any(|(v, _)| v == candidate) {
            options.push((candidate.clone(), false));
        }
    }
    options
}

pub(crate) async fn run(client: &Client, journal: Option<PathBuf>) -> Result<bool, BoxError> {
    if !std::io::stdin().is_terminal() {
        return Err(
            "conflicts review needs a person at a terminal (stdin is not one); \
                    for scripts use conflicts plan and conflicts apply"
                .into(),
        );
    }
    let path = journal.unwrap_or_else(|| PathBuf::from("review.jsonl"));
    let journal = Journal::open(&path, client)?;
    let contacts: Vec<Contact> = client.conflicted_contacts(None).try_collect().await?;
    let total = contacts.len();
    let (mut resolved, mut skipped, mut unreached) = (0usize, 0usize, 0usize);
    'contacts: for (index, listed) in contacts.into_iter().enumerate() {
        // Read again: the listing may be minutes old by the time the person gets here.
        let contact = match fresh(client, &listed.id).await {
            Some(contact) => contact,
            None => continue,
        };
        let conflicts = contact.conflicts();
        if conflicts.is_empty() {
            continue;
        }
        line("")?;
        line(&format!(
            "contact {}/{total}: {} ({}) — seen on {}",
            index + 1,
            contact.id,
            one_line(contact.name.as_deref().unwrap_or("-")),
            channels(&contact)
        ))?;
        let mut decisions = Vec::new();
        for conflict in conflicts {
            let choices = options(&conflict);
            line(&format!("  {}:", conflict.field))?;
            for (n, (value, current)) in choices.iter().enumerate() {
                let mark = if *current { "  (current)" } else { "" };
                // The listing named the manager; the fresh read has its id only.
                let value = for_people(&listed, &conflict.field, value);
                line(&format!("    [{}] {value}{mark}", n + 1))?;
            }
            let prompt = format!(
                "  choose 1-{} (Enter keeps [1]), s skips this contact, q quits: ",
                choices.len()
            );
            let decision = match ask(&prompt, choices.len(), 1)? {
                Answer::Quit => {
                    unreached = total - index;
                    break 'contacts;
                }
                Answer::Skip => {
                    skipped += 1;
                    continue 'contacts;
                }
                Answer::Choice(n) => {
                    let (value, current) = &choices[n - 1];
                    if *current {
                        Decision::KeepCurrent
                    } else {
                        Decision::Take(value.clone())
                    }
                }
            };
            decisions.push((conflict, decision));
        }
        // A person's decisions, carried out the way `apply` carries out a saved plan: read
        // once more right before writing, and not sent if what the person saw changed.
        let plan = PlanFile::new(client, &decided(decisions), std::slice::from_ref(&contact));
        for planned in &plan.contacts {
            line(planned.to_string().trim_end_matches('\n'))?;
        }
        match ask("  resolve this contact? 1 = yes (Enter), 2 = no: ", 2, 1)? {
            Answer::Quit => {
                unreached = total - index;
                break;
            }
            Answer::Skip | Answer::Choice(2) => {
                skipped += 1;
                continue;
            }
            Answer::Choice(_) => {}
        }
        for outcome in client.apply(&plan).journal(&journal).run().await? {
            if matches!(
                outcome,
                Outcome::Resolved { .. } | Outcome::PartlyResolved { .. }
            ) {
                resolved += 1;
            }
            line(&format!("  {outcome}"))?;
        }
    }
    line("")?;
    line(&format!(
        "review: {resolved} contact(s) resolved, {skipped} skipped, {unreached} not reached \
         (quit); journal {}",
        journal.path().display()
    ))?;
    Ok(true)
}

/// The contact as the server has it now; `None` (after saying why) when it is gone or
/// cannot be read, so the session goes on with the next one.
async fn fresh(client: &Client, id: &rocketchat_omnichannel::ContactId) -> Option<Contact> {
    match client.get_contact(id.clone()).await {
        Ok(contact) => Some(contact),
        Err(GetContactError::NotFound { .. }) => {
            line(&format!("  {id} was deleted meanwhile")).ok();
            None
        }
        Err(error) => {
            line(&format!("  {id} cannot be read: {error}")).ok();
            None
        }
    }
}

/// A policy that carries out a person's decisions (never a wipe); fields without one stay
/// for a person.
fn decided(decisions: Vec<(FieldConflict, Decision)>) -> Policy {
    let chosen: Vec<(ConflictField, Decision)> = decisions
        .into_iter()
        .map(|(conflict, decision)| (conflict.field, decision))
        .collect();
    Policy::custom("review", move |conflict| {
        chosen
            .iter()
            .find(|(field, _)| *field == conflict.field)
            .map_or(Decision::Leave, |(_, decision)| decision.clone())
    })
}
