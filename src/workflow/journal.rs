//! The journal: one JSON line before each resolve call (what the contact held, what will be
//! written, what will be discarded) and one after it (what happened), written as it goes.
//! A run started again with the same journal skips what is done and checks on the server
//! whatever was in flight when it stopped; `undo` puts back what a journal wrote.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write as _};
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
    /// The last intent whose call wrote to the server, for undo.
    written: Option<PlannedContact>,
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
            file: OpenOptions::new()
                .create(true)
                .append(true)
                .read(true)
                .open(&path)
                .map_err(io)?,
            path: path.clone(),
            contacts: HashMap::new(),
            order: Vec::new(),
        };
        let lines: Vec<String> = BufReader::new(File::open(&path).map_err(io)?)
            .lines()
            .collect::<Result<_, _>>()
            .map_err(io)?;
        if lines.iter().all(|l| l.trim().is_empty()) {
            journal.append(&JournalLine::Header {
                format: FORMAT,
                server: here,
                started_at: Timestamp::now(),
            })?;
            return Ok(journal);
        }
        let count = lines.len();
        let mut offset = 0u64;
        for (number, line) in lines.iter().enumerate() {
            let start = offset;
            offset += line.len() as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            let parsed: JournalLine = match serde_json::from_str(line) {
                Ok(parsed) => parsed,
                // Killed while writing its last line: that line never happened, and is cut
                // off so the next line starts clean.
                Err(_) if number + 1 == count => {
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
            };
            match parsed {
                JournalLine::Header { format, server, .. } => {
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
                JournalLine::Intent { planned, .. } => journal.note_intent(*planned),
                JournalLine::Outcome {
                    contact_id, status, ..
                } => journal.note_outcome(&contact_id, status),
            }
        }
        if !lines[0].contains("\"header\"") {
            return Err(Error::configuration(format!(
                "{} does not start with a journal header",
                path.display()
            )));
        }
        Ok(journal)
    }

    fn note_intent(&mut self, planned: PlannedContact) {
        let id = planned.contact_id.clone();
        let entry = self.contacts.entry(id.clone()).or_insert_with(|| {
            self.order.push(id);
            Entry::default()
        });
        entry.intent = Some(planned);
        entry.status = None;
    }

    fn note_outcome(&mut self, contact_id: &ContactId, status: JournalStatus) {
        let entry = self.contacts.entry(contact_id.clone()).or_insert_with(|| {
            self.order.push(contact_id.clone());
            Entry::default()
        });
        entry.status = Some(status);
        if status.wrote() {
            entry.written = entry.intent.clone();
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
        self.append(&JournalLine::Intent {
            at: Timestamp::now(),
            planned: Box::new(planned.clone()),
        })?;
        self.note_intent(planned.clone());
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
        self.append(&JournalLine::Outcome {
            at: Timestamp::now(),
            contact_id: contact_id.clone(),
            status,
            changed,
            error,
        })?;
        self.note_outcome(contact_id, status);
        Ok(())
    }

    /// Whether an earlier run finished with this contact.
    pub fn is_done(&self, contact_id: &ContactId) -> bool {
        self.contacts
            .get(contact_id)
            .and_then(|e| e.status)
            .is_some_and(JournalStatus::is_done)
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

    /// What each contact's last successful call wrote, in journal order.
    pub fn written(&self) -> impl Iterator<Item = &PlannedContact> {
        self.order
            .iter()
            .filter_map(|id| self.contacts.get(id)?.written.as_ref())
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }
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
