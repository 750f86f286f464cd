// Package testdb gives tests fresh, migrated PostgreSQL databases cloned from a template, so
// every test package (or test) starts from a clean schema in milliseconds.
package testdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/skillswap/skillswap/migrations"
	"github.com/skillswap/skillswap/store"
)

// RequireServices reports whether tests must fail instead of skipping when a service (database,
// Redis, SMTP sink) is missing; `make test` sets SKILLSWAP_REQUIRE_SERVICES=1.
func RequireServices() bool { return os.Getenv("SKILLSWAP_REQUIRE_SERVICES") == "1" }

// requireService fails the test under `make test`, and skips it in a bare `go test` without the
// local stack.
func requireService(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireServices() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (run `make test` to bring the services up)", args...)
}

// AdminURL returns the URL of the server's maintenance database (TEST_DATABASE_URL, else
// DATABASE_URL), or fails/skips the test when none is set.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		u = os.Getenv("DATABASE_URL")
	}
	if u == "" {
		requireService(t, "TEST_DATABASE_URL or DATABASE_URL is not set")
	}
	return u
}

// lockKey serialises template creation across concurrently running test binaries.
const lockKey = 7_310_457_999

// New returns the URL of a fresh database cloned from the migrated template; it is dropped when
// the test ends.
func New(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		requireService(t, "connect to PostgreSQL at %s: %v", redact(admin), err)
	}
	defer conn.Close(ctx)

	tmpl, err := templateName()
	if err != nil {
		t.Fatal(err)
	}
	name := "test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20]
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		t.Fatalf("testdb lock: %v", err)
	}
	err = func() error {
		defer func() { _, _ = conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey) }()
		if err := ensureTemplate(ctx, conn, admin, tmpl); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmpl}.Sanitize())
		return err
	}()
	if err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	return withDatabase(admin, name)
}

// templateName depends on the migrations' content, so a changed migration gets a new template.
func templateName() (string, error) {
	h := sha256.New()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return "", fmt.Errorf("river migrator: %w", err)
	}
	all := m.AllVersions()
	fmt.Fprintf(h, "river:%d", all[len(all)-1].Version)
	return "tmpl_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

func ensureTemplate(ctx context.Context, conn *pgx.Conn, admin, tmpl string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", tmpl).Scan(&exists); err != nil {
		return fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return nil
	}
	// A half-built template from an interrupted run is rebuilt.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{tmpl}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop stale template: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42P04" {
			return fmt.Errorf("create template: %w", err)
		}
	}
	pool, err := pgxpool.New(ctx, withDatabase(admin, tmpl))
	if err != nil {
		return fmt.Errorf("connect template: %w", err)
	}
	_, err = store.Migrate(ctx, pool, slog.New(slog.DiscardHandler))
	pool.Close()
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{tmpl}.Sanitize()+" WITH IS_TEMPLATE true"); err != nil {
		return fmt.Errorf("mark template: %w", err)
	}
	return nil
}

func withDatabase(rawURL, db string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(fmt.Sprintf("testdb: bad database url: %v", err))
	}
	u.Path = "/" + db
	return u.String()
}

func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

// Replica returns the URL of the database of dbURL (a database New made on the primary) on the
// stack's streaming replica (TEST_DATABASE_REPLICA_URL, else DATABASE_REPLICA_URL: its database
// name is replaced), once the replica has replayed everything the primary had at the call — the
// database's creation included. It fails under `make test` and skips a bare `go test` without
// a replica.
func Replica(t testing.TB, dbURL string) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_REPLICA_URL")
	if base == "" {
		base = os.Getenv("DATABASE_REPLICA_URL")
	}
	if base == "" {
		requireService(t, "TEST_DATABASE_REPLICA_URL or DATABASE_REPLICA_URL is not set (scripts/stack.sh up replica)")
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("testdb: bad database url: %v", err)
	}
	replicaURL := withDatabase(base, strings.TrimPrefix(u.Path, "/"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var target string
	if err := pgxQueryRow(ctx, dbURL, `SELECT pg_current_wal_insert_lsn()::text`, &target); err != nil {
		t.Fatalf("testdb: read the primary's wal position: %v", err)
	}
	WaitReplay(t, replicaURL, target)
	return replicaURL
}

// WaitReplay waits (up to two minutes) until the standby at replicaURL has replayed the WAL
// position lsn (text form), failing the test otherwise.
func WaitReplay(t testing.TB, replicaURL, lsn string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var ok bool
		err := pgxQueryRow(ctx, replicaURL,
			`SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= $1::text::pg_lsn`, &ok, lsn)
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			requireService(t, "the replica at %s has not replayed %s within 2 minutes (ok=%v, err=%v)", redact(replicaURL), lsn, ok, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pgxQueryRow runs one query on a connection of its own.
func pgxQueryRow(ctx context.Context, dbURL, sql string, dest any, args ...any) error {
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	return c.QueryRow(ctx, sql, args...).Scan(dest)
}
