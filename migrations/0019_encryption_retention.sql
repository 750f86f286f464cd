-- Retention (package retention) and encrypted columns (package sealbox).
--
-- Encrypted values carry their key id inside the value (sealbox format 2), so key rotation needs
-- no column: user_totp.secret_enc keeps its type, and the rotation job selects the values whose
-- prefix is not the primary key's.
--
-- The indexes below let the hourly retention job find the rows due without scanning whole
-- tables; partial where only a few rows can ever be due, so they cost little to keep.
CREATE INDEX auth_sessions_expires_idx ON auth_sessions (expires_at);
CREATE INDEX auth_sessions_revoked_idx ON auth_sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX auth_sessions_ip_last_used_idx ON auth_sessions (last_used_at) WHERE ip IS NOT NULL;
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
CREATE INDEX account_tokens_expires_idx ON account_tokens (expires_at);
CREATE INDEX mfa_tickets_expires_idx ON mfa_tickets (expires_at);
CREATE INDEX mfa_recovery_codes_used_idx ON mfa_recovery_codes (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX user_totp_pending_idx ON user_totp (created_at) WHERE enabled_at IS NULL;
CREATE INDEX notifications_read_created_idx ON notifications (created_at) WHERE read_at IS NOT NULL;
CREATE INDEX stripe_events_processed_idx ON stripe_events (received_at) WHERE processed_at IS NOT NULL;
CREATE INDEX payments_settled_secret_idx ON payments (updated_at)
    WHERE client_secret IS NOT NULL AND state NOT IN ('REQUIRES_PAYMENT_METHOD', 'FAILED');
