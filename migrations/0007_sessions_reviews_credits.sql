-- Skill sessions (teaching sessions between two members), their bookings (no double booking),
-- proposal history, reviews with member rating aggregates, calendar feeds and the time-credit
-- double-entry ledger. "Skill sessions" are not auth_sessions (login sessions).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE skill_sessions (
    id                   uuid PRIMARY KEY,
    skill_id             uuid NOT NULL REFERENCES skills (id),
    teacher_id           uuid NOT NULL REFERENCES users (id),
    learner_id           uuid NOT NULL REFERENCES users (id),
    created_by           uuid NOT NULL REFERENCES users (id),
    -- Who made the proposal currently on the table: the other participant answers it.
    proposer_id          uuid NOT NULL REFERENCES users (id),
    starts_at            timestamptz NOT NULL,
    duration_minutes     int NOT NULL CHECK (duration_minutes BETWEEN 1 AND 720),
    -- Stored rather than generated: timestamptz + interval is only STABLE in PostgreSQL.
    ends_at              timestamptz NOT NULL,
    mode                 text NOT NULL CHECK (mode IN ('ONLINE', 'IN_PERSON')),
    link                 text CHECK (char_length(link) <= 2048),
    place                text CHECK (char_length(place) <= 300),
    note                 text NOT NULL DEFAULT '' CHECK (char_length(note) <= 1000),
    state                text NOT NULL CHECK (state IN ('PROPOSED', 'CONFIRMED', 'DECLINED', 'CANCELLED', 'COMPLETED', 'NO_SHOW')),
    -- Bumped on every change (ICS SEQUENCE).
    version              int NOT NULL DEFAULT 1,
    -- Bumped each time the session is (re)confirmed; reminder and auto-completion jobs carry it
    -- and do nothing once it moved on (the session was cancelled or rescheduled since).
    booking_seq          int NOT NULL DEFAULT 0,
    cancelled_by         uuid REFERENCES users (id),
    cancelled_at         timestamptz,
    cancel_reason        text CHECK (char_length(cancel_reason) <= 500),
    late_cancellation    boolean NOT NULL DEFAULT false,
    teacher_confirmed_at timestamptz,
    learner_confirmed_at timestamptz,
    completed_at         timestamptz,
    auto_completed       boolean NOT NULL DEFAULT false,
    problem_reported_by  uuid REFERENCES users (id),
    problem_reported_at  timestamptz,
    problem_note         text CHECK (char_length(problem_note) <= 1000),
    no_show_user_id      uuid REFERENCES users (id),
    no_show_reported_by  uuid REFERENCES users (id),
    no_show_reported_at  timestamptz,
    -- Reserved for paid mentoring (payments issue): NULL means a time-credit session.
    price_amount         bigint CHECK (price_amount >= 0),
    price_currency       char(3) CHECK (price_currency ~ '^[A-Z]{3}$'),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT skill_sessions_two_people CHECK (teacher_id <> learner_id),
    CONSTRAINT skill_sessions_proposer_participates CHECK (proposer_id IN (teacher_id, learner_id)),
    CONSTRAINT skill_sessions_creator_participates CHECK (created_by IN (teacher_id, learner_id)),
    CONSTRAINT skill_sessions_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT skill_sessions_online_has_link CHECK ((mode = 'ONLINE') = (link IS NOT NULL)),
    CONSTRAINT skill_sessions_in_person_has_place CHECK ((mode = 'IN_PERSON') = (place IS NOT NULL)),
    CONSTRAINT skill_sessions_price_paired CHECK ((price_amount IS NULL) = (price_currency IS NULL)),
    CONSTRAINT skill_sessions_cancel_consistent CHECK ((state = 'CANCELLED') = (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL)),
    CONSTRAINT skill_sessions_completed_consistent CHECK ((state = 'COMPLETED') = (completed_at IS NOT NULL)),
    CONSTRAINT skill_sessions_no_show_consistent CHECK ((state = 'NO_SHOW') = (no_show_user_id IS NOT NULL))
);
-- upcomingSessions / pastSessions page per participant by start time.
CREATE INDEX skill_sessions_teacher_idx ON skill_sessions (teacher_id, starts_at, id);
CREATE INDEX skill_sessions_learner_idx ON skill_sessions (learner_id, starts_at, id);

-- One row per participant of a CONFIRMED (or COMPLETED) session: the exclusion constraint
-- forbids two overlapping bookings of one person, whether teacher or learner. `during` runs from
-- the start to the end plus the configured buffer, so two bookings are at least one buffer apart.
-- Rows are deleted when a session is cancelled, rescheduled or marked a no-show.
CREATE TABLE session_bookings (
    session_id uuid NOT NULL REFERENCES skill_sessions (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id),
    during     tstzrange NOT NULL CHECK (NOT isempty(during)),
    PRIMARY KEY (session_id, user_id),
    CONSTRAINT session_bookings_no_overlap EXCLUDE USING gist (user_id WITH =, during WITH &&)
);

-- Every time put on the table (the first proposal and each counter-proposal), oldest first.
CREATE TABLE session_proposals (
    id               uuid PRIMARY KEY,
    session_id       uuid NOT NULL REFERENCES skill_sessions (id) ON DELETE CASCADE,
    proposer_id      uuid NOT NULL REFERENCES users (id),
    starts_at        timestamptz NOT NULL,
    duration_minutes int NOT NULL CHECK (duration_minutes BETWEEN 1 AND 720),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_proposals_session_idx ON session_proposals (session_id, id);

-- Reviews: each participant reviews the other once per session. Double-blind: visible_at stays
-- NULL until both sides reviewed or the review window closed; aggregates move when it is set.
CREATE TABLE reviews (
    id          uuid PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES skill_sessions (id),
    reviewer_id uuid NOT NULL REFERENCES users (id),
    reviewee_id uuid NOT NULL REFERENCES users (id),
    rating      smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment     text NOT NULL DEFAULT '' CHECK (char_length(comment) <= 2000),
    tags        text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
    created_at  timestamptz NOT NULL DEFAULT now(),
    visible_at  timestamptz,
    CONSTRAINT reviews_session_reviewer_key UNIQUE (session_id, reviewer_id),
    CONSTRAINT reviews_not_self CHECK (reviewer_id <> reviewee_id)
);
CREATE INDEX reviews_reviewee_idx ON reviews (reviewee_id, id DESC) WHERE visible_at IS NOT NULL;

CREATE TABLE review_reports (
    id          uuid PRIMARY KEY,
    review_id   uuid NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    reporter_id uuid NOT NULL REFERENCES users (id),
    reason      text NOT NULL CHECK (reason IN ('SPAM', 'ABUSIVE', 'OFF_TOPIC', 'PERSONAL_DATA', 'FALSE', 'OTHER')),
    note        text NOT NULL DEFAULT '' CHECK (char_length(note) <= 1000),
    status      text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'DISMISSED', 'UPHELD')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT review_reports_once UNIQUE (review_id, reporter_id)
);
CREATE INDEX review_reports_open_idx ON review_reports (id) WHERE status = 'OPEN';

-- Aggregates of visible reviews received; updated in the transaction that makes reviews visible.
-- bayesian = (C*m + sum) / (C + count) with the priors of domain.RatingPriorMean/Weight.
CREATE TABLE member_ratings (
    user_id    uuid PRIMARY KEY REFERENCES users (id),
    count      int NOT NULL CHECK (count >= 0),
    sum        bigint NOT NULL CHECK (sum BETWEEN count AND 5 * count),
    mean       double precision GENERATED ALWAYS AS (CASE WHEN count > 0 THEN sum::double precision / count END) STORED,
    bayesian   double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Secret, revocable ICS feed URLs; only a SHA-256 of the token is stored.
CREATE TABLE calendar_feeds (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE UNIQUE INDEX calendar_feeds_one_active ON calendar_feeds (user_id) WHERE revoked_at IS NULL;

-- Time-credit ledger, in minutes. An account per member plus system accounts; every
-- transaction's entries sum to zero (checked at commit), entries are append-only, and each
-- account's balance is kept equal to the sum of its entries by the trigger below.
CREATE TABLE credit_accounts (
    id          uuid PRIMARY KEY,
    user_id     uuid UNIQUE REFERENCES users (id),
    system_code text UNIQUE CHECK (system_code IN ('STARTER', 'ADJUSTMENT')),
    balance     bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_accounts_owner CHECK ((user_id IS NULL) <> (system_code IS NULL))
);
INSERT INTO credit_accounts (id, system_code) VALUES
    ('00000000-0000-7000-8000-000000000001', 'STARTER'),
    ('00000000-0000-7000-8000-000000000002', 'ADJUSTMENT');

CREATE TABLE credit_transactions (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('STARTER_GRANT', 'SESSION_PAYMENT', 'ADJUSTMENT')),
    session_id uuid REFERENCES skill_sessions (id),
    memo       text NOT NULL DEFAULT '' CHECK (char_length(memo) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_transactions_payment_has_session CHECK ((kind = 'SESSION_PAYMENT') = (session_id IS NOT NULL))
);
-- A session is paid at most once, even if two completions race.
CREATE UNIQUE INDEX credit_transactions_one_payment ON credit_transactions (session_id) WHERE kind = 'SESSION_PAYMENT';

CREATE TABLE credit_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id uuid NOT NULL REFERENCES credit_transactions (id),
    account_id     uuid NOT NULL REFERENCES credit_accounts (id),
    amount         bigint NOT NULL CHECK (amount <> 0),
    -- The account's balance right after this entry (set by the trigger).
    balance_after  bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_entries_account_idx ON credit_entries (account_id, id DESC);
CREATE INDEX credit_entries_transaction_idx ON credit_entries (transaction_id);

-- Keeps credit_accounts.balance = sum of the account's entries, in the same statement.
CREATE FUNCTION credit_entries_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE credit_accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id
    RETURNING balance INTO NEW.balance_after;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'credit account % does not exist', NEW.account_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER credit_entries_apply BEFORE INSERT ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION credit_entries_apply();

-- The ledger is append-only: corrections are new transactions.
CREATE FUNCTION credit_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit entries are append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER credit_entries_immutable BEFORE UPDATE OR DELETE ON credit_entries
    FOR EACH ROW EXECUTE FUNCTION credit_entries_immutable();

-- Double entry: checked at commit, once all entries of a transaction are in.
CREATE FUNCTION credit_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
BEGIN
    SELECT sum(amount) INTO total FROM credit_entries WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'credit transaction % does not balance (sum %)', NEW.transaction_id, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'credit_entries_balanced';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER credit_entries_balanced AFTER INSERT ON credit_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION credit_entries_balanced();
