#!/usr/bin/env bash
# Lambda benchmarks of the paritytest emulator (release build, this machine):
#  1. warm invoke p50 of a python echo function (target < 5 ms) and cold start (target < 300 ms),
#     measured over HTTP keep-alive like an SDK;
#  2. GetFunction's in-process CPU per request (routing, restJson1 parsing and serialization,
#     handler; no HTTP server), from the thread's scheduler accounting, so immune to load;
#  3. GetFunction throughput at 16 connections with wrk (target >= 50,000 req/s), the emulator
#     pinned to one core and wrk to the other.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-runtimes >/dev/null
command -v wrk >/dev/null 2>&1 || { apt-get install -y -qq wrk >/dev/null 2>&1 || sudo apt-get install -y -qq wrk; }

cargo build --release -q -p paritytest-emulator --example lambda_bench
BIN="${CARGO_TARGET_DIR:-target}/release/examples/lambda_bench"
CORES=$(nproc)
SERVER_CPU=0
CLIENT_CPU=$(( CORES > 1 ? 1 : 0 ))

echo "== invoke latency (emulator on cpu $SERVER_CPU)"
taskset -c "$SERVER_CPU" "$BIN" invoke

echo "== GetFunction in-process (no HTTP), emulator on cpu $SERVER_CPU"
taskset -c "$SERVER_CPU" "$BIN" cpu "${CPU_REQUESTS:-100000}"

echo "== GetFunction throughput: emulator on cpu $SERVER_CPU, wrk on cpu $CLIENT_CPU, 16 connections"
LOG=$(mktemp)
# Port 0: the emulator picks a free port and prints its URL.
taskset -c "$SERVER_CPU" "$BIN" serve 0 > "$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do grep -q ready "$LOG" 2>/dev/null && break; sleep 0.1; done
URL=$(awk '/^ready/ {print $2}' "$LOG")
[ -n "$URL" ] || { echo "emulator did not start:"; cat "$LOG"; exit 1; }
AUTH="AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
TICKS_BEFORE=$(cpu_ticks)
OUT=$(taskset -c "$CLIENT_CPU" wrk -t1 -c16 -d${DURATION:-10}s -H "Authorization: $AUTH" \
  "$URL/2015-03-31/functions/bench-fn")
TICKS_AFTER=$(cpu_ticks)
echo "$OUT"
# On a shared machine the server may get only part of its core: also report the CPU it used per
# request, i.e. the rate one fully available core would sustain.
awk -v t=$((TICKS_AFTER - TICKS_BEFORE)) -v hz="$(getconf CLK_TCK)" -v n="$(echo "$OUT" | awk '/requests in/ {print $1}')" \
  'BEGIN { if (t > 0) printf "server CPU: %.1f us/request (%.0f req/s per fully available core)\n", t / hz * 1e6 / n, n / (t / hz) }'
RPS=$(echo "$OUT" | awk '/Requests\/sec/ {print int($2)}')
NON2XX=$(echo "$OUT" | awk '/Non-2xx/ {print $5}')
if [ -n "$NON2XX" ]; then echo "FAIL: $NON2XX non-2xx answers"; fi
if [ "${RPS:-0}" -ge 50000 ]; then echo "GetFunction: $RPS req/s >= 50000: PASS"; else echo "GetFunction: $RPS req/s < 50000: FAIL"; fi
