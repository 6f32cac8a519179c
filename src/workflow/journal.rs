//! The journal: one JSON line before each resolve call (the [`Plan`] as sent: what the contact
//! held, what will be written, what will be discarded) and one after it (what happened),
//! written as it goes. A run started again with the same journal skips what is done and
//! checks on the server whatever was in flight when it stopped; [`undo`](super::undo) puts
//! back what a journal wrote.
//!
//! One process at a time: a journal is locked for as long as it is open, so a second run on
//! the same file is refused instead of sending everything twice. Memory stays small however
//! long a watcher runs (per contact: its last state, and the plan of a call in flight); the
//! plans already carried out are read back from the file only when undo asks for them.
//! The file grows by two lines per call: start a new journal (a new path) when an old one is
//! no longer needed to undo.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom, Write as _};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::plan::Plan;
use super::plan_file::{FORMAT, server_url};
use crate::client::Client;
use crate::error::Error;
use crate::models::{ConflictField, ContactId};

/// What happened to a contact, as the journal records it: the words of
/// [`Outcome`](super::Outcome). Earlier spellings are still read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Recorded {
    /// The call reached the server and no conflict is left (`recovered`: a call in flight
    /// when an earlier run stopped was found carried out).
    #[serde(alias = "recovered")]
    Resolved,
    /// The call reached the server and conflicts are left.
    #[serde(alias = "partlyResolved")]
    PartlyResolved,
    /// Changed since the plan where it would write: nothing sent.
    Stale,
    /// The server had no conflicts left for it.
    #[serde(alias = "skipped")]
    NothingToDo,
    /// The contact no longer exists.
    Gone,
    /// The call failed before reaching the server; it may be tried again.
    Failed,
}

impl Recorded {
    /// Whether the contact is finished with: a later run does not send it again.
    fn is_done(self) -> bool {
        !matches!(self, Self::Stale | Self::Failed)
    }

    /// Whether the plan's values reached the server (what `undo` can take back).
    fn wrote(self) -> bool {
        matches!(self, Self::Resolved | Self::PartlyResolved)
    }
}

/// One line of the journal file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum Line {
    /// The first line: which server the journal belongs to.
    #[serde(rename_all = "camelCase")]
    Header {
        format: u32,
        server: String,
        started_at: Timestamp,
    },
    /// Written before a call: the plan as it is about to be sent.
    #[serde(rename_all = "camelCase")]
    Intent {
        at: Timestamp,
        #[serde(alias = "planned")]
        sent: Box<Plan>,
        /// The fingerprint of the plan entry this call carries out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<String>,
    },
    /// Written after it: what happened.
    #[serde(rename_all = "camelCase")]
    Outcome {
        at: Timestamp,
        contact_id: ContactId,
        #[serde(alias = "status")]
        outcome: Recorded,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changed: Vec<ConflictField>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<String>,
        /// Whether this answers the call of the intent before it (`false`: the contact's
        /// turn ended before any call, so an earlier call left in flight stays so).
        #[serde(default = "answers_by_default", skip_serializing_if = "Clone::clone")]
        answers: bool,
    },
}

/// A journal file, open and locked for this process: one JSON line before each resolve call
/// (the [`Plan`] as sent) and one after it (what happened). A run started again with the
/// same journal skips what is done and checks on the server whatever was in flight when it
/// stopped; [`undo`](super::undo) puts back what it wrote.
///
/// One process at a time: a second open of the same file (here or in another process) is
/// refused while this one lives. Memory stays small however long a watcher runs; the plans
/// carried out are read back from the file only when undo asks. The file grows by two lines
/// per call: start a new journal (a new path) once an old one is no longer needed to undo.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
/// use rocketchat_omnichannel::workflow::{Journal, Policy};
///
/// let fake = FakeRocketChat::builder().demo_data().start().await?;
/// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
/// let path = std::env::temp_dir().join(format!("journal-doc-{}.jsonl", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let journal = Journal::open(&path, &client)?;
/// // A second process (or a second open in this one) is refused while it is open.
/// assert!(Journal::open(&path, &client).is_err());
/// let summary = client.resolve_all(Policy::keep_current()).journal(journal).run().await;
/// assert_eq!(summary.resolved, 3);
/// # std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    /// Locked per line: a run's tasks share one journal.
    inner: Mutex<Inner>,
}

/// The open file and what it says so far.
#[derive(Debug)]
struct Inner {
    file: File,
    contacts: HashMap<ContactId, Entry>,
}

/// Lines written before `answers` existed answered the call before them.
fn answers_by_default() -> bool {
    true
}

/// What a journal keeps in memory for one contact.
#[derive(Debug, Default)]
struct Entry {
    /// The plan of the last call and its plan entry, while no answer follows it.
    in_flight: Option<(Plan, Option<String>)>,
    /// The last outcome.
    outcome: Option<Recorded>,
    /// The plan entry the last line was for.
    plan: Option<String>,
}

impl Journal {
    /// Opens (or creates) the journal at `path` for the server `client` talks to, and locks it
    /// for this process. A new file starts with a header naming the server; an existing one
    /// is read to learn what is done and what was in flight, and a last line cut short by a
    /// killed process is cut off.
    ///
    /// # Errors
    /// [`ErrorKind::Configuration`](crate::ErrorKind::Configuration) when the file cannot
    /// be read or written, another process has it open, it is not a journal, or it belongs to
    /// another server.
    pub fn open(path: impl AsRef<Path>, client: &Client) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let io = |e: std::io::Error| {
            Error::configuration(format!("cannot use the journal {}: {e}", path.display()))
        };
        let here = server_url(client);
        let mut options = OpenOptions::new();
        options.create(true).append(true).read(true);
        // Names and custom fields are personal data: readable by the owner only.
        #[cfg(unix)]
        options.mode(0o600);
        let file = options.open(&path).map_err(io)?;
        // Locked before anything is read: another process's half-written last line must not
        // be taken for a torn one and cut off.
        match lock(&file) {
            Ok(()) => owner::claim(&path),
            Err(TryLockError::WouldBlock) => {
                return Err(Error::configuration(format!(
                    "the journal {} is in use{}: another run or watcher holds its lock; stop \
                     it, or give this run a journal of its own (one writer per journal: run \
                     one replica)",
                    path.display(),
                    owner::describe(&path)
                )));
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut journal = Inner {
            file,
            contacts: HashMap::new(),
        };
        let mut header = None;
        let mut torn: Option<(u64, Error)> = None;
        let mut ends_with_newline = true;
        for (number, line) in lines(&path).map_err(io)?.enumerate() {
            let (start, bytes) = line.map_err(io)?;
            ends_with_newline = bytes.ends_with(b"\n");
            let text = bytes.trim_ascii();
            if text.is_empty() {
                continue;
            }
            if let Some((_, damage)) = torn.take() {
                // A line that does not parse followed by more lines is damage, not a tear.
                return Err(damage);
            }
            let parsed = serde_json::from_slice::<Line>(text);
            if header.is_none() {
                // Checked before anything is changed: a file that is not a journal stays as
                // it is.
                match parsed {
                    Ok(Line::Header { format, server, .. }) => header = Some((format, server)),
                    _ => {
                        return Err(Error::configuration(format!(
                            "{} is not a journal (its first line is not a journal header)",
                            path.display()
                        )));
                    }
                }
                continue;
            }
            match parsed {
                Ok(line) => journal.note(line),
                Err(e) => {
                    let damage = Error::configuration(format!(
                        "{} line {}: not a journal line: {e}",
                        path.display(),
                        number + 1
                    ));
                    // A line and its newline are written at once: a process killed while
                    // writing leaves a last line without one, which never happened (unless
                    // more lines follow, checked above). A whole line that does not parse
                    // is damage.
                    if bytes.ends_with(b"\n") {
                        return Err(damage);
                    }
                    torn = Some((start, damage));
                }
            }
        }
        match header {
            None => {
                // Empty (or blank): a new journal.
                journal.file.set_len(0).map_err(io)?;
                journal.append(
                    &path,
                    &Line::Header {
                        format: FORMAT,
                        server: here,
                        started_at: Timestamp::now(),
                    },
                )?;
                return Ok(Self::of(path, journal));
            }
            Some((format, _)) if format != FORMAT => {
                return Err(Error::configuration(format!(
                    "{} has journal format {format}; this version reads format {FORMAT}",
                    path.display()
                )));
            }
            Some((_, server)) if server != here => {
                return Err(Error::configuration(format!(
                    "the journal {} belongs to {server}, not {here}",
                    path.display()
                )));
            }
            Some(_) => {}
        }
        if let Some((start, _)) = torn {
            journal.file.set_len(start).map_err(io)?;
        } else if !ends_with_newline {
            // A last line that ended without a newline (an editor): start on a new line.
            journal.file.write_all(b"\n").map_err(io)?;
        }
        Ok(Self::of(path, journal))
    }

    fn of(path: PathBuf, inner: Inner) -> Self {
        Self {
            path,
            inner: Mutex::new(inner),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
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

    /// How many contacts are finished with.
    pub fn done_count(&self) -> usize {
        self.inner()
            .contacts
            .values()
            .filter(|e| e.outcome.is_some_and(Recorded::is_done))
            .count()
    }

    /// Records what is about to be sent, for the plan entry `entry` (its fingerprint) if it
    /// comes from a saved plan. No record, no call: the caller sends only after this
    /// succeeded.
    pub(crate) fn intent(&self, sent: &Plan, entry: Option<&str>) -> Result<(), Error> {
        self.inner().append(
            &self.path,
            &Line::Intent {
                at: Timestamp::now(),
                sent: Box::new(sent.clone()),
                plan: entry.map(str::to_owned),
            },
        )
    }

    /// Records what happened; `answers` when it is the answer to the call of the last
    /// intent (not a turn that ended before any call).
    pub(crate) fn outcome(
        &self,
        contact_id: &ContactId,
        outcome: Recorded,
        detail: (Vec<ConflictField>, Option<String>),
        entry: Option<&str>,
        answers: bool,
    ) -> Result<(), Error> {
        self.inner().append(
            &self.path,
            &Line::Outcome {
                at: Timestamp::now(),
                contact_id: contact_id.clone(),
                outcome,
                changed: detail.0,
                error: detail.1,
                plan: entry.map(str::to_owned),
                answers,
            },
        )
    }

    /// Whether an earlier run finished with this contact for the plan entry with this
    /// fingerprint (a journal reused with another plan does not skip its contacts).
    pub(crate) fn is_done_for(&self, contact_id: &ContactId, entry: &str) -> bool {
        self.inner().contacts.get(contact_id).is_some_and(|e| {
            e.outcome.is_some_and(Recorded::is_done) && e.plan.as_deref() == Some(entry)
        })
    }

    /// The plan (and plan entry) of a call that was in flight when an earlier run stopped
    /// (an intent with no answer after it): it may have reached the server.
    pub(crate) fn in_flight(&self, contact_id: &ContactId) -> Option<(Plan, Option<String>)> {
        self.inner().contacts.get(contact_id)?.in_flight.clone()
    }

    /// What the journal's calls wrote, per contact in journal order: every call that reached
    /// the server, and a call still in flight (it may have; undo only touches fields that
    /// hold the value the run wrote). Several calls for one contact are merged: each field
    /// goes back to its value before the first of them. Read from the file, so that a long
    /// watcher does not keep every plan in memory.
    pub(crate) fn written(&self) -> Result<Vec<Plan>, Error> {
        let io = |e: std::io::Error| {
            Error::configuration(format!(
                "cannot read the journal {}: {e}",
                self.path.display()
            ))
        };
        let mut order: Vec<ContactId> = Vec::new();
        let mut calls: HashMap<ContactId, (Vec<Plan>, Option<Plan>)> = HashMap::new();
        for line in lines(&self.path).map_err(io)? {
            let (_, bytes) = line.map_err(io)?;
            match serde_json::from_slice::<Line>(bytes.trim_ascii()) {
                Ok(Line::Intent { sent, .. }) => {
                    let id = sent.contact_id.clone();
                    let entry = calls.entry(id.clone()).or_insert_with(|| {
                        order.push(id);
                        (Vec::new(), None)
                    });
                    // A call never answered may have reached the server: keep it.
                    if let Some(unanswered) = entry.1.replace(*sent) {
                        entry.0.push(unanswered);
                    }
                }
                Ok(Line::Outcome {
                    contact_id,
                    outcome,
                    answers: true,
                    ..
                }) => {
                    if let Some((written, pending)) = calls.get_mut(&contact_id) {
                        match pending.take() {
                            Some(plan) if outcome.wrote() => written.push(plan),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|id| {
                let (mut written, pending) = calls.remove(&id)?;
                written.extend(pending);
                merge(written)
            })
            .collect())
    }
}

impl Inner {
    fn note(&mut self, line: Line) {
        match line {
            Line::Header { .. } => {}
            Line::Intent { sent, plan, .. } => {
                let entry = self.contacts.entry(sent.contact_id.clone()).or_default();
                entry.in_flight = Some((*sent, plan.clone()));
                entry.outcome = None;
                entry.plan = plan;
            }
            Line::Outcome {
                contact_id,
                outcome,
                plan,
                answers,
                ..
            } => {
                let entry = self.contacts.entry(contact_id).or_default();
                if answers {
                    entry.in_flight = None;
                }
                entry.outcome = Some(outcome);
                entry.plan = plan;
            }
        }
    }

    fn append(&mut self, path: &Path, line: &Line) -> Result<(), Error> {
        let mut text = serde_json::to_string(line)
            .map_err(|e| Error::configuration(format!("a journal line cannot be encoded: {e}")))?;
        text.push('\n');
        // One write per line, straight to the file (no buffer): a killed process leaves
        // whole lines, or a last one cut short that `open` cuts off.
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| {
                Error::configuration(format!("cannot write the journal {}: {e}", path.display()))
            })?;
        self.note(line.clone());
        Ok(())
    }
}

/// The file's lines with their offsets, newline included (none on a last unterminated line).
fn lines(
    path: &Path,
) -> std::io::Result<impl Iterator<Item = std::io::Result<(u64, Vec<u8>)>> + use<>> {
    let mut reader = BufReader::new(File::open(path)?);
    reader.seek(SeekFrom::Start(0))?;
    let mut offset = 0u64;
    Ok(std::iter::from_fn(move || {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => None,
            Ok(n) => {
                let start = offset;
                offset += n as u64;
                Some(Ok((start, line)))
            }
            Err(e) => Some(Err(e)),
        }
    }))
}

/// One plan for several calls on a contact: each field's earliest `from` and latest `to`,
/// and every value discarded.
fn merge(calls: Vec<Plan>) -> Option<Plan> {
    let mut calls = calls.into_iter();
    let mut merged = calls.next()?;
    for call in calls {
        for write in call.writes {
            match merged.writes.iter_mut().find(|w| w.field == write.field) {
                Some(existing) => existing.to = write.to,
                None => merged.writes.push(write),
            }
        }
        for discard in call.discards {
            if !merged.discards.contains(&discard) {
                merged.discards.push(discard);
            }
        }
    }
    Some(merged)
}

/// Who holds a journal's lock, for the message a second opener gets: the lock itself
/// cannot say, so its holder writes `pid P on HOST since TIME` beside the journal
/// (`<journal>.owner`) once it has the lock.
mod owner {
    use std::path::{Path, PathBuf};

    fn file(journal: &Path) -> PathBuf {
        let mut name = journal.as_os_str().to_owned();
        name.push(".owner");
        PathBuf::from(name)
    }

    fn host() -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "this machine".into())
    }

    /// Best effort: a journal works without it.
    pub(super) fn claim(journal: &Path) {
        let line = format!(
            "pid {} on {} since {}\n",
            std::process::id(),
            host(),
            jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or_else(|_| jiff::Timestamp::now())
        );
        let _ = std::fs::write(file(journal), line);
    }

    /// ` (by pid P on HOST since TIME)`, or nothing when unknown.
    pub(super) fn describe(journal: &Path) -> String {
        std::fs::read_to_string(file(journal))
            .ok()
            .map(|owner| {
                owner
                    .trim()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            })
            .filter(|owner| !owner.is_empty())
            .map_or_else(String::new, |owner| format!(" (by {owner})"))
    }
}

/// How long a contested lock is asked for again before the journal is called in use.
const LOCK_GRACE: Duration = Duration::from_millis(500);

/// Takes the journal's lock, waiting out a brief hold that is not another run's.
///
/// The lock belongs to the open file, and a child process started anywhere in this program
/// (a `Command` on another thread) holds a copy of every open file from its start until it
/// runs its program. A journal closed and opened again in that moment finds its own lock
/// still held, for a few milliseconds. A run that holds a journal holds it for good, so
/// half a second tells the two apart.
fn lock(file: &File) -> Result<(), TryLockError> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_GRACE => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::process::Command;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// Found by the adversary on a loaded CI machine: the test suite started processes on
    /// other threads while a scenario closed its journal and opened it again for undo.
    #[test]
    fn a_journal_reopened_while_other_threads_start_processes_is_not_in_use() {
        let path =
            std::env::temp_dir().join(format!("rc-journal-lock-{}.jsonl", std::process::id()));
        let client = Client::builder("http://127.0.0.1:9")
            .allow_insecure_http(true)
            .build()
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spawners: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let _ = Command::new("true").status();
                    }
                })
            })
            .collect();
        let mut refused = 0;
        for _ in 0..300 {
            match Journal::open(&path, &client) {
                Ok(journal) => drop(journal),
                Err(_) => refused += 1,
            }
        }
        stop.store(true, Ordering::Relaxed);
        for spawner in spawners {
            spawner.join().unwrap();
        }
        assert_eq!(refused, 0, "a journal nobody else held was called in use");
        // A real second holder is still refused.
        let held = Journal::open(&path, &client).unwrap();
        assert!(Journal::open(&path, &client).is_err());
        drop(held);
        let _ = std::fs::remove_file(&path);
    }
}
