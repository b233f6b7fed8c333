#!/usr/bin/env bash
# Side-by-side HTTP benchmark of Pulse's rate limiter against two peers on this machine:
#   redis-lua     a private redis-server running the same GCRA as a Lua script (EVALSHA), driven by
#                 redis-benchmark; plain SET/GET beside it for reference
#   bare-kestrel  tests/Bench/BareKestrel: the same JSON in and out on ASP.NET Core, no grain call
#                 behind it; the ceiling of what Kestrel does here
#   pulse-single  one silo (gateway inside it), SQLite data in a temp folder
#   pulse-cluster deploy/local/cluster.sh up 3: PostgreSQL, 3 silos and a gateway
# Every HTTP peer gets the same wrk runs (ratelimit-check.lua, ratelimit-batch.lua). One table at the
# end; raw outputs, server logs and summary.txt in the results folder it prints.
#
#   tests/Bench/http/ratelimit.sh [--seconds N] [--mode single|cluster|both|peers] [--skip-build]
#                                 [--pin split|none] [--results DIR]
#
#   --seconds N   length of each measured run (default 10); each HTTP run follows a warm-up of N/3 s
#   --mode        which Pulse deployments to measure besides the peers (default both; peers: none)
#   --skip-build  use the Release binaries already built
#   --pin split   servers on CPU 0, load generators on CPU 1 (the default on 2+ CPUs); none: no pinning
#   --results DIR where raw outputs go (default tests/Bench/http/results/<time>)
# Everything it starts (redis-server, dotnet processes, the cluster) is stopped on exit, by pid.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
SECONDS_PER_RUN=10
MODE=both
SKIP_BUILD=0
PIN=split
RESULTS=""
KEYS=10000
BATCH=1000
WRK_THREADS=2
WRK_CONNECTIONS=64
# wrk counts a response slower than 2 s as a timeout by default; a 1,000-check batch queued behind 63
# others on one busy core can take that long, and it is a slow answer, not a lost one.
WRK_TIMEOUT=10s
REDIS_CLIENTS=50
READY_TIMEOUT=90

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN="${2:?--seconds needs a value}"; shift 2 ;;
    --mode) MODE="${2:?--mode needs a value}"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --pin) PIN="${2:?--pin needs a value}"; shift 2 ;;
    --results) RESULTS="${2:?--results needs a value}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "ratelimit.sh: unknown option '$1'" >&2; usage 2 ;;
  esac
done
[[ "$SECONDS_PER_RUN" =~ ^[0-9]+$ ]] && [ "$SECONDS_PER_RUN" -ge 1 ] || { echo "ratelimit.sh: --seconds must be a whole number >= 1" >&2; exit 2; }
case "$MODE" in single|cluster|both|peers) ;; *) echo "ratelimit.sh: --mode must be single, cluster, both or peers" >&2; exit 2 ;; esac
case "$PIN" in split|none) ;; *) echo "ratelimit.sh: --pin must be split or none" >&2; exit 2 ;; esac

RESULTS="${RESULTS:-$HERE/results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"

SILO_DLL="$ROOT/silo/Pulse.Silo/bin/Release/net10.0/Pulse.Silo.dll"
GATEWAY_DLL="$ROOT/client-gateway/Pulse.Gateway/bin/Release/net10.0/Pulse.Gateway.dll"
BARE_DLL="$ROOT/tests/Bench/BareKestrel/bin/Release/net10.0/Pulse.Bench.BareKestrel.dll"
CLUSTER_SH="$ROOT/deploy/local/cluster.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "ratelimit.sh: $*"; }

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
  [ -n "$FAILURE" ] && echo "ratelimit.sh: FAILED: $FAILURE" | tee -a "$RESULTS/summary.txt" >&2
  echo "raw outputs and logs: $RESULTS"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A failure message that the exit path repeats under the table, so it is the last thing printed.
die() { FAILURE="$*"; echo "ratelimit.sh: $*" >&2; exit 1; }

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
# Results: one row per run

LOAD_BEFORE="-"
ROW_PEER=(); ROW_KIND=(); ROW_RPS=(); ROW_DPS=(); ROW_P50=(); ROW_P99=(); ROW_NOTE=()

add_row() { ROW_PEER+=("$1"); ROW_KIND+=("$2"); ROW_RPS+=("$3"); ROW_DPS+=("$4"); ROW_P50+=("$5"); ROW_P99+=("$6"); ROW_NOTE+=("$7"); }

# The first row of PEER with KIND's decisions/s or requests/s, or empty.
lookup() {
  local peer=$1 kind=$2 field=$3 i
  for i in "${!ROW_PEER[@]}"; do
    if [ "${ROW_PEER[$i]}" = "$peer" ] && [ "${ROW_KIND[$i]}" = "$kind" ]; then
      case "$field" in rps) echo "${ROW_RPS[$i]}" ;; dps) echo "${ROW_DPS[$i]}" ;; esac
      return 0
    fi
  done
}

ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }' || echo "-"; }

print_table() {
  local redis_lua bare i peer kind ratio_redis ratio_bare
  redis_lua=$(lookup redis-lua evalsha-gcra dps)
  echo
  echo "Rate-limit checks on $(nproc) CPUs, pinning: $PIN$([ "$PIN" = split ] && echo ' (servers CPU 0, load generators CPU 1)'); ${SECONDS_PER_RUN}s per run; $KEYS keys, limit 100/60s"
  echo "load average before the runs: $LOAD_BEFORE (the machine is shared: compare figures taken under the same load)"
  printf '%-14s %-13s %12s %13s %9s %9s %12s %13s  %s\n' peer run requests/s decisions/s p50_ms p99_ms Pulse/Redis Pulse/Kestrel note
  for i in "${!ROW_PEER[@]}"; do
    peer=${ROW_PEER[$i]}; kind=${ROW_KIND[$i]}; ratio_redis="-"; ratio_bare="-"
    if [[ "$peer" == pulse-* ]]; then
      # Decisions per second against Redis (one EVALSHA is one decision); same run against Kestrel.
      ratio_redis=$(ratio "${ROW_DPS[$i]}" "$redis_lua")
      bare=$(lookup bare-kestrel "$kind" rps)
      ratio_bare=$(ratio "${ROW_RPS[$i]}" "$bare")
    fi
    printf '%-14s %-13s %12s %13s %9s %9s %12s %13s  %s\n' "$peer" "$kind" "${ROW_RPS[$i]}" "${ROW_DPS[$i]}" \
      "${ROW_P50[$i]}" "${ROW_P99[$i]}" "$ratio_redis" "$ratio_bare" "${ROW_NOTE[$i]}"
  done
}

# ---------------------------------------------------------------------------------------------
# wrk: a warm-up (JIT tiering, connection setup), then the measured run; p50/p99 from --latency.

# wrk prints latencies as 812.00us, 1.23ms, 2.01s or 1.50m: milliseconds with two decimals.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
  if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.2f", n }'; }

run_wrk() {
  local peer=$1 kind=$2 url=$3 api_key=$4 per_request=$5
  local script out warmup=$((SECONDS_PER_RUN / 3))
  case "$kind" in check) script="$HERE/ratelimit-check.lua" ;; batch) script="$HERE/ratelimit-batch.lua" ;; esac
  out="$RESULTS/wrk-$peer-$kind.txt"
  [ "$warmup" -ge 1 ] || warmup=1
  log "$peer $kind: warm-up ${warmup}s, then ${SECONDS_PER_RUN}s (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS)"
  "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" --timeout "$WRK_TIMEOUT" -d"${warmup}s" -s "$script" "$url" -- "$api_key" "$KEYS" "$BATCH" \
    >"$RESULTS/wrk-$peer-$kind-warmup.txt" 2>&1 || { show_log "$RESULTS/wrk-$peer-$kind-warmup.txt"; die "wrk failed against $url"; }
  "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" --timeout "$WRK_TIMEOUT" -d"${SECONDS_PER_RUN}s" --latency -s "$script" "$url" -- "$api_key" "$KEYS" "$BATCH" \
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
  [ -z "$non2xx" ] || die "$peer $kind: $non2xx of the responses were not 2xx (see $out); the figures would measure errors"
}

# ---------------------------------------------------------------------------------------------
# Peer 1: Redis + Lua GCRA

# redis-benchmark counts requests, not seconds: a short calibration run (also the warm-up) sizes
# the measured one to about --seconds.
redis_bench() {
  local name=$1; shift
  local calib out n rps
  calib="$RESULTS/redis-$name-calibration.csv"
  "${LOAD_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$REDIS_CLIENTS" -n 20000 -r "$KEYS" --csv "$@" >"$calib" 2>&1 \
    || { show_log "$calib"; die "redis-benchmark failed ($name)"; }
  rps=$(csv_field "$calib" rps | head -n 1)
  n=$(awk -v r="${rps:-50000}" -v s="$SECONDS_PER_RUN" 'BEGIN { n = int(r * s); if (n < 10000) n = 10000; print n }')
  out="$RESULTS/redis-$name.csv"
  log "redis $name: $n requests (about ${SECONDS_PER_RUN}s) with redis-benchmark -c $REDIS_CLIENTS -r $KEYS"
  "${LOAD_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$REDIS_CLIENTS" -n "$n" -r "$KEYS" --csv "$@" >"$out" 2>&1 \
    || { show_log "$out"; die "redis-benchmark failed ($name)"; }
}

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

run_redis() {
  local dir
  REDIS_PORT=$(free_port)
  dir="$RESULTS/redis-data"; mkdir -p "$dir"
  log "peer redis-lua: redis-server $(redis-server --version | awk '{ sub(/^v=/, "", $3); print $3 }') on 127.0.0.1:$REDIS_PORT, no persistence"
  start_server "$RESULTS/redis-server.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$dir" --daemonize no --protected-mode yes
  local pid=$LAST_PID deadline=$((SECONDS + 30))
  until redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; do
    kill -0 "$pid" 2>/dev/null || { show_log "$RESULTS/redis-server.log"; die "redis-server exited at start"; }
    [ "$SECONDS" -lt "$deadline" ] || { show_log "$RESULTS/redis-server.log"; die "redis-server did not answer PING within 30s"; }
    sleep 0.2
  done

  local sha answer
  sha=$(redis-cli -p "$REDIS_PORT" -x SCRIPT LOAD <"$HERE/gcra.lua")
  [[ "$sha" =~ ^[0-9a-f]{40}$ ]] || die "SCRIPT LOAD of gcra.lua failed: $sha"
  # A quick check of the script's answers before timing it: the first check on a key allows and leaves limit-1.
  answer=$(redis-cli -p "$REDIS_PORT" EVALSHA "$sha" 1 bench:selftest 100 60000 | tr '\n' ' ')
  [ "$answer" = "1 100 99 600 0 " ] || die "gcra.lua answered '$answer' to a first check (expected '1 100 99 600 0')"
  redis-cli -p "$REDIS_PORT" DEL bench:selftest >/dev/null

  # redis-benchmark replaces __rand_int__ inside any argument of a custom command with a number below -r.
  redis_bench evalsha EVALSHA "$sha" 1 "key:__rand_int__" 100 60000
  local out="$RESULTS/redis-evalsha.csv" rps
  rps=$(csv_field "$out" rps | head -n 1); rps=${rps%.*}
  [ -n "$rps" ] || { show_log "$out"; die "could not read rps from $out"; }
  add_row redis-lua evalsha-gcra "$rps" "$rps" "$(csv_field "$out" p50_latency_ms | head -n 1)" "$(csv_field "$out" p99_latency_ms | head -n 1)" ""
  # Every key of the run must hold a TAT: proof the script ran, not an error reply per request.
  local keys_held; keys_held=$(redis-cli -p "$REDIS_PORT" DBSIZE)
  [ "$keys_held" -gt 0 ] || die "after the EVALSHA run Redis holds no keys: the script did not run (see $out)"

  redis_bench setget -t set,get
  out="$RESULTS/redis-setget.csv"
  for t in SET GET; do
    rps=$(csv_test_field "$out" "$t" rps); rps=${rps%.*}
    add_row redis "${t,,} (ref)" "$rps" "-" "$(csv_test_field "$out" "$t" p50_latency_ms)" "$(csv_test_field "$out" "$t" p99_latency_ms)" "plain command, no script"
  done
  stop_pid "$pid"
}

# ---------------------------------------------------------------------------------------------
# Peer 2: bare Kestrel

run_bare_kestrel() {
  local port url
  port=$(free_port); url="http://127.0.0.1:$port"
  log "peer bare-kestrel on $url"
  start_server "$RESULTS/bare-kestrel.log" dotnet "$BARE_DLL" "$url"
  local pid=$LAST_PID
  wait_http "$url/health/ready" "bare Kestrel" "$pid" "$RESULTS/bare-kestrel.log" 60
  run_wrk bare-kestrel check "$url/api/v1/ratelimit/check" "" 1
  run_wrk bare-kestrel batch "$url/api/v1/ratelimit/check-batch" "" "$BATCH"
  stop_pid "$pid"
}

# ---------------------------------------------------------------------------------------------
# Pulse: the API has to be there; a 404 says it is not in this build.

API_MISSING="the rate-limit API is not in this build; build a commit that has it, or wait for it to land"

# POST JSON and print the status code; the body goes to the file given.
post_json() {
  local url=$1 token=$2 body=$3 out=$4
  curl -s -o "$out" -w '%{http_code}' --max-time 10 -X POST "$url" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" || echo 000
}

# Creates the bench tenant and checks both endpoints once; sets API_KEY.
API_KEY=""
prepare_pulse() {
  local peer=$1 gateway=$2 admin_key=$3 status out="$RESULTS/$1-api.txt"
  status=$(post_json "$gateway/api/v1/admin/tenants" "$admin_key" \
    '{"name":"bench","requestQuota":{"limit":100000000,"windowMs":1000}}' "$out")
  case "$status" in
    200|201) ;;
    404) die "$peer: POST $gateway/api/v1/admin/tenants answered 404: $API_MISSING" ;;
    401|403) die "$peer: POST /api/v1/admin/tenants answered $status: the gateway did not take PULSE_ADMIN_KEY as its admin key" ;;
    *) show_log "$out"; die "$peer: POST /api/v1/admin/tenants answered $status (expected 201); body in $out" ;;
  esac
  API_KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["apiKey"])' "$out" 2>/dev/null) \
    || { show_log "$out"; die "$peer: the tenant answer has no apiKey (body in $out)"; }

  status=$(post_json "$gateway/api/v1/ratelimit/check" "$API_KEY" '{"key":"k-smoke","limit":100,"windowMs":60000}' "$out")
  [ "$status" != 404 ] || die "$peer: POST $gateway/api/v1/ratelimit/check answered 404: $API_MISSING"
  [ "$status" = 200 ] && grep -q '"allowed"' "$out" || { show_log "$out"; die "$peer: POST /api/v1/ratelimit/check answered $status without a decision; body in $out"; }

  status=$(post_json "$gateway/api/v1/ratelimit/check-batch" "$API_KEY" \
    '{"checks":[{"key":"k-smoke","limit":100,"windowMs":60000},{"key":"k-smoke2","limit":100,"windowMs":60000}]}' "$out")
  [ "$status" != 404 ] || die "$peer: POST $gateway/api/v1/ratelimit/check-batch answered 404: $API_MISSING"
  [ "$status" = 200 ] && grep -q '"results"' "$out" || { show_log "$out"; die "$peer: POST /api/v1/ratelimit/check-batch answered $status without results; body in $out"; }
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
  if ! curl -sf -o /dev/null --max-time 2 "$gateway/health/ready"; then
    # The silo is ready; a gateway inside it starts with it, so a short wait is enough.
    local deadline=$((SECONDS + 15))
    until curl -sf -o /dev/null --max-time 2 "$gateway/health/ready"; do
      [ "$SECONDS" -lt "$deadline" ] || { show_log "$RESULTS/pulse-single.log"; \
        die "pulse-single: the silo is ready on $http but nothing answers on PULSE_GATEWAY_URL $gateway: this build's silo does not host the gateway, so $API_MISSING"; }
      sleep 0.25
    done
  fi
  prepare_pulse pulse-single "$gateway" "$admin_key"
  run_wrk pulse-single check "$gateway/api/v1/ratelimit/check" "$API_KEY" 1
  run_wrk pulse-single batch "$gateway/api/v1/ratelimit/check-batch" "$API_KEY" "$BATCH"
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
  run_wrk pulse-cluster check "$gateway/api/v1/ratelimit/check" "$API_KEY" 1
  run_wrk pulse-cluster batch "$gateway/api/v1/ratelimit/check-batch" "$API_KEY" "$BATCH"
}

# ---------------------------------------------------------------------------------------------

ensure_tools

if [ "$SKIP_BUILD" = "0" ]; then
  projects=(tests/Bench/BareKestrel)
  case "$MODE" in single) projects+=(silo/Pulse.Silo) ;; cluster|both) projects+=(silo/Pulse.Silo client-gateway/Pulse.Gateway) ;; esac
  for project in "${projects[@]}"; do
    log "building $project (Release)"
    dotnet build "$ROOT/$project" -c Release -nologo -v q >"$RESULTS/build-$(basename "$project").log" 2>&1 \
      || { show_log "$RESULTS/build-$(basename "$project").log"; die "build of $project failed"; }
  done
fi
[ -f "$BARE_DLL" ] || die "$BARE_DLL is missing; run without --skip-build"
case "$MODE" in single|both) [ -f "$SILO_DLL" ] || die "$SILO_DLL is missing; run without --skip-build" ;; esac
case "$MODE" in cluster|both) [ -f "$SILO_DLL" ] && [ -f "$GATEWAY_DLL" ] || die "the silo or gateway binaries are missing; run without --skip-build" ;; esac

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "results in $RESULTS; pinning: $PIN"
{ echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"; echo "date: $(date -Is)";
  echo "cpus: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"; echo "load before: $LOAD_BEFORE";
  echo "wrk: $(wrk -v 2>&1 | head -n 1)"; echo "redis: $(redis-server --version)"; echo "dotnet: $(dotnet --version)"; } >"$RESULTS/environment.txt"

run_redis
run_bare_kestrel
case "$MODE" in single|both) run_pulse_single ;; esac
case "$MODE" in cluster|both) run_pulse_cluster ;; esac
