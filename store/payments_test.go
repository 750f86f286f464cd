package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// The database itself refuses amounts that do not reconcile, a second payment for a session,
// a backwards refund and a second insertion of a Stripe event.
func TestPaymentConstraints(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	mentor, learner := newUser(t, q, "m@example.com"), newUser(t, q, "l@example.com")
	var skill uuid.UUID
	if err := st.Pool().QueryRow(ctx, `SELECT id FROM skills LIMIT 1`).Scan(&skill); err != nil {
		t.Fatal(err)
	}
	s := newSkillSession(t, q, skill, mentor, learner, time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC), 60)
	p, err := q.InsertPayment(ctx, domain.Payment{
		ID: uuid.Must(uuid.NewV7()), SessionID: s.ID, PayerID: learner.ID, PayeeID: mentor.ID, AmountMinor: 3000,
		FeeMinor: 300, Currency: "EUR", State: domain.PaymentRequiresPaymentMethod, CreatedAt: time.Now().UTC(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.InsertPayment(ctx, domain.Payment{
		ID: uuid.Must(uuid.NewV7()), SessionID: s.ID, PayerID: learner.ID, PayeeID: mentor.ID, AmountMinor: 3000,
		FeeMinor: 300, Currency: "EUR", State: domain.PaymentRequiresPaymentMethod, CreatedAt: time.Now().UTC(),
	}); !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("second payment of a session: %v", err)
	}
	bad := p.Capture()
	bad.TransferredMinor++
	if _, err := q.UpdatePaymentState(ctx, bad); err == nil {
		t.Fatal("amounts that do not reconcile were accepted")
	}
	good, err := q.UpdatePaymentState(ctx, p.Capture())
	if err != nil || good.TransferredMinor != 2700 {
		t.Fatalf("capture: %+v %v", good, err)
	}
	over := good
	over.RefundedMinor = 4000
	if _, err := q.UpdatePaymentState(ctx, over); err == nil {
		t.Fatal("a refund above the captured amount was accepted")
	}
	if _, err := q.UpdatePaymentState(ctx, good.Refund(1000)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		fresh, err := q.RecordStripeEvent(ctx, "evt_1", "payment_intent.succeeded")
		if err != nil || fresh != want {
			t.Fatalf("record event #%d: %v %v", i, fresh, err)
		}
	}
	for i, want := range []bool{true, false} {
		first, err := q.MarkStripeEventProcessed(ctx, "evt_1")
		if err != nil || first != want {
			t.Fatalf("mark processed #%d: %v %v", i, first, err)
		}
	}
	// A step's key never changes, and a DONE step is not attempted again.
	st1, err := q.BeginPaymentStep(ctx, p.ID, "capture", "k1")
	if err != nil || st1.Status != store.StepPending || st1.Attempts != 1 {
		t.Fatalf("begin: %+v %v", st1, err)
	}
	st2, err := q.BeginPaymentStep(ctx, p.ID, "capture", "k-other")
	if err != nil || st2.IdempotencyKey != "k1" || st2.Attempts != 2 {
		t.Fatalf("retry: %+v %v", st2, err)
	}
	if err := q.FinishPaymentStep(ctx, p.ID, "capture", store.StepDone); err != nil {
		t.Fatal(err)
	}
	st3, err := q.BeginPaymentStep(ctx, p.ID, "capture", "k1")
	if err != nil || st3.Status != store.StepDone || st3.Attempts != 2 {
		t.Fatalf("after done: %+v %v", st3, err)
	}
}
