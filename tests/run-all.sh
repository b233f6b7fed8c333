#!/usr/bin/env bash
# Runs Pulse's whole test suite on a fresh machine: installs what the tests need (the PostgreSQL
# server binaries the storage tests start privately), builds, runs every test project, and ends
# with a plain "N passed, N failed" line. Exit code is non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if ! have_postgres; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-all: installing the PostgreSQL server (apt-get install postgresql)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "run-all: PostgreSQL server binaries (initdb, pg_ctl) are missing and cannot be installed here." >&2
    echo "run-all: install them with 'sudo apt-get install -y postgresql' (or put them on PATH) and run again." >&2
    exit 1
  fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "run-all: the .NET SDK (dotnet) is not on PATH; install .NET 10 and run again." >&2
  exit 1
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

status=0
dotnet test Orleans.sln -c Release --logger "trx" --results-directory "$results" --logger "console;verbosity=normal" 2>&1 | tee "$results/output.log" || status=$?

passed=0
failed=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
  echo "run-all: no test results were produced (build failure?)" >&2
  status=1
fi
echo "${passed} passed, ${failed} failed"
exit "$status"
