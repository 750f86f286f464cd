package notifications_test

import (
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestWelcomeEmailIsSentAfterSignUp: sign-up queues the welcome email, which arrives through the
// real SMTP sink with a plain-text part and an HTML part, without a settings line or an
// unsubscribe link (it is sent once). The verification email goes to the same address: the
// mailbox waits for the welcome one by its subject, not for the first to arrive.
func TestWelcomeEmailIsSentAfterSignUp(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	srv := apitest.Start(t, cfg)

	email := "welcome-" + time.Now().Format("150405.000000") + "@example.com"
	srv.SignUpAs(t, email, "Wendy Welcome")
	m := box.Next(t, email, "Welcome to SkillSwap")
	if !strings.HasPrefix(m.ContentType, "multipart/alternative") {
		t.Errorf("content type %q, want multipart/alternative", m.ContentType)
	}
	for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
		if !strings.Contains(body, "Hello Wendy Welcome") {
			t.Errorf("%s part lacks the greeting:\n%s", part, body)
		}
		if strings.Contains(body, "notification settings") || strings.Contains(body, "unsubscribe") {
			t.Errorf("%s part has a settings or unsubscribe line:\n%s", part, body)
		}
	}
	if !strings.Contains(m.HTML, "<p>Hello Wendy Welcome,</p>") {
		t.Errorf("html part is not the HTML layout:\n%s", m.HTML)
	}
	if m.Header.Get("List-Unsubscribe") != "" {
		t.Errorf("welcome email has List-Unsubscribe %q", m.Header.Get("List-Unsubscribe"))
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
