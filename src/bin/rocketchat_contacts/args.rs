//! The command line: what the user can type, parsed by clap.

use std::time::Duration;

use clap::{ColorChoice, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use rocketchat_omnichannel::models::ConflictField;
use rocketchat_omnichannel::workflow::{Decision, Policy};

#[derive(Parser)]
#[command(
    name = "rocketchat-contacts",
    version,
    about = "List, resolve and watch Rocket.Chat contact conflicts",
    after_help = "Connects with ROCKETCHAT_URL and ROCKETCHAT_USER_ID + ROCKETCHAT_AUTH_TOKEN, or \
ROCKETCHAT_USER + ROCKETCHAT_PASSWORD (+ ROCKETCHAT_2FA_CODE).\n\n\
Examples:\n  rocketchat-contacts --demo conflicts list\n  \
rocketchat-contacts conflicts resolve --policy take-incoming --dry-run"
)]
pub(crate) struct Cli {
    /// Run against an embedded fake Rocket.Chat with demo contacts instead of ROCKETCHAT_URL.
    #[arg(long, global = true)]
    pub(crate) demo: bool,
    /// Text for people, or JSON for programs.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
    /// Allow plain http:// to a host that is not loopback (e.g. http://rocketchat:3000 in a
    /// compose network; also ROCKETCHAT_ALLOW_INSECURE_HTTP=1). The token travels in clear.
    #[arg(long, global = true)]
    pub(crate) allow_insecure_http: bool,
    /// On an error from the server, print its whole answer too (the message shows one line).
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
    /// Serve /metrics (Prometheus), /livez and /readyz on HOST:PORT while `watch`, `resolve`
    /// or `apply` runs (e.g. 127.0.0.1:9464; binding beyond loopback is your choice).
    #[arg(long, global = true, value_name = "HOST:PORT")]
    pub(crate) metrics_addr: Option<String>,
    /// Logs on stderr as text or JSON lines (default: text on a terminal, JSON otherwise);
    /// RUST_LOG filters them (default `warn`).
    #[arg(long, global = true, value_enum)]
    pub(crate) log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Contacts with conflicts: list, resolve, watch, plan, apply, review, undo.
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
pub(crate) enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Lines for people.
    Text,
    /// JSON for programs.
    Json,
}

#[derive(Subcommand)]
pub(crate) enum ConflictsCommand {
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
        after_help = "Examples:\n  rocketchat-contacts conflicts resolve --policy take-incoming --dry-run\n  \
rocketchat-contacts conflicts resolve --policy keep-current --leave name --deadline 10m"
    )]
    Resolve(ResolveArgs),
    /// Keep resolving conflicts as they appear, until Ctrl-C or SIGTERM.
    #[command(
        after_help = "Example:\n  rocketchat-contacts conflicts watch --policy take-incoming --interval 30s"
    )]
    Watch(WatchArgs),
    /// Decide every conflicted contact and save the plan; change nothing. Prints, per
    /// contact, current → new and every value that would be discarded.
    #[command(
        after_help = "Example:\n  rocketchat-contacts conflicts plan --policy take-incoming --leave manager --out plan.json"
    )]
    Plan(PlanArgs),
    /// Apply a saved plan, journalling every call; contacts changed since the plan are
    /// skipped and listed. Exit code 1 when anything was skipped or failed.
    #[command(
        after_help = "Example:\n  rocketchat-contacts conflicts apply plan.json --journal run.jsonl\n\n\
Run it again with the same journal after an interruption: contacts done are not sent again."
    )]
    Apply {
        /// The plan file (`conflicts plan --out`).
        plan: std::path::PathBuf,
        /// The journal to write (and, when it exists, to resume from).
        #[arg(long)]
        journal: std::path::PathBuf,
        /// Apply contacts that changed since the plan anyway.
        #[arg(long)]
        force: bool,
    },
    /// A person decides contact by contact at a terminal, from the server's conflicted
    /// contacts (not from a plan file): each field's current value and alternatives, a
    /// choice per field, then resolve. Writes a journal (review.jsonl unless --journal).
    #[command(
        after_help = "Example:\n  rocketchat-contacts conflicts review --journal review.jsonl\n\n\
Keys: a number picks a value, Enter keeps the current one, s skips the contact, q quits."
    )]
    Review {
        /// The journal to write.
        #[arg(long)]
        journal: Option<std::path::PathBuf>,
    },
    /// Put back the values a journal's run wrote, where nobody changed them since.
    #[command(after_help = "Example:\n  rocketchat-contacts conflicts undo run.jsonl")]
    Undo {
        /// The journal of the run to undo.
        journal: std::path::PathBuf,
    },
}

/// `conflicts plan`.
#[derive(clap::Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) decide: Decide,
    /// Where to write the plan (JSON).
    #[arg(long)]
    pub(crate) out: std::path::PathBuf,
}

/// `conflicts resolve`.
#[derive(clap::Args)]
pub(crate) struct ResolveArgs {
    #[command(flatten)]
    pub(crate) decide: Decide,
    /// Show what would be sent, send nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Resolve calls in flight at once.
    #[arg(long, default_value_t = 4)]
    pub(crate) concurrency: usize,
    /// Give up on what is not done after this long (e.g. `90s`, `10m`).
    #[arg(long, value_parser = parse_duration)]
    pub(crate) deadline: Option<Duration>,
    /// Walks that may resolve something before a last one only counts what is left.
    #[arg(long, default_value_t = 3)]
    pub(crate) max_rounds: u32,
    /// Record every resolve call in this journal (JSON Lines; `conflicts undo` reads it).
    #[arg(long)]
    pub(crate) journal: Option<std::path::PathBuf>,
}

/// `conflicts watch`.
#[derive(clap::Args)]
pub(crate) struct WatchArgs {
    #[command(flatten)]
    pub(crate) decide: Decide,
    /// Pause between passes (e.g. `30s`, `500ms`, `5m`).
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub(crate) interval: Duration,
    /// Resolve calls in flight at once.
    #[arg(long, default_value_t = 4)]
    pub(crate) concurrency: usize,
    /// Stop after this many passes (default: run until stopped).
    #[arg(long)]
    pub(crate) passes: Option<u64>,
    /// After the first pass, passes list only contacts written since the previous one; every
    /// this long (default 3h) a pass lists every contact anyway.
    #[arg(long, value_parser = parse_duration)]
    pub(crate) full_pass_every: Option<Duration>,
    /// List every contact on every pass (no listing of changes only).
    #[arg(long)]
    pub(crate) always_full: bool,
    /// Post the contacts each pass leaves for a person to this room (a room id, or
    /// `#channel`), at most one message per pass. Checked at start with a first message.
    #[arg(long, value_name = "ROOM")]
    pub(crate) notify_room: Option<String>,
    /// Record every resolve call in this journal (JSON Lines; `conflicts undo` reads it).
    #[arg(long)]
    pub(crate) journal: Option<std::path::PathBuf>,
}

/// How each field is decided; shared by `resolve` and `watch`.
#[derive(clap::Args)]
pub(crate) struct Decide {
    /// How to decide each field.
    #[arg(long, value_enum)]
    policy: PolicyName,
    /// Keep this field's current value whatever the policy decides: `name`, `manager` or
    /// `customFields.KEY` (repeat or separate with commas). E.g. `--policy take-incoming
    /// --keep manager` takes the newest name but keeps the manager.
    #[arg(long, value_delimiter = ',', value_name = "FIELD")]
    keep: Vec<String>,
    /// Leave this field's conflicts for a person: `name`, `manager` or `customFields.KEY`
    /// (repeat or separate with commas). Such contacts are reported partly resolved.
    #[arg(long, value_delimiter = ',', value_name = "FIELD")]
    leave: Vec<String>,
    /// Leave the whole contact for a person (nothing of it is resolved) when this field is in
    /// conflict: `name`, `manager` or `customFields.KEY` (repeat or separate with commas).
    #[arg(long, value_delimiter = ',', value_name = "FIELD")]
    leave_contact_if: Vec<String>,
    /// Send `wipeConflicts`, clearing every conflict of a contact, including fields no
    /// decision covered. Ignored for contacts with a field left for a person.
    #[arg(long)]
    wipe_undecided: bool,
    /// Whether contacts created automatically from visitors are resolved too.
    #[arg(long, value_enum, default_value_t = Unknown::Include)]
    pub(crate) unknown: Unknown,
}

impl Decide {
    pub(crate) fn policy(&self) -> Policy {
        let fields = |names: &[String]| -> Vec<ConflictField> {
            names
                .iter()
                .filter(|f| !f.trim().is_empty())
                .map(|f| ConflictField::parse(f.trim()))
                .collect()
        };
        let keep = fields(&self.keep);
        let policy = match self.policy {
            PolicyName::KeepCurrent => Policy::keep_current(),
            PolicyName::TakeIncoming if keep.is_empty() => Policy::take_incoming(),
            // The newest value, for every field but those kept.
            PolicyName::TakeIncoming => Policy::prefer(move |field, _| !keep.contains(field)),
            PolicyName::LeaveAll => Policy::custom("leave-all", move |conflict| {
                if keep.contains(&conflict.field) {
                    Decision::KeepCurrent
                } else {
                    Decision::Leave
                }
            }),
        };
        let (leave, leave_contact) = (fields(&self.leave), fields(&self.leave_contact_if));
        let policy = if leave.is_empty() {
            policy
        } else {
            policy.leaving(leave)
        };
        let policy = if leave_contact.is_empty() {
            policy
        } else {
            policy.leaving_contact_when(leave_contact)
        };
        policy.wipe_undecided(self.wipe_undecided)
    }
}

#[derive(Subcommand)]
pub(crate) enum ContactCommand {
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
    /// Take the last competing value recorded for every field (conflict entries carry no
    /// time: it can be older than the current value).
    TakeIncoming,
    /// Decide nothing: report what is waiting for a person.
    LeaveAll,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Unknown {
    /// Include them.
    Include,
    /// Leave them out.
    Exclude,
}

impl From<Unknown> for Option<bool> {
    /// The listings to walk: both, or only known contacts.
    fn from(unknown: Unknown) -> Self {
        match unknown {
            Unknown::Include => None,
            Unknown::Exclude => Some(false),
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

/// Parses the arguments; `NO_COLOR` (any non-empty value) turns off colour in help and errors.
pub(crate) fn parse() -> Cli {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut command = Cli::command();
    if no_color {
        command = command.color(ColorChoice::Never);
    }
    let matches = command.get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let decide = match &cli.command {
        Command::Conflicts(
            ConflictsCommand::Resolve(ResolveArgs { decide, .. })
            | ConflictsCommand::Watch(WatchArgs { decide, .. })
            | ConflictsCommand::Plan(PlanArgs { decide, .. }),
        ) => Some(decide),
        _ => None,
    };
    if let Some(field) = decide.and_then(|d| {
        d.keep
            .iter()
            .find(|f| d.leave.contains(f) || d.leave_contact_if.contains(f))
    }) {
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!("`{field}` is both kept (--keep) and left for a person (--leave)"),
            )
            .exit();
    }
    cli
}
