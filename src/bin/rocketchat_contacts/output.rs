//! What the tool prints: text for people, JSON for programs. Outcomes, summaries and watch
//! events print as the library's own `Display` and `Serialize`, so the CLI and a program
//! using the crate say the same thing; only contacts have a layout of their own here.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rocketchat_omnichannel::models::{ConflictField, Contact};
use rocketchat_omnichannel::workflow::{Outcome, Summary};
use serde::Serialize;
use serde_json::{Value, json};

use crate::args::Output;

/// Text for a terminal with the characters a terminal would act on shown as escapes instead:
/// control characters (ESC starts the sequences that set a window title, write the clipboard
/// through OSC 52 or clear the screen) and the bidirectional overrides that reorder what is
/// shown. Names and values come from visitors, so everything printed for people goes through
/// this; JSON output stays exact (serde escapes control characters itself).
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// A value from a visitor (a name, a custom-field key or value) on one line: like [`clean`],
/// and line breaks too, so that no value can forge a line of the output.
pub(crate) fn one_line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer for people's text: whatever goes through it is [`clean`]ed. (`write!` hands it
/// whole `str` pieces, so no character is split between two writes.)
pub(crate) struct Clean<W: Write>(pub(crate) W);

impl<W: Write> Write for Clean<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(clean(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A JSON value as a person reads it: strings without their quotes.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => one_line(s).into_owned(),
        other => one_line(&other.to_string()).into_owned(),
    }
}

/// `2h 59m`, `4m 10s`, `12s`, `300ms`: the two largest units.
pub(crate) fn human_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0 => format!("{}ms", duration.as_millis()),
        1..60 => format!("{secs}s"),
        60..3600 => format!("{}m {}s", secs / 60, secs % 60),
        _ => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
    }
}

/// Prints `value` as one line of JSON on stdout.
pub(crate) fn json_line(value: &impl Serialize) -> std::io::Result<()> {
    let line = serde_json::to_string(value).map_err(std::io::Error::other)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

/// How often the progress line is redrawn while no outcome arrives (contacts without
/// conflicts are listed without one).
pub(crate) const PROGRESS_TICK: Duration = Duration::from_millis(250);

/// The progress line on stderr when it is a terminal: done/total, the rate and an ETA once
/// the walk's total is known, a spinner with the count while it is not (a walk of changes
/// only). Per-contact lines print above it, so it stays at the bottom. The rate is measured
/// over the walk under way (contacts done since it started, over the time since); the ETA
/// is what is left at that rate.
pub(crate) struct Bar {
    bar: ProgressBar,
    /// The walk shown, and when this program first saw it.
    walk: std::cell::Cell<Option<(u32, Instant)>>,
}

impl Bar {
    /// With `elapsed`, the time since the start follows the message (a run); a watcher
    /// runs for weeks and says instead when its next pass is due.
    pub(crate) fn on_terminal(elapsed: bool) -> Option<Self> {
        std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(style(if elapsed {
                "{spinner} {msg} [{elapsed}]"
            } else {
                "{spinner} {msg}"
            }));
            bar.enable_steady_tick(Duration::from_millis(120));
            Self {
                bar,
                walk: std::cell::Cell::new(None),
            }
        })
    }

    /// Shows where the walk stands; `message` follows the figures.
    pub(crate) fn show(&self, progress: &Summary, message: &str) {
        let since = match self.walk.get() {
            Some((walk, since)) if walk == progress.rounds => since,
            _ => {
                let now = Instant::now();
                self.walk.set(Some((progress.rounds, now)));
                now
            }
        };
        let elapsed = since.elapsed().as_secs_f64();
        let done = progress.done;
        let figures = match progress.total {
            Some(total) => {
                let rate = (elapsed >= 1.0).then(|| done as f64 / elapsed);
                let pace = match rate {
                    Some(rate) if rate > 0.0 => {
                        let left = total.saturating_sub(done) as f64 / rate;
                        format!(
                            "{rate:.1}/s, ETA {}",
                            human_duration(Duration::from_secs_f64(left.min(1e9)))
                        )
                    }
                    _ => "measuring the rate".to_owned(),
                };
                format!("{done}/{total} contacts, {pace}")
            }
            None => format!("{done} contacts"),
        };
        self.bar.set_message(
            clean(&format!("walk {}: {figures} {message}", progress.rounds)).into_owned(),
        );
    }

    /// A spinner and a message, no figures (a watcher between passes).
    pub(crate) fn idle(&self, message: &str) {
        self.walk.set(None);
        self.bar.set_message(message.to_owned());
    }

    pub(crate) fn finish(self) {
        self.bar.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// Prints an outcome: one line per contact, one JSON object per line with `--output json`.
pub(crate) fn report(bar: Option<&Bar>, outcome: &Outcome, output: Output) -> std::io::Result<()> {
    let line = match output {
        Output::Text => clean(&outcome.to_string()).into_owned(),
        Output::Json => serde_json::to_string(outcome).map_err(std::io::Error::other)?,
    };
    say(bar, &line)
}

/// Prints a line on stdout (where a pipe reads it), with the progress line on stderr taken
/// away while it is written so that it stays at the bottom. A closed pipe comes back as the
/// error `main` ends the program quietly on.
pub(crate) fn say(bar: Option<&Bar>, line: &str) -> std::io::Result<()> {
    let write = || {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()
    };
    match bar {
        Some(bar) => bar.bar.suspend(write),
        None => write(),
    }
}

/// Whether `error` is a write to a pipe whose reader has gone (`… | head`).
pub(crate) fn is_broken_pipe(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        let kind = match (
            error.downcast_ref::<std::io::Error>(),
            error.downcast_ref::<serde_json::Error>(),
        ) {
            (Some(io), _) => Some(io.kind()),
            (_, Some(json)) => json.io_error_kind(),
            _ => None,
        };
        if kind == Some(std::io::ErrorKind::BrokenPipe) {
            return true;
        }
        next = error.source();
    }
    false
}

/// One contact of `list --output json`: its id, name, manager and conflicts.
pub(crate) fn list_row(contact: &Contact) -> Value {
    let conflicts: Vec<Value> = contact
        .conflicts()
        .iter()
        .map(|f| json!({"field": f.field.to_string(), "current": f.current, "candidates": f.candidates}))
        .collect();
    let manager = contact
        .contact_manager
        .as_ref()
        .map(|m| json!({"id": m.id(), "name": m.name(), "username": m.username()}));
    json!({"id": contact.id, "name": contact.name, "manager": manager, "conflicts": conflicts})
}

/// The header of the `list` table.
pub(crate) fn write_header(out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<ID_WIDTH$} {:<NAME_WIDTH$} {:<FIELD_WIDTH$} {:<VALUE_WIDTH$} COMPETING",
        "ID", "NAME", "FIELD", "CURRENT"
    )
}

/// Column widths of the `list` table; longer cells are cut with `…` so the columns line up.
const ID_WIDTH: usize = 20;
const NAME_WIDTH: usize = 20;
const FIELD_WIDTH: usize = 18;
const VALUE_WIDTH: usize = 20;

/// `text` in at most `width` characters: cut, with `…` as the last one, when longer.
pub(crate) fn fit(text: &str, width: usize) -> Cow<'_, str> {
    if text.chars().count() <= width {
        return Cow::Borrowed(text);
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    Cow::Owned(cut)
}

/// One contact of the `list` table: a line per conflicted field. Ids are never cut (they
/// are what a person copies into `contact get`).
pub(crate) fn write_rows(out: &mut impl Write, contact: &Contact) -> std::io::Result<()> {
    for (i, conflict) in contact.conflicts().iter().enumerate() {
        let (id, name) = if i == 0 {
            (
                contact.id.as_str(),
                one_line(contact.name.as_deref().unwrap_or("-")),
            )
        } else {
            ("", Cow::Borrowed(""))
        };
        let current = conflict.current.as_ref().map_or_else(
            || "-".to_owned(),
            |value| for_people(contact, &conflict.field, value),
        );
        let competing: Vec<String> = conflict.candidates.iter().map(text).collect();
        let field = one_line(&conflict.field.to_string()).into_owned();
        writeln!(
            out,
            "{id:<ID_WIDTH$} {:<NAME_WIDTH$} {:<FIELD_WIDTH$} {:<VALUE_WIDTH$} {}",
            fit(&name, NAME_WIDTH),
            fit(&field, FIELD_WIDTH),
            fit(&current, VALUE_WIDTH),
            competing.join(" | ")
        )?;
    }
    Ok(())
}

/// A field's value for people: the manager's username (or id while the answer did not
/// carry it: `contacts.get` and the conflict entries have ids only); other values as text.
pub(crate) fn for_people(contact: &Contact, field: &ConflictField, value: &Value) -> String {
    match (field, &contact.contact_manager) {
        (ConflictField::Manager, Some(manager)) if value.as_str() == Some(manager.as_str()) => {
            one_line(manager.username().unwrap_or(manager.as_str())).into_owned()
        }
        _ => text(value),
    }
}

/// A contact for people: its fields, then its conflicts grouped by field.
pub(crate) fn show(out: &mut impl Write, contact: &Contact) -> std::io::Result<()> {
    writeln!(out, "id:       {}", contact.id)?;
    writeln!(
        out,
        "name:     {}",
        one_line(contact.name.as_deref().unwrap_or("-"))
    )?;
    let manager = contact.contact_manager.as_ref().map_or_else(
        || "-".to_owned(),
        |m| match m.username() {
            Some(username) => format!("{} ({username})", m.id()),
            None => m.id().to_string(),
        },
    );
    writeln!(out, "manager:  {manager}")?;
    for email in &contact.emails {
        writeln!(out, "email:    {}", email.address)?;
    }
    for phone in &contact.phones {
        writeln!(out, "phone:    {}", phone.phone_number)?;
    }
    for (key, value) in &contact.custom_fields {
        writeln!(out, "field:    {} = {}", one_line(key), text(value))?;
    }
    let conflicts = contact.conflicts();
    if conflicts.is_empty() {
        writeln!(out, "conflicts: none")?;
    }
    for conflict in conflicts {
        let competing: Vec<String> = conflict.candidates.iter().map(text).collect();
        writeln!(
            out,
            "conflict: {} could also be {}",
            conflict.field,
            competing.join(" | ")
        )?;
    }
    Ok(())
}
