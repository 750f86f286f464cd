package payments_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/relay"
)

// These tests drive paid mentoring through GraphQL over HTTP on the real server wiring, with
// its River workers running: Stripe calls go to stripe-mock, and Stripe's side of the flow
// arrives as signed webhooks posted to /webhooks/stripe, as in production.

// paidConfig is a test configuration with Stripe pointed at stripe-mock and workers running.
func paidConfig(t *testing.T) config.Config {
	t.Helper()
	cfg := apitest.Config(t)
	cfg.StripeAPIBase = os.Getenv("STRIPE_API_BASE")
	if cfg.StripeAPIBase == "" {
		if testdb.RequireServices() {
			t.Fatal("STRIPE_API_BASE is not set (stripe-mock)")
		}
		t.Skip("STRIPE_API_BASE is not set (run `make test` to bring stripe-mock up)")
	}
	cfg.StripeSecretKey = "sk_test_123"
	cfg.StripeWebhookSecret = webhookSecret
	cfg.PlatformFeePercent = 10
	cfg.RunWorkers = true
	// Roles change in the middle of these tests; read them fresh on every request.
	cfg.SessionCacheTTL = 0
	return cfg
}

// hook posts a signed Stripe event to the running server.
func hook(t *testing.T, api *skillsessiontest.API, id, typ string, object map[string]any) {
	t.Helper()
	req := event(t, id, typ, object, time.Now(), webhookSecret)
	hreq, err := http.NewRequestWithContext(context.Background(), http.MethodPost, api.Srv.URL+"/webhooks/stripe", req.Body)
	if err != nil {
		t.Fatal(err)
	}
	hreq.Header.Set("Stripe-Signature", req.Header.Get("Stripe-Signature"))
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook %s: status %d: %s", typ, resp.StatusCode, body)
	}
}

// eventually polls cond until it holds or 15 s pass (jobs run in the server's workers).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type money struct {
	AmountMinor int64  `json:"amountMinor"`
	Currency    string `json:"currency"`
}

type apiPayment struct {
	ID            string  `json:"id"`
	State         string  `json:"state"`
	ViewerRole    *string `json:"viewerRole"`
	Amount        money   `json:"amount"`
	PlatformFee   money   `json:"platformFee"`
	Captured      money   `json:"captured"`
	Refunded      money   `json:"refunded"`
	Transferred   money   `json:"transferred"`
	ClientSecret  *string `json:"clientSecret"`
	FailureReason *string `json:"failureReason"`
	Session       struct{ ID string }
	Payer, Payee  struct{ ID string }
	Refunds       []struct {
		Amount  money  `json:"amount"`
		Reason  string `json:"reason"`
		ByStaff bool   `json:"byStaff"`
	} `json:"refunds"`
}

const paymentFields = `id state viewerRole amount { amountMinor currency } platformFee { amountMinor currency }
	captured { amountMinor currency } refunded { amountMinor currency } transferred { amountMinor currency }
	clientSecret failureReason session { id } payer { id } payee { id } refunds { amount { amountMinor currency } reason byStaff }`

// sessionPayment reads a session's price and payment as m.
func sessionPayment(t *testing.T, m skillsessiontest.Member, sessionID string) (price *money, p *apiPayment) {
	t.Helper()
	var out struct {
		SkillSession struct {
			Price   *money
			Payment *apiPayment
		}
	}
	apitest.Must(t, m.C.Do(t, `query($id: ID!) { skillSession(id: $id) { price { amountMinor currency } payment { `+paymentFields+` } } }`,
		map[string]any{"id": sessionID})).Decode(t, &out)
	return out.SkillSession.Price, out.SkillSession.Payment
}

func reconciles(p apiPayment) bool {
	return p.Captured.AmountMinor-p.Refunded.AmountMinor-p.PlatformFee.AmountMinor == p.Transferred.AmountMinor
}

const setPrice = `mutation($in: SetSkillPriceInput!) { setSkillPrice(input: $in) {
	memberSkill { kind skill { id } hourlyPrice { amountMinor currency } } } }`

const proposePaid = `mutation($in: ProposeSessionInput!) { proposeSession(input: $in) {
	session { id state price { amountMinor currency } payment { id state clientSecret } } clientSecret } }`

func paidVars(api *skillsessiontest.API, teacher, learner skillsessiontest.Member, start time.Time, minutes int) map[string]any {
	v := api.ProposeVars(teacher, learner, start, minutes)
	v["in"].(map[string]any)["paid"] = true
	return v
}

// TestPaidMentoringAPI follows a paid session from the mentor's approval to an ADMIN's
// partial refund, through the API and signed webhooks, checking who sees what on the way.
func TestPaidMentoringAPI(t *testing.T) {
	t.Parallel()
	api := skillsessiontest.StartAPI(t, paidConfig(t), app.Options{})
	ctx := context.Background()
	mentor, learner, outsider, admin := api.Member(t), api.Member(t), api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, admin.ID, domain.RoleAdmin)
	priceVars := func(amount any, currency string) map[string]any {
		in := map[string]any{"skillId": api.Skill}
		if amount != nil {
			in["hourlyPrice"] = map[string]any{"amountMinor": amount, "currency": currency}
		}
		return map[string]any{"in": in}
	}

	// Only an ADMIN-approved MENTOR prices skills.
	if r := mentor.C.Do(t, setPrice, priceVars(3000, "EUR")); r.Code() != "FORBIDDEN" {
		t.Fatalf("member sets a price: %s", r.Raw)
	}
	apitest.Must(t, admin.C.Do(t, `mutation($in: SetUserRolesInput!) { setUserRoles(input: $in) { user { id } } }`,
		map[string]any{"in": map[string]any{"userId": mentor.ID, "roles": []string{"MEMBER", "MENTOR"}}}))
	if r := mentor.C.Do(t, setPrice, priceVars(3000, "EUR")); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.skillId" {
		t.Fatalf("pricing a skill not offered: %s", r.Raw)
	}
	apitest.Must(t, mentor.C.Do(t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { memberSkill { kind } } }`,
		map[string]any{"in": map[string]any{"skillId": api.Skill, "kind": "OFFER", "level": "EXPERT"}}))
	for _, c := range []struct {
		amount   any
		currency string
		field    string
	}{
		{0, "EUR", "input.hourlyPrice.amountMinor"},
		{2_000_000, "EUR", "input.hourlyPrice.amountMinor"},
		{3000, "EURO", "input.hourlyPrice.currency"},
	} {
		if r := mentor.C.Do(t, setPrice, priceVars(c.amount, c.currency)); r.Code() != "BAD_USER_INPUT" || r.Field() != c.field {
			t.Errorf("price %v %q: %s", c.amount, c.currency, r.Raw)
		}
	}
	var priced struct {
		SetSkillPrice struct {
			MemberSkill struct {
				Kind        string
				HourlyPrice *money
			}
		}
	}
	apitest.Must(t, mentor.C.Do(t, setPrice, priceVars(3000, "eur"))).Decode(t, &priced)
	if hp := priced.SetSkillPrice.MemberSkill.HourlyPrice; hp == nil || *hp != (money{3000, "EUR"}) {
		t.Fatalf("price set: %+v", priced)
	}

	// What a learner sees of the mentor: the price, and that they cannot be paid yet.
	mentorView := func() (accepts bool, price *money) {
		var out struct {
			Node struct {
				AcceptsPaidSessions bool
				OfferedSkills       []struct{ HourlyPrice *money }
			}
		}
		apitest.Must(t, learner.C.Do(t, `query($id: ID!) { node(id: $id) { ... on User {
			acceptsPaidSessions offeredSkills { hourlyPrice { amountMinor currency } } } } }`,
			map[string]any{"id": mentor.ID})).Decode(t, &out)
		if len(out.Node.OfferedSkills) != 1 {
			t.Fatalf("offered skills: %+v", out)
		}
		return out.Node.AcceptsPaidSessions, out.Node.OfferedSkills[0].HourlyPrice
	}
	if accepts, p := mentorView(); accepts || p == nil || p.AmountMinor != 3000 {
		t.Fatalf("before onboarding: accepts %v, price %+v", accepts, p)
	}
	start := api.Clock.Now().Add(72 * time.Hour).Truncate(time.Minute)
	if r := learner.C.Do(t, proposePaid, paidVars(api, mentor, learner, start, 90)); r.Code() != "CONFLICT" || r.Field() != "input.teacherId" {
		t.Fatalf("booking a mentor without payouts: %s", r.Raw)
	}

	// Onboarding: the link comes from Stripe; the account follows account.updated.
	var onboard struct {
		StartMentorOnboarding struct {
			URL     string
			Account struct{ PayoutsEnabled, ChargesEnabled bool }
		}
	}
	// Payout settings need a recent sign-in, like a password change.
	mentorUUID, _ := relay.ParseID(relay.KindUser, mentor.ID, "id")
	if _, err := api.Srv.App.Pool.Exec(ctx, `UPDATE auth_sessions SET authenticated_at = authenticated_at - interval '1 hour' WHERE user_id = $1`, mentorUUID); err != nil {
		t.Fatal(err)
	}
	if r := mentor.C.Do(t, `mutation { startMentorOnboarding { url } }`, nil); r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "RECENT_AUTH_REQUIRED" {
		t.Fatalf("onboarding with a stale sign-in: %s", r.Raw)
	}
	apitest.Must(t, mentor.C.Do(t, `mutation($p: String!) { reauthenticate(input: {password: $p}) { recentAuthUntil } }`, map[string]any{"p": apitest.StrongPassword}))
	apitest.Must(t, mentor.C.Do(t, `mutation { startMentorOnboarding { url account { payoutsEnabled chargesEnabled } } }`, nil)).Decode(t, &onboard)
	if onboard.StartMentorOnboarding.URL == "" || onboard.StartMentorOnboarding.Account.PayoutsEnabled {
		t.Fatalf("onboarding: %+v", onboard)
	}
	if r := learner.C.Do(t, `mutation { startMentorOnboarding { url } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("member onboarding: %s", r.Raw)
	}
	acct, err := api.Srv.App.Store.Q().MentorAccount(ctx, mentorUUID)
	if err != nil {
		t.Fatal(err)
	}
	hook(t, api, "evt_acct_1", "account.updated", map[string]any{"id": acct.StripeAccountID, "object": "account",
		"charges_enabled": true, "payouts_enabled": true, "details_submitted": true})
	eventually(t, "payouts enabled", func() bool { accepts, _ := mentorView(); return accepts })
	var own struct {
		Viewer struct {
			MentorAccount *struct{ PayoutsEnabled bool }
		}
	}
	apitest.Must(t, mentor.C.Do(t, `{ viewer { mentorAccount { payoutsEnabled } } }`, nil)).Decode(t, &own)
	if own.Viewer.MentorAccount == nil || !own.Viewer.MentorAccount.PayoutsEnabled {
		t.Fatalf("mentor's own account: %+v", own)
	}
	var other struct {
		Node struct {
			MentorAccount *struct{ PayoutsEnabled bool }
		}
	}
	apitest.Must(t, learner.C.Do(t, `query($id: ID!) { node(id: $id) { ... on User { mentorAccount { payoutsEnabled } } } }`,
		map[string]any{"id": mentor.ID})).Decode(t, &other)
	if other.Node.MentorAccount != nil {
		t.Fatal("a member reads another member's payout account")
	}

	// The booking horizon: a card authorisation would expire before the capture.
	if r := learner.C.Do(t, proposePaid, paidVars(api, mentor, learner, api.Clock.Now().Add(8*24*time.Hour), 60)); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.startsAt" {
		t.Fatalf("paid session beyond the horizon: %s", r.Raw)
	}

	// The learner proposes a paid session and gets the payment sheet's secret at once.
	var proposed struct {
		ProposeSession struct {
			Session struct {
				ID      string
				State   string
				Price   *money
				Payment *struct {
					ID, State    string
					ClientSecret *string
				}
			}
			ClientSecret *string
		}
	}
	apitest.Must(t, learner.C.Do(t, proposePaid, paidVars(api, mentor, learner, start, 90))).Decode(t, &proposed)
	ps := proposed.ProposeSession
	if ps.ClientSecret == nil || *ps.ClientSecret == "" || ps.Session.Price == nil || *ps.Session.Price != (money{4500, "EUR"}) ||
		ps.Session.Payment == nil || ps.Session.Payment.State != "REQUIRES_PAYMENT_METHOD" {
		t.Fatalf("paid proposal: %+v", ps)
	}
	sessionID := ps.Session.ID
	// Paid sessions cost no time credits.
	if b := api.Balance(t, learner); b.Committed != 0 {
		t.Fatalf("credits committed to a paid session: %+v", b)
	}

	_, lp := sessionPayment(t, learner, sessionID)
	if lp == nil || lp.ClientSecret == nil || *lp.ClientSecret != *ps.ClientSecret || lp.ViewerRole == nil || *lp.ViewerRole != "PAYER" ||
		lp.Amount != (money{4500, "EUR"}) || lp.PlatformFee != (money{450, "EUR"}) || lp.Captured.AmountMinor != 0 ||
		lp.Payer.ID != learner.ID || lp.Payee.ID != mentor.ID || lp.Session.ID != sessionID {
		t.Fatalf("learner's view of the payment: %+v", lp)
	}
	_, mp := sessionPayment(t, mentor, sessionID)
	if mp == nil || mp.ClientSecret != nil || mp.ViewerRole == nil || *mp.ViewerRole != "PAYEE" {
		t.Fatalf("mentor's view of the payment: %+v", mp)
	}
	// Outsiders: NOT_FOUND by id, null through node().
	if r := outsider.C.Do(t, `query($id: ID!) { payment(id: $id) { id } }`, map[string]any{"id": lp.ID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("outsider reads a payment: %s", r.Raw)
	}
	var node struct{ Node *struct{ ID string } }
	apitest.Must(t, outsider.C.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": lp.ID})).Decode(t, &node)
	if node.Node != nil {
		t.Fatal("outsider reads a payment through node()")
	}
	// payForSession resumes: the same PaymentIntent; the mentor does not pay.
	var again struct {
		PayForSession struct {
			ClientSecret string
			Payment      struct{ ID string }
		}
	}
	payFor := `mutation($in: PayForSessionInput!) { payForSession(input: $in) { clientSecret payment { id } } }`
	apitest.Must(t, learner.C.Do(t, payFor, map[string]any{"in": map[string]any{"sessionId": sessionID}})).Decode(t, &again)
	if again.PayForSession.ClientSecret != *ps.ClientSecret || again.PayForSession.Payment.ID != lp.ID {
		t.Fatalf("payForSession: %+v", again)
	}
	if r := mentor.C.Do(t, payFor, map[string]any{"in": map[string]any{"sessionId": sessionID}}); r.Code() != "FORBIDDEN" {
		t.Fatalf("mentor pays: %s", r.Raw)
	}
	// A paid session keeps its length.
	if r := api.Act(t, mentor, "proposeNewTime", sessionID, map[string]any{"startsAt": start.Add(time.Hour).Format(time.RFC3339), "durationMinutes": 60}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.durationMinutes" {
		t.Fatalf("changing a paid session's length: %s", r.Raw)
	}

	// Not confirmed before the authorisation...
	if r := api.Act(t, mentor, "acceptSession", sessionID, nil); r.Code() != "CONFLICT" {
		t.Fatalf("accepted before authorisation: %s", r.Raw)
	}
	sessUUID, _ := relay.ParseID(relay.KindSkillSession, sessionID, "id")
	pay, err := api.Srv.App.Store.Q().PaymentBySession(ctx, sessUUID)
	if err != nil {
		t.Fatal(err)
	}
	hook(t, api, "evt_auth_1", "payment_intent.amount_capturable_updated", intentObject(pay, "requires_capture"))
	eventually(t, "authorisation", func() bool { _, p := sessionPayment(t, learner, sessionID); return p.State == "AUTHORIZED" })
	// ... which every participant hears about, with a type the schema knows.
	var notes struct {
		Notifications struct {
			Edges []struct{ Node struct{ Type string } }
		}
	}
	apitest.Must(t, learner.C.Do(t, `{ notifications(first: 20) { edges { node { type } } } }`, nil)).Decode(t, &notes)
	found := false
	for _, e := range notes.Notifications.Edges {
		found = found || e.Node.Type == "PAYMENT_AUTHORIZED"
	}
	if !found {
		t.Fatalf("no PAYMENT_AUTHORIZED notification: %+v", notes)
	}
	if _, p := sessionPayment(t, learner, sessionID); p.ClientSecret != nil {
		t.Fatal("the client secret is still served after the authorisation")
	}
	if s := api.MustAct(t, mentor, "acceptSession", sessionID, nil); s.State != "CONFIRMED" {
		t.Fatalf("accepted: %+v", s)
	}

	// After the session, both confirm: the saga captures.
	api.Clock.Set(start.Add(2 * time.Hour))
	api.MustAct(t, learner, "confirmSessionCompleted", sessionID, nil)
	api.MustAct(t, mentor, "confirmSessionCompleted", sessionID, nil)
	eventually(t, "capture", func() bool { _, p := sessionPayment(t, learner, sessionID); return p.State == "CAPTURED" })
	_, cp := sessionPayment(t, mentor, sessionID)
	if cp.Captured.AmountMinor != 4500 || cp.Transferred.AmountMinor != 4050 || !reconciles(*cp) {
		t.Fatalf("captured payment: %+v", cp)
	}

	// Payment lists: each side sees theirs; others' are FORBIDDEN except to ADMINs.
	listQ := `query($id: ID!) { node(id: $id) { ... on User { payments(first: 10) { edges { node { id viewerRole } } pageInfo { hasNextPage } } } } }`
	type list struct {
		Node struct {
			Payments struct {
				Edges []struct {
					Node struct {
						ID         string
						ViewerRole *string
					}
				}
			}
		}
	}
	for _, c := range []struct {
		who  skillsessiontest.Member
		of   skillsessiontest.Member
		role *string
	}{{learner, learner, ptr("PAYER")}, {mentor, mentor, ptr("PAYEE")}, {admin, mentor, nil}} {
		var l list
		apitest.Must(t, c.who.C.Do(t, listQ, map[string]any{"id": c.of.ID})).Decode(t, &l)
		e := l.Node.Payments.Edges
		if len(e) != 1 || e[0].Node.ID != lp.ID || (c.role == nil) != (e[0].Node.ViewerRole == nil) ||
			(c.role != nil && *e[0].Node.ViewerRole != *c.role) {
			t.Errorf("%s lists %s's payments: %+v", c.who.Name, c.of.Name, l)
		}
	}
	if r := outsider.C.Do(t, listQ, map[string]any{"id": mentor.ID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("outsider lists the mentor's payments: %s", r.Raw)
	}

	// Refunds: ADMIN only, validated, idempotent by request id, audited, reconciled.
	refund := `mutation($in: RefundPaymentInput!) { refundPayment(input: $in) { payment { ` + paymentFields + ` } } }`
	requestID := uuid.NewString()
	in := func(amount any, reason, request string) map[string]any {
		return map[string]any{"in": map[string]any{"paymentId": lp.ID, "amountMinor": amount, "reason": reason, "requestId": request}}
	}
	if r := learner.C.Do(t, refund, in(1500, "asked nicely", requestID)); r.Code() != "FORBIDDEN" {
		t.Fatalf("member refunds: %s", r.Raw)
	}
	for _, c := range []struct {
		vars  map[string]any
		field string
	}{
		{in(1500, "goodwill", "not-a-uuid"), "input.requestId"},
		{in(0, "goodwill", requestID), "input.amountMinor"},
		{in(5000, "goodwill", requestID), "input.amountMinor"},
		{in(1500, "   ", requestID), "input.reason"},
	} {
		if r := admin.C.Do(t, refund, c.vars); r.Code() != "BAD_USER_INPUT" || r.Field() != c.field {
			t.Errorf("refund %v: %s", c.vars, r.Raw)
		}
	}
	var refunded struct {
		RefundPayment struct{ Payment apiPayment }
	}
	for range 2 { // a retry with the same request id refunds once
		apitest.Must(t, admin.C.Do(t, refund, in(1500, "the mentor ended 30 minutes early", requestID))).Decode(t, &refunded)
	}
	rp := refunded.RefundPayment.Payment
	if rp.State != "PARTIALLY_REFUNDED" || rp.Refunded.AmountMinor != 1500 || len(rp.Refunds) != 1 || !rp.Refunds[0].ByStaff ||
		rp.Refunds[0].Reason != "the mentor ended 30 minutes early" || rp.Refunds[0].Amount != (money{1500, "EUR"}) || !reconciles(rp) {
		t.Fatalf("after the refund: %+v", rp)
	}
	var audits int
	if err := api.Srv.App.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM admin_audit_log WHERE action = 'payment.refunded' AND target = $1`,
		"payment:"+pay.ID.String()).Scan(&audits); err != nil || audits != 1 {
		t.Fatalf("audit rows %d, %v", audits, err)
	}
	if _, p := sessionPayment(t, learner, sessionID); p.State != "PARTIALLY_REFUNDED" || p.Refunded.AmountMinor != 1500 {
		t.Fatalf("learner's view after the refund: %+v", p)
	}
}

func ptr[T any](v T) *T { return &v }

// TestPaidFeaturesWithoutStripeKey: without STRIPE_SECRET_KEY paid features answer
// SERVICE_UNAVAILABLE and nothing is written; unpaid sessions still work.
func TestPaidFeaturesWithoutStripeKey(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.StripeSecretKey = ""
	cfg.SessionCacheTTL = 0
	api := skillsessiontest.StartAPI(t, cfg, app.Options{})
	mentor, learner := api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, mentor.ID, domain.RoleMentor)
	if r := mentor.C.Do(t, `mutation { startMentorOnboarding { url } }`, nil); r.Code() != "SERVICE_UNAVAILABLE" {
		t.Fatalf("onboarding without a key: %s", r.Raw)
	}
	start := api.Clock.Now().Add(72 * time.Hour).Truncate(time.Minute)
	if r := learner.C.Do(t, proposePaid, paidVars(api, mentor, learner, start, 60)); r.Code() != "SERVICE_UNAVAILABLE" {
		t.Fatalf("paid proposal without a key: %s", r.Raw)
	}
	if s := api.Propose(t, learner, mentor, learner, start, 60); s.State != "PROPOSED" {
		t.Fatalf("unpaid proposal: %+v", s)
	}
	var up struct {
		UpcomingSessions struct {
			Edges []struct{ Node struct{ Price *money } }
		}
	}
	apitest.Must(t, learner.C.Do(t, `{ upcomingSessions(first: 10) { edges { node { price { amountMinor } } } } }`, nil)).Decode(t, &up)
	if len(up.UpcomingSessions.Edges) != 1 || up.UpcomingSessions.Edges[0].Node.Price != nil {
		t.Fatalf("sessions after a refused paid proposal: %+v", up)
	}
}

// confirmedPaidSession sets up, on a running server, a mentor (role, offer, price, an enabled
// account) and a learner, and a 90-minute paid session between them, authorised and confirmed
// 72 hours ahead. It returns the session's global id.
func confirmedPaidSession(t *testing.T, api *skillsessiontest.API, mentor, learner skillsessiontest.Member) string {
	t.Helper()
	ctx := context.Background()
	api.Srv.SetRoles(t, mentor.ID, domain.RoleMentor)
	apitest.Must(t, mentor.C.Do(t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { memberSkill { kind } } }`,
		map[string]any{"in": map[string]any{"skillId": api.Skill, "kind": "OFFER", "level": "EXPERT"}}))
	apitest.Must(t, mentor.C.Do(t, setPrice, map[string]any{"in": map[string]any{"skillId": api.Skill,
		"hourlyPrice": map[string]any{"amountMinor": 3000, "currency": "EUR"}}}))
	mentorUUID, _ := relay.ParseID(relay.KindUser, mentor.ID, "id")
	if _, err := api.Srv.App.Store.Pool().Exec(ctx, `INSERT INTO mentor_accounts (user_id, stripe_account_id, charges_enabled, payouts_enabled, details_submitted)
		VALUES ($1, 'acct_api_mentor', true, true, true)`, mentorUUID); err != nil {
		t.Fatal(err)
	}
	var proposed struct {
		ProposeSession struct{ Session struct{ ID string } }
	}
	start := api.Clock.Now().Add(72 * time.Hour).Truncate(time.Minute)
	apitest.Must(t, learner.C.Do(t, proposePaid, paidVars(api, mentor, learner, start, 90))).Decode(t, &proposed)
	id := proposed.ProposeSession.Session.ID
	sessUUID, _ := relay.ParseID(relay.KindSkillSession, id, "id")
	pay, err := api.Srv.App.Store.Q().PaymentBySession(ctx, sessUUID)
	if err != nil {
		t.Fatal(err)
	}
	hook(t, api, "evt_auth_"+id, "payment_intent.amount_capturable_updated", intentObject(pay, "requires_capture"))
	eventually(t, "authorisation", func() bool { _, p := sessionPayment(t, learner, id); return p.State == "AUTHORIZED" })
	api.MustAct(t, mentor, "acceptSession", id, nil)
	return id
}

type apiDispute struct {
	Status         string     `json:"status"`
	DecidesAt      time.Time  `json:"decidesAt"`
	ContestNote    *string    `json:"contestNote"`
	DecisionNote   *string    `json:"decisionNote"`
	DecidedAt      *time.Time `json:"decidedAt"`
	DecidedByStaff bool       `json:"decidedByStaff"`
	Absent         struct{ ID string }
	ReportedBy     struct{ ID string }
	Session        struct{ ID string }
}

const disputeFields = `status decidesAt contestNote decisionNote decidedAt decidedByStaff absent { id } reportedBy { id } session { id }`

// TestNoShowDisputeAPI: a learner reports their mentor absent; no money moves. The mentor
// contests, support lists the contested reports and rejects this one, and the payment is then
// captured: one member's word never refunds a payment by itself.
func TestNoShowDisputeAPI(t *testing.T) {
	t.Parallel()
	api := skillsessiontest.StartAPI(t, paidConfig(t), app.Options{})
	mentor, learner, support, outsider := api.Member(t), api.Member(t), api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, support.ID, domain.RoleSupport)
	id := confirmedPaidSession(t, api, mentor, learner)
	s := api.Get(t, learner, id)
	api.Clock.Set(s.StartsAt.Add(20 * time.Minute))
	api.MustAct(t, learner, "reportNoShow", id, nil)

	readDispute := func(m skillsessiontest.Member) *apiDispute {
		var out struct {
			SkillSession struct {
				State  string
				NoShow *struct{ Dispute *apiDispute }
			}
		}
		apitest.Must(t, m.C.Do(t, `query($id: ID!) { skillSession(id: $id) { state noShow { dispute { `+disputeFields+` } } } }`,
			map[string]any{"id": id})).Decode(t, &out)
		if out.SkillSession.NoShow == nil {
			t.Fatalf("no noShow on %+v", out)
		}
		return out.SkillSession.NoShow.Dispute
	}
	d := readDispute(mentor)
	if d == nil || d.Status != "PENDING" || d.Absent.ID != mentor.ID || d.ReportedBy.ID != learner.ID ||
		!d.DecidesAt.Equal(api.Clock.Now().Add(48*time.Hour)) || d.DecidedAt != nil {
		t.Fatalf("dispute after the report: %+v", d)
	}
	if _, p := sessionPayment(t, learner, id); p.State != "AUTHORIZED" {
		t.Fatalf("money moved on a report alone: %+v", p)
	}

	contest := `mutation($in: ContestNoShowInput!) { contestNoShow(input: $in) { dispute { ` + disputeFields + ` } } }`
	for _, c := range []struct {
		who  skillsessiontest.Member
		note string
		code string
	}{
		{learner, "I was there", "FORBIDDEN"},
		{outsider, "I was there", "NOT_FOUND"},
		{mentor, "   ", "BAD_USER_INPUT"},
	} {
		if r := c.who.C.Do(t, contest, map[string]any{"in": map[string]any{"sessionId": id, "note": c.note}}); r.Code() != c.code {
			t.Errorf("contest by %s with %q: %s", c.who.Name, c.note, r.Raw)
		}
	}
	var contested struct{ ContestNoShow struct{ Dispute apiDispute } }
	apitest.Must(t, mentor.C.Do(t, contest, map[string]any{"in": map[string]any{"sessionId": id, "note": "I waited 30 minutes on the link"}})).Decode(t, &contested)
	if d := contested.ContestNoShow.Dispute; d.Status != "CONTESTED" || d.ContestNote == nil || *d.ContestNote != "I waited 30 minutes on the link" {
		t.Fatalf("contested: %+v", d)
	}
	if r := mentor.C.Do(t, contest, map[string]any{"in": map[string]any{"sessionId": id, "note": "again"}}); r.Code() != "CONFLICT" {
		t.Fatalf("contesting twice: %s", r.Raw)
	}

	// Support's queue: the contested reports, oldest first; members cannot read it.
	queue := `{ noShowDisputes(status: CONTESTED, first: 10) { edges { node { ` + disputeFields + ` } } pageInfo { hasNextPage } } }`
	if r := learner.C.Do(t, queue, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("member reads the dispute queue: %s", r.Raw)
	}
	var q struct {
		NoShowDisputes struct{ Edges []struct{ Node apiDispute } }
	}
	apitest.Must(t, support.C.Do(t, queue, nil)).Decode(t, &q)
	if len(q.NoShowDisputes.Edges) != 1 || q.NoShowDisputes.Edges[0].Node.Session.ID != id {
		t.Fatalf("contested queue: %+v", q)
	}

	resolve := `mutation($in: ResolveNoShowInput!) { resolveNoShow(input: $in) { dispute { ` + disputeFields + ` } } }`
	decision := map[string]any{"in": map[string]any{"sessionId": id, "upheld": false, "note": "The call log shows the mentor joined on time."}}
	if r := learner.C.Do(t, resolve, decision); r.Code() != "FORBIDDEN" {
		t.Fatalf("member resolves: %s", r.Raw)
	}
	var resolved struct{ ResolveNoShow struct{ Dispute apiDispute } }
	apitest.Must(t, support.C.Do(t, resolve, decision)).Decode(t, &resolved)
	if d := resolved.ResolveNoShow.Dispute; d.Status != "REJECTED" || !d.DecidedByStaff || d.DecidedAt == nil || d.DecisionNote == nil {
		t.Fatalf("resolved: %+v", d)
	}
	if r := support.C.Do(t, resolve, decision); r.Code() != "CONFLICT" {
		t.Fatalf("deciding twice: %s", r.Raw)
	}
	// The session took place: the mentor is paid.
	eventually(t, "capture after the rejection", func() bool { _, p := sessionPayment(t, learner, id); return p.State == "CAPTURED" })
	var notes struct {
		Notifications struct {
			Edges []struct{ Node struct{ Type string } }
		}
	}
	apitest.Must(t, learner.C.Do(t, `{ notifications(first: 50) { edges { node { type } } } }`, nil)).Decode(t, &notes)
	types := map[string]bool{}
	for _, e := range notes.Notifications.Edges {
		types[e.Node.Type] = true
	}
	if !types["NO_SHOW_CONTESTED"] || !types["NO_SHOW_DECIDED"] || !types["PAYMENT_CAPTURED"] {
		t.Fatalf("learner's notifications: %v", types)
	}
	if r := outsider.C.Do(t, `query($id: ID!) { skillSession(id: $id) { noShow { dispute { status } } } }`, map[string]any{"id": id}); r.Code() != "NOT_FOUND" {
		t.Fatalf("an outsider reads the session's dispute: %s", r.Raw)
	}
}
