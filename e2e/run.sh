#!/usr/bin/env bash
# e2e/run.sh - end-to-end tests of the API with the clients the mobile apps use (Apollo Client 4
# over HTTP, graphql-ws over WebSocket), run by Node's built-in test runner.
#
#   bash e2e/run.sh
#
# Builds the server, brings up PostgreSQL with scripts/stack.sh, recreates the database
# skillswap_e2e, starts `bin/skillswap serve` on 127.0.0.1:18282, seeds the demo members, runs
# `npm test --prefix e2e`, then stops the server with SIGTERM and checks that it exits 0 within
# 10 s (graceful shutdown). On failure it prints the tail of the server log.
#
# Environment overrides:
#   E2E_PORT         port of the server under test            (default 18282)
#   E2E_DB_NAME      database created for the run              (default skillswap_e2e)
#   E2E_KEEP_LOG     keep the server log file after a green run (default: deleted)
#   E2E_TEST_ARGS    extra arguments for `node --test`, e.g. a file name (default none)
#   E2E_BROKER       memory: no REDIS_URL, the in-process broker (default); redis: REDIS_URL of
#                    the stack's Redis, the production broker (make test runs both)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

PORT="${E2E_PORT:-18282}"
DB_NAME="${E2E_DB_NAME:-skillswap_e2e}"
ADDR="127.0.0.1:$PORT"
BASE_URL="http://$ADDR"
LOG_DIR="$ROOT/.data/logs"
SERVER_LOG="$LOG_DIR/e2e-server.log"
SERVER_PID=""
STATUS=1

say() { printf '[e2e] %s\n' "$*" >&2; }
die() {
	printf '[e2e] error: %s\n' "$*" >&2
	exit 1
}

print_log_tail() {
	if [[ -s "$SERVER_LOG" ]]; then
		printf '[e2e] ---- last 60 lines of %s ----\n' "$SERVER_LOG" >&2
		tail -n 60 "$SERVER_LOG" >&2 || true
		printf '[e2e] ---- end of server log ----\n' >&2
	fi
}

cleanup() {
	local rc=$?
	if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if ((rc != 0 || STATUS != 0)); then
		print_log_tail
	elif [[ -z "${E2E_KEEP_LOG:-}" ]]; then
		rm -f "$SERVER_LOG"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prerequisites ------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node is not on PATH (Node.js >= 20 is needed: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH (apt-get install npm)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "Node.js >= 20 is needed, found $(node --version)"
command -v go >/dev/null 2>&1 || die "go is not on PATH"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
	die "port $ADDR is already in use (set E2E_PORT to another port)"
fi

say "node $(node --version), npm $(npm --version 2>/dev/null)"
say "installing the test dependencies (npm ci)"
npm ci --prefix e2e --no-audit --no-fund --loglevel=error

say "building the server"
# As the Dockerfile builds it: the suite tests the binary the image ships, and make deploy-check's
# build of it (deploy/check) then comes from the build cache.
CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false -ldflags="-s -w" -o bin/skillswap .

say "starting PostgreSQL"
bash scripts/stack.sh up postgres
eval "$(bash scripts/stack.sh env postgres)"
[[ -n "${DATABASE_URL:-}" ]] || die "scripts/stack.sh env did not set DATABASE_URL"
ADMIN_URL="$DATABASE_URL"
E2E_DATABASE_URL="${ADMIN_URL/\/skillswap\?//$DB_NAME?}"
[[ "$E2E_DATABASE_URL" != "$ADMIN_URL" ]] || die "cannot derive the e2e database URL from $ADMIN_URL"

say "recreating database $DB_NAME"
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" -c "CREATE DATABASE $DB_NAME"

export DATABASE_URL="$E2E_DATABASE_URL"
export HTTP_ADDR="$ADDR"
export PUBLIC_URL="$BASE_URL"
export LOG_LEVEL=warn
export CORS_ALLOWED_ORIGINS="http://localhost:$PORT"
export RATE_SIGNUP_PER_IP=1000/1m
export RATE_LOGIN_PER_IP=1000/1m
# Every client of the suite comes from one address.
export RATE_COMPLEXITY_PER_IP=10000000/1m
export WS_MAX_CONNECTIONS_PER_IP=1000
# The suite's members sign up through the API and never read their verification email: let
# them message and book (verification itself is tested in Go, auth/recovery_api_test.go).
export UNVERIFIED_MAY=MESSAGE,BOOK
case "${E2E_BROKER:-memory}" in
memory) unset REDIS_URL ;;
redis)
	say "starting Redis (the production broker, rate limits and connection caps)"
	bash scripts/stack.sh up redis
	eval "$(bash scripts/stack.sh env redis)"
	[[ -n "${REDIS_URL:-}" ]] || die "scripts/stack.sh env did not set REDIS_URL"
	export REDIS_URL
	# Limits and caps of this run only, not a previous run's.
	export RATE_LIMIT_KEY_PREFIX="e2e:$$:$(date +%s):"
	;;
*) die "E2E_BROKER must be memory or redis, not ${E2E_BROKER}" ;;
esac
say "broker: ${E2E_BROKER:-memory}"

mkdir -p "$LOG_DIR"
: >"$SERVER_LOG"
say "starting the server on $ADDR (log: $SERVER_LOG)"
bin/skillswap serve >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 300); do
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during start"
	if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE_URL/readyz" || true)" == 200 ]]; then
		ready=1
		break
	fi
	sleep 0.1
done
((ready)) || die "the server was not ready within 30 s"
say "server ready (pid $SERVER_PID)"

say "seeding demo members"
bin/skillswap seed >>"$SERVER_LOG" 2>&1 || die "bin/skillswap seed failed"

say "running the tests"
set +e
# shellcheck disable=SC2086 # E2E_TEST_ARGS is split on purpose
E2E_URL="$BASE_URL" E2E_SERVER_BIN="$ROOT/bin/skillswap" E2E_DATABASE_URL="$E2E_DATABASE_URL" \
	timeout 120 npm test --prefix e2e --silent -- ${E2E_TEST_ARGS:-}
test_rc=$?
set -e

# --- graceful shutdown --------------------------------------------------------------------------
say "stopping the server with SIGTERM (must exit 0 within 10 s)"
shutdown_rc=0
kill -TERM "$SERVER_PID"
start=$SECONDS
exited=0
for _ in $(seq 1 100); do
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		exited=1
		break
	fi
	sleep 0.1
done
if ((exited)); then
	set +e
	wait "$SERVER_PID"
	server_rc=$?
	set -e
	SERVER_PID=""
	if ((server_rc == 0)); then
		say "graceful shutdown: ok (exit 0 after $((SECONDS - start)) s)"
	else
		say "graceful shutdown: FAILED (exit code $server_rc)"
		shutdown_rc=1
	fi
else
	say "graceful shutdown: FAILED (still running 10 s after SIGTERM)"
	shutdown_rc=1
fi

if ((test_rc != 0)); then
	say "tests FAILED (npm test exit code $test_rc)"
	exit "$test_rc"
fi
if ((shutdown_rc != 0)); then
	exit 1
fi
STATUS=0
say "all green"
