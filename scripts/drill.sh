#!/usr/bin/env bash
# scripts/drill.sh - the PostgreSQL failover drill (`make drill`; not part of `make test`).
#
# Runs, on loopback and in a temporary directory, a primary and a synchronous hot standby
# (synchronous_standby_names = '*', synchronous_commit = on), one API server pointed at both
# through a multi-host DATABASE_URL with target_session_attrs=read-write, and chat + booking
# traffic (scripts/drillload). After DRILL_FAIL_AFTER seconds the primary is stopped (crash-like:
# `pg_ctl stop -m immediate`, or SIGKILL of the postmaster and its processes with DRILL_STOP=kill) and the standby
# promoted (`pg_ctl promote`). The report says how long clients saw no acknowledged write, how many
# acknowledged writes were lost (must be 0), and whether the server - its pgx pool and its River
# workers - recovered without a restart.
#
# Environment: DRILL_PRIMARY_PORT (56532), DRILL_STANDBY_PORT (56533), DRILL_HTTP_PORT (18080),
# DRILL_SECONDS (40: traffic duration), DRILL_FAIL_AFTER (15), DRILL_STOP (immediate|kill),
# DRILL_KEEP=1 keeps the temporary directory (logs) for inspection.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
P1="${DRILL_PRIMARY_PORT:-56532}"
P2="${DRILL_STANDBY_PORT:-56533}"
HTTP_PORT="${DRILL_HTTP_PORT:-18080}"
SECONDS_TOTAL="${DRILL_SECONDS:-40}"
FAIL_AFTER="${DRILL_FAIL_AFTER:-15}"
STOP_MODE="${DRILL_STOP:-immediate}"
HOST=127.0.0.1
SUPERUSER=skillswap

say() { printf '[drill] %s\n' "$*" >&2; }
die() {
	printf '[drill] error: %s\n' "$*" >&2
	exit 1
}

PG_BIN="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)"
[[ -n "$PG_BIN" ]] || die "PostgreSQL server binaries not found (scripts/stack.sh up postgres installs them)"
PG_BIN="$(dirname -- "$PG_BIN")"
for p in "$P1" "$P2" "$HTTP_PORT"; do
	if timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$p" 2>/dev/null; then
		die "port $HOST:$p is in use (set DRILL_PRIMARY_PORT, DRILL_STANDBY_PORT or DRILL_HTTP_PORT)"
	fi
done

TMP="$(mktemp -d /tmp/skillswap-drill.XXXXXX)"
chmod 755 "$TMP"
SERVER_PID=""
as_pg() {
	if [[ "$(id -u)" -eq 0 ]]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}
cleanup() {
	set +e
	if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"
		wait "$SERVER_PID" 2>/dev/null
	fi
	for d in primary standby; do
		[[ -f "$TMP/$d/postmaster.pid" ]] && as_pg "$PG_BIN/pg_ctl" stop -D "$TMP/$d" -m immediate -s >/dev/null 2>&1
	done
	if [[ "${DRILL_KEEP:-}" == 1 ]]; then
		say "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

mkdir -m 0700 "$TMP/primary" "$TMP/standby"
if [[ "$(id -u)" -eq 0 ]]; then chown postgres:postgres "$TMP/primary" "$TMP/standby" "$TMP"; fi

say "primary on $HOST:$P1, synchronous standby on $HOST:$P2 ($PG_BIN)"
as_pg "$PG_BIN/initdb" -D "$TMP/primary" -U "$SUPERUSER" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
	die "initdb failed: $(tail -n 5 "$TMP/initdb.log")"
cat >>"$TMP/primary/postgresql.conf" <<EOF
listen_addresses = '$HOST'
port = $P1
unix_socket_directories = '$TMP'
wal_level = replica
max_wal_senders = 5
# Durable: a commit is acknowledged once the standby has flushed it too.
synchronous_commit = on
synchronous_standby_names = '*'
max_connections = 100
EOF
as_pg "$PG_BIN/pg_ctl" start -D "$TMP/primary" -l "$TMP/primary.log" -w -t 60 -s >/dev/null
as_pg "$PG_BIN/pg_basebackup" -h "$HOST" -p "$P1" -U "$SUPERUSER" -D "$TMP/standby" -R -X stream -c fast >"$TMP/basebackup.log" 2>&1 ||
	die "pg_basebackup failed: $(tail -n 5 "$TMP/basebackup.log")"
cat >>"$TMP/standby/postgresql.conf" <<EOF
port = $P2
hot_standby = on
# Once promoted it has no standby of its own: it must not wait for one (an operator, or Patroni,
# attaches a new standby and makes it synchronous again).
synchronous_standby_names = ''
EOF
as_pg "$PG_BIN/pg_ctl" start -D "$TMP/standby" -l "$TMP/standby.log" -w -t 60 -s >/dev/null
psql1() { "$PG_BIN/psql" -X -q -A -t -h "$HOST" -p "$P1" -U "$SUPERUSER" "$@"; }
for ((i = 0; i < 300; i++)); do
	[[ "$(psql1 -d postgres -c "select sync_state from pg_stat_replication" 2>/dev/null)" == sync ]] && break
	sleep 0.2
done
[[ "$(psql1 -d postgres -c "select sync_state from pg_stat_replication")" == sync ]] || die "the standby never became synchronous"
psql1 -d postgres -c "create database skillswap" >/dev/null

say "building the server and the load program"
(cd "$ROOT" && go build -o "$TMP/skillswap" . && go build -o "$TMP/drillload" ./scripts/drillload)

DB_URL="postgres://$SUPERUSER@$HOST:$P1,$HOST:$P2/skillswap?sslmode=disable&target_session_attrs=read-write&connect_timeout=2"
export DATABASE_URL="$DB_URL" HTTP_ADDR="$HOST:$HTTP_PORT" LOG_LEVEL=warn
export JWT_KEYS="drill:$(head -c 32 /dev/urandom | base64)" JWT_ACTIVE_KEY_ID=drill
export MFA_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64)"
# The periodic retention job every 2 s shows River working before and after the failover.
export RETENTION_INTERVAL=2s UNVERIFIED_MAY=MESSAGE,BOOK CREDIT_STARTER_MINUTES=1000000
export RATE_MESSAGES_PER_USER=1000000/1m
unset REDIS_URL REDIS_ADDRS DATABASE_REPLICA_URL STRIPE_SECRET_KEY SMTP_ADDR
"$TMP/skillswap" serve >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for ((i = 0; i < 600; i++)); do
	curl -fsS "http://$HOST:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited: $(tail -n 20 "$TMP/server.log")"
	sleep 0.1
done

say "traffic for ${SECONDS_TOTAL}s; the primary fails after ${FAIL_AFTER}s ($STOP_MODE)"
TERMS_VERSION="${TERMS_VERSION:-2026-01-01}" PRIVACY_POLICY_VERSION="${PRIVACY_POLICY_VERSION:-2026-01-01}" \
	"$TMP/drillload" -url "http://$HOST:$HTTP_PORT/graphql" -db "$DB_URL" -duration "${SECONDS_TOTAL}s" >"$TMP/load.json" 2>"$TMP/load.err" &
LOAD_PID=$!
sleep "$FAIL_AFTER"
fail_at=$(date +%s.%N)
if [[ "$STOP_MODE" == kill ]]; then
	# The postmaster and every process of the cluster at once, as a lost machine.
	pm="$(head -n 1 "$TMP/primary/postmaster.pid")"
	# shellcheck disable=SC2046 # one pid per word
	kill -KILL "$pm" $(ps -o pid= --ppid "$pm") 2>/dev/null || true
else
	as_pg "$PG_BIN/pg_ctl" stop -D "$TMP/primary" -m immediate -s >/dev/null 2>&1 || true
fi
as_pg "$PG_BIN/pg_ctl" promote -D "$TMP/standby" -w -t 60 -s >/dev/null
promoted_at=$(date +%s.%N)
promoted_iso="$(date -u -d "@$promoted_at" '+%Y-%m-%d %H:%M:%S.%N+00')"
say "primary stopped, standby promoted in $(awk -v a="$fail_at" -v b="$promoted_at" 'BEGIN { printf "%.2f", b - a }')s"
load_rc=0
wait "$LOAD_PID" || load_rc=$?
[[ "$load_rc" -eq 0 ]] || die "the load program failed: $(cat "$TMP/load.err")"

server_alive=no
kill -0 "$SERVER_PID" 2>/dev/null && server_alive=yes
psql2() { "$PG_BIN/psql" -X -q -A -t -h "$HOST" -p "$P2" -U "$SUPERUSER" -d skillswap "$@"; }
# River on the new primary: periodic retention jobs completed after the promotion.
river_after=0
for ((i = 0; i < 150; i++)); do
	river_after="$(psql2 -c "select count(*) from river_job where kind = 'retention' and state = 'completed' and finalized_at > '$promoted_iso'")"
	((river_after > 0)) && break
	sleep 0.2
done
load_avg="$(cut -d' ' -f1-3 /proc/loadavg)"
report="$(cat "$TMP/load.json")"
say "report"
cat <<EOF
{"stop":"$STOP_MODE","traffic_seconds":$SECONDS_TOTAL,"fail_after_seconds":$FAIL_AFTER,
 "promote_seconds":$(awk -v a="$fail_at" -v b="$promoted_at" 'BEGIN { printf "%.2f", b - a }'),
 "server_alive_without_restart":"$server_alive","river_jobs_completed_after_promotion":$river_after,
 "load_average":"$load_avg","cores":$(nproc),
 "load":$report}
EOF
lost="$(sed -E 's/.*"acknowledged_lost":([0-9]+).*/\1/' <<<"$report")"
if [[ "$lost" != 0 || "$server_alive" != yes ]] || ((river_after == 0)); then
	say "FAILED: acknowledged writes lost: $lost, server alive: $server_alive, River jobs after promotion: $river_after"
	grep -v '^\s*$' "$TMP/server.log" | tail -n 20 >&2 || true
	exit 1
fi
say "passed: no acknowledged write lost; the server and River recovered without a restart"
