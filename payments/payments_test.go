package payments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/internal/stripefault"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/payments"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/skillsessions"
	"github.com/skillswap/skillswap/store"
)

const webhookSecret = "whsec_test_secret"

// recorder is the fault-injecting transport in front of stripe-mock; it records every request.
type recorder = stripefault.Transport

// stripeMock returns a Stripe client talking to stripe-mock through a recorder.
func stripeMock(t testing.TB) (payments.Stripe, *recorder) {
	t.Helper()
	base := os.Getenv("STRIPE_API_BASE")
	if base == "" {
		if testdb.RequireServices() {
			t.Fatal("STRIPE_API_BASE is not set (stripe-mock)")
		}
		t.Skip("STRIPE_API_BASE is not set (run `make test` to bring stripe-mock up)")
	}
	key := os.Getenv("STRIPE_SECRET_KEY")
	if key == "" {
		key = "sk_test_123"
	}
	rec := stripefault.New(nil)
	// No retries inside stripe-go: an injected failure reaches the saga, whose retry (a River
	// job) must send the same idempotency key.
	return payments.NewStripe(payments.StripeConfig{
		SecretKey: key, APIBase: base, HTTPClient: &http.Client{Transport: rec, Timeout: 10 * time.Second}, MaxNetworkRetries: -1,
	}), rec
}

func TestStripeClientRequestShapes(t *testing.T) {
	t.Parallel()
	sc, rec := stripeMock(t)
	ctx := context.Background()
	pid := uuid.New()
	key := payments.IdempotencyKey(pid, payments.StepCreateIntent)
	in := payments.IntentParams{AmountMinor: 4500, Currency: "EUR", FeeMinor: 450, Destination: "acct_123",
		Metadata: map[string]string{"payment_id": pid.String()}}
	pi, err := sc.CreatePaymentIntent(ctx, in, key)
	if err != nil {
		t.Fatal(err)
	}
	if pi.ID == "" || pi.ClientSecret == "" {
		t.Fatalf("intent %+v", pi)
	}
	// A retry sends the very same key.
	if _, err := sc.CreatePaymentIntent(ctx, in, key); err != nil {
		t.Fatal(err)
	}
	creates := rec.Posts("/v1/payment_intents")
	if len(creates) != 2 || creates[0].IdempotencyKey != key || creates[1].IdempotencyKey != key {
		t.Fatalf("create requests %+v, want two with key %s", creates, key)
	}
	f := creates[0].Form
	for k, want := range map[string]string{
		"amount": "4500", "currency": "eur", "capture_method": "manual", "application_fee_amount": "450",
		"transfer_data[destination]": "acct_123", "metadata[payment_id]": pid.String(),
	} {
		if got := f.Get(k); got != want {
			t.Errorf("form %s = %q, want %q", k, got, want)
		}
	}

	capKey := payments.IdempotencyKey(pid, payments.StepCapture)
	if _, err := sc.CapturePaymentIntent(ctx, pi.ID, capKey); err != nil {
		t.Fatal(err)
	}
	if c := rec.Posts("/v1/payment_intents/" + pi.ID + "/capture"); len(c) != 1 || c[0].IdempotencyKey != capKey {
		t.Fatalf("capture requests %+v", c)
	}
	cancelKey := payments.IdempotencyKey(pid, payments.StepCancel)
	if _, err := sc.CancelPaymentIntent(ctx, pi.ID, cancelKey); err != nil {
		t.Fatal(err)
	}
	if c := rec.Posts("/v1/payment_intents/" + pi.ID + "/cancel"); len(c) != 1 || c[0].IdempotencyKey != cancelKey {
		t.Fatalf("cancel requests %+v", c)
	}
	refKey := payments.IdempotencyKey(pid, payments.StepRefundNoShow)
	if _, err := sc.Refund(ctx, pi.ID, 1000, map[string]string{payments.MetaPaymentID: pid.String()}, refKey); err != nil {
		t.Fatal(err)
	}
	r := rec.Posts("/v1/refunds")
	if len(r) != 1 || r[0].IdempotencyKey != refKey || r[0].Form.Get("payment_intent") != pi.ID ||
		r[0].Form.Get("amount") != "1000" || r[0].Form.Get("refund_application_fee") != "true" || r[0].Form.Get("reverse_transfer") != "true" ||
		r[0].Form.Get("metadata[skillswap_payment_id]") != pid.String() {
		t.Fatalf("refund requests %+v", r)
	}
	acct, err := sc.CreateAccount(ctx, "mentor@example.com", "acct-key")
	if err != nil || acct == "" {
		t.Fatalf("create account: %q %v", acct, err)
	}
	a := rec.Posts("/v1/accounts")
	if len(a) != 1 || a[0].Form.Get("type") != "express" || a[0].IdempotencyKey != "acct-key" {
		t.Fatalf("account requests %+v", a)
	}
	link, err := sc.CreateAccountLink(ctx, acct, "https://x/refresh", "https://x/return", "link-key")
	if err != nil || link == "" {
		t.Fatalf("account link: %q %v", link, err)
	}
	l := rec.Posts("/v1/account_links")
	if len(l) != 1 || l[0].Form.Get("type") != "account_onboarding" || l[0].Form.Get("account") != acct || l[0].IdempotencyKey != "link-key" {
		t.Fatalf("account link requests %+v", l)
	}
}

// env is a paid-mentoring test environment: sessions fixtures, a mentor with a price and an
// enabled connected account, a learner, the service over stripe-mock and the webhook handler.
type env struct {
	*skillsessiontest.Env
	svc     *payments.Service
	hook    *payments.WebhookHandler
	rec     *recorder
	mentor  domain.User
	learner domain.User
}

func newEnv(t testing.TB) *env {
	t.Helper()
	sc, rec := stripeMock(t)
	e := skillsessiontest.New(t)
	return setup(t, e, sc, rec)
}

func setup(t testing.TB, e *skillsessiontest.Env, sc payments.Stripe, rec *recorder) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	x := &env{Env: e, rec: rec}
	// Every payments test ends with the money checks (after the ledger's, registered earlier).
	t.Cleanup(func() { assertPaymentsReconcile(t, e.Store) })
	x.svc = payments.NewService(e.Store, sc, e.Notifier, payments.Config{FeePercent: 10, PublicURL: "http://localhost:8080", Now: e.Clock.Now}, log)
	x.hook = payments.NewWebhookHandler(e.Store, webhookSecret, log)
	x.mentor = e.User(t, "Mentor")
	x.learner = e.User(t, "Learner")
	var err error
	if x.mentor, err = e.Store.Q().SetUserRoles(ctx, x.mentor.ID, []domain.Role{domain.RoleMember, domain.RoleMentor}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Pool().Exec(ctx, `INSERT INTO member_skills (user_id, skill_id, kind, level) VALUES ($1, $2, 'OFFER', 'EXPERT')`,
		x.mentor.ID, e.SkillID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Pool().Exec(ctx, `INSERT INTO mentor_accounts (user_id, stripe_account_id, charges_enabled, payouts_enabled, details_submitted)
		VALUES ($1, 'acct_mentor', true, true, true)`, x.mentor.ID); err != nil {
		t.Fatal(err)
	}
	// 30.00 EUR an hour.
	if _, err := x.svc.SetPrice(context.Background(), skillsessiontest.As(x.mentor), e.SkillID, 3000, "eur"); err != nil {
		t.Fatal(err)
	}
	return x
}

// assertPaymentsReconcile checks every payment in st: captured - refunded - fee = transferred
// (once money moved), the refunded amount is the sum of its SUCCEEDED refunds, and refunded plus
// PENDING refunds never exceed what was captured.
func assertPaymentsReconcile(t testing.TB, st *store.Store) {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), `
		SELECT p.id::text, p.captured_minor, p.refunded_minor, p.fee_minor, p.transferred_minor,
			coalesce(sum(r.amount_minor) FILTER (WHERE r.status = 'SUCCEEDED'), 0),
			coalesce(sum(r.amount_minor) FILTER (WHERE r.status = 'PENDING'), 0)
		FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id GROUP BY p.id`)
	if err != nil {
		t.Fatalf("payments check: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var captured, refunded, fee, transferred, succeeded, pending int64
		if err := rows.Scan(&id, &captured, &refunded, &fee, &transferred, &succeeded, &pending); err != nil {
			t.Fatalf("payments check: %v", err)
		}
		moved := captured != 0 || refunded != 0 || transferred != 0
		if moved && captured-refunded-fee != transferred {
			t.Errorf("payment %s: captured %d - refunded %d - fee %d != transferred %d", id, captured, refunded, fee, transferred)
		}
		if succeeded != refunded {
			t.Errorf("payment %s: refunded %d, but its succeeded refunds sum to %d", id, refunded, succeeded)
		}
		if refunded+pending > captured {
			t.Errorf("payment %s: refunded %d + pending %d > captured %d", id, refunded, pending, captured)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("payments check: %v", err)
	}
}

// paid proposes a 90-minute session and starts its payment.
func (x *env) paid(t *testing.T) (domain.SkillSession, payments.PaidStart) {
	t.Helper()
	s := x.Propose(t, x.mentor, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90)
	ps, err := x.svc.StartPayment(context.Background(), skillsessiontest.As(x.learner), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s, ps
}

func (x *env) payment(t testing.TB, id uuid.UUID) domain.Payment {
	t.Helper()
	p, err := x.Store.Q().PaymentByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Reconciles() {
		t.Fatalf("payment does not reconcile: captured %d - refunded %d - fee %d != transferred %d",
			p.CapturedMinor, p.RefundedMinor, p.FeeMinor, p.TransferredMinor)
	}
	return p
}

// event builds a signed webhook request for a PaymentIntent event.
func event(t testing.TB, id, typ string, object map[string]any, at time.Time, secret string) *http.Request {
	t.Helper()
	return eventAt(t, id, typ, object, at, at, secret)
}

// eventAt is event with distinct creation and signature times.
func eventAt(t testing.TB, id, typ string, object map[string]any, created, at time.Time, secret string) *http.Request {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "created": created.Unix(), "api_version": "2023-10-16",
		"data": map[string]any{"object": object},
	})
	if err != nil {
		t.Fatal(err)
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at})
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
	req.Header.Set("Stripe-Signature", sp.Header)
	return req
}

func intentObject(p domain.Payment, status string) map[string]any {
	o := map[string]any{"id": *p.StripePaymentIntentID, "object": "payment_intent", "status": status,
		"amount": p.AmountMinor, "currency": strings.ToLower(p.Currency)}
	switch status {
	case "requires_capture":
		o["amount_capturable"] = p.AmountMinor
	case "succeeded":
		o["amount_received"] = p.AmountMinor
	case "requires_payment_method":
		o["last_payment_error"] = map[string]any{"message": "Your card was declined.", "type": "card_error"}
	}
	return o
}

// post sends a webhook to the handler and returns the status.
func (x *env) post(req *http.Request) int {
	w := httptest.NewRecorder()
	x.hook.ServeHTTP(w, req)
	return w.Code
}

// drain runs every queued stripe_event job twice (a job may run more than once) and removes it.
func (x *env) drain(t testing.TB) {
	t.Helper()
	for _, j := range x.Jobs(t, "stripe_event") {
		var a payments.EventArgs
		if err := json.Unmarshal(j.Args, &a); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := x.svc.ApplyEvent(context.Background(), a); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := x.Store.Pool().Exec(context.Background(), `DELETE FROM river_job WHERE id = $1`, j.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func (x *env) countRows(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := x.Store.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSetPriceRules(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	if _, err := x.svc.SetPrice(context.Background(), skillsessiontest.As(x.learner), x.SkillID, 1000, "EUR"); !domain.IsKind(err, domain.KindForbidden) {
		t.Fatalf("member sets a price: %v", err)
	}
	for _, c := range []struct {
		amount   int64
		currency string
		field    string
	}{{1000, "EURO", "currency"}, {1000, "e1r", "currency"}, {0, "EUR", "amountMinor"}, {-5, "EUR", "amountMinor"}} {
		_, err := x.svc.SetPrice(context.Background(), skillsessiontest.As(x.mentor), x.SkillID, c.amount, c.currency)
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Field != c.field {
			t.Errorf("SetPrice(%d, %q) = %v, want BAD_USER_INPUT on %s", c.amount, c.currency, err, c.field)
		}
	}
	p, err := x.svc.SetPrice(context.Background(), skillsessiontest.As(x.mentor), x.SkillID, 4000, "usd")
	if err != nil || p.AmountMinor != 4000 || p.Currency != "USD" {
		t.Fatalf("SetPrice = %+v, %v", p, err)
	}
}

func TestWithoutStripeKeyPaidFeaturesAreUnavailable(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	svc := payments.NewService(e.Store, nil, nil, payments.Config{}, slog.New(slog.DiscardHandler))
	mentor := e.User(t, "Mentor")
	mentor.Roles = []domain.Role{domain.RoleMember, domain.RoleMentor}
	if _, err := svc.StartMentorOnboarding(context.Background(), skillsessiontest.As(mentor)); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("onboarding without key: %v", err)
	}
	if _, err := svc.StartPayment(context.Background(), skillsessiontest.As(mentor), uuid.New()); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("payment without key: %v", err)
	}
}

func TestStartPaymentCreatesIntent(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	s, ps := x.paid(t)
	if ps.ClientSecret == "" {
		t.Fatal("no client secret")
	}
	p := x.payment(t, ps.Payment.ID)
	// 30.00/h x 90 min = 45.00; 10% fee.
	if p.AmountMinor != 4500 || p.FeeMinor != 450 || p.Currency != "EUR" || p.State != domain.PaymentRequiresPaymentMethod ||
		p.PayerID != x.learner.ID || p.PayeeID != x.mentor.ID || p.StripePaymentIntentID == nil {
		t.Fatalf("payment %+v", p)
	}
	creates := x.rec.Posts("/v1/payment_intents")
	if len(creates) != 1 || creates[0].IdempotencyKey != payments.IdempotencyKey(p.ID, payments.StepCreateIntent) ||
		creates[0].Form.Get("transfer_data[destination]") != "acct_mentor" || creates[0].Form.Get("application_fee_amount") != "450" {
		t.Fatalf("create requests %+v", creates)
	}
	// Asking again resumes: same payment, no second intent.
	again, err := x.svc.StartPayment(context.Background(), skillsessiontest.As(x.learner), s.ID)
	if err != nil || again.Payment.ID != p.ID || again.ClientSecret != ps.ClientSecret || len(x.rec.Posts("/v1/payment_intents")) != 1 {
		t.Fatalf("second start: %+v %v", again, err)
	}
	if _, err := x.svc.StartPayment(context.Background(), skillsessiontest.As(x.mentor), s.ID); !domain.IsKind(err, domain.KindForbidden) {
		t.Fatalf("mentor pays: %v", err)
	}
	sess, err := x.SkillSessions.Session(context.Background(), skillsessiontest.As(x.learner), s.ID)
	if err != nil || sess.PriceAmount == nil || *sess.PriceAmount != 4500 || *sess.PriceCurrency != "EUR" {
		t.Fatalf("session price: %+v %v", sess, err)
	}
}

func TestMentorWithoutPayoutsCannotBeBooked(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	if _, err := x.Store.Pool().Exec(context.Background(), `UPDATE mentor_accounts SET payouts_enabled = false`); err != nil {
		t.Fatal(err)
	}
	s := x.Propose(t, x.mentor, x.learner, skillsessiontest.Start.Add(72*time.Hour), 60)
	if _, err := x.svc.StartPayment(context.Background(), skillsessiontest.As(x.learner), s.ID); !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("booking a mentor without payouts: %v", err)
	}
}

func TestWebhookAuthorisedThenCaptured(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	_, ps := x.paid(t)
	p := ps.Payment
	now := time.Now()
	req := event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), now, webhookSecret)
	if code := x.post(req); code != http.StatusOK {
		t.Fatalf("webhook status %d", code)
	}
	// Redelivered: acknowledged, not queued again.
	if code := x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), now, webhookSecret)); code != http.StatusOK {
		t.Fatalf("duplicate webhook status %d", code)
	}
	if n := len(x.Jobs(t, "stripe_event")); n != 1 {
		t.Fatalf("%d event jobs queued, want 1", n)
	}
	x.drain(t)
	if got := x.payment(t, p.ID).State; got != domain.PaymentAuthorized {
		t.Fatalf("state %s after authorisation", got)
	}
	if n := len(x.Notifier.Of(string(domain.NotificationPaymentAuthorized))); n != 2 {
		t.Fatalf("%d PAYMENT_AUTHORIZED notifications, want one per participant", n)
	}

	// Capture step, run twice (a crash after it finished): one capture request, one effect.
	for range 2 {
		if err := x.svc.RunStep(context.Background(), p.ID, payments.StepCapture); err != nil {
			t.Fatal(err)
		}
	}
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentCaptured || got.CapturedMinor != 4500 || got.TransferredMinor != 4050 || got.FeeMinor != 450 {
		t.Fatalf("after capture %+v", got)
	}
	caps := x.rec.Posts("/v1/payment_intents/" + *p.StripePaymentIntentID + "/capture")
	if len(caps) != 1 || caps[0].IdempotencyKey != payments.IdempotencyKey(p.ID, payments.StepCapture) {
		t.Fatalf("capture requests %+v", caps)
	}
	// The succeeded webhook then changes nothing.
	x.post(event(t, "evt_succ", "payment_intent.succeeded", intentObject(p, "succeeded"), time.Now(), webhookSecret))
	x.drain(t)
	if n := len(x.Notifier.Of(string(domain.NotificationPaymentCaptured))); n != 2 {
		t.Fatalf("%d PAYMENT_CAPTURED notifications, want 2", n)
	}
	if n := x.countRows(t, `SELECT count(*) FROM stripe_events WHERE processed_at IS NOT NULL`); n != 2 {
		t.Fatalf("%d processed events, want 2", n)
	}
}

func TestWebhookFailedAndCanceled(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	_, ps := x.paid(t)
	p := ps.Payment
	x.post(event(t, "evt_fail", "payment_intent.payment_failed", intentObject(p, "requires_payment_method"), time.Now(), webhookSecret))
	x.drain(t)
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentFailed || got.FailureReason == nil || *got.FailureReason != "Your card was declined." {
		t.Fatalf("after failure %+v", got)
	}
	x.post(event(t, "evt_cancel", "payment_intent.canceled", intentObject(p, "canceled"), time.Now(), webhookSecret))
	x.drain(t)
	if got := x.payment(t, p.ID).State; got != domain.PaymentCanceled {
		t.Fatalf("state %s after cancel", got)
	}
	// A late authorisation cannot revive a canceled payment.
	x.post(event(t, "evt_late", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
	x.drain(t)
	if got := x.payment(t, p.ID).State; got != domain.PaymentCanceled {
		t.Fatalf("state %s after a late authorisation", got)
	}
	if n := len(x.Notifier.Of(string(domain.NotificationPaymentFailed))); n != 2 {
		t.Fatalf("%d PAYMENT_FAILED notifications", n)
	}
}

func TestWebhookReversedOrderNeverMovesBackwards(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	_, ps := x.paid(t)
	p := ps.Payment
	now := time.Now()
	// Stripe may deliver succeeded before amount_capturable_updated.
	x.post(event(t, "evt_2", "payment_intent.succeeded", intentObject(p, "succeeded"), now, webhookSecret))
	x.post(event(t, "evt_1", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), now.Add(-time.Second), webhookSecret))
	x.post(event(t, "evt_0", "payment_intent.payment_failed", intentObject(p, "requires_payment_method"), now.Add(-2*time.Second), webhookSecret))
	x.drain(t)
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentCaptured || got.CapturedMinor != 4500 || got.TransferredMinor != 4050 {
		t.Fatalf("after reversed events %+v", got)
	}
}

func TestWebhookBadOrStaleSignatureChangesNothing(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	_, ps := x.paid(t)
	p := ps.Payment
	obj := intentObject(p, "requires_capture")
	cases := map[string]*http.Request{
		"wrong secret": event(t, "evt_bad", "payment_intent.amount_capturable_updated", obj, time.Now(), "whsec_other"),
		"stale":        event(t, "evt_old", "payment_intent.amount_capturable_updated", obj, time.Now().Add(-10*time.Minute), webhookSecret),
	}
	tampered := event(t, "evt_tamper", "payment_intent.amount_capturable_updated", obj, time.Now(), webhookSecret)
	body, _ := io.ReadAll(tampered.Body)
	tampered.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("4500"), []byte("4501"), 1)))
	cases["tampered body"] = tampered
	unsigned := event(t, "evt_unsigned", "payment_intent.amount_capturable_updated", obj, time.Now(), webhookSecret)
	unsigned.Header.Del("Stripe-Signature")
	cases["no signature"] = unsigned
	for name, req := range cases {
		if code := x.post(req); code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", name, code)
		}
	}
	if n := x.countRows(t, `SELECT count(*) FROM stripe_events`); n != 0 {
		t.Fatalf("%d events recorded from bad requests", n)
	}
	if n := len(x.Jobs(t, "stripe_event")); n != 0 {
		t.Fatalf("%d jobs queued from bad requests", n)
	}
	if got := x.payment(t, p.ID).State; got != domain.PaymentRequiresPaymentMethod {
		t.Fatalf("state %s", got)
	}
}

// crashAfterCall makes the Stripe calls of one kind succeed but then reports a failure, as
// if the process died between Stripe's answer and our commit.
type crashAfterCall struct {
	payments.Stripe
	crashes int
}

func (c *crashAfterCall) Refund(ctx context.Context, intentID string, amount int64, metadata map[string]string, key string) (string, error) {
	id, err := c.Stripe.Refund(ctx, intentID, amount, metadata, key)
	if err == nil && c.crashes > 0 {
		c.crashes--
		return "", fmt.Errorf("simulated crash after the refund call")
	}
	return id, err
}

func TestCrashBetweenStepsResumesWithoutDoubleEffect(t *testing.T) {
	t.Parallel()
	sc, rec := stripeMock(t)
	crash := &crashAfterCall{Stripe: sc, crashes: 1}
	x := setup(t, skillsessiontest.New(t), crash, rec)
	_, ps := x.paid(t)
	p := ps.Payment
	x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
	x.drain(t)
	ctx := context.Background()
	if err := x.svc.RunStep(ctx, p.ID, payments.StepCapture); err != nil {
		t.Fatal(err)
	}
	// The mentor did not show up: refund in full. The first run crashes after Stripe refunded.
	if err := x.svc.RunStep(ctx, p.ID, payments.StepRefundNoShow); err == nil {
		t.Fatal("the simulated crash did not surface")
	}
	if got := x.payment(t, p.ID); got.State != domain.PaymentCaptured || got.RefundedMinor != 0 {
		t.Fatalf("after the crash %+v", got)
	}
	// River retries the job; a third run finds it done.
	for range 2 {
		if err := x.svc.RunStep(ctx, p.ID, payments.StepRefundNoShow); err != nil {
			t.Fatal(err)
		}
	}
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentRefunded || got.RefundedMinor != 4500 || got.FeeMinor != 0 || got.TransferredMinor != 0 {
		t.Fatalf("after the refund %+v", got)
	}
	refunds := rec.Posts("/v1/refunds")
	key := payments.IdempotencyKey(p.ID, payments.StepRefundNoShow)
	if len(refunds) != 2 || refunds[0].IdempotencyKey != key || refunds[1].IdempotencyKey != key {
		t.Fatalf("refund requests %+v: want the crashed call and its retry, with one key", refunds)
	}
	if n := x.countRows(t, `SELECT count(*) FROM refunds WHERE payment_id = $1`, p.ID); n != 1 {
		t.Fatalf("%d refund rows, want 1", n)
	}
	steps, err := x.Store.Q().PaymentSteps(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if s.Status != store.StepDone {
			t.Errorf("step %s is %s", s.Step, s.Status)
		}
	}
}

func TestCancellationPolicy(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	s, ps := x.paid(t)
	p := ps.Payment
	x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
	x.drain(t)
	if _, err := x.SkillSessions.Cancel(context.Background(), skillsessiontest.As(x.learner), s.ID, "cannot make it"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sess, err := x.SkillSessions.Session(context.Background(), skillsessiontest.As(x.learner), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Store.InTx(ctx, func(q *store.Queries) error { return x.svc.OnSessionChanged(ctx, q, sess) }); err != nil {
		t.Fatal(err)
	}
	jobs := x.Jobs(t, "payment_step")
	if len(jobs) != 1 || !strings.Contains(string(jobs[0].Args), payments.StepCancel) {
		t.Fatalf("queued steps %+v", jobs)
	}
	// An authorised, uncaptured payment is released: cancel, nothing charged.
	if err := x.svc.RunStep(ctx, p.ID, payments.StepCancel); err != nil {
		t.Fatal(err)
	}
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentCanceled || got.CapturedMinor != 0 {
		t.Fatalf("after cancellation %+v", got)
	}
	if c := x.rec.Posts("/v1/payment_intents/" + *p.StripePaymentIntentID + "/cancel"); len(c) != 1 {
		t.Fatalf("cancel requests %+v", c)
	}
}

func TestAccountUpdatedFollowsNewestEvent(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	now := time.Now()
	acct := func(enabled bool) map[string]any {
		return map[string]any{"id": "acct_mentor", "object": "account", "charges_enabled": enabled, "payouts_enabled": enabled, "details_submitted": true}
	}
	x.post(event(t, "evt_new", "account.updated", acct(false), now, webhookSecret))
	x.post(event(t, "evt_old", "account.updated", acct(true), now.Add(-time.Minute), webhookSecret))
	x.drain(t)
	a, err := x.Store.Q().MentorAccount(context.Background(), x.mentor.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.PayoutsEnabled || a.ChargesEnabled {
		t.Fatalf("an older account.updated overrode a newer one: %+v", a)
	}
}

func TestStartMentorOnboarding(t *testing.T) {
	t.Parallel()
	sc, rec := stripeMock(t)
	e := skillsessiontest.New(t)
	svc := payments.NewService(e.Store, sc, nil, payments.Config{PublicURL: "http://localhost:8080"}, slog.New(slog.DiscardHandler))
	m := e.User(t, "Mentor")
	if _, err := svc.StartMentorOnboarding(context.Background(), skillsessiontest.As(m)); !domain.IsKind(err, domain.KindForbidden) {
		t.Fatalf("member onboards: %v", err)
	}
	m.Roles = []domain.Role{domain.RoleMember, domain.RoleMentor}
	for range 2 {
		link, err := svc.StartMentorOnboarding(context.Background(), skillsessiontest.As(m))
		if err != nil || link == "" {
			t.Fatalf("onboarding: %q %v", link, err)
		}
	}
	if n := len(rec.Posts("/v1/accounts")); n != 1 {
		t.Fatalf("%d accounts created, want 1 (reused)", n)
	}
	if n := len(rec.Posts("/v1/account_links")); n != 2 {
		t.Fatalf("%d account links, want 2", n)
	}
}

// Wired through sessions.Config.OnChange, a paid session is confirmed only once authorised, a
// paid session that completes queues its capture, and the capture job runs.
func TestCompletedPaidSessionQueuesCapture(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	x.wireSessions(t)
	s, ps := x.paid(t)
	p := ps.Payment
	if _, err := x.SkillSessions.Accept(context.Background(), skillsessiontest.As(x.mentor), s.ID); !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("accepting before the payment is authorised: %v", err)
	}
	x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
	x.drain(t)
	if _, err := x.SkillSessions.Accept(context.Background(), skillsessiontest.As(x.mentor), s.ID); err != nil {
		t.Fatal(err)
	}
	if n := len(x.Jobs(t, "payment_step")); n != 0 {
		t.Fatalf("%d steps queued on acceptance", n)
	}
	x.Clock.Set(s.EndsAt.Add(time.Minute))
	for _, u := range []domain.User{x.mentor, x.learner} {
		if _, err := x.SkillSessions.ConfirmCompleted(context.Background(), skillsessiontest.As(u), s.ID); err != nil {
			t.Fatal(err)
		}
	}
	jobs := x.Jobs(t, "payment_step")
	if len(jobs) != 1 {
		t.Fatalf("%d steps queued on completion, want 1", len(jobs))
	}
	var a payments.StepArgs
	if err := json.Unmarshal(jobs[0].Args, &a); err != nil || a.Step != payments.StepCapture || a.PaymentID != p.ID {
		t.Fatalf("queued %+v %v", a, err)
	}
	if err := x.svc.RunStep(context.Background(), a.PaymentID, a.Step); err != nil {
		t.Fatal(err)
	}
	if got := x.payment(t, p.ID); got.State != domain.PaymentCaptured || got.TransferredMinor != 4050 {
		t.Fatalf("after capture %+v", got)
	}
}

func TestAdminRefundIsAuditedAndIdempotent(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	_, ps := x.paid(t)
	p := ps.Payment
	x.post(event(t, "evt_succ", "payment_intent.succeeded", intentObject(p, "succeeded"), time.Now(), webhookSecret))
	x.drain(t)
	admin := x.User(t, "Admin")
	admin.Roles = []domain.Role{domain.RoleMember, domain.RoleAdmin}
	in := payments.RefundInput{PaymentID: p.ID, AmountMinor: 1500, Reason: "session cut short", RequestID: uuid.New()}
	if _, err := x.svc.RefundPayment(context.Background(), skillsessiontest.As(x.learner), in); !domain.IsKind(err, domain.KindForbidden) {
		t.Fatalf("member refunds: %v", err)
	}
	for range 2 {
		if _, err := x.svc.RefundPayment(context.Background(), skillsessiontest.As(admin), in); err != nil {
			t.Fatal(err)
		}
	}
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentPartiallyRefunded || got.RefundedMinor != 1500 || got.FeeMinor != 300 || got.TransferredMinor != 2700 {
		t.Fatalf("after a partial refund %+v", got)
	}
	if n := len(x.rec.Posts("/v1/refunds")); n != 1 {
		t.Fatalf("%d refund requests, want 1", n)
	}
	if _, err := x.svc.RefundPayment(context.Background(), skillsessiontest.As(admin), payments.RefundInput{PaymentID: p.ID, AmountMinor: 5000, Reason: "x", RequestID: uuid.New()}); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("refund above what is left: %v", err)
	}
	// The rest.
	if _, err := x.svc.RefundPayment(context.Background(), skillsessiontest.As(admin), payments.RefundInput{PaymentID: p.ID, Reason: "goodwill", RequestID: uuid.New()}); err != nil {
		t.Fatal(err)
	}
	got = x.payment(t, p.ID)
	if got.State != domain.PaymentRefunded || got.RefundedMinor != 4500 || got.FeeMinor != 0 || got.TransferredMinor != 0 {
		t.Fatalf("after the full refund %+v", got)
	}
	if n := x.countRows(t, `SELECT count(*) FROM admin_audit_log WHERE actor_id = $1 AND target = $2 AND action = 'payment.refunded'`, admin.ID, "payment:"+p.ID.String()); n != 2 {
		t.Fatalf("%d audit entries of refunds, want 2", n)
	}
	if n := x.countRows(t, `SELECT count(*) FROM refunds WHERE payment_id = $1 AND created_by IS NOT NULL`, p.ID); n != 2 {
		t.Fatalf("%d refund rows", n)
	}
}

// wireSessions connects sessions and payments as the app does.
func (x *env) wireSessions(t *testing.T) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	x.SkillSessions = skillsessions.NewService(x.Store, x.Credits, x.Notifier, skillsessions.Config{Now: x.Clock.Now,
		OnChange: func(ctx context.Context, q *store.Queries, s domain.SkillSession) error {
			return x.svc.OnSessionChanged(ctx, q, s)
		}}, log)
	x.svc = payments.NewService(x.Store, x.svc.Stripe(), x.Notifier, payments.Config{FeePercent: 10, Now: x.Clock.Now, SkillSessions: x.SkillSessions}, log)
}

// An authorisation Stripe cancels (it expired) cancels the confirmed session and releases its
// booking.
func TestExpiredAuthorisationReleasesTheSlot(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	x.wireSessions(t)
	s, ps := x.paid(t)
	p := ps.Payment
	x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
	x.drain(t)
	if _, err := x.SkillSessions.Accept(context.Background(), skillsessiontest.As(x.mentor), s.ID); err != nil {
		t.Fatal(err)
	}
	if n := x.countRows(t, `SELECT count(*) FROM session_bookings WHERE session_id = $1`, s.ID); n != 2 {
		t.Fatalf("%d bookings after acceptance", n)
	}
	x.post(event(t, "evt_cancel", "payment_intent.canceled", intentObject(p, "canceled"), time.Now(), webhookSecret))
	x.drain(t)
	sess, err := x.SkillSessions.Session(context.Background(), skillsessiontest.As(x.learner), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sess.State != domain.SessionCancelled || sess.LateCancellation {
		t.Fatalf("session %s (late %v) after the authorisation expired", sess.State, sess.LateCancellation)
	}
	if n := x.countRows(t, `SELECT count(*) FROM session_bookings WHERE session_id = $1`, s.ID); n != 0 {
		t.Fatalf("%d bookings left", n)
	}
	if got := x.payment(t, p.ID).State; got != domain.PaymentCanceled {
		t.Fatalf("payment %s", got)
	}
}

func TestPaymentVisibility(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	s, ps := x.paid(t)
	d, err := x.svc.SessionPayment(context.Background(), skillsessiontest.As(x.learner), s.ID)
	if err != nil || d.Payment.ID != ps.Payment.ID || d.Payment.ClientSecret == nil {
		t.Fatalf("payer sees %+v %v", d, err)
	}
	d, err = x.svc.SessionPayment(context.Background(), skillsessiontest.As(x.mentor), s.ID)
	if err != nil || d.Payment.ClientSecret != nil {
		t.Fatalf("payee sees %+v %v", d, err)
	}
	other := x.User(t, "Other")
	if _, err := x.svc.SessionPayment(context.Background(), skillsessiontest.As(other), s.ID); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("a stranger sees the payment: %v", err)
	}
	for _, u := range []domain.User{x.learner, x.mentor} {
		c, err := x.svc.ViewerPayments(context.Background(), skillsessiontest.As(u), relay.Page[uuid.UUID]{First: 10})
		list := nodes(c)
		if err != nil || len(list) != 1 || list[0].ID != ps.Payment.ID {
			t.Fatalf("payments of %s: %+v %v", u.DisplayName, list, err)
		}
		c, err = x.svc.ViewerPayments(context.Background(), skillsessiontest.As(u), relay.Page[uuid.UUID]{First: 10, After: &list[0].ID})
		next := nodes(c)
		if err != nil || len(next) != 0 {
			t.Fatalf("next page: %+v %v", next, err)
		}
	}
	c, err := x.svc.ViewerPayments(context.Background(), skillsessiontest.As(other), relay.Page[uuid.UUID]{First: 10})
	if list := nodes(c); err != nil || len(list) != 0 {
		t.Fatalf("stranger's payments: %+v %v", list, err)
	}
}

// nodes is the items of a page, in order.
func nodes[T any](c relay.Connection[T]) []T {
	out := make([]T, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}
