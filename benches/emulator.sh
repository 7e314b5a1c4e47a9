#!/usr/bin/env bash
# Emulator benchmarks (issue 5), release build on this machine:
#   1. start -> first answered request (ms, median of 5 cold starts);
#   2. IAM GetUser at 16 connections, server pinned to core 0 and wrk to core 1: req/s and p99;
#   3. peak RSS (VmHWM) after creating 10,000 IAM users;
#   4. the floor of the HTTP stack: the same load on a trivial hyper server answering fixed bytes
#      (emulator/examples/hyper_ceiling.rs), so the emulator's own share is visible.
# moto_server runs through the same steps for the ratio when it is installed (never installed here).
# Targets: start < 20 ms, >= 60,000 req/s with p99 < 1 ms, peak RSS < 30 MiB.
#
# Usage: benches/emulator.sh [seconds-per-load-run (default 10)]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
USERS=10000

cargo build --release --quiet -p paritytest-emulator --example emulator_server --example hyper_ceiling
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/emulator_server"
CEILING_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/hyper_ceiling"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (apt-get)..." >&2
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# A signed-looking awsQuery request (the emulator routes by the SigV4 scope; it never verifies).
AUTH='AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7'
cat >"$WORK/getuser.lua" <<LUA
wrk.method = "POST"
wrk.body = "Action=GetUser&Version=2010-05-08&UserName=bench-user"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
wrk.headers["X-Amz-Date"] = "20240101T000000Z"
wrk.headers["Authorization"] = "$AUTH"
LUA

# Python helpers: cold-start timing, single calls and bulk user creation over one keep-alive
# connection (stdlib only).
cat >"$WORK/client.py" <<'PY'
import http.client, os, socket, statistics, subprocess, sys, time

AUTH = os.environ["AUTH"]

def form_request(host, port, body):
    return (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
            f"X-Amz-Date: 20240101T000000Z\r\nAuthorization: {AUTH}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    return port

def cold_start(cmd_template, runs=5):
    """Spawn the server, hammer it until the first request is answered; median ms."""
    times = []
    for _ in range(runs):
        port = free_port()
        req = form_request("127.0.0.1", port, "Action=GetUser&Version=2010-05-08&UserName=bench-user")
        cmd = [c.replace("{port}", str(port)) for c in cmd_template]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        status = None
        while status is None and time.perf_counter() - t0 < 30:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    s.sendall(req)
                    data = s.recv(65536)
                    if data.startswith(b"HTTP/1.1 "):
                        status = int(data.split()[1])
            except OSError:
                time.sleep(0.0002)
        times.append((time.perf_counter() - t0) * 1000)
        proc.terminate(); proc.wait()
    return statistics.median(times), status

def call(port, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                      "X-Amz-Date": "20240101T000000Z", "Authorization": AUTH})
    r = conn.getresponse(); r.read(); conn.close()
    return r.status

def create_users(port, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    statuses = {}
    for i in range(n):
        conn.request("POST", "/", f"Action=CreateUser&Version=2010-05-08&UserName=user-{i}",
                     {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                      "X-Amz-Date": "20240101T000000Z", "Authorization": AUTH})
        r = conn.getresponse(); r.read()
        statuses[r.status] = statuses.get(r.status, 0) + 1
    conn.close()
    return statuses

if __name__ == "__main__":
    what = sys.argv[1]
    if what == "cold-start":
        ms, status = cold_start(sys.argv[2:])
        print(f"{ms:.1f} {status}")
    elif what == "call":
        print(call(int(sys.argv[2]), sys.argv[3]))
    elif what == "create-users":
        print(" ".join(f"{k}x{v}" for k, v in sorted(create_users(int(sys.argv[2]), int(sys.argv[3])).items())))
PY
export AUTH
py() { python3 "$WORK/client.py" "$@"; }

cpu_ticks() { # pid -> utime + stime in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

wait_port() { # port
  for _ in $(seq 1 3000); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.01
  done
  echo "server on port $1 did not come up" >&2; return 1
}

# wrk on core 1 against a server pinned to core 0: req/s, p99 and the server's CPU per request.
# $1 = label, $2 = server pid, $3 = port. Sets RESULT_RPS.
load_run() {
  local label="$1" pid="$2" port="$3"
  local cpu_before; cpu_before="$(cpu_ticks "$pid")"
  local out; out="$(taskset -c 1 wrk -t1 -c16 -d"${DURATION}s" --latency -s "$WORK/getuser.lua" "http://127.0.0.1:$port/")"
  local cpu_after; cpu_after="$(cpu_ticks "$pid")"
  local rps p99 non2xx requests
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  echo "$label, 16 connections, ${DURATION}s: ${rps} req/s, p99 ${p99}${non2xx:+ (non-2xx answers: $non2xx)}"
  # Server CPU per request: what one dedicated core could serve, even when this machine is
  # shared and the wall-clock numbers above are depressed by other load.
  awk -v t="$((cpu_after - cpu_before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {
    if (n > 0 && t > 0) printf "server CPU per request: %.1f us (one dedicated core: ~%.0f req/s)\n", t / hz / n * 1e6, n / (t / hz) }'
  echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
  RESULT_RPS="$rps"
}

# Runs the three measurements for one server. $1 = label, rest = command with {port}.
bench() {
  local label="$1"; shift
  local cmd=("$@")
  echo "== $label"
  read -r start_ms first_status < <(py cold-start taskset -c 0 "${cmd[@]}")
  echo "start -> first answered request: ${start_ms} ms (first answer: HTTP ${first_status})"

  local port; port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
  taskset -c 0 "${cmd[@]//\{port\}/$port}" >/dev/null 2>&1 &
  local pid=$!; PIDS+=("$pid")
  wait_port "$port"
  local created status
  created="$(py call "$port" "Action=CreateUser&Version=2010-05-08&UserName=bench-user")"
  status="$(py call "$port" "Action=GetUser&Version=2010-05-08&UserName=bench-user")"
  if [ "$status" = 200 ]; then
    echo "GetUser answers 200 (CreateUser: $created): measuring the real GetUser"
  else
    echo "GetUser answers HTTP $status (CreateUser: $created): IAM is not implemented yet, so this measures the core (routing, parsing, error serialization) on the $status path"
  fi
  load_run "GetUser" "$pid" "$port"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  RESULT_START="$start_ms"

  port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
  "${cmd[@]//\{port\}/$port}" >/dev/null 2>&1 &
  pid=$!; PIDS+=("$pid")
  wait_port "$port"
  local statuses; statuses="$(py create-users "$port" "$USERS")"
  local hwm; hwm="$(awk '/^VmHWM:/ {printf "%.1f", $2/1024}' "/proc/$pid/status")"
  echo "peak RSS after creating $USERS users: ${hwm} MiB (CreateUser answers: $statuses)"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}

bench "paritytest emulator (release, 1 tokio thread)" "$BIN" --port "{port}"
EMU_RPS="$RESULT_RPS"; EMU_START="$RESULT_START"

echo "== floor of the HTTP stack: trivial hyper server, fixed GetUser bytes (1 tokio thread)"
port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
taskset -c 0 "$CEILING_BIN" --port "$port" >/dev/null 2>&1 &
pid=$!; PIDS+=("$pid")
wait_port "$port"
load_run "fixed answer" "$pid" "$port"
kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true

if command -v moto_server >/dev/null && moto_server --help >/dev/null 2>&1; then
  bench "moto_server (for the ratio)" moto_server -p "{port}"
  awk -v a="$EMU_RPS" -v b="$RESULT_RPS" -v s="$EMU_START" -v t="$RESULT_START" 'BEGIN {
    if (b > 0) printf "ratio: %.0fx moto'"'"'s req/s, starts %.0fx faster\n", a / b, t / s }'
else
  echo "moto_server not installed: no ratio"
fi
