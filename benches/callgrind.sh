#!/usr/bin/env bash
# Instructions per call, counted with callgrind: the SDK, a hand-written reqwest client with
# its own model ("hand"), and that client decoding into the SDK's model ("shared").
#
# Each figure runs the client twice under callgrind, with a short and a long run, and divides
# the difference in instructions by the difference in calls, so process start-up, runtime
# and client construction, warm-up and connection set-up cancel out. The fixed-bytes server
# runs in another process (not counted), pinned to another core.
#
#   benches/callgrind.sh                 # every figure in BENCHMARKS.md (~15 min)
#   benches/callgrind.sh small_x32       # only lines whose name contains the filter
#   CALLS_BIN=/tmp/calls-old benches/callgrind.sh   # measure a saved build
#
# Needs valgrind and taskset; builds the `calls` bench target (release profile) first.
set -euo pipefail
cd "$(dirname "$0")/.."
filter="${1:-}"

# CALLS_BIN=path uses an already built `calls` binary (e.g. one saved before a change).
bin=${CALLS_BIN:-}
[ -n "$bin" ] || bin=$(cargo bench --bench calls --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*calls-[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$bin" ] || { echo "could not build the calls bench" >&2; exit 1; }
ncpu=$(nproc)
client_cpu=0
server_cpu=$((ncpu > 1 ? 1 : 0))
out=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"' EXIT

start_server() { # body (small | large); sets $port
    taskset -c "$server_cpu" "$bin" serve "$1" >"$out/port-$1" 2>/dev/null &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$out/port-$1" ] && break; sleep 0.1; done
    port=$(cat "$out/port-$1")
}

instructions() { # args... -> total instructions of one run
    taskset -c "$client_cpu" valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
        "$bin" "$@" >/dev/null 2>"$out/log"
    grep -E '^(summary|totals):' "$out/cg" | head -1 | awk '{print $2}'
}

per_call() { # calls-per-round short-rounds long-rounds args-with-ROUNDS... -> per call
    local each=$1 short=$2 long=$3; shift 3
    local a b
    a=$(instructions "${@//ROUNDS/$short}")
    b=$(instructions "${@//ROUNDS/$long}")
    echo $(((b - a) / ((long - short) * each)))
}

declare -A result
line() { # name calls-per-round short-rounds long-rounds args-with-ROUNDS...
    local name=$1; shift
    [[ -z "$filter" || "$name" == *"$filter"* ]] || return 0
    result[$name]=$(per_call "$@")
    printf '%-30s %12s instructions/call\n' "$name" "${result[$name]}"
}

ratio() { # numerator denominator
    [[ -n "${result[$1]:-}" && -n "${result[$2]:-}" ]] || return 0
    awk -v a="${result[$1]}" -v b="${result[$2]}" -v n="$1" -v d="$2" \
        'BEGIN { printf "%-30s %6.3fx  (%s / %s)\n", n, a / b, n, d }'
}

start_server small
small_port=$port
start_server large
large_port=$port
sides=(sdk hand shared)

# Decoding alone: a hand-written model against the crate's public model (the SDK's own decode
# step is measured inside every call below).
for side in hand shared; do
    line "decode/small/$side" 1 200 2200 decode small "$side" ROUNDS
    line "decode/large/$side" 1 4 20 decode large "$side" ROUNDS
done
# `client <scenario> <side> <rounds>`: a round is 1, 32 or 4 calls in flight.
for side in "${sides[@]}"; do
    line "call/small/$side" 1 100 1100 client small "$side" ROUNDS "$small_port"
    line "call/small_x32/$side" 32 5 55 client small_x32 "$side" ROUNDS "$small_port"
    line "call/large_x4/$side" 4 2 8 client large_x4 "$side" ROUNDS "$large_port"
done
# The SDK's default User-Agent, set on both sides.
for side in sdk hand; do
    line "call/small_ua/$side" 1 100 1100 client small "$side" ROUNDS "$small_port" ua
    line "call/small_x32_ua/$side" 32 5 55 client small_x32 "$side" ROUNDS "$small_port" ua
done

echo
for what in call/small call/small_x32 call/large_x4 call/small_ua call/small_x32_ua; do
    ratio "$what/sdk" "$what/hand"
done
for what in call/small call/small_x32 call/large_x4; do
    ratio "$what/sdk" "$what/shared"
done
for what in decode/small decode/large; do
    ratio "$what/shared" "$what/hand"
done
ratio call/small_ua/sdk call/small/sdk
ratio call/small_ua/hand call/small/hand
ratio call/small_x32_ua/sdk call/small_x32/sdk
ratio call/small_x32_ua/hand call/small_x32/hand
