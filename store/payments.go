package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// Paid mentoring: mentor prices and connected accounts, payments, their saga steps, refunds,
// Stripe webhook de-duplication and the admin audit log.

// UpsertMentorPrice sets a mentor's hourly price for a skill.
func (q *Queries) UpsertMentorPrice(ctx context.Context, p domain.MentorPrice) (domain.MentorPrice, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO mentor_prices (user_id, skill_id, amount_minor, currency, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, skill_id) DO UPDATE
			SET amount_minor = EXCLUDED.amount_minor, currency = EXCLUDED.currency, updated_at = EXCLUDED.updated_at
		RETURNING user_id, skill_id, amount_minor, currency, updated_at`,
		p.UserID, p.SkillID, p.AmountMinor, p.Currency, p.UpdatedAt)
	if err != nil {
		return domain.MentorPrice{}, mapErr(err, "upsert mentor price", "skill", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.MentorPrice])
	return out, mapErr(err, "upsert mentor price", "skill", "")
}

// MentorPrice returns a mentor's hourly price for a skill (NotFound when none is set).
func (q *Queries) MentorPrice(ctx context.Context, userID, skillID uuid.UUID) (domain.MentorPrice, error) {
	rows, err := q.db.Query(ctx, `
		SELECT user_id, skill_id, amount_minor, currency, updated_at
		FROM mentor_prices WHERE user_id = $1 AND skill_id = $2`, userID, skillID)
	if err != nil {
		return domain.MentorPrice{}, mapErr(err, "select mentor price", "price", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.MentorPrice])
	return out, mapErr(err, "select mentor price", "price", "")
}

const mentorAccountColumns = `user_id, stripe_account_id, charges_enabled, payouts_enabled, details_submitted,
	updated_at, last_event_created`

// MentorAccount returns a mentor's connected account (NotFound when none was created).
func (q *Queries) MentorAccount(ctx context.Context, userID uuid.UUID) (domain.MentorAccount, error) {
	rows, err := q.db.Query(ctx, `SELECT `+mentorAccountColumns+` FROM mentor_accounts WHERE user_id = $1`, userID)
	if err != nil {
		return domain.MentorAccount{}, mapErr(err, "select mentor account", "mentor account", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.MentorAccount])
	return out, mapErr(err, "select mentor account", "mentor account", "")
}

// InsertMentorAccount records a new connected account; a mentor has at most one.
func (q *Queries) InsertMentorAccount(ctx context.Context, a domain.MentorAccount) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO mentor_accounts (user_id, stripe_account_id, updated_at) VALUES ($1, $2, $3)`,
		a.UserID, a.StripeAccountID, a.UpdatedAt)
	return mapErr(err, "insert mentor account", "mentor account", "the mentor already has a payout account")
}

// ApplyAccountUpdate stores the account flags of an account.updated event created at
// eventCreated, unless a newer event was applied already. It reports whether it changed the row.
func (q *Queries) ApplyAccountUpdate(ctx context.Context, stripeAccountID string, charges, payouts, details bool, eventCreated time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		UPDATE mentor_accounts
		SET charges_enabled = $2, payouts_enabled = $3, details_submitted = $4, updated_at = now(), last_event_created = $5
		WHERE stripe_account_id = $1 AND (last_event_created IS NULL OR last_event_created <= $5)`,
		stripeAccountID, charges, payouts, details, eventCreated)
	if err != nil {
		return false, mapErr(err, "apply account update", "mentor account", "")
	}
	return tag.RowsAffected() == 1, nil
}

const paymentColumns = `id, session_id, payer_id, payee_id, amount_minor, fee_minor, currency, state,
	stripe_payment_intent_id, client_secret, captured_minor, refunded_minor, transferred_minor, failure_reason,
	stripe_dispute_id, dispute_status, disputed_amount_minor, disputed_at, dispute_event_created,
	created_at, updated_at`

func collectPayment(rows pgx.Rows, err error, what string) (domain.Payment, error) {
	if err != nil {
		return domain.Payment{}, mapErr(err, what, "payment", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Payment])
	return out, mapErr(err, what, "payment", "this session already has a payment")
}

// InsertPayment creates a payment; a session has at most one (CONFLICT otherwise).
func (q *Queries) InsertPayment(ctx context.Context, p domain.Payment) (domain.Payment, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO payments (id, session_id, payer_id, payee_id, amount_minor, fee_minor, currency, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		RETURNING `+paymentColumns,
		p.ID, p.SessionID, p.PayerID, p.PayeeID, p.AmountMinor, p.FeeMinor, p.Currency, p.State, p.CreatedAt)
	return collectPayment(rows, err, "insert payment")
}

// PaymentByID returns a payment.
func (q *Queries) PaymentByID(ctx context.Context, id uuid.UUID) (domain.Payment, error) {
	rows, err := q.db.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1`, id)
	return collectPayment(rows, err, "select payment")
}

// PaymentBySession returns the payment of a session.
func (q *Queries) PaymentBySession(ctx context.Context, sessionID uuid.UUID) (domain.Payment, error) {
	rows, err := q.db.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE session_id = $1`, sessionID)
	return collectPayment(rows, err, "select payment by session")
}

// LockPayment returns a payment, locked until the transaction ends.
func (q *Queries) LockPayment(ctx context.Context, id uuid.UUID) (domain.Payment, error) {
	rows, err := q.db.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = $1 FOR UPDATE`, id)
	return collectPayment(rows, err, "lock payment")
}

// LockPaymentByIntent returns the payment of a Stripe PaymentIntent, locked.
func (q *Queries) LockPaymentByIntent(ctx context.Context, intentID string) (domain.Payment, error) {
	rows, err := q.db.Query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE stripe_payment_intent_id = $1 FOR UPDATE`, intentID)
	return collectPayment(rows, err, "lock payment by intent")
}

// SetPaymentIntent records the PaymentIntent created for a payment.
func (q *Queries) SetPaymentIntent(ctx context.Context, id uuid.UUID, intentID, clientSecret string) (domain.Payment, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE payments SET stripe_payment_intent_id = $2, client_secret = $3, updated_at = now()
		WHERE id = $1 RETURNING `+paymentColumns, id, intentID, clientSecret)
	return collectPayment(rows, err, "set payment intent")
}

// UpdatePaymentState writes a payment's state and amounts (the database checks that they
// reconcile).
func (q *Queries) UpdatePaymentState(ctx context.Context, p domain.Payment) (domain.Payment, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE payments SET state = $2, fee_minor = $3, captured_minor = $4, refunded_minor = $5,
			transferred_minor = $6, failure_reason = $7, updated_at = now()
		WHERE id = $1 RETURNING `+paymentColumns,
		p.ID, p.State, p.FeeMinor, p.CapturedMinor, p.RefundedMinor, p.TransferredMinor, p.FailureReason)
	return collectPayment(rows, err, "update payment")
}

// SetPaymentDispute writes the chargeback columns of a payment (StripeDisputeID,
// DisputeStatus, DisputedAmountMinor, DisputedAt, DisputeEventCreated).
func (q *Queries) SetPaymentDispute(ctx context.Context, p domain.Payment) (domain.Payment, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE payments SET stripe_dispute_id = $2, dispute_status = $3, disputed_amount_minor = $4,
			disputed_at = $5, dispute_event_created = $6, updated_at = now()
		WHERE id = $1 RETURNING `+paymentColumns,
		p.ID, p.StripeDisputeID, p.DisputeStatus, p.DisputedAmountMinor, p.DisputedAt, p.DisputeEventCreated)
	return collectPayment(rows, err, "set payment dispute")
}

// PaymentStep is one saga step of a payment.
type PaymentStep struct {
	PaymentID      uuid.UUID  `db:"payment_id"`
	Step           string     `db:"step"`
	IdempotencyKey string     `db:"idempotency_key"`
	Status         string     `db:"status"`
	Attempts       int        `db:"attempts"`
	AttemptedAt    time.Time  `db:"attempted_at"`
	DoneAt         *time.Time `db:"done_at"`
}

// Payment step statuses.
const (
	StepPending = "PENDING"
	StepDone    = "DONE"
	StepSkipped = "SKIPPED"
	// StepFailed: Stripe refused the step's call for good (a refund it would not make); a
	// retry with the same key would get the same answer.
	StepFailed = "FAILED"
)

// BeginPaymentStep records an attempt of a step (creating it PENDING with key on the first
// attempt) and returns it; a step already DONE, SKIPPED or FAILED comes back as is, and its
// key never changes, so every retry sends Stripe the same idempotency key.
func (q *Queries) BeginPaymentStep(ctx context.Context, paymentID uuid.UUID, step, key string) (PaymentStep, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO payment_steps (payment_id, step, idempotency_key, status, attempts)
		VALUES ($1, $2, $3, 'PENDING', 1)
		ON CONFLICT (payment_id, step) DO UPDATE
			SET attempts = payment_steps.attempts + CASE WHEN payment_steps.status = 'PENDING' THEN 1 ELSE 0 END,
				attempted_at = CASE WHEN payment_steps.status = 'PENDING' THEN now() ELSE payment_steps.attempted_at END
		RETURNING payment_id, step, idempotency_key, status, attempts, attempted_at, done_at`, paymentID, step, key)
	if err != nil {
		return PaymentStep{}, mapErr(err, "begin payment step", "payment", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[PaymentStep])
	return out, mapErr(err, "begin payment step", "payment", "")
}

// FinishPaymentStep marks a step DONE, SKIPPED or FAILED.
func (q *Queries) FinishPaymentStep(ctx context.Context, paymentID uuid.UUID, step, status string) error {
	_, err := q.db.Exec(ctx, `
		UPDATE payment_steps SET status = $3, done_at = now() WHERE payment_id = $1 AND step = $2`,
		paymentID, step, status)
	return mapErr(err, "finish payment step", "payment", "")
}

// PaymentSteps lists a payment's steps in the order they began.
func (q *Queries) PaymentSteps(ctx context.Context, paymentID uuid.UUID) ([]PaymentStep, error) {
	rows, err := q.db.Query(ctx, `
		SELECT payment_id, step, idempotency_key, status, attempts, attempted_at, done_at
		FROM payment_steps WHERE payment_id = $1 ORDER BY attempted_at, step`, paymentID)
	if err != nil {
		return nil, mapErr(err, "select payment steps", "payment", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[PaymentStep])
	return out, mapErr(err, "select payment steps", "payment", "")
}

const refundColumns = `id, payment_id, amount_minor, reason, stripe_refund_id, created_by, created_at,
	status, idempotency_key, failure_reason, settled_at`

// InsertRefund records a refund: a PENDING reservation of one SkillSwap is about to ask Stripe
// for (with its idempotency key), or a SUCCEEDED refund Stripe made.
func (q *Queries) InsertRefund(ctx context.Context, r domain.Refund) error {
	if r.Status == "" {
		r.Status = domain.RefundSucceeded
	}
	_, err := q.db.Exec(ctx, `
		INSERT INTO refunds (id, payment_id, amount_minor, reason, stripe_refund_id, created_by, created_at,
			status, idempotency_key, failure_reason, settled_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, r.PaymentID, r.AmountMinor, r.Reason, r.StripeRefundID, r.CreatedBy, r.CreatedAt,
		r.Status, r.IdempotencyKey, r.FailureReason, r.SettledAt)
	return mapErr(err, "insert refund", "payment", "this refund was already recorded")
}

// RefundByKey returns the refund SkillSwap reserved under a Stripe idempotency key (NOT_FOUND
// when there is none). Callers hold the lock of its payment.
func (q *Queries) RefundByKey(ctx context.Context, key string) (domain.Refund, error) {
	rows, err := q.db.Query(ctx, `SELECT `+refundColumns+` FROM refunds WHERE idempotency_key = $1`, key)
	if err != nil {
		return domain.Refund{}, mapErr(err, "select refund by key", "refund", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Refund])
	return out, mapErr(err, "select refund by key", "refund", "")
}

// PendingRefundsMinor sums a payment's PENDING refunds: reserved, not yet answered by Stripe.
func (q *Queries) PendingRefundsMinor(ctx context.Context, paymentID uuid.UUID) (int64, error) {
	var n int64
	err := q.db.QueryRow(ctx, `
		SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE payment_id = $1 AND status = 'PENDING'`, paymentID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sum pending refunds: %w", err)
	}
	return n, nil
}

// SettleRefund ends a PENDING refund: SUCCEEDED with Stripe's refund id and the amount the
// payment records, or FAILED with Stripe's reason. It reports false when the refund was no
// longer PENDING (settled already, by a webhook or a concurrent attempt).
func (q *Queries) SettleRefund(ctx context.Context, r domain.Refund) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		UPDATE refunds SET status = $2, stripe_refund_id = coalesce($3, stripe_refund_id), amount_minor = $4,
			failure_reason = $5, settled_at = $6
		WHERE id = $1 AND status = 'PENDING'`,
		r.ID, r.Status, r.StripeRefundID, r.AmountMinor, r.FailureReason, r.SettledAt)
	if err != nil {
		return false, mapErr(err, "settle refund", "refund", "this Stripe refund is recorded already")
	}
	return tag.RowsAffected() == 1, nil
}

// RefundRecorded reports whether a Stripe refund id is recorded already.
func (q *Queries) RefundRecorded(ctx context.Context, stripeRefundID string) (bool, error) {
	var ok bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM refunds WHERE stripe_refund_id = $1)`, stripeRefundID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("refund recorded: %w", err)
	}
	return ok, nil
}

// Refunds lists a payment's SUCCEEDED refunds (money given back: their sum is the payment's
// refunded amount), oldest first.
func (q *Queries) Refunds(ctx context.Context, paymentID uuid.UUID) ([]domain.Refund, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+refundColumns+` FROM refunds WHERE payment_id = $1 AND status = 'SUCCEEDED' ORDER BY id`, paymentID)
	if err != nil {
		return nil, mapErr(err, "select refunds", "payment", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Refund])
	return out, mapErr(err, "select refunds", "payment", "")
}

// RecordStripeEvent remembers a webhook event id; it reports false when the event was seen
// before (a redelivery), in which case nothing else should happen.
func (q *Queries) RecordStripeEvent(ctx context.Context, eventID, typ string) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		INSERT INTO stripe_events (event_id, type) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING`, eventID, typ)
	if err != nil {
		return false, fmt.Errorf("record stripe event: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// MarkStripeEventProcessed records that an event's effect was applied; it reports false when it
// had been already (the job ran twice).
func (q *Queries) MarkStripeEventProcessed(ctx context.Context, eventID string) (bool, error) {
	tag, err := q.db.Exec(ctx, `
		UPDATE stripe_events SET processed_at = now() WHERE event_id = $1 AND processed_at IS NULL`, eventID)
	if err != nil {
		return false, fmt.Errorf("mark stripe event processed: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SetSessionPrice stores a paid session's price (the reserved skill_sessions columns).
func (q *Queries) SetSessionPrice(ctx context.Context, sessionID uuid.UUID, amount int64, currency string) error {
	_, err := q.db.Exec(ctx, `
		UPDATE skill_sessions SET price_amount = $2, price_currency = $3, updated_at = now() WHERE id = $1`,
		sessionID, amount, currency)
	return mapErr(err, "set session price", "session", "")
}

// OffersSkill reports whether a member lists skill among the skills they offer.
func (q *Queries) OffersSkill(ctx context.Context, userID, skillID uuid.UUID) (bool, error) {
	var ok bool
	err := q.db.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM member_skills WHERE user_id = $1 AND skill_id = $2 AND kind = 'OFFER')`,
		userID, skillID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("offers skill: %w", err)
	}
	return ok, nil
}

// PaymentsOfUser lists the payments a member made or received, newest first, keyset-paginated
// on the id (UUIDv7: creation order) after the given one.
func (q *Queries) PaymentsOfUser(ctx context.Context, userID uuid.UUID, after *uuid.UUID, limit int) ([]domain.Payment, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+paymentColumns+` FROM (
			(SELECT `+paymentColumns+` FROM payments WHERE payer_id = $1 AND ($2::uuid IS NULL OR id < $2) ORDER BY id DESC LIMIT $3)
			UNION ALL
			(SELECT `+paymentColumns+` FROM payments WHERE payee_id = $1 AND ($2::uuid IS NULL OR id < $2) ORDER BY id DESC LIMIT $3)
		) p ORDER BY id DESC LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, mapErr(err, "select payments of user", "payment", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Payment])
	return out, mapErr(err, "select payments of user", "payment", "")
}

// PaymentsBySessionIDs returns the payments of the given sessions, by session id (unpaid
// sessions are absent).
func (q *Queries) PaymentsBySessionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Payment, error) {
	return keyedRows(ctx, q.db, "select payments of sessions", "payment",
		func(p domain.Payment) uuid.UUID { return p.SessionID },
		`SELECT `+paymentColumns+` FROM payments WHERE session_id = ANY($1)`, uuidArgs(ids))
}

// RefundsByPaymentIDs returns the SUCCEEDED refunds of the given payments, oldest first, by
// payment id.
func (q *Queries) RefundsByPaymentIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.Refund, error) {
	return groupedRows(ctx, q.db, "select refunds of payments", "payment", len(ids),
		func(r domain.Refund) uuid.UUID { return r.PaymentID }, `
		SELECT `+refundColumns+`
		FROM refunds WHERE payment_id = ANY($1) AND status = 'SUCCEEDED' ORDER BY payment_id, id`, uuidArgs(ids))
}

// MentorPricesByUserIDs returns the hourly prices of the given members, by member id.
func (q *Queries) MentorPricesByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.MentorPrice, error) {
	return groupedRows(ctx, q.db, "select mentor prices", "price", len(ids),
		func(p domain.MentorPrice) uuid.UUID { return p.UserID }, `
		SELECT user_id, skill_id, amount_minor, currency, updated_at
		FROM mentor_prices WHERE user_id = ANY($1) ORDER BY user_id, skill_id`, uuidArgs(ids))
}

// MentorAccountsByUserIDs returns the connected accounts of the given members, by member id
// (members without one are absent).
func (q *Queries) MentorAccountsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.MentorAccount, error) {
	return keyedRows(ctx, q.db, "select mentor accounts", "mentor account",
		func(a domain.MentorAccount) uuid.UUID { return a.UserID },
		`SELECT `+mentorAccountColumns+` FROM mentor_accounts WHERE user_id = ANY($1)`, uuidArgs(ids))
}

// DeleteMentorPrice removes a member's hourly price for a skill (nothing when there is none).
func (q *Queries) DeleteMentorPrice(ctx context.Context, userID, skillID uuid.UUID) error {
	_, err := q.db.Exec(ctx, `DELETE FROM mentor_prices WHERE user_id = $1 AND skill_id = $2`, userID, skillID)
	return mapErr(err, "delete mentor price", "price", "")
}
