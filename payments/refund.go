package payments

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// RefundInput is an ADMIN's refund of a captured payment.
type RefundInput struct {
	PaymentID uuid.UUID
	// AmountMinor is how much to give back; 0 means everything not refunded yet.
	AmountMinor int64
	// Reason is recorded with the refund and in the audit log (required).
	Reason string
	// RequestID identifies the request: retrying with the same id never refunds twice (the
	// Stripe idempotency key derives from it). Required.
	RequestID uuid.UUID
}

// RefundPayment refunds (part of) a captured payment; the actor must be an ADMIN. The request
// and its outcome go to the admin audit log; the platform fee is refunded and the mentor's
// transfer reversed in proportion, so the payment still reconciles.
func (s *Service) RefundPayment(ctx context.Context, actor domain.Actor, in RefundInput) (domain.Payment, error) {
	if err := actor.RequireRole(domain.RoleAdmin); err != nil {
		return domain.Payment{}, err
	}
	if s.stripe == nil {
		return domain.Payment{}, ErrDisabled
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || len(in.Reason) > 500 {
		return domain.Payment{}, domain.Invalid("reason", "give a reason of at most 500 characters")
	}
	if in.AmountMinor < 0 {
		return domain.Payment{}, domain.Invalid("amountMinor", "must be positive")
	}
	if in.RequestID == uuid.Nil {
		return domain.Payment{}, domain.Invalid("requestId", "is required")
	}
	step := "admin_refund:" + in.RequestID.String()
	key := IdempotencyKey(in.PaymentID, step)
	by := actor.ID()
	target := "payment:" + in.PaymentID.String()
	var p domain.Payment
	var amount int64
	var err error
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if p, err = q.LockPayment(ctx, in.PaymentID); err != nil {
			return err
		}
		st, err := q.BeginPaymentStep(ctx, p.ID, step, key)
		if err != nil {
			return err
		}
		if st.Status != store.StepPending {
			return errStepDone
		}
		if p.State != domain.PaymentCaptured && p.State != domain.PaymentPartiallyRefunded {
			return domain.Conflict("only a captured payment can be refunded (this one is %s)", p.State)
		}
		left := p.CapturedMinor - p.RefundedMinor
		amount = in.AmountMinor
		if amount == 0 {
			amount = left
		}
		if amount > left {
			return domain.Invalid("amountMinor", "at most %d can still be refunded", left)
		}
		return q.InsertAuditLog(ctx, &by, "payment.refund.requested", target,
			map[string]any{"amountMinor": amount, "reason": in.Reason, "requestId": in.RequestID})
	})
	if errors.Is(err, errStepDone) {
		return p, nil
	}
	if err != nil {
		return domain.Payment{}, fmt.Errorf("refund payment: %w", err)
	}
	refundID, err := s.stripe.Refund(ctx, *p.StripePaymentIntentID, amount, refundMetadata(p.ID, step), key)
	if err != nil {
		return domain.Payment{}, fmt.Errorf("refund payment: %w", err)
	}
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		cur, err := q.LockPayment(ctx, in.PaymentID)
		if err != nil {
			return err
		}
		st, err := q.BeginPaymentStep(ctx, cur.ID, step, key)
		if err != nil {
			return err
		}
		if st.Status != store.StepPending {
			p = cur
			return errStepDone
		}
		next := cur.Refund(amount)
		if err := q.InsertRefund(ctx, domain.Refund{
			ID: uuid.Must(uuid.NewV7()), PaymentID: cur.ID, AmountMinor: next.RefundedMinor - cur.RefundedMinor,
			Reason: in.Reason, StripeRefundID: &refundID, CreatedBy: &by, CreatedAt: s.now(),
		}); err != nil {
			return err
		}
		if err := s.moveTo(ctx, q, cur, next); err != nil {
			return err
		}
		if err := q.InsertAuditLog(ctx, &by, "payment.refunded", target,
			map[string]any{"amountMinor": next.RefundedMinor - cur.RefundedMinor, "stripeRefundId": refundID, "requestId": in.RequestID}); err != nil {
			return err
		}
		p = next
		return q.FinishPaymentStep(ctx, cur.ID, step, store.StepDone)
	})
	if err != nil && !errors.Is(err, errStepDone) {
		return domain.Payment{}, fmt.Errorf("refund payment: record: %w", err)
	}
	return p, nil
}
