-- Email verification, password recovery and the member's language for account emails.

-- When the address in users.email was proved to reach the member; null until then. Accounts that
-- exist before this migration count as verified: they were created before verification existed
-- and nothing they do today may stop working.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
UPDATE users SET email_verified_at = created_at;

-- Language of the emails the platform sends the member (verification, recovery, notices).
ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT 'en'
    CONSTRAINT users_locale_known CHECK (locale IN ('en', 'fr'));

-- One-time secrets sent by email: a link token (32 random bytes) and, for verification, a short
-- typed code. Only SHA-256 digests are stored (the code's with the user id, so one code's digest
-- does not match another account's), so a database leak yields nothing usable. A row is spent
-- (used_at) by the one statement that accepts it, and a new one of the same purpose replaces the
-- older ones of its user.
CREATE TABLE account_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL,
    code_hash  bytea,
    -- The address the secret was sent to: verifying proves this address, not whatever
    -- users.email holds by then.
    email      citext NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT account_tokens_purpose_known CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')),
    CONSTRAINT account_tokens_hash_length CHECK (octet_length(token_hash) = 32),
    CONSTRAINT account_tokens_code_hash_length CHECK (code_hash IS NULL OR octet_length(code_hash) = 32),
    CONSTRAINT account_tokens_expiry_after_start CHECK (expires_at > created_at)
);

CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- A password reset or change ends the member's other sessions.
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_revoke_reason_known;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_revoke_reason_known CHECK (
    revoke_reason IS NULL
    OR revoke_reason IN ('LOGOUT', 'LOGOUT_EVERYWHERE', 'REVOKED', 'TOKEN_REUSE', 'PASSWORD_RESET', 'PASSWORD_CHANGED'));
