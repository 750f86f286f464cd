package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"github.com/redis/go-redis/v9"
)

// dependencyRetryAfter is the retryAfterSeconds sent with SERVICE_UNAVAILABLE while PostgreSQL
// or Redis is unreachable: long enough for a restart or a failover to be noticed, short enough
// that a client retrying once does not wait long after it is over.
const dependencyRetryAfter = 5 * time.Second

// dependencyDown reports whether err means a service the operation needs (PostgreSQL, Redis,
// another network dependency) could not be reached or dropped the connection, rather than a
// bug: the client may retry the same operation later and it will work. It is the one place
// where such errors are recognised; the presenter turns them into SERVICE_UNAVAILABLE.
func dependencyDown(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true // dial, TLS or start-up failed: the server is down, starting or refusing
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "08": // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case pgErr.Code == "53300": // too many connections
			return true
		}
		return false // any other SQLSTATE is an answer from a working server
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// The operation's own deadline or its client, not the dependency: the presenter says
		// so separately. (pgconn.Timeout and SafeToRetry are true for these too, and SafeToRetry
		// also for "conn busy", a bug, which is why neither is used here.)
		return false
	}
	if errors.Is(err, puddle.ErrClosedPool) || errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) {
		return true // the pool is closing (shutdown) or Redis gave no connection in time
	}
	if errors.Is(err, pgconn.ErrConnClosed) {
		// A statement on a connection an earlier failure closed (a failover under a long
		// transaction): not a net.Error, and it was answered INTERNAL_SERVER_ERROR in the drill.
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true // refused, reset, unreachable, timed out: *net.OpError, DNS errors, url.Error
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true // pgx and go-redis report a connection the server closed under them as is
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// sqlQueryCanceled is PostgreSQL's SQLSTATE query_canceled: a statement stopped by
// statement_timeout (DB_STATEMENT_TIMEOUT), or by the cancel request pgx sends when the
// operation's context ends while a statement runs.
const sqlQueryCanceled = "57014"

func queryCanceled(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == sqlQueryCanceled
}

// clientGone reports whether err ended an operation because its client went away: the
// operation's context was cancelled (not past its deadline) and the error says so.
func clientGone(ctx context.Context, err error) bool {
	if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return false
	}
	return errors.Is(err, context.Canceled) || queryCanceled(err)
}

// timedOut reports whether err means the operation ran out of time rather than failed: a
// resolver reached a deadline (its own or the operation's, e.g. waiting for a pooled
// connection), PostgreSQL cancelled a statement (statement_timeout), or the operation's
// deadline had already passed when the error came (a connection attempt cut short by it). The
// presenter answers all of them as OPERATION_TIMEOUT, like an operation stopped as a whole.
func timedOut(ctx context.Context, err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || queryCanceled(err) ||
		errors.Is(ctx.Err(), context.DeadlineExceeded)
}
