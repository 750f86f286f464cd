package payments_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/internal/stripefault"
	"github.com/skillswap/skillswap/payments"
	"github.com/skillswap/skillswap/store"
)

// captured returns a payment of 45.00 (fee 4.50) captured in full, as its webhook reports.
func (x *env) captured(t *testing.T) domain.Payment {
	t.Helper()
	_, ps := x.paid(t)
	p := ps.Payment
	x.post(event(t, "evt_succ_"+p.ID.String(), "payment_intent.succeeded", intentObject(p, "succeeded"), time.Now(), webhookSecret))
	x.drain(t)
	if got := x.payment(t, p.ID); got.State != domain.PaymentCaptured || got.CapturedMinor != 4500 {
		t.Fatalf("payment not captured: %+v", got)
	}
	return x.payment(t, p.ID)
}

// admin returns a member with the ADMIN role, as the service sees them.
func (x *env) admin(t *testing.T) domain.Actor {
	t.Helper()
	a := x.User(t, "Admin")
	a.Roles = []domain.Role{domain.RoleMember, domain.RoleAdmin}
	return skillsessiontest.As(a)
}

func (x *env) step(t testing.TB, paymentID uuid.UUID, step string) store.PaymentStep {
	t.Helper()
	steps, err := x.Store.Q().PaymentSteps(context.Background(), paymentID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if s.Step == step {
			return s
		}
	}
	t.Fatalf("payment %s has no step %s (steps %+v)", paymentID, step, steps)
	return store.PaymentStep{}
}

func (x *env) refundByKey(t testing.TB, key string) domain.Refund {
	t.Helper()
	r, err := x.Store.Q().RefundByKey(context.Background(), key)
	if err != nil {
		t.Fatalf("refund %s: %v", key, err)
	}
	return r
}

// sentToStripe sums the refund amounts that reached Stripe, once per idempotency key (Stripe
// makes one refund per key, however often it is sent), and checks that every key was always
// sent with one amount.
func sentToStripe(t testing.TB, rec *stripefault.Transport) int64 {
	t.Helper()
	byKey := map[string]string{}
	var sum int64
	for _, r := range rec.Delivered("/v1/refunds") {
		amount := r.Form.Get("amount")
		if prev, ok := byKey[r.IdempotencyKey]; ok {
			if prev != amount {
				t.Fatalf("key %s sent with amounts %s and %s", r.IdempotencyKey, prev, amount)
			}
			continue
		}
		byKey[r.IdempotencyKey] = amount
		n, err := strconv.ParseInt(amount, 10, 64)
		if err != nil {
			t.Fatalf("refund amount %q: %v", amount, err)
		}
		sum += n
	}
	return sum
}

// Concurrent refunds whose sum exceeds the capture (eight ADMIN requests of 10.00 and the
// no-show refund of everything left, on 45.00): the reservations let through exactly what was
// captured, in PostgreSQL and in what reached Stripe.
func TestConcurrentRefundsNeverExceedCapture(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	p := x.captured(t)
	admin := x.admin(t)
	ctx := context.Background()
	const n = 8
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = x.svc.RefundPayment(ctx, admin, payments.RefundInput{
				PaymentID: p.ID, AmountMinor: 1000, Reason: fmt.Sprintf("goodwill %d", i), RequestID: uuid.New(),
			})
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		errs[n] = x.svc.RunStep(ctx, p.ID, payments.StepRefundNoShow)
	}()
	close(start)
	wg.Wait()

	// A request is refused when too little is left (BAD_USER_INPUT), or when the no-show refund
	// took everything first (CONFLICT: the payment is REFUNDED); which depends on the order.
	var ok, refused int
	for i, err := range errs[:n] {
		switch {
		case err == nil:
			ok++
		case domain.IsKind(err, domain.KindInvalid), domain.IsKind(err, domain.KindConflict):
			refused++
		default:
			t.Errorf("refund %d: %v", i, err)
		}
	}
	if ok+refused != n || ok > 4 {
		t.Fatalf("%d refunds of 10.00 went through and %d were refused, on 45.00 captured", ok, refused)
	}
	// The no-show refund took what was left when it reserved, or waited (an error: River
	// retries) because everything left was reserved; its retry refunds the rest.
	if errs[n] != nil {
		if err := x.svc.RunStep(ctx, p.ID, payments.StepRefundNoShow); err != nil {
			t.Fatalf("no-show refund retried after the others settled: %v", err)
		}
	}
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentRefunded || got.RefundedMinor != got.CapturedMinor || got.FeeMinor != 0 || got.TransferredMinor != 0 {
		t.Fatalf("after the refunds %+v, want refunded in full", got)
	}
	if sent := sentToStripe(t, x.rec); sent != got.CapturedMinor {
		t.Fatalf("%d refunded at Stripe, %d captured", sent, got.CapturedMinor)
	}
	if n := x.countRows(t, `SELECT count(*) FROM refunds WHERE payment_id = $1 AND status <> 'SUCCEEDED'`, p.ID); n != 0 {
		t.Fatalf("%d refunds not settled", n)
	}
	if s := x.step(t, p.ID, payments.StepRefundNoShow); s.Status != store.StepDone {
		t.Fatalf("no-show step %+v", s)
	}
}

// Stripe's answer to a refund is lost: the refund stays reserved (others cannot take its
// amount), the request answers SERVICE_UNAVAILABLE, and the queued job settles it with the
// same key and amount; a retry of the request then changes nothing.
func TestRefundWithLostAnswerStaysReservedUntilTheJobSettlesIt(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	p := x.captured(t)
	admin := x.admin(t)
	ctx := context.Background()
	x.rec.FailNth("POST", "/v1/refunds", 1, stripefault.AfterSend)
	in := payments.RefundInput{PaymentID: p.ID, AmountMinor: 3000, Reason: "session cut short", RequestID: uuid.New()}
	if _, err := x.svc.RefundPayment(ctx, admin, in); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("refund with a lost answer: %v, want SERVICE_UNAVAILABLE", err)
	}
	step := "admin_refund:" + in.RequestID.String()
	key := payments.IdempotencyKey(p.ID, step)
	if r := x.refundByKey(t, key); r.Status != domain.RefundPending || r.AmountMinor != 3000 || r.StripeRefundID != nil {
		t.Fatalf("reservation %+v", r)
	}
	if got := x.payment(t, p.ID); got.State != domain.PaymentCaptured || got.RefundedMinor != 0 || got.TransferredMinor != 4050 {
		t.Fatalf("payment moved before Stripe's answer: %+v", got)
	}
	if s := x.step(t, p.ID, step); s.Status != store.StepPending {
		t.Fatalf("step %+v", s)
	}
	jobs := x.Jobs(t, "payment_step")
	if len(jobs) != 1 || !jobs[0].ScheduledAt.After(skillsessiontest.Start) {
		t.Fatalf("queued %+v, want the refund's retry, later", jobs)
	}
	// 15.00 is left, not 45.00.
	if _, err := x.svc.RefundPayment(ctx, admin, payments.RefundInput{PaymentID: p.ID, AmountMinor: 2000, Reason: "x", RequestID: uuid.New()}); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("a refund into the reservation: %v", err)
	}
	// The job (River runs it with the step's args).
	if err := x.svc.RunStep(ctx, p.ID, step); err != nil {
		t.Fatal(err)
	}
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentPartiallyRefunded || got.RefundedMinor != 3000 || got.FeeMinor != 150 || got.TransferredMinor != 1350 {
		t.Fatalf("after the retry %+v", got)
	}
	if r := x.refundByKey(t, key); r.Status != domain.RefundSucceeded || r.StripeRefundID == nil || r.SettledAt == nil {
		t.Fatalf("refund after the retry %+v", r)
	}
	// The admin retries their request: nothing more is sent.
	if _, err := x.svc.RefundPayment(ctx, admin, in); err != nil {
		t.Fatal(err)
	}
	sent := x.rec.Posts("/v1/refunds")
	if len(sent) != 2 || sent[0].IdempotencyKey != key || sent[1].IdempotencyKey != key || sent[1].Form.Get("amount") != "3000" {
		t.Fatalf("refund requests %+v: want the lost one and its retry, one key, one amount", sent)
	}
	if n := x.countRows(t, `SELECT count(*) FROM admin_audit_log WHERE target = $1 AND action = 'payment.refunded'`, "payment:"+p.ID.String()); n != 1 {
		t.Fatalf("%d audit rows of the refund", n)
	}
}

// Stripe refuses a refund: the reservation is released (FAILED, audited), the request is a
// CONFLICT and stays one on retry, and the amount can be refunded by a new request.
func TestRefusedRefundReleasesTheReservation(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	p := x.captured(t)
	admin := x.admin(t)
	ctx := context.Background()
	x.rec.FailNth("POST", "/v1/refunds", 1, stripefault.Refuse)
	in := payments.RefundInput{PaymentID: p.ID, AmountMinor: 3000, Reason: "session cut short", RequestID: uuid.New()}
	for range 2 {
		if _, err := x.svc.RefundPayment(ctx, admin, in); !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("refused refund: %v, want CONFLICT", err)
		}
	}
	step := "admin_refund:" + in.RequestID.String()
	if r := x.refundByKey(t, payments.IdempotencyKey(p.ID, step)); r.Status != domain.RefundFailed || r.FailureReason == nil || r.SettledAt == nil {
		t.Fatalf("refused refund %+v", r)
	}
	if s := x.step(t, p.ID, step); s.Status != store.StepFailed {
		t.Fatalf("step %+v", s)
	}
	if n := len(x.rec.Posts("/v1/refunds")); n != 1 {
		t.Fatalf("%d refund requests, want 1 (a refused request is not sent again)", n)
	}
	if n := x.countRows(t, `SELECT count(*) FROM admin_audit_log WHERE actor_id = $1 AND action = 'payment.refund.failed'`, admin.ID()); n != 1 {
		t.Fatalf("%d audit rows of the refusal", n)
	}
	// The job of the refused request does nothing.
	if err := x.svc.RunStep(ctx, p.ID, step); err != nil {
		t.Fatal(err)
	}
	if got := x.payment(t, p.ID); got.State != domain.PaymentCaptured || got.RefundedMinor != 0 {
		t.Fatalf("payment after a refused refund %+v", got)
	}
	// Everything is refundable again.
	if _, err := x.svc.RefundPayment(ctx, admin, payments.RefundInput{PaymentID: p.ID, Reason: "all of it", RequestID: uuid.New()}); err != nil {
		t.Fatal(err)
	}
	if got := x.payment(t, p.ID); got.State != domain.PaymentRefunded || got.RefundedMinor != 4500 {
		t.Fatalf("payment after the full refund %+v", got)
	}
}

// Refund webhooks reconcile with our reservations and never count twice: the webhook of our own
// refund settles its PENDING reservation (the job then finds nothing to do), a late webhook of
// a settled refund changes nothing, a failed one releases the reservation, and a Dashboard
// refund is recorded once however often it is reported.
func TestRefundWebhooksReconcileWithReservations(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	p := x.captured(t)
	admin := x.admin(t)
	ctx := context.Background()
	meta := func(step string) map[string]string {
		return map[string]string{payments.MetaPaymentID: p.ID.String(), payments.MetaStep: step}
	}

	// 1. Our refund of 10.00, answer lost; its webhook comes before the job.
	x.rec.FailNth("POST", "/v1/refunds", 1, stripefault.AfterSend)
	first := payments.RefundInput{PaymentID: p.ID, AmountMinor: 1000, Reason: "first", RequestID: uuid.New()}
	if _, err := x.svc.RefundPayment(ctx, admin, first); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("lost answer: %v", err)
	}
	firstStep := "admin_refund:" + first.RequestID.String()
	x.post(event(t, "evt_re_1", "refund.created", refundObject(p, "re_first", 1000, "succeeded", meta(firstStep)), time.Now(), webhookSecret))
	x.drain(t)
	if r := x.refundByKey(t, payments.IdempotencyKey(p.ID, firstStep)); r.Status != domain.RefundSucceeded || *r.StripeRefundID != "re_first" {
		t.Fatalf("our refund after its webhook %+v", r)
	}
	if err := x.svc.RunStep(ctx, p.ID, firstStep); err != nil {
		t.Fatal(err)
	}
	if n := len(x.rec.Posts("/v1/refunds")); n != 1 {
		t.Fatalf("%d refund requests: the job resent a refund its webhook settled", n)
	}
	if got := x.payment(t, p.ID); got.RefundedMinor != 1000 {
		t.Fatalf("after our first refund %+v", got)
	}

	// 2. Our refund of 5.00 goes through; its webhook arrives afterwards (twice, two events).
	second := payments.RefundInput{PaymentID: p.ID, AmountMinor: 500, Reason: "second", RequestID: uuid.New()}
	if _, err := x.svc.RefundPayment(ctx, admin, second); err != nil {
		t.Fatal(err)
	}
	secondRefund := x.refundByKey(t, payments.IdempotencyKey(p.ID, "admin_refund:"+second.RequestID.String()))
	obj := refundObject(p, *secondRefund.StripeRefundID, 500, "succeeded", meta("admin_refund:"+second.RequestID.String()))
	x.post(event(t, "evt_re_2", "refund.created", obj, time.Now(), webhookSecret))
	x.post(event(t, "evt_re_3", "refund.updated", obj, time.Now(), webhookSecret))
	x.drain(t)
	if got := x.payment(t, p.ID); got.RefundedMinor != 1500 {
		t.Fatalf("after our second refund and its webhooks %+v", got)
	}

	// 3. Our refund of 20.00, answer lost; Stripe then reports it failed: released.
	x.rec.FailNth("POST", "/v1/refunds", 1, stripefault.AfterSend)
	third := payments.RefundInput{PaymentID: p.ID, AmountMinor: 2000, Reason: "third", RequestID: uuid.New()}
	if _, err := x.svc.RefundPayment(ctx, admin, third); !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("lost answer: %v", err)
	}
	thirdStep := "admin_refund:" + third.RequestID.String()
	x.post(event(t, "evt_re_4", "refund.updated", refundObject(p, "re_third", 2000, "failed", meta(thirdStep)), time.Now(), webhookSecret))
	x.drain(t)
	if r := x.refundByKey(t, payments.IdempotencyKey(p.ID, thirdStep)); r.Status != domain.RefundFailed {
		t.Fatalf("our refund Stripe reported failed %+v", r)
	}
	if s := x.step(t, p.ID, thirdStep); s.Status != store.StepFailed {
		t.Fatalf("step of the failed refund %+v", s)
	}

	// 4. A Dashboard refund of 7.00, reported three times.
	dash := refundObject(p, "re_dash", 700, "succeeded", nil)
	x.post(event(t, "evt_re_5", "refund.created", dash, time.Now(), webhookSecret))
	x.post(event(t, "evt_re_5", "refund.created", dash, time.Now(), webhookSecret))
	x.post(event(t, "evt_re_6", "refund.updated", dash, time.Now(), webhookSecret))
	x.drain(t)
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentPartiallyRefunded || got.RefundedMinor != 2200 {
		t.Fatalf("after the dashboard refund %+v", got)
	}
	refunds, err := x.Store.Q().Refunds(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(refunds) != 3 {
		t.Fatalf("refunds listed %+v, want the three that succeeded", refunds)
	}
}

// The ledger moves no credits for paid sessions, at completion or at cancellation, whether the
// payment is captured, released or refunded (issue 20 item 3).
func TestPaidSessionsMoveNoCredits(t *testing.T) {
	t.Parallel()
	for _, end := range []string{"completed", "cancelled before authorisation", "cancelled authorised", "declined", "completed then refunded"} {
		t.Run(end, func(t *testing.T) {
			t.Parallel()
			x := newEnv(t)
			x.wireSessions(t)
			ctx := context.Background()
			before := map[uuid.UUID]int64{}
			for _, u := range []domain.User{x.mentor, x.learner} {
				b, err := x.Credits.BalanceOf(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				before[u.ID] = b.Balance
			}
			s, ps := x.paid(t)
			p := ps.Payment
			authorise := func() {
				x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
				x.drain(t)
			}
			var err error
			switch end {
			case "completed", "completed then refunded":
				authorise()
				if _, err = x.SkillSessions.Accept(ctx, skillsessiontest.As(x.mentor), s.ID); err != nil {
					t.Fatal(err)
				}
				x.Clock.Set(s.EndsAt.Add(time.Minute))
				for _, u := range []domain.User{x.mentor, x.learner} {
					if _, err = x.SkillSessions.ConfirmCompleted(ctx, skillsessiontest.As(u), s.ID); err != nil {
						t.Fatal(err)
					}
				}
			case "cancelled before authorisation":
				_, err = x.SkillSessions.Cancel(ctx, skillsessiontest.As(x.learner), s.ID, "changed my mind")
			case "cancelled authorised":
				authorise()
				if _, err = x.SkillSessions.Accept(ctx, skillsessiontest.As(x.mentor), s.ID); err != nil {
					t.Fatal(err)
				}
				_, err = x.SkillSessions.Cancel(ctx, skillsessiontest.As(x.mentor), s.ID, "ill")
			case "declined":
				_, err = x.SkillSessions.Decline(ctx, skillsessiontest.As(x.mentor), s.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			x.runSteps(t)
			if end == "completed then refunded" {
				if _, err := x.svc.RefundPayment(ctx, x.admin(t), payments.RefundInput{PaymentID: p.ID, Reason: "goodwill", RequestID: uuid.New()}); err != nil {
					t.Fatal(err)
				}
			}
			for _, u := range []domain.User{x.mentor, x.learner} {
				b, err := x.Credits.BalanceOf(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if b.Balance != before[u.ID] {
					t.Errorf("%s's credits %d -> %d on a paid session %s", u.DisplayName, before[u.ID], b.Balance, end)
				}
			}
			if n := x.countRows(t, `SELECT count(*) FROM credit_transactions WHERE session_id = $1`, s.ID); n != 0 {
				t.Fatalf("%d ledger transactions for a paid session %s", n, end)
			}
			if n := x.countRows(t, `SELECT count(*) FROM credit_transactions WHERE kind <> 'STARTER_GRANT'`); n != 0 {
				t.Fatalf("%d ledger transactions besides the starter grants", n)
			}
		})
	}
}
