#!/usr/bin/env bash
# bench/sessions.sh - skill-session benchmark on a 100,000-member population (`make bench-sessions`).
#
# Brings up PostgreSQL (scripts/stack.sh), builds the server, and keeps a base database
# $BENCH_DB_base with the demo data and the synthetic members (bench/population/members.sql,
# MEMBERS members; built once, reused while BENCH_KEEP_DB=1). Each run copies it to $BENCH_DB,
# loads bench/population/sessions.sql (upcoming sessions with reviewed partners, and a square of
# ended sessions to confirm: the run consumes them), serves on $BENCH_ADDR and runs
# bench/sessions. Afterwards it checks the ledger: every entry, every transaction and every
# account balance sums as it must. Results: bench/README.md.
#
# Settings: BENCH_ADDR (127.0.0.1:18391), BENCH_DB (skillswap_bench_sessions), MEMBERS (100000),
# N (400 measured upcomingSessions requests), GRID (40: 1,600 sessions to confirm), WORKERS (8),
# BENCH_KEEP_DB=1 (reuse the base database), BENCH_OUT (directory for the binary and logs),
# STACK (the stack script whose PostgreSQL to use; default scripts/stack.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
BENCH_ADDR="${BENCH_ADDR:-127.0.0.1:18391}"
BENCH_DB="${BENCH_DB:-skillswap_bench_sessions}"
BASE_DB="${BENCH_DB}_base"
MEMBERS="${MEMBERS:-100000}"
N="${N:-400}"
GRID="${GRID:-40}"
WORKERS="${WORKERS:-8}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/skillswap-sessions.XXXXXX)}"
mkdir -p "$OUT"
say() { printf '[bench] %s\n' "$*" >&2; }

STACK="${STACK:-scripts/stack.sh}"
"$STACK" up postgres >&2
STACK_DB_URL="$(eval "$("$STACK" env)" && printf '%s' "$DATABASE_URL")"
with_db() { printf '%s' "$STACK_DB_URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\\1/$1#"; }
DATABASE_URL="$(with_db "$BENCH_DB")"
BASE_URL="$(with_db "$BASE_DB")"
ADMIN_URL="$(with_db postgres)"

say "building the server ($OUT/skillswap)"
go build -o "$OUT/skillswap" .
# Every per-caller limit out of the way: the load comes from one address and few members.
server_env() {
	printf '%s\n' "DATABASE_URL=$1" "HTTP_ADDR=$BENCH_ADDR" "LOG_LEVEL=warn" \
		"RATE_LOGIN_PER_ACCOUNT=100000/1m" "RATE_LOGIN_PER_IP=100000/1m" "ACCESS_TOKEN_TTL=2h" \
		"RATE_LOGIN_PER_ACCOUNT_IP=100000/1m" "RATE_SIGNUP_PER_IP=100000/1m" "RATE_REFRESH_PER_IP=100000/1m" "RATE_MESSAGES_PER_USER=100000000/1m" "RATE_COMPLEXITY_PER_USER=1000000000/1m" "RATE_COMPLEXITY_PER_IP=1000000000/1m" "WS_MAX_CONNECTIONS_PER_USER=0" "WS_MAX_CONNECTIONS_PER_IP=0" \
		"PATH=$PATH" "HOME=${HOME:-/tmp}"
}

exists="$(psql -X -q -A -t "$ADMIN_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$BASE_DB'")"
if [[ "$exists" == 1 && "${BENCH_KEEP_DB:-0}" == 1 ]]; then
	say "reusing base database $BASE_DB (BENCH_KEEP_DB=1)"
	# Bring it to the current migrations before copying it.
	mapfile -t env_base < <(server_env "$BASE_URL")
	env -i "${env_base[@]}" "$OUT/skillswap" migrate >"$OUT/migrate.log" 2>&1 || { tail -20 "$OUT/migrate.log" >&2; exit 1; }
else
	[[ "$exists" == 1 ]] && psql -X -q "$ADMIN_URL" -c "DROP DATABASE \"$BASE_DB\" WITH (FORCE)"
	psql -X -q "$ADMIN_URL" -c "CREATE DATABASE \"$BASE_DB\""
	mapfile -t env_base < <(server_env "$BASE_URL")
	say "seeding demo data"
	env -i "${env_base[@]}" "$OUT/skillswap" seed >"$OUT/seed.log" 2>&1 || { tail -20 "$OUT/seed.log" >&2; exit 1; }
	say "loading $MEMBERS synthetic members"
	start=$(date +%s)
	psql -X -q "$BASE_URL" -v members="$MEMBERS" -v ON_ERROR_STOP=1 -f bench/population/members.sql >&2
	say "members loaded in $(($(date +%s) - start)) s"
fi
psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$BENCH_DB\" TEMPLATE \"$BASE_DB\""
say "loading sessions (grid $GRID)"
start=$(date +%s)
psql -X -q "$DATABASE_URL" -v viewers=20 -v upcoming=60 -v grid="$GRID" -v ON_ERROR_STOP=1 -f bench/population/sessions.sql >&2
psql -X -q "$DATABASE_URL" -c "VACUUM ANALYZE" >&2
say "sessions loaded in $(($(date +%s) - start)) s"

mapfile -t env_run < <(server_env "$DATABASE_URL")
say "serving on $BENCH_ADDR"
env -i "${env_run[@]}" "$OUT/skillswap" serve >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
	curl -fsS "http://$BENCH_ADDR/readyz" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fsS "http://$BENCH_ADDR/readyz" >/dev/null || { tail -20 "$OUT/server.log" >&2; exit 1; }

echo "Population: $(psql -X -q -A -t "$DATABASE_URL" -c "SELECT (SELECT count(*) FROM users) || ' members, ' || (SELECT count(*) FROM skill_sessions) || ' skill sessions, ' || (SELECT count(*) FROM reviews) || ' reviews'")."
echo "Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(go version | awk '{print $3}'), PostgreSQL $(psql -X -q -A -t "$ADMIN_URL" -c 'SHOW server_version'), git $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
go run ./bench/sessions -url "http://$BENCH_ADDR/graphql" -n "$N" -grid "$GRID" -workers "$WORKERS"
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Ledger after: $(psql -X -q -A -t "$DATABASE_URL" -c "
	SELECT 'sum of all entries ' || (SELECT coalesce(sum(amount), 0) FROM credit_entries)
	    || ', unbalanced transactions ' || (SELECT count(*) FROM (SELECT 1 FROM credit_entries GROUP BY transaction_id HAVING sum(amount) <> 0) x)
	    || ', accounts off their entries ' || (SELECT count(*) FROM credit_accounts a WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM credit_entries e WHERE e.account_id = a.id))
	    || ', session payments ' || (SELECT count(*) FROM credit_transactions WHERE kind = 'SESSION_PAYMENT')")."
