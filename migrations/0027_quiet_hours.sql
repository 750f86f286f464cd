-- Issue 17 item 5: quiet hours. A member's nightly window, in the time zone of their profile,
-- during which non-critical email and push wait for its end (the in-app feed is unaffected).

-- One row per member who set quiet hours; none means no quiet hours. Minutes since local
-- midnight: start > end spans midnight (22:00-07:00), start = end is refused (an empty or
-- all-day window is not quiet hours, it is turning a channel off).
CREATE TABLE notification_quiet_hours (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    enabled      boolean NOT NULL,
    start_minute smallint NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   smallint NOT NULL CHECK (end_minute BETWEEN 0 AND 1439),
    updated_at   timestamptz NOT NULL,
    CHECK (start_minute <> end_minute)
);

-- A push held by quiet hours waits in the outbox until not_before (NULL: send at once); the
-- sender leases only rows that are due.
ALTER TABLE push_outbox ADD COLUMN not_before timestamptz;
-- The sender drops held pushes whose notification was read meanwhile: only held rows are looked at.
CREATE INDEX push_outbox_held_idx ON push_outbox (not_before) WHERE not_before IS NOT NULL;
