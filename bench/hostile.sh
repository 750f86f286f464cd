#!/usr/bin/env bash
# Hostile load (issue 13): builds the server, seeds a fresh database with the demo data, serves it
# with its default limits and runs bench/hostile against it. Results go to stdout (markdown).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
BENCH_ADDR="${BENCH_ADDR:-127.0.0.1:18392}"
BENCH_DB="${BENCH_DB:-skillswap_bench_hostile}"
DURATION="${DURATION:-15s}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/skillswap-hostile.XXXXXX)}"
mkdir -p "$OUT"
say() { printf '[bench] %s\n' "$*" >&2; }

STACK="${STACK:-scripts/stack.sh}"
"$STACK" up postgres >&2
STACK_DB_URL="$(eval "$("$STACK" env)" && printf '%s' "$DATABASE_URL")"
with_db() { printf '%s' "$STACK_DB_URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\\1/$1#"; }
DATABASE_URL="$(with_db "$BENCH_DB")"
ADMIN_URL="$(with_db postgres)"

say "building the server ($OUT/skillswap)"
go build -o "$OUT/skillswap" .
go build -o "$OUT/hostile" ./bench/hostile
psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$BENCH_DB\""
env_run=("DATABASE_URL=$DATABASE_URL" "HTTP_ADDR=$BENCH_ADDR" "LOG_LEVEL=error" "RUN_WORKERS=false"
	"RATE_LOGIN_PER_ACCOUNT=100000/1m" "RATE_LOGIN_PER_IP=100000/1m" "ACCESS_TOKEN_TTL=2h" "PATH=$PATH" "HOME=${HOME:-/tmp}"
	"RATE_LOGIN_PER_ACCOUNT_IP=100000/1m" ${BENCH_SERVER_ENV:-})
# The 8 viewer clients stand for many members (one member asking 10,000 times a second would
# spend their own budget): the per-member complexity budget is lifted. The 4 hostile clients are
# signed out: BUDGETS=default keeps the per-network budget, as for one attacker on one network;
# BUDGETS=lifted (the default) lifts it too, as for a botnet on many networks.
env_run+=("RATE_COMPLEXITY_PER_USER=1000000000/1m")
if [[ "${BUDGETS:-lifted}" == lifted ]]; then
	env_run+=("RATE_COMPLEXITY_PER_IP=1000000000/1m")
fi
say "seeding demo data"
env -i "${env_run[@]}" "$OUT/skillswap" seed >"$OUT/seed.log" 2>&1 || { tail -20 "$OUT/seed.log" >&2; exit 1; }
say "serving on $BENCH_ADDR"
env -i "${env_run[@]}" "$OUT/skillswap" serve >"$OUT/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
	curl -fsS "http://$BENCH_ADDR/readyz" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fsS "http://$BENCH_ADDR/readyz" >/dev/null || { tail -20 "$OUT/server.log" >&2; exit 1; }

echo "Budgets: ${BUDGETS:-lifted}."
echo "Machine: $(nproc) CPUs, $(go version | awk '{print $3}'), git $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
"$OUT/hostile" -url "http://$BENCH_ADDR/graphql" -pid "$server" -duration "$DURATION"
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
