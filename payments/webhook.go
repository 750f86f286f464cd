package payments

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// MaxWebhookBytes caps a webhook body; Stripe's events are far smaller.
const MaxWebhookBytes = 256 << 10

// WebhookTolerance is how old a signature's timestamp may be.
const WebhookTolerance = 5 * time.Minute

// WebhookHandler receives Stripe webhooks (POST /webhooks/stripe). It verifies the signature
// on the raw body, answers 400 to a bad or stale one without changing anything, records the
// event id (a redelivered event is acknowledged and ignored) and enqueues a job that applies the
// event, both in one transaction, and answers 200 at once.
type WebhookHandler struct {
	store  *store.Store
	secret string
	log    *slog.Logger
	// now is the clock of the signature check (tests move it).
	now func() time.Time
}

// NewWebhookHandler returns the handler; without a secret every webhook gets 503.
func NewWebhookHandler(st *store.Store, secret string, log *slog.Logger) *WebhookHandler {
	return &WebhookHandler{store: st, secret: secret, log: log, now: time.Now}
}

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.secret == "" {
		http.Error(w, "stripe webhooks are not configured", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBytes))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusBadRequest)
		return
	}
	ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get("Stripe-Signature"), h.secret,
		webhook.ConstructEventOptions{Tolerance: WebhookTolerance, IgnoreAPIVersionMismatch: true})
	if err != nil {
		h.log.Info("stripe webhook refused", "err", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	if ev.ID == "" || ev.Data == nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	err = h.store.InTx(r.Context(), func(q *store.Queries) error {
		fresh, err := q.RecordStripeEvent(r.Context(), ev.ID, string(ev.Type))
		if err != nil || !fresh {
			return err
		}
		return q.EnqueueJob(r.Context(), EventArgs{
			EventID: ev.ID, Type: string(ev.Type), Created: ev.Created, Object: ev.Data.Raw,
		}, nil)
	})
	if err != nil {
		h.log.Error("stripe webhook: record event", "event", ev.ID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// ApplyEvent applies a verified Stripe event once: it marks the event processed and writes its
// effect in one transaction (a rerun of the job finds it processed and does nothing). A
// payment only moves forwards, so late or reordered events never undo a newer state.
//
// Handled: payment_intent.* (authorisation, capture, failure, cancellation), account.updated,
// refund.created and refund.updated (refunds made outside the API, such as in the Dashboard;
// the endpoint must subscribe to them), and charge.dispute.created/updated/closed
// (chargebacks). Other types are acknowledged and ignored.
func (s *Service) ApplyEvent(ctx context.Context, a EventArgs) error {
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		first, err := q.MarkStripeEventProcessed(ctx, a.EventID)
		if err != nil || !first {
			return err
		}
		switch a.Type {
		case "payment_intent.amount_capturable_updated", "payment_intent.succeeded",
			"payment_intent.payment_failed", "payment_intent.canceled":
			var pi stripe.PaymentIntent
			if err := json.Unmarshal(a.Object, &pi); err != nil {
				return fmt.Errorf("decode payment intent: %w", err)
			}
			return s.applyIntentEvent(ctx, q, a.Type, eventTime(a.Created, s.now()), &pi)
		case "account.updated":
			var acct stripe.Account
			if err := json.Unmarshal(a.Object, &acct); err != nil {
				return fmt.Errorf("decode account: %w", err)
			}
			_, err := q.ApplyAccountUpdate(ctx, acct.ID, acct.ChargesEnabled, acct.PayoutsEnabled,
				acct.DetailsSubmitted, time.Unix(a.Created, 0).UTC())
			return err
		case "refund.created", "refund.updated":
			var r stripe.Refund
			if err := json.Unmarshal(a.Object, &r); err != nil {
				return fmt.Errorf("decode refund: %w", err)
			}
			return s.applyRefundEvent(ctx, q, a.Type, &r)
		case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed":
			var d stripe.Dispute
			if err := json.Unmarshal(a.Object, &d); err != nil {
				return fmt.Errorf("decode dispute: %w", err)
			}
			return s.applyDisputeEvent(ctx, q, a.Type, eventTime(a.Created, s.now()), &d)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply stripe event %s (%s): %w", a.EventID, a.Type, err)
	}
	return nil
}

// eventTime is an event's creation time (Unix seconds), or fallback when it has none.
func eventTime(created int64, fallback time.Time) time.Time {
	if created <= 0 {
		return fallback
	}
	return time.Unix(created, 0).UTC()
}

// applyIntentEvent moves a payment as a PaymentIntent event reports. An authorisation also
// schedules, in the same transaction, the capture deadline CaptureDeadline after the event.
func (s *Service) applyIntentEvent(ctx context.Context, q *store.Queries, typ string, created time.Time, pi *stripe.PaymentIntent) error {
	cur, err := q.LockPaymentByIntent(ctx, pi.ID)
	if domain.IsKind(err, domain.KindNotFound) {
		s.log.Info("stripe event for an unknown payment intent", "intent", pi.ID, "type", typ)
		return nil
	} else if err != nil {
		return err
	}
	var target domain.PaymentState
	switch typ {
	case "payment_intent.amount_capturable_updated":
		if pi.AmountCapturable <= 0 {
			return nil
		}
		target = domain.PaymentAuthorized
	case "payment_intent.succeeded":
		target = domain.PaymentCaptured
	case "payment_intent.payment_failed":
		target = domain.PaymentFailed
	case "payment_intent.canceled":
		target = domain.PaymentCanceled
	}
	if !cur.State.CanMoveTo(target) {
		s.log.Info("stripe event would move a payment backwards: ignored",
			"payment", cur.ID, "state", cur.State, "event_state", target)
		return nil
	}
	if target == domain.PaymentCanceled && s.cfg.SkillSessions != nil {
		if _, err := s.cfg.SkillSessions.CancelUnpaid(ctx, q, cur.SessionID, "the payment authorisation expired or was cancelled"); err != nil {
			return err
		}
	}
	next := cur
	switch target {
	case domain.PaymentCaptured:
		// What Stripe received: all of it, or the late-cancellation fee's part.
		next = cur.CapturePart(pi.AmountReceived)
	case domain.PaymentFailed:
		next.State = target
		if pi.LastPaymentError != nil {
			msg := pi.LastPaymentError.Msg
			next.FailureReason = &msg
		}
	default:
		next.State = target
	}
	if err := s.moveTo(ctx, q, cur, next); err != nil {
		return err
	}
	if target == domain.PaymentAuthorized {
		// The authorisation expires 7 days after it was made: capture an ended session's
		// payment before then (see ApplyCaptureDeadline).
		return q.EnqueueJob(ctx, CaptureDeadlineArgs{PaymentID: cur.ID},
			&river.InsertOpts{ScheduledAt: created.Add(s.cfg.CaptureDeadline)})
	}
	return nil
}

// DashboardRefundReason is the reason recorded for a refund made outside the API.
const DashboardRefundReason = "refunded in the Stripe Dashboard"

// applyRefundEvent records what a refund event reports, once per Stripe refund id. A refund
// carrying our metadata is one of ours: it settles the PENDING refund its step reserved
// (SUCCEEDED, or FAILED if Stripe reports it failed), whichever of this event and the step's own
// answer comes first; the other finds it settled. Any other refund was made outside the API (the
// Stripe Dashboard) and is recorded SUCCEEDED so the payment still reconciles. A refund id
// already recorded, a refund of an unknown PaymentIntent, and an outside refund that has not
// succeeded (or is not pending) are ignored.
func (s *Service) applyRefundEvent(ctx context.Context, q *store.Queries, typ string, r *stripe.Refund) error {
	if r.ID == "" || r.PaymentIntent == nil || r.PaymentIntent.ID == "" || r.Amount <= 0 {
		s.log.Info("stripe refund without payment intent or amount: ignored", "refund", r.ID, "type", typ)
		return nil
	}
	cur, err := q.LockPaymentByIntent(ctx, r.PaymentIntent.ID)
	if domain.IsKind(err, domain.KindNotFound) {
		s.log.Info("stripe refund of an unknown payment intent", "intent", r.PaymentIntent.ID, "refund", r.ID)
		return nil
	} else if err != nil {
		return err
	}
	if r.Metadata[MetaPaymentID] != "" {
		return s.applyOwnRefundEvent(ctx, q, cur, typ, r)
	}
	known, err := q.RefundRecorded(ctx, r.ID)
	if err != nil || known {
		return err
	}
	if r.Status != stripe.RefundStatusSucceeded && r.Status != stripe.RefundStatusPending {
		s.log.Info("stripe refund that does not count: ignored", "refund", r.ID, "status", r.Status, "type", typ)
		return nil
	}
	base := cur
	switch cur.State {
	case domain.PaymentCaptured, domain.PaymentPartiallyRefunded:
	case domain.PaymentAuthorized:
		// Only a captured charge can be refunded: the capture's own event is late. We always
		// capture in full; the late payment_intent.succeeded will then find nothing to do.
		base = cur.Capture()
	default:
		s.log.Warn("stripe refund of a payment that was never captured: ignored",
			"payment", cur.ID, "state", cur.State, "refund", r.ID)
		return nil
	}
	next := base.Refund(r.Amount)
	amount := next.RefundedMinor - base.RefundedMinor
	if amount <= 0 {
		s.log.Warn("stripe refund of a payment refunded in full already: ignored", "payment", cur.ID, "refund", r.ID)
		return nil
	}
	if amount != r.Amount {
		s.log.Warn("stripe refund larger than what is left to refund: clamped",
			"payment", cur.ID, "refund", r.ID, "amount", r.Amount, "recorded", amount)
	}
	refundID := r.ID
	if err := q.InsertRefund(ctx, domain.Refund{
		ID: uuid.Must(uuid.NewV7()), PaymentID: cur.ID, AmountMinor: amount, Reason: DashboardRefundReason,
		StripeRefundID: &refundID, CreatedAt: s.now(),
	}); err != nil {
		return err
	}
	if err := q.InsertAuditLog(ctx, nil, "payment.refunded.outside", "payment:"+cur.ID.String(),
		map[string]any{"amountMinor": amount, "stripeRefundId": r.ID, "status": r.Status}); err != nil {
		return err
	}
	return s.moveTo(ctx, q, cur, next)
}

// applyOwnRefundEvent settles, from its webhook, the PENDING refund a step of the locked payment
// cur reserved (found by the idempotency key its metadata names). A refund already settled, or
// one made before refunds were reserved (its step recorded it), changes nothing.
func (s *Service) applyOwnRefundEvent(ctx context.Context, q *store.Queries, cur domain.Payment, typ string, r *stripe.Refund) error {
	step := r.Metadata[MetaStep]
	if r.Metadata[MetaPaymentID] != cur.ID.String() || step == "" {
		s.log.Warn("stripe refund with metadata of another payment: ignored", "payment", cur.ID, "refund", r.ID, "metadata", r.Metadata)
		return nil
	}
	own, err := q.RefundByKey(ctx, IdempotencyKey(cur.ID, step))
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if own.Status != domain.RefundPending {
		if own.Status == domain.RefundSucceeded && r.Status != stripe.RefundStatusSucceeded && r.Status != stripe.RefundStatusPending {
			// A refund Stripe accepted, then reported failed: money came back that the payment
			// shows as refunded. Rare (the card was closed); staff reconcile by hand.
			s.log.Error("stripe reports a recorded refund as not succeeded", "payment", cur.ID, "refund", r.ID, "status", r.Status)
		}
		return nil
	}
	switch r.Status {
	case stripe.RefundStatusSucceeded, stripe.RefundStatusPending:
		_, _, err = s.succeedRefund(ctx, q, cur, step, own, r.ID, own.CreatedBy)
	case stripe.RefundStatusFailed, stripe.RefundStatusCanceled:
		_, err = s.failRefund(ctx, q, cur, step, own, "Stripe reported the refund "+string(r.Status)+" ("+typ+")")
	}
	return err
}

// applyDisputeEvent records a chargeback on its payment (found by the dispute's
// PaymentIntent) and audits the event; the payment's state and amounts do not change. See
// domain.Payment.ApplyDispute for how out-of-order events are handled.
func (s *Service) applyDisputeEvent(ctx context.Context, q *store.Queries, typ string, created time.Time, d *stripe.Dispute) error {
	if d.PaymentIntent == nil || d.PaymentIntent.ID == "" {
		s.log.Info("stripe dispute without payment intent: ignored", "dispute", d.ID, "type", typ)
		return nil
	}
	cur, err := q.LockPaymentByIntent(ctx, d.PaymentIntent.ID)
	if domain.IsKind(err, domain.KindNotFound) {
		s.log.Info("stripe dispute of an unknown payment intent", "intent", d.PaymentIntent.ID, "dispute", d.ID)
		return nil
	} else if err != nil {
		return err
	}
	next, changed := cur.ApplyDispute(d.ID, string(d.Status), d.Amount, eventTime(d.Created, created), created)
	if err := q.InsertAuditLog(ctx, nil, "payment."+strings.TrimPrefix(typ, "charge."), "payment:"+cur.ID.String(), map[string]any{
		"stripeDisputeId": d.ID, "status": d.Status, "amountMinor": d.Amount, "reason": d.Reason, "applied": changed,
	}); err != nil {
		return err
	}
	if !changed {
		s.log.Info("stripe dispute event older than the recorded state: ignored", "payment", cur.ID, "dispute", d.ID, "status", d.Status)
		return nil
	}
	_, err = q.SetPaymentDispute(ctx, next)
	return err
}
