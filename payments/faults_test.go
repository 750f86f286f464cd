package payments_test

import (
	"context"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/internal/stripefault"
	"github.com/skillswap/skillswap/payments"
	"github.com/skillswap/skillswap/store"
)

// Every Stripe step of the saga fails once at the HTTP layer in front of stripe-mock, before the
// request is sent (nothing happened) and after (it happened, the answer was lost). Each time:
// the payment and the session are unchanged, the step stays PENDING (the call returns an error,
// so River retries the job), the retry sends the same idempotency key (and the same amount),
// and the payment ends where the step takes it with captured - refunded - fee = transferred.
func TestEveryStripeStepFailsOnce(t *testing.T) {
	t.Parallel()
	// A payment of 45.00 (fee 4.50), authorised or captured as its webhooks report.
	authorised := func(t *testing.T, x *env) (domain.SkillSession, uuid.UUID) {
		s, ps := x.paid(t)
		x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(ps.Payment, "requires_capture"), time.Now(), webhookSecret))
		x.drain(t)
		return s, ps.Payment.ID
	}
	captured := func(t *testing.T, x *env) (domain.SkillSession, uuid.UUID) {
		s, ps := x.paid(t)
		x.post(event(t, "evt_succ", "payment_intent.succeeded", intentObject(ps.Payment, "succeeded"), time.Now(), webhookSecret))
		x.drain(t)
		return s, ps.Payment.ID
	}
	runStep := func(step string) func(*testing.T, context.Context, *env, domain.SkillSession, uuid.UUID, int) error {
		return func(_ *testing.T, ctx context.Context, x *env, _ domain.SkillSession, pid uuid.UUID, _ int) error {
			return x.svc.RunStep(ctx, pid, step)
		}
	}
	adminRequest := uuid.New()
	adminStep := "admin_refund:" + adminRequest.String()
	type amounts struct{ captured, refunded, fee, transferred int64 }
	for _, tc := range []struct {
		name string
		// pattern is the Stripe path the step POSTs to (path.Match syntax).
		pattern string
		step    string
		// prepare brings a session and its payment to where the step starts (uuid.Nil: the step
		// creates the payment).
		prepare func(*testing.T, *env) (domain.SkillSession, uuid.UUID)
		// run makes attempt 0 (fails) or 1 (the retry).
		run       func(t *testing.T, ctx context.Context, x *env, s domain.SkillSession, pid uuid.UUID, attempt int) error
		wantState domain.PaymentState
		want      amounts
		// refund: the step refunds with transfer reversal and fee refund; its reservation is
		// PENDING while the step is.
		refund bool
	}{
		{
			name: "create PaymentIntent", pattern: "/v1/payment_intents", step: payments.StepCreateIntent,
			prepare: func(t *testing.T, x *env) (domain.SkillSession, uuid.UUID) {
				return x.Propose(t, x.mentor, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90), uuid.Nil
			},
			run: func(_ *testing.T, ctx context.Context, x *env, s domain.SkillSession, _ uuid.UUID, _ int) error {
				_, err := x.svc.StartPayment(ctx, skillsessiontest.As(x.learner), s.ID)
				return err
			},
			wantState: domain.PaymentRequiresPaymentMethod, want: amounts{0, 0, 450, 0},
		},
		{
			name: "capture in full", pattern: "/v1/payment_intents/*/capture", step: payments.StepCapture,
			prepare: authorised, run: runStep(payments.StepCapture),
			wantState: domain.PaymentCaptured, want: amounts{4500, 0, 450, 4050},
		},
		{
			name: "capture in part (late-cancellation fee)", pattern: "/v1/payment_intents/*/capture", step: payments.StepLateCancelFee,
			prepare: authorised, run: runStep(payments.StepLateCancelFee),
			wantState: domain.PaymentCaptured, want: amounts{2250, 0, 225, 2025},
		},
		{
			name: "cancel", pattern: "/v1/payment_intents/*/cancel", step: payments.StepCancel,
			prepare: authorised, run: runStep(payments.StepCancel),
			wantState: domain.PaymentCanceled, want: amounts{0, 0, 450, 0},
		},
		{
			name: "refund with transfer reversal (cancellation of a captured payment)", pattern: "/v1/refunds", step: payments.StepCancel,
			prepare: captured, run: runStep(payments.StepCancel), refund: true,
			wantState: domain.PaymentRefunded, want: amounts{4500, 4500, 0, 0},
		},
		{
			name: "refund with transfer reversal (no-show of the mentor)", pattern: "/v1/refunds", step: payments.StepRefundNoShow,
			prepare: captured, run: runStep(payments.StepRefundNoShow), refund: true,
			wantState: domain.PaymentRefunded, want: amounts{4500, 4500, 0, 0},
		},
		{
			name: "ADMIN partial refund, retried by its job", pattern: "/v1/refunds", step: adminStep,
			prepare: captured, refund: true,
			run: func(t *testing.T, ctx context.Context, x *env, _ domain.SkillSession, pid uuid.UUID, attempt int) error {
				if attempt == 0 {
					_, err := x.svc.RefundPayment(ctx, x.admin(t), payments.RefundInput{
						PaymentID: pid, AmountMinor: 1500, Reason: "cut short", RequestID: adminRequest,
					})
					if err != nil && !domain.IsKind(err, domain.KindUnavailable) {
						t.Errorf("refund with a failed call: %v, want SERVICE_UNAVAILABLE", err)
					}
					return err
				}
				return x.svc.RunStep(ctx, pid, adminStep) // what the queued job runs
			},
			wantState: domain.PaymentPartiallyRefunded, want: amounts{4500, 1500, 300, 2700},
		},
	} {
		for _, mode := range []stripefault.Mode{stripefault.BeforeSend, stripefault.AfterSend} {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				t.Parallel()
				x := newEnv(t)
				x.svc = payments.NewService(x.Store, x.svc.Stripe(), x.Notifier, payments.Config{
					FeePercent: 10, LateCancelFeePercent: 50, PublicURL: "http://localhost:8080", Now: x.Clock.Now,
				}, slog.New(slog.DiscardHandler))
				ctx := context.Background()
				s, pid := tc.prepare(t, x)
				var before domain.Payment
				if pid != uuid.Nil {
					before = x.payment(t, pid)
				}
				sessionState := func() domain.SkillSessionState {
					got, err := x.SkillSessions.Session(ctx, skillsessiontest.As(x.learner), s.ID)
					if err != nil {
						t.Fatal(err)
					}
					return got.State
				}
				stateBefore := sessionState()

				x.rec.FailNth("POST", tc.pattern, 1, mode)
				if err := tc.run(t, ctx, x, s, pid, 0); err == nil {
					t.Fatal("the injected failure did not surface: the job would not be retried")
				}
				if pid == uuid.Nil {
					p, err := x.Store.Q().PaymentBySession(ctx, s.ID)
					if err != nil {
						t.Fatal(err)
					}
					pid = p.ID
					if p.State != domain.PaymentRequiresPaymentMethod || p.StripePaymentIntentID != nil || p.ClientSecret != nil {
						t.Fatalf("payment after the failed creation %+v", p)
					}
				} else if got := x.payment(t, pid); !reflect.DeepEqual(got, before) {
					t.Fatalf("payment changed by a failed call:\n%+v\nwas\n%+v", got, before)
				}
				if got := sessionState(); got != stateBefore {
					t.Fatalf("session %s after a failed call, was %s", got, stateBefore)
				}
				key := payments.IdempotencyKey(pid, tc.step)
				if st := x.step(t, pid, tc.step); st.Status != store.StepPending || st.Attempts != 1 || st.IdempotencyKey != key {
					t.Fatalf("step after a failed call %+v", st)
				}
				if tc.refund {
					if r := x.refundByKey(t, key); r.Status != domain.RefundPending {
						t.Fatalf("refund after a failed call %+v", r)
					}
				}

				if err := tc.run(t, ctx, x, s, pid, 1); err != nil {
					t.Fatalf("retry: %v", err)
				}
				got := x.payment(t, pid) // checks captured - refunded - fee = transferred
				if got.State != tc.wantState || (amounts{got.CapturedMinor, got.RefundedMinor, got.FeeMinor, got.TransferredMinor}) != tc.want {
					t.Fatalf("payment after the retry %+v, want %s %+v", got, tc.wantState, tc.want)
				}
				if tc.step == payments.StepCreateIntent && (got.StripePaymentIntentID == nil || got.ClientSecret == nil) {
					t.Fatalf("no PaymentIntent after the retry: %+v", got)
				}
				if st := x.step(t, pid, tc.step); st.Status != store.StepDone || st.Attempts < 2 || st.IdempotencyKey != key {
					t.Fatalf("step after the retry %+v", st)
				}
				if got := sessionState(); got != stateBefore {
					t.Fatalf("session %s after the retry, was %s", got, stateBefore)
				}
				sent := x.rec.Posts(tc.pattern)
				if len(sent) != 2 {
					t.Fatalf("%d requests to %s, want the failed one and its retry", len(sent), tc.pattern)
				}
				for _, r := range sent {
					if r.IdempotencyKey != key {
						t.Fatalf("request with key %q, want %q for every attempt", r.IdempotencyKey, key)
					}
					if r.Form.Encode() != sent[0].Form.Encode() {
						t.Fatalf("the retry sent other parameters: %v, first %v", r.Form, sent[0].Form)
					}
					if tc.refund && (r.Form.Get("reverse_transfer") != "true" || r.Form.Get("refund_application_fee") != "true") {
						t.Fatalf("refund without transfer reversal or fee refund: %v", r.Form)
					}
				}
				wantDelivered := 1
				if mode == stripefault.AfterSend {
					wantDelivered = 2
				}
				if n := len(x.rec.Delivered(tc.pattern)); n != wantDelivered {
					t.Fatalf("%d requests reached Stripe, want %d", n, wantDelivered)
				}
				if tc.refund {
					if r := x.refundByKey(t, key); r.Status != domain.RefundSucceeded || r.AmountMinor != tc.want.refunded {
						t.Fatalf("refund after the retry %+v", r)
					}
				}
			})
		}
	}
}

// Mentor onboarding fails once at each of its two Stripe calls. Creating the connected account
// is retried with the same key (one account per mentor); an account link is single-use and
// short-lived, so each request asks for a new one with a new key, and the account is reused.
func TestOnboardingStripeCallsFailOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern string
		mode    stripefault.Mode
	}{
		{"/v1/accounts", stripefault.BeforeSend}, {"/v1/accounts", stripefault.AfterSend},
		{"/v1/account_links", stripefault.BeforeSend}, {"/v1/account_links", stripefault.AfterSend},
	} {
		t.Run(tc.pattern+"/"+tc.mode.String(), func(t *testing.T) {
			t.Parallel()
			sc, rec := stripeMock(t)
			e := skillsessiontest.New(t)
			svc := payments.NewService(e.Store, sc, nil, payments.Config{PublicURL: "http://localhost:8080"}, slog.New(slog.DiscardHandler))
			m := e.User(t, "Mentor")
			m.Roles = []domain.Role{domain.RoleMember, domain.RoleMentor}
			ctx := context.Background()
			rec.FailNth("POST", tc.pattern, 1, tc.mode)
			if _, err := svc.StartMentorOnboarding(ctx, skillsessiontest.As(m)); err == nil {
				t.Fatal("the injected failure did not surface")
			}
			_, has, err := svc.MentorAccount(ctx, skillsessiontest.As(m))
			if err != nil {
				t.Fatal(err)
			}
			if wantAccount := tc.pattern == "/v1/account_links"; has != wantAccount {
				t.Fatalf("account recorded after a failed %s: %v, want %v", tc.pattern, has, wantAccount)
			}
			link, err := svc.StartMentorOnboarding(ctx, skillsessiontest.As(m))
			if err != nil || link == "" {
				t.Fatalf("retry: %q %v", link, err)
			}
			accounts := rec.Posts("/v1/accounts")
			wantKey := "skillswap:mentor:" + m.ID.String() + ":create_account"
			for _, r := range accounts {
				if r.IdempotencyKey != wantKey {
					t.Fatalf("account created with key %q, want %q", r.IdempotencyKey, wantKey)
				}
			}
			links := rec.Posts("/v1/account_links")
			if tc.pattern == "/v1/accounts" && (len(accounts) != 2 || len(links) != 1) {
				t.Fatalf("%d account and %d link requests, want the failed account, its retry, one link", len(accounts), len(links))
			}
			if tc.pattern == "/v1/account_links" && (len(accounts) != 1 || len(links) != 2 || links[0].IdempotencyKey == links[1].IdempotencyKey) {
				t.Fatalf("%d account and %d link requests (%+v), want one account and two links with their own keys", len(accounts), len(links), links)
			}
			var n int
			if err := e.Store.Pool().QueryRow(ctx, `SELECT count(*) FROM mentor_accounts WHERE user_id = $1`, m.ID).Scan(&n); err != nil || n != 1 {
				t.Fatalf("%d connected accounts recorded (%v), want 1", n, err)
			}
		})
	}
}
