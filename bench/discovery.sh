#!/usr/bin/env bash
# bench/discovery.sh - search and matching latency on a 100,000-member population (`make bench-discovery`).
#
# Brings up PostgreSQL (scripts/stack.sh), (re)creates the database $BENCH_DB, builds the server,
# seeds the demo data, loads the synthetic population (bench/population/members.sql, MEMBERS
# members with ~6 skills each), rebuilds the search index (`skillswap reindex`), serves on
# $BENCH_ADDR with the PostgreSQL search backend, then runs bench/discovery (one client, warm-up,
# then N measured requests per scenario) and prints the p50/p95/p99 table. Results: bench/README.md.
#
# Settings: BENCH_ADDR (127.0.0.1:18182), BENCH_DB (skillswap_bench_discovery), MEMBERS (100000),
# N (400 measured requests per scenario), BENCH_KEEP_DB=1 (reuse a loaded database as it is),
# BENCH_OUT (directory for the binary and logs), ONLY (run only scenarios whose name contains it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
BENCH_ADDR="${BENCH_ADDR:-127.0.0.1:18182}"
BENCH_DB="${BENCH_DB:-skillswap_bench_discovery}"
MEMBERS="${MEMBERS:-100000}"
N="${N:-400}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/skillswap-discovery.XXXXXX)}"
mkdir -p "$OUT"
say() { printf '[bench] %s\n' "$*" >&2; }

scripts/stack.sh up postgres >&2
STACK_DB_URL="$(eval "$(scripts/stack.sh env)" && printf '%s' "$DATABASE_URL")"
with_db() { printf '%s' "$STACK_DB_URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\\1/$1#"; }
DATABASE_URL="$(with_db "$BENCH_DB")"
ADMIN_URL="$(with_db postgres)"

say "building the server ($OUT/skillswap)"
go build -o "$OUT/skillswap" .
SERVER_ENV=(
	"DATABASE_URL=$DATABASE_URL" "HTTP_ADDR=$BENCH_ADDR" "LOG_LEVEL=warn"
	"RATE_LOGIN_PER_ACCOUNT=100000/1m" "RATE_LOGIN_PER_IP=100000/1m" "ACCESS_TOKEN_TTL=2h"
	# Every per-caller limit out of the way: the load comes from one address and few members.
	"RATE_LOGIN_PER_ACCOUNT_IP=100000/1m" "RATE_SIGNUP_PER_IP=100000/1m" "RATE_REFRESH_PER_IP=100000/1m" "RATE_MESSAGES_PER_USER=100000000/1m" "RATE_COMPLEXITY_PER_USER=1000000000/1m" "RATE_COMPLEXITY_PER_IP=1000000000/1m" "WS_MAX_CONNECTIONS_PER_USER=0" "WS_MAX_CONNECTIONS_PER_IP=0"
	"PATH=$PATH" "HOME=${HOME:-/tmp}"
)

exists="$(psql -X -q -A -t "$ADMIN_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'")"
if [[ "$exists" == 1 && "${BENCH_KEEP_DB:-0}" == 1 ]]; then
	say "reusing database $BENCH_DB (BENCH_KEEP_DB=1)"
else
	[[ "$exists" == 1 ]] && psql -X -q "$ADMIN_URL" -c "DROP DATABASE \"$BENCH_DB\" WITH (FORCE)"
	psql -X -q "$ADMIN_URL" -c "CREATE DATABASE \"$BENCH_DB\""
	say "seeding demo data"
	env -i "${SERVER_ENV[@]}" "$OUT/skillswap" seed >"$OUT/seed.log" 2>&1 || { tail -20 "$OUT/seed.log" >&2; exit 1; }
	say "loading $MEMBERS synthetic members"
	start=$(date +%s)
	psql -X -q "$DATABASE_URL" -v members="$MEMBERS" -v ON_ERROR_STOP=1 -f bench/population/members.sql >&2
	say "population loaded in $(($(date +%s) - start)) s; rebuilding the search index"
	start=$(date +%s)
	env -i "${SERVER_ENV[@]}" "$OUT/skillswap" reindex >"$OUT/reindex.log" 2>&1 || { tail -20 "$OUT/reindex.log" >&2; exit 1; }
	say "search index rebuilt in $(($(date +%s) - start)) s"
	psql -X -q "$DATABASE_URL" -c "VACUUM ANALYZE" >&2
fi

say "serving on $BENCH_ADDR"
env -i "${SERVER_ENV[@]}" "$OUT/skillswap" serve >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
	curl -fsS "http://$BENCH_ADDR/readyz" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fsS "http://$BENCH_ADDR/readyz" >/dev/null || { tail -20 "$OUT/server.log" >&2; exit 1; }

echo "Population: $(psql -X -q -A -t "$DATABASE_URL" -c "SELECT count(*) || ' members, ' || round((SELECT count(*) FROM member_skills)::numeric / count(*), 2) || ' skills each' FROM users")."
echo "Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(go version | awk '{print $3}'), PostgreSQL $(psql -X -q -A -t "$ADMIN_URL" -c 'SHOW server_version'), git $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
go run ./bench/discovery -url "http://$BENCH_ADDR/graphql" -n "$N" ${ONLY:+-only "$ONLY"}
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
