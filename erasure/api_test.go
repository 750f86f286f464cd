package erasure_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/privacy"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

const (
	deleteMutation = `mutation($in: DeleteAccountInput) { deleteAccount(input: $in) { deletionScheduledAt } }`
	cancelMutation = `mutation { cancelAccountDeletion { cancelled } }`
	viewerDeletion = `{ viewer { id deletionScheduledAt } }`
	logInMutation  = `mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { accessToken refreshToken } }`
)

// env is a server whose erasure clock the test moves (sessions and reviews have their own).
type env struct {
	api   *skillsessiontest.API
	srv   *apitest.Server
	clock *skillsessiontest.Clock
}

func start(t *testing.T, workers bool, edit func(*config.Config)) env {
	t.Helper()
	cfg := apitest.Config(t)
	cfg.RunWorkers = workers
	if edit != nil {
		edit(&cfg)
	}
	clock := skillsessiontest.NewClock(time.Now().UTC())
	api := skillsessiontest.StartAPI(t, cfg, app.Options{ErasureNow: clock.Now})
	return env{api: api, srv: api.Srv, clock: clock}
}

func withStripe(t *testing.T) func(*config.Config) {
	base := os.Getenv("STRIPE_API_BASE")
	if base == "" {
		if testdb.RequireServices() {
			t.Fatal("STRIPE_API_BASE is not set (stripe-mock)")
		}
		t.Skip("STRIPE_API_BASE is not set (run `make test` to bring stripe-mock up)")
	}
	return func(c *config.Config) { c.StripeAPIBase, c.StripeSecretKey = base, "sk_test_123" }
}

func userID(t testing.TB, gid string) uuid.UUID {
	t.Helper()
	id, err := relay.ParseID(relay.KindUser, gid, "id")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func exec(t testing.TB, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func random32() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// member is the one to erase, with the strings that identify them.
type member struct {
	skillsessiontest.Member
	uid      uuid.UUID
	email    string
	password string
	mark     string
	tokens   apitest.Tokens
	// conversation is the global id of their conversation with the partner.
	conversation string
}

func (m member) needles() []string {
	return []string{m.email, m.Name, m.mark}
}

// richMember signs up a member and gives them every kind of data that exists: profile (with
// coordinates), skills, availability, a block, messages and an attachment, two login sessions, a
// completed session with reviews written and received and a review report, a pending in-person
// session, time credits, a payout account at Stripe (stripe-mock), a payment, notifications, a
// provider identity, TOTP and recovery codes, an MFA ticket, a passkey, account tokens, a
// calendar feed, a device registered for push.
func richMember(t *testing.T, e env) (member, skillsessiontest.Member) {
	t.Helper()
	ctx := context.Background()
	mark := "zq" + hex.EncodeToString(random32()[:5])
	m := member{email: "erasable." + mark + "@example.org", password: apitest.StrongPassword, mark: mark}
	tok, c := e.srv.SignUpAs(t, m.email, "Zelie "+mark)
	m.Member = skillsessiontest.Member{ID: tok.User.ID, Name: "Zelie " + mark, C: c}
	m.uid, m.tokens = userID(t, tok.User.ID), tok
	e.srv.SetRoles(t, m.ID, domain.RoleMember, domain.RoleMentor) // before any request caches the session
	partner, outsider := e.api.Member(t), e.api.Member(t)
	pool := e.srv.App.Pool

	apitest.Must(t, c.Do(t, `mutation($in: UpdateProfileInput!) { updateProfile(input: $in) { user { id } } }`,
		map[string]any{"in": map[string]any{
			"bio": "Potter from the hills, ask for " + m.Name, "city": "Bourg-" + mark, "country": "FR",
			"location": map[string]any{"latitude": 48.85661, "longitude": 2.35221}, "languages": []string{"fr", "en"},
			"timeZone": "Europe/Paris", "availability": []map[string]any{{"weekday": 2, "start": "18:00", "end": "20:00"}},
		}}))
	apitest.Must(t, c.Do(t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { user { id } } }`,
		map[string]any{"in": map[string]any{"skillId": e.api.Skill, "kind": "OFFER", "level": "EXPERT",
			"yearsOfPractice": 12, "description": "wheel throwing by " + mark}}))
	apitest.Must(t, c.Do(t, `mutation($u: ID!) { blockMember(input: {memberId: $u}) { member { id } } }`, map[string]any{"u": outsider.ID}))

	// Chat both ways.
	var conv struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, c.Do(t, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": partner.ID})).Decode(t, &conv)
	m.conversation = conv.OpenDirectConversation.Conversation.ID
	send := func(cl *apitest.Client, body string, attachment any) {
		t.Helper()
		apitest.Must(t, cl.Do(t, `mutation($c: ID!, $k: String!, $b: String!, $a: String) {
			sendMessage(input: {conversationId: $c, clientId: $k, body: $b, attachmentUrl: $a}) { message { id } } }`,
			map[string]any{"c": conv.OpenDirectConversation.Conversation.ID, "k": uuid.NewString(), "b": body, "a": attachment}))
	}
	send(c, "Hello, this is "+m.Name, "https://files.example.com/"+mark+".jpg")
	send(partner.C, "Hi! See you on Tuesday.", nil)
	send(c, "My number is 06 12 34 56 78 ("+mark+")", nil)

	// A completed session, reviews both ways, a report; a pending one in person.
	s0 := e.api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	s := e.api.Confirmed(t, m.Member, partner, s0, 30)
	vars := e.api.ProposeVars(m.Member, partner, s0.Add(72*time.Hour), 60)
	in := vars["in"].(map[string]any)
	delete(in, "meetingUrl")
	in["mode"], in["place"], in["note"] = "IN_PERSON", "12 rue des Potiers, "+mark, "ring twice, "+mark
	apitest.Must(t, partner.C.Do(t, skillsessiontest.ProposeMutation, vars))
	e.api.Clock.Set(s0.Add(time.Hour))
	e.api.MustAct(t, m.Member, "confirmSessionCompleted", s.ID, nil)
	e.api.MustAct(t, partner, "confirmSessionCompleted", s.ID, nil)
	review := func(cl *apitest.Client, comment string) string {
		var out struct {
			SubmitReview struct{ Review struct{ ID string } }
		}
		apitest.Must(t, cl.Do(t, `mutation($in: SubmitReviewInput!) { submitReview(input: $in) { review { id } } }`,
			map[string]any{"in": map[string]any{"sessionId": s.ID, "rating": 4, "comment": comment, "tags": []string{"patient"}}})).Decode(t, &out)
		return out.SubmitReview.Review.ID
	}
	review(c, "Good learner. "+m.Name)
	received := review(partner.C, "Thanks "+m.Name+", great teacher")
	apitest.Must(t, c.Do(t, `mutation($in: ReportReviewInput!) { reportReview(input: $in) { report { id } } }`,
		map[string]any{"in": map[string]any{"reviewId": received, "reason": "OTHER", "note": "it names me, " + mark}}))

	// A second device, then a password-reset token (emailed to the address).
	apitest.Must(t, e.srv.Client().Do(t, logInMutation, map[string]any{"e": m.email, "p": m.password}))
	apitest.Must(t, e.srv.Client().Do(t, `mutation($e: String!) { requestPasswordReset(input: {email: $e}) { accepted } }`,
		map[string]any{"e": m.email}))

	// Payouts at Stripe (stripe-mock) and a price; a payment of the completed session.
	apitest.Must(t, c.Do(t, `mutation { startMentorOnboarding { url } }`, nil))
	sid, _ := relay.ParseID(relay.KindSkillSession, s.ID, "id")
	skill, _ := relay.ParseID(relay.KindSkill, e.api.Skill, "id")
	exec(t, pool, `INSERT INTO mentor_prices (user_id, skill_id, amount_minor, currency) VALUES ($1, $2, 4500, 'EUR')`, m.uid, skill)
	exec(t, pool, `INSERT INTO payments (id, session_id, payer_id, payee_id, amount_minor, fee_minor, currency, state,
			stripe_payment_intent_id, client_secret, captured_minor, transferred_minor)
		VALUES ($1, $2, $3, $4, 4500, 450, 'EUR', 'CAPTURED', 'pi_'||$5, 'pi_'||$5||'_secret_'||$5, 4500, 4050)`,
		uuid.New(), sid, userID(t, partner.ID), m.uid, hex.EncodeToString(random32()[:12]))

	// Second factor, a pending MFA sign-in, a provider identity, a calendar feed: rows whose
	// API flows are tested elsewhere, written directly.
	exec(t, pool, `INSERT INTO user_totp (user_id, secret_enc, created_at, enabled_at) VALUES ($1, $2, now(), now())`, m.uid, random32())
	exec(t, pool, `INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, now())`, m.uid, random32())
	exec(t, pool, `INSERT INTO mfa_tickets (ticket_hash, user_id, created_at, expires_at) VALUES ($1, $2, now(), now() + interval '5 minutes')`, random32(), m.uid)
	exec(t, pool, `INSERT INTO auth_identities (id, user_id, provider, issuer, subject, email, email_verified)
		VALUES ($1, $2, 'google', 'https://accounts.google.com', 'sub-'||$3, 'g.'||$3||'@gmail.com', true)`, uuid.New(), m.uid, mark)
	exec(t, pool, `INSERT INTO calendar_feeds (id, user_id, token_hash) VALUES ($1, $2, $3)`, uuid.New(), m.uid, random32())
	passkey := uuid.New()
	exec(t, pool, `INSERT INTO webauthn_users (user_id, user_handle) VALUES ($1, $2)`, m.uid, random32())
	exec(t, pool, `INSERT INTO passkeys (id, user_id, rp_id, credential_id, credential, name, created_at)
		VALUES ($1, $2, 'skillswap.example', $3, jsonb_build_object('owner', $4::text), 'Phone of '||$4, now())`, passkey, m.uid, random32(), m.Name)
	exec(t, pool, `INSERT INTO webauthn_ceremonies (id, kind, user_id, session, created_at, expires_at)
		VALUES ($1, 'REGISTER', $2, jsonb_build_object('user', $3::text), now(), now() + interval '5 minutes')`, uuid.New(), m.uid, m.Name)
	exec(t, pool, `UPDATE auth_sessions SET passkey_id = $2 WHERE user_id = $1`, m.uid, passkey)
	// Their address refused a notification email for good (issue 17): the row holds it.
	exec(t, pool, `INSERT INTO email_suppressions (user_id, address, smtp_code, enhanced_code, suppressed_at)
		VALUES ($1, $2, 550, '5.1.1', now())`, m.uid, m.email)
	exec(t, pool, `INSERT INTO email_changes (id, user_id, old_email, old_verified, new_email, requested_at, expires_at)
		VALUES ($1, $2, $3::text, true, 'new.' || $3::text, now(), now() + interval '1 day')`, uuid.New(), m.uid, m.email)
	exec(t, pool, `INSERT INTO data_exports (id, user_id, state, requested_at, ready_at, expires_at, size_bytes, archive)
		VALUES ($1, $2, 'READY', now(), now(), now() + interval '7 days', 10, convert_to($3, 'UTF8'))`, uuid.New(), m.uid, m.Name)
	// An NPS answer in their words: the comment goes, the score stays under the pseudonym.
	exec(t, pool, `INSERT INTO nps_responses (id, user_id, score, comment, created_at) VALUES ($1, $2, 9, 'Loved it, ' || $3::text, now())`,
		uuid.New(), m.uid, m.mark)

	// The reset email's job issues the token; a job still running at the erasure would leave its
	// arguments (the address) in River's table until River's cleanup.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM account_tokens WHERE user_id = $1 AND purpose = 'RESET_PASSWORD'
			AND EXISTS (SELECT FROM river_job WHERE kind = 'password_reset_email' AND state = 'completed')`, m.uid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("account tokens: %d purposes, want the reset token", n)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A phone registered for push, its token carrying the mark (the scan must not find it after).
	apitest.Must(t, c.Do(t, `mutation($t: String!) { registerPushDevice(input: {token: $t, platform: IOS, locale: "fr"}) { device { id } } }`,
		map[string]any{"t": "ExponentPushToken[" + mark + "-device]"}))
	// Quiet hours (when they sleep).
	apitest.Must(t, c.Do(t, `mutation { setQuietHours(input: {start: "23:00", end: "06:30", enabled: true}) { quietHours { id } } }`, nil))
	// A digest schedule (when they read their email).
	apitest.Must(t, c.Do(t, `mutation { setDigestSchedule(input: {frequency: DAILY, time: "07:15"}) { digestSchedule { id } } }`, nil))

	// Everything is there before the erasure (so the scan after it can fail).
	for _, table := range []string{"profiles", "member_skills", "availability_slots", "auth_sessions", "account_tokens",
		"user_totp", "mfa_recovery_codes", "mfa_tickets", "auth_identities", "calendar_feeds", "mentor_accounts",
		"passkeys", "webauthn_users", "webauthn_ceremonies", "email_changes", "data_exports", "sign_in_events", "consents",
		"mentor_prices", "notifications", "credit_accounts", "push_devices", "email_suppressions",
		"nps_responses", "notification_quiet_hours", "notification_digest_schedules"} {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE user_id = $1`, m.uid).Scan(&n); err != nil || n == 0 {
			t.Fatalf("fixture: no %s row for the member (%v)", table, err)
		}
	}
	if hits := scan(t, pool, m.needles(), m.uid, true); len(hits) < 10 {
		t.Fatalf("fixture: the scan finds the member in too few places: %v", hits)
	}
	return m, partner
}

// scan searches every table's text-like columns (text, varchar, citext, char, jsonb, inet, their
// arrays, uuid) for the needles and for the member's id; it returns "table.column" of every hit
// of a needle, and of every hit of the id outside columns the register marks pseudonymous (and
// River's job arguments, which hold ids). all reports id hits everywhere (fixture check).
func scan(t testing.TB, pool *pgxpool.Pool, needles []string, id uuid.UUID, all bool) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `
		SELECT c.table_name, c.column_name, c.udt_name
		FROM information_schema.columns c
		JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
		  AND c.udt_name IN ('text', 'varchar', 'citext', 'bpchar', 'json', 'jsonb', 'inet',
		                     '_text', '_varchar', '_citext', 'uuid', '_uuid')
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ table, column, udt string }
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (col, error) {
		var c col
		return c, r.Scan(&c.table, &c.column, &c.udt)
	})
	if err != nil {
		t.Fatal(err)
	}
	patterns := make([]string, len(needles))
	for i, n := range needles {
		patterns[i] = "%" + strings.ToLower(n) + "%"
	}
	var hits []string
	for _, c := range cols {
		ref := pgx.Identifier{c.table}.Sanitize() + "." + pgx.Identifier{c.column}.Sanitize()
		name := c.table + "." + c.column
		if c.udt != "uuid" && c.udt != "_uuid" {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{c.table}.Sanitize()+
				` WHERE lower(`+ref+`::text) LIKE ANY ($1)`, patterns).Scan(&n); err != nil {
				t.Fatalf("scan %s: %v", name, err)
			}
			if n > 0 && c.table == "river_job" {
				var what string
				_ = pool.QueryRow(ctx, `SELECT string_agg(kind || ':' || state || ':' || args::text, ' | ') FROM river_job WHERE lower(args::text) LIKE ANY ($1)`, patterns).Scan(&what)
				hits = append(hits, name+" (personal string: "+what+")")
			} else if n > 0 {
				hits = append(hits, name+" (personal string)")
			}
		}
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{c.table}.Sanitize()+
			` WHERE `+ref+`::text LIKE '%' || $1 || '%'`, id.String()).Scan(&n); err != nil {
			t.Fatalf("scan %s: %v", name, err)
		}
		if n == 0 {
			continue
		}
		entry, ok := privacy.Lookup(c.table, c.column)
		pseudonymous := ok && entry.Class == privacy.Pseudonymous || name == "river_job.args"
		if all || !pseudonymous {
			hits = append(hits, fmt.Sprintf("%s (id, %d rows)", name, n))
		}
	}
	// Coordinates are numbers: the member's, exact or snapped to 0.01°, must be gone.
	var coords int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM profiles WHERE user_id = $1 AND latitude IS NOT NULL)
		+ (SELECT count(*) FROM match_profiles WHERE user_id = $1 AND latitude IS NOT NULL)`, id).Scan(&coords); err != nil {
		t.Fatal(err)
	}
	if coords > 0 {
		hits = append(hits, "coordinates")
	}
	return hits
}

func TestEraseMemberLeavesOnlyPseudonyms(t *testing.T) {
	t.Parallel()
	e := start(t, true, withStripe(t))
	ctx := context.Background()
	m, partner := richMember(t, e)
	pool := e.srv.App.Pool

	// A fresh sign-in: recent authentication holds. The socket of that session is open.
	var del struct {
		DeleteAccount struct{ DeletionScheduledAt time.Time }
	}
	apitest.Must(t, m.C.Do(t, deleteMutation, map[string]any{"in": map[string]any{"reason": "moving away, " + m.mark}})).Decode(t, &del)
	due := del.DeleteAccount.DeletionScheduledAt
	if want := e.clock.Now().Add(336 * time.Hour); due.Before(want.Add(-time.Minute)) || due.After(want.Add(time.Minute)) {
		t.Fatalf("deletion scheduled at %v, want about %v", due, want)
	}
	var v struct {
		Viewer struct{ DeletionScheduledAt *time.Time }
	}
	apitest.Must(t, m.C.Do(t, viewerDeletion, nil)).Decode(t, &v)
	if v.Viewer.DeletionScheduledAt == nil || !v.Viewer.DeletionScheduledAt.Equal(due) {
		t.Fatalf("viewer.deletionScheduledAt = %v, want %v", v.Viewer.DeletionScheduledAt, due)
	}
	var other struct {
		Node struct{ DeletionScheduledAt *time.Time }
	}
	apitest.Must(t, partner.C.Do(t, `query($id: ID!) { node(id: $id) { ... on User { deletionScheduledAt } } }`,
		map[string]any{"id": m.ID})).Decode(t, &other)
	if other.Node.DeletionScheduledAt != nil {
		t.Fatal("another member sees the deletion date")
	}
	ws := e.srv.Connect(t, "graphql-transport-ws", m.tokens.AccessToken)
	ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)

	// Not due yet: the job does nothing.
	if erased, err := e.srv.App.Erasure.EraseIfDue(ctx, m.uid); err != nil || erased {
		t.Fatalf("before the grace ends: erased=%v err=%v", erased, err)
	}
	e.clock.Advance(337 * time.Hour)
	if erased, err := e.srv.App.Erasure.EraseIfDue(ctx, m.uid); err != nil || !erased {
		t.Fatalf("after the grace: erased=%v err=%v", erased, err)
	}

	// Sessions end, the socket closes, nothing signs in.
	ws.ExpectClose(4403, 30*time.Second)
	if r := m.C.Do(t, viewerDeletion, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("access token after erasure: %s", r.Raw)
	}
	if r := e.srv.Client().Do(t, `mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { accessToken } }`,
		map[string]any{"t": m.tokens.RefreshToken}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("refresh after erasure: %s", r.Raw)
	}
	if r := e.srv.Client().Do(t, logInMutation, map[string]any{"e": m.email, "p": m.password}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("log in after erasure: %s", r.Raw)
	}

	// What others keep: the conversation with tombstones, the anonymous ratings, the payment and
	// the ledger under the pseudonym.
	var msgs struct {
		Messages struct {
			Edges []struct {
				Node struct {
					Body      string
					DeletedAt *time.Time
					Sender    struct{ ID, DisplayName string }
				}
			}
		}
	}
	apitest.Must(t, partner.C.Do(t, `query($c: ID!) { messages(conversationId: $c, first: 10) {
		edges { node { body deletedAt sender { id displayName } } } } }`, map[string]any{"c": m.conversation})).Decode(t, &msgs)
	if len(msgs.Messages.Edges) != 3 {
		t.Fatalf("partner's conversation: %+v", msgs)
	}
	for _, edge := range msgs.Messages.Edges {
		n := edge.Node
		switch n.Sender.ID {
		case m.ID:
			if n.Body != "" || n.DeletedAt == nil || n.Sender.DisplayName != "Deleted member" {
				t.Errorf("the erased member's message is no tombstone: %+v", n)
			}
		default:
			if n.Body == "" || n.DeletedAt != nil {
				t.Errorf("the partner's own message changed: %+v", n)
			}
		}
	}
	// Their upcoming session was cancelled (through the sessions' rules) before the erasure.
	var open, cancelled int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state IN ('PROPOSED', 'CONFIRMED')), count(*) FILTER (WHERE state = 'CANCELLED')
		FROM skill_sessions WHERE teacher_id = $1`, m.uid).Scan(&open, &cancelled); err != nil || open != 0 || cancelled != 1 {
		t.Fatalf("sessions after erasure: %d open, %d cancelled (want 0, 1), %v", open, cancelled, err)
	}
	var consentIPs, consents int
	if err := pool.QueryRow(ctx, `SELECT count(ip), count(*) FROM consents WHERE user_id = $1`, m.uid).Scan(&consentIPs, &consents); err != nil ||
		consentIPs != 0 || consents == 0 {
		t.Fatalf("consents after erasure: %d with an address, %d in all (want 0, some), %v", consentIPs, consents, err)
	}
	var reviews, payments, ledgerEntries, ledger int
	if err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM reviews WHERE (reviewer_id = $1 OR reviewee_id = $1) AND rating = 4 AND comment = '' AND tags = '{patient}'),
			(SELECT count(*) FROM payments WHERE payee_id = $1 AND client_secret IS NULL AND stripe_payment_intent_id IS NOT NULL),
			(SELECT count(*) FROM credit_entries e JOIN credit_accounts a ON a.id = e.account_id WHERE a.user_id = $1),
			(SELECT count(*) FROM erasures WHERE user_id = $1)`, m.uid).Scan(&reviews, &payments, &ledgerEntries, &ledger); err != nil {
		t.Fatal(err)
	}
	if reviews != 2 || payments != 1 || ledgerEntries == 0 || ledger != 1 {
		t.Fatalf("kept: %d anonymous reviews (want 2), %d payments (want 1), %d ledger entries (want some), %d erasure ledger rows (want 1)",
			reviews, payments, ledgerEntries, ledger)
	}

	// Nothing of them is left but pseudonyms.
	if hits := scan(t, pool, append(m.needles(), "moving away"), m.uid, false); len(hits) > 0 {
		t.Fatalf("after erasure, the member is still found in: %s", strings.Join(hits, ", "))
	}

	// Stripe was asked to delete the connected account (stripe-mock answers), by a job.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var state string
		err := pool.QueryRow(ctx, `SELECT state FROM river_job WHERE kind = 'erase_stripe_account'`).Scan(&state)
		if err == nil && state == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Stripe account job: state %q, err %v", state, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Running it again is harmless.
	if erased, err := e.srv.App.Erasure.EraseIfDue(ctx, m.uid); err != nil || erased {
		t.Fatalf("second run of the job: erased=%v err=%v", erased, err)
	}
	again, err := e.srv.App.Erasure.Erase(ctx, m.uid)
	if err != nil || !again.AlreadyErased {
		t.Fatalf("erase again: %+v, %v", again, err)
	}
	var stripeJobs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'erase_stripe_account'`).Scan(&stripeJobs); err != nil || stripeJobs != 1 {
		t.Fatalf("Stripe jobs after a second erasure: %d (%v)", stripeJobs, err)
	}
}

func TestDeletionCancelledBySignInOrMutation(t *testing.T) {
	t.Parallel()
	e := start(t, false, nil)
	ctx := context.Background()
	tok, c := e.srv.SignUp(t)
	uid := userID(t, tok.User.ID)
	schedule := func(cl *apitest.Client) {
		t.Helper()
		apitest.Must(t, cl.Do(t, deleteMutation, nil))
	}
	scheduled := func() bool {
		t.Helper()
		var v struct {
			Viewer struct{ DeletionScheduledAt *time.Time }
		}
		apitest.Must(t, c.Do(t, viewerDeletion, nil)).Decode(t, &v)
		return v.Viewer.DeletionScheduledAt != nil
	}
	jobs := func(state string) int {
		t.Helper()
		var n int
		if err := e.srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'erase_account' AND state = $1`, state).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The mutation cancels; a second cancel says there was nothing.
	schedule(c)
	if !scheduled() || jobs("scheduled") != 1 {
		t.Fatalf("not scheduled: %v, %d jobs", scheduled(), jobs("scheduled"))
	}
	var out struct{ CancelAccountDeletion struct{ Cancelled bool } }
	apitest.Must(t, c.Do(t, cancelMutation, nil)).Decode(t, &out)
	if !out.CancelAccountDeletion.Cancelled || scheduled() || jobs("cancelled") != 1 || jobs("scheduled") != 0 {
		t.Fatalf("cancel: %+v, scheduled %v, %d cancelled jobs", out, scheduled(), jobs("cancelled"))
	}
	apitest.Must(t, c.Do(t, cancelMutation, nil)).Decode(t, &out)
	if out.CancelAccountDeletion.Cancelled {
		t.Fatal("a second cancel cancelled something")
	}

	// Signing in again cancels, and a later run of the job leaves the account alone.
	schedule(c)
	apitest.Must(t, e.srv.Client().Do(t, logInMutation, map[string]any{"e": tok.User.Email, "p": apitest.StrongPassword}))
	if scheduled() || jobs("cancelled") != 2 {
		t.Fatalf("sign-in did not cancel: scheduled %v, %d cancelled jobs", scheduled(), jobs("cancelled"))
	}
	e.clock.Advance(400 * time.Hour)
	if erased, err := e.srv.App.Erasure.EraseIfDue(ctx, uid); err != nil || erased {
		t.Fatalf("cancelled deletion ran: erased=%v err=%v", erased, err)
	}
	if n, err := e.srv.App.Erasure.EraseDue(ctx); err != nil || n != 0 {
		t.Fatalf("sweep erased %d (%v), want none", n, err)
	}
	apitest.Must(t, c.Do(t, viewerDeletion, nil))

	// Scheduled again and left alone: the hourly sweep erases it once due, even without its job.
	schedule(c)
	exec(t, e.srv.App.Pool, `DELETE FROM river_job WHERE kind = 'erase_account'`)
	if n, err := e.srv.App.Erasure.EraseDue(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before due erased %d (%v)", n, err)
	}
	e.clock.Advance(337 * time.Hour)
	if n, err := e.srv.App.Erasure.EraseDue(ctx); err != nil || n != 1 {
		t.Fatalf("sweep when due erased %d (%v), want 1", n, err)
	}
	if r := c.Do(t, viewerDeletion, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("after the sweep's erasure: %s", r.Raw)
	}
}

func TestDeleteAccountNeedsRecentAuth(t *testing.T) {
	t.Parallel()
	e := start(t, false, nil)
	_, c := e.srv.SignUp(t)
	exec(t, e.srv.App.Pool, `UPDATE auth_sessions SET authenticated_at = authenticated_at - interval '11 minutes'`)
	r := c.Do(t, deleteMutation, nil)
	if r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "RECENT_AUTH_REQUIRED" {
		t.Fatalf("stale session: %s", r.Raw)
	}
	if r := e.srv.Client().Do(t, deleteMutation, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("signed out: %s", r.Raw)
	}
	apitest.Must(t, c.Do(t, `mutation { reauthenticate(input: {password: "`+apitest.StrongPassword+`"}) { recentAuthUntil } }`, nil))
	if r := c.Do(t, deleteMutation, map[string]any{"in": map[string]any{"reason": strings.Repeat("x", 501)}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.reason" {
		t.Fatalf("long reason: %s", r.Raw)
	}
	apitest.Must(t, c.Do(t, deleteMutation, nil))
}

// TestReplayAfterRestore erases a member, brings their row back as a backup restore would (with
// the ledger saved apart), and replays.
func TestReplayAfterRestore(t *testing.T) {
	t.Parallel()
	e := start(t, false, nil)
	ctx := context.Background()
	tok, c := e.srv.SignUpAs(t, "restored."+uuid.NewString()[:8]+"@example.org", "Restored Rhea")
	uid := userID(t, tok.User.ID)
	apitest.Must(t, c.Do(t, `mutation { updateProfile(input: {bio: "Rhea's bio", city: "Lyon"}) { user { id } } }`, nil))
	if _, err := e.srv.App.Erasure.Erase(ctx, uid); err != nil {
		t.Fatal(err)
	}
	ledger, err := e.srv.App.Erasure.Ledger(ctx)
	if err != nil || len(ledger) != 1 || ledger[0].UserID != uid {
		t.Fatalf("ledger: %+v, %v", ledger, err)
	}

	// The restore: an older backup has the account as it was, and no ledger entry.
	pool := e.srv.App.Pool
	exec(t, pool, `UPDATE users SET email = $2, display_name = 'Restored Rhea', password_hash = 'x', status = 'ACTIVE', erased_at = NULL WHERE id = $1`,
		uid, tok.User.Email)
	exec(t, pool, `INSERT INTO profiles (user_id, bio, city) VALUES ($1, 'Rhea''s bio', 'Lyon')`, uid)
	exec(t, pool, `INSERT INTO auth_sessions (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')`, uuid.New(), uid)
	exec(t, pool, `DELETE FROM erasures`)

	// A ledger id of an account the backup never had is counted, not an error.
	saved := append(ledger, ledger[0])
	saved[1].UserID = uuid.New()
	rep, err := e.srv.App.Erasure.Replay(ctx, saved)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported != 2 || rep.Erased != 1 || rep.Missing != 1 {
		t.Fatalf("replay: %+v", rep)
	}
	needles := []string{tok.User.Email, "Restored Rhea", "Rhea's bio"}
	if hits := scan(t, pool, needles, uid, false); len(hits) > 0 {
		t.Fatalf("after replay, still found in: %v", hits)
	}
	var sessions int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM auth_sessions WHERE user_id = $1`, uid).Scan(&sessions); err != nil || sessions != 0 {
		t.Fatalf("sessions after replay: %d (%v)", sessions, err)
	}
	// Idempotent.
	if rep, err := e.srv.App.Erasure.Replay(ctx, nil); err != nil || rep.Erased != 1 || rep.Imported != 0 {
		t.Fatalf("second replay: %+v, %v", rep, err)
	}
	if ledger, err := e.srv.App.Erasure.Ledger(ctx); err != nil || !slices.ContainsFunc(ledger, func(x store.ErasureEntry) bool { return x.UserID == uid }) {
		t.Fatalf("ledger lost the entry: %+v, %v", ledger, err)
	}
}
