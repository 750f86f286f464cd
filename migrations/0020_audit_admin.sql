-- The audit log of staff actions (package admin) and the indexes of the staff's member search.
--
-- admin_audit_log is the one audit table and is append-only: no code path updates or deletes a
-- row, and these triggers refuse it from anywhere else too (a psql session, a buggy migration).
-- Retention never deletes it (privacy/register.go: kept for the legal period, ids only).
CREATE FUNCTION admin_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER admin_audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON admin_audit_log
    FOR EACH ROW EXECUTE FUNCTION admin_audit_log_append_only();
CREATE TRIGGER admin_audit_log_no_truncate
    BEFORE TRUNCATE ON admin_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_log_append_only();

-- Query.auditLog pages newest first (id DESC) with optional filters on actor, target, action and
-- time: one index per filter, each ending in id so a filtered page is an index range scan.
-- (target, id) exists since 0008.
CREATE INDEX admin_audit_log_actor_idx ON admin_audit_log (actor_id, id);
CREATE INDEX admin_audit_log_action_idx ON admin_audit_log (action, id);
CREATE INDEX admin_audit_log_created_idx ON admin_audit_log (created_at, id);

-- Query.users' name filter is a case-insensitive prefix: lower(display_name) LIKE 'abc%'.
-- (email is citext with a unique index, which serves the exact email filter.)
CREATE INDEX users_display_name_prefix_idx ON users (lower(display_name) text_pattern_ops);

-- forceLogOut (package admin) ends a member's sessions for staff.
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_revoke_reason_known;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_revoke_reason_known CHECK (
    revoke_reason IS NULL
    OR revoke_reason IN ('LOGOUT', 'LOGOUT_EVERYWHERE', 'REVOKED', 'TOKEN_REUSE', 'PASSWORD_RESET',
                         'PASSWORD_CHANGED', 'EMAIL_CHANGE_UNDONE', 'ACCOUNT_ERASED', 'FORCED_BY_STAFF'));
