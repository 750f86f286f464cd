#!/usr/bin/env bash
# bench/peers.sh - SkillSwap and PostGraphile 5 side by side on the 100,000-member population
# (`make bench-peers`). Results and how to read them: bench/README.md ("Side by side with PostGraphile").
#
# Brings up PostgreSQL (scripts/stack.sh), makes the database $BENCH_DB when missing (a copy of
# $BENCH_BASE_DB, discovery.sh's loaded population, when that exists; else the demo data plus
# bench/population/members.sql, as discovery.sh does), migrates it, gives bench37 the SUPPORT
# role (SkillSwap's member list is staff-only), installs PostGraphile and Node 22 from npm into
# bench/peers/node_modules when missing (bench/peers/package-lock.json), creates the `peers`
# schema PostGraphile serves (bench/peers/setup.sql), builds and starts SkillSwap and starts
# PostGraphile (production settings), signs bench37 in, checks that both servers return the same
# data for each query (bench/peerscheck), then runs ROUNDS interleaved rounds: in each round, for
# 8 and 32 connections and every query, wrk against each server in turn (the first server
# alternates between rounds). Per run it records requests/s, p50, p99, and the CPU-seconds that
# the server process and PostgreSQL's backends of the database used (utime + stime from
# /proc/<pid>/stat), per 1,000 requests. The data is checked again after the rounds; the table
# prints the medians of the rounds.
#
# Settings: ROUNDS (3), DURATION (10s per run), WARMUP (3s), CONNS ("8 32"), QUERIES
# ("flat nested tree viewer"), BENCH_DB (skillswap_bench_peers), BENCH_BASE_DB
# (skillswap_bench_discovery), MEMBERS (100000), SKILLSWAP_ADDR (127.0.0.1:18190), PEERS_ADDR
# (127.0.0.1:18191), BENCH_OUT (directory for binaries, logs and the raw results), BENCH_REF
# (build SkillSwap from this commit instead of the work tree).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNS="${CONNS:-8 32}"
QUERIES="${QUERIES:-flat nested tree viewer}"
BENCH_DB="${BENCH_DB:-skillswap_bench_peers}"
BENCH_BASE_DB="${BENCH_BASE_DB:-skillswap_bench_discovery}"
MEMBERS="${MEMBERS:-100000}"
SKILLSWAP_ADDR="${SKILLSWAP_ADDR:-127.0.0.1:18190}"
PEERS_ADDR="${PEERS_ADDR:-127.0.0.1:18191}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/skillswap-peers.XXXXXX)}"
mkdir -p "$OUT/bodies"
say() { printf '[bench] %s\n' "$*" >&2; }
command -v wrk >/dev/null || { say "wrk is missing (apt-get install wrk)"; exit 1; }

scripts/stack.sh up postgres >&2
STACK_DB_URL="$(eval "$(scripts/stack.sh env)" && printf '%s' "$DATABASE_URL")"
with_db() { printf '%s' "$STACK_DB_URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\\1/$1#"; }
DATABASE_URL="$(with_db "$BENCH_DB")"
ADMIN_URL="$(with_db postgres)"
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# One signing key for both servers: PostGraphile verifies SkillSwap's access tokens.
JWT_SECRET_B64="$(printf 'skillswap-bench-peers-signing-key-0123456789' | base64 -w0)"
SERVER_ENV=(
	"DATABASE_URL=$DATABASE_URL" "HTTP_ADDR=$SKILLSWAP_ADDR" "LOG_LEVEL=warn" "ACCESS_TOKEN_TTL=2h"
	"JWT_KEYS=peers-1:$JWT_SECRET_B64" "JWT_ACTIVE_KEY_ID=peers-1"
	# Every per-caller limit out of the way: the load comes from one address and one member.
	"RATE_LOGIN_PER_ACCOUNT=100000/1m" "RATE_LOGIN_PER_IP=100000/1m" "RATE_LOGIN_PER_ACCOUNT_IP=100000/1m"
	"RATE_COMPLEXITY_PER_USER=1000000000/1m" "RATE_COMPLEXITY_PER_IP=1000000000/1m"
	"PATH=$PATH" "HOME=${HOME:-/tmp}"
)

if [[ "${BENCH_REF:-}" != "" ]]; then
	say "building SkillSwap at $BENCH_REF ($OUT/skillswap)"
	git worktree add --detach "$OUT/src" "$BENCH_REF" >&2
	(cd "$OUT/src" && go build -o "$OUT/skillswap" .)
	git worktree remove --force "$OUT/src"
else
	say "building SkillSwap ($OUT/skillswap)"
	go build -o "$OUT/skillswap" .
fi

exists="$(sql "$ADMIN_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$BENCH_DB'")"
if [[ "$exists" != 1 ]]; then
	base="$(sql "$ADMIN_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$BENCH_BASE_DB'")"
	if [[ "$base" == 1 ]]; then
		say "copying $BENCH_BASE_DB (the loaded population) to $BENCH_DB"
		sql "$ADMIN_URL" -c "CREATE DATABASE \"$BENCH_DB\" TEMPLATE \"$BENCH_BASE_DB\""
	else
		sql "$ADMIN_URL" -c "CREATE DATABASE \"$BENCH_DB\""
		say "seeding demo data"
		env -i "${SERVER_ENV[@]}" "$OUT/skillswap" seed >"$OUT/seed.log" 2>&1 || { tail -20 "$OUT/seed.log" >&2; exit 1; }
		say "loading $MEMBERS synthetic members"
		sql "$DATABASE_URL" -v members="$MEMBERS" -f bench/population/members.sql >&2
	fi
fi
say "migrating $BENCH_DB"
env -i "${SERVER_ENV[@]}" DB_STATEMENT_TIMEOUT=30m "$OUT/skillswap" migrate >"$OUT/migrate.log" 2>&1 || { tail -20 "$OUT/migrate.log" >&2; exit 1; }
sql "$DATABASE_URL" -c "VACUUM ANALYZE" >&2
sql "$DATABASE_URL" -f bench/peers/setup.sql >&2 2>/dev/null
sql "$DATABASE_URL" -c "UPDATE users SET roles = '{MEMBER,SUPPORT}' WHERE email = 'bench37@bench.skillswap.local'" >/dev/null

NODE="bench/peers/node_modules/.bin/node"
if [[ ! -x "$NODE" || ! -f bench/peers/node_modules/postgraphile/package.json ]]; then
	say "installing PostGraphile and Node 22 (npm ci in bench/peers)"
	(cd bench/peers && npm ci --no-audit --no-fund >&2)
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
env -i "${SERVER_ENV[@]}" MIGRATE_ON_START=false "$OUT/skillswap" serve >"$OUT/skillswap.log" 2>&1 &
ss_pid=$!
pids+=("$ss_pid")
(cd bench/peers && exec env -i "PATH=$PATH" "HOME=${HOME:-/tmp}" GRAPHILE_ENV=production NODE_ENV=production \
	"DATABASE_URL=$DATABASE_URL" "PEERS_ADDR=$PEERS_ADDR" "PEERS_JWT_SECRET_B64=$JWT_SECRET_B64" \
	PEERS_JWT_AUDIENCE=skillswap-api PEERS_JWT_ISSUER=skillswap \
	node_modules/.bin/node node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs) >"$OUT/postgraphile.log" 2>&1 &
pg_pid=$!
pids+=("$pg_pid")
for _ in $(seq 1 150); do
	curl -fsS "http://$SKILLSWAP_ADDR/readyz" >/dev/null 2>&1 && grep -q "Server listening" "$OUT/postgraphile.log" && break
	sleep 0.2
done
curl -fsS "http://$SKILLSWAP_ADDR/readyz" >/dev/null || { tail -20 "$OUT/skillswap.log" >&2; exit 1; }
grep -q "Server listening" "$OUT/postgraphile.log" || { tail -20 "$OUT/postgraphile.log" >&2; exit 1; }

TOKEN="$(curl -fsS -H 'Content-Type: application/json' "http://$SKILLSWAP_ADDR/graphql" \
	-d '{"query":"mutation { logIn(input: {email: \"bench37@bench.skillswap.local\", password: \"swap-skills-2026!\"}) { accessToken } }"}' |
	sed -E 's/.*"accessToken":"([^"]+)".*/\1/')"
export TOKEN
go build -o "$OUT/peerscheck" ./bench/peerscheck
"$OUT/peerscheck" -skillswap "http://$SKILLSWAP_ADDR/graphql" -peers "http://$PEERS_ADDR/graphql" -bodies "$OUT/bodies"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# "pid ticks" of PostgreSQL's backends of the bench database (process titles name the database).
pg_ticks() {
	local p
	for p in $(pgrep -f "postgres: [^ ]+ $BENCH_DB " || true); do
		awk -v p="$p" '{print p, $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
	done
}
# Ticks the backends used between two pg_ticks samples: a backend that started meanwhile counts
# whole (one that ended meanwhile is lost, which the pools' steady connections make rare).
pg_delta() { awk 'NR == FNR { before[$1] = $2; next } { t += $2 - ($1 in before ? before[$1] : 0) } END { print t + 0 }' <(printf '%s\n' "$1") <(printf '%s\n' "$2"); }
HZ="$(getconf CLK_TCK)"
url_of() { if [[ "$1" == skillswap ]]; then echo "http://$SKILLSWAP_ADDR/graphql"; else echo "http://$PEERS_ADDR/graphql"; fi; }
pid_of() { if [[ "$1" == skillswap ]]; then echo "$ss_pid"; else echo "$pg_pid"; fi; }

say "warm-up ($WARMUP per query, server and connection count)"
for c in $CONNS; do
	for q in $QUERIES; do
		for s in skillswap peers; do
			BODY="$OUT/bodies/$q.$s.json" wrk -t1 -c"$c" -d"$WARMUP" --timeout 10s -s bench/peers.lua "$(url_of "$s")" >/dev/null
		done
	done
done

RAW="$OUT/runs.tsv"
printf 'round\tconns\tquery\tserver\trequests\trps\tp50_ms\tp99_ms\tserver_cpu_s\tpg_cpu_s\tnon2xx\tload1\n' >"$RAW"
echo "Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(go version | awk '{print $3}'), Node $("$NODE" --version), PostGraphile $(sed -nE 's/.*"version": "([^"]+)".*/\1/p' bench/peers/node_modules/postgraphile/package.json | head -1), PostgreSQL $(sql "$ADMIN_URL" -c 'SHOW server_version'), git $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
for r in $(seq 1 "$ROUNDS"); do
	order="skillswap peers"
	((r % 2 == 0)) && order="peers skillswap"
	for c in $CONNS; do
		for q in $QUERIES; do
			for s in $order; do
				pid="$(pid_of "$s")"
				s0="$(ticks "$pid")" p0="$(pg_ticks)"
				out="$(BODY="$OUT/bodies/$q.$s.json" wrk -t1 -c"$c" -d"$DURATION" --timeout 10s --latency -s bench/peers.lua "$(url_of "$s")")"
				s1="$(ticks "$pid")" p1="$(pg_ticks)"
				printf '%s\n' "$out" >"$OUT/wrk.$r.$c.$q.$s.txt"
				reqs="$(awk '/requests in/{print $1}' <<<"$out")"
				rps="$(awk '/^Requests\/sec/{print $2}' <<<"$out")"
				p50="$(awk '$1=="50%"{print $2}' <<<"$out")"
				p99="$(awk '$1=="99%"{print $2}' <<<"$out")"
				non2xx="$(awk '/Non-2xx/{print $NF}' <<<"$out")"
				printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$c" "$q" "$s" "$reqs" "$rps" "$p50" "$p99" \
					"$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')" \
					"$(awk -v t="$(pg_delta "$p0" "$p1")" -v hz="$HZ" 'BEGIN{printf "%.2f", t/hz}')" \
					"${non2xx:-0}" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RAW" >&2
			done
		done
	done
done
"$OUT/peerscheck" -skillswap "http://$SKILLSWAP_ADDR/graphql" -peers "http://$PEERS_ADDR/graphql" >/dev/null
echo "Data checked again after the runs: same on both servers. Load average after: $(cut -d' ' -f1-3 /proc/loadavg). Raw runs: $RAW."
echo
"$OUT/peerscheck" -report "$RAW"
