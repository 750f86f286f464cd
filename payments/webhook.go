package payments

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

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
			return s.applyIntentEvent(ctx, q, a.Type, &pi)
		case "account.updated":
			var acct stripe.Account
			if err := json.Unmarshal(a.Object, &acct); err != nil {
				return fmt.Errorf("decode account: %w", err)
			}
			_, err := q.ApplyAccountUpdate(ctx, acct.ID, acct.ChargesEnabled, acct.PayoutsEnabled,
				acct.DetailsSubmitted, time.Unix(a.Created, 0).UTC())
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply stripe event %s (%s): %w", a.EventID, a.Type, err)
	}
	return nil
}

func (s *Service) applyIntentEvent(ctx context.Context, q *store.Queries, typ string, pi *stripe.PaymentIntent) error {
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
	if target == domain.PaymentCanceled && s.cfg.Sessions != nil {
		if _, err := s.cfg.Sessions.CancelUnpaid(ctx, q, cur.SessionID, "the payment authorisation expired or was cancelled"); err != nil {
			return err
		}
	}
	next := cur
	switch target {
	case domain.PaymentCaptured:
		next = cur.Capture()
	case domain.PaymentFailed:
		next.State = target
		if pi.LastPaymentError != nil {
			msg := pi.LastPaymentError.Msg
			next.FailureReason = &msg
		}
	default:
		next.State = target
	}
	return s.moveTo(ctx, q, cur, next)
}
