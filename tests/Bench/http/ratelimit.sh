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
#   tests/Bench/http/ratelimit.sh [--seconds N] [--warmup N] [--mode single|cluster|both|peers] [--skip-build]
#                                 [--pin split|none] [--results DIR]
#
#   --seconds N   length of each measured run (default 10); each HTTP run follows a warm-up of at least 60 s
#   --warmup N    warm-up before each wrk run (default: N/3 s or 60 s, whichever is longer)
#   --mode        which Pulse deployments to measure besides the peers (default both; peers: none)
#   --skip-build  use the Release binaries already built
#   --pin split   servers on CPU 0, load generators on CPU 1 (the default on 2+ CPUs); none: no pinning
#   --results DIR where raw outputs go (default tests/Bench/http/results/<time>)
# Everything it starts (redis-server, dotnet processes, the cluster) is stopped on exit, by pid.
set -euo pipefail

BENCH_NAME=ratelimit.sh

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

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

# Options, results folder, cleanup, tools, pinning, server start, wrk and CSV parsing, Pulse deployments.
# shellcheck source=bench-lib.sh
source "$HERE/bench-lib.sh"

BARE_DLL="$ROOT/tests/Bench/BareKestrel/bin/Release/net10.0/Pulse.Bench.BareKestrel.dll"

# ---------------------------------------------------------------------------------------------
# Results: one row per run

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
# wrk runs: ratelimit-check.lua (one check a request) and ratelimit-batch.lua (BATCH checks a request).

run_wrk() {
  local peer=$1 kind=$2 url=$3 api_key=$4 per_request=$5 script
  case "$kind" in check) script="$HERE/ratelimit-check.lua" ;; batch) script="$HERE/ratelimit-batch.lua" ;; esac
  measure_wrk "$peer" "$kind" "$url" "$api_key" "$per_request" "$script" "$BATCH"
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
  # With the socket setting the Pulse hosts give themselves (SocketEngineDefaults), so the ceiling is like for like.
  start_server "$RESULTS/bare-kestrel.log" env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$BARE_DLL" "$url"
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
  start_pulse_single
  prepare_pulse pulse-single "$BENCH_GATEWAY" "$BENCH_ADMIN_KEY"
  run_wrk pulse-single check "$BENCH_GATEWAY/api/v1/ratelimit/check" "$API_KEY" 1
  run_wrk pulse-single batch "$BENCH_GATEWAY/api/v1/ratelimit/check-batch" "$API_KEY" "$BATCH"
  stop_pid "$BENCH_SILO_PID"
}

run_pulse_cluster() {
  start_pulse_cluster
  prepare_pulse pulse-cluster "$BENCH_GATEWAY" "$BENCH_ADMIN_KEY"
  run_wrk pulse-cluster check "$BENCH_GATEWAY/api/v1/ratelimit/check" "$API_KEY" 1
  run_wrk pulse-cluster batch "$BENCH_GATEWAY/api/v1/ratelimit/check-batch" "$API_KEY" "$BATCH"
}

# ---------------------------------------------------------------------------------------------

ensure_tools
build_release tests/Bench/BareKestrel
[ -f "$BARE_DLL" ] || die "$BARE_DLL is missing; run without --skip-build"
write_environment

run_redis
run_bare_kestrel
case "$MODE" in single|both) run_pulse_single ;; esac
case "$MODE" in cluster|both) run_pulse_cluster ;; esac
