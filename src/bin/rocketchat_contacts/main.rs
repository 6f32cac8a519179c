//! `rocketchat-contacts`: list, resolve and watch contact conflicts from the shell.
//!
//! Connects with `ROCKETCHAT_URL` and either `ROCKETCHAT_USER_ID` + `ROCKETCHAT_AUTH_TOKEN` or
//! `ROCKETCHAT_USER` + `ROCKETCHAT_PASSWORD` (+ `ROCKETCHAT_2FA_CODE`), or runs against the
//! embedded fake server with `--demo`.
//!
//! A session opened with a password is logged out on the way out; a given token is kept.
//!
//! Exit codes: 0 when the job is done, 1 when a call failed, a contact was left conflicted or
//! the run could not finish its final check, 2 for usage errors (also an address that
//! cannot be bound, a `RUST_LOG` that does not parse, a room that does not exist), 141 without a word when the
//! reader of a pipe went away (`… | head`), as for a program the pipe's signal ended.
//!
//! `--output json` prints JSON for every command: `list` and `get` one document, `resolve` and
//! `watch` one JSON object per line (each outcome as `Outcome` serialises, then the summary
//! as `Summary` does). The tool prints no colour of its own; `NO_COLOR` also turns off the
//! colours of `--help`.
//!
//! Layout: `args.rs` (what can be typed), `commands/` (one module per command), `output.rs`
//! (what is printed), `service.rs` (logs, metrics and health), `notify.rs` (`--notify-room`),
//! `signals.rs` (Ctrl-C and SIGTERM).

mod args;
mod commands;
mod notify;
mod output;
mod service;
mod signals;

use std::process::ExitCode;

use args::{Cli, Command, ConflictsCommand, ContactCommand};
use commands::BoxError;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::{
    ApiError, Client, ClientBuilder, Credentials, LoginError, RetryPolicy,
};

/// The client, and the fake server kept alive while it is used.
async fn connect(
    demo: bool,
    allow_insecure_http: bool,
) -> Result<(Client, Option<FakeRocketChat>), BoxError> {
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
    let url = std::env::var("ROCKETCHAT_URL").unwrap_or_default();
    if url.is_empty() {
        return Err("set ROCKETCHAT_URL and credentials (or use --demo)".into());
    }
    // Reads are retried through passing 502-504s; 429s are paced and waited out by the
    // workflow, and retried here for single calls.
    let mut builder = match ClientBuilder::from_env() {
        Ok(builder) => builder,
        Err(error) => return Err(unresolved_host(&url).await.unwrap_or(error.into())),
    };
    builder = builder.retry(RetryPolicy::standard());
    if allow_insecure_http {
        builder = builder.allow_insecure_http(true);
    }
    let insecure = allow_insecure_http
        || std::env::var("ROCKETCHAT_ALLOW_INSECURE_HTTP").is_ok_and(|v| v.trim() == "1");
    if insecure && url.trim_start().to_ascii_lowercase().starts_with("http://") {
        eprintln!("warning: plain http allowed: the auth token and passwords travel in clear");
    }
    let client = match builder.connect().await {
        Ok(client) => client,
        // Only a failure to reach the server, or a refusal of the URL itself (plain http),
        // can be a misspelt name; a 401 or a TLS error says what it is.
        Err(error)
            if matches!(
                error.kind(),
                rocketchat_omnichannel::ErrorKind::HostNotFound
                    | rocketchat_omnichannel::ErrorKind::Transport
                    | rocketchat_omnichannel::ErrorKind::Configuration { .. }
            ) =>
        {
            return Err(unresolved_host(&url).await.unwrap_or(error.into()));
        }
        Err(error) => return Err(error.into()),
    };
    Ok((client, None))
}

/// When the URL's host name does not resolve, an error that says so: a typo is the first
/// thing to fix, before any advice about http or the server.
async fn unresolved_host(url: &str) -> Option<BoxError> {
    let url = url::Url::parse(url.trim()).ok()?;
    let Some(url::Host::Domain(host)) = url.host() else {
        return None;
    };
    let port = url.port_or_known_default()?;
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(std::time::Duration::from_secs(3), lookup).await {
        Ok(Err(_)) => Some(
            format!(
                "the host `{host}` in ROCKETCHAT_URL does not resolve: check the spelling \
                 (and that the machine can reach its DNS)"
            )
            .into(),
        ),
        Ok(Ok(_)) | Err(_) => None,
    }
}

/// The server's answer behind an error, if there was one.
fn answer_in(error: &(dyn std::error::Error + 'static)) -> Option<ApiError> {
    use rocketchat_omnichannel::omnichannel::contacts::{GetContactError, SearchContactsError};
    let mut next = Some(error);
    while let Some(error) = next {
        let found = if let Some(e) = error.downcast_ref::<rocketchat_omnichannel::Error>() {
            e.api_error()
        } else if let Some(e) = error.downcast_ref::<SearchContactsError>() {
            e.response()
        } else if let Some(e) = error.downcast_ref::<GetContactError>() {
            e.response()
        } else if let Some(e) = error.downcast_ref::<LoginError>() {
            e.response()
        } else {
            error.downcast_ref::<ApiError>()
        };
        if let Some(found) = found {
            return Some(found.clone());
        }
        next = error.source();
    }
    None
}

async fn run(cli: Cli) -> Result<bool, BoxError> {
    service::init_logs(cli.log_format).map_err(service::UsageError)?;
    let health = service::start(cli.metrics_addr.as_deref()).await?;
    let (client, _fake) = connect(cli.demo, cli.allow_insecure_http).await?;
    let result = dispatch(&client, cli, health).await;
    // A session this process opened with a password is ended on the way out, whatever the
    // command's result (a signal stops the commands cleanly and lands here too), so a job
    // run every few minutes leaves no 90-day login tokens behind. `logout` only forgets a
    // token the user gave (a personal access token is never revoked).
    match tokio::time::timeout(LOGOUT_TIMEOUT, client.logout()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => eprintln!(
            "warning: could not log out: {}",
            output::clean(&error.to_string())
        ),
        Err(_) => eprintln!("warning: logging out took longer than {LOGOUT_TIMEOUT:?}; gave up"),
    }
    result
}

/// How long the exit waits for the logout.
const LOGOUT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

async fn dispatch(client: &Client, cli: Cli, health: service::Watched) -> Result<bool, BoxError> {
    let client = client.clone();
    match cli.command {
        Command::Conflicts(ConflictsCommand::List { unknown }) => {
            commands::list::run(&client, cli.output, unknown).await
        }
        Command::Conflicts(ConflictsCommand::Resolve(args)) => {
            commands::resolve::run(&client, cli.output, args, health).await
        }
        Command::Conflicts(ConflictsCommand::Watch(args)) => {
            commands::watch::run(&client, cli.output, args, health).await
        }
        Command::Conflicts(ConflictsCommand::Plan(args)) => {
            commands::plan::run(&client, cli.output, args).await
        }
        Command::Conflicts(ConflictsCommand::Apply {
            plan,
            journal,
            force,
        }) => commands::plan::apply(&client, cli.output, &plan, &journal, force, health).await,
        Command::Conflicts(ConflictsCommand::Review { journal }) => {
            commands::review::run(&client, journal).await
        }
        Command::Conflicts(ConflictsCommand::Undo { journal }) => {
            commands::plan::undo(&client, cli.output, &journal).await
        }
        Command::Contact(ContactCommand::Get { id }) => {
            commands::get::run(&client, cli.output, id).await
        }
    }
}

/// 128 + SIGPIPE, what a shell reports for a program a closed pipe ended.
const BROKEN_PIPE: u8 = 141;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = args::parse();
    let verbose = cli.verbose;
    match run(cli).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        // The reader of a pipe went away (`… | head`): nobody is left to tell, so end
        // quietly, with the status of a program the pipe's signal ended.
        Err(error) if output::is_broken_pipe(&*error) => ExitCode::from(BROKEN_PIPE),
        // A setting that cannot work, found after parsing: a usage error, like clap's own.
        Err(error) if error.is::<service::UsageError>() => {
            eprintln!("error: {}", output::clean(&error.to_string()));
            ExitCode::from(2)
        }
        Err(error) => {
            // Server answers and base URLs end up in errors: no terminal control from them.
            eprintln!("error: {}", output::clean(&error.to_string()));
            match answer_in(&*error) {
                Some(answer) if verbose => eprintln!(
                    "the server's answer ({}):\n{}",
                    answer.status(),
                    output::clean(&answer.body_text())
                ),
                Some(_) => eprintln!("(-v prints the server's whole answer)"),
                None => {}
            }
            ExitCode::FAILURE
        }
    }
}
