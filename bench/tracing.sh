#!/usr/bin/env bash
# bench/tracing.sh - what tracing costs the viewer query (issue 19: "tracing on with 10 % sampling
# costs ≤ 10 % of viewer throughput"); results in bench/README.md.
#
# Two servers built from the same tree run side by side on one fresh database with the demo
# members: OFF without any OTEL_* variable (tracing off, the default) and ON exporting over
# OTLP/HTTP to a local receiver (bench/otlpsink, which decodes every export request as a
# collector would) with OTEL_TRACES_SAMPLER=parentbased_traceidratio and
# OTEL_TRACES_SAMPLER_ARG=$RATIO. wrk drives `{ viewer { id displayName } }` (bench/viewer.lua,
# as `make bench` does) at each in turn, ROUNDS rounds, the order alternating (OFF ON, ON OFF,
# ...) so that a change of load on the shared machine hits both alike. Each run records req/s,
# p99, and the server's CPU time per request (utime+stime from /proc, less sensitive to other
# processes than req/s); the receiver's CPU is reported apart (a collector runs elsewhere in
# production).
#
# Settings: ROUNDS (6), DURATION (10s per run), THREADS (1), CONNECTIONS (16), RATIO (0.1),
# WARMUP (5s), OFF_ADDR, ON_ADDR, SINK_ADDR (127.0.0.1:18791, :18792, :14719), BENCH_DB (skillswap_bench_tracing), BENCH_OUT (directory for binaries, logs and
# the summary), BENCH_SERVER_ENV (extra server environment, "VAR=value ...").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
BENCH_DB="${BENCH_DB:-skillswap_bench_tracing}"
ROUNDS="${ROUNDS:-6}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-1}"
CONNECTIONS="${CONNECTIONS:-16}"
RATIO="${RATIO:-0.1}"
WARMUP="${WARMUP:-5s}"
OFF="${OFF_ADDR:-127.0.0.1:18791}"
ON="${ON_ADDR:-127.0.0.1:18792}"
SINK="${SINK_ADDR:-127.0.0.1:14719}"
EMAIL="admin@demo.skillswap.local"
PASSWORD="swap-skills-2026!" # the seeded demo members' password (seed package)

say() { printf '[tracing-bench] %s\n' "$*" >&2; }
die() {
	printf '[tracing-bench] error: %s\n' "$*" >&2
	exit 1
}

if ! command -v wrk >/dev/null 2>&1; then
	if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		say "installing wrk"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2; }
	else
		die "wrk is missing: sudo apt-get install wrk"
	fi
fi
for tool in curl go psql; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done
for addr in "$OFF" "$ON" "$SINK"; do
	if curl -s -o /dev/null --max-time 2 "http://$addr/"; then
		die "something already answers on $addr"
	fi
done

OUT="${BENCH_OUT:-$(mktemp -d /tmp/skillswap-tracing.XXXXXX)}"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.md"
: >"$SUMMARY"
say "raw output, logs and summary in $OUT"
CLK_TCK="$(getconf CLK_TCK)"

scripts/stack.sh up postgres
STACK_DB_URL="$(eval "$(scripts/stack.sh env)" && printf '%s' "$DATABASE_URL")"
with_db() { printf '%s' "$STACK_DB_URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\\1/$1#"; }
DATABASE_URL="$(with_db "$BENCH_DB")"
ADMIN_URL="$(with_db postgres)"
psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$BENCH_DB\" WITH (FORCE)"
psql -X -q "$ADMIN_URL" -c "CREATE DATABASE \"$BENCH_DB\""

SOURCE="git $(git rev-parse --short HEAD)"
if [[ -n "$(git status --porcelain -- . ':(exclude)bench' 2>/dev/null)" ]]; then
	SOURCE="$SOURCE with uncommitted changes outside bench/"
fi
say "building the server ($SOURCE) and the OTLP receiver"
go build -o "$OUT/skillswap" .
go build -o "$OUT/otlpsink" ./bench/otlpsink

SERVER_ENV=(
	"DATABASE_URL=$DATABASE_URL"
	"LOG_LEVEL=warn"
	"RATE_LOGIN_PER_ACCOUNT=100000/1m"
	"RATE_LOGIN_PER_ACCOUNT_IP=100000/1m"
	"RATE_LOGIN_PER_IP=100000/1m"
	"RATE_COMPLEXITY_PER_USER=1000000000/1m"
	"RATE_COMPLEXITY_PER_IP=1000000000/1m"
	"ACCESS_TOKEN_TTL=2h"
	"PATH=$PATH"
	"HOME=${HOME:-/tmp}"
)
read -r -a extra_env <<<"${BENCH_SERVER_ENV:-}"
SERVER_ENV+=("${extra_env[@]}")

say "seeding the demo members into $BENCH_DB"
env -i "${SERVER_ENV[@]}" "$OUT/skillswap" seed >"$OUT/seed.log" 2>&1 || {
	tail -n 20 "$OUT/seed.log" >&2
	die "seed failed"
}

PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$OUT/otlpsink" -addr "$SINK" >"$OUT/otlpsink.log" 2>&1 &
SINK_PID=$!
PIDS+=("$SINK_PID")

# serve NAME ADDR [VAR=value...]: start a server, wait for /readyz, set PID_<NAME>.
serve() {
	local name=$1 addr=$2 i
	shift 2
	env -i "${SERVER_ENV[@]}" "HTTP_ADDR=$addr" "$@" "$OUT/skillswap" serve >"$OUT/server-$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	printf -v "PID_$name" '%s' "$pid"
	for ((i = 0; i < 600; i++)); do
		[[ "$(curl -s --max-time 2 "http://$addr/readyz" || true)" == ready ]] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$OUT/server-$name.log" >&2
	die "server $name did not become ready"
}
serve OFF "$OFF"
serve ON "$ON" "OTEL_EXPORTER_OTLP_ENDPOINT=http://$SINK" "OTEL_TRACES_SAMPLER=parentbased_traceidratio" \
	"OTEL_TRACES_SAMPLER_ARG=$RATIO" "OTEL_SERVICE_NAME=skillswap-bench"

# log_in ADDR: a fresh access token of the demo admin on that server (each has its own key).
log_in() {
	local body resp token
	body='{"query":"mutation { logIn(input:{email:\"'"$EMAIL"'\", password:\"'"$PASSWORD"'\"}) { accessToken } }"}'
	resp="$(curl -s --max-time 10 -H 'Content-Type: application/json' -d "$body" "http://$1/graphql")"
	token="$(printf '%s' "$resp" | sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')"
	[[ -n "$token" ]] || die "logIn on $1 failed: $resp"
	local check
	check="$(curl -s --max-time 5 -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
		-d '{"query":"{ viewer { id displayName } }"}' "http://$1/graphql")"
	[[ "$check" == '{"data":{"viewer":{"id":"'*'","displayName":"'*'"}}}' ]] || die "viewer on $1 failed: $check"
	printf '%s' "$token"
}
TOKEN_OFF="$(log_in "$OFF")"
TOKEN_ON="$(log_in "$ON")"

proc_cpu() { awk '{sub(/.*\) /, ""); print $12+$13}' "/proc/$1/stat"; }
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v/1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v*1000 }
		else printf "?" }'
}

for name in OFF ON; do
	addr=OFF token=TOKEN_OFF
	[[ $name == ON ]] && addr=ON token=TOKEN_ON
	say "warm-up $name: wrk -t$THREADS -c$CONNECTIONS -d$WARMUP"
	TOKEN="${!token}" wrk "-t$THREADS" "-c$CONNECTIONS" "-d$WARMUP" -s bench/viewer.lua "http://${!addr}/graphql" >"$OUT/warmup-$name.txt" 2>&1
done

RESULTS="$OUT/results.tsv"
: >"$RESULTS"
# measure ROUND NAME: one wrk run at server NAME; a line "round name rps p99 cpu_us_per_req load".
measure() {
	local round=$1 name=$2 addr token pid raw="$OUT/run-$1-$2.txt"
	addr=OFF token=TOKEN_OFF pid=PID_OFF
	[[ $name == ON ]] && addr=ON token=TOKEN_ON pid=PID_ON
	local load c0 c1 s0 s1
	load="$(cut -d' ' -f1 /proc/loadavg)"
	c0="$(proc_cpu "${!pid}")" s0="$(proc_cpu "$SINK_PID")"
	TOKEN="${!token}" wrk "-t$THREADS" "-c$CONNECTIONS" "-d$DURATION" --latency -s bench/viewer.lua "http://${!addr}/graphql" >"$raw" 2>&1
	c1="$(proc_cpu "${!pid}")" s1="$(proc_cpu "$SINK_PID")"
	if grep -q 'Non-2xx' "$raw"; then
		cat "$raw" >&2
		die "run $round $name had errors"
	fi
	local rps reqs p99
	rps="$(awk '/^Requests\/sec/{print $2}' "$raw")"
	reqs="$(awk '/requests in/{print $1}' "$raw")"
	p99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$raw")")"
	local cpu sinkcpu
	cpu="$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.1f", d/hz*1e6/n }')"
	sinkcpu="$(awk -v d=$((s1 - s0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN { printf "%.2f", d/hz*1e6/n }')"
	say "round $round $name: $rps req/s, p99 $p99 ms, server CPU $cpu µs/request (receiver $sinkcpu), load $load"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$rps" "$p99" "$cpu" "$load" "$sinkcpu" >>"$RESULTS"
}

spans0="$(curl -s "http://$SINK/count" | awk '{print $2}')"
for ((round = 1; round <= ROUNDS; round++)); do
	if ((round % 2)); then order="OFF ON"; else order="ON OFF"; fi
	for name in $order; do measure "$round" "$name"; done
done
spans1="$(curl -s "http://$SINK/count" | awk '{print $2}')"
((spans1 > spans0)) || die "the receiver got no span from server ON"

{
	echo "Server: $SOURCE; $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), $(go version | awk '{print $3}'), $(date -u +%Y-%m-%dT%H:%MZ)."
	echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION bench/viewer.lua, $ROUNDS rounds alternating; ON: parentbased_traceidratio $RATIO to a local OTLP/HTTP receiver."
	echo
	echo '| round | server | req/s | p99 ms | server CPU µs/request | load (1 min) |'
	echo '|---|---|---|---|---|---|'
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$RESULTS"
	echo
	awk -F'\t' -v ratio="$RATIO" -v spans=$((spans1 - spans0)) '
		function median(a, n,   i, j, t) {
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		$2 == "OFF" { off[++no] = $3; offc[no] = $5; offr[$1] = $3 }
		$2 == "ON"  { on[++nn] = $3; onc[nn] = $5; onr[$1] = $3; sink[nn] = $7 }
		END {
			for (r in offr) if (r in onr) pair[++np] = onr[r] / offr[r]
			mo = median(off, no); mn = median(on, nn); mco = median(offc, no); mcn = median(onc, nn); mp = median(pair, np)
			printf "Median throughput: OFF %.0f req/s, ON %.0f req/s: ON/OFF = %.3f (throughput cost %.1f %%); median of the per-round ON/OFF ratios %.3f (cost %.1f %%).\n", mo, mn, mn / mo, 100 * (1 - mn / mo), mp, 100 * (1 - mp)
			printf "Median server CPU per request: OFF %.1f µs, ON %.1f µs: +%.1f %% (capacity cost %.1f %%). Receiver: %.2f µs per request.\n", mco, mcn, 100 * (mcn / mco - 1), 100 * (1 - mco / mcn), median(sink, nn)
			printf "Spans received during the measured runs: %d.\n", spans
			printf "Target (tracing costs ≤ 10 %% of viewer throughput): by req/s (per-round ratios) %s; by server CPU per request %s.\n", 100 * (1 - mp) <= 10 ? "MET" : "NOT MET", 100 * (1 - mco / mcn) <= 10 ? "MET" : "NOT MET"
		}' "$RESULTS"
} >>"$SUMMARY"
say "done; summary ($SUMMARY):"
cat "$SUMMARY"
