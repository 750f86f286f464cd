-- Accounts, login sessions (refresh-token families) and their refresh tokens.
CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         citext NOT NULL,
    password_hash text NOT NULL,
    display_name  text NOT NULL,
    roles         text[] NOT NULL DEFAULT '{MEMBER}',
    status        text NOT NULL DEFAULT 'ACTIVE',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_length CHECK (char_length(email) BETWEEN 3 AND 254),
    CONSTRAINT users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 60),
    CONSTRAINT users_roles_known CHECK (
        roles <@ ARRAY['MEMBER', 'MENTOR', 'SUPPORT', 'MODERATOR', 'ADMIN']::text[]
        AND 'MEMBER' = ANY (roles)),
    CONSTRAINT users_status_known CHECK (status IN ('ACTIVE', 'SUSPENDED'))
);

-- Staff listings filter by role and page newest first (UUIDv7 ids sort by creation time).
CREATE INDEX users_roles_idx ON users USING gin (roles);

CREATE TABLE auth_sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoke_reason text,
    user_agent    text,
    ip            inet,
    CONSTRAINT auth_sessions_revoke_reason_known CHECK (
        revoke_reason IS NULL
        OR revoke_reason IN ('LOGOUT', 'LOGOUT_EVERYWHERE', 'REVOKED', 'TOKEN_REUSE')),
    CONSTRAINT auth_sessions_revoked_has_reason CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL)),
    CONSTRAINT auth_sessions_expiry_after_start CHECK (expires_at > created_at)
);

CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id, id DESC);

-- Only a SHA-256 of each refresh token is stored: a database leak does not yield usable tokens.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT refresh_tokens_hash_length CHECK (octet_length(token_hash) = 32)
);

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
