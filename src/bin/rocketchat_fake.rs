//! `rocketchat-fake`: the fake Rocket.Chat server as a program, for tests written in any
//! language. See the README, "Use the fake from any language".

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use rocketchat_omnichannel::testing::{CassetteServer, FakeRocketChat};

/// What can be typed; `--help` prints it all, `--version` the crate's version.
#[derive(Parser)]
#[command(
    name = "rocketchat-fake",
    version,
    about = "A fake Rocket.Chat server for tests in any language",
    long_about = "A fake Rocket.Chat server for tests in any language.\n\n\
Prints exactly one line, `listening http://HOST:PORT`, on stdout once it accepts connections, \
then one line per request on stderr (unless --quiet). Stops cleanly on SIGINT or SIGTERM.",
    after_help = "The control API (on unless --no-control-api, loopback clients only) lives \
under /_fake: `curl http://HOST:PORT/_fake` lists its routes.\n\n\
Examples:\n  rocketchat-fake\n  rocketchat-fake --seed seed.json --port 3000 --record-requests 1000\n  \
rocketchat-fake --rocketchat-version 7.7.0 --rate-limit 10 --rate-limit-window-ms 60000\n  \
rocketchat-fake --record-from https://staging.example.com --cassette tests/cassettes/run.json\n  \
rocketchat-fake --replay tests/cassettes/run.json"
)]
struct Options {
    /// Address to listen on; anything but loopback needs --allow-remote.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free one (read it from the `listening` line).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Users, personal access tokens, custom fields and contacts to start with (JSON; the
    /// README's "Seed file"). Without it the demo data is served.
    #[arg(long, value_name = "FILE")]
    seed: Option<String>,
    /// Rate-limit every authenticated route to N calls per window, per client address, route
    /// and method, as Rocket.Chat does (its default is 10 per 60,000 ms). Off when not given.
    #[arg(long, value_name = "N")]
    rate_limit: Option<u64>,
    /// The rate-limit window, in milliseconds.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 60_000,
        requires = "rate_limit"
    )]
    rate_limit_window_ms: u64,
    /// Play this Rocket.Chat release (7.0.0 or later); the newest behaviour by default.
    #[arg(long, value_name = "VERSION")]
    rocketchat_version: Option<String>,
    /// Keep the last N requests (read them with `GET /_fake/requests`); none by default.
    #[arg(long, value_name = "N", default_value_t = 0)]
    record_requests: usize,
    /// No per-request lines on stderr.
    #[arg(long)]
    quiet: bool,
    /// Allow --host to be an address other hosts can reach.
    #[arg(long)]
    allow_remote: bool,
    /// Do not serve the control API under /_fake (it then answers as a missing route).
    #[arg(long)]
    no_control_api: bool,
    /// Record a cassette: forward every request to this server (its base URL) and write
    /// what it answered to --cassette when stopped (SIGINT or SIGTERM). Secrets are never
    /// written.
    #[arg(long, value_name = "URL", requires = "cassette", conflicts_with_all = ["replay", "seed"])]
    record_from: Option<String>,
    /// The cassette file --record-from writes.
    #[arg(long, value_name = "FILE", requires = "record_from")]
    cassette: Option<String>,
    /// Serve a recorded cassette instead of the fake.
    #[arg(long, value_name = "FILE", conflicts_with = "seed")]
    replay: Option<String>,
    /// With --record-from or --replay: scrub this key's values too (repeat: --scrub-key
    /// address --scrub-key phoneNumber).
    #[arg(long, value_name = "KEY")]
    scrub_key: Vec<String>,
    /// With --record-from: write ids and timestamps as stable stand-ins, so that recording
    /// again gives a small diff.
    #[arg(long, requires = "record_from")]
    normalize: bool,
}

/// `--record-from` and `--replay`: a cassette server in place of the fake.
async fn cassette(options: &Options) -> Result<Option<()>, String> {
    let (path, record_from) = match (&options.replay, &options.cassette) {
        (Some(path), _) => (path.clone(), None),
        (None, Some(path)) => (path.clone(), options.record_from.clone()),
        (None, None) => return Ok(None),
    };
    let mut builder = CassetteServer::builder(&path)
        .record_from(record_from)
        .normalize(options.normalize)
        .address(SocketAddr::new(options.host, options.port));
    for key in &options.scrub_key {
        builder = builder.scrub_key(key);
    }
    let server = builder.start().await.map_err(|e| e.to_string())?;
    let shutdown = shutdown_signal();
    println!("listening {}", server.uri());
    shutdown.await;
    let recording = server.is_recording();
    match server.finish().await {
        Ok(_) if recording => eprintln!("cassette written to {path}"),
        Ok(unused) if unused > 0 && !options.quiet => {
            eprintln!("{unused} recorded answer(s) were never asked for");
        }
        Ok(_) => {}
        Err(error) => return Err(error.to_string()),
    }
    Ok(Some(()))
}

/// Registers SIGINT and SIGTERM handlers now and returns a future that ends on either.
///
/// The handlers must exist before the `listening` line is printed: a driving program may send
/// SIGTERM the moment it reads that line, and a signal that arrives before registration would
/// kill the process with the default action instead of shutting it down cleanly.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    if cassette(&options).await?.is_some() {
        return Ok(());
    }
    let mut builder = FakeRocketChat::builder()
        .address(SocketAddr::new(options.host, options.port))
        .log_requests(!options.quiet)
        .record_requests(options.record_requests)
        .control_api(!options.no_control_api);
    if let Some(version) = &options.rocketchat_version {
        builder = builder
            .version(version)
            .map_err(|e| format!("--rocketchat-version: {e}"))?;
    }
    builder = match &options.seed {
        // Read as it is parsed: a 100,000-contact seed is never held whole.
        Some(path) => builder
            .seed_file(path)
            .map_err(|e| format!("{path}: {e}"))?,
        None => builder.demo_data(),
    };
    if let Some(calls) = options.rate_limit {
        builder = builder.rate_limit(calls, Duration::from_millis(options.rate_limit_window_ms));
    }
    let fake = builder
        .start()
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", options.host, options.port))?;
    let shutdown = shutdown_signal();
    // The one line a driving program waits for.
    println!("listening {}", fake.uri());
    shutdown.await;
    if !options.quiet {
        eprintln!("shutting down");
    }
    drop(fake);
    Ok(())
}

// One thread: every request waits for the state's lock anyway, and one malloc arena reuses
// the memory a rewritten contact frees (with a worker per core, each arena kept its own:
// 3.5× the seed after rewriting 100,000 contacts instead of 2.4×; BENCHMARKS.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // clap exits 0 for --help/--version and 2 for a usage error, with its message on stderr.
    let options = Options::parse();
    if !options.host.is_loopback() && !options.allow_remote {
        Options::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "refusing to listen on {}: this test server has known passwords; pass --allow-remote to do it anyway",
                    options.host
                ),
            )
            .exit();
    }
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
