package payments_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/payments"
)

// TestLateCancellationFee: the written policy. A learner who cancels a confirmed paid session
// inside the late cut-off (24 h) pays 50% of its price to the mentor (the platform keeps its
// fee in proportion, Stripe releases the rest); any other cancellation releases everything.
func TestLateCancellationFee(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		byMentor    bool
		before      time.Duration // how long before the start the session is cancelled
		wantStep    string
		wantState   domain.PaymentState
		wantCapture int64
	}{
		{"learner, late", false, 2 * time.Hour, payments.StepLateCancelFee, domain.PaymentCaptured, 2250},
		{"learner, in time", false, 30 * time.Hour, payments.StepCancel, domain.PaymentCanceled, 0},
		{"mentor, late", true, 2 * time.Hour, payments.StepCancel, domain.PaymentCanceled, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := newEnv(t)
			x.wireSessions(t)
			x.svc = payments.NewService(x.Store, x.svc.Stripe(), x.Notifier, payments.Config{
				FeePercent: 10, LateCancelFeePercent: 50, Now: x.Clock.Now, SkillSessions: x.SkillSessions,
			}, slog.New(slog.DiscardHandler))
			s, ps := x.paid(t)
			p := ps.Payment
			x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
			x.drain(t)
			if _, err := x.SkillSessions.Accept(context.Background(), skillsessiontest.As(x.mentor), s.ID); err != nil {
				t.Fatal(err)
			}
			x.Clock.Set(s.StartsAt.Add(-tc.before))
			by := x.learner
			if tc.byMentor {
				by = x.mentor
			}
			if _, err := x.SkillSessions.Cancel(context.Background(), skillsessiontest.As(by), s.ID, "something came up"); err != nil {
				t.Fatal(err)
			}
			jobs := x.Jobs(t, "payment_step")
			if len(jobs) != 1 {
				t.Fatalf("%d steps queued, want 1", len(jobs))
			}
			var a payments.StepArgs
			if err := json.Unmarshal(jobs[0].Args, &a); err != nil || a.Step != tc.wantStep {
				t.Fatalf("queued %+v %v, want step %s", a, err, tc.wantStep)
			}
			for range 2 { // a rerun after a crash has no second effect
				if err := x.svc.RunStep(context.Background(), a.PaymentID, a.Step); err != nil {
					t.Fatal(err)
				}
			}
			got := x.payment(t, p.ID) // also checks captured - refunded - fee = transferred
			if got.State != tc.wantState || got.CapturedMinor != tc.wantCapture {
				t.Fatalf("payment after cancellation: %+v", got)
			}
			captures := x.rec.Posts("/v1/payment_intents/" + *p.StripePaymentIntentID + "/capture")
			if tc.wantCapture == 0 {
				if len(captures) != 0 {
					t.Fatalf("captured on a free cancellation: %+v", captures)
				}
				return
			}
			// 50% of 45.00 is 22.50; the 10% fee follows (2.25); the mentor gets 20.25.
			if got.FeeMinor != 225 || got.TransferredMinor != 2025 {
				t.Fatalf("late fee split: %+v", got)
			}
			if len(captures) != 1 || captures[0].Form.Get("amount_to_capture") != "2250" ||
				captures[0].Form.Get("application_fee_amount") != "225" ||
				captures[0].IdempotencyKey != payments.IdempotencyKey(p.ID, payments.StepLateCancelFee) {
				t.Fatalf("capture requests %+v", captures)
			}
			// Stripe's payment_intent.succeeded for the partial capture changes nothing.
			o := intentObject(got, "succeeded")
			o["amount_received"] = 2250
			x.post(event(t, "evt_succeeded", "payment_intent.succeeded", o, time.Now(), webhookSecret))
			x.drain(t)
			if again := x.payment(t, p.ID); again.CapturedMinor != 2250 || again.FeeMinor != 225 {
				t.Fatalf("after the capture event: %+v", again)
			}
		})
	}
}

// TestSucceededEventBeforeOurRecordUsesAmountReceived: when Stripe's payment_intent.succeeded
// for a partial capture is applied before the saga records the capture, the books take the
// amount Stripe received, not the full price.
func TestSucceededEventBeforeOurRecordUsesAmountReceived(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	_, ps := x.paid(t)
	p := ps.Payment
	x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
	x.drain(t)
	o := intentObject(x.payment(t, p.ID), "succeeded")
	o["amount_received"] = 2250
	x.post(event(t, "evt_succeeded", "payment_intent.succeeded", o, time.Now(), webhookSecret))
	x.drain(t)
	if got := x.payment(t, p.ID); got.State != domain.PaymentCaptured || got.CapturedMinor != 2250 || got.FeeMinor != 225 || got.TransferredMinor != 2025 {
		t.Fatalf("after a partial capture event: %+v", got)
	}
}
