-- Issue 17 item 4: digests. A member may gather the emails of a notification type into one
-- daily or weekly email sent at a local time they choose.

-- Per type: TRUE sends its emails in the digest instead of one by one; NULL (never chosen) and
-- FALSE send them at once. Critical types are never digested (the service refuses it).
ALTER TABLE notification_preferences ADD COLUMN email_digest boolean;

-- One row per member who has a digest schedule (set explicitly, or the default one created when
-- they first set a type to digest). next_digest_at is an absolute instant computed from the
-- local time on the actual date in the member's zone (DST-correct); the periodic run claims due
-- rows with FOR UPDATE SKIP LOCKED and advances it in the transaction that enqueues the email.
CREATE TABLE notification_digest_schedules (
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    frequency      text NOT NULL CHECK (frequency IN ('DAILY', 'WEEKLY')),
    -- 0 = Sunday .. 6 = Saturday (Go's time.Weekday); only for WEEKLY.
    weekday        smallint CHECK (weekday BETWEEN 0 AND 6),
    minute         smallint NOT NULL CHECK (minute BETWEEN 0 AND 1439),
    next_digest_at timestamptz NOT NULL,
    -- When the last digest period ended (what "new" counts from); NULL before the first.
    last_digest_at timestamptz,
    updated_at     timestamptz NOT NULL,
    CHECK ((frequency = 'WEEKLY') = (weekday IS NOT NULL))
);
CREATE INDEX notification_digest_schedules_due_idx ON notification_digest_schedules (next_digest_at);
