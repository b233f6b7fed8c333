#!/usr/bin/env bash
# A local multi-process Pulse cluster on loopback: a private PostgreSQL, N silo processes and one
# gateway process. State lives under $PULSE_CLUSTER_DIR (default: .cluster in the repository).
#
#   cluster.sh up N          start PostgreSQL, silos 1..N and the gateway; print endpoints
#   cluster.sh kill-silo I   SIGKILL silo I (no goodbye)
#   cluster.sh stop-silo I   SIGTERM silo I and wait for it to leave gracefully
#   cluster.sh start-silo I  start silo I again (a new generation)
#   cluster.sh status        one line per silo: index pid address status (status as the membership table holds it)
#   cluster.sh down          stop everything this script started, by pid, and PostgreSQL
#
# Silo I listens on 11110+I (silo-to-silo), 30000+I (clients) and http://127.0.0.1:(8080+I);
# the gateway answers on http://127.0.0.1:5080. `up` uses PULSE_ADMIN_KEY as the gateway's admin key, or
# generates one into $PULSE_CLUSTER_DIR/admin-key (mode 0600, kept across runs) and prints it.
# Logs go to $PULSE_CLUSTER_DIR/logs. The binaries are
# built once in Release when missing (PULSE_REBUILD=1 forces a build). PULSE_* variables in the
# environment pass through to the silos and the gateway.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${PULSE_CLUSTER_DIR:-$ROOT/.cluster}"
CLUSTER_ID="${PULSE_CLUSTER_ID:-local}"
CONFIGURATION="${PULSE_CONFIGURATION:-Release}"
SILO_DLL="$ROOT/silo/Pulse.Silo/bin/$CONFIGURATION/net10.0/Pulse.Silo.dll"
GATEWAY_DLL="$ROOT/client-gateway/Pulse.Gateway/bin/$CONFIGURATION/net10.0/Pulse.Gateway.dll"

die() { echo "cluster.sh: $*" >&2; exit 1; }

# The server binaries' folder; a pg_ctl on PATH is often a symlink into it.
pg_bin() {
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return; fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] || die "PostgreSQL server binaries not found; install them with: apt-get install -y postgresql"
  echo "$found"
}

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

pg_port() { cat "$DIR/pg.port"; }
# Each silo and the gateway pool at most 20 connections, so 3 silos and a gateway stay under
# PostgreSQL's default max_connections (100) even when every cache entry activation reads the store.
connection_string() { echo "Host=127.0.0.1;Port=$(pg_port);Username=postgres;Database=pulse;Pooling=true;Maximum Pool Size=20"; }

# psql is a client tool: Debian puts it on PATH (a wrapper), not always next to the server binaries.
psql_bin() { if [ -x "$(pg_bin)/psql" ]; then echo "$(pg_bin)/psql"; else command -v psql || die "psql not found; install it with: apt-get install -y postgresql-client"; fi; }

psql_query() { as_pg "$(psql_bin)" -h 127.0.0.1 -p "$(pg_port)" -U postgres -d pulse -At -F ' ' -c "$1"; }

start_postgres() {
  local bin; bin=$(pg_bin)
  mkdir -p "$DIR"
  if ! { [ -f "$DIR/pg.port" ] && as_pg "$bin/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; }; then
    if [ ! -d "$DIR/pg" ]; then
      mkdir -p "$DIR/pg"
      [ "$(id -u)" = "0" ] && chown postgres "$DIR" "$DIR/pg"
      as_pg "$bin/initdb" -D "$DIR/pg" -U postgres -A trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 || die "initdb failed; see $DIR/initdb.log"
    fi
    free_port >"$DIR/pg.port"
    as_pg "$bin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/server.log" -w -o "-p $(pg_port) -k $DIR/pg -c listen_addresses=127.0.0.1" start >/dev/null \
      || die "PostgreSQL did not start; see $DIR/pg/server.log"
  fi
  # Also when the server was already running: an earlier run may have stopped between start and create.
  as_pg "$(psql_bin)" -h 127.0.0.1 -p "$(pg_port)" -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname='pulse'" | grep -q 1 \
    || as_pg "$(psql_bin)" -h 127.0.0.1 -p "$(pg_port)" -U postgres -d postgres -qc "CREATE DATABASE pulse" >/dev/null \
    || die "could not create the pulse database; see $DIR/pg/server.log"
}

build() {
  if [ ! -f "$SILO_DLL" ] || [ ! -f "$GATEWAY_DLL" ] || [ "${PULSE_REBUILD:-0}" = "1" ]; then
    echo "building Pulse ($CONFIGURATION)..."
    dotnet build "$ROOT/Orleans.sln" -c "$CONFIGURATION" -nologo -v q >"$DIR/build.log" 2>&1 || die "build failed; see $DIR/build.log"
  fi
}

pid_of() { local f="$DIR/pids/$1.pid"; [ -f "$f" ] && cat "$f" || true; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

start_silo() {
  local i=$1
  alive "$(pid_of "silo-$i")" && die "silo $i is already running (pid $(pid_of "silo-$i"))"
  mkdir -p "$DIR/logs" "$DIR/pids"
  PULSE_POSTGRES="$(connection_string)" PULSE_CLUSTER_ID="$CLUSTER_ID" PULSE_SILO_NAME="silo-$i" \
  PULSE_SILO_PORT=$((11110 + i)) PULSE_CLIENT_PORT=$((30000 + i)) PULSE_HTTP_URL="http://127.0.0.1:$((8080 + i))" \
  PULSE_DATA_DIR="$DIR/data/silo-$i" \
    nohup env -u PULSE_GATEWAY_URL dotnet "$SILO_DLL" >>"$DIR/logs/silo-$i.log" 2>&1 &
  echo $! >"$DIR/pids/silo-$i.pid"
}

# The admin key: PULSE_ADMIN_KEY when set, else the one generated into the state folder on the first `up`.
admin_key() {
  if [ -n "${PULSE_ADMIN_KEY:-}" ]; then echo "$PULSE_ADMIN_KEY"; return; fi
  local file="$DIR/admin-key"
  if [ ! -s "$file" ]; then
    (umask 077 && python3 -c 'import secrets; print("pa_" + secrets.token_urlsafe(32))' >"$file")
  fi
  chmod 600 "$file"
  cat "$file"
}

start_gateway() {
  alive "$(pid_of gateway)" && return
  mkdir -p "$DIR/logs" "$DIR/pids"
  PULSE_POSTGRES="$(connection_string)" PULSE_CLUSTER_ID="$CLUSTER_ID" PULSE_GATEWAY_URL="http://127.0.0.1:5080" \
  PULSE_ADMIN_KEY="$(admin_key)" \
    nohup dotnet "$GATEWAY_DLL" >>"$DIR/logs/gateway.log" 2>&1 &
  echo $! >"$DIR/pids/gateway.pid"
}

wait_http() {
  local url=$1 name=$2
  for _ in $(seq 1 120); do
    curl -sf "$url" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$name did not answer $url; see $DIR/logs"
}

silo_indexes() { ls "$DIR/pids" 2>/dev/null | sed -n 's/^silo-\([0-9]*\)\.pid$/\1/p' | sort -n; }

cmd_up() {
  local n=${1:-3}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "usage: cluster.sh up N (N >= 1)"
  mkdir -p "$DIR"
  build
  start_postgres
  for i in $(seq 1 "$n"); do alive "$(pid_of "silo-$i")" || start_silo "$i"; done
  for i in $(seq 1 "$n"); do wait_http "http://127.0.0.1:$((8080 + i))/health/ready" "silo $i"; done
  start_gateway
  wait_http "http://127.0.0.1:5080/health/ready" "the gateway"
  echo "PostgreSQL: $(connection_string)"
  for i in $(seq 1 "$n"); do
    echo "silo $i: silo 127.0.0.1:$((11110 + i))  client 127.0.0.1:$((30000 + i))  http http://127.0.0.1:$((8080 + i))  pid $(pid_of "silo-$i")"
  done
  echo "gateway: http://127.0.0.1:5080  pid $(pid_of gateway)  (API /api/v1, OpenAPI /openapi/v1.json)"
  if [ -n "${PULSE_ADMIN_KEY:-}" ]; then
    echo "admin key: from PULSE_ADMIN_KEY"
  else
    echo "admin key: $(admin_key)  (saved in $DIR/admin-key; send it as 'Authorization: Bearer <key>' to /api/v1/admin)"
  fi
  echo "logs: $DIR/logs"
}

cmd_status() {
  [ -f "$DIR/pg.port" ] || die "no cluster here (run: cluster.sh up N)"
  local rows; rows=$(psql_query "SELECT silo_address, status FROM pulse.membership WHERE cluster_id = '$CLUSTER_ID' ORDER BY silo_address" 2>/dev/null || true)
  for i in $(silo_indexes); do
    local port=$((11110 + i)) pid status address
    pid=$(pid_of "silo-$i"); alive "$pid" || pid="-"
    # The newest generation on this silo's port is the incarnation that matters.
    address=$(echo "$rows" | awk -v p=":$port@" 'index($1, p) { print $1 }' | sort -t@ -k2 -n | tail -n 1)
    status=$(echo "$rows" | awk -v a="$address" '$1 == a { print $2 }')
    # The table stores the status by name (Joining, Active, ShuttingDown, Dead); "-" means no row yet.
    echo "$i $pid ${address:--} ${status:--}"
  done
}

cmd_kill() { local pid; pid=$(pid_of "silo-$1"); alive "$pid" || die "silo $1 is not running"; kill -KILL "$pid"; echo "killed silo $1 (pid $pid)"; }

cmd_stop() {
  local pid; pid=$(pid_of "silo-$1"); alive "$pid" || die "silo $1 is not running"
  kill -TERM "$pid"
  for _ in $(seq 1 120); do alive "$pid" || { echo "stopped silo $1"; return; }; sleep 0.5; done
  die "silo $1 (pid $pid) did not stop within 60 s"
}

cmd_start() { [ -f "$DIR/pg.port" ] || die "no cluster here (run: cluster.sh up N)"; build; start_silo "$1"; wait_http "http://127.0.0.1:$((8080 + $1))/health/ready" "silo $1"; echo "started silo $1 (pid $(pid_of "silo-$1"))"; }

cmd_down() {
  for f in "$DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    local pid; pid=$(cat "$f")
    alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
  done
  for f in "$DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    local pid; pid=$(cat "$f")
    for _ in $(seq 1 60); do alive "$pid" || break; sleep 0.5; done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  if [ -d "$DIR/pg" ]; then as_pg "$(pg_bin)/pg_ctl" -D "$DIR/pg" -m fast stop >/dev/null 2>&1 || true; fi
  rm -f "$DIR/pg.port"
  echo "cluster down"
}

case "${1:-}" in
  up) cmd_up "${2:-3}" ;;
  status) cmd_status ;;
  kill-silo) cmd_kill "${2:?silo index}" ;;
  stop-silo) cmd_stop "${2:?silo index}" ;;
  start-silo) cmd_start "${2:?silo index}" ;;
  down) cmd_down ;;
  *) sed -n '2,17p' "$0"; exit 2 ;;
esac
