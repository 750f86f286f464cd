package exports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

const (
	requestMut = `mutation { requestDataExport { dataExport { id state requestedAt readyAt expiresAt sizeBytes } } }`
	exportsQ   = `{ viewer { dataExports(first: 5) { id state requestedAt readyAt expiresAt sizeBytes } } }`
	openMut    = `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`
	sendMut    = `mutation($c: ID!, $k: String!, $b: String!) {
		sendMessage(input: {conversationId: $c, clientId: $k, body: $b}) { message { id } } }`
	reviewMut = `mutation($in: SubmitReviewInput!) { submitReview(input: $in) { review { id } } }`
)

type dataExport struct {
	ID, State   string
	RequestedAt time.Time
	ReadyAt     *time.Time
	ExpiresAt   *time.Time
	SizeBytes   *int
}

func listExports(t *testing.T, c *apitest.Client) []dataExport {
	t.Helper()
	var out struct {
		Viewer struct{ DataExports []dataExport }
	}
	apitest.Must(t, c.Do(t, exportsQ, nil)).Decode(t, &out)
	return out.Viewer.DataExports
}

func mark() string { return strings.ToLower(rand.Text()[:12]) }

func open(t *testing.T, c *apitest.Client, other string) string {
	t.Helper()
	var out struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, c.Do(t, openMut, map[string]any{"u": other})).Decode(t, &out)
	return out.OpenDirectConversation.Conversation.ID
}

func send(t *testing.T, c *apitest.Client, conv, body string) {
	t.Helper()
	apitest.Must(t, c.Do(t, sendMut, map[string]any{"c": conv, "k": uuid.NewString(), "b": body}))
}

func uid(t *testing.T, kind, gid string) uuid.UUID {
	t.Helper()
	id, err := relay.ParseID(kind, gid, "id")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// get fetches a link's path and query from the test server (links point at PUBLIC_URL).
func get(t *testing.T, srv *apitest.Server, link string) (int, []byte) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

var linkRE = regexp.MustCompile(`https?://\S+/exports/[0-9a-f-]{36}\?token=[A-Za-z0-9_%-]+`)

// TestDataExportEndToEnd: a member with messages, sessions, reviews, credits, payments, refunds,
// notifications and consents asks for an export; the job builds it, an email brings a signed
// link, the link downloads a zip holding each item, and no other member's private data; bad,
// tampered and expired links say nothing; one export a week; viewer.dataExports follows.
func TestDataExportEndToEnd(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	mb := apitest.WithMail(t, &cfg)
	cfg.StripeAPIBase = os.Getenv("STRIPE_API_BASE")
	if cfg.StripeAPIBase == "" {
		if testdb.RequireServices() {
			t.Fatal("STRIPE_API_BASE is not set (stripe-mock)")
		}
		t.Skip("STRIPE_API_BASE is not set (run `make test` to bring stripe-mock up)")
	}
	cfg.StripeSecretKey = "sk_test_123"
	cfg.SessionCacheTTL = 0 // Bob becomes a mentor mid-test
	api := skillsessiontest.StartAPI(t, cfg, app.Options{})
	srv := api.Srv
	alice, bob, carol := api.Member(t), api.Member(t), api.Member(t)
	aliceTok := map[string]string{}
	var who struct{ Viewer struct{ Email string } }
	for _, m := range []skillsessiontest.Member{alice, bob, carol} {
		apitest.Must(t, m.C.Do(t, `{ viewer { email } }`, nil)).Decode(t, &who)
		aliceTok[m.ID] = who.Viewer.Email
	}
	aliceEmail, bobEmail, carolEmail := aliceTok[alice.ID], aliceTok[bob.ID], aliceTok[carol.ID]

	// Messages: Alice's to Bob are hers; Bob's reply and Carol's to Bob are not.
	m := mark()
	conv := open(t, alice.C, bob.ID)
	for i := range 3 {
		send(t, alice.C, conv, fmt.Sprintf("alice-says-%s-%d", m, i))
	}
	send(t, bob.C, conv, "bob-replies-"+m)
	send(t, carol.C, open(t, carol.C, bob.ID), "carol-private-"+m)

	// A session Bob teaches Alice, completed (credits move) and reviewed both ways.
	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	s := api.Confirmed(t, bob, alice, start, 60)
	api.Clock.Set(start.Add(90 * time.Minute))
	api.MustAct(t, alice, "confirmSessionCompleted", s.ID, nil)
	api.MustAct(t, bob, "confirmSessionCompleted", s.ID, nil)
	review := func(c *apitest.Client, comment string) {
		apitest.Must(t, c.Do(t, reviewMut, map[string]any{"in": map[string]any{"sessionId": s.ID, "rating": 5, "comment": comment}}))
	}
	review(alice.C, "alice-review-"+m)
	review(bob.C, "bob-review-"+m)
	// Paid mentoring through stripe-mock: Bob mentors at a price, Alice books a paid session (a
	// PaymentIntent is created; its client secret must never be exported), and so does Carol
	// (not Alice's business). A refund of Alice's payment is inserted as the refund saga leaves it.
	srv.SetRoles(t, bob.ID, domain.RoleMentor)
	apitest.Must(t, bob.C.Do(t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { memberSkill { kind } } }`,
		map[string]any{"in": map[string]any{"skillId": api.Skill, "kind": "OFFER", "level": "EXPERT"}}))
	apitest.Must(t, bob.C.Do(t, `mutation($in: SetSkillPriceInput!) { setSkillPrice(input: $in) { memberSkill { kind } } }`,
		map[string]any{"in": map[string]any{"skillId": api.Skill, "hourlyPrice": map[string]any{"amountMinor": 3000, "currency": "EUR"}}}))
	ctx := context.Background()
	if _, err := srv.App.Pool.Exec(ctx, `INSERT INTO mentor_accounts (user_id, stripe_account_id, charges_enabled, payouts_enabled, details_submitted)
		VALUES ($1, 'acct_export_mentor', true, true, true)`, uid(t, relay.KindUser, bob.ID)); err != nil {
		t.Fatal(err)
	}
	payFor := func(learner skillsessiontest.Member, at time.Time) (session string, payment uuid.UUID, secret string) {
		t.Helper()
		vars := api.ProposeVars(bob, learner, at, 60)
		vars["in"].(map[string]any)["paid"] = true
		var out struct {
			ProposeSession struct{ Session struct{ ID string } }
		}
		apitest.Must(t, learner.C.Do(t, `mutation($in: ProposeSessionInput!) { proposeSession(input: $in) { session { id } } }`, vars)).Decode(t, &out)
		session = out.ProposeSession.Session.ID
		if err := srv.App.Pool.QueryRow(ctx, `SELECT id, client_secret FROM payments WHERE session_id = $1`,
			uid(t, relay.KindSkillSession, session)).Scan(&payment, &secret); err != nil || secret == "" {
			t.Fatalf("paid session's payment: %q, %v", secret, err)
		}
		return session, payment, secret
	}
	paidSession, alicePayment, aliceSecret := payFor(alice, start.Add(96*time.Hour))
	_, _, carolSecret := payFor(carol, start.Add(120*time.Hour))
	refundID := uuid.New()
	if _, err := srv.App.Pool.Exec(ctx, `INSERT INTO refunds (id, payment_id, amount_minor, reason) VALUES ($1, $2, 500, 'partial')`,
		refundID, alicePayment); err != nil {
		t.Fatal(err)
	}

	// Ask: PENDING, then READY with an email.
	var req struct {
		RequestDataExport struct{ DataExport dataExport }
	}
	apitest.Must(t, alice.C.Do(t, `mutation { setQuietHours(input: {start: "22:30", end: "06:15", enabled: true}) { quietHours { id } } }`, nil))
	apitest.Must(t, alice.C.Do(t, `mutation { setDigestSchedule(input: {frequency: WEEKLY, weekday: MONDAY, time: "07:45"}) { digestSchedule { id } } }`, nil))
	apitest.Must(t, alice.C.Do(t, requestMut, nil)).Decode(t, &req)
	if e := req.RequestDataExport.DataExport; e.State != "PENDING" || e.ReadyAt != nil || e.SizeBytes != nil {
		t.Fatalf("requested export = %+v", e)
	}
	waitReady(t, srv, uid(t, relay.KindDataExport, req.RequestDataExport.DataExport.ID))
	mail := mb.Next(t, aliceEmail, "data export")
	link := linkRE.FindString(mail.Text)
	if link == "" || !strings.HasPrefix(link, cfg.PublicURL) || !strings.Contains(mail.HTML, "Download my data") {
		t.Fatalf("no link to PUBLIC_URL in the email: %q", mail.Text)
	}
	list := listExports(t, alice.C)
	if len(list) != 1 || list[0].State != "READY" || list[0].ID != req.RequestDataExport.DataExport.ID ||
		list[0].SizeBytes == nil || *list[0].SizeBytes == 0 || list[0].ExpiresAt == nil ||
		!list[0].ExpiresAt.Equal(list[0].ReadyAt.Add(72*time.Hour)) {
		t.Fatalf("dataExports = %+v", list)
	}

	// Download (no sign-in) and read the archive.
	status, body := get(t, srv, link)
	if status != http.StatusOK || len(body) != *list[0].SizeBytes {
		t.Fatalf("download: HTTP %d, %d bytes", status, len(body))
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	var all strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.HasSuffix(f.Name, ".json") {
			var rows []map[string]any
			if err := json.Unmarshal(b, &rows); err != nil {
				t.Fatalf("%s is not a JSON array: %v", f.Name, err)
			}
		}
		files[f.Name] = string(b)
		all.Write(b)
	}
	has := func(file string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(files[file], w) {
				t.Errorf("%s lacks %q:\n%.2000s", file, w, files[file])
			}
		}
	}
	sid := uid(t, relay.KindSkillSession, s.ID).String()
	has("account.json", aliceEmail, `"has_password": true`)
	has("messages_sent.json", "alice-says-"+m+"-0", "alice-says-"+m+"-1", "alice-says-"+m+"-2")
	has("conversations.json", uid(t, relay.KindConversation, conv).String(), uid(t, relay.KindUser, bob.ID).String())
	has("skill_sessions.json", sid, uid(t, relay.KindSkillSession, paidSession).String())
	has("reviews_written.json", "alice-review-"+m)
	has("reviews_received.json", "bob-review-"+m)
	has("credits.json", `"SESSION_PAYMENT"`, `"STARTER_GRANT"`, sid)
	has("payments.json", alicePayment.String(), `"PAYER"`)
	has("refunds.json", refundID.String())
	has("notifications.json", `"type"`)
	has("notification_quiet_hours.json", `"start": "22:30"`, `"end": "06:15"`, `"enabled": true`)
	has("notification_digest_schedule.json", `"frequency": "WEEKLY"`, `"weekday": 1`, `"time": "07:45"`)
	has("consents.json", `"TERMS"`, `"PRIVACY_POLICY"`, `"SIGN_UP"`)
	has("sign_in_sessions.json", `"user_agent"`)
	for _, f := range store.ExportFiles {
		if _, ok := files[f.Name]; !ok {
			t.Errorf("the archive lacks %s", f.Name)
		}
	}
	has("data_exports.json", uid(t, relay.KindDataExport, req.RequestDataExport.DataExport.ID).String())
	has("README.txt", "JSON")
	for _, secret := range []string{"bob-replies-" + m, "carol-private-" + m, bobEmail, carolEmail, aliceSecret, carolSecret, "$argon2", "token_hash", "code_hash", "client_secret", "password_hash"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("the archive holds %q", secret)
		}
	}

	// Once a week.
	r := alice.C.Do(t, requestMut, nil)
	if r.Code() != "RATE_LIMITED" || r.Errors[0].Extensions["retryAfterSeconds"] == nil || r.Errors[0].Extensions["retryAt"] == nil {
		t.Fatalf("second export within a week: %s", r.Raw)
	}

	// Bad links: 404 and nothing more.
	u, _ := url.Parse(link)
	tok := u.Query().Get("token")
	flipped := []byte(tok)
	flipped[len(flipped)-3] ^= 0x01
	if flipped[len(flipped)-3] == '_' || flipped[len(flipped)-3] == '-' {
		flipped[len(flipped)-3] = 'A'
	}
	for name, l := range map[string]string{
		"tampered token":  strings.Replace(link, tok, string(flipped), 1),
		"no token":        strings.Split(link, "?")[0],
		"another export":  strings.Replace(link, u.Path, "/exports/"+uuid.NewString(), 1),
		"garbage token":   strings.Split(link, "?")[0] + "?token=xyz",
		"not an id":       strings.Replace(link, u.Path, "/exports/nope", 1),
		"truncated token": strings.Replace(link, tok, tok[:len(tok)-4], 1),
	} {
		status, body := get(t, srv, l)
		if status != http.StatusNotFound || bytes.Contains(body, []byte("export")) && len(body) > 40 {
			t.Errorf("%s: HTTP %d %q", name, status, body)
		}
	}

	// After the link's lifetime: 403, and the periodic job deletes the archive.
	api.Clock.Advance(73 * time.Hour)
	if status, _ := get(t, srv, link); status != http.StatusForbidden {
		t.Fatalf("expired link: HTTP %d", status)
	}
	if l := listExports(t, alice.C); l[0].State != "EXPIRED" {
		t.Fatalf("after expiry: %+v", l[0])
	}
	// The hourly job runs once whenever a server of this package becomes River's leader (RunOnStart),
	// so on a busy machine it may delete the archive first, with this test's advanced clock:
	// Expire then finds nothing left (0). Either way the archive must be gone.
	if n, err := srv.App.Exports.Expire(ctx); err != nil || n > 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	var archived bool
	if err := srv.App.Pool.QueryRow(ctx, `SELECT archive IS NOT NULL FROM data_exports WHERE user_id = $1`,
		uid(t, relay.KindUser, alice.ID)).Scan(&archived); err != nil || archived {
		t.Fatalf("archive kept after expiry (%v)", err)
	}
	// A week after the first request, a new one is accepted.
	api.Clock.Advance(7 * 24 * time.Hour)
	apitest.Must(t, alice.C.Do(t, requestMut, nil))

	// Only the member reads their exports.
	r = bob.C.Do(t, `query($id: ID!) { node(id: $id) { ... on User { dataExports { id } } } }`, map[string]any{"id": alice.ID})
	if r.Code() != "FORBIDDEN" {
		t.Fatalf("another member's exports: %s", r.Raw)
	}
}

// waitReady waits (generously: a loaded CI machine) for the build job to finish the export, and
// shows the job's errors when it does not.
func waitReady(t *testing.T, srv *apitest.Server, id uuid.UUID) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var state string
		if err := srv.App.Pool.QueryRow(context.Background(), `SELECT state FROM data_exports WHERE id = $1`, id).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state == "READY" {
			return
		}
		if state == "FAILED" || time.Now().After(deadline) {
			var errs string
			_ = srv.App.Pool.QueryRow(context.Background(),
				`SELECT coalesce(string_agg(kind || ' ' || state || ' ' || errors::text, E'\n'), '') FROM river_job WHERE kind LIKE 'data_export%'`).Scan(&errs)
			t.Fatalf("export %s is %s; jobs:\n%s", id, state, errs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDataExportNeedsRecentSignIn: an old sign-in must reauthenticate first; a FAILED export
// does not count against the weekly limit.
func TestDataExportNeedsRecentSignIn(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, c := srv.SignUp(t)
	if _, err := srv.App.Pool.Exec(context.Background(), `UPDATE auth_sessions SET authenticated_at = authenticated_at - interval '1 hour'
		WHERE id = $1`, uid(t, relay.KindAuthSession, tok.Session.ID)); err != nil {
		t.Fatal(err)
	}
	r := c.Do(t, requestMut, nil)
	if r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "RECENT_AUTH_REQUIRED" {
		t.Fatalf("export with an old sign-in: %s", r.Raw)
	}
	apitest.Must(t, c.Do(t, `mutation($in: ReauthenticateInput!) { reauthenticate(input: $in) { recentAuthUntil } }`,
		map[string]any{"in": map[string]any{"password": apitest.StrongPassword}}))
	apitest.Must(t, c.Do(t, requestMut, nil))
	l := listExports(t, c)
	if len(l) != 1 || l[0].State != "PENDING" {
		t.Fatalf("dataExports = %+v", l) // no workers here: it stays PENDING
	}
	if r := c.Do(t, requestMut, nil); r.Code() != "RATE_LIMITED" {
		t.Fatalf("second request while one is pending: %s", r.Raw)
	}
	// A build that gave up (what the job does on its last attempt) does not count: ask again.
	if err := srv.App.Exports.Fail(context.Background(), uid(t, relay.KindDataExport, l[0].ID)); err != nil {
		t.Fatal(err)
	}
	apitest.Must(t, c.Do(t, requestMut, nil))
	if l := listExports(t, c); len(l) != 2 || l[0].State != "PENDING" || l[1].State != "FAILED" {
		t.Fatalf("after a failed export, dataExports = %+v", l)
	}
}
