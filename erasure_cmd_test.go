package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/relay"
)

// TestErasureCommand runs `skillswap erasure export` and, after a simulated restore (the account
// back, the ledger empty), `skillswap erasure replay FILE`.
func TestErasureCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := apitest.Config(t)
	srv := apitest.Start(t, cfg)
	tok, _ := srv.SignUp(t)
	uid, err := relay.ParseID(relay.KindUser, tok.User.ID, "id")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.App.Erasure.Erase(ctx, uid); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	if err := erasureCmd(ctx, cfg, log, []string{"replay", "a", "b"}, io.Discard); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("bad arguments: %v", err)
	}
	var ledger bytes.Buffer
	if err := erasureCmd(ctx, cfg, log, []string{"export"}, &ledger); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ledger.String(), uid.String()+" ") {
		t.Fatalf("exported ledger: %q", ledger.String())
	}
	file := filepath.Join(t.TempDir(), "erasures.txt")
	if err := os.WriteFile(file, ledger.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	pool := srv.App.Pool
	if _, err := pool.Exec(ctx, `UPDATE users SET email = $2, display_name = 'Back From Backup', status = 'ACTIVE', erased_at = NULL
		WHERE id = $1`, uid, tok.User.Email); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM erasures`); err != nil {
		t.Fatal(err)
	}
	if err := erasureCmd(ctx, cfg, log, []string{"replay", file}, io.Discard); err != nil {
		t.Fatal(err)
	}
	var status, name string
	var ledgered bool
	if err := pool.QueryRow(ctx, `SELECT status, display_name, EXISTS (SELECT FROM erasures WHERE user_id = $1) FROM users WHERE id = $1`, uid).
		Scan(&status, &name, &ledgered); err != nil {
		t.Fatal(err)
	}
	if status != "ERASED" || name != "Deleted member" || !ledgered {
		t.Fatalf("after replay: status %s, name %q, in ledger %v", status, name, ledgered)
	}
}
