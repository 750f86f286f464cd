#!/usr/bin/env bash
# scripts/stack.sh - the local service stack for development and tests.
#
#   scripts/stack.sh up [SERVICE...]     start what is not running yet and wait until it is ready
#   scripts/stack.sh down [SERVICE...]   stop what this script started (data is kept)
#   scripts/stack.sh status [SERVICE...] show what runs (exit 0 if all given/known services run, 3 if not)
#   scripts/stack.sh env [SERVICE...]    print `export VAR='value'` lines: eval "$(scripts/stack.sh env)"
#
# SERVICE is any of: postgres replica redis stripe smtp (default: all of them).
#
# Everything listens on 127.0.0.1 only, on non-default ports, and keeps its state under
# $SKILLSWAP_DATA_DIR (default: <repo>/.data):
#   pg/                 the PostgreSQL cluster (PGDATA)
#   pg-replica/         a hot standby of it (pg_basebackup -R, streaming, replication slot
#                       skillswap_replica); made once, when missing: remove it to rebuild it
#   pgsock/             PostgreSQL's unix socket directory
#   redis/              redis.conf and Redis's working dir (no persistence)
#   mail/               Maildir of the SMTP sink: each received message is one file in mail/new/
#   logs/               one log per service (postgres.log, redis.log, stripe-mock.log, smtp.log)
#   run/                pidfiles of redis, stripe-mock and the SMTP sink
#
# Environment overrides (the same values must be set for `up`, `down`, `status` and `env`):
#   SKILLSWAP_DATA_DIR  state directory                       (default <repo>/.data)
#   PGPORT              PostgreSQL port                        (default 55432)
#   PG_REPLICA_PORT     port of the PostgreSQL standby         (default 55433)
#   REDIS_PORT          Redis port                             (default 56379)
#   STRIPE_PORT         stripe-mock HTTP port                  (default 12111)
#   STRIPE_HTTPS_PORT   stripe-mock HTTPS port                 (default 12112)
#   SMTP_PORT           SMTP sink port                         (default 2525)
#   STACK_TIMEOUT       seconds to wait for a service to be ready (default 60)
#   PG_BINDIR           PostgreSQL server binaries (default: newest /usr/lib/postgresql/*/bin)
#   STRIPE_MOCK_VERSION version `go install`ed when stripe-mock is missing (default v0.203.0)
#
# `env` prints the variables of the services named (default: all) whether or not they are
# running - the values follow from the settings above; `status` tells what runs:
#   postgres  DATABASE_URL=postgres://skillswap@127.0.0.1:55432/skillswap?sslmode=disable
#   replica   DATABASE_REPLICA_URL=postgres://skillswap@127.0.0.1:55433/skillswap?sslmode=disable
#   redis     REDIS_URL=redis://127.0.0.1:56379/0
#   stripe    STRIPE_API_BASE=http://127.0.0.1:12111  STRIPE_SECRET_KEY=sk_test_123
#   smtp      SMTP_ADDR=127.0.0.1:2525  SMTP_SINK_DIR=<data dir>/mail (Maildir; messages in new/)
#
# Missing software is installed with apt-get when running as root; otherwise the exact
# apt-get command is printed and the script exits 1. stripe-mock is `go install`ed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DATA_DIR="$(realpath -m -- "${SKILLSWAP_DATA_DIR:-$ROOT/.data}")"

PG_PORT="${PGPORT:-55432}"
PG_REPLICA_PORT="${PG_REPLICA_PORT:-55433}"
REDIS_PORT="${REDIS_PORT:-56379}"
STRIPE_PORT="${STRIPE_PORT:-12111}"
STRIPE_HTTPS_PORT="${STRIPE_HTTPS_PORT:-12112}"
SMTP_PORT="${SMTP_PORT:-2525}"
TIMEOUT="${STACK_TIMEOUT:-60}"
STRIPE_MOCK_VERSION="${STRIPE_MOCK_VERSION:-v0.203.0}"

HOST=127.0.0.1
PG_SUPERUSER=skillswap
PG_DATABASE=skillswap
STRIPE_KEY=sk_test_123
ALL_SERVICES=(postgres replica redis stripe smtp)
PG_EXTENSIONS=(pg_trgm unaccent btree_gist citext)
SYSTEM_PYTHON=/usr/bin/python3

LOG_DIR="$DATA_DIR/logs"
RUN_DIR="$DATA_DIR/run"
REDIS_DIR="$DATA_DIR/redis"
MAIL_DIR="$DATA_DIR/mail"

IS_ROOT=0
if [[ "$(id -u)" -eq 0 ]]; then IS_ROOT=1; fi

# ---------------------------------------------------------------------------------------------
# helpers

say() { printf '[stack] %s\n' "$*" >&2; }
die() {
	printf '[stack] error: %s\n' "$*" >&2
	exit 1
}

LOG_MARK='==== scripts/stack.sh:'

# log_mark LOGFILE WHAT: append a marker line, so a failure report shows only this attempt.
log_mark() {
	# Start on a fresh line: a process that died mid-line leaves no trailing newline.
	if [[ -s "$1" && -n "$(tail -c 1 "$1")" ]]; then echo >>"$1"; fi
	printf '%s %s at %s ====\n' "$LOG_MARK" "$2" "$(date '+%F %T')" >>"$1"
}

# fail_with_log NAME LOGFILE MESSAGE: report a service that did not come up, with the tail of
# what its log got since the last marker.
fail_with_log() {
	local name=$1 logf=$2 msg=$3
	printf '[stack] error: %s: %s\n' "$name" "$msg" >&2
	if [[ -f "$logf" ]]; then
		printf '[stack] ---- last lines of %s ----\n' "$logf" >&2
		awk -v m="$LOG_MARK" 'index($0, m) == 1 { n = 0 } { buf[n++] = $0 }
			END { for (i = (n > 40 ? n - 40 : 0); i < n; i++) print buf[i] }' "$logf" >&2 || true
		printf '\n[stack] ---- end of %s ----\n' "$logf" >&2
	else
		printf '[stack] (no log at %s)\n' "$logf" >&2
	fi
	exit 1
}

# tcp_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
tcp_open() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# pid_matches PIDFILE PATTERN: true if the pidfile names a live process whose command line
# contains PATTERN (guards against a recycled pid).
pid_matches() {
	local pidf=$1 pattern=$2 pid
	[[ -s "$pidf" ]] || return 1
	pid="$(<"$pidf")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	local cmdline
	# No pipe into grep -q: it may exit before the writer finishes, a SIGPIPE under pipefail.
	cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
	[[ "$cmdline" == *"$pattern"* ]]
}

# stop_pidfile NAME PIDFILE PATTERN: SIGTERM, wait up to 15 s, then SIGKILL.
stop_pidfile() {
	local name=$1 pidf=$2 pattern=$3 pid i
	if ! pid_matches "$pidf" "$pattern"; then
		rm -f "$pidf"
		say "$name: not running"
		return 0
	fi
	pid="$(<"$pidf")"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name: still running after 15 s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidf"
	say "$name: stopped (pid $pid)"
}

# spawn PIDFILE LOGFILE CMD...: run CMD in its own session (so a Ctrl-C in the shell that ran
# `up` or `make test` does not take it down), stdin from /dev/null, output appended to LOGFILE.
# The pid is written by the process itself just before exec, so it is exact.
spawn() {
	local pidf=$1 logf=$2 i
	shift 2
	rm -f "$pidf"
	# shellcheck disable=SC2016 # $$ and $@ are for the inner shell
	setsid bash -c 'echo "$$" >"$0"; exec "$@"' "$pidf" "$@" </dev/null >>"$logf" 2>&1 9>&- &
	for ((i = 0; i < 50; i++)); do
		[[ -s "$pidf" ]] && return 0
		sleep 0.1
	done
	return 1
}

# wait_ready NAME LOGFILE PIDFILE-OR-EMPTY PATTERN CHECK...: poll CHECK until it succeeds, the
# process dies (when a pidfile is given) or STACK_TIMEOUT runs out.
wait_ready() {
	local name=$1 logf=$2 pidf=$3 pattern=$4 deadline
	shift 4
	deadline=$((SECONDS + TIMEOUT))
	while ! "$@" >/dev/null 2>&1; do
		if [[ -n "$pidf" ]] && ! pid_matches "$pidf" "$pattern"; then
			fail_with_log "$name" "$logf" "the process exited during start-up"
		fi
		if ((SECONDS >= deadline)); then
			fail_with_log "$name" "$logf" "not ready after ${TIMEOUT}s"
		fi
		sleep 0.2
	done
}

APT_UPDATED=0
# apt_install PACKAGE...: install Debian packages (root only; otherwise print the command).
apt_install() {
	if ((!IS_ROOT)); then
		printf '[stack] error: missing software; install it with:\n' >&2
		printf '  sudo apt-get update && sudo apt-get install -y %s\n' "$*" >&2
		exit 1
	fi
	say "installing with apt-get: $*"
	export DEBIAN_FRONTEND=noninteractive
	if ((!APT_UPDATED)); then
		apt-get update -qq >&2
		APT_UPDATED=1
	fi
	apt-get install -y -qq "$@" >&2
}

ensure_dirs() {
	mkdir -p "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"
}

# ---------------------------------------------------------------------------------------------
# postgres
#
# PostgreSQL refuses to run as root. When this script runs as root, initdb, pg_ctl and the
# server run as the `postgres` system user (created by Debian's postgresql-common) and the
# cluster directory is owned by it; otherwise everything runs as the current user.
#
# The postgres user must be able to traverse every parent of the data dir. That is the case for
# the usual places (/work/..., /tmp/..., /home/user/... with mode 755). When it is not (e.g. a
# checkout under /root, mode 700), we do NOT loosen the permissions of the user's directories:
# the cluster, its socket dir and its log go to /var/lib/skillswap-stack/<hash of the data dir>/
# (root-owned, mode 755, like any system service's state) and $DATA_DIR/pg and
# $DATA_DIR/logs/postgres.log become symlinks to them. The symlink is what later runs follow,
# so the location never changes under an existing cluster.

PG_BASE=""   # directory holding pg/, pgsock/ and logs/postgres.log
PGDATA_DIR="" # the cluster
PG_SOCK=""   # unix socket dir ('' = TCP only)
PG_LOG=""
PG_USER=""
PG_BIN=""

pg_setup_paths() {
	if [[ -L "$DATA_DIR/pg" ]]; then
		PGDATA_DIR="$(readlink -f -- "$DATA_DIR/pg")"
		PG_BASE="$(dirname -- "$PGDATA_DIR")"
	else
		PG_BASE="$DATA_DIR"
		PGDATA_DIR="$DATA_DIR/pg"
	fi
	PG_SOCK="$PG_BASE/pgsock"
	PG_LOG="$PG_BASE/logs/postgres.log"
	# A unix socket path is limited to 107 bytes; with a very deep data dir use TCP only.
	if ((${#PG_SOCK} + ${#PG_PORT} + 10 > 107)); then PG_SOCK=""; fi
	if ((IS_ROOT)); then PG_USER=postgres; else PG_USER="$(id -un)"; fi
}

# as_pg CMD...: run CMD as the cluster's owner, from / so its cwd is always accessible.
as_pg() {
	if ((IS_ROOT)); then
		(cd / && runuser -u "$PG_USER" -- "$@" 9>&-)
	else
		(cd / && "$@" 9>&-)
	fi
}

# pg_find_bindir: newest server bin dir (or the one matching an existing cluster's version).
pg_find_bindir() {
	local d ver
	if [[ -n "${PG_BINDIR:-}" ]]; then
		[[ -x "$PG_BINDIR/initdb" ]] && {
			echo "$PG_BINDIR"
			return 0
		}
		return 1
	fi
	if [[ -f "$PGDATA_DIR/PG_VERSION" ]] 2>/dev/null; then
		ver="$(<"$PGDATA_DIR/PG_VERSION")"
		if [[ -x "/usr/lib/postgresql/$ver/bin/initdb" ]]; then
			echo "/usr/lib/postgresql/$ver/bin"
			return 0
		fi
	fi
	d="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
		sort -V | tail -n 1)"
	if [[ -n "$d" ]]; then
		dirname -- "$d"
		return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d="$(pg_config --bindir 2>/dev/null || true)"
		if [[ -n "$d" && -x "$d/initdb" ]]; then
			echo "$d"
			return 0
		fi
	fi
	return 1
}

pg_ext_dir() {
	local ver
	ver="$("$PG_BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
	if [[ -d "/usr/share/postgresql/$ver/extension" ]]; then
		echo "/usr/share/postgresql/$ver/extension"
	elif [[ -x "$PG_BIN/pg_config" ]]; then
		echo "$("$PG_BIN/pg_config" --sharedir)/extension"
	else
		echo "/usr/share/postgresql/$ver/extension"
	fi
}

pg_ensure_installed() {
	if ! PG_BIN="$(pg_find_bindir)"; then
		apt_install postgresql postgresql-contrib
		PG_BIN="$(pg_find_bindir)" || die "PostgreSQL server binaries not found even after installing"
	fi
	local ext_dir ext missing=()
	ext_dir="$(pg_ext_dir)"
	for ext in "${PG_EXTENSIONS[@]}"; do
		[[ -f "$ext_dir/$ext.control" ]] || missing+=("$ext")
	done
	if ((${#missing[@]})); then
		say "extensions missing in $ext_dir: ${missing[*]}"
		apt_install postgresql-contrib
		for ext in "${missing[@]}"; do
			[[ -f "$ext_dir/$ext.control" ]] || die "extension $ext still missing in $ext_dir"
		done
	fi
	if ((IS_ROOT)) && ! id -u postgres >/dev/null 2>&1; then
		say "creating the postgres system user"
		useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
	fi
}

pg_running() {
	[[ -f "$PGDATA_DIR/PG_VERSION" ]] || return 1
	[[ -n "$PG_BIN" ]] || PG_BIN="$(pg_find_bindir)" || return 1
	as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

pg_pid() {
	head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true
}

# pg_prepare_dirs: create the cluster/socket/log locations with the right owner.
pg_prepare_dirs() {
	if [[ ! -e "$DATA_DIR/pg" ]] && ((IS_ROOT)) && ! runuser -u postgres -- test -x "$DATA_DIR"; then
		local hash
		hash="$(printf '%s' "$DATA_DIR" | sha256sum | cut -c1-12)"
		PG_BASE="/var/lib/skillswap-stack/$hash"
		say "postgres cannot traverse $DATA_DIR; keeping the cluster in $PG_BASE (symlinked as $DATA_DIR/pg)"
		install -d -m 0755 /var/lib/skillswap-stack "$PG_BASE" "$PG_BASE/logs"
		install -d -m 0700 -o postgres -g postgres "$PG_BASE/pg"
		ln -sfn "$PG_BASE/pg" "$DATA_DIR/pg"
		ln -sfn "$PG_BASE/logs/postgres.log" "$LOG_DIR/postgres.log"
		pg_setup_paths
	fi
	mkdir -p "$PG_BASE/logs"
	if [[ ! -d "$PGDATA_DIR" ]]; then
		mkdir -m 0700 "$PGDATA_DIR"
	fi
	if [[ -n "$PG_SOCK" ]]; then mkdir -p "$PG_SOCK"; fi
	touch "$PG_LOG"
	if ((IS_ROOT)); then
		# The cluster must belong to the user that runs the server.
		if [[ "$(stat -c %U "$PGDATA_DIR")" != postgres ]]; then
			chown -R postgres:postgres "$PGDATA_DIR"
		fi
		chown postgres:postgres "$PG_LOG"
		if [[ -n "$PG_SOCK" ]]; then chown postgres:postgres "$PG_SOCK"; fi
		runuser -u postgres -- test -x "$PGDATA_DIR" ||
			die "the postgres user cannot reach $PGDATA_DIR (check the permissions of its parent directories)"
	fi
}

pg_write_conf() {
	# Rewritten at every start so that changes here (or a new PGPORT) apply on restart.
	local conf="$PGDATA_DIR/skillswap.conf"
	cat >"$conf" <<EOF
# Written by scripts/stack.sh at every start; edits are overwritten.
# A throwaway development/test cluster: durability is traded for speed.
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
# The standby (service replica) streams from a replication slot: bound what a stopped standby
# makes the primary keep.
max_slot_wal_keep_size = 4GB
EOF
	if ((IS_ROOT)); then chown postgres:postgres "$conf"; fi
}

pg_up() {
	pg_setup_paths
	pg_ensure_installed
	if pg_running; then
		say "postgres: already running (pid $(pg_pid), port $PG_PORT)"
		return 0
	fi
	if tcp_open "$PG_PORT"; then
		die "postgres: port $HOST:$PG_PORT is used by another process (set PGPORT to another port)"
	fi
	pg_prepare_dirs
	if [[ ! -f "$PGDATA_DIR/PG_VERSION" ]]; then
		if [[ -n "$(ls -A "$PGDATA_DIR")" ]]; then
			die "postgres: $PGDATA_DIR is not empty but holds no cluster; move it away"
		fi
		say "postgres: initialising a new cluster in $PGDATA_DIR ($PG_BIN)"
		log_mark "$PG_LOG" "initdb"
		if ! as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$PG_SUPERUSER" --auth=trust \
			--encoding=UTF8 --locale=C.UTF-8 >>"$PG_LOG" 2>&1; then
			fail_with_log postgres "$PG_LOG" "initdb failed"
		fi
		printf "\ninclude_if_exists = 'skillswap.conf'\n" >>"$PGDATA_DIR/postgresql.conf"
	fi
	pg_write_conf
	say "postgres: starting on $HOST:$PG_PORT"
	log_mark "$PG_LOG" "starting postgres"
	if ! as_pg "$PG_BIN/pg_ctl" start -D "$PGDATA_DIR" -l "$PG_LOG" -w -t "$TIMEOUT" -s >/dev/null 2>&1; then
		fail_with_log postgres "$PG_LOG" "pg_ctl start failed"
	fi
	wait_ready postgres "$PG_LOG" "" "" \
		"$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres
	local exists
	exists="$("$PG_BIN/psql" -X -q -A -t -h "$HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres \
		-c "select 1 from pg_database where datname = '$PG_DATABASE'")"
	if [[ "$exists" != 1 ]]; then
		say "postgres: creating database $PG_DATABASE"
		"$PG_BIN/createdb" -h "$HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" "$PG_DATABASE"
	fi
	say "postgres: ready (pid $(pg_pid))"
}

pg_down() {
	pg_setup_paths
	if ! pg_running; then
		say "postgres: not running"
		return 0
	fi
	local pid
	pid="$(pg_pid)"
	as_pg "$PG_BIN/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w -t "$TIMEOUT" -s
	say "postgres: stopped (pid $pid)"
}

pg_status() {
	pg_setup_paths
	if pg_running; then
		printf '%-9s running  pid %-7s %s:%s  data %s\n' postgres "$(pg_pid)" "$HOST" "$PG_PORT" "$PGDATA_DIR"
		return 0
	fi
	printf '%-9s stopped\n' postgres
	return 1
}

# ---------------------------------------------------------------------------------------------
# replica: a hot standby of the stack's cluster, for the read-replica tests. Made once with
# pg_basebackup -R (streaming, from the replication slot skillswap_replica), next to the
# primary's cluster (same owner, same symlinked location when the primary has one). Physical
# replication copies every database, the tests' template and per-package databases included.

PGREPLICA_DIR=""
PGREPLICA_LOG=""
REPLICA_SLOT=skillswap_replica

replica_setup_paths() {
	pg_setup_paths
	PGREPLICA_DIR="$PG_BASE/pg-replica"
	PGREPLICA_LOG="$PG_BASE/logs/postgres-replica.log"
}

replica_running() {
	[[ -f "$PGREPLICA_DIR/PG_VERSION" ]] || return 1
	[[ -n "$PG_BIN" ]] || PG_BIN="$(pg_find_bindir)" || return 1
	as_pg "$PG_BIN/pg_ctl" status -D "$PGREPLICA_DIR" >/dev/null 2>&1
}

replica_pid() {
	head -n 1 "$PGREPLICA_DIR/postmaster.pid" 2>/dev/null || true
}

replica_write_conf() {
	# Rewritten at every start, over the primary's copy that pg_basebackup brought along.
	local conf="$PGREPLICA_DIR/skillswap.conf"
	cat >"$conf" <<EOF
# Written by scripts/stack.sh at every start; edits are overwritten.
# The stack's hot standby: read-only queries, streaming from the primary on port $PG_PORT.
listen_addresses = '$HOST'
port = $PG_REPLICA_PORT
unix_socket_directories = '$PG_SOCK'
fsync = off
full_page_writes = off
max_connections = 200
shared_buffers = 128MB
hot_standby = on
# The primary keeps rows the standby's queries still read, instead of cancelling them.
hot_standby_feedback = on
EOF
	if ((IS_ROOT)); then chown postgres:postgres "$conf"; fi
}

replica_in_recovery() {
	[[ "$("$PG_BIN/psql" -X -q -A -t -h "$HOST" -p "$PG_REPLICA_PORT" -U "$PG_SUPERUSER" -d postgres \
		-c 'select pg_is_in_recovery()' 2>/dev/null)" == t ]]
}

replica_up() {
	replica_setup_paths
	pg_ensure_installed
	if replica_running; then
		say "replica: already running (pid $(replica_pid), port $PG_REPLICA_PORT)"
		return 0
	fi
	pg_running || die "replica: the primary (service postgres) must run first"
	if tcp_open "$PG_REPLICA_PORT"; then
		die "replica: port $HOST:$PG_REPLICA_PORT is used by another process (set PG_REPLICA_PORT to another port)"
	fi
	mkdir -p "$PG_BASE/logs"
	touch "$PGREPLICA_LOG"
	if ((IS_ROOT)); then chown postgres:postgres "$PGREPLICA_LOG"; fi
	if [[ "$PG_BASE" != "$DATA_DIR" && ! -e "$DATA_DIR/pg-replica" ]]; then
		ln -sfn "$PGREPLICA_DIR" "$DATA_DIR/pg-replica"
	fi
	if [[ ! -f "$PGREPLICA_DIR/PG_VERSION" ]]; then
		if [[ -d "$PGREPLICA_DIR" && -n "$(ls -A "$PGREPLICA_DIR")" ]]; then
			die "replica: $PGREPLICA_DIR is not empty but holds no cluster; move it away"
		fi
		mkdir -p -m 0700 "$PGREPLICA_DIR"
		if ((IS_ROOT)); then chown postgres:postgres "$PGREPLICA_DIR"; fi
		# A slot left by an earlier standby would make -C fail: the new copy starts from now.
		"$PG_BIN/psql" -X -q -A -t -h "$HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -c \
			"select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '$REPLICA_SLOT' and not active" >/dev/null
		say "replica: copying the primary with pg_basebackup into $PGREPLICA_DIR"
		log_mark "$PGREPLICA_LOG" "pg_basebackup"
		if ! as_pg "$PG_BIN/pg_basebackup" -h "$HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" -D "$PGREPLICA_DIR" \
			-R -X stream -C -S "$REPLICA_SLOT" -c fast >>"$PGREPLICA_LOG" 2>&1; then
			find "$PGREPLICA_DIR" -mindepth 1 -delete 2>/dev/null || true
			fail_with_log replica "$PGREPLICA_LOG" "pg_basebackup failed"
		fi
	fi
	replica_write_conf
	say "replica: starting on $HOST:$PG_REPLICA_PORT"
	log_mark "$PGREPLICA_LOG" "starting the standby"
	if ! as_pg "$PG_BIN/pg_ctl" start -D "$PGREPLICA_DIR" -l "$PGREPLICA_LOG" -w -t "$TIMEOUT" -s >/dev/null 2>&1; then
		fail_with_log replica "$PGREPLICA_LOG" "pg_ctl start failed"
	fi
	wait_ready replica "$PGREPLICA_LOG" "" "" replica_in_recovery
	say "replica: ready (pid $(replica_pid))"
}

replica_down() {
	replica_setup_paths
	if ! replica_running; then
		say "replica: not running"
		return 0
	fi
	local pid
	pid="$(replica_pid)"
	as_pg "$PG_BIN/pg_ctl" stop -D "$PGREPLICA_DIR" -m fast -w -t "$TIMEOUT" -s
	say "replica: stopped (pid $pid)"
}

replica_status() {
	replica_setup_paths
	if replica_running; then
		printf '%-9s running  pid %-7s %s:%s  data %s\n' replica "$(replica_pid)" "$HOST" "$PG_REPLICA_PORT" "$PGREPLICA_DIR"
		return 0
	fi
	printf '%-9s stopped\n' replica
	return 1
}

# ---------------------------------------------------------------------------------------------
# redis
#
# Started directly from /usr/bin/redis-server with our own config (never /etc/redis/redis.conf),
# so it is independent of Debian's redis-server systemd service, which uses port 6379.

REDIS_PID="$RUN_DIR/redis.pid"
REDIS_LOG="$LOG_DIR/redis.log"

redis_up() {
	if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
		apt_install redis-server
	fi
	if pid_matches "$REDIS_PID" redis-server; then
		say "redis: already running (pid $(<"$REDIS_PID"), port $REDIS_PORT)"
		return 0
	fi
	if tcp_open "$REDIS_PORT"; then
		die "redis: port $HOST:$REDIS_PORT is used by another process (set REDIS_PORT to another port)"
	fi
	mkdir -p "$REDIS_DIR"
	rm -f "$REDIS_PID"
	cat >"$REDIS_DIR/redis.conf" <<EOF
# Written by scripts/stack.sh at every start; edits are overwritten.
bind $HOST
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile "$REDIS_PID"
logfile "$REDIS_LOG"
dir "$REDIS_DIR"
save ""
appendonly no
EOF
	say "redis: starting on $HOST:$REDIS_PORT"
	log_mark "$REDIS_LOG" "starting redis"
	if ! redis-server "$REDIS_DIR/redis.conf" </dev/null >>"$REDIS_LOG" 2>&1 9>&-; then
		fail_with_log redis "$REDIS_LOG" "redis-server failed to start"
	fi
	wait_ready redis "$REDIS_LOG" "" "" redis_ping
	say "redis: ready (pid $(<"$REDIS_PID"))"
}

redis_ping() {
	[[ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]] && [[ -s "$REDIS_PID" ]]
}

redis_down() {
	# SIGTERM is Redis's graceful shutdown; with save "" nothing is written.
	stop_pidfile redis "$REDIS_PID" redis-server
}

redis_status() {
	if pid_matches "$REDIS_PID" redis-server; then
		printf '%-9s running  pid %-7s %s:%s\n' redis "$(<"$REDIS_PID")" "$HOST" "$REDIS_PORT"
		return 0
	fi
	printf '%-9s stopped\n' redis
	return 1
}

# ---------------------------------------------------------------------------------------------
# stripe (stripe-mock)

STRIPE_PID="$RUN_DIR/stripe-mock.pid"
STRIPE_LOG="$LOG_DIR/stripe-mock.log"

find_stripe_mock() {
	local gobin
	if command -v stripe-mock 2>/dev/null; then return 0; fi
	command -v go >/dev/null 2>&1 || return 1
	gobin="$(go env GOBIN)"
	[[ -n "$gobin" ]] || gobin="$(go env GOPATH | cut -d: -f1)/bin"
	if [[ -x "$gobin/stripe-mock" ]]; then
		echo "$gobin/stripe-mock"
		return 0
	fi
	return 1
}

stripe_up() {
	local bin
	if pid_matches "$STRIPE_PID" stripe-mock; then
		say "stripe: already running (pid $(<"$STRIPE_PID"), port $STRIPE_PORT)"
		return 0
	fi
	if ! bin="$(find_stripe_mock)"; then
		command -v go >/dev/null 2>&1 || die "stripe: stripe-mock is missing and go is not on PATH to install it"
		say "stripe: installing github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION"
		# From / so that the repo's go.mod plays no part; -mod=mod because pkg@version needs it.
		(cd / && GOFLAGS=-mod=mod go install "github.com/stripe/stripe-mock@$STRIPE_MOCK_VERSION") >&2
		bin="$(find_stripe_mock)" || die "stripe: stripe-mock not found after go install"
	fi
	local port
	for port in "$STRIPE_PORT" "$STRIPE_HTTPS_PORT"; do
		if tcp_open "$port"; then
			die "stripe: port $HOST:$port is used by another process (set STRIPE_PORT / STRIPE_HTTPS_PORT)"
		fi
	done
	mkdir -p "$LOG_DIR" "$RUN_DIR"
	say "stripe: starting stripe-mock on $HOST:$STRIPE_PORT (https $STRIPE_HTTPS_PORT)"
	log_mark "$STRIPE_LOG" "starting stripe-mock"
	# -http-addr/-https-addr rather than -http-port/-https-port: the *-port flags bind all interfaces.
	spawn "$STRIPE_PID" "$STRIPE_LOG" "$bin" \
		-http-addr "$HOST:$STRIPE_PORT" -https-addr "$HOST:$STRIPE_HTTPS_PORT" ||
		fail_with_log stripe "$STRIPE_LOG" "stripe-mock did not start"
	wait_ready stripe "$STRIPE_LOG" "$STRIPE_PID" stripe-mock tcp_open "$STRIPE_PORT"
	say "stripe: ready (pid $(<"$STRIPE_PID"))"
}

stripe_down() {
	stop_pidfile stripe "$STRIPE_PID" stripe-mock
}

stripe_status() {
	if pid_matches "$STRIPE_PID" stripe-mock; then
		printf '%-9s running  pid %-7s %s:%s (https %s)\n' stripe "$(<"$STRIPE_PID")" "$HOST" "$STRIPE_PORT" "$STRIPE_HTTPS_PORT"
		return 0
	fi
	printf '%-9s stopped\n' stripe
	return 1
}

# ---------------------------------------------------------------------------------------------
# smtp: aiosmtpd (Debian's python3-aiosmtpd) with its Mailbox handler, which stores every
# received message as one file in the Maildir $DATA_DIR/mail (new/ subfolder).
# Debian's /usr/bin/python3 on purpose: a python3 earlier on PATH (pyenv, venv) lacks the module.

SMTP_PID="$RUN_DIR/smtp.pid"
SMTP_LOG="$LOG_DIR/smtp.log"

smtp_up() {
	if ! [[ -x "$SYSTEM_PYTHON" ]] || ! "$SYSTEM_PYTHON" -I -c 'import aiosmtpd.handlers' >/dev/null 2>&1; then
		apt_install python3-aiosmtpd
	fi
	if pid_matches "$SMTP_PID" aiosmtpd; then
		say "smtp: already running (pid $(<"$SMTP_PID"), port $SMTP_PORT)"
		return 0
	fi
	if tcp_open "$SMTP_PORT"; then
		die "smtp: port $HOST:$SMTP_PORT is used by another process (set SMTP_PORT to another port)"
	fi
	mkdir -p "$MAIL_DIR/new" "$MAIL_DIR/cur" "$MAIL_DIR/tmp" "$LOG_DIR" "$RUN_DIR"
	say "smtp: starting the SMTP sink on $HOST:$SMTP_PORT (maildir $MAIL_DIR)"
	log_mark "$SMTP_LOG" "starting the SMTP sink"
	# -n: do not setuid to nobody (which could not write the maildir); -u: accept SMTPUTF8.
	spawn "$SMTP_PID" "$SMTP_LOG" "$SYSTEM_PYTHON" -I -m aiosmtpd -n -u \
		-l "$HOST:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAIL_DIR" ||
		fail_with_log smtp "$SMTP_LOG" "the SMTP sink did not start"
	wait_ready smtp "$SMTP_LOG" "$SMTP_PID" aiosmtpd tcp_open "$SMTP_PORT"
	say "smtp: ready (pid $(<"$SMTP_PID"))"
}

smtp_down() {
	stop_pidfile smtp "$SMTP_PID" aiosmtpd
}

smtp_status() {
	if pid_matches "$SMTP_PID" aiosmtpd; then
		printf '%-9s running  pid %-7s %s:%s  maildir %s\n' smtp "$(<"$SMTP_PID")" "$HOST" "$SMTP_PORT" "$MAIL_DIR"
		return 0
	fi
	printf '%-9s stopped\n' smtp
	return 1
}

# ---------------------------------------------------------------------------------------------
# commands

shell_quote() {
	local s=$1
	printf "'%s'" "${s//\'/\'\\\'\'}"
}

cmd_env() {
	local s
	services_from_args "$@"
	for s in "${SERVICES[@]}"; do
		case "$s" in
		postgres)
			env_line DATABASE_URL "postgres://$PG_SUPERUSER@$HOST:$PG_PORT/$PG_DATABASE?sslmode=disable"
			;;
		replica)
			env_line DATABASE_REPLICA_URL "postgres://$PG_SUPERUSER@$HOST:$PG_REPLICA_PORT/$PG_DATABASE?sslmode=disable"
			;;
		redis) env_line REDIS_URL "redis://$HOST:$REDIS_PORT/0" ;;
		stripe)
			env_line STRIPE_API_BASE "http://$HOST:$STRIPE_PORT"
			env_line STRIPE_SECRET_KEY "$STRIPE_KEY"
			;;
		smtp)
			env_line SMTP_ADDR "$HOST:$SMTP_PORT"
			env_line SMTP_SINK_DIR "$MAIL_DIR"
			;;
		esac
	done
}

env_line() {
	printf 'export %s=%s\n' "$1" "$(shell_quote "$2")"
}

# services_from_args ARG...: validate names; none means all. Result in SERVICES.
SERVICES=()
services_from_args() {
	local s ok a
	SERVICES=()
	if (($# == 0)); then
		SERVICES=("${ALL_SERVICES[@]}")
		return 0
	fi
	for s in "$@"; do
		ok=0
		for a in "${ALL_SERVICES[@]}"; do [[ "$s" == "$a" ]] && ok=1; done
		((ok)) || die "unknown service '$s' (known: ${ALL_SERVICES[*]})"
		SERVICES+=("$s")
	done
}

# take_lock: serialise concurrent up/down runs on the same data dir (e.g. parallel make jobs).
# Every long-lived process we start gets `9>&-`: a daemon that inherited fd 9 would hold the
# lock for as long as it runs.
take_lock() {
	ensure_dirs
	exec 9>"$DATA_DIR/.stack.lock"
	flock -w 600 9 || die "could not lock $DATA_DIR/.stack.lock"
}

cmd_up() {
	local s start=$SECONDS
	services_from_args "$@"
	take_lock
	for s in "${SERVICES[@]}"; do
		case "$s" in
		postgres) pg_up ;;
		replica) replica_up ;;
		redis) redis_up ;;
		stripe) stripe_up ;;
		smtp) smtp_up ;;
		esac
	done
	say "up: ${SERVICES[*]} ready in $((SECONDS - start))s; use: eval \"\$(scripts/stack.sh env)\""
}

cmd_down() {
	local i s
	services_from_args "$@"
	take_lock
	for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
		s="${SERVICES[i]}"
		case "$s" in
		postgres) pg_down ;;
		replica) replica_down ;;
		redis) redis_down ;;
		stripe) stripe_down ;;
		smtp) smtp_down ;;
		esac
	done
}

cmd_status() {
	local s rc=0
	services_from_args "$@"
	for s in "${SERVICES[@]}"; do
		case "$s" in
		postgres) pg_status || rc=3 ;;
		replica) replica_status || rc=3 ;;
		redis) redis_status || rc=3 ;;
		stripe) stripe_status || rc=3 ;;
		smtp) smtp_status || rc=3 ;;
		esac
	done
	return "$rc"
}

usage() {
	sed -n '2,/^set -euo pipefail/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

main() {
	local cmd=${1:-}
	(($#)) && shift
	case "$cmd" in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	status) cmd_status "$@" ;;
	env) cmd_env "$@" ;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
