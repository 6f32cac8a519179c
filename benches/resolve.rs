//! Wall-clock timings (criterion), the second line next to the instruction counts of
//! `benches/callgrind.sh`: the SDK, a hand-written reqwest client with its own model
//! ("hand"), and that client decoding into the SDK's `Contact` ("shared model"), side by
//! side on a loopback server that answers fixed bytes. `BENCHMARKS.md` has the figures.

mod common;

use std::hint::black_box;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::future::join_all;
use tokio::runtime::Runtime;

fn round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let scenarios = [
        ("small", common::body("small"), 1usize, false),
        ("small_x32", common::body("small"), 32, false),
        ("small_x32_ua", common::body("small"), 32, true),
        ("large_x4", common::body("large"), 4, false),
    ];
    for (name, body, in_flight, user_agent) in scenarios {
        let address = common::serve_fixed(body.clone());
        let sdk = common::sdk(address, user_agent);
        let hand = common::HandWritten::new(address, user_agent);
        let mut group = c.benchmark_group(format!("round_trip/{name}"));
        group.throughput(Throughput::Elements(in_flight as u64));
        if body.len() > 100_000 {
            group
                .sample_size(30)
                .measurement_time(std::time::Duration::from_secs(15));
        }
        bench_calls(&mut group, &runtime, "sdk", in_flight, || {
            common::sdk_call(&sdk)
        });
        bench_calls(&mut group, &runtime, "hand", in_flight, || hand.call());
        bench_calls(&mut group, &runtime, "shared_model", in_flight, || {
            hand.call_shared_model()
        });
        group.finish();
    }
}

fn bench_calls<F, T>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &Runtime,
    side: &str,
    in_flight: usize,
    call: impl Fn() -> F,
) where
    F: Future<Output = T>,
{
    group.bench_function(BenchmarkId::new(side, in_flight), |b| {
        b.to_async(runtime)
            .iter(|| async { black_box(join_all((0..in_flight).map(|_| call())).await) })
    });
}

fn decode_only(c: &mut Criterion) {
    for name in ["small", "large"] {
        let body: Bytes = common::body(name);
        let mut group = c.benchmark_group(format!("decode/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("hand", |b| {
            b.iter(|| black_box(common::decode_own(black_box(&body))))
        });
        group.bench_function("shared_model", |b| {
            b.iter(|| black_box(common::decode_shared_model(black_box(&body))))
        });
        group.finish();
    }
}

criterion_group!(benches, round_trips, decode_only);
criterion_main!(benches);
