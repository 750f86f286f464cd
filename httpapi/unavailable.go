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
