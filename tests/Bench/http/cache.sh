#!/usr/bin/env bash
# Side-by-side benchmark of Pulse's distributed cache against two key-value servers on this machine:
#   redis         a private redis-server (no persistence), redis-benchmark GET, SET and MGET of 100 keys
#   garnet        a private garnet-server (Microsoft's RESP server on .NET), the same redis-benchmark runs;
#                 installed as a dotnet tool when missing, and reported as missing when that fails
#   pulse-single  one silo (gateway inside it), SQLite data under the results folder
#   pulse-cluster deploy/local/cluster.sh up 3: PostgreSQL, 3 silos and a gateway
# Every key space holds 10,000 keys with 100-byte values, written before the runs, so every read hits.
# Pulse rows: wrk GET /api/v1/cache/k<i>, PUT of the same keys, POST /api/v1/cache/mget of 100 keys.
# One table at the end with the ratios and the issue's goals; raw outputs, server logs and
# summary.txt in the results folder it prints.
#
#   tests/Bench/http/cache.sh [--seconds N] [--mode single|cluster|both|peers] [--skip-build]
#                             [--pin split|none] [--results DIR]
#
#   --seconds N   length of each measured run (default 10); each wrk run follows a warm-up of N/3 s
#   --mode        which Pulse deployments to measure besides the peers (default both; peers: none)
#   --skip-build  use the Release binaries already built
#   --pin split   servers on CPU 0, load generators on CPU 1 (the default on 2+ CPUs); none: no pinning
#   --results DIR where raw outputs go (default tests/Bench/http/results/<time>)
# Everything it starts (redis-server, garnet-server, dotnet processes, the cluster) is stopped on exit, by pid.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
SECONDS_PER_RUN=10
MODE=both
SKIP_BUILD=0
PIN=split
RESULTS=""
KEYS=10000
VALUE_BYTES=100
MGET_KEYS=100
WRK_THREADS=2
WRK_CONNECTIONS=64
WRK_TIMEOUT=10s
REDIS_CLIENTS=50
READY_TIMEOUT=90
# The issue's goals on these 2 cores.
GOAL_GET_RATIO=0.6
GOAL_MGET_KEYS=500000
# garnet-server is installed here (dotnet tool install --tool-path) when it is on no PATH.
TOOLS_DIR="${PULSE_BENCH_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/pulse-bench/tools}"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN="${2:?--seconds needs a value}"; shift 2 ;;
    --mode) MODE="${2:?--mode needs a value}"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --pin) PIN="${2:?--pin needs a value}"; shift 2 ;;
    --results) RESULTS="${2:?--results needs a value}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "cache.sh: unknown option '$1'" >&2; usage 2 ;;
  esac
done
[[ "$SECONDS_PER_RUN" =~ ^[0-9]+$ ]] && [ "$SECONDS_PER_RUN" -ge 1 ] || { echo "cache.sh: --seconds must be a whole number >= 1" >&2; exit 2; }
case "$MODE" in single|cluster|both|peers) ;; *) echo "cache.sh: --mode must be single, cluster, both or peers" >&2; exit 2 ;; esac
case "$PIN" in split|none) ;; *) echo "cache.sh: --pin must be split or none" >&2; exit 2 ;; esac

RESULTS="${RESULTS:-$HERE/results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"

SILO_DLL="$ROOT/silo/Pulse.Silo/bin/Release/net10.0/Pulse.Silo.dll"
GATEWAY_DLL="$ROOT/client-gateway/Pulse.Gateway/bin/Release/net10.0/Pulse.Gateway.dll"
CLUSTER_SH="$ROOT/deploy/local/cluster.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "cache.sh: $*"; }

# ---------------------------------------------------------------------------------------------
# Cleanup: everything started is recorded here and stopped on exit, whatever the exit path.

STARTED_PIDS=()
CLUSTER_DIR=""
CLUSTER_UP=0
FAILURE=""

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  set +e
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$CLUSTER_UP" = "1" ]; then
    PULSE_CLUSTER_DIR="$CLUSTER_DIR" "$CLUSTER_SH" down >>"$RESULTS/cluster-down.log" 2>&1
    [ -d "$CLUSTER_DIR/logs" ] && cp -r "$CLUSTER_DIR/logs" "$RESULTS/cluster-logs" 2>/dev/null
  fi
  [ -n "$CLUSTER_DIR" ] && rm -rf "$CLUSTER_DIR"
  if [ "${#ROW_PEER[@]}" -gt 0 ]; then print_table | tee "$RESULTS/summary.txt"; fi
  [ -n "$FAILURE" ] && echo "cache.sh: FAILED: $FAILURE" | tee -a "$RESULTS/summary.txt" >&2
  echo "raw outputs and logs: $RESULTS"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A failure message that the exit path repeats under the table, so it is the last thing printed.
die() { FAILURE="$*"; echo "cache.sh: $*" >&2; exit 1; }

show_log() {
  local file=$1
  [ -f "$file" ] || return 0
  echo "----- last lines of $file -----" >&2
  tail -n 40 "$file" >&2
  echo "-----" >&2
}

# ---------------------------------------------------------------------------------------------
# Tools

ensure_tools() {
  local missing=() packages=()
  command -v wrk >/dev/null 2>&1 || { missing+=(wrk); packages+=(wrk); }
  command -v redis-server >/dev/null 2>&1 || { missing+=(redis-server); packages+=(redis-server); }
  if ! command -v redis-cli >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
    missing+=(redis-cli/redis-benchmark); packages+=(redis-tools)
  fi
  for tool in curl python3 dotnet; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not on PATH; install it and run again"
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${packages[*]} (apt-get) for ${missing[*]}"
    # The redis-server package would start a system-wide Redis on 6379; a policy-rc.d that says
    # "no" keeps the install from starting services, and goes away again right after.
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; own_policy=1; fi
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"; } \
      >"$RESULTS/apt-install.log" 2>&1 || { if [ "$own_policy" = "1" ]; then rm -f "$policy"; fi; show_log "$RESULTS/apt-install.log"; die "apt-get install ${packages[*]} failed"; }
    if [ "$own_policy" = "1" ]; then rm -f "$policy"; fi
  else
    die "missing ${missing[*]}; install them with: sudo apt-get install -y ${packages[*]} (or put them on PATH) and run again"
  fi
}

# Finds garnet-server (PATH, ~/.dotnet/tools, TOOLS_DIR) or installs it into TOOLS_DIR as a dotnet tool.
# Sets GARNET to its path, or GARNET_MISSING to why not: a missing Garnet is a row that says so, not a failure.
GARNET=""
GARNET_MISSING=""
ensure_garnet() {
  local candidate
  for candidate in garnet-server GarnetServer "$HOME/.dotnet/tools/garnet-server" "$TOOLS_DIR/garnet-server"; do
    if command -v "$candidate" >/dev/null 2>&1; then GARNET=$(command -v "$candidate"); return 0; fi
  done
  log "garnet-server not found; installing it with dotnet tool install --tool-path $TOOLS_DIR garnet-server"
  mkdir -p "$TOOLS_DIR"
  if (cd "$RESULTS" && timeout 300 dotnet tool install --tool-path "$TOOLS_DIR" garnet-server) >"$RESULTS/garnet-install.log" 2>&1 \
    && [ -x "$TOOLS_DIR/garnet-server" ]; then
    GARNET="$TOOLS_DIR/garnet-server"
  else
    GARNET_MISSING="garnet-server not installed: dotnet tool install failed (see garnet-install.log)"
    log "$GARNET_MISSING"
  fi
}

# ---------------------------------------------------------------------------------------------
# Helpers

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

random_key() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }

# CPU pinning: with "split", servers get CPU 0 and load generators CPU 1, so the two do not trade
# places on the same core mid-run. Processes a server starts (cluster.sh's silos) inherit it.
SERVER_PIN=()
LOAD_PIN=()
if [ "$PIN" = "split" ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
  SERVER_PIN=(taskset -c 0)
  LOAD_PIN=(taskset -c 1)
else
  PIN=none
fi

# Waits until URL answers 2xx; fails with the process's log when it exits or the time runs out.
wait_http() {
  local url=$1 name=$2 pid=$3 logfile=$4 timeout=${5:-$READY_TIMEOUT}
  local deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -lt "$deadline" ]; do
    curl -sf -o /dev/null --max-time 2 "$url" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      show_log "$logfile"
      die "$name exited before answering $url (log: $logfile)"
    fi
    sleep 0.25
  done
  show_log "$logfile"
  die "$name did not answer $url within ${timeout}s (log: $logfile)"
}

# Starts a server process in the background, pinned, logging to a file; prints nothing, records the pid.
LAST_PID=""
start_server() {
  local logfile=$1; shift
  "${SERVER_PIN[@]}" "$@" >"$logfile" 2>&1 &
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
}

# ---------------------------------------------------------------------------------------------
# Results: one row per run. ops/s is requests (commands) per second; keys/s counts keys read or
# written (ops/s x 100 for mget).

LOAD_BEFORE="-"
REDIS_ENTRY_OVERHEAD="-"
ROW_PEER=(); ROW_KIND=(); ROW_OPS=(); ROW_KEYS=(); ROW_P50=(); ROW_P99=(); ROW_NOTE=()

add_row() { ROW_PEER+=("$1"); ROW_KIND+=("$2"); ROW_OPS+=("$3"); ROW_KEYS+=("$4"); ROW_P50+=("$5"); ROW_P99+=("$6"); ROW_NOTE+=("$7"); }

# keys/s of the first row of PEER with KIND, or empty.
lookup_keys() {
  local i
  for i in "${!ROW_PEER[@]}"; do
    if [ "${ROW_PEER[$i]}" = "$1" ] && [ "${ROW_KIND[$i]}" = "$2" ]; then echo "${ROW_KEYS[$i]}"; return 0; fi
  done
}

ratio() { if [[ "${1:-}" =~ ^[0-9.]+$ ]] && [[ "${2:-}" =~ ^[0-9.]+$ ]]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'; else echo "-"; fi; }

# The peer command a Pulse run is compared with: GET with GET, PUT with SET, mget with MGET (keys/s).
peer_kind() { case "$1" in get) echo get ;; put) echo set ;; mget) echo mget ;; esac; }

print_table() {
  local i peer kind vs_redis vs_garnet goal ops_redis_get r
  echo
  echo "Cache on $(nproc) CPUs, pinning: $PIN$([ "$PIN" = split ] && echo ' (servers CPU 0, load generators CPU 1)'); ${SECONDS_PER_RUN}s per run; $KEYS keys k0..k$((KEYS - 1)), ${VALUE_BYTES}-byte values, mget/MGET of $MGET_KEYS keys"
  echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS for Pulse; redis-benchmark -c $REDIS_CLIENTS -r $KEYS -d $VALUE_BYTES for Redis and Garnet"
  echo "load average before the runs: $LOAD_BEFORE (the machine is shared: compare figures taken under the same load)"
  printf '%-14s %-5s %10s %11s %8s %8s %9s %10s %-16s %s\n' peer run ops/s keys/s p50_ms p99_ms vs_Redis vs_Garnet goal note
  ops_redis_get=$(lookup_keys redis get)
  for i in "${!ROW_PEER[@]}"; do
    peer=${ROW_PEER[$i]}; kind=${ROW_KIND[$i]}; vs_redis="-"; vs_garnet="-"; goal="-"
    if [[ "$peer" == pulse-* ]]; then
      # Keys per second against the peer's matching command (GET, SET, MGET keys).
      vs_redis=$(ratio "${ROW_KEYS[$i]}" "$(lookup_keys redis "$(peer_kind "$kind")")")
      vs_garnet=$(ratio "${ROW_KEYS[$i]}" "$(lookup_keys garnet "$(peer_kind "$kind")")")
      case "$kind" in
        get)
          r=$(ratio "${ROW_KEYS[$i]}" "$ops_redis_get")
          [ "$r" != "-" ] && goal=$(awk -v r="${r%x}" -v g="$GOAL_GET_RATIO" 'BEGIN { printf "%s>=%sx", (r >= g ? "met " : "MISSED "), g }') ;;
        mget)
          goal=$(awk -v k="${ROW_KEYS[$i]}" -v g="$GOAL_MGET_KEYS" 'BEGIN { printf "%s>=%dk/s", (k >= g ? "met " : "MISSED "), g / 1000 }') ;;
      esac
    fi
    printf '%-14s %-5s %10s %11s %8s %8s %9s %10s %-16s %s\n' "$peer" "$kind" "${ROW_OPS[$i]}" "${ROW_KEYS[$i]}" \
      "${ROW_P50[$i]}" "${ROW_P99[$i]}" "$vs_redis" "$vs_garnet" "$goal" "${ROW_NOTE[$i]}"
  done
  echo "vs_Redis / vs_Garnet: Pulse keys/s over the peer's (get vs GET, put vs SET, mget vs MGET keys/s)."
  echo "redis-server memory per entry beyond key and value (used_memory delta over the $KEYS writes): $REDIS_ENTRY_OVERHEAD"
  echo "Pulse memory per entry (goal <= 512 B beyond key and value): dotnet run -c Release --project tests/Bench -- cache-memory"
}

# ---------------------------------------------------------------------------------------------
# wrk: a warm-up (JIT tiering, connection setup), then the measured run; p50/p99 from --latency.

# wrk prints latencies as 812.00us, 1.23ms, 2.01s or 1.50m: milliseconds with two decimals.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
  if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.2f", n }'; }

run_wrk() {
  local peer=$1 kind=$2 url=$3 api_key=$4 per_request=$5
  local script extra out warmup=$((SECONDS_PER_RUN / 3))
  case "$kind" in
    get) script="$HERE/cache-get.lua"; extra=() ;;
    put) script="$HERE/cache-put.lua"; extra=("$VALUE_BYTES") ;;
    mget) script="$HERE/cache-mget.lua"; extra=("$MGET_KEYS") ;;
  esac
  out="$RESULTS/wrk-$peer-$kind.txt"
  [ "$warmup" -ge 1 ] || warmup=1
  log "$peer $kind: warm-up ${warmup}s, then ${SECONDS_PER_RUN}s (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS)"
  "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" --timeout "$WRK_TIMEOUT" -d"${warmup}s" -s "$script" "$url" -- "$api_key" "$KEYS" "${extra[@]}" \
    >"$RESULTS/wrk-$peer-$kind-warmup.txt" 2>&1 || { show_log "$RESULTS/wrk-$peer-$kind-warmup.txt"; die "wrk failed against $url"; }
  "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" --timeout "$WRK_TIMEOUT" -d"${SECONDS_PER_RUN}s" --latency -s "$script" "$url" -- "$api_key" "$KEYS" "${extra[@]}" \
    >"$out" 2>&1 || { show_log "$out"; die "wrk failed against $url"; }

  local rps p50 p99 non2xx socket note=""
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  p50=$(awk '/Latency Distribution/ { d = 1 } d && $1 == "50%" { print $2; exit }' "$out")
  p99=$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' "$out")
  [ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] || { show_log "$out"; die "could not read requests/s and p50/p99 from $out"; }
  non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$out")
  socket=$(grep -m1 'Socket errors' "$out" | sed 's/^ *//' || true)
  [ -n "$non2xx" ] && note="NOT VALID: $non2xx non-2xx responses"
  [ -n "$socket" ] && note="${note:+$note; }$socket"
  add_row "$peer" "$kind" "$rps" "$((rps * per_request))" "$(to_ms "$p50")" "$(to_ms "$p99")" "$note"
  # A GET that misses is a 404: only 2xx proves every read was a hit and every write was taken.
  [ -z "$non2xx" ] || die "$peer $kind: $non2xx of the responses were not 2xx (see $out); the figures would measure errors"
}

# ---------------------------------------------------------------------------------------------
# RESP peers: redis-server and garnet-server under the same redis-benchmark runs

# One column of redis-benchmark --csv output (header row "test","rps",...,"p50_latency_ms",...), one line per test.
csv_field() {
  awk -F, -v want="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); if (h == want) col = i }; next }
    col { v = $col; gsub(/"/, "", v); printf "%s\n", v }' "$1"
}
csv_test_field() {
  awk -F, -v test="$2" -v want="$3" '
    NR == 1 { for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); if (h == want) col = i }; next }
    { t = $1; gsub(/"/, "", t); if (col && t == test) { v = $col; gsub(/"/, "", v); print v } }' "$1"
}

# redis-benchmark counts requests, not seconds: a short calibration run (also the warm-up) sizes
# the measured one to about --seconds.
resp_bench() {
  local peer=$1 port=$2 name=$3; shift 3
  local calib out n rps
  calib="$RESULTS/$peer-$name-calibration.csv"
  "${LOAD_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -c "$REDIS_CLIENTS" -n 20000 -r "$KEYS" -d "$VALUE_BYTES" --csv "$@" >"$calib" 2>&1 \
    || { show_log "$calib"; die "redis-benchmark failed ($peer $name)"; }
  # With several tests in one run, the slowest one sizes it.
  rps=$(csv_field "$calib" rps | sort -n | head -n 1)
  n=$(awk -v r="${rps:-50000}" -v s="$SECONDS_PER_RUN" 'BEGIN { n = int(r * s); if (n < 10000) n = 10000; print n }')
  out="$RESULTS/$peer-$name.csv"
  log "$peer $name: $n requests per test (about ${SECONDS_PER_RUN}s) with redis-benchmark -c $REDIS_CLIENTS -r $KEYS -d $VALUE_BYTES"
  "${LOAD_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -c "$REDIS_CLIENTS" -n "$n" -r "$KEYS" -d "$VALUE_BYTES" --csv "$@" >"$out" 2>&1 \
    || { show_log "$out"; die "redis-benchmark failed ($peer $name)"; }
}

# Writes the key space redis-benchmark reads (key:000000000000 .. key:<KEYS-1>, 12-digit numbers as
# __rand_int__ expands) with VALUE_BYTES-byte values, through redis-cli --pipe, so every GET and MGET hits.
resp_populate() {
  local peer=$1 port=$2
  python3 - "$KEYS" "$VALUE_BYTES" >"$RESULTS/$peer-populate.resp" <<'EOF'
import sys
keys, size = int(sys.argv[1]), int(sys.argv[2])
value = b"x" * size
out = sys.stdout.buffer
for i in range(keys):
    key = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
EOF
  redis-cli -p "$port" --pipe <"$RESULTS/$peer-populate.resp" >"$RESULTS/$peer-populate.log" 2>&1 \
    || { show_log "$RESULTS/$peer-populate.log"; die "$peer: writing the $KEYS keys with redis-cli --pipe failed"; }
  local held; held=$(redis-cli -p "$port" DBSIZE)
  [ "$held" = "$KEYS" ] || die "$peer: holds $held keys after writing $KEYS (see $RESULTS/$peer-populate.log)"
}

wait_resp() {
  local peer=$1 port=$2 pid=$3 logfile=$4 deadline=$((SECONDS + 60))
  until redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; do
    kill -0 "$pid" 2>/dev/null || { show_log "$logfile"; die "$peer exited at start"; }
    [ "$SECONDS" -lt "$deadline" ] || { show_log "$logfile"; die "$peer did not answer PING within 60s"; }
    sleep 0.2
  done
}

# GET, SET and MGET of MGET_KEYS random keys (redis-benchmark replaces every __rand_int__ with its own number).
resp_runs() {
  local peer=$1 port=$2 out rps t mget_args=() k
  resp_bench "$peer" "$port" setget -t set,get
  out="$RESULTS/$peer-setget.csv"
  for t in GET SET; do
    rps=$(csv_test_field "$out" "$t" rps); rps=${rps%.*}
    [ -n "$rps" ] || { show_log "$out"; die "could not read $t rps from $out"; }
    add_row "$peer" "${t,,}" "$rps" "$rps" "$(csv_test_field "$out" "$t" p50_latency_ms)" "$(csv_test_field "$out" "$t" p99_latency_ms)" ""
  done
  for ((k = 0; k < MGET_KEYS; k++)); do mget_args+=("key:__rand_int__"); done
  resp_bench "$peer" "$port" mget MGET "${mget_args[@]}"
  out="$RESULTS/$peer-mget.csv"
  rps=$(csv_field "$out" rps | head -n 1); rps=${rps%.*}
  [ -n "$rps" ] || { show_log "$out"; die "could not read MGET rps from $out"; }
  add_row "$peer" mget "$rps" "$((rps * MGET_KEYS))" "$(csv_field "$out" p50_latency_ms | head -n 1)" "$(csv_field "$out" p99_latency_ms | head -n 1)" ""
}

run_redis() {
  local port dir before after
  port=$(free_port)
  dir="$RESULTS/redis-data"; mkdir -p "$dir"
  log "peer redis: redis-server $(redis-server --version | awk '{ sub(/^v=/, "", $3); print $3 }') on 127.0.0.1:$port, no persistence"
  start_server "$RESULTS/redis-server.log" redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$dir" --daemonize no --protected-mode yes
  local pid=$LAST_PID
  wait_resp redis "$port" "$pid" "$RESULTS/redis-server.log"
  before=$(redis-cli -p "$port" INFO memory | awk -F: '/^used_memory:/ { print $2 + 0 }')
  resp_populate redis "$port"
  after=$(redis-cli -p "$port" INFO memory | awk -F: '/^used_memory:/ { print $2 + 0 }')
  # Key "key:" + 12 digits = 16 bytes, value VALUE_BYTES: what is left is Redis's own bookkeeping.
  REDIS_ENTRY_OVERHEAD=$(awk -v b="$before" -v a="$after" -v n="$KEYS" -v v="$VALUE_BYTES" 'BEGIN { printf "%.0f B (%.0f B in all per entry)", (a - b) / n - 16 - v, (a - b) / n }')
  resp_runs redis "$port"
  stop_pid "$pid"
}

run_garnet() {
  if [ -z "$GARNET" ]; then
    add_row garnet "-" "-" "-" "-" "-" "$GARNET_MISSING"
    return 0
  fi
  local port; port=$(free_port)
  log "peer garnet: $GARNET on 127.0.0.1:$port (no checkpoints, no AOF)"
  start_server "$RESULTS/garnet-server.log" "$GARNET" --bind 127.0.0.1 --port "$port"
  local pid=$LAST_PID
  wait_resp garnet "$port" "$pid" "$RESULTS/garnet-server.log"
  resp_populate garnet "$port"
  resp_runs garnet "$port"
  stop_pid "$pid"
}

# ---------------------------------------------------------------------------------------------
# Pulse: the cache API has to be there; a 404 on its routes says it is not in this build.

API_MISSING="the cache API is not in this build; build a commit that has it (branch cache-api), or wait for it to land"

# POST (or another method) JSON and print the status code; the body goes to the file given.
send_json() {
  local method=$1 url=$2 token=$3 body=$4 out=$5
  curl -s -o "$out" -w '%{http_code}' --max-time 30 -X "$method" "$url" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" || echo 000
}

# Creates the bench tenant (a request quota far above what two cores can send, so the tenant quota
# never throttles the run), writes k0..k(KEYS-1) and checks GET and mget once; sets API_KEY.
API_KEY=""
prepare_pulse() {
  local peer=$1 gateway=$2 admin_key=$3 status out="$RESULTS/$1-api.txt"
  status=$(send_json POST "$gateway/api/v1/admin/tenants" "$admin_key" \
    '{"name":"bench","requestQuota":{"limit":1000000000,"windowMs":1000}}' "$out")
  case "$status" in
    200|201) ;;
    401|403) die "$peer: POST /api/v1/admin/tenants answered $status: the gateway did not take PULSE_ADMIN_KEY as its admin key" ;;
    *) show_log "$out"; die "$peer: POST $gateway/api/v1/admin/tenants answered $status (expected 201); body in $out" ;;
  esac
  API_KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["apiKey"])' "$out" 2>/dev/null) \
    || { show_log "$out"; die "$peer: the tenant answer has no apiKey (body in $out)"; }

  # The key space, in batches of 100 through mset: the same values the PUT run writes (a JSON string
  # of VALUE_BYTES bytes, no ttl, memory only). Not 1,000 (mset's limit): on the cluster each new entry
  # grain reads PostgreSQL as it activates, and 1,000 activations at once exhaust its connections
  # ("53300: sorry, too many clients already", a 500).
  log "$peer: writing $KEYS keys with $VALUE_BYTES-byte values (mset, 100 a request)"
  python3 - "$gateway" "$API_KEY" "$KEYS" "$VALUE_BYTES" >"$RESULTS/$peer-populate.log" 2>&1 <<'EOF' || { show_log "$RESULTS/$peer-populate.log"; die "$peer: writing the key space failed: $([ -f "$RESULTS/$peer-populate.log" ] && tail -n 1 "$RESULTS/$peer-populate.log")"; }
import http.client, json, sys, urllib.parse
gateway, api_key, keys, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
url = urllib.parse.urlparse(gateway)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
value = "x" * (size - 2)  # JSON string: the quotes make it size bytes
headers = {"Authorization": "Bearer " + api_key, "Content-Type": "application/json"}
written = 0
for start in range(0, keys, 100):
    entries = [{"key": "k%d" % i, "value": value} for i in range(start, min(keys, start + 100))]
    conn.request("POST", "/api/v1/cache/mset", json.dumps({"entries": entries}), headers)
    response = conn.getresponse()
    body = response.read()
    if response.status == 404:
        sys.exit("POST /api/v1/cache/mset answered 404: the cache API is not in this build")
    if response.status != 200:
        sys.exit("POST /api/v1/cache/mset answered %d: %s" % (response.status, body[:300]))
    results = json.loads(body)["results"]
    bad = [r for r in results if r["status"] not in ("created", "replaced")]
    if bad:
        sys.exit("mset refused entries: %s" % bad[:3])
    written += len(results)
print("written %d keys" % written)
EOF

  status=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 "$gateway/api/v1/cache/k$((KEYS - 1))" -H "Authorization: Bearer $API_KEY" || echo 000)
  [ "$status" != 404 ] || { show_log "$out"; die "$peer: GET /api/v1/cache/k$((KEYS - 1)) answered 404 after writing it: $API_MISSING, or the write was lost"; }
  [ "$status" = 200 ] && [ "$(wc -c <"$out")" -eq "$VALUE_BYTES" ] || { show_log "$out"; die "$peer: GET /api/v1/cache/k$((KEYS - 1)) answered $status, not the $VALUE_BYTES-byte value; body in $out"; }

  status=$(send_json POST "$gateway/api/v1/cache/mget" "$API_KEY" '{"keys":["k0","k1","k-absent"]}' "$out")
  [ "$status" = 200 ] && python3 -c '
import json, sys
answer = json.load(open(sys.argv[1]))
sys.exit(0 if sorted(answer["found"]) == ["k0", "k1"] and answer["missing"] == ["k-absent"] else 1)' "$out" \
    || { show_log "$out"; die "$peer: POST /api/v1/cache/mget answered $status without k0 and k1 found and k-absent missing; body in $out"; }

  # Every key must be in the tenant's cache, so the GET run is all hits (a miss would also be a 404).
  status=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 "$gateway/api/v1/cache/stats" -H "Authorization: Bearer $API_KEY" || echo 000)
  [ "$status" = 200 ] && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["entries"] >= int(sys.argv[2]) else 1)' "$out" "$KEYS" \
    || { show_log "$out"; die "$peer: GET /api/v1/cache/stats answered $status with fewer than $KEYS entries; body in $out"; }
  cp "$out" "$RESULTS/$peer-stats-before.json"
}

pulse_runs() {
  local peer=$1 gateway=$2
  run_wrk "$peer" get "$gateway/api/v1/cache/" "$API_KEY" 1
  run_wrk "$peer" mget "$gateway/api/v1/cache/mget" "$API_KEY" "$MGET_KEYS"
  # Writes last: they replace the same keys with the same values, so the reads above are unaffected either way.
  run_wrk "$peer" put "$gateway/api/v1/cache/" "$API_KEY" 1
  curl -s -o "$RESULTS/$peer-stats-after.json" --max-time 10 "$gateway/api/v1/cache/stats" -H "Authorization: Bearer $API_KEY" || true
}

run_pulse_single() {
  local gateway http data admin_key
  gateway="http://127.0.0.1:$(free_port)"; http="http://127.0.0.1:$(free_port)"
  data="$RESULTS/pulse-single-data"; mkdir -p "$data"
  admin_key=$(random_key)
  log "pulse-single: silo on $http, gateway on $gateway, data in $data"
  # From the binaries' folder, so the silo finds its appsettings.json.
  start_server "$RESULTS/pulse-single.log" env -C "$(dirname "$SILO_DLL")" \
    PULSE_GATEWAY_URL="$gateway" PULSE_HTTP_URL="$http" PULSE_DATA_DIR="$data" PULSE_ADMIN_KEY="$admin_key" \
    PULSE_SILO_PORT="$(free_port)" PULSE_CLIENT_PORT="$(free_port)" \
    dotnet "$SILO_DLL"
  local pid=$LAST_PID
  wait_http "$http/health/ready" "the Pulse silo" "$pid" "$RESULTS/pulse-single.log"
  local deadline=$((SECONDS + 15))
  # The silo is ready; a gateway inside it starts with it, so a short wait is enough.
  until curl -sf -o /dev/null --max-time 2 "$gateway/health/ready"; do
    [ "$SECONDS" -lt "$deadline" ] || { show_log "$RESULTS/pulse-single.log"; \
      die "pulse-single: the silo is ready on $http but nothing answers on PULSE_GATEWAY_URL $gateway: this build's silo does not host the gateway"; }
    sleep 0.25
  done
  prepare_pulse pulse-single "$gateway" "$admin_key"
  pulse_runs pulse-single "$gateway"
  stop_pid "$pid"
}

run_pulse_cluster() {
  local gateway="http://127.0.0.1:5080" admin_key port
  # cluster.sh uses fixed ports: another engineer's cluster on them would be measured instead of ours.
  for port in 5080 8081 8082 8083 11111 11112 11113 30001 30002 30003; do
    port_busy "$port" && die "pulse-cluster: 127.0.0.1:$port is in use (another cluster running?); stop it first (deploy/local/cluster.sh down)"
  done
  # A private state folder (PostgreSQL runs as the postgres user: it must reach it) and a known admin key.
  CLUSTER_DIR=$(mktemp -d /tmp/pulse-bench-cluster.XXXXXX); chmod 755 "$CLUSTER_DIR"
  admin_key=$(random_key)
  log "pulse-cluster: cluster.sh up 3 (state in $CLUSTER_DIR)"
  CLUSTER_UP=1
  PULSE_CLUSTER_DIR="$CLUSTER_DIR" PULSE_ADMIN_KEY="$admin_key" PULSE_CONFIGURATION=Release \
    "${SERVER_PIN[@]}" "$CLUSTER_SH" up 3 >"$RESULTS/cluster-up.log" 2>&1 || {
      show_log "$RESULTS/cluster-up.log"
      for f in "$CLUSTER_DIR"/logs/*.log; do [ -e "$f" ] && show_log "$f"; done
      die "pulse-cluster: cluster.sh up 3 failed (logs copied to $RESULTS/cluster-logs)"
    }
  wait_http "$gateway/health/ready" "the cluster gateway" "" "$RESULTS/cluster-up.log" 30
  prepare_pulse pulse-cluster "$gateway" "$admin_key"
  pulse_runs pulse-cluster "$gateway"
}

# ---------------------------------------------------------------------------------------------

ensure_tools
ensure_garnet

if [ "$SKIP_BUILD" = "0" ]; then
  projects=()
  case "$MODE" in single) projects+=(silo/Pulse.Silo) ;; cluster|both) projects+=(silo/Pulse.Silo client-gateway/Pulse.Gateway) ;; esac
  for project in "${projects[@]}"; do
    log "building $project (Release)"
    dotnet build "$ROOT/$project" -c Release -nologo -v q >"$RESULTS/build-$(basename "$project").log" 2>&1 \
      || { show_log "$RESULTS/build-$(basename "$project").log"; die "build of $project failed"; }
  done
fi
case "$MODE" in single|both) [ -f "$SILO_DLL" ] || die "$SILO_DLL is missing; run without --skip-build" ;; esac
case "$MODE" in cluster|both) [ -f "$SILO_DLL" ] && [ -f "$GATEWAY_DLL" ] || die "the silo or gateway binaries are missing; run without --skip-build" ;; esac

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "results in $RESULTS; pinning: $PIN"
{ echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"; echo "date: $(date -Is)";
  echo "cpus: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"; echo "load before: $LOAD_BEFORE";
  echo "wrk: $(wrk -v 2>&1 | head -n 1)"; echo "redis: $(redis-server --version)";
  echo "garnet: ${GARNET:-$GARNET_MISSING}"; echo "dotnet: $(dotnet --version)"; } >"$RESULTS/environment.txt"

run_redis
run_garnet
case "$MODE" in single|both) run_pulse_single ;; esac
case "$MODE" in cluster|both) run_pulse_cluster ;; esac
