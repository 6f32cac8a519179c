//! The journal: one JSON line before each resolve call (what the contact held, what will be
//! written, what will be discarded) and one after it (what happened), written as it goes.
//! A run started again with the same journal skips what is done and checks on the server
//! whatever was in flight when it stopped; `undo` puts back what a journal wrote.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::plan_file::{Discard, FORMAT, PlannedContact, server_id};
use crate::client::Client;
use crate::error::Error;
use crate::models::{ConflictField, ContactId};

/// What happened to a contact, as the journal records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum JournalStatus {
    /// The resolve call succeeded; no conflict is left.
    Resolved,
    /// The resolve call succeeded; conflicts are left (for a human, or new ones).
    PartlyResolved,
    /// A call in flight when an earlier run stopped had reached the server: nothing sent.
    Recovered,
    /// The contact changed since the plan where the plan would write: nothing sent.
    Stale,
    /// The server had no conflicts left for it.
    Skipped,
    /// The contact no longer exists.
    Gone,
    /// The call failed; it may be tried again.
    Failed,
}

impl JournalStatus {
    /// Whether the contact is finished with: a later run does not send it again.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            Self::Resolved | Self::PartlyResolved | Self::Recovered | Self::Skipped | Self::Gone
        )
    }

    /// Whether the plan's values reached the server (what `undo` can take back).
    pub fn wrote(self) -> bool {
        matches!(
            self,
            Self::Resolved | Self::PartlyResolved | Self::Recovered
        )
    }
}

/// One line of a journal file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum JournalLine {
    /// The first line: the format and the server the journal belongs to.
    #[serde(rename_all = "camelCase")]
    Header {
        /// [`FORMAT`].
        format: u32,
        /// [`server_id`] of the server.
        server: String,
        /// When the journal was started.
        started_at: Timestamp,
    },
    /// Written before a resolve call.
    #[serde(rename_all = "camelCase")]
    Intent {
        /// When.
        at: Timestamp,
        /// What is about to be sent: the contact as last read (`snapshot`), the writes with
        /// their previous values, and what is discarded.
        planned: Box<PlannedContact>,
        /// The fingerprint of the plan entry being applied (`apply`; none for a run that
        /// decides as it goes).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<String>,
    },
    /// Written after the call (or instead of it).
    #[serde(rename_all = "camelCase")]
    Outcome {
        /// When.
        at: Timestamp,
        /// The contact.
        contact_id: ContactId,
        /// What happened.
        status: JournalStatus,
        /// Fields that changed since the plan (for `stale`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changed: Vec<ConflictField>,
        /// The error, for `failed`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// As for the intent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<String>,
    },
}

/// An append-only journal file (JSON Lines), and what it says so far.
///
/// ```no_run
/// # fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {
/// let journal = rocketchat_omnichannel::workflow::Journal::open("run.jsonl", &client)?;
/// println!("{} contacts already done", journal.done_count());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Per contact: its last intent, and the status that followed it (if any).
    contacts: HashMap<ContactId, Entry>,
    /// Contacts in the order they first appear.
    order: Vec<ContactId>,
}

#[derive(Debug, Default)]
struct Entry {
    intent: Option<PlannedContact>,
    status: Option<JournalStatus>,
    /// The plan entry the last line was about.
    plan: Option<String>,
    /// Every intent whose call wrote to the server, in order, for undo.
    written: Vec<PlannedContact>,
}

impl Journal {
    /// Opens (or starts) a journal for the server `client` talks to. An existing journal
    /// is read back; a last line cut short (the process was killed while writing it) is
    /// ignored.
    ///
    /// # Errors
    /// The file cannot be read or written, is not a journal, or belongs to another server.
    pub fn open(path: impl AsRef<Path>, client: &Client) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let io = |e: std::io::Error| {
            Error::configuration(format!("cannot use the journal {}: {e}", path.display()))
        };
        let here = server_id(client);
        let mut journal = Self {
            file: {
                let mut options = OpenOptions::new();
                options.create(true).append(true).read(true);
                // Names and custom fields are personal data: readable by the owner only.
                #[cfg(unix)]
                options.mode(0o600);
                options.open(&path).map_err(io)?
            },
            path: path.clone(),
            contacts: HashMap::new(),
            order: Vec::new(),
        };
        let bytes = std::fs::read(&path).map_err(io)?;
        // Lines as bytes: a line cut short may end inside a character.
        let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        let first = lines.iter().position(|l| !l.trim_ascii().is_empty());
        let Some(first) = first else {
            // Empty (or blank): a new journal.
            journal.file.set_len(0).map_err(io)?;
            journal.append(&JournalLine::Header {
                format: FORMAT,
                server: here,
                started_at: Timestamp::now(),
            })?;
            return Ok(journal);
        };
        // Checked before anything is changed: a file that is not a journal stays as it is.
        match serde_json::from_slice::<JournalLine>(lines[first]) {
            Ok(JournalLine::Header { format, server, .. }) => {
                if format != FORMAT {
                    return Err(Error::configuration(format!(
                        "{} has journal format {format}; this version reads format {FORMAT}",
                        path.display()
                    )));
                }
                if server != here {
                    return Err(Error::configuration(format!(
                        "the journal {} belongs to {server}, not {here}",
                        path.display()
                    )));
                }
            }
            _ => {
                return Err(Error::configuration(format!(
                    "{} is not a journal (its first line is not a journal header)",
                    path.display()
                )));
            }
        }
        let last = lines
            .iter()
            .rposition(|l| !l.trim_ascii().is_empty())
            .unwrap_or(first);
        let mut offset = 0u64;
        for (number, line) in lines.iter().enumerate() {
            let start = offset;
            offset += line.len() as u64 + 1;
            if number <= first || line.trim_ascii().is_empty() {
                continue;
            }
            match serde_json::from_slice::<JournalLine>(line) {
                Ok(JournalLine::Header { .. }) => {}
                Ok(JournalLine::Intent { planned, plan, .. }) => {
                    journal.note_intent(*planned, plan);
                }
                Ok(JournalLine::Outcome {
                    contact_id,
                    status,
                    plan,
                    ..
                }) => journal.note_outcome(&contact_id, status, plan),
                // Killed while writing its last line: that line never happened, and is cut
                // off so the next line starts clean.
                Err(_) if number == last => {
                    journal.file.set_len(start).map_err(io)?;
                    break;
                }
                Err(e) => {
                    return Err(Error::configuration(format!(
                        "{} line {}: not a journal line: {e}",
                        path.display(),
                        number + 1
                    )));
                }
            }
        }
        // A file whose last line ended without a newline (an editor): start on a new line.
        let len = std::fs::metadata(&path).map_err(io)?.len();
        if len > 0 && !std::fs::read(&path).map_err(io)?.ends_with(b"\n") {
            journal.file.write_all(b"\n").map_err(io)?;
        }
        Ok(journal)
    }

    fn entry(&mut self, contact_id: &ContactId) -> &mut Entry {
        self.contacts.entry(contact_id.clone()).or_insert_with(|| {
            self.order.push(contact_id.clone());
            Entry::default()
        })
    }

    fn note_intent(&mut self, planned: PlannedContact, plan: Option<String>) {
        let entry = self.entry(&planned.contact_id.clone());
        entry.intent = Some(planned);
        entry.status = None;
        entry.plan = plan;
    }

    fn note_outcome(
        &mut self,
        contact_id: &ContactId,
        status: JournalStatus,
        plan: Option<String>,
    ) {
        let entry = self.entry(contact_id);
        entry.status = Some(status);
        entry.plan = plan;
        if status.wrote()
            && let Some(intent) = entry.intent.clone()
        {
            entry.written.push(intent);
        }
    }

    fn append(&mut self, line: &JournalLine) -> Result<(), Error> {
        let mut text = serde_json::to_string(line)
            .map_err(|e| Error::configuration(format!("a journal line cannot be encoded: {e}")))?;
        text.push('\n');
        // One write per line, straight to the file (no buffer): a killed process leaves
        // whole lines, or a last one cut short that `open` ignores.
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| {
                Error::configuration(format!(
                    "cannot write the journal {}: {e}",
                    self.path.display()
                ))
            })
    }

    /// Records what is about to be sent. Call it before the resolve call.
    ///
    /// # Errors
    /// The line cannot be written (then do not send).
    pub fn intent(&mut self, planned: &PlannedContact) -> Result<(), Error> {
        self.intent_for(planned, None)
    }

    /// [`Journal::intent`] for the plan entry with this fingerprint.
    pub(crate) fn intent_for(
        &mut self,
        planned: &PlannedContact,
        plan: Option<String>,
    ) -> Result<(), Error> {
        self.append(&JournalLine::Intent {
            at: Timestamp::now(),
            planned: Box::new(planned.clone()),
            plan: plan.clone(),
        })?;
        self.note_intent(planned.clone(), plan);
        Ok(())
    }

    /// Records what happened.
    ///
    /// # Errors
    /// The line cannot be written.
    pub fn outcome(
        &mut self,
        contact_id: &ContactId,
        status: JournalStatus,
        changed: Vec<ConflictField>,
        error: Option<String>,
    ) -> Result<(), Error> {
        self.outcome_for(contact_id, status, changed, error, None)
    }

    /// [`Journal::outcome`] for the plan entry with this fingerprint.
    pub(crate) fn outcome_for(
        &mut self,
        contact_id: &ContactId,
        status: JournalStatus,
        changed: Vec<ConflictField>,
        error: Option<String>,
        plan: Option<String>,
    ) -> Result<(), Error> {
        self.append(&JournalLine::Outcome {
            at: Timestamp::now(),
            contact_id: contact_id.clone(),
            status,
            changed,
            error,
            plan: plan.clone(),
        })?;
        self.note_outcome(contact_id, status, plan);
        Ok(())
    }

    /// Whether an earlier run finished with this contact.
    pub fn is_done(&self, contact_id: &ContactId) -> bool {
        self.contacts
            .get(contact_id)
            .and_then(|e| e.status)
            .is_some_and(JournalStatus::is_done)
    }

    /// Whether an earlier run finished with this contact for the plan entry with this
    /// fingerprint (a journal reused with another plan does not skip its contacts).
    pub(crate) fn is_done_for(&self, contact_id: &ContactId, plan: &str) -> bool {
        self.contacts.get(contact_id).is_some_and(|e| {
            e.status.is_some_and(JournalStatus::is_done) && e.plan.as_deref() == Some(plan)
        })
    }

    /// The plan of a call that was in flight when an earlier run stopped (an intent with no
    /// outcome after it).
    pub fn in_flight(&self, contact_id: &ContactId) -> Option<&PlannedContact> {
        let entry = self.contacts.get(contact_id)?;
        match entry.status {
            None => entry.intent.as_ref(),
            Some(_) => None,
        }
    }

    /// How many contacts are finished with.
    pub fn done_count(&self) -> usize {
        self.contacts
            .values()
            .filter(|e| e.status.is_some_and(JournalStatus::is_done))
            .count()
    }

    /// What the journal's calls wrote, per contact in journal order: every successful call,
    /// and a call still in flight (it may have reached the server; undo only touches fields
    /// that hold the value the run wrote). Several calls for one contact are merged: each
    /// field goes back to its value before the first of them.
    pub fn written(&self) -> Vec<PlannedContact> {
        self.order
            .iter()
            .filter_map(|id| {
                let entry = self.contacts.get(id)?;
                let mut calls: Vec<&PlannedContact> = entry.written.iter().collect();
                if entry.status.is_none()
                    && let Some(intent) = &entry.intent
                {
                    calls.push(intent);
                }
                merge(&calls)
            })
            .collect()
    }

    /// Opens a journal that must already exist (for `undo`: a mistyped path is an error,
    /// not a new empty journal).
    ///
    /// # Errors
    /// As [`Journal::open`], and when the file does not exist or is empty.
    pub fn open_existing(path: impl AsRef<Path>, client: &Client) -> Result<Self, Error> {
        let path = path.as_ref();
        let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
        if empty {
            return Err(Error::configuration(format!(
                "{} does not exist or is empty: no journal to read",
                path.display()
            )));
        }
        Self::open(path, client)
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// One plan for several calls on a contact: each field's earliest `from` and latest `to`,
/// and every value discarded.
fn merge(calls: &[&PlannedContact]) -> Option<PlannedContact> {
    let (first, rest) = calls.split_first()?;
    let mut merged = (*first).clone();
    for call in rest {
        for write in &call.writes {
            match merged.writes.iter_mut().find(|w| w.field == write.field) {
                Some(existing) => existing.to = write.to.clone(),
                None => merged.writes.push(write.clone()),
            }
        }
        for discard in &call.discards {
            if !merged.discards.contains(discard) {
                merged.discards.push(discard.clone());
            }
        }
    }
    Some(merged)
}

/// What `undo` did for one contact.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Undone {
    /// The contact.
    pub contact_id: ContactId,
    /// Fields put back to the value they had before the run.
    pub restored: Vec<ConflictField>,
    /// Fields that already hold their earlier value (an earlier undo, or a person).
    pub already: Vec<ConflictField>,
    /// Fields changed since the run wrote them, left alone, with their value now.
    pub changed_since: Vec<(ConflictField, Option<Value>)>,
    /// Conflict entries the run discarded: `contacts.update` cannot re-create them, so they
    /// are listed with their values for a person to act on.
    pub lost: Vec<Discard>,
    /// Why the contact could not be read or updated.
    pub error: Option<String>,
}
