//! The program `benches/callgrind.sh` runs under `valgrind --tool=callgrind` to count the
//! instructions of one call: the SDK, a hand-written reqwest client with its own model, and
//! that client decoding into the SDK's model, each against the same fixed-bytes loopback
//! server running in another process.
//!
//! ```text
//! calls serve <small|large>                                  # prints the port, serves until killed
//! calls serve-hyper <small|large>                            # the same with the earlier hyper server
//! calls client <small|small_x32|large_x4> <sdk|hand|shared> <rounds> <port> [ua]
//! calls decode <small|large> <hand|shared> <iterations>
//! ```
//!
//! A round sends the scenario's calls concurrently (1, 32 or 4) and waits for all of them.
//! Two warm-up rounds open the connections first; the script runs two round counts and
//! divides the difference in instructions by the difference in calls, so start-up, the
//! warm-up and connection set-up cancel out. Run with no arguments (as `cargo bench` does)
//! it only prints this usage.

mod common;

use std::hint::black_box;
use std::net::SocketAddr;

use futures_util::future::join_all;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["serve", body] => serve(body),
        ["serve-hyper", body] => serve_hyper(body),
        ["client", scenario, side, rounds, port, rest @ ..] => client(
            scenario,
            side,
            rounds.parse().expect("rounds"),
            port.parse().expect("port"),
            rest == ["ua"],
        ),
        ["decode", body, side, iterations] => {
            decode(body, side, iterations.parse().expect("iterations"))
        }
        _ => eprintln!(
            "calls: instruction-count harness; run `benches/callgrind.sh` (see BENCHMARKS.md)"
        ),
    }
}

fn serve(body: &str) {
    let address = common::serve_fixed(common::body(body));
    println!("{}", address.port());
    loop {
        std::thread::park();
    }
}

/// The server the benchmarks used before: hyper's HTTP/1 server on a two-thread runtime,
/// kept to compare its socket behaviour (BENCHMARKS.md, "User-Agent").
fn serve_hyper(body: &str) {
    use http_body_util::{BodyExt, Full};
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let body = common::body(body);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        while let Ok((stream, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let body = body.clone();
                    async move {
                        let _ = request.into_body().collect().await;
                        Ok::<_, std::convert::Infallible>(
                            hyper::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(body))
                                .unwrap(),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

fn client(scenario: &str, side: &str, rounds: usize, port: u16, user_agent: bool) {
    let in_flight = match scenario {
        "small" => 1,
        "small_x32" => 32,
        "large_x4" => 4,
        other => panic!("unknown scenario `{other}`"),
    };
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    // One thread: everything the call costs is counted, nothing waits on another core.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sdk = common::sdk(address, user_agent);
    let hand = common::HandWritten::new(address, user_agent);
    runtime.block_on(async {
        for _ in 0..2 + rounds {
            match side {
                "sdk" => {
                    black_box(join_all((0..in_flight).map(|_| common::sdk_call(&sdk))).await);
                }
                "hand" => {
                    black_box(join_all((0..in_flight).map(|_| hand.call())).await);
                }
                "shared" => {
                    black_box(join_all((0..in_flight).map(|_| hand.call_shared_model())).await);
                }
                other => panic!("unknown side `{other}` (hand | shared)"),
            }
        }
    });
}

fn decode(body: &str, side: &str, iterations: usize) {
    let body = common::body(body);
    for _ in 0..iterations {
        match side {
            "hand" => drop(black_box(common::decode_own(black_box(&body)))),
            "shared" => drop(black_box(common::decode_shared_model(black_box(&body)))),
            other => panic!("unknown side `{other}` (hand | shared)"),
        }
    }
}
