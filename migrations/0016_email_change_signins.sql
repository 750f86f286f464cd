-- Email change with an undo link for the old address, and each member's sign-in history.

-- Email change secrets travel in account_tokens like the others: CHANGE_EMAIL (a code and a link
-- sent to the new address; account_tokens.email is that new address) and UNDO_EMAIL_CHANGE (a
-- link sent to the old address once the change is confirmed; account_tokens.email is the old
-- address).
ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_known;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_known CHECK (
    purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD', 'CHANGE_EMAIL', 'UNDO_EMAIL_CHANGE'));

-- One row per requested email change: pending until confirmed (at most one pending per member;
-- a new request replaces it), then, when the old address had been verified, undoable until
-- undo_until. While it can be undone the old address stays reserved to its member: nobody may
-- sign up with it or move to it, or whoever took over the account could block the undo.
-- Rows are purged once they can no longer be confirmed nor undone (AccountSecurityPurge job).
CREATE TABLE email_changes (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    old_email    citext NOT NULL,
    -- Whether old_email was verified when the change was requested: an unverified (perhaps
    -- mistyped) address is not sent an undo link, since its reader may not be the member.
    old_verified boolean NOT NULL,
    new_email    citext NOT NULL,
    requested_at timestamptz NOT NULL,
    -- Until when the request can be confirmed (the code and link's lifetime).
    expires_at   timestamptz NOT NULL,
    confirmed_at timestamptz,
    -- Until when the old address may undo the change; null when no undo is offered.
    undo_until   timestamptz,
    undone_at    timestamptz,
    CONSTRAINT email_changes_expiry_after_request CHECK (expires_at > requested_at),
    CONSTRAINT email_changes_addresses_differ CHECK (old_email <> new_email),
    CONSTRAINT email_changes_undo_after_confirm CHECK (undo_until IS NULL OR confirmed_at IS NOT NULL),
    CONSTRAINT email_changes_undone_after_confirm CHECK (undone_at IS NULL OR confirmed_at IS NOT NULL),
    CONSTRAINT email_changes_new_email_length CHECK (char_length(new_email) <= 254)
);

CREATE UNIQUE INDEX email_changes_one_pending_idx ON email_changes (user_id) WHERE confirmed_at IS NULL;
CREATE INDEX email_changes_user_idx ON email_changes (user_id, requested_at);
CREATE INDEX email_changes_reserved_idx ON email_changes (old_email) WHERE undo_until IS NOT NULL AND undone_at IS NULL;

-- Undoing an email change ends every session of the account.
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_revoke_reason_known;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_revoke_reason_known CHECK (
    revoke_reason IS NULL
    OR revoke_reason IN ('LOGOUT', 'LOGOUT_EVERYWHERE', 'REVOKED', 'TOKEN_REUSE', 'PASSWORD_RESET', 'PASSWORD_CHANGED',
                         'EMAIL_CHANGE_UNDONE'));

-- Sign-ins of known accounts, successful or not, shown to the member (AccountSecurity.recentSignIns)
-- so they can spot one that was not theirs. An attempt on an unknown email records nothing.
-- Kept small: at most 50 rows per member (older ones are deleted by the insert) and 90 days
-- (a retention rule, package retention).
CREATE TABLE sign_in_events (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at             timestamptz NOT NULL,
    method         text NOT NULL,
    succeeded      boolean NOT NULL,
    failure_reason text,
    -- The client's address (the member's own data, shown only to them) and User-Agent
    -- (truncated to 256 characters).
    ip             inet,
    user_agent     text,
    CONSTRAINT sign_in_events_method_known CHECK (
        method IN ('PASSWORD', 'PASSWORD_TOTP', 'RECOVERY_CODE', 'PROVIDER', 'PASSKEY')),
    CONSTRAINT sign_in_events_reason_known CHECK (
        failure_reason IS NULL OR failure_reason IN ('WRONG_PASSWORD', 'WRONG_CODE', 'LOCKED', 'SUSPENDED')),
    CONSTRAINT sign_in_events_reason_iff_failed CHECK (succeeded = (failure_reason IS NULL)),
    CONSTRAINT sign_in_events_user_agent_length CHECK (char_length(user_agent) <= 256)
);

CREATE INDEX sign_in_events_user_at_idx ON sign_in_events (user_id, at DESC, id DESC);
CREATE INDEX sign_in_events_at_idx ON sign_in_events (at);
