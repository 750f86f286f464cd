package domain

import (
	"regexp"
	"time"

	"github.com/google/uuid"
)

// PaymentState is where a session's payment stands.
type PaymentState string

// Payment states (the PaymentIntent's life, seen from SkillSwap).
const (
	// PaymentRequiresPaymentMethod: created, waiting for the payer's card (payment sheet).
	PaymentRequiresPaymentMethod PaymentState = "REQUIRES_PAYMENT_METHOD"
	// PaymentFailed: the last authorisation attempt was declined; the payer may try again.
	PaymentFailed PaymentState = "FAILED"
	// PaymentAuthorized: the amount is held on the card, to be captured after the session.
	PaymentAuthorized PaymentState = "AUTHORIZED"
	// PaymentCaptured: the money was taken; the mentor's share transferred.
	PaymentCaptured PaymentState = "CAPTURED"
	// PaymentCanceled: the authorisation was released; nothing was charged.
	PaymentCanceled PaymentState = "CANCELED"
	// PaymentPartiallyRefunded: part of a captured amount was given back.
	PaymentPartiallyRefunded PaymentState = "PARTIALLY_REFUNDED"
	// PaymentRefunded: the whole captured amount was given back.
	PaymentRefunded PaymentState = "REFUNDED"
)

// paymentRank orders states: a payment only ever moves to a higher rank, so out-of-order or
// replayed events never move it backwards. FAILED ranks above REQUIRES_PAYMENT_METHOD but below
// AUTHORIZED: a declined card can be followed by a successful one.
var paymentRank = map[PaymentState]int{
	PaymentRequiresPaymentMethod: 0,
	PaymentFailed:                1,
	PaymentAuthorized:            2,
	PaymentCaptured:              3,
	PaymentCanceled:              3,
	PaymentPartiallyRefunded:     4,
	PaymentRefunded:              5,
}

// Valid reports whether s is a known state.
func (s PaymentState) Valid() bool { _, ok := paymentRank[s]; return ok }

// CanMoveTo reports whether a payment in state s may move to next. It moves only forwards;
// CANCELED is final, and refunds only follow a capture.
func (s PaymentState) CanMoveTo(next PaymentState) bool {
	from, ok1 := paymentRank[s]
	to, ok2 := paymentRank[next]
	if !ok1 || !ok2 || s == PaymentCanceled {
		return false
	}
	if next == PaymentCanceled && s != PaymentRequiresPaymentMethod && s != PaymentFailed && s != PaymentAuthorized {
		return false
	}
	if next == PaymentPartiallyRefunded && s == PaymentPartiallyRefunded {
		return true // a second partial refund
	}
	return to > from
}

// Payment is the money side of one paid session.
type Payment struct {
	ID                    uuid.UUID    `db:"id"`
	SessionID             uuid.UUID    `db:"session_id"`
	PayerID               uuid.UUID    `db:"payer_id"`
	PayeeID               uuid.UUID    `db:"payee_id"`
	AmountMinor           int64        `db:"amount_minor"`
	FeeMinor              int64        `db:"fee_minor"`
	Currency              string       `db:"currency"`
	State                 PaymentState `db:"state"`
	StripePaymentIntentID *string      `db:"stripe_payment_intent_id"`
	ClientSecret          *string      `db:"client_secret"`
	CapturedMinor         int64        `db:"captured_minor"`
	RefundedMinor         int64        `db:"refunded_minor"`
	TransferredMinor      int64        `db:"transferred_minor"`
	FailureReason         *string      `db:"failure_reason"`
	// StripeDisputeID, DisputeStatus (Stripe's: needs_response, under_review, won, lost...),
	// DisputedAmountMinor and DisputedAt describe a chargeback of the payment's charge, as the
	// charge.dispute.* webhooks last reported it; nil when there is none.
	StripeDisputeID     *string    `db:"stripe_dispute_id"`
	DisputeStatus       *string    `db:"dispute_status"`
	DisputedAmountMinor *int64     `db:"disputed_amount_minor"`
	DisputedAt          *time.Time `db:"disputed_at"`
	// DisputeEventCreated is the creation time of the last dispute event applied.
	DisputeEventCreated *time.Time `db:"dispute_event_created"`
	CreatedAt           time.Time  `db:"created_at"`
	UpdatedAt           time.Time  `db:"updated_at"`
}

// Reconciles reports whether the amounts satisfy captured - refunded - fee = transferred
// (trivially true before any money moved).
func (p Payment) Reconciles() bool {
	if p.CapturedMinor == 0 && p.RefundedMinor == 0 && p.TransferredMinor == 0 {
		return true
	}
	return p.CapturedMinor-p.RefundedMinor-p.FeeMinor == p.TransferredMinor
}

// Capture returns p after capturing its whole amount: the fee stays with the platform and the
// rest is transferred to the mentor.
func (p Payment) Capture() Payment { return p.CapturePart(p.AmountMinor) }

// CapturePart returns p after capturing amount of it (clamped to 1..AmountMinor; a late
// cancellation fee captures part): the platform keeps its fee in proportion, the rest is
// transferred to the mentor, and the uncaptured remainder is released.
func (p Payment) CapturePart(amount int64) Payment {
	if amount <= 0 || amount > p.AmountMinor {
		amount = p.AmountMinor
	}
	if amount < p.AmountMinor {
		p.FeeMinor = roundDiv(p.FeeMinor*amount, p.AmountMinor)
	}
	p.State = PaymentCaptured
	p.CapturedMinor = amount
	p.TransferredMinor = amount - p.FeeMinor
	return p
}

// Refund returns p after refunding amount (clamped to what is left). The platform fee is given
// back in proportion and the rest is taken back from the mentor's transfer, so the payment
// still reconciles.
func (p Payment) Refund(amount int64) Payment {
	left := p.CapturedMinor - p.RefundedMinor
	if amount > left {
		amount = left
	}
	if amount <= 0 {
		return p
	}
	feeBack := p.FeeMinor
	if amount < left {
		feeBack = roundDiv(p.FeeMinor*amount, left)
	}
	p.RefundedMinor += amount
	p.FeeMinor -= feeBack
	p.TransferredMinor -= amount - feeBack
	if p.RefundedMinor == p.CapturedMinor {
		p.State = PaymentRefunded
	} else {
		p.State = PaymentPartiallyRefunded
	}
	return p
}

// roundDiv divides non-negative a by positive b, rounding half up.
func roundDiv(a, b int64) int64 { return (2*a + b) / (2 * b) }

// SessionPrice is an hourly price times a duration, rounded to the nearest minor unit.
func SessionPrice(hourlyMinor int64, minutes int) int64 {
	return roundDiv(hourlyMinor*int64(minutes), 60)
}

// PlatformFee is percent of amount, rounded to the nearest minor unit.
func PlatformFee(amount int64, percent float64) int64 {
	// Basis points keep the arithmetic in integers.
	bp := int64(percent*100 + 0.5)
	return roundDiv(amount*bp, 10000)
}

// RefundStatus is where a refund stands. SkillSwap's own refunds reserve their amount before
// they call Stripe: PENDING counts against what is left to refund but has not moved the
// payment's amounts; SUCCEEDED is money given back (Stripe accepted it; the payment's refunded,
// fee and transferred amounts include it); FAILED released the reservation (Stripe refused it).
// Refunds made outside SkillSwap (the Stripe Dashboard) are recorded SUCCEEDED from their
// webhooks.
type RefundStatus string

// Refund statuses.
const (
	RefundPending   RefundStatus = "PENDING"
	RefundSucceeded RefundStatus = "SUCCEEDED"
	RefundFailed    RefundStatus = "FAILED"
)

// Refund is money given back on (part of) a captured payment, or reserved to be.
type Refund struct {
	ID          uuid.UUID `db:"id"`
	PaymentID   uuid.UUID `db:"payment_id"`
	AmountMinor int64     `db:"amount_minor"`
	Reason      string    `db:"reason"`
	// StripeRefundID is Stripe's id of the refund, once Stripe made it.
	StripeRefundID *string `db:"stripe_refund_id"`
	// CreatedBy is the ADMIN who refunded by hand; nil for the policy's automatic refunds.
	CreatedBy *uuid.UUID   `db:"created_by"`
	CreatedAt time.Time    `db:"created_at"`
	Status    RefundStatus `db:"status"`
	// IdempotencyKey is the key a refund SkillSwap made is sent to Stripe with, on every
	// attempt; nil for a refund made outside SkillSwap.
	IdempotencyKey *string `db:"idempotency_key"`
	// FailureReason is Stripe's answer when it refused the refund.
	FailureReason *string `db:"failure_reason"`
	// SettledAt is when the refund became SUCCEEDED or FAILED.
	SettledAt *time.Time `db:"settled_at"`
	// Currency is the payment's, filled in by readers that have the payment (not stored).
	Currency string `db:"-"`
}

// Money is an amount in a currency's minor units (cents for EUR) with its ISO 4217 code.
type Money struct {
	AmountMinor int64
	Currency    string
}

// MaxHourlyPriceMinor caps a mentor's hourly price (10,000.00 in two-decimal currencies).
const MaxHourlyPriceMinor = 1_000_000

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidCurrency reports whether c looks like an ISO 4217 code (three upper-case letters).
func ValidCurrency(c string) bool { return currencyRE.MatchString(c) }

// MentorPrice is a mentor's hourly price for one offered skill.
type MentorPrice struct {
	UserID      uuid.UUID `db:"user_id"`
	SkillID     uuid.UUID `db:"skill_id"`
	AmountMinor int64     `db:"amount_minor"`
	Currency    string    `db:"currency"`
	UpdatedAt   time.Time `db:"updated_at"`
}

// MentorAccount is a mentor's Stripe connected (Express) account as last reported by Stripe.
type MentorAccount struct {
	UserID           uuid.UUID  `db:"user_id"`
	StripeAccountID  string     `db:"stripe_account_id"`
	ChargesEnabled   bool       `db:"charges_enabled"`
	PayoutsEnabled   bool       `db:"payouts_enabled"`
	DetailsSubmitted bool       `db:"details_submitted"`
	UpdatedAt        time.Time  `db:"updated_at"`
	LastEventCreated *time.Time `db:"last_event_created"`
}

// Bookable reports whether the mentor can be booked for pay (Stripe enabled payouts).
func (a MentorAccount) Bookable() bool { return a.ChargesEnabled && a.PayoutsEnabled }

// PaymentPayload is the payload of PAYMENT_* notifications.
type PaymentPayload struct {
	PaymentID uuid.UUID    `json:"paymentId"`
	SessionID uuid.UUID    `json:"sessionId"`
	State     PaymentState `json:"state"`
}
