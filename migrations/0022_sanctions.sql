-- Sanctions and appeals (issue 16 item 3): moderators sanction members (warning, content
-- removal, limit, suspension, ban), each with a statement of reasons the member reads; the
-- member may appeal each sanction once within 20 days, and another moderator decides.

CREATE TABLE moderation_sanctions (
    id                   uuid PRIMARY KEY,
    -- The member sanctioned. No cascade: erasure anonymises users, the record stays.
    user_id              uuid NOT NULL REFERENCES users (id),
    -- The case the sanction answers, if any.
    case_id              uuid REFERENCES moderation_cases (id),
    kind                 text NOT NULL CHECK (kind IN ('WARNING', 'CONTENT_REMOVAL', 'LIMIT', 'SUSPENSION', 'BAN')),
    -- What a CONTENT_REMOVAL removed (a message tombstoned, a review hidden).
    content_type         text CHECK (content_type IN ('MESSAGE', 'REVIEW')),
    content_id           uuid,
    statement_of_reasons text NOT NULL CHECK (char_length(statement_of_reasons) BETWEEN 1 AND 5000),
    imposed_by           uuid NOT NULL REFERENCES users (id),
    starts_at            timestamptz NOT NULL,
    -- When a LIMIT or SUSPENSION ends by itself; NULL for the others (a BAN does not end).
    ends_at              timestamptz,
    -- Lifted early (liftSanction) or overturned on appeal.
    lifted_at            timestamptz,
    lifted_by            uuid REFERENCES users (id),
    lift_reason          text CHECK (char_length(lift_reason) <= 5000),
    created_at           timestamptz NOT NULL,
    CONSTRAINT moderation_sanctions_timed CHECK ((kind IN ('LIMIT', 'SUSPENSION')) = (ends_at IS NOT NULL)),
    CONSTRAINT moderation_sanctions_ends_after CHECK (ends_at IS NULL OR ends_at > starts_at),
    CONSTRAINT moderation_sanctions_content CHECK ((kind = 'CONTENT_REMOVAL') = (content_id IS NOT NULL AND content_type IS NOT NULL)),
    CONSTRAINT moderation_sanctions_lifted CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
);
-- A member's sanctions (mySanctions, User.sanctions), newest first.
CREATE INDEX moderation_sanctions_user_idx ON moderation_sanctions (user_id, id);
-- The restrictions in force, read on every startConversation and proposeSession.
CREATE INDEX moderation_sanctions_active_idx ON moderation_sanctions (user_id, ends_at)
    WHERE lifted_at IS NULL AND kind IN ('LIMIT', 'SUSPENSION', 'BAN');

CREATE TABLE moderation_appeals (
    id               uuid PRIMARY KEY,
    -- One appeal per sanction.
    sanction_id      uuid NOT NULL UNIQUE REFERENCES moderation_sanctions (id),
    user_id          uuid NOT NULL REFERENCES users (id),
    -- Not empty when written (the service checks); '' once its member is erased.
    text             text NOT NULL CHECK (char_length(text) <= 5000),
    state            text NOT NULL DEFAULT 'OPEN' CHECK (state IN ('OPEN', 'UPHELD', 'OVERTURNED')),
    decided_by       uuid REFERENCES users (id),
    decision_reasons text CHECK (char_length(decision_reasons) <= 5000),
    decided_at       timestamptz,
    created_at       timestamptz NOT NULL,
    CONSTRAINT moderation_appeals_decided CHECK ((state = 'OPEN') = (decided_at IS NULL AND decided_by IS NULL))
);
-- The queue of open appeals, oldest first.
CREATE INDEX moderation_appeals_open_idx ON moderation_appeals (created_at, id) WHERE state = 'OPEN';
CREATE INDEX moderation_appeals_user_idx ON moderation_appeals (user_id);

-- The thread of an appeal between the member and the moderators.
CREATE TABLE moderation_appeal_messages (
    id         uuid PRIMARY KEY,
    appeal_id  uuid NOT NULL REFERENCES moderation_appeals (id),
    author_id  uuid NOT NULL REFERENCES users (id),
    -- Not empty when written (the service checks); '' once its (member) author is erased.
    body       text NOT NULL CHECK (char_length(body) <= 5000),
    created_at timestamptz NOT NULL
);
CREATE INDEX moderation_appeal_messages_appeal_idx ON moderation_appeal_messages (appeal_id, id);

-- A review removed by a moderator: hidden from everyone but its author, out of the reviewee's
-- rating.
ALTER TABLE reviews ADD COLUMN hidden_at timestamptz;

-- A suspension ends every login session of the member.
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_revoke_reason_known;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_revoke_reason_known CHECK (
    revoke_reason IS NULL
    OR revoke_reason IN ('LOGOUT', 'LOGOUT_EVERYWHERE', 'REVOKED', 'TOKEN_REUSE', 'PASSWORD_RESET',
                         'PASSWORD_CHANGED', 'EMAIL_CHANGE_UNDONE', 'ACCOUNT_ERASED', 'FORCED_BY_STAFF',
                         'SUSPENDED'));
