-- Paid mentoring: mentors' Stripe Connect (Express) accounts, their hourly prices per skill,
-- one payment per paid session with its saga steps, refunds, de-duplicated Stripe webhook
-- events and an audit log of staff actions. Money is integer minor units plus an ISO currency.

CREATE TABLE mentor_accounts (
    user_id            uuid PRIMARY KEY REFERENCES users (id),
    stripe_account_id  text NOT NULL UNIQUE,
    charges_enabled    boolean NOT NULL DEFAULT false,
    payouts_enabled    boolean NOT NULL DEFAULT false,
    details_submitted  boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    -- created time of the last account.updated event applied: older events are ignored.
    last_event_created timestamptz
);

CREATE TABLE mentor_prices (
    user_id      uuid NOT NULL REFERENCES users (id),
    skill_id     uuid NOT NULL REFERENCES skills (id),
    -- Hourly price.
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency     char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, skill_id)
);

CREATE TABLE payments (
    id                       uuid PRIMARY KEY,
    session_id               uuid NOT NULL UNIQUE REFERENCES skill_sessions (id),
    payer_id                 uuid NOT NULL REFERENCES users (id),
    payee_id                 uuid NOT NULL REFERENCES users (id),
    amount_minor             bigint NOT NULL CHECK (amount_minor > 0),
    -- Platform fee (application_fee_amount); after refunds, the fee the platform keeps.
    fee_minor                bigint NOT NULL CHECK (fee_minor >= 0),
    currency                 char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    state                    text NOT NULL CHECK (state IN ('REQUIRES_PAYMENT_METHOD', 'AUTHORIZED', 'CAPTURED',
                                 'CANCELED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'FAILED')),
    stripe_payment_intent_id text UNIQUE,
    client_secret            text,
    captured_minor           bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
    refunded_minor           bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    transferred_minor        bigint NOT NULL DEFAULT 0 CHECK (transferred_minor >= 0),
    failure_reason           text,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_two_people CHECK (payer_id <> payee_id),
    CONSTRAINT payments_fee_within_amount CHECK (fee_minor <= amount_minor),
    CONSTRAINT payments_capture_within_amount CHECK (captured_minor <= amount_minor),
    CONSTRAINT payments_refund_within_capture CHECK (refunded_minor <= captured_minor),
    -- Reconciliation: once money moved, captured - refunded - fee = transferred.
    CONSTRAINT payments_reconcile CHECK (captured_minor = 0 AND refunded_minor = 0 AND transferred_minor = 0
        OR captured_minor - refunded_minor - fee_minor = transferred_minor)
);
CREATE INDEX payments_payer_idx ON payments (payer_id, id DESC);
CREATE INDEX payments_payee_idx ON payments (payee_id, id DESC);

-- One row per saga step of a payment (create, capture, cancel, refund...). The idempotency key
-- is sent to Stripe and reused on every retry of the step; status DONE makes a rerun a no-op.
CREATE TABLE payment_steps (
    payment_id      uuid NOT NULL REFERENCES payments (id),
    step            text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    status          text NOT NULL CHECK (status IN ('PENDING', 'DONE', 'SKIPPED')),
    attempts        int NOT NULL DEFAULT 0,
    attempted_at    timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    PRIMARY KEY (payment_id, step)
);

CREATE TABLE refunds (
    id               uuid PRIMARY KEY,
    payment_id       uuid NOT NULL REFERENCES payments (id),
    amount_minor     bigint NOT NULL CHECK (amount_minor > 0),
    reason           text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    stripe_refund_id text UNIQUE,
    -- NULL for refunds the saga made (cancellation, no-show).
    created_by       uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id, id);

-- Stripe webhook events seen: the event id de-duplicates redeliveries.
CREATE TABLE stripe_events (
    event_id     text PRIMARY KEY,
    type         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);

CREATE TABLE admin_audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id   uuid REFERENCES users (id),
    action     text NOT NULL,
    target     text NOT NULL,
    details    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_log_target_idx ON admin_audit_log (target, id);
