package payments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Refunds reserve before they call Stripe (docs/payments.md, "Refunds"). Every refund
// SkillSwap makes, an ADMIN's or the saga's, goes through three moves:
//
//  1. reserve: in one transaction holding the payment's lock, check the amount against what is
//     left (captured - refunded - PENDING refunds) and insert a PENDING refund carrying the
//     step's idempotency key; so two refunds can never both pass the check;
//  2. call Stripe with that key, outside any transaction;
//  3. settle: SUCCEEDED, moving the payment's refunded, fee and transferred amounts in the same
//     transaction; or FAILED (the reservation is released) when Stripe refused the refund for
//     good (Refused). An ambiguous failure (network, timeout, 5xx) settles nothing: the refund
//     stays PENDING and a payment_step job sends it again, with the same key and amount, until
//     Stripe answers one way or the other.
//
// A refund webhook carrying our metadata settles the PENDING refund of its step (whichever of
// the webhook and the call's answer comes first wins; the other finds it settled); one without
// is a Dashboard refund, recorded SUCCEEDED once by its Stripe id.

// adminRefundPrefix starts the step of an ADMIN's refund request; the request id follows.
const adminRefundPrefix = "admin_refund:"

// RefundRetryDelay is when the job that finishes a reserved ADMIN refund runs if the request
// that reserved it did not finish it (it crashed, or Stripe's answer was lost); finding the
// refund settled, it does nothing.
const RefundRetryDelay = time.Minute

// RefundInput is an ADMIN's refund of a captured payment.
type RefundInput struct {
	PaymentID uuid.UUID
	// AmountMinor is how much to give back; 0 means everything not refunded or reserved yet.
	AmountMinor int64
	// Reason is recorded with the refund and in the audit log (required).
	Reason string
	// RequestID identifies the request: retrying with the same id never refunds twice (the
	// Stripe idempotency key derives from it). Required.
	RequestID uuid.UUID
}

// errRefundsInFlight: a saga refund of everything left waits for reserved refunds to settle.
var errRefundsInFlight = errors.New("other refunds of this payment are pending at Stripe: retry once they settle")

// refundOutcome is where a refund step stands when an attempt begins.
type refundOutcome int

const (
	// refundOpen: the step is to be run (its refund, if reserved already, is PENDING).
	refundOpen refundOutcome = iota
	// refundDone: the step ended (its refund SUCCEEDED, or it was skipped).
	refundDone
	// refundRefused: Stripe refused the step's refund for good; the step is FAILED.
	refundRefused
)

// RefundPayment refunds (part of) a captured payment; the actor must be an ADMIN. The amount is
// reserved first (see the top of this file), so concurrent requests never refund more than was
// captured. The request and its outcome go to the admin audit log; the platform fee is refunded
// and the mentor's transfer reversed in proportion, so the payment still reconciles.
//
// Stripe refusing the refund is a CONFLICT (the reservation is released; retrying with the same
// request id gets the same answer). Stripe not answering (or its answer not being recorded) is
// SERVICE_UNAVAILABLE: the refund stays reserved and a job retries it; retrying with the same
// request id is safe too.
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
	step := adminRefundPrefix + in.RequestID.String()
	key := IdempotencyKey(in.PaymentID, step)
	by := actor.ID()
	var p domain.Payment
	var r domain.Refund
	var outcome refundOutcome
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if p, err = q.LockPayment(ctx, in.PaymentID); err != nil {
			return err
		}
		if r, outcome, err = s.beginRefund(ctx, q, p, step, key); err != nil || outcome != refundOpen || r.ID != uuid.Nil {
			return err // done, refused, or a retry of this request: its reservation stands
		}
		if p.State != domain.PaymentCaptured && p.State != domain.PaymentPartiallyRefunded {
			return domain.Conflict("only a captured payment can be refunded (this one is %s)", p.State)
		}
		left, err := s.refundable(ctx, q, p)
		if err != nil {
			return err
		}
		amount := in.AmountMinor
		if amount == 0 {
			amount = left
		}
		if amount > left || amount == 0 {
			return domain.Invalid("amountMinor", "at most %d can still be refunded (refunds pending at Stripe count)", left)
		}
		if r, err = s.reserveRefund(ctx, q, p, key, amount, in.Reason, &by); err != nil {
			return err
		}
		if err := q.InsertAuditLog(ctx, &by, "payment.refund.requested", "payment:"+p.ID.String(),
			map[string]any{"amountMinor": amount, "reason": in.Reason, "requestId": in.RequestID}); err != nil {
			return err
		}
		// Should this request not finish the refund, the job does (same key, same amount).
		return q.EnqueueJob(ctx, StepArgs{PaymentID: p.ID, Step: step}, &river.InsertOpts{ScheduledAt: s.now().Add(RefundRetryDelay)})
	})
	switch {
	case err != nil:
		return domain.Payment{}, fmt.Errorf("refund payment: %w", err)
	case outcome == refundDone:
		return p, nil
	case outcome == refundRefused:
		return domain.Payment{}, refusedError(r)
	}
	p, r, err = s.sendRefund(ctx, p, step, r, &by)
	switch {
	case err != nil:
		s.log.Warn("refund: no answer from Stripe (or it could not be recorded); the refund stays reserved and will be retried",
			"payment", p.ID, "step", step, "err", err)
		return domain.Payment{}, domain.Unavailable("the refund could not be confirmed with Stripe: it is reserved and will be " +
			"retried (sending the same requestId again is safe)")
	case r.Status == domain.RefundFailed:
		return domain.Payment{}, refusedError(r)
	}
	return p, nil
}

func refusedError(r domain.Refund) error {
	reason := "no reason given"
	if r.FailureReason != nil {
		reason = *r.FailureReason
	}
	return domain.Conflict("Stripe refused the refund: %s", reason)
}

// refundable is what is left to refund of a locked payment: captured - refunded - pending.
func (s *Service) refundable(ctx context.Context, q *store.Queries, p domain.Payment) (int64, error) {
	pending, err := q.PendingRefundsMinor(ctx, p.ID)
	if err != nil {
		return 0, err
	}
	return max(p.CapturedMinor-p.RefundedMinor-pending, 0), nil
}

// beginRefund records an attempt of a refund step of a locked payment and returns where it
// stands: ended (refundDone, refundRefused), or open with the refund an earlier attempt
// reserved under key (a retry sends it again: same key, same amount) or a zero Refund when
// nothing is reserved yet.
func (s *Service) beginRefund(ctx context.Context, q *store.Queries, p domain.Payment, step, key string) (domain.Refund, refundOutcome, error) {
	st, err := q.BeginPaymentStep(ctx, p.ID, step, key)
	if err != nil {
		return domain.Refund{}, refundOpen, err
	}
	r, err := q.RefundByKey(ctx, key)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return domain.Refund{}, refundOpen, err
	}
	switch st.Status {
	case store.StepDone, store.StepSkipped:
		return r, refundDone, nil
	case store.StepFailed:
		return r, refundRefused, nil
	}
	if err != nil { // not found: nothing reserved yet
		return domain.Refund{}, refundOpen, nil
	}
	return r, settledOutcome(r), finishSettled(ctx, q, p.ID, step, r)
}

// settledOutcome is the outcome of a step whose refund is r.
func settledOutcome(r domain.Refund) refundOutcome {
	switch r.Status {
	case domain.RefundSucceeded:
		return refundDone
	case domain.RefundFailed:
		return refundRefused
	}
	return refundOpen
}

// finishSettled ends the step of a refund settled already (by a webhook or a concurrent
// attempt) as its refund ended; a PENDING refund leaves it open.
func finishSettled(ctx context.Context, q *store.Queries, paymentID uuid.UUID, step string, r domain.Refund) error {
	switch r.Status {
	case domain.RefundSucceeded:
		return q.FinishPaymentStep(ctx, paymentID, step, store.StepDone)
	case domain.RefundFailed:
		return q.FinishPaymentStep(ctx, paymentID, step, store.StepFailed)
	}
	return nil
}

// reserveRefund inserts a PENDING refund of amount under key; the caller checked amount against
// refundable under the payment's lock.
func (s *Service) reserveRefund(ctx context.Context, q *store.Queries, p domain.Payment, key string, amount int64, reason string, by *uuid.UUID) (domain.Refund, error) {
	r := domain.Refund{
		ID: uuid.Must(uuid.NewV7()), PaymentID: p.ID, AmountMinor: amount, Reason: reason, CreatedBy: by,
		CreatedAt: s.now(), Status: domain.RefundPending, IdempotencyKey: &key,
	}
	if err := q.InsertRefund(ctx, r); err != nil {
		return domain.Refund{}, err
	}
	return r, nil
}

// sendRefund asks Stripe for a reserved refund (its key, its amount) and settles it: SUCCEEDED
// and the payment moved, or FAILED when Stripe refused it. It returns an error, the refund
// still PENDING, when Stripe's answer is unknown: the caller's retry sends it again.
func (s *Service) sendRefund(ctx context.Context, p domain.Payment, step string, r domain.Refund, by *uuid.UUID) (domain.Payment, domain.Refund, error) {
	if p.StripePaymentIntentID == nil {
		return p, r, fmt.Errorf("refund of payment %s: it has no PaymentIntent", p.ID)
	}
	stripeID, callErr := s.stripe.Refund(ctx, *p.StripePaymentIntentID, r.AmountMinor, refundMetadata(p.ID, step), *r.IdempotencyKey)
	if callErr != nil && !Refused(callErr) {
		return p, r, fmt.Errorf("refund of payment %s: %w", p.ID, callErr)
	}
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		cur, err := q.LockPayment(ctx, p.ID)
		if err != nil {
			return err
		}
		p = cur
		if callErr != nil {
			r, err = s.failRefund(ctx, q, cur, step, r, callErr.Error())
			return err
		}
		p, r, err = s.succeedRefund(ctx, q, cur, step, r, stripeID, by)
		return err
	})
	if err != nil {
		return p, r, fmt.Errorf("refund of payment %s: record: %w", p.ID, err)
	}
	return p, r, nil
}

// succeedRefund settles the PENDING refund under r's key as SUCCEEDED with Stripe's refund id,
// moves the locked payment cur by its amount and finishes its step. A refund no longer PENDING
// (a webhook or a concurrent attempt settled it) changes nothing.
func (s *Service) succeedRefund(ctx context.Context, q *store.Queries, cur domain.Payment, step string, r domain.Refund, stripeID string, by *uuid.UUID) (domain.Payment, domain.Refund, error) {
	r, err := q.RefundByKey(ctx, *r.IdempotencyKey)
	if err != nil {
		return cur, r, err
	}
	if r.Status != domain.RefundPending {
		return cur, r, finishSettled(ctx, q, cur.ID, step, r)
	}
	next := cur.Refund(r.AmountMinor)
	applied := next.RefundedMinor - cur.RefundedMinor
	if applied != r.AmountMinor {
		// Only when a refund recorded from the Dashboard took what this one had reserved.
		s.log.Error("refund larger than what is left to refund: recorded clamped",
			"payment", cur.ID, "refund", stripeID, "reserved", r.AmountMinor, "recorded", applied)
	}
	now := s.now()
	r.Status, r.StripeRefundID, r.SettledAt = domain.RefundSucceeded, &stripeID, &now
	if applied > 0 {
		r.AmountMinor = applied
	}
	if _, err := q.SettleRefund(ctx, r); err != nil {
		return cur, r, err
	}
	if err := s.moveTo(ctx, q, cur, next); err != nil {
		return cur, r, err
	}
	if by != nil {
		if err := q.InsertAuditLog(ctx, by, "payment.refunded", "payment:"+cur.ID.String(), map[string]any{
			"amountMinor": applied, "stripeRefundId": stripeID, "requestId": strings.TrimPrefix(step, adminRefundPrefix),
		}); err != nil {
			return cur, r, err
		}
	}
	return next, r, q.FinishPaymentStep(ctx, cur.ID, step, store.StepDone)
}

// failRefund settles the PENDING refund under r's key as FAILED (its reservation released) and
// its step FAILED, and audits it: Stripe refused it, and would refuse it again.
func (s *Service) failRefund(ctx context.Context, q *store.Queries, cur domain.Payment, step string, r domain.Refund, reason string) (domain.Refund, error) {
	r, err := q.RefundByKey(ctx, *r.IdempotencyKey)
	if err != nil {
		return r, err
	}
	if r.Status != domain.RefundPending {
		return r, finishSettled(ctx, q, cur.ID, step, r)
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	now := s.now()
	r.Status, r.FailureReason, r.SettledAt = domain.RefundFailed, &reason, &now
	if _, err := q.SettleRefund(ctx, r); err != nil {
		return r, err
	}
	s.log.Error("Stripe refused a refund: released", "payment", cur.ID, "step", step, "amount", r.AmountMinor, "reason", reason)
	if err := q.InsertAuditLog(ctx, r.CreatedBy, "payment.refund.failed", "payment:"+cur.ID.String(), map[string]any{
		"amountMinor": r.AmountMinor, "step": step, "reason": reason,
	}); err != nil {
		return r, err
	}
	return r, q.FinishPaymentStep(ctx, cur.ID, step, store.StepFailed)
}

// resumeRefund runs the job of an ADMIN refund request: it sends the reserved refund again (same
// key, same amount) unless it is settled; an unknown answer is an error, so River retries.
func (s *Service) resumeRefund(ctx context.Context, paymentID uuid.UUID, step string) error {
	key := IdempotencyKey(paymentID, step)
	var p domain.Payment
	var r domain.Refund
	var outcome refundOutcome
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if p, err = q.LockPayment(ctx, paymentID); err != nil {
			return err
		}
		if r, outcome, err = s.beginRefund(ctx, q, p, step, key); err != nil || outcome != refundOpen {
			return err
		}
		if r.ID == uuid.Nil {
			// The request never reserved anything: nothing to do.
			outcome = refundDone
			return q.FinishPaymentStep(ctx, paymentID, step, store.StepSkipped)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("payment step %s: %w", step, err)
	}
	if outcome != refundOpen {
		return nil
	}
	if _, _, err := s.sendRefund(ctx, p, step, r, r.CreatedBy); err != nil {
		return fmt.Errorf("payment step %s: %w", step, err)
	}
	return nil
}
