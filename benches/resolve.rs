//! The SDK against a hand-written reqwest call, side by side, on a loopback server that
//! answers pre-rendered Rocket.Chat bodies. Run with `cargo bench`; `BENCHMARKS.md` has the
//! figures and how to read them.

use std::hint::black_box;
use std::net::SocketAddr;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::future::join_all;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rocketchat_omnichannel::models::Contact;
use rocketchat_omnichannel::{Client, Credentials};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

const USER_ID: &str = "rbAXPnMktTFbNpwtJ";
const TOKEN: &str = "RScctEHSmLGZGywfIhWyRpyofhKOiMoUIpimhvheU3f";
const SMALL: &str = include_str!("../tests/fixtures/contacts.conflicts/success_full.json");

/// A contact with 1,000 channels and 1,000 conflicting fields.
fn large_body() -> Bytes {
    let channels: Vec<_> = (0..1_000)
        .map(|i| {
            json!({
                "name": format!("widget-{i}"),
                "visitor": {"visitorId": format!("68341ef9d387e3d75092{i:04}"), "source": {"type": "widget"}},
                "blocked": false, "verified": i % 2 == 0,
                "details": {"type": "widget", "destination": "writing-demo.dev.rocket.chat"},
                "lastChat": {"_id": format!("cz5uyBRyKPfoW{i:04}"), "ts": "2025-05-26T07:57:49.661Z"},
                "field": "email", "value": format!("visitor{i}@email.com"),
                "verifiedAt": "2025-05-26T07:58:26.895Z"
            })
        })
        .collect();
    let conflicts: Vec<_> = (0..1_000)
        .map(|i| json!({"field": format!("customFields.field{i}"), "value": format!("competing value number {i}")}))
        .collect();
    let body = json!({
        "result": {
            "_id": "68341efdd387e3d7509267fb", "name": "Jane Doe",
            "createdAt": "2025-05-26T07:57:49.616Z", "_updatedAt": "2025-05-26T11:35:31.241Z",
            "channels": channels, "conflictingFields": conflicts,
            "customFields": {"field1": "field1"}, "unknown": false,
            "emails": [{"address": "jane.doe@email.com"}], "phones": []
        },
        "success": true
    });
    Bytes::from(serde_json::to_vec(&body).unwrap())
}

/// Serves `body` to every request, keep-alive, on a loopback port.
async fn serve(body: Bytes) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
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
    address
}

/// The request body both sides send.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    contact_id: &'a str,
    name: &'a str,
    wipe_conflicts: bool,
}

#[derive(Deserialize)]
struct Answer {
    result: Contact,
}

/// What a user would write by hand: one client, two headers, a JSON body, `from_slice`.
struct Baseline {
    http: reqwest::Client,
    url: String,
}

impl Baseline {
    async fn call(&self) -> Contact {
        let body = serde_json::to_vec(&Body {
            contact_id: "68341efdd387e3d7509267fb",
            name: "Jane Doe",
            wipe_conflicts: true,
        })
        .unwrap();
        let response = self
            .http
            .post(&self.url)
            .header("X-Auth-Token", TOKEN)
            .header("X-User-Id", USER_ID)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let bytes = response.bytes().await.unwrap();
        serde_json::from_slice::<Answer>(&bytes).unwrap().result
    }
}

async fn sdk_call(client: &Client) -> Contact {
    client
        .resolve_contact_conflicts("68341efdd387e3d7509267fb")
        .name("Jane Doe")
        .wipe_conflicts(true)
        .await
        .unwrap()
}

fn setup(runtime: &Runtime, body: Bytes) -> (Client, Baseline) {
    let address = runtime.block_on(serve(body));
    let base = format!("http://{address}");
    let client = Client::builder(&base)
        .credentials(Credentials::token(USER_ID, TOKEN))
        .build()
        .unwrap();
    let baseline = Baseline {
        http: reqwest::Client::new(),
        url: format!("{base}/api/v1/omnichannel/contacts.conflicts"),
    };
    (client, baseline)
}

fn round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let scenarios = [
        ("small", Bytes::from_static(SMALL.as_bytes()), 1usize),
        ("small_x32", Bytes::from_static(SMALL.as_bytes()), 32),
        ("large_x4", large_body(), 4),
    ];
    for (name, body, in_flight) in scenarios {
        let (client, baseline) = setup(&runtime, body.clone());
        let mut group = c.benchmark_group(format!("round_trip/{name}"));
        group.throughput(Throughput::Elements(in_flight as u64));
        if body.len() > 100_000 {
            // Few, slow iterations: measure longer so run-to-run noise stays under the 5 % target.
            group
                .sample_size(30)
                .measurement_time(std::time::Duration::from_secs(15));
        }
        group.bench_function(BenchmarkId::new("sdk", in_flight), |b| {
            b.to_async(&runtime).iter(|| async {
                let calls = (0..in_flight).map(|_| sdk_call(&client));
                black_box(join_all(calls).await)
            })
        });
        group.bench_function(BenchmarkId::new("baseline", in_flight), |b| {
            b.to_async(&runtime).iter(|| async {
                let calls = (0..in_flight).map(|_| baseline.call());
                black_box(join_all(calls).await)
            })
        });
        group.finish();
    }
}

fn decode_only(c: &mut Criterion) {
    for (name, body) in [
        ("small", Bytes::from_static(SMALL.as_bytes())),
        ("large", large_body()),
    ] {
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("sdk", |b| {
            b.iter(|| {
                black_box(
                    rocketchat_omnichannel::__bench::decode_contact(black_box(&body)).unwrap(),
                )
            })
        });
        group.bench_function("serde_json", |b| {
            b.iter(|| {
                black_box(
                    serde_json::from_slice::<Answer>(black_box(&body))
                        .unwrap()
                        .result,
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, round_trips, decode_only);
criterion_main!(benches);
