//! `rocketchat-contacts`: list, resolve and watch contact conflicts from the shell.
//!
//! Connects with `ROCKETCHAT_URL` and either `ROCKETCHAT_USER_ID` + `ROCKETCHAT_AUTH_TOKEN` or
//! `ROCKETCHAT_USER` + `ROCKETCHAT_PASSWORD` (+ `ROCKETCHAT_2FA_CODE`), or runs against the
//! embedded fake server with `--demo`.
//!
//! Exit codes: 0 when the job is done, 1 when a call failed, a contact was left conflicted or
//! the run could not finish its final check, 2 for usage errors.
//!
//! `--output json` prints JSON for every command: `list` and `get` one document, `resolve` and
//! `watch` one JSON object per line (each outcome, then the summary). The tool prints no colour
//! of its own; `NO_COLOR` also turns off the colours of `--help`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{ColorChoice, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use futures_util::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use rocketchat_omnichannel::models::{ConflictField, Contact};
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::workflow::{
    Outcome, Plan, Policy, StopSignal, Summary, UnknownContacts, WatchEvent,
};
use rocketchat_omnichannel::{Client, ClientBuilder, Credentials, RetryPolicy};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "rocketchat-contacts",
    version,
    about = "List, resolve and watch Rocket.Chat contact conflicts",
    after_help = "Connects with ROCKETCHAT_URL and ROCKETCHAT_USER_ID + ROCKETCHAT_AUTH_TOKEN, or \
ROCKETCHAT_USER + ROCKETCHAT_PASSWORD (+ ROCKETCHAT_2FA_CODE).\n\n\
Examples:\n  rocketchat-contacts --demo conflicts list\n  \
rocketchat-contacts conflicts resolve --policy take-latest --dry-run"
)]
struct Cli {
    /// Run against an embedded fake Rocket.Chat with demo contacts instead of ROCKETCHAT_URL.
    #[arg(long, global = true)]
    demo: bool,
    /// Text for people, or JSON for programs.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Contacts with conflicts: list, resolve, watch.
    #[command(
        subcommand,
        after_help = "Example:\n  rocketchat-contacts conflicts resolve --policy keep-current --leave name"
    )]
    Conflicts(ConflictsCommand),
    /// One contact.
    #[command(
        subcommand,
        after_help = "Example:\n  rocketchat-contacts contact get 6819d3b3ae1a5d63bd2f7c4b"
    )]
    Contact(ContactCommand),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    /// Lines for people.
    Text,
    /// JSON for programs.
    Json,
}

#[derive(Subcommand)]
enum ConflictsCommand {
    /// Show every contact that has conflicts.
    #[command(after_help = "Examples:\n  rocketchat-contacts conflicts list\n  \
rocketchat-contacts conflicts list --output json --unknown exclude")]
    List {
        /// Whether contacts created automatically from visitors are listed too.
        #[arg(long, value_enum, default_value_t = Unknown::Include)]
        unknown: Unknown,
    },
    /// Resolve every contact that has conflicts by a policy.
    #[command(
        after_help = "Examples:\n  rocketchat-contacts conflicts resolve --policy take-latest --dry-run\n  \
rocketchat-contacts conflicts resolve --policy keep-current --leave name --deadline 10m"
    )]
    Resolve {
        #[command(flatten)]
        decide: Decide,
        /// Show what would be sent, send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Resolve calls in flight at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Give up on what is not done after this long (e.g. `90s`, `10m`).
        #[arg(long, value_parser = parse_duration)]
        deadline: Option<Duration>,
        /// Walks that may resolve something before a last one only counts what is left.
        #[arg(long, default_value_t = 3)]
        max_rounds: u32,
    },
    /// Keep resolving conflicts as they appear, until Ctrl-C or SIGTERM.
    #[command(
        after_help = "Example:\n  rocketchat-contacts conflicts watch --policy take-latest --interval 30s"
    )]
    Watch {
        #[command(flatten)]
        decide: Decide,
        /// Pause between passes (e.g. `30s`, `500ms`, `5m`).
        #[arg(long, value_parser = parse_duration, default_value = "30s")]
        interval: Duration,
        /// Resolve calls in flight at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Stop after this many passes (default: run until stopped).
        #[arg(long)]
        passes: Option<u64>,
    },
}

/// How each field is decided; shared by `resolve` and `watch`.
#[derive(clap::Args)]
struct Decide {
    /// How to decide each field.
    #[arg(long, value_enum)]
    policy: PolicyName,
    /// Leave this field's conflicts for a human: `name`, `manager` or `customFields.KEY`
    /// (repeat or separate with commas). Such contacts are reported partly resolved.
    #[arg(long, value_delimiter = ',')]
    leave: Vec<String>,
    /// Send `wipeConflicts`, clearing every conflict of a contact, including fields no
    /// decision covered. Ignored for contacts with a field left for a human.
    #[arg(long)]
    wipe_undecided: bool,
    /// Whether contacts created automatically from visitors are resolved too.
    #[arg(long, value_enum, default_value_t = Unknown::Include)]
    unknown: Unknown,
}

impl Decide {
    fn policy(&self) -> Policy {
        let policy = match self.policy {
            PolicyName::KeepCurrent => Policy::keep_current(),
            PolicyName::TakeLatest => Policy::take_latest(),
            PolicyName::LeaveAll => Policy::custom("leave-all", |_| {
                rocketchat_omnichannel::workflow::Decision::Leave
            }),
        };
        let leave: Vec<ConflictField> = self
            .leave
            .iter()
            .filter(|f| !f.trim().is_empty())
            .map(|f| ConflictField::parse(f.trim()))
            .collect();
        let policy = if leave.is_empty() {
            policy
        } else {
            policy.leaving(leave)
        };
        policy.wipe_undecided(self.wipe_undecided)
    }
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Print a contact: its fields and conflicts, or the whole document with `--output json`.
    #[command(
        after_help = "Examples:\n  rocketchat-contacts contact get 6819d3b3ae1a5d63bd2f7c4b\n  \
rocketchat-contacts --output json contact get 6819d3b3ae1a5d63bd2f7c4b"
    )]
    Get {
        /// The contact's id.
        id: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PolicyName {
    /// Keep every current value and drop the competing ones.
    KeepCurrent,
    /// Take the most recent competing value of every field.
    TakeLatest,
    /// Decide nothing: report what is waiting for a human.
    LeaveAll,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Unknown {
    /// Include them.
    Include,
    /// Leave them out.
    Exclude,
}

impl From<Unknown> for UnknownContacts {
    fn from(unknown: Unknown) -> Self {
        match unknown {
            Unknown::Include => UnknownContacts::Include,
            Unknown::Exclude => UnknownContacts::Exclude,
        }
    }
}

/// `30s`, `500ms`, `5m`, `1h`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 30s, 500ms or 5m"))?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is out of range"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

type BoxError = Box<dyn std::error::Error>;

/// The client, and the fake server kept alive while it is used.
async fn connect(demo: bool) -> Result<(Client, Option<FakeRocketChat>), BoxError> {
    if demo {
        let fake = FakeRocketChat::builder().demo_data().start().await?;
        let client = Client::builder(fake.uri())
            .credentials(Credentials::token(
                DemoData::AGENT_ID,
                DemoData::AGENT_TOKEN,
            ))
            .build()?;
        return Ok((client, Some(fake)));
    }
    if env("ROCKETCHAT_URL").is_none() {
        return Err("set ROCKETCHAT_URL and credentials (or use --demo)".into());
    }
    // Reads are retried through passing 502-504s; 429s are paced and waited out by the
    // workflow, and retried here for single calls.
    let client = ClientBuilder::from_env()?
        .retry(RetryPolicy::standard())
        .connect()
        .await?;
    Ok((client, None))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prints the conflicted contacts as they arrive, page by page, so a workspace of any size
/// lists in constant memory.
async fn list(client: &Client, output: Output, unknown: Unknown) -> Result<(), BoxError> {
    let mut contacts = std::pin::pin!(client.conflicted_contacts(unknown.into()));
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut count = 0usize;
    if output == Output::Json {
        write!(stdout, "[")?;
    }
    while let Some(contact) = contacts.try_next().await? {
        count += 1;
        match output {
            Output::Json => {
                let separator = if count == 1 { "\n" } else { ",\n" };
                let row = serde_json::to_string_pretty(&list_row(&contact))?;
                write!(stdout, "{separator}{row}")?;
            }
            Output::Text => {
                if count == 1 {
                    writeln!(
                        stdout,
                        "{:<20} {:<20} {:<18} {:<20} COMPETING",
                        "ID", "NAME", "FIELD", "CURRENT"
                    )?;
                }
                write_rows(&mut stdout, &contact)?;
            }
        }
    }
    match output {
        Output::Json => writeln!(stdout, "{}]", if count == 0 { "" } else { "\n" })?,
        Output::Text if count == 0 => writeln!(stdout, "no contact has conflicts")?,
        Output::Text => writeln!(stdout, "{count} contact(s) with conflicts")?,
    }
    stdout.flush()?;
    Ok(())
}

/// One contact of `list --output json`.
fn list_row(contact: &Contact) -> Value {
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

/// One contact of the `list` table: a line per conflicted field.
fn write_rows(out: &mut impl Write, contact: &Contact) -> std::io::Result<()> {
    for (i, conflict) in contact.conflicts().iter().enumerate() {
        let (id, name) = if i == 0 {
            (contact.id.as_str(), contact.name.as_deref().unwrap_or("-"))
        } else {
            ("", "")
        };
        let current = conflict
            .current
            .as_ref()
            .map_or_else(|| "-".to_owned(), text);
        let competing: Vec<String> = conflict.candidates.iter().map(text).collect();
        writeln!(
            out,
            "{id:<20} {name:<20} {:<18} {current:<20} {}",
            conflict.field.to_string(),
            competing.join(" | ")
        )?;
    }
    Ok(())
}

fn describe(plan: &Plan) -> String {
    let changes: Vec<String> = plan
        .changes()
        .map(|(field, value)| format!("{field}={}", text(value)))
        .collect();
    let mut description = if changes.is_empty() {
        "keep current values".to_owned()
    } else {
        format!("set {}", changes.join(", "))
    };
    let left: Vec<String> = plan.left().map(ToString::to_string).collect();
    if !left.is_empty() {
        description.push_str(&format!("; left for a human: {}", left.join(", ")));
    }
    description
}

/// One line per outcome; `None` for outcomes this tool does not know.
fn line(outcome: &Outcome) -> Option<String> {
    Some(match outcome {
        Outcome::Resolved { plan, .. } => {
            format!("resolved {}: {}", plan.contact_id, describe(plan))
        }
        Outcome::PartlyResolved { plan, .. } => {
            format!("partly resolved {}: {}", plan.contact_id, describe(plan))
        }
        Outcome::Planned { plan } => {
            format!("would resolve {}: {}", plan.contact_id, describe(plan))
        }
        Outcome::Deferred { plan } => {
            format!("left for a human {}: {}", plan.contact_id, describe(plan))
        }
        Outcome::Skipped { contact_id } => format!("skipped {contact_id}: no conflicts left"),
        Outcome::Gone { contact_id } => format!("gone {contact_id}: deleted during the run"),
        Outcome::Failed { contact_id, error } => format!("failed {contact_id}: {error}"),
        Outcome::Abandoned { contact_id } => {
            format!("abandoned {contact_id}: the deadline passed before it could be sent")
        }
        Outcome::ListingFailed(error) => format!("could not list contacts: {error}"),
        _ => return None,
    })
}

fn summary_line(summary: &Summary) -> String {
    format!(
        "{} seen: {} resolved, {} partly resolved, {} left for a human, {} skipped, {} gone, \
         {} failed, {} abandoned; {} left conflicted{}",
        summary.seen,
        summary.resolved,
        summary.partly_resolved,
        summary.deferred,
        summary.skipped,
        summary.gone,
        summary.failed,
        summary.abandoned,
        summary.left_conflicted,
        if summary.complete {
            ""
        } else {
            " (final check incomplete)"
        },
    )
}

fn progress_bar() -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} contacts {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    })
}

/// An outcome as one JSON object, for `--output json`.
fn outcome_json(outcome: &Outcome) -> Option<Value> {
    let (kind, id, plan, error) = match outcome {
        Outcome::Resolved { plan, .. } => ("resolved", plan.contact_id.as_str(), Some(plan), None),
        Outcome::PartlyResolved { plan, .. } => (
            "partly_resolved",
            plan.contact_id.as_str(),
            Some(plan),
            None,
        ),
        Outcome::Planned { plan } => ("planned", plan.contact_id.as_str(), Some(plan), None),
        Outcome::Deferred { plan } => (
            "left_for_a_human",
            plan.contact_id.as_str(),
            Some(plan),
            None,
        ),
        Outcome::Skipped { contact_id } => ("skipped", contact_id.as_str(), None, None),
        Outcome::Gone { contact_id } => ("gone", contact_id.as_str(), None, None),
        Outcome::Failed { contact_id, error } => {
            ("failed", contact_id.as_str(), None, Some(error.to_string()))
        }
        Outcome::Abandoned { contact_id } => ("abandoned", contact_id.as_str(), None, None),
        Outcome::ListingFailed(error) => ("listing_failed", "", None, Some(error.to_string())),
        _ => return None,
    };
    let mut object = json!({"outcome": kind});
    if !id.is_empty() {
        object["contactId"] = json!(id);
    }
    if let Some(plan) = plan {
        let set: serde_json::Map<String, Value> = plan
            .changes()
            .map(|(field, value)| (field.to_string(), value.clone()))
            .collect();
        let left: Vec<String> = plan.left().map(ToString::to_string).collect();
        object["set"] = Value::Object(set);
        object["leftForAHuman"] = json!(left);
    }
    if let Some(error) = error {
        object["error"] = json!(error);
    }
    Some(object)
}

fn summary_json(summary: &Summary) -> Value {
    json!({
        "summary": {
            "seen": summary.seen,
            "resolved": summary.resolved,
            "partlyResolved": summary.partly_resolved,
            "leftForAHuman": summary.deferred,
            "planned": summary.planned,
            "skipped": summary.skipped,
            "gone": summary.gone,
            "failed": summary.failed,
            "abandoned": summary.abandoned,
            "leftConflicted": summary.left_conflicted,
            "awaitingHuman": summary.awaiting_human,
            "walks": summary.rounds,
            "rateLimited": summary.rate_limited,
            "complete": summary.complete,
        }
    })
}

/// Prints an outcome: one line per contact, above the progress bar on a terminal (the bar
/// stays at the bottom), else on stdout; one JSON object per line with `--output json`.
fn report(bar: Option<&ProgressBar>, outcome: &Outcome, output: Output) {
    let line = match output {
        Output::Text => line(outcome),
        Output::Json => outcome_json(outcome).map(|object| object.to_string()),
    };
    let Some(line) = line else { return };
    match bar {
        Some(bar) => {
            bar.inc(1);
            bar.println(line);
        }
        None => println!("{line}"),
    }
}

/// Raises `stop` on Ctrl-C or SIGTERM; a second signal quits at once (exit code 130).
fn stop_on_signals(stop: &StopSignal) {
    let stop = stop.clone();
    tokio::spawn(async move {
        next_signal().await;
        eprintln!("stopping: finishing the calls in flight (signal again to quit at once)");
        stop.stop();
        next_signal().await;
        eprintln!("quitting without waiting for the calls in flight");
        std::process::exit(130);
    });
}

/// Waits for Ctrl-C or (on Unix) SIGTERM.
async fn next_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

struct ResolveOptions {
    output: Output,
    dry_run: bool,
    concurrency: usize,
    deadline: Option<Duration>,
    max_rounds: u32,
}

async fn resolve(
    client: &Client,
    decide: &Decide,
    options: ResolveOptions,
) -> Result<bool, BoxError> {
    let started = Instant::now();
    let stop = StopSignal::new();
    stop_on_signals(&stop);
    let mut run = client
        .resolve_all(decide.policy())
        .dry_run(options.dry_run)
        .concurrency(options.concurrency)
        .max_rounds(options.max_rounds)
        .unknown(decide.unknown.into())
        .stop_signal(&stop);
    if let Some(deadline) = options.deadline {
        run = run.deadline(deadline);
    }
    let bar = progress_bar().filter(|_| options.output == Output::Text);
    let mut outcomes = run.into_stream();
    while let Some(outcome) = outcomes.next().await {
        report(bar.as_ref(), &outcome, options.output);
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
    if options.output == Output::Json {
        let mut object = summary_json(&summary);
        object["summary"]["seconds"] = json!(started.elapsed().as_secs_f64());
        object["summary"]["dryRun"] = json!(options.dry_run);
        println!("{object}");
        std::io::stdout().flush()?;
        return Ok(if options.dry_run {
            summary.complete && summary.failed == 0
        } else {
            summary.is_clean()
        });
    }
    if options.dry_run {
        println!(
            "dry run: {} contact(s) would be resolved, {} left for a human",
            summary.planned, summary.deferred
        );
        std::io::stdout().flush()?;
        return Ok(summary.complete && summary.failed == 0);
    }
    println!("{}", summary_line(&summary));
    println!(
        "{} walk(s), {} rate-limited answer(s), {:.1} s",
        summary.rounds,
        summary.rate_limited,
        started.elapsed().as_secs_f64()
    );
    std::io::stdout().flush()?;
    Ok(summary.is_clean())
}

async fn watch(
    client: &Client,
    output: Output,
    decide: &Decide,
    interval: Duration,
    concurrency: usize,
    passes: Option<u64>,
) -> Result<bool, BoxError> {
    let stop = StopSignal::new();
    stop_on_signals(&stop);
    let mut watcher = client
        .watch_conflicts(decide.policy())
        .interval(interval)
        .concurrency(concurrency)
        .unknown(decide.unknown.into())
        .stop_signal(&stop);
    if let Some(passes) = passes {
        watcher = watcher.passes(passes);
    }
    let mut events = watcher.into_stream();
    let (mut done, mut last_ok) = (0u64, true);
    while let Some(event) = events.next().await {
        match event {
            WatchEvent::Outcome(outcome) => report(None, &outcome, output),
            WatchEvent::PassFinished { pass, summary } => {
                match output {
                    Output::Text => println!("pass {pass}: {}", summary_line(&summary)),
                    Output::Json => {
                        let mut object = summary_json(&summary);
                        object["summary"]["pass"] = json!(pass);
                        println!("{object}");
                    }
                }
                done = pass;
                // A pass cut short by the stop signal is not a failure; one that could not
                // list, failed a call or left contacts conflicted is.
                last_ok = summary.is_clean()
                    || (stop.is_stopped() && summary.failed == 0 && summary.left_conflicted == 0);
            }
            _ => {}
        }
        std::io::stdout().flush()?;
    }
    match output {
        Output::Text => println!(
            "watch stopped after {done} pass(es){}",
            if stop.is_stopped() { " (signal)" } else { "" }
        ),
        Output::Json => println!(
            "{}",
            json!({"stopped": {"passes": done, "signal": stop.is_stopped()}})
        ),
    }
    std::io::stdout().flush()?;
    Ok(last_ok)
}

async fn run(cli: Cli) -> Result<bool, BoxError> {
    let (client, _fake) = connect(cli.demo).await?;
    match cli.command {
        Command::Conflicts(ConflictsCommand::List { unknown }) => {
            list(&client, cli.output, unknown).await.map(|()| true)
        }
        Command::Conflicts(ConflictsCommand::Resolve {
            decide,
            dry_run,
            concurrency,
            deadline,
            max_rounds,
        }) => {
            let options = ResolveOptions {
                output: cli.output,
                dry_run,
                concurrency,
                deadline,
                max_rounds,
            };
            resolve(&client, &decide, options).await
        }
        Command::Conflicts(ConflictsCommand::Watch {
            decide,
            interval,
            concurrency,
            passes,
        }) => watch(&client, cli.output, &decide, interval, concurrency, passes).await,
        Command::Contact(ContactCommand::Get { id }) => {
            let contact = client.get_contact(id).await?;
            match cli.output {
                Output::Json => println!("{}", serde_json::to_string_pretty(&contact)?),
                Output::Text => show(&contact),
            }
            Ok(true)
        }
    }
}

/// A contact for people: its fields, then its conflicts grouped by field.
fn show(contact: &Contact) {
    println!("id:       {}", contact.id);
    println!("name:     {}", contact.name.as_deref().unwrap_or("-"));
    let manager = contact.contact_manager.as_ref().map_or_else(
        || "-".to_owned(),
        |m| match m.username() {
            Some(username) => format!("{} ({username})", m.id()),
            None => m.id().to_string(),
        },
    );
    println!("manager:  {manager}");
    for email in &contact.emails {
        println!("email:    {}", email.address);
    }
    for phone in &contact.phones {
        println!("phone:    {}", phone.phone_number);
    }
    for (key, value) in &contact.custom_fields {
        println!("field:    {key} = {}", text(value));
    }
    let conflicts = contact.conflicts();
    if conflicts.is_empty() {
        println!("conflicts: none");
    }
    for conflict in conflicts {
        let competing: Vec<String> = conflict.candidates.iter().map(text).collect();
        println!(
            "conflict: {} could also be {}",
            conflict.field,
            competing.join(" | ")
        );
    }
}

/// Parses the arguments; `NO_COLOR` (any non-empty value) turns off colour in help and errors.
fn parse_args() -> Cli {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut command = Cli::command();
    if no_color {
        command = command.color(ColorChoice::Never);
    }
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = parse_args();
    match run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
