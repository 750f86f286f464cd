-- Chat (conversations, participants, messages) and in-app notifications with per-type preferences.
--
-- PostgreSQL is the source of truth of real-time delivery: every message gets a per-conversation
-- sequence number under the conversation's row lock (so seqs commit in order and without gaps),
-- and the broker only carries wake-ups naming that seq.

CREATE TABLE conversations (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('DIRECT', 'GROUP', 'SUPPORT')),
    title           text CHECK (title IS NULL OR char_length(title) BETWEEN 1 AND 100),
    -- The two members of a DIRECT conversation, lowest id first: the unique pair makes opening a
    -- direct conversation idempotent, even when both members open it at the same moment.
    direct_low      uuid REFERENCES users (id),
    direct_high     uuid REFERENCES users (id),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL,
    -- Highest seq handed out; incremented in the sending transaction (which locks the row).
    last_seq        bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    last_message_at timestamptz,
    -- Ordering key of conversation lists: the last message, else the creation.
    activity_at     timestamptz NOT NULL,
    CONSTRAINT conversations_direct_pair CHECK (
        (kind = 'DIRECT') = (direct_low IS NOT NULL)
        AND (direct_low IS NULL) = (direct_high IS NULL)
        AND (direct_low IS NULL OR direct_low < direct_high)),
    CONSTRAINT conversations_direct_pair_key UNIQUE (direct_low, direct_high),
    CONSTRAINT conversations_activity_after_creation CHECK (activity_at >= created_at)
);

CREATE TABLE conversation_participants (
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('OWNER', 'MEMBER', 'AGENT')),
    joined_at       timestamptz NOT NULL,
    left_at         timestamptz,
    -- Read position: messages with a higher seq (from others, not deleted) are unread.
    last_read_seq   bigint NOT NULL DEFAULT 0 CHECK (last_read_seq >= 0),
    -- When the member last read (or wrote): approximates presence for "new message while away".
    last_read_at    timestamptz,
    -- Muted indefinitely when muted_until is NULL, else until that instant.
    muted           boolean NOT NULL DEFAULT false,
    muted_until     timestamptz,
    PRIMARY KEY (conversation_id, user_id),
    CONSTRAINT conversation_participants_left_after_join CHECK (left_at IS NULL OR left_at >= joined_at),
    CONSTRAINT conversation_participants_mute_until_needs_mute CHECK (muted OR muted_until IS NULL)
);
-- A member's conversation list starts from their participations.
CREATE INDEX conversation_participants_user_idx ON conversation_participants (user_id, conversation_id)
    WHERE left_at IS NULL;

CREATE TABLE messages (
    id              uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq             bigint NOT NULL CHECK (seq > 0),
    -- No cascade: erasing an account anonymises it, the other side keeps the conversation.
    sender_id       uuid NOT NULL REFERENCES users (id),
    -- Client-supplied idempotency key: a retried send returns the original message.
    client_id       text NOT NULL CHECK (char_length(client_id) BETWEEN 1 AND 64),
    body            text NOT NULL CHECK (char_length(body) <= 4000),
    attachment_url  text CHECK (attachment_url IS NULL
                                OR (char_length(attachment_url) <= 2048 AND attachment_url LIKE 'https://%')),
    created_at      timestamptz NOT NULL,
    edited_at       timestamptz,
    -- Tombstone: the row (and its seq) stays so sequences never have holes; the content goes.
    deleted_at      timestamptz,
    CONSTRAINT messages_conversation_seq_key UNIQUE (conversation_id, seq),
    CONSTRAINT messages_client_id_key UNIQUE (conversation_id, sender_id, client_id),
    CONSTRAINT messages_tombstone_empty CHECK (deleted_at IS NULL OR (body = '' AND attachment_url IS NULL)),
    CONSTRAINT messages_not_empty CHECK (deleted_at IS NOT NULL OR body <> '' OR attachment_url IS NOT NULL),
    CONSTRAINT messages_edit_after_creation CHECK (edited_at IS NULL OR edited_at >= created_at)
);

CREATE TABLE notifications (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Validated against the Go enum; a shape check here so later issues add types without a migration.
    type       text NOT NULL CHECK (type ~ '^[A-Z][A-Z_]{1,48}$'),
    payload    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
    -- Coalescing key: at most one unread notification per (user, key), e.g. one per conversation
    -- for NEW_MESSAGE however many messages arrive while the member is away.
    group_key  text CHECK (char_length(group_key) BETWEEN 1 AND 200),
    read_at    timestamptz,
    created_at timestamptz NOT NULL
);
-- Feed pages newest first (UUIDv7 ids sort by creation), all or unread only.
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_user_unread_idx ON notifications (user_id, id DESC) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_unread_group_key ON notifications (user_id, group_key)
    WHERE read_at IS NULL AND group_key IS NOT NULL;

-- Only choices that differ from the defaults need a row; the defaults live in Go (domain).
CREATE TABLE notification_preferences (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type          text NOT NULL CHECK (type ~ '^[A-Z][A-Z_]{1,48}$'),
    in_app        boolean NOT NULL,
    email         boolean NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (user_id, type)
);
