package notifications_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

// smtpSink returns the Maildir the SMTP sink of `make test` writes to.
func smtpSink(t *testing.T) (addr, dir string) {
	addr, dir = os.Getenv("SMTP_ADDR"), os.Getenv("SMTP_SINK_DIR")
	if addr == "" || dir == "" {
		if os.Getenv("SKILLSWAP_REQUIRE_SERVICES") == "1" {
			t.Fatal("SMTP_ADDR and SMTP_SINK_DIR must be set (the SMTP sink service)")
		}
		t.Skip("SMTP sink service not configured (SMTP_ADDR, SMTP_SINK_DIR); run `make test`")
	}
	return addr, dir
}

// findMail waits for a message in the Maildir that contains needle.
func findMail(t *testing.T, dir string, needle []byte, within time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil && bytes.Contains(b, needle) {
				return b
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no email containing %q arrived in %s", needle, dir)
	return nil
}

func TestWelcomeEmailIsSentAfterSignUp(t *testing.T) {
	t.Parallel()
	addr, dir := smtpSink(t)
	cfg := apitest.Config(t)
	cfg.RunWorkers = true
	cfg.SMTPAddr = addr
	srv := apitest.Start(t, cfg)

	email := "welcome-" + time.Now().Format("150405.000000") + "@example.com"
	srv.SignUpAs(t, email, "Wendy Welcome")
	mail := findMail(t, dir, []byte(email), 15*time.Second)
	for _, want := range []string{"Subject: Welcome to SkillSwap", "Hello Wendy Welcome"} {
		if !bytes.Contains(mail, []byte(want)) {
			t.Errorf("email lacks %q:\n%s", want, mail)
		}
	}
}

func TestRefusedSignUpQueuesNoEmail(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t)) // workers off: jobs stay in the queue table
	srv.SignUpAs(t, "dup@example.com", "First")
	r := srv.Client().Do(t, `mutation { signUp(input: {email: "dup@example.com", password: "`+apitest.StrongPassword+`", displayName: "Second"}) { accessToken } }`, nil)
	if r.Code() != "CONFLICT" {
		t.Fatalf("duplicate sign-up: %s", r.Raw)
	}
	var n int
	if err := srv.App.Pool.QueryRow(t.Context(), `SELECT count(*) FROM river_job WHERE kind = 'welcome_email'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d welcome jobs queued, want 1 (the refused sign-up must roll its job back)", n)
	}
}
