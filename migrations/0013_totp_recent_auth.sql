-- Second factor (TOTP, RFC 6238) and recent authentication.

-- When the session's member last proved who they are (log-in, or reauthenticate): sensitive
-- operations require it to be recent (RECENT_AUTH_MAX_AGE). Existing sessions count from sign-in.
ALTER TABLE auth_sessions ADD COLUMN authenticated_at timestamptz NOT NULL DEFAULT now();
UPDATE auth_sessions SET authenticated_at = created_at;

-- One TOTP authenticator per member. The secret is encrypted (AES-256-GCM, MFA_ENCRYPTION_KEY,
-- the user id as associated data); enabled_at is null while the enrolment awaits its first code.
-- last_step is the last 30-second step a code was accepted for: a code is never accepted twice.
CREATE TABLE user_totp (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_enc bytea NOT NULL,
    created_at timestamptz NOT NULL,
    enabled_at timestamptz,
    last_step  bigint NOT NULL DEFAULT 0
);

-- Recovery codes, stored as SHA-256 (they are 60 random bits, and guesses are throttled).
CREATE TABLE mfa_recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash),
    CONSTRAINT mfa_recovery_codes_hash_length CHECK (octet_length(code_hash) = 32)
);

-- The half-finished logins of members with a second factor: a password was right, a code is
-- still due. Random, stored hashed, short-lived, single-use.
CREATE TABLE mfa_tickets (
    ticket_hash bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    CONSTRAINT mfa_tickets_hash_length CHECK (octet_length(ticket_hash) = 32)
);

CREATE INDEX mfa_tickets_user_idx ON mfa_tickets (user_id);
