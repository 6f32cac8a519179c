//! `rocketchat-fake`: the fake Rocket.Chat server as a program, for tests written in any
//! language. See the README, "Use the fake from any language".

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use rocketchat_omnichannel::testing::FakeRocketChat;

const USAGE: &str = "usage: rocketchat-fake [--host 127.0.0.1] [--port 0] [--seed FILE] \
[--rate-limit N --rate-limit-window-ms MS] [--rocketchat-version 7.7.0] [--record-requests N] \
[--quiet] [--allow-remote]";

struct Options {
    host: IpAddr,
    port: u16,
    seed: Option<String>,
    rate_limit: Option<u64>,
    window_ms: u64,
    quiet: bool,
    allow_remote: bool,
    version: Option<String>,
    /// Requests kept for inspection; off by default in the program, whose requests no test
    /// reads in-process.
    record_requests: usize,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        host: IpAddr::from([127, 0, 0, 1]),
        port: 0,
        seed: None,
        rate_limit: None,
        window_ms: 60_000,
        quiet: false,
        allow_remote: false,
        version: None,
        record_requests: 0,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--host" => {
                let host = value("--host")?;
                options.host = host
                    .parse()
                    .map_err(|_| format!("--host `{host}` is not an IP address"))?;
            }
            "--port" => {
                let port = value("--port")?;
                options.port = port
                    .parse()
                    .map_err(|_| format!("--port `{port}` is not a port number"))?;
            }
            "--seed" => options.seed = Some(value("--seed")?),
            "--rate-limit" => {
                let calls = value("--rate-limit")?;
                options.rate_limit = Some(
                    calls
                        .parse()
                        .map_err(|_| format!("--rate-limit `{calls}` is not a number"))?,
                );
            }
            "--rate-limit-window-ms" => {
                let ms = value("--rate-limit-window-ms")?;
                options.window_ms = ms
                    .parse()
                    .map_err(|_| format!("--rate-limit-window-ms `{ms}` is not a number"))?;
            }
            "--rocketchat-version" => options.version = Some(value("--rocketchat-version")?),
            "--record-requests" => {
                let count = value("--record-requests")?;
                options.record_requests = count
                    .parse()
                    .map_err(|_| format!("--record-requests `{count}` is not a number"))?;
            }
            "--quiet" => options.quiet = true,
            "--allow-remote" => options.allow_remote = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if !options.host.is_loopback() && !options.allow_remote {
        return Err(format!(
            "refusing to listen on {}: this test server has known passwords; pass --allow-remote to do it anyway",
            options.host
        ));
    }
    Ok(options)
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
    let mut builder = FakeRocketChat::builder()
        .address(SocketAddr::new(options.host, options.port))
        .log_requests(!options.quiet)
        .record_requests(options.record_requests);
    if let Some(version) = &options.version {
        builder = builder
            .version(version)
            .map_err(|e| format!("--rocketchat-version: {e}"))?;
    }
    builder = match &options.seed {
        Some(path) => {
            let json = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read seed file {path}: {e}"))?;
            builder
                .seed_json(&json)
                .map_err(|e| format!("{path}: {e}"))?
        }
        None => builder.demo_data(),
    };
    if let Some(calls) = options.rate_limit {
        builder = builder.rate_limit(calls, Duration::from_millis(options.window_ms));
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

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
