package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/skillswap/skillswap/internal/testdb"
)

// TestDependencyDown: errors that mean PostgreSQL or Redis could not be reached (retry later:
// SERVICE_UNAVAILABLE) are told from answers of a working server, deadlines and bugs.
func TestDependencyDown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"connection refused", fmt.Errorf("query: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"server closed the connection", fmt.Errorf("scan: %w", io.ErrUnexpectedEOF), true},
		{"statement on a closed connection", fmt.Errorf("load users: %w", pgconn.ErrConnClosed), true},
		{"connection exception", &pgconn.PgError{Code: "08006"}, true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, false},
		{"deadline", fmt.Errorf("acquire: %w", context.DeadlineExceeded), false},
		{"client gone", context.Canceled, false},
		{"a bug", errors.New("conn busy"), false},
	} {
		if got := dependencyDown(tc.err); got != tc.want {
			t.Errorf("%s (%v): dependencyDown = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestDependencyDownOnAClosedConnection: what pgx really returns for a statement on a
// connection that is already closed counts as the dependency being down.
func TestDependencyDownOnAClosedConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testdb.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "SELECT 1")
	if err == nil || !dependencyDown(fmt.Errorf("query: %w", err)) {
		t.Fatalf("a statement on a closed connection: %v, dependencyDown false", err)
	}
}
