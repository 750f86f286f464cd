package retention_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/privacy"
	"github.com/skillswap/skillswap/retention"
	"github.com/skillswap/skillswap/store"
)

// now is the injected clock of every test: no test waits.
var now = time.Date(2030, 1, 15, 12, 0, 0, 0, time.UTC)

type env struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	pool, err := store.OpenPool(ctx, testdb.New(t), store.PoolConfig{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &env{t: t, ctx: ctx, st: store.New(pool, nil, slog.New(slog.DiscardHandler))}
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.st.Pool().Exec(e.ctx, sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.st.Pool().QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e *env) user() uuid.UUID {
	e.t.Helper()
	id := uuid.Must(uuid.NewV7())
	e.exec(`INSERT INTO users (id, email, password_hash, display_name) VALUES ($1, $2, 'x', 'Retention test')`,
		id, id.String()+"@example.com")
	return id
}

func hash() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// fixture is one row and what the run must do to it.
type fixture struct {
	name string
	// exists tells whether the row is still there, and cleared whether its cleared column is NULL.
	exists  func() bool
	due     bool
	cleared func() bool // for CLEAR rules: the row stays, the column goes
}

// TestEachRuleRemovesExactlyWhatIsDue builds, for every rule, a row just past its retention
// and one just inside it (plus rows the rule must never touch), runs the rules once with a
// fixed clock and small batches, and checks every row.
func TestEachRuleRemovesExactlyWhatIsDue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := retention.DefaultConfig
	cfg.Now = func() time.Time { return now }
	cfg.Batch = 2
	past := func(keep time.Duration) time.Time { return now.Add(-keep - time.Hour) }
	inside := func(keep time.Duration) time.Time { return now.Add(-keep + time.Hour) }
	u := e.user()
	var fx []fixture
	exists := func(table, keyCol string, key any) func() bool {
		return func() bool {
			return e.count(fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s = $1`, table, keyCol), key) == 1
		}
	}
	add := func(name string, due bool, ex func() bool) {
		fx = append(fx, fixture{name: name, due: due, exists: ex})
	}

	// Login sessions: ended (revoked or expired) past AUTH_SESSION_RETENTION go; live ones and
	// recently ended ones stay.
	session := func(created, lastUsed, expires time.Time, revoked *time.Time, ip *string) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		var reason *string
		if revoked != nil {
			r := "LOGOUT"
			reason = &r
		}
		e.exec(`INSERT INTO auth_sessions (id, user_id, created_at, last_used_at, authenticated_at, expires_at, revoked_at, revoke_reason, ip)
			VALUES ($1, $2, $3, $4, $3, $5, $6, $7, $8)`, id, u, created, lastUsed, expires, revoked, reason, ip)
		return id
	}
	keepS := cfg.AuthSessions
	long := 200 * 24 * time.Hour
	revokedOld, revokedNew := past(keepS), inside(keepS)
	add("session revoked long ago", true, exists("auth_sessions", "id", session(now.Add(-long), now.Add(-long), now.Add(time.Hour), &revokedOld, nil)))
	add("session revoked recently", false, exists("auth_sessions", "id", session(now.Add(-long), now.Add(-long), now.Add(time.Hour), &revokedNew, nil)))
	add("session expired long ago", true, exists("auth_sessions", "id", session(now.Add(-long), now.Add(-long), past(keepS), nil, nil)))
	add("session expired recently", false, exists("auth_sessions", "id", session(now.Add(-long), now.Add(-long), inside(keepS), nil, nil)))
	live := session(now.Add(-time.Hour), now, now.Add(24*time.Hour), nil, nil)
	add("live session", false, exists("auth_sessions", "id", live))

	// Refresh tokens of the live session: expired past the retention go; used but unexpired
	// ones stay (reuse detection).
	token := func(issued, expires time.Time, used *time.Time) []byte {
		h := hash()
		e.exec(`INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)`,
			h, live, issued, expires, used)
		return h
	}
	usedAt := now.Add(-time.Hour)
	add("refresh token expired long ago", true, exists("refresh_tokens", "token_hash", token(now.Add(-long), past(keepS), &usedAt)))
	add("refresh token expired recently", false, exists("refresh_tokens", "token_hash", token(now.Add(-long), inside(keepS), nil)))
	add("refresh token used, not expired", false, exists("refresh_tokens", "token_hash", token(now.Add(-time.Hour), now.Add(time.Hour), &usedAt)))

	// IP addresses: cleared from sessions unused for IP_RETENTION; the session stays.
	ip := "203.0.113.7"
	keepIP := cfg.IPAddresses
	for _, c := range []struct {
		name string
		used time.Time
		due  bool
	}{{"ip of a session unused long", past(keepIP), true}, {"ip of a session used recently", inside(keepIP), false}} {
		id := session(c.used.Add(-time.Hour), c.used, now.Add(time.Hour), nil, &ip)
		fx = append(fx, fixture{name: c.name, due: c.due, exists: exists("auth_sessions", "id", id), cleared: func() bool {
			return e.count(`SELECT count(*) FROM auth_sessions WHERE id = $1 AND ip IS NULL`, id) == 1
		}})
	}

	// Email tokens, two-step tickets, recovery codes, pending enrolments: ACCOUNT_TOKEN_RETENTION.
	keepT := cfg.AccountTokens
	accountToken := func(expires time.Time) []byte {
		h := hash()
		e.exec(`INSERT INTO account_tokens (token_hash, user_id, purpose, email, created_at, expires_at) VALUES ($1, $2, 'VERIFY_EMAIL', 'a@example.com', $3, $4)`,
			h, u, expires.Add(-24*time.Hour), expires)
		return h
	}
	add("email token expired long ago", true, exists("account_tokens", "token_hash", accountToken(past(keepT))))
	add("email token expired recently", false, exists("account_tokens", "token_hash", accountToken(inside(keepT))))
	add("email token still valid", false, exists("account_tokens", "token_hash", accountToken(now.Add(time.Hour))))
	ticket := func(expires time.Time) []byte {
		h := hash()
		e.exec(`INSERT INTO mfa_tickets (ticket_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			h, u, expires.Add(-5*time.Minute), expires)
		return h
	}
	add("mfa ticket expired long ago", true, exists("mfa_tickets", "ticket_hash", ticket(past(keepT))))
	add("mfa ticket expired recently", false, exists("mfa_tickets", "ticket_hash", ticket(inside(keepT))))
	code := func(used *time.Time) []byte {
		h := hash()
		e.exec(`INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, $4)`,
			u, h, now.Add(-long), used)
		return h
	}
	usedOld, usedNew := past(keepT), inside(keepT)
	add("recovery code used long ago", true, exists("mfa_recovery_codes", "code_hash", code(&usedOld)))
	add("recovery code used recently", false, exists("mfa_recovery_codes", "code_hash", code(&usedNew)))
	add("recovery code unused", false, exists("mfa_recovery_codes", "code_hash", code(nil)))
	totp := func(created time.Time, enabled *time.Time) uuid.UUID {
		owner := e.user()
		e.exec(`INSERT INTO user_totp (user_id, secret_enc, created_at, enabled_at) VALUES ($1, '\x00', $2, $3)`, owner, created, enabled)
		return owner
	}
	enabled := past(keepT).Add(time.Minute)
	add("enrolment abandoned long ago", true, exists("user_totp", "user_id", totp(past(keepT), nil)))
	add("enrolment started recently", false, exists("user_totp", "user_id", totp(inside(keepT), nil)))
	add("old authenticator in use", false, exists("user_totp", "user_id", totp(past(keepT), &enabled)))

	// ID token uses: gone once the token expired.
	use := func(expires time.Time) []byte {
		h := hash()
		e.exec(`INSERT INTO oidc_token_uses (token_hash, expires_at) VALUES ($1, $2)`, h, expires)
		return h
	}
	add("ID token expired", true, exists("oidc_token_uses", "token_hash", use(now.Add(-time.Minute))))
	add("ID token not expired", false, exists("oidc_token_uses", "token_hash", use(now.Add(time.Minute))))

	// Notifications: read and older than NOTIFICATION_RETENTION go; unread ones stay.
	keepN := cfg.Notifications
	note := func(created time.Time, read bool) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		var readAt *time.Time
		if read {
			r := created.Add(time.Minute)
			readAt = &r
		}
		e.exec(`INSERT INTO notifications (id, user_id, type, created_at, read_at) VALUES ($1, $2, 'NEW_MESSAGE', $3, $4)`, id, u, created, readAt)
		return id
	}
	add("old read notification", true, exists("notifications", "id", note(past(keepN), true)))
	add("old unread notification", false, exists("notifications", "id", note(past(keepN), false)))
	add("recent read notification", false, exists("notifications", "id", note(inside(keepN), true)))

	// Stripe events: processed and older than WEBHOOK_EVENT_RETENTION go.
	keepW := cfg.WebhookEvents
	event := func(received time.Time, processed bool) string {
		id := "evt_" + uuid.NewString()
		var at *time.Time
		if processed {
			p := received.Add(time.Second)
			at = &p
		}
		e.exec(`INSERT INTO stripe_events (event_id, type, received_at, processed_at) VALUES ($1, 'payment_intent.succeeded', $2, $3)`, id, received, at)
		return id
	}
	add("old processed event", true, exists("stripe_events", "event_id", event(past(keepW), true)))
	add("old unprocessed event", false, exists("stripe_events", "event_id", event(past(keepW), false)))
	add("recent processed event", false, exists("stripe_events", "event_id", event(inside(keepW), true)))

	// Payments: the client secret goes once the payment no longer awaits a payment method.
	cat, skill, teacher := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), e.user()
	e.exec(`INSERT INTO skill_categories (id, slug, name_en, name_fr) VALUES ($1, $2, 'Retention', 'Retention')`, cat, "ret-"+cat.String())
	e.exec(`INSERT INTO skills (id, slug, category_id, name_en, name_fr) VALUES ($1, $2, $3, 'Retention', 'Retention')`, skill, "ret-"+skill.String(), cat)
	for i, c := range []struct {
		state string
		due   bool
	}{{"CANCELED", true}, {"REQUIRES_PAYMENT_METHOD", false}, {"FAILED", false}} {
		sess, pay := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
		starts := now.Add(time.Duration(i+1) * 24 * time.Hour)
		e.exec(`INSERT INTO skill_sessions (id, skill_id, teacher_id, learner_id, created_by, proposer_id, starts_at, duration_minutes, ends_at, mode, link, state)
			VALUES ($1, $2, $3, $4, $4, $4, $5, 60, $6, 'ONLINE', 'https://meet.example/x', 'PROPOSED')`, sess, skill, teacher, u, starts, starts.Add(time.Hour))
		e.exec(`INSERT INTO payments (id, session_id, payer_id, payee_id, amount_minor, fee_minor, currency, state, stripe_payment_intent_id, client_secret, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 4500, 450, 'EUR', $5, $6, 'pi_secret_x', $7, $7)`, pay, sess, u, teacher, c.state, "pi_"+pay.String(), now.Add(-time.Hour))
		fx = append(fx, fixture{name: "client secret of a " + c.state + " payment", due: c.due, exists: exists("payments", "id", pay), cleared: func() bool {
			return e.count(`SELECT count(*) FROM payments WHERE id = $1 AND client_secret IS NULL`, pay) == 1
		}})
	}

	// Sign-in history: events past SIGN_IN_HISTORY_RETENTION go.
	keepH := cfg.SignInHistory
	signIn := func(at time.Time) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		e.exec(`INSERT INTO sign_in_events (id, user_id, at, method, succeeded) VALUES ($1, $2, $3, 'PASSWORD', true)`, id, u, at)
		return id
	}
	add("old sign-in event", true, exists("sign_in_events", "id", signIn(past(keepH))))
	add("recent sign-in event", false, exists("sign_in_events", "id", signIn(inside(keepH))))

	// NPS answers and dismissals past NPS_RETENTION go, comment and all.
	keepNPS := cfg.NPSResponses
	nps := func(at time.Time, score *int) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		var comment *string
		if score != nil {
			c := "kind words"
			comment = &c
		}
		e.exec(`INSERT INTO nps_responses (id, user_id, score, comment, created_at) VALUES ($1, $2, $3, $4, $5)`, id, u, score, comment, at)
		return id
	}
	nine := 9
	add("old NPS answer", true, exists("nps_responses", "id", nps(past(keepNPS), &nine)))
	add("old NPS dismissal", true, exists("nps_responses", "id", nps(past(keepNPS), nil)))
	add("recent NPS answer", false, exists("nps_responses", "id", nps(inside(keepNPS), &nine)))

	// Moderation evidence: a case decided longer ago than MODERATION_EVIDENCE_RETENTION loses its
	// reports and notes, then goes itself unless a sanction cites it; open and recent ones stay.
	keepM := cfg.ModerationEvidence
	modCase := func(decided *time.Time) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		state, decision := "OPEN", (*string)(nil)
		if decided != nil {
			d := "NO_ACTION"
			state, decision = "DECIDED", &d
		}
		e.exec(`INSERT INTO moderation_cases (id, target_type, target_id, subject_id, state, reporter_count, decision, decided_at, created_at, updated_at)
			VALUES ($1, 'MEMBER', $2, $2, $3, 1, $4, $5, $6, $6)`, id, u, state, decision, decided, now.Add(-long))
		return id
	}
	report := func(caseID uuid.UUID) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		e.exec(`INSERT INTO moderation_reports (id, case_id, reporter_id, category, text, snapshot, created_at)
			VALUES ($1, $2, $3, 'SPAM', 'selling things', '{"displayName": "Retention test"}', $4)`, id, caseID, e.user(), now.Add(-long))
		return id
	}
	modNote := func(caseID uuid.UUID) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		e.exec(`INSERT INTO moderation_notes (id, case_id, author_id, body, created_at) VALUES ($1, $2, $3, 'looked into it', $4)`,
			id, caseID, u, now.Add(-long))
		return id
	}
	decidedOld, decidedNew := past(keepM), inside(keepM)
	oldCase, newCase, openCase, citedCase := modCase(&decidedOld), modCase(&decidedNew), modCase(nil), modCase(&decidedOld)
	e.exec(`INSERT INTO moderation_sanctions (id, user_id, case_id, kind, statement_of_reasons, imposed_by, starts_at, created_at)
		VALUES ($1, $2, $3, 'WARNING', 'Spam.', $2, $4, $4)`, uuid.Must(uuid.NewV7()), u, citedCase, decidedOld)
	add("report of a long-decided case", true, exists("moderation_reports", "id", report(oldCase)))
	add("note of a long-decided case", true, exists("moderation_notes", "id", modNote(oldCase)))
	add("long-decided case", true, exists("moderation_cases", "id", oldCase))
	add("report of a long-decided case a sanction cites", true, exists("moderation_reports", "id", report(citedCase)))
	add("long-decided case a sanction cites", false, exists("moderation_cases", "id", citedCase))
	add("report of a recently decided case", false, exists("moderation_reports", "id", report(newCase)))
	add("note of a recently decided case", false, exists("moderation_notes", "id", modNote(newCase)))
	add("recently decided case", false, exists("moderation_cases", "id", newCase))
	add("report of an open case", false, exists("moderation_reports", "id", report(openCase)))
	add("open case", false, exists("moderation_cases", "id", openCase))

	// Email changes: kept while they may be confirmed or undone (one pending change per member).
	change := func(expires time.Time, confirmed, undoUntil, undone *time.Time) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		e.exec(`INSERT INTO email_changes (id, user_id, old_email, old_verified, new_email, requested_at, expires_at, confirmed_at, undo_until, undone_at)
			VALUES ($1, $2, $3, true, $4, $5, $6, $7, $8, $9)`,
			id, e.user(), id.String()+"-old@example.com", id.String()+"-new@example.com", expires.Add(-24*time.Hour), expires, confirmed, undoUntil, undone)
		return id
	}
	ago, later := now.Add(-time.Hour), now.Add(time.Hour)
	add("email change never confirmed, expired", true, exists("email_changes", "id", change(ago, nil, nil, nil)))
	add("email change awaiting confirmation", false, exists("email_changes", "id", change(later, nil, nil, nil)))
	add("email change confirmed, undo window over", true, exists("email_changes", "id", change(ago, &ago, &ago, nil)))
	add("email change confirmed, undo window open", false, exists("email_changes", "id", change(ago, &ago, &later, nil)))
	add("email change confirmed without undo", true, exists("email_changes", "id", change(ago, &ago, nil, nil)))
	add("email change undone", true, exists("email_changes", "id", change(ago, &ago, &later, &ago)))

	// Passkey ceremonies: expired unfinished ones go.
	ceremony := func(expires time.Time) uuid.UUID {
		id := uuid.Must(uuid.NewV7())
		e.exec(`INSERT INTO webauthn_ceremonies (id, kind, session, created_at, expires_at) VALUES ($1, 'SIGN_IN', '{}', $2, $3)`,
			id, expires.Add(-5*time.Minute), expires)
		return id
	}
	add("expired passkey ceremony", true, exists("webauthn_ceremonies", "id", ceremony(ago)))
	add("live passkey ceremony", false, exists("webauthn_ceremonies", "id", ceremony(later)))

	// Push tickets older than two days and pushes unsent after a day go.
	device := uuid.Must(uuid.NewV7())
	e.exec(`INSERT INTO push_devices (id, user_id, token, platform, created_at, last_registered_at)
		VALUES ($1, $2, 'ExponentPushToken[retention-test-0001]', 'IOS', $3, $3)`, device, u, now.Add(-72*time.Hour))
	pushTicket := func(created time.Time) string {
		id := uuid.NewString()
		e.exec(`INSERT INTO push_tickets (id, device_id, created_at, check_after) VALUES ($1, $2, $3, $3)`, id, device, created)
		return id
	}
	add("push ticket three days old", true, exists("push_tickets", "id", pushTicket(now.Add(-49*time.Hour))))
	add("push ticket of today", false, exists("push_tickets", "id", pushTicket(now.Add(-47*time.Hour))))
	outbox := func(created time.Time) int64 {
		var id int64
		if err := e.st.Pool().QueryRow(e.ctx, `INSERT INTO push_outbox (device_id, user_id, message, created_at)
			VALUES ($1, $2, '{}', $3) RETURNING id`, device, u, created).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	add("push unsent for a day", true, exists("push_outbox", "id", outbox(now.Add(-25*time.Hour))))
	add("push waiting an hour", false, exists("push_outbox", "id", outbox(now.Add(-time.Hour))))
	// A push held by quiet hours counts from the window's end, not from when it was written.
	held := func(created, notBefore time.Time) int64 {
		var id int64
		if err := e.st.Pool().QueryRow(e.ctx, `INSERT INTO push_outbox (device_id, user_id, message, created_at, not_before)
			VALUES ($1, $2, '{}', $3, $4) RETURNING id`, device, u, created, notBefore).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	add("push held until 20 hours ago, written 30 hours ago", false, exists("push_outbox", "id", held(now.Add(-30*time.Hour), now.Add(-20*time.Hour))))
	add("push held until 25 hours ago", true, exists("push_outbox", "id", held(now.Add(-34*time.Hour), now.Add(-25*time.Hour))))

	runner := retention.New(e.st, cfg, slog.New(slog.DiscardHandler))
	done, err := runner.Run(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var due int64
	for _, f := range fx {
		if f.due {
			due++
		}
		gone := !f.exists()
		switch {
		case f.cleared != nil:
			if gone {
				t.Errorf("%s: the row was deleted; only its address should go", f.name)
			} else if f.cleared() != f.due {
				t.Errorf("%s: cleared = %v, want %v", f.name, f.cleared(), f.due)
			}
		case gone != f.due:
			t.Errorf("%s: deleted = %v, want %v", f.name, gone, f.due)
		}
	}
	var total int64
	for _, n := range done {
		total += n
	}
	if total != due {
		t.Errorf("the run reports %d rows changed (%v), want %d", total, done, due)
	}
	for _, r := range runner.Rules() {
		if done[r.Name] == 0 {
			t.Errorf("rule %q changed nothing: it has no due fixture here", r.Name)
		}
	}
	if again, err := runner.Run(e.ctx); err != nil {
		t.Fatal(err)
	} else {
		for name, n := range again {
			if n != 0 {
				t.Errorf("second run: %q changed %d rows, want none", name, n)
			}
		}
	}
}

// TestRulesAreComplete: every rule says why, names its knob when it has a period, and its
// condition uses the cutoff.
func TestRulesAreComplete(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range retention.Rules(retention.DefaultConfig) {
		switch {
		case seen[r.Name]:
			t.Errorf("rule %q twice", r.Name)
		case r.Why == "" || r.Table == "" || r.Where == "":
			t.Errorf("rule %q lacks a table, a condition or a reason", r.Name)
		case (r.Keep > 0) != (r.Knob != ""):
			t.Errorf("rule %q: a period needs its variable, and a variable its period", r.Name)
		case r.Action == retention.Clear && len(r.Clear) == 0:
			t.Errorf("rule %q clears no column", r.Name)
		}
		seen[r.Name] = true
	}
}

// TestInstancesShareTheWork: two runners at once (two instances) delete every due row once,
// in batches, and leave the rest.
func TestInstancesShareTheWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user()
	const due, fresh = 1200, 30
	e.exec(`INSERT INTO notifications (id, user_id, type, created_at, read_at)
		SELECT gen_random_uuid(), $1, 'NEW_MESSAGE', $2::timestamptz, $2::timestamptz FROM generate_series(1, $3)`,
		u, now.Add(-365*24*time.Hour), due)
	e.exec(`INSERT INTO notifications (id, user_id, type, created_at, read_at)
		SELECT gen_random_uuid(), $1, 'NEW_MESSAGE', $2::timestamptz, $2::timestamptz FROM generate_series(1, $3)`,
		u, now.Add(-time.Hour), fresh)
	cfg := retention.DefaultConfig
	cfg.Now = func() time.Time { return now }
	cfg.Batch = 50
	results := make(chan int64, 2)
	for range 2 {
		go func() {
			done, err := retention.New(e.st, cfg, slog.New(slog.DiscardHandler)).Run(e.ctx)
			if err != nil {
				t.Error(err)
			}
			results <- done["old read notifications"]
		}()
	}
	var total int64
	for range 2 {
		select {
		case n := <-results:
			total += n
		case <-time.After(2 * time.Minute):
			t.Fatal("runners did not finish")
		}
	}
	// A batch that found only rows the other runner held ends that runner's loop early: the
	// next run (an hour later) takes what is left.
	done, err := retention.New(e.st, cfg, slog.New(slog.DiscardHandler)).Run(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	total += done["old read notifications"]
	if total != due {
		t.Fatalf("deleted %d in all, want %d (each row once)", total, due)
	}
	if n := e.count(`SELECT count(*) FROM notifications`); n != fresh {
		t.Fatalf("%d notifications left, want the %d fresh ones", n, fresh)
	}
}

// TestDefaultsMatchConfig: DefaultConfig is what the variables default to.
func TestDefaultsMatchConfig(t *testing.T) {
	t.Parallel()
	c := config.Defaults()
	got := retention.Config{
		AuthSessions: c.AuthSessionRetention, AccountTokens: c.AccountTokenRetention, Notifications: c.NotificationRetention,
		WebhookEvents: c.WebhookEventRetention, IPAddresses: c.IPRetention, SignInHistory: c.SignInHistoryRetention,
		NPSResponses: c.NPSRetention, ModerationEvidence: c.ModerationEvidenceRetention, Interval: c.RetentionInterval,
	}
	want := retention.DefaultConfig
	if got.AuthSessions != want.AuthSessions || got.AccountTokens != want.AccountTokens || got.Notifications != want.Notifications ||
		got.WebhookEvents != want.WebhookEvents || got.IPAddresses != want.IPAddresses || got.SignInHistory != want.SignInHistory ||
		got.NPSResponses != want.NPSResponses || got.ModerationEvidence != want.ModerationEvidence || got.Interval != want.Interval {
		t.Fatalf("config defaults %+v, retention.DefaultConfig %+v", got, retention.DefaultConfig)
	}
}

// TestRulesMatchTheRegister: every rule works on a table of the personal-data register, and what
// it clears is a personal column there (a rule must not outlive the register's entry, nor clear
// what the register says is not personal data).
func TestRulesMatchTheRegister(t *testing.T) {
	t.Parallel()
	tables := privacy.Tables()
	for _, r := range retention.Rules(retention.DefaultConfig) {
		if _, ok := tables[r.Table]; !ok {
			t.Errorf("rule %q: table %s is not in the register (package privacy)", r.Name, r.Table)
			continue
		}
		for _, c := range r.Clear {
			col, ok := privacy.Lookup(r.Table, c)
			switch {
			case !ok:
				t.Errorf("rule %q: %s.%s is not in the register", r.Name, r.Table, c)
			case !col.Class.Personal():
				t.Errorf("rule %q clears %s.%s, which the register classifies %q", r.Name, r.Table, c, col.Class)
			}
		}
	}
}
