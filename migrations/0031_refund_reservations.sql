-- Refunds reserve before they call Stripe (issue 20). A refund row is written PENDING, with the
-- idempotency key it is sent to Stripe with, in the transaction that checks what is left to
-- refund (captured - refunded - pending): two refunds can no longer both pass the check. It
-- turns SUCCEEDED when Stripe accepts it (the payment's amounts move in that transaction) or
-- FAILED when Stripe refuses it (the reservation is released); an ambiguous failure (timeout,
-- 5xx) leaves it PENDING and a job retries it with the same key until Stripe answers.
-- Existing rows are refunds Stripe made: SUCCEEDED.
ALTER TABLE refunds
    ADD COLUMN status          text NOT NULL DEFAULT 'SUCCEEDED' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    -- The Stripe idempotency key of a refund SkillSwap made (NULL: made outside, in the Dashboard).
    ADD COLUMN idempotency_key text UNIQUE,
    -- Stripe's answer when it refused the refund.
    ADD COLUMN failure_reason  text CHECK (char_length(failure_reason) <= 500),
    -- When it became SUCCEEDED or FAILED.
    ADD COLUMN settled_at      timestamptz,
    ADD CONSTRAINT refunds_pending_is_ours CHECK (status <> 'PENDING' OR idempotency_key IS NOT NULL),
    ADD CONSTRAINT refunds_succeeded_has_stripe_id CHECK (status <> 'SUCCEEDED' OR stripe_refund_id IS NOT NULL
        OR idempotency_key IS NULL);
UPDATE refunds SET settled_at = created_at;
CREATE INDEX refunds_pending_idx ON refunds (payment_id) WHERE status = 'PENDING';

-- A step whose Stripe call was refused for good (a refund Stripe would not make) ends FAILED:
-- retrying it with the same key would get the same refusal.
ALTER TABLE payment_steps DROP CONSTRAINT payment_steps_status_check,
    ADD CONSTRAINT payment_steps_status_check CHECK (status IN ('PENDING', 'DONE', 'SKIPPED', 'FAILED'));
