-- Account erasure (GDPR art. 17): a grace period, then the member's personal data is deleted or
-- anonymised per the personal-data register (privacy/register.go), and the fact is recorded in an
-- erasure ledger that survives as ids only, so erasures can be re-applied after a backup restore.

-- deleteAccount sets the time the erasure is due; signing in again or cancelAccountDeletion clears
-- it. The reason is the member's own words, kept only until the erasure (or the cancellation).
ALTER TABLE users
    ADD COLUMN deletion_scheduled_at timestamptz,
    ADD COLUMN deletion_reason       text CHECK (char_length(deletion_reason) <= 500),
    -- When the erasure ran: the row stays as a pseudonym others' data still points to (messages,
    -- reviews, the ledger, payments), with nothing left that identifies the person.
    ADD COLUMN erased_at             timestamptz;

ALTER TABLE users DROP CONSTRAINT users_status_known;
ALTER TABLE users ADD CONSTRAINT users_status_known CHECK (status IN ('ACTIVE', 'SUSPENDED', 'ERASED'));
ALTER TABLE users ADD CONSTRAINT users_erased_consistent CHECK ((status = 'ERASED') = (erased_at IS NOT NULL));

-- The erasure job finds due requests by time.
CREATE INDEX users_deletion_due_idx ON users (deletion_scheduled_at) WHERE deletion_scheduled_at IS NOT NULL;

-- Ended by an erasure (the rows are deleted right after, but a concurrent reader may see the revocation).
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_revoke_reason_known;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_revoke_reason_known CHECK (
    revoke_reason IS NULL
    OR revoke_reason IN ('LOGOUT', 'LOGOUT_EVERYWHERE', 'REVOKED', 'TOKEN_REUSE', 'PASSWORD_RESET',
                         'PASSWORD_CHANGED', 'EMAIL_CHANGE_UNDONE', 'ACCOUNT_ERASED'));

-- The erasure ledger: which account was erased and when, nothing else. No foreign key: after a
-- restore from a backup older than the account, the entry must still be accepted (replay skips
-- ids it cannot find), and the ledger is what an operator copies across a restore.
CREATE TABLE erasures (
    user_id   uuid PRIMARY KEY,
    erased_at timestamptz NOT NULL
);
