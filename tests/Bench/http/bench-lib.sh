# Shared by the side-by-side HTTP benchmarks (ratelimit.sh, cache.sh); sourced, not run. The script
# sets BENCH_NAME, its defaults and usage() first, then sources this file, then defines add_row and
# print_table (the exit path prints the table) and its peers.
# Provides: option parsing (--seconds, --warmup, --mode, --skip-build, --pin, --results), the results folder,
# cleanup of everything started (by pid, cluster.sh down), die/log/show_log, tool installation,
# CPU pinning, server start and readiness waits, wrk and redis-benchmark output parsing, and the
# Pulse single-node and 3-silo cluster deployments.

while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN="${2:?--seconds needs a value}"; shift 2 ;;
    --warmup) WARMUP_SECONDS="${2:?--warmup needs a value}"; shift 2 ;;
    --mode) MODE="${2:?--mode needs a value}"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --pin) PIN="${2:?--pin needs a value}"; shift 2 ;;
    --results) RESULTS="${2:?--results needs a value}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "$BENCH_NAME: unknown option '$1'" >&2; usage 2 ;;
  esac
done
[[ "$SECONDS_PER_RUN" =~ ^[0-9]+$ ]] && [ "$SECONDS_PER_RUN" -ge 1 ] || { echo "$BENCH_NAME: --seconds must be a whole number >= 1" >&2; exit 2; }
if [ -n "${WARMUP_SECONDS:-}" ]; then
  [[ "$WARMUP_SECONDS" =~ ^[0-9]+$ ]] && [ "$WARMUP_SECONDS" -ge 1 ] || { echo "$BENCH_NAME: --warmup must be a whole number >= 1" >&2; exit 2; }
fi
case "$MODE" in single|cluster|both|peers) ;; *) echo "$BENCH_NAME: --mode must be single, cluster, both or peers" >&2; exit 2 ;; esac
case "$PIN" in split|none) ;; *) echo "$BENCH_NAME: --pin must be split or none" >&2; exit 2 ;; esac

RESULTS="${RESULTS:-$HERE/results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"

SILO_DLL="$ROOT/silo/Pulse.Silo/bin/Release/net10.0/Pulse.Silo.dll"
GATEWAY_DLL="$ROOT/client-gateway/Pulse.Gateway/bin/Release/net10.0/Pulse.Gateway.dll"
CLUSTER_SH="$ROOT/deploy/local/cluster.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { echo "$BENCH_NAME: $*"; }

# ---------------------------------------------------------------------------------------------
# Cleanup: everything started is recorded here and stopped on exit, whatever the exit path.

STARTED_PIDS=()
ROW_PEER=()
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
  [ -n "$FAILURE" ] && echo "$BENCH_NAME: FAILED: $FAILURE" | tee -a "$RESULTS/summary.txt" >&2
  echo "raw outputs and logs: $RESULTS"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A failure message that the exit path repeats under the table, so it is the last thing printed.
die() { FAILURE="$*"; echo "$BENCH_NAME: $*" >&2; exit 1; }

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
# wrk: a warm-up (JIT tiering, connection setup), then the measured run; p50/p99 from --latency.

# wrk prints latencies as 812.00us, 1.23ms, 2.01s or 1.50m: milliseconds with two decimals.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
  if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.2f", n }'; }

# measure_wrk PEER KIND URL API_KEY PER_REQUEST SCRIPT [SCRIPT ARGS...]: adds a row whose second
# figure is requests/s x PER_REQUEST; any non-2xx response fails the run.
measure_wrk() {
  local peer=$1 kind=$2 url=$3 api_key=$4 per_request=$5 script=$6; shift 6
  local out warmup=$((SECONDS_PER_RUN / 3))
  out="$RESULTS/wrk-$peer-$kind.txt"
  [ "$warmup" -ge 1 ] || warmup=1
  # Every HTTP peer is a .NET process that tiers up its JIT (with profile-guided optimisation) on the
  # core it serves from: pinned to one core, bare Kestrel's rate climbed 27k, 27k, 35k, 40k, 42k over
  # back-to-back 10 s runs and a single Pulse node's 11k, 16k, 20k, 29k, 45k, 42k, 41k. A cold cluster
  # also activates every key's grain from PostgreSQL. A shorter warm-up measures start-up.
  [ "$warmup" -ge 60 ] || warmup=60
  [ -z "${WARMUP_SECONDS:-}" ] || warmup=$WARMUP_SECONDS
  log "$peer $kind: warm-up ${warmup}s, then ${SECONDS_PER_RUN}s (wrk -t$WRK_THREADS -c$WRK_CONNECTIONS)"
  "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" --timeout "$WRK_TIMEOUT" -d"${warmup}s" -s "$script" "$url" -- "$api_key" "$KEYS" "$@" \
    >"$RESULTS/wrk-$peer-$kind-warmup.txt" 2>&1 || { show_log "$RESULTS/wrk-$peer-$kind-warmup.txt"; die "wrk failed against $url"; }
  "${LOAD_PIN[@]}" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" --timeout "$WRK_TIMEOUT" -d"${SECONDS_PER_RUN}s" --latency -s "$script" "$url" -- "$api_key" "$KEYS" "$@" \
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
# redis-benchmark --csv output

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

# ---------------------------------------------------------------------------------------------
# Pulse deployments. Each sets BENCH_GATEWAY (the gateway's URL) and BENCH_ADMIN_KEY; the single node
# also BENCH_SILO_PID. API_MISSING (set by the script) explains a build without the API being measured.

start_pulse_single() {
  local http data
  BENCH_GATEWAY="http://127.0.0.1:$(free_port)"; http="http://127.0.0.1:$(free_port)"
  data="$RESULTS/pulse-single-data"; mkdir -p "$data"
  BENCH_ADMIN_KEY=$(random_key)
  log "pulse-single: silo on $http, gateway on $BENCH_GATEWAY, data in $data"
  # From the binaries' folder, so the silo finds its appsettings.json.
  start_server "$RESULTS/pulse-single.log" env -C "$(dirname "$SILO_DLL")" \
    PULSE_GATEWAY_URL="$BENCH_GATEWAY" PULSE_HTTP_URL="$http" PULSE_DATA_DIR="$data" PULSE_ADMIN_KEY="$BENCH_ADMIN_KEY" \
    PULSE_SILO_PORT="$(free_port)" PULSE_CLIENT_PORT="$(free_port)" \
    dotnet "$SILO_DLL"
  BENCH_SILO_PID=$LAST_PID
  wait_http "$http/health/ready" "the Pulse silo" "$BENCH_SILO_PID" "$RESULTS/pulse-single.log"
  # The silo is ready; a gateway inside it starts with it, so a short wait is enough.
  local deadline=$((SECONDS + 15))
  until curl -sf -o /dev/null --max-time 2 "$BENCH_GATEWAY/health/ready"; do
    [ "$SECONDS" -lt "$deadline" ] || { show_log "$RESULTS/pulse-single.log"; \
      die "pulse-single: the silo is ready on $http but nothing answers on PULSE_GATEWAY_URL $BENCH_GATEWAY: this build's silo does not host the gateway, so $API_MISSING"; }
    sleep 0.25
  done
}

start_pulse_cluster() {
  local port
  BENCH_GATEWAY="http://127.0.0.1:5080"
  # cluster.sh uses fixed ports: another engineer's cluster on them would be measured instead of ours.
  for port in 5080 8081 8082 8083 11111 11112 11113 30001 30002 30003; do
    port_busy "$port" && die "pulse-cluster: 127.0.0.1:$port is in use (another cluster running?); stop it first (deploy/local/cluster.sh down)"
  done
  # A private state folder (PostgreSQL runs as the postgres user: it must reach it) and a known admin key.
  CLUSTER_DIR=$(mktemp -d /tmp/pulse-bench-cluster.XXXXXX); chmod 755 "$CLUSTER_DIR"
  BENCH_ADMIN_KEY=$(random_key)
  log "pulse-cluster: cluster.sh up 3 (state in $CLUSTER_DIR)"
  CLUSTER_UP=1
  PULSE_CLUSTER_DIR="$CLUSTER_DIR" PULSE_ADMIN_KEY="$BENCH_ADMIN_KEY" PULSE_CONFIGURATION=Release \
    "${SERVER_PIN[@]}" "$CLUSTER_SH" up 3 >"$RESULTS/cluster-up.log" 2>&1 || {
      show_log "$RESULTS/cluster-up.log"
      for f in "$CLUSTER_DIR"/logs/*.log; do [ -e "$f" ] && show_log "$f"; done
      die "pulse-cluster: cluster.sh up 3 failed (logs copied to $RESULTS/cluster-logs)"
    }
  wait_http "$BENCH_GATEWAY/health/ready" "the cluster gateway" "" "$RESULTS/cluster-up.log" 30
}

# ---------------------------------------------------------------------------------------------
# Build and record

# build_release PROJECT...: the projects the mode needs besides the ones given (unless --skip-build),
# then checks the binaries are there.
build_release() {
  local projects=("$@") project
  case "$MODE" in single) projects+=(silo/Pulse.Silo) ;; cluster|both) projects+=(silo/Pulse.Silo client-gateway/Pulse.Gateway) ;; esac
  if [ "$SKIP_BUILD" = "0" ]; then
    for project in "${projects[@]}"; do
      log "building $project (Release)"
      dotnet build "$ROOT/$project" -c Release -nologo -v q >"$RESULTS/build-$(basename "$project").log" 2>&1 \
        || { show_log "$RESULTS/build-$(basename "$project").log"; die "build of $project failed"; }
    done
  fi
  case "$MODE" in single|both) [ -f "$SILO_DLL" ] || die "$SILO_DLL is missing; run without --skip-build" ;; esac
  case "$MODE" in cluster|both) [ -f "$SILO_DLL" ] && [ -f "$GATEWAY_DLL" ] || die "the silo or gateway binaries are missing; run without --skip-build" ;; esac
}

# write_environment [LINE...]: the machine, the load and the tools in environment.txt, plus the lines given.
LOAD_BEFORE="-"
write_environment() {
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  log "results in $RESULTS; pinning: $PIN"
  { echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"; echo "date: $(date -Is)";
    echo "cpus: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"; echo "load before: $LOAD_BEFORE";
    echo "wrk: $(wrk -v 2>&1 | head -n 1)"; echo "redis: $(redis-server --version)"; [ "$#" -eq 0 ] || printf '%s\n' "$@"; echo "dotnet: $(dotnet --version)"; } >"$RESULTS/environment.txt"
}
