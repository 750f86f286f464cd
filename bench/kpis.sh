#!/usr/bin/env bash
# bench/kpis.sh - product KPI benchmark on a 100,000-member population (`make bench-kpis`).
#
# Brings up PostgreSQL (scripts/stack.sh) and keeps a base database $BENCH_DB_base with the demo
# data and the synthetic members (bench/population/members.sql; built once, reused while
# BENCH_KEEP_DB=1). Each run copies it to $BENCH_DB, loads bench/population/kpis.sql (sign-ups
# over 52 weeks, conversations and messages, sessions, NPS answers), then runs the Go
# benchmarks of bench/kpis_test.go on it: productKpis over HTTP (26 weeks), the periodic
# refresh, and the live alternative. Results: bench/README.md.
#
# Settings: BENCH_DB (skillswap_bench_kpis), MEMBERS (100000), N (400 measured productKpis
# requests), BENCH_KEEP_DB=1 (reuse the base database), STACK (default scripts/stack.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
BENCH_DB="${BENCH_DB:-skillswap_bench_kpis}"
BASE_DB="${BENCH_DB}_base"
MEMBERS="${MEMBERS:-100000}"
N="${N:-400}"
OUT="$(mktemp -d /tmp/skillswap-kpis.XXXXXX)"
say() { printf '[bench] %s\n' "$*" >&2; }

STACK="${STACK:-scripts/stack.sh}"
"$STACK" up postgres >&2
STACK_DB_URL="$(eval "$("$STACK" env)" && printf '%s' "$DATABASE_URL")"
with_db() { printf '%s' "$STACK_DB_URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\\1/$1#"; }
DATABASE_URL="$(with_db "$BENCH_DB")"
BASE_URL="$(with_db "$BASE_DB")"
ADMIN_URL="$(with_db postgres)"

go build -o "$OUT/skillswap" .
server_env() { printf '%s\n' "DATABASE_URL=$1" "LOG_LEVEL=warn" "PATH=$PATH" "HOME=${HOME:-/tmp}"; }
exists="$(psql -X -q -A -t "$ADMIN_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$BASE_DB'")"
mapfile -t env_base < <(server_env "$BASE_URL")
if [[ "$exists" == 1 && "${BENCH_KEEP_DB:-0}" == 1 ]]; then
	say "reusing base database $BASE_DB (BENCH_KEEP_DB=1)"
	env -i "${env_base[@]}" "$OUT/skillswap" migrate >"$OUT/migrate.log" 2>&1 || { tail -20 "$OUT/migrate.log" >&2; exit 1; }
else
	[[ "$exists" == 1 ]] && psql -X -q "$ADMIN_URL" -c "DROP DATABASE \"$BASE_DB\" WITH (FORCE)"
	psql -X -q "$ADMIN_URL" -c "CREATE DATABASE \"$BASE_DB\""
	say "seeding demo data"
	env -i "${env_base[@]}" "$OUT/skillswap" seed >"$OUT/seed.log" 2>&1 || { tail -20 "$OUT/seed.log" >&2; exit 1; }
	say "loading $MEMBERS synthetic members"
	start=$(date +%s)
	psql -X -q "$BASE_URL" -v members="$MEMBERS" -v ON_ERROR_STOP=1 -f bench/population/members.sql >&2
	say "members loaded in $(($(date +%s) - start)) s"
fi
psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$BENCH_DB\" TEMPLATE \"$BASE_DB\""
say "loading KPI activity"
start=$(date +%s)
psql -X -q "$DATABASE_URL" -v ON_ERROR_STOP=1 -f bench/population/kpis.sql
psql -X -q "$DATABASE_URL" -c "VACUUM ANALYZE" >&2
say "activity loaded in $(($(date +%s) - start)) s"

echo "Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(go version | awk '{print $3}'), PostgreSQL $(psql -X -q -A -t "$ADMIN_URL" -c 'SHOW server_version'), git $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
TEST_DATABASE_URL="$STACK_DB_URL" BENCH_KPIS_DATABASE_URL="$DATABASE_URL" go test -run '^$' -bench 'ProductKpis' -benchtime "${N}x" -count 1 ./bench/
TEST_DATABASE_URL="$STACK_DB_URL" BENCH_KPIS_DATABASE_URL="$DATABASE_URL" go test -run '^$' -bench 'KPIRefresh|KPILive' -benchtime 5x -count 1 -timeout 30m ./bench/
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
