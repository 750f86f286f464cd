-- No-show disputes of paid sessions, and Stripe chargebacks of payments.
--
-- A no-show report of a paid session no longer moves money by itself: it opens a dispute that
-- the member reported absent may contest until decides_at. Uncontested, it is upheld at the
-- deadline; contested, staff decide. Only the decision enqueues the payment's saga step.

CREATE TABLE no_show_disputes (
    -- One dispute per session: a session has at most one no-show report.
    session_id    uuid PRIMARY KEY REFERENCES skill_sessions (id),
    payment_id    uuid NOT NULL REFERENCES payments (id),
    absent_id     uuid NOT NULL REFERENCES users (id),
    reported_by   uuid NOT NULL REFERENCES users (id),
    status        text NOT NULL CHECK (status IN ('PENDING', 'CONTESTED', 'UPHELD', 'REJECTED')),
    -- End of the contest window: an uncontested dispute is upheld then.
    decides_at    timestamptz NOT NULL,
    contest_note  text CHECK (char_length(contest_note) BETWEEN 1 AND 1000),
    contested_at  timestamptz,
    -- NULL on a decided dispute: decided by the deadline, nobody contested it.
    decided_by    uuid REFERENCES users (id),
    decision_note text CHECK (char_length(decision_note) BETWEEN 1 AND 1000),
    decided_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT no_show_disputes_two_people CHECK (absent_id <> reported_by),
    CONSTRAINT no_show_disputes_contest CHECK ((contested_at IS NULL) = (contest_note IS NULL)),
    -- A decided dispute has its decision; an open one has none.
    CONSTRAINT no_show_disputes_decision CHECK (
        (status IN ('UPHELD', 'REJECTED')) = (decided_at IS NOT NULL AND decision_note IS NOT NULL)
        AND (decided_by IS NULL OR decided_at IS NOT NULL))
);
-- Staff work through open disputes oldest first, by status (keyset on created_at, session_id).
CREATE INDEX no_show_disputes_status_idx ON no_show_disputes (status, created_at, session_id);
CREATE INDEX no_show_disputes_created_idx ON no_show_disputes (created_at, session_id);

-- Chargebacks (Stripe disputes) of a payment's charge. A PaymentIntent of ours has one charge,
-- and a charge at most one dispute, so the payment carries it. dispute_event_created is the
-- creation time of the last charge.dispute.* event applied: older events are ignored, and a
-- closed status (won, lost, warning_closed) is never overwritten.
ALTER TABLE payments
    ADD COLUMN stripe_dispute_id     text UNIQUE,
    ADD COLUMN dispute_status        text,
    ADD COLUMN disputed_amount_minor bigint CHECK (disputed_amount_minor >= 0),
    -- When the cardholder opened the dispute (the dispute's created time).
    ADD COLUMN disputed_at           timestamptz,
    ADD COLUMN dispute_event_created timestamptz,
    ADD CONSTRAINT payments_dispute_complete CHECK ((stripe_dispute_id IS NULL) = (dispute_status IS NULL));
