#!/usr/bin/env bash
# bench/realtime.sh - real-time delivery benchmarks (`make bench-realtime`); results in bench/README.md.
#
#   1. idle:   10,000 authenticated WebSocket connections with one messageAdded subscription each
#              on one fresh instance: the server's RSS growth per connection.
#   2. fanout: two instances sharing PostgreSQL and Redis, 2,000 subscribers (200 GROUP
#              conversations x 10 members, alternating instances), RATE messages/s sent over HTTP
#              (alternating instances) for DURATION: deliveries/s, end-to-end latency, loss.
#   3. sweep:  the same at each rate of SWEEP for SWEEP_DURATION, to find the highest sustained
#              delivery rate with p99 <= 100 ms and nothing lost.
#
# Settings: RATE (1000), DURATION (60s), SWEEP ("200 400 600 800"), SWEEP_DURATION (20s),
# IDLE_CONNECTIONS (10000), BENCH_DB (skillswap_bench_realtime), SKIP_IDLE=1, SKIP_FANOUT=1,
# SKIP_SWEEP=1, BENCH_OUT (directory for binaries and logs), BENCH_SERVER_ENV and
# BENCH_TOOL_ENV (extra environment of the servers and of the load tool, "VAR=value ...",
# e.g. "GOMAXPROCS=1"), BENCH_PROFILE=1 (20 s CPU profiles of both servers during the first
# fan-out run, into BENCH_OUT: go tool pprof BENCH_OUT/skillswap BENCH_OUT/server-a.pprof; and
# the load tool's whole send phase: BENCH_OUT/realtime.pprof).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
BENCH_DB="${BENCH_DB:-skillswap_bench_realtime}"
RATE="${RATE:-1000}"
DURATION="${DURATION:-60s}"
SWEEP="${SWEEP:-200 400 600 800}"
SWEEP_DURATION="${SWEEP_DURATION:-20s}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"
OUT="${BENCH_OUT:-$(mktemp -d /tmp/skillswap-realtime.XXXXXX)}"
A=127.0.0.1:18183
B=127.0.0.1:18184
mkdir -p "$OUT"
say() { printf '[bench] %s\n' "$*" >&2; }

# 10,000 sockets on each side of loopback, plus the server's own.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

scripts/stack.sh up postgres redis >&2
eval "$(scripts/stack.sh env)"
STACK_DB_URL="$DATABASE_URL"
with_db() { printf '%s' "$STACK_DB_URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\\1/$1#"; }
DB_URL="$(with_db "$BENCH_DB")"
ADMIN_URL="$(with_db postgres)"

say "building the server and the load tool ($OUT)"
go build -o "$OUT/skillswap" .
go build -o "$OUT/realtime" ./bench/realtime
# One signing key for both instances: a token issued by one must be valid on the other.
JWT_KEYS="bench:$(head -c 32 /dev/urandom | base64 -w0)"
SERVER_ENV=(
	"DATABASE_URL=$DB_URL" "REDIS_URL=$REDIS_URL" "LOG_LEVEL=warn" "JWT_KEYS=$JWT_KEYS"
	# Cheap password hashing for the seeded hash that every chat member shares: logging 2,000
	# members in is set-up, not what is measured (argon2id's cost is in the foundation benchmark).
	"PASSWORD_HASH_MEMORY_KIB=1024" "PASSWORD_HASH_ITERATIONS=1"
	"RATE_LOGIN_PER_ACCOUNT=100000/1m" "RATE_LOGIN_PER_IP=100000/1m" "ACCESS_TOKEN_TTL=2h"
	# Every per-caller limit out of the way: the load comes from one address and few members.
	"RATE_LOGIN_PER_ACCOUNT_IP=100000/1m" "RATE_SIGNUP_PER_IP=100000/1m" "RATE_REFRESH_PER_IP=100000/1m" "RATE_MESSAGES_PER_USER=100000000/1m" "RATE_COMPLEXITY_PER_USER=1000000000/1m" "RATE_COMPLEXITY_PER_IP=1000000000/1m" "WS_MAX_CONNECTIONS_PER_USER=0" "WS_MAX_CONNECTIONS_PER_IP=0"
	"PATH=$PATH" "HOME=${HOME:-/tmp}"
)
read -r -a extra_env <<<"${BENCH_SERVER_ENV:-}"
SERVER_ENV+=("${extra_env[@]}")
read -r -a TOOL_ENV <<<"${BENCH_TOOL_ENV:-}"
tool() { env "${TOOL_ENV[@]}" "$OUT/realtime" "$@"; }

psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$BENCH_DB\""
env -i "${SERVER_ENV[@]}" "$OUT/skillswap" seed >"$OUT/seed.log" 2>&1 || { tail -20 "$OUT/seed.log" >&2; exit 1; }
psql -X -q "$DB_URL" -v groups=200 -v size=10 -v ON_ERROR_STOP=1 -f bench/population/chat.sql >&2

pids=()
start_server() { # name addr
	local profile=()
	if [[ "${BENCH_PROFILE:-0}" == 1 ]]; then profile=("PPROF_ADDR=127.0.0.1:2${2: -4}"); fi
	# A server left over from an earlier run would answer /readyz in place of this one.
	if curl -fsS "http://$2/readyz" >/dev/null 2>&1; then
		echo "bench: $2 is already serving; stop that process first" >&2
		return 1
	fi
	env -i "${SERVER_ENV[@]}" "${profile[@]}" "HTTP_ADDR=$2" "$OUT/skillswap" serve >"$OUT/server-$1.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 1 100); do
		curl -fsS "http://$2/readyz" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	tail -20 "$OUT/server-$1.log" >&2
	return 1
}
stop_servers() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
trap stop_servers EXIT

echo "Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(go version | awk '{print $3}'), git $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg).${BENCH_SERVER_ENV:+ Servers: $BENCH_SERVER_ENV.}${BENCH_TOOL_ENV:+ Load tool: $BENCH_TOOL_ENV.}"

if [[ "${SKIP_IDLE:-0}" != 1 ]]; then
	say "idle: $IDLE_CONNECTIONS connections on one fresh instance"
	start_server a "$A"
	echo
	echo "### Idle connections (one instance)"
	echo
	tool -mode idle -urls "http://$A" -connections "$IDLE_CONNECTIONS" -pid "${pids[0]}"
	stop_servers
fi

start_server a "$A"
start_server b "$B"
if [[ "${SKIP_FANOUT:-0}" != 1 ]]; then
	say "fanout: $RATE msg/s for $DURATION over two instances"
	echo
	echo "### Fan-out: $RATE messages/s for $DURATION"
	echo
	if [[ "${BENCH_PROFILE:-0}" == 1 ]]; then
		# Once sending has gone on for 5 s (the tool says when it starts), 20 s of each server.
		rm -f "$OUT/fanout.err"
		for s in a b; do
			port=2${A: -4}; [[ $s == b ]] && port=2${B: -4}
			(until grep -q "sending" "$OUT/fanout.err" 2>/dev/null; do sleep 0.5; done; sleep 5
				curl -fsS -o "$OUT/server-$s.pprof" "http://127.0.0.1:$port/debug/pprof/profile?seconds=20") &
		done
	fi
	tool_profile=()
	if [[ "${BENCH_PROFILE:-0}" == 1 ]]; then tool_profile=(-cpuprofile "$OUT/realtime.pprof"); fi
	tool -mode fanout -urls "http://$A,http://$B" -rate "$RATE" -duration "$DURATION" "${tool_profile[@]}" 2> >(tee "$OUT/fanout.err" >&2) || echo "(run failed: see above)"
fi
if [[ "${SKIP_SWEEP:-0}" != 1 ]]; then
	echo
	echo "### Sweep: $SWEEP_DURATION per rate"
	for r in $SWEEP; do
		say "sweep: $r msg/s"
		echo
		tool -mode fanout -urls "http://$A,http://$B" -rate "$r" -duration "$SWEEP_DURATION" || echo "(run failed: see above)"
	done
fi
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
