package notifications_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/store"
)

// Notification emails end to end, through the real SMTP sink of the test stack: the member's
// language, an HTML part with a text alternative, RFC 8058 one-click unsubscribe without a
// session, and suppression of an address a relay refuses for good.

// notify raises a notification of typ for the member, as the capabilities do, in a transaction.
func notify(t *testing.T, srv *apitest.Server, userID uuid.UUID, typ domain.NotificationType) {
	t.Helper()
	err := srv.App.Store.InTx(t.Context(), func(q *store.Queries) error {
		_, err := srv.App.Notifications.Notify(t.Context(), q, userID, typ, nil)
		return err
	})
	if err != nil {
		t.Fatalf("notify %s: %v", typ, err)
	}
}

// member signs up a member with a unique address in locale and returns their id and client.
func member(t *testing.T, srv *apitest.Server, name, locale string) (uuid.UUID, string, *apitest.Client) {
	t.Helper()
	email := fmt.Sprintf("%s-%s@example.com", strings.ToLower(name), uuid.NewString())
	_, c := srv.SignUpAs(t, email, name)
	var id uuid.UUID
	if err := srv.App.Pool.QueryRow(t.Context(), `UPDATE users SET locale = $2 WHERE email = $1 RETURNING id`, email, locale).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id, email, c
}

// emailPreference is the member's email choice for typ, as the API reports it.
func emailPreference(t *testing.T, c *apitest.Client, typ domain.NotificationType) (email, inApp bool) {
	t.Helper()
	var out struct {
		NotificationPreferences []struct {
			Type         string
			Email, InApp bool
		}
	}
	apitest.Must(t, c.Do(t, `{ notificationPreferences { type email inApp } }`, nil)).Decode(t, &out)
	for _, p := range out.NotificationPreferences {
		if p.Type == string(typ) {
			return p.Email, p.InApp
		}
	}
	t.Fatalf("no preference for %s", typ)
	return false, false
}

// unsubscribeRequest is a request to the server for the link's path and query (the link names
// PUBLIC_URL, not the test server).
func unsubscribeRequest(t *testing.T, srv *apitest.Server, method, link string, body io.Reader) *http.Response {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+u.RequestURI(), body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	// No redirect is followed: the answer itself must be the 200 RFC 8058 asks for.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNotificationEmailsAreLocalisedWithOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	srv := apitest.Start(t, cfg)
	fr, frEmail, frClient := member(t, srv, "Zoe", domain.LocaleFR)
	en, enEmail, _ := member(t, srv, "Ann", domain.LocaleEN)

	notify(t, srv, fr, domain.NotificationSessionConfirmed)
	notify(t, srv, en, domain.NotificationSessionConfirmed)
	frMail := box.Next(t, frEmail, "Votre session est confirmée")
	enMail := box.Next(t, enEmail, "Your session is confirmed")

	for _, tc := range []struct {
		name           string
		m              apitest.Email
		lang, greeting string
	}{
		{"fr", frMail, "fr", "Bonjour Zoe,"},
		{"en", enMail, "en", "Hello Ann,"},
	} {
		m := tc.m
		if m.ContentType != "multipart/alternative" || m.Text == "" || m.HTML == "" {
			t.Errorf("%s: %s with text %q and html %q, want both parts", tc.name, m.ContentType, m.Text, m.HTML)
		}
		if m.Language != tc.lang || !strings.Contains(m.Text, tc.greeting) || !strings.Contains(m.HTML, tc.greeting) {
			t.Errorf("%s: language %q, text:\n%s\nhtml:\n%s", tc.name, m.Language, m.Text, m.HTML)
		}
		lu := m.Header.Get("List-Unsubscribe")
		if !strings.HasPrefix(lu, "<"+cfg.PublicURL+"/unsubscribe?t=") || !strings.HasSuffix(lu, ">") ||
			m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("%s: List-Unsubscribe %q, List-Unsubscribe-Post %q", tc.name, lu, m.Header.Get("List-Unsubscribe-Post"))
		}
		// The same link is in the body, for mail clients that do not show the header's.
		if link := strings.Trim(lu, "<>"); !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, strings.ReplaceAll(link, "&", "&amp;")) {
			t.Errorf("%s: the body lacks the unsubscribe link %s", tc.name, link)
		}
	}
	link := strings.Trim(frMail.Header.Get("List-Unsubscribe"), "<>")
	if email, _ := emailPreference(t, frClient, domain.NotificationSessionConfirmed); !email {
		t.Fatal("fixture: SESSION_CONFIRMED is emailed by default")
	}

	// GET shows a page with a button that posts, and changes nothing (mail scanners open links).
	resp := unsubscribeRequest(t, srv, http.MethodGet, link, nil)
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `method="post"`) || !strings.Contains(page, "Ne plus recevoir ces e-mails") {
		t.Fatalf("GET: %d\n%s", resp.StatusCode, page)
	}
	if email, _ := emailPreference(t, frClient, domain.NotificationSessionConfirmed); !email {
		t.Fatal("a GET of the link turned the email off")
	}

	// A tampered token is refused and changes nothing.
	u, _ := url.Parse(link)
	tok := u.Query().Get("t")
	tampered := []byte(tok)
	// A character of the signature, which every bit of counts.
	if i := len(tampered) - 5; tampered[i] == 'x' {
		tampered[i] = 'y'
	} else {
		tampered[i] = 'x'
	}
	bad := cfg.PublicURL + "/unsubscribe?t=" + string(tampered)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		resp := unsubscribeRequest(t, srv, method, bad, strings.NewReader("List-Unsubscribe=One-Click"))
		if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Ce lien ne fonctionne pas") {
			t.Errorf("%s tampered: %d\n%s", method, resp.StatusCode, body)
		}
	}
	if email, _ := emailPreference(t, frClient, domain.NotificationSessionConfirmed); !email {
		t.Fatal("a tampered token turned the email off")
	}

	// The one-click POST, as a mail provider sends it: no session, no cookie, the token in the
	// URI, the body List-Unsubscribe=One-Click. 200, no redirect; only that type's email is off.
	resp = unsubscribeRequest(t, srv, http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click"))
	if body := readBody(t, resp); resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
		t.Fatalf("one-click POST: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	email, inApp := emailPreference(t, frClient, domain.NotificationSessionConfirmed)
	if email || !inApp {
		t.Fatalf("after unsubscribing: email %v inApp %v, want false true", email, inApp)
	}
	if email, _ := emailPreference(t, frClient, domain.NotificationSessionCancelled); !email {
		t.Fatal("unsubscribing from one type turned another off")
	}
	// Posting again is harmless.
	if resp := unsubscribeRequest(t, srv, http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click")); resp.StatusCode != http.StatusOK {
		t.Fatalf("second POST: %d", resp.StatusCode)
	}

	// The other encoding RFC 8058 allows, multipart/form-data, on the English member's link.
	notify(t, srv, en, domain.NotificationSessionCancelled)
	enLink := strings.Trim(box.Next(t, enEmail, "A session was cancelled").Header.Get("List-Unsubscribe"), "<>")
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	if err := mw.WriteField("List-Unsubscribe", "One-Click"); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	eu, _ := url.Parse(enLink)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+eu.RequestURI(), &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	mresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	mresp.Body.Close()
	var enEmailOn bool
	if err := srv.App.Pool.QueryRow(t.Context(), `SELECT email FROM notification_preferences WHERE user_id = $1 AND type = $2`,
		en, domain.NotificationSessionCancelled).Scan(&enEmailOn); mresp.StatusCode != http.StatusOK || err != nil || enEmailOn {
		t.Fatalf("multipart POST: %d, email %v (%v)", mresp.StatusCode, enEmailOn, err)
	}

	// Critical types carry no unsubscribe header: they are emailed whatever the member chose.
	notify(t, srv, en, domain.NotificationPaymentFailed)
	critical := box.Next(t, enEmail, "A session payment was declined")
	if critical.Header.Get("List-Unsubscribe") != "" || critical.Header.Get("List-Unsubscribe-Post") != "" {
		t.Errorf("a critical email carries %q", critical.Header.Get("List-Unsubscribe"))
	}
}

// fakeRelay is a tiny SMTP server standing in for a remote mail server: a real SMTP conversation
// over TCP, since the test stack's sink accepts everything. It answers RCPT TO with 550 5.1.1 (no
// such mailbox) for addresses that contain "refuse-me" and accepts the others (their messages are
// read and dropped), counting both.
type fakeRelay struct {
	ln                 net.Listener
	mu                 sync.Mutex
	refused, delivered int
}

func startFakeRelay(t *testing.T) *fakeRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeRelay{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *fakeRelay) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	say("220 relay.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			say("250-relay.test")
			say("250 ENHANCEDSTATUSCODES")
		case strings.HasPrefix(cmd, "HELO"), strings.HasPrefix(cmd, "MAIL FROM"), strings.HasPrefix(cmd, "NOOP"), strings.HasPrefix(cmd, "RSET"):
			say("250 2.0.0 OK")
		case strings.HasPrefix(cmd, "RCPT TO") && strings.Contains(cmd, "REFUSE-ME"):
			s.count(&s.refused)
			say("550 5.1.1 No such user here")
		case strings.HasPrefix(cmd, "RCPT TO"):
			say("250 2.1.5 OK")
		case cmd == "DATA":
			say("354 End data with <CR><LF>.<CR><LF>")
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			s.count(&s.delivered)
			say("250 2.0.0 Queued")
		case strings.HasPrefix(cmd, "QUIT"):
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Command not implemented")
		}
	}
}

func (s *fakeRelay) count(n *int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*n++
}

// counts returns how many recipients were refused and how many messages delivered.
func (s *fakeRelay) counts() (refused, delivered int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused, s.delivered
}

type emailStatus struct {
	NotificationEmailStatus struct {
		Suspended   bool
		SuspendedAt *time.Time
		SMTPCode    *int `json:"smtpCode"`
	}
}

func statusOf(t *testing.T, c *apitest.Client) emailStatus {
	t.Helper()
	var out emailStatus
	apitest.Must(t, c.Do(t, `{ notificationEmailStatus { suspended suspendedAt smtpCode } }`, nil)).Decode(t, &out)
	return out
}

// waitJobs waits until no email job of the member (welcome or notification) is left to run.
func waitJobs(t *testing.T, srv *apitest.Server, userID uuid.UUID) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		err := srv.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job
			WHERE kind IN ('notification_email', 'welcome_email') AND args->>'user_id' = $1 AND state NOT IN ('completed', 'cancelled', 'discarded')`,
			userID.String()).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d email jobs still pending", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAnAddressRefusedForGoodIsSuppressedUntilItChanges(t *testing.T) {
	t.Parallel()
	relay := startFakeRelay(t)
	cfg := apitest.Config(t)
	cfg.RunWorkers = true
	cfg.SMTPAddr = relay.ln.Addr().String()
	srv := apitest.Start(t, cfg)
	id, _, c := member(t, srv, "Gone", domain.LocaleEN)
	// The address goes bad after sign-up (so the welcome email, another worker, is delivered).
	waitJobs(t, srv, id)
	if _, err := srv.App.Pool.Exec(t.Context(), `UPDATE users SET email = $2 WHERE id = $1`,
		id, "refuse-me-"+uuid.NewString()+"@example.com"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, c); st.NotificationEmailStatus.Suspended || st.NotificationEmailStatus.SMTPCode != nil {
		t.Fatalf("fixture: suspended before any email: %+v", st)
	}

	notify(t, srv, id, domain.NotificationSessionConfirmed)
	waitJobs(t, srv, id)
	refused, _ := relay.counts()
	if refused != 1 {
		t.Fatalf("the relay refused %d recipients, want 1", refused)
	}
	st := statusOf(t, c).NotificationEmailStatus
	if !st.Suspended || st.SuspendedAt == nil || st.SMTPCode == nil || *st.SMTPCode != 550 {
		t.Fatalf("after a 550: %+v", st)
	}
	// The job ended at the permanent failure: one attempt, completed, not retried.
	var attempts int
	var state string
	if err := srv.App.Pool.QueryRow(t.Context(), `SELECT attempt, state FROM river_job
		WHERE kind = 'notification_email' AND args->>'user_id' = $1`, id.String()).Scan(&attempts, &state); err != nil ||
		attempts != 1 || state != "completed" {
		t.Fatalf("job: attempt %d, %s (%v); want 1, completed", attempts, state, err)
	}

	// Later notifications, critical ones included, are not emailed to the address.
	notify(t, srv, id, domain.NotificationSessionCancelled)
	notify(t, srv, id, domain.NotificationPaymentFailed)
	waitJobs(t, srv, id)
	if again, _ := relay.counts(); again != refused {
		t.Fatalf("%d more RCPT TO to a suppressed address", again-refused)
	}

	// Changing the address (as the email change flow does) lifts the suppression.
	if err := srv.App.Store.Q().SetUserEmail(t.Context(), id, "gone-new-"+uuid.NewString()+"@example.com", time.Now()); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, c); st.NotificationEmailStatus.Suspended {
		t.Fatalf("still suspended after the address changed: %+v", st)
	}
	var rows int
	if err := srv.App.Pool.QueryRow(t.Context(), `SELECT count(*) FROM email_suppressions WHERE user_id = $1`, id).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d suppression rows (%v) after the change", rows, err)
	}
	_, before := relay.counts()
	notify(t, srv, id, domain.NotificationSessionCancelled)
	waitJobs(t, srv, id)
	if _, after := relay.counts(); after != before+1 {
		t.Fatalf("the new address got %d emails, want 1", after-before)
	}
}
