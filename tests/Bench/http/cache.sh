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
#   tests/Bench/http/cache.sh [--seconds N] [--warmup N] [--mode single|cluster|both|peers] [--skip-build]
#                             [--pin split|none] [--results DIR]
#
#   --seconds N   length of each measured run (default 10); each wrk run follows a warm-up of at least 60 s
#   --warmup N    warm-up before each wrk run (default: N/3 s or 60 s, whichever is longer)
#   --mode        which Pulse deployments to measure besides the peers (default both; peers: none)
#   --skip-build  use the Release binaries already built
#   --pin split   servers on CPU 0, load generators on CPU 1 (the default on 2+ CPUs); none: no pinning
#   --results DIR where raw outputs go (default tests/Bench/http/results/<time>)
# Everything it starts (redis-server, garnet-server, dotnet processes, the cluster) is stopped on exit, by pid.
set -euo pipefail

BENCH_NAME=cache.sh

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

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

# Options, results folder, cleanup, tools, pinning, server start, wrk and CSV parsing, Pulse deployments.
# shellcheck source=bench-lib.sh
source "$HERE/bench-lib.sh"

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
# Results: one row per run. ops/s is requests (commands) per second; keys/s counts keys read or
# written (ops/s x 100 for mget).

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
# wrk runs: cache-get.lua, cache-put.lua (VALUE_BYTES-byte values), cache-mget.lua (MGET_KEYS keys a request).

run_wrk() {
  local peer=$1 kind=$2 url=$3 api_key=$4 per_request=$5 script extra=()
  case "$kind" in
    get) script="$HERE/cache-get.lua" ;;
    put) script="$HERE/cache-put.lua"; extra=("$VALUE_BYTES") ;;
    mget) script="$HERE/cache-mget.lua"; extra=("$MGET_KEYS") ;;
  esac
  # A GET that misses is a 404: only 2xx proves every read was a hit and every write was taken.
  measure_wrk "$peer" "$kind" "$url" "$api_key" "$per_request" "$script" "${extra[@]}"
}

# ---------------------------------------------------------------------------------------------
# RESP peers: redis-server and garnet-server under the same redis-benchmark runs

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
  start_pulse_single
  prepare_pulse pulse-single "$BENCH_GATEWAY" "$BENCH_ADMIN_KEY"
  pulse_runs pulse-single "$BENCH_GATEWAY"
  stop_pid "$BENCH_SILO_PID"
}

run_pulse_cluster() {
  start_pulse_cluster
  prepare_pulse pulse-cluster "$BENCH_GATEWAY" "$BENCH_ADMIN_KEY"
  pulse_runs pulse-cluster "$BENCH_GATEWAY"
}

# ---------------------------------------------------------------------------------------------

ensure_tools
ensure_garnet
build_release
write_environment "garnet: ${GARNET:-$GARNET_MISSING}"

run_redis
run_garnet
case "$MODE" in single|both) run_pulse_single ;; esac
case "$MODE" in cluster|both) run_pulse_cluster ;; esac
