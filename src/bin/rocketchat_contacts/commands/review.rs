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
use rocketchat_omnichannel::workflow::{
    Decision, Journal, JournalStatus, Plan, PlannedContact, Policy, UnknownContacts,
};
use serde_json::Value;

use super::BoxError;
use crate::output::{clean, text};

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
        print!("{prompt}");
        std::io::stdout().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            return Ok(Answer::Quit);
        }
        match line.trim() {
            "" => return Ok(Answer::Choice(default)),
            "s" | "S" => return Ok(Answer::Skip),
            "q" | "Q" => return Ok(Answer::Quit),
            other => match other.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => return Ok(Answer::Choice(n)),
                _ => println!("  type a number from 1 to {max}, s to skip this contact, q to quit"),
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
            let name = c.name.as_deref().unwrap_or("?");
            match c.last_chat.as_ref().and_then(|l| l.ts) {
                Some(ts) => format!("{name} (last chat {ts})"),
                None => name.to_owned(),
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
    let mut journal = Journal::open(&path, client)?;
    let contacts: Vec<Contact> = client
        .conflicted_contacts(UnknownContacts::Include)
        .try_collect()
        .await?;
    let total = contacts.len();
    let mut resolved = 0usize;
    'contacts: for (index, listed) in contacts.into_iter().enumerate() {
        // Read again: the listing may be minutes old by the time the person gets here.
        let contact = match fresh(client, &mut journal, &listed.id).await? {
            Some(contact) => contact,
            None => continue,
        };
        let conflicts = contact.conflicts();
        if conflicts.is_empty() {
            continue;
        }
        println!();
        println!(
            "{}",
            clean(&format!(
                "contact {}/{total}: {} ({}) — seen on {}",
                index + 1,
                contact.id,
                contact.name.as_deref().unwrap_or("-"),
                channels(&contact)
            ))
        );
        let mut decisions = Vec::new();
        for conflict in conflicts {
            let choices = options(&conflict);
            println!("{}", clean(&format!("  {}:", conflict.field)));
            for (n, (value, current)) in choices.iter().enumerate() {
                let mark = if *current { "  (current)" } else { "" };
                println!(
                    "{}",
                    clean(&format!("    [{}] {}{mark}", n + 1, text(value)))
                );
            }
            let prompt = format!(
                "  choose 1-{} (Enter keeps [1]), s skips this contact, q quits: ",
                choices.len()
            );
            let decision = match ask(&prompt, choices.len(), 1)? {
                Answer::Quit => break 'contacts,
                Answer::Skip => continue 'contacts,
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
        let plan = decided(&contact, decisions);
        let planned = PlannedContact::from_plan(&plan, &contact);
        print!("{}", clean(&planned.to_string()));
        match ask("  resolve this contact? 1 = yes (Enter), 2 = no: ", 2, 1)? {
            Answer::Quit => break,
            Answer::Skip | Answer::Choice(2) => continue,
            Answer::Choice(_) => {}
        }
        // Read once more right before writing: what the person saw must still be there.
        let Some(now) = fresh(client, &mut journal, &contact.id).await? else {
            continue;
        };
        let changed = planned.changed_since(&now);
        if !changed.is_empty() {
            let names: Vec<String> = changed.iter().map(ToString::to_string).collect();
            println!(
                "{}",
                clean(&format!(
                    "  changed meanwhile ({}): not sent",
                    names.join(", ")
                ))
            );
            journal.outcome(&contact.id, JournalStatus::Stale, changed, None)?;
            continue;
        }
        journal.intent(&planned)?;
        match planned.request(client).await {
            Ok(after) => {
                let status = if after.has_conflicts() {
                    JournalStatus::PartlyResolved
                } else {
                    JournalStatus::Resolved
                };
                journal.outcome(&contact.id, status, Vec::new(), None)?;
                resolved += 1;
                println!("  resolved");
            }
            Err(error) => {
                journal.outcome(
                    &contact.id,
                    JournalStatus::Failed,
                    Vec::new(),
                    Some(error.to_string()),
                )?;
                println!("{}", clean(&format!("  failed: {error}")));
            }
        }
    }
    println!();
    println!(
        "review: {resolved} contact(s) resolved; journal {}",
        journal.path().display()
    );
    Ok(true)
}

/// The contact as the server has it now; `None` (after saying why, and journalling a
/// deletion) when it is gone or cannot be read, so the session goes on with the next one.
async fn fresh(
    client: &Client,
    journal: &mut Journal,
    id: &rocketchat_omnichannel::ContactId,
) -> Result<Option<Contact>, BoxError> {
    match client.get_contact(id.clone()).await {
        Ok(contact) => Ok(Some(contact)),
        Err(GetContactError::NotFound { .. }) => {
            println!("{}", clean(&format!("  {id} was deleted meanwhile")));
            journal.outcome(id, JournalStatus::Gone, Vec::new(), None)?;
            Ok(None)
        }
        Err(error) => {
            println!("{}", clean(&format!("  {id} cannot be read: {error}")));
            Ok(None)
        }
    }
}

/// A plan with these decisions (a person's, so never a wipe).
fn decided(contact: &Contact, decisions: Vec<(FieldConflict, Decision)>) -> Plan {
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
    .plan(contact)
}
