//! `rocketchat-contacts`: list and resolve contact conflicts from the shell.
//!
//! Connects with `ROCKETCHAT_URL` and either `ROCKETCHAT_USER_ID` + `ROCKETCHAT_AUTH_TOKEN` or
//! `ROCKETCHAT_USER` + `ROCKETCHAT_PASSWORD` (+ `ROCKETCHAT_2FA_CODE`), or runs against the
//! embedded fake server with `--demo`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use futures_util::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use rocketchat_omnichannel::models::Contact;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::workflow::{Outcome, Plan, Policy};
use rocketchat_omnichannel::{Client, Credentials, RetryPolicy};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "rocketchat-contacts",
    version,
    about = "List and resolve Rocket.Chat contact conflicts"
)]
struct Cli {
    /// Run against an embedded fake Rocket.Chat with demo contacts instead of ROCKETCHAT_URL.
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Contacts with conflicts.
    #[command(subcommand)]
    Conflicts(ConflictsCommand),
    /// One contact.
    #[command(subcommand)]
    Contact(ContactCommand),
}

#[derive(Subcommand)]
enum ConflictsCommand {
    /// Show every contact that has conflicts.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Resolve every contact that has conflicts by a policy.
    Resolve {
        /// How to decide each field.
        #[arg(long, value_enum)]
        policy: PolicyName,
        /// Show what would be sent, send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Resolve calls in flight at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
}

#[derive(Subcommand)]
enum ContactCommand {
    /// Print a contact as JSON.
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
    let url = env("ROCKETCHAT_URL").ok_or("set ROCKETCHAT_URL (or use --demo)")?;
    // Reads are retried through 429s and passing 502-504s; resolves only through 429s.
    let builder = Client::builder(url).retry(RetryPolicy::standard());
    if let (Some(user_id), Some(token)) = (env("ROCKETCHAT_USER_ID"), env("ROCKETCHAT_AUTH_TOKEN"))
    {
        return Ok((
            builder
                .credentials(Credentials::token(user_id, token))
                .build()?,
            None,
        ));
    }
    let (Some(user), Some(password)) = (env("ROCKETCHAT_USER"), env("ROCKETCHAT_PASSWORD")) else {
        return Err("set ROCKETCHAT_USER_ID and ROCKETCHAT_AUTH_TOKEN, or ROCKETCHAT_USER and ROCKETCHAT_PASSWORD".into());
    };
    let client = builder.build()?;
    let mut login = client.login(user, password);
    if let Some(code) = env("ROCKETCHAT_2FA_CODE") {
        login = login.two_factor_code(code);
    }
    login.await?;
    Ok((client, None))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn list(client: &Client, as_json: bool) -> Result<(), BoxError> {
    let contacts: Vec<Contact> = client
        .search_contacts()
        .into_stream()
        .try_filter(|c| std::future::ready(c.has_conflicts()))
        .try_collect()
        .await?;
    if as_json {
        let rows: Vec<Value> = contacts
            .iter()
            .map(|c| {
                let conflicts: Vec<Value> = c
                    .conflicts()
                    .iter()
                    .map(|f| json!({"field": f.field.to_string(), "current": f.current, "candidates": f.candidates}))
                    .collect();
                json!({"id": c.id, "name": c.name, "conflicts": conflicts})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if contacts.is_empty() {
        println!("no contact has conflicts");
        return Ok(());
    }
    println!(
        "{:<20} {:<20} {:<18} {:<20} COMPETING",
        "ID", "NAME", "FIELD", "CURRENT"
    );
    for contact in &contacts {
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
            println!(
                "{id:<20} {name:<20} {:<18} {current:<20} {}",
                conflict.field.to_string(),
                competing.join(" | ")
            );
        }
    }
    println!("{} contact(s) with conflicts", contacts.len());
    Ok(())
}

fn describe(plan: &Plan) -> String {
    let changes: Vec<String> = plan
        .changes()
        .map(|(field, value)| format!("{field}={}", text(value)))
        .collect();
    if changes.is_empty() {
        "keep current values".to_owned()
    } else {
        format!("set {}", changes.join(", "))
    }
}

async fn resolve(
    client: &Client,
    policy: PolicyName,
    dry_run: bool,
    concurrency: usize,
) -> Result<bool, BoxError> {
    let policy = match policy {
        PolicyName::KeepCurrent => Policy::keep_current(),
        PolicyName::TakeLatest => Policy::take_latest(),
    };
    let terminal = std::io::stderr().is_terminal();
    let bar = terminal.then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} contacts {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    let (mut resolved, mut planned, mut skipped, mut failed) = (0usize, 0usize, 0usize, 0usize);
    let mut outcomes = std::pin::pin!(
        client
            .resolve_all(policy)
            .dry_run(dry_run)
            .concurrency(concurrency)
            .into_stream()
    );
    while let Some(outcome) = outcomes.next().await {
        let line = match &outcome {
            Outcome::Resolved { plan, .. } => {
                resolved += 1;
                format!("resolved {}: {}", plan.contact_id, describe(plan))
            }
            Outcome::Planned { plan } => {
                planned += 1;
                format!("would resolve {}: {}", plan.contact_id, describe(plan))
            }
            Outcome::Skipped { contact_id } => {
                skipped += 1;
                format!("skipped {contact_id}: no conflicts left")
            }
            Outcome::Failed { contact_id, error } => {
                failed += 1;
                format!("failed {contact_id}: {error}")
            }
            Outcome::ListingFailed(error) => {
                failed += 1;
                format!("could not list contacts: {error}")
            }
            _ => continue,
        };
        match &bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(format!(
                    "({resolved} resolved, {skipped} skipped, {failed} failed)"
                ));
                if outcome.is_failure() || dry_run {
                    bar.println(line);
                }
            }
            None => println!("{line}"),
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary = if dry_run {
        format!("dry run: {planned} contact(s) would be resolved")
    } else {
        format!("{resolved} resolved, {skipped} skipped, {failed} failed")
    };
    println!("{summary}");
    std::io::stdout().flush()?;
    Ok(failed == 0)
}

async fn run(cli: Cli) -> Result<bool, BoxError> {
    let (client, _fake) = connect(cli.demo).await?;
    match cli.command {
        Command::Conflicts(ConflictsCommand::List { json }) => {
            list(&client, json).await.map(|()| true)
        }
        Command::Conflicts(ConflictsCommand::Resolve {
            policy,
            dry_run,
            concurrency,
        }) => resolve(&client, policy, dry_run, concurrency).await,
        Command::Contact(ContactCommand::Get { id }) => {
            let contact = client.get_contact(id).await?;
            println!("{}", serde_json::to_string_pretty(&contact)?);
            Ok(true)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
