package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const dataExportColumns = `id, user_id, state, requested_at, ready_at, expires_at, size_bytes`

// LockDataExports serialises the export requests of one member until the transaction ends, so
// two concurrent requests cannot both pass the once-a-week check.
func (q *Queries) LockDataExports(ctx context.Context, userID uuid.UUID) error {
	_, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('data_exports:' || $1::text, 0))`, userID)
	return mapErr(err, "lock data exports", "", "")
}

// LatestDataExport returns the member's most recent export that did not fail (NOT_FOUND: none).
func (q *Queries) LatestDataExport(ctx context.Context, userID uuid.UUID) (domain.DataExport, error) {
	rows, err := q.db.Query(ctx, `SELECT `+dataExportColumns+` FROM data_exports
		WHERE user_id = $1 AND state <> 'FAILED' ORDER BY requested_at DESC, id DESC LIMIT 1`, userID)
	if err != nil {
		return domain.DataExport{}, mapErr(err, "select latest data export", "data export", "")
	}
	e, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.DataExport])
	return e, mapErr(err, "select latest data export", "data export", "")
}

// InsertDataExport records a new PENDING export.
func (q *Queries) InsertDataExport(ctx context.Context, e domain.DataExport) error {
	_, err := q.db.Exec(ctx, `INSERT INTO data_exports (id, user_id, state, requested_at) VALUES ($1, $2, 'PENDING', $3)`,
		e.ID, e.UserID, e.RequestedAt)
	return mapErr(err, "insert data export", "data export", "")
}

// DataExportByID returns an export without its archive.
func (q *Queries) DataExportByID(ctx context.Context, id uuid.UUID) (domain.DataExport, error) {
	rows, err := q.db.Query(ctx, `SELECT `+dataExportColumns+` FROM data_exports WHERE id = $1`, id)
	if err != nil {
		return domain.DataExport{}, mapErr(err, "select data export", "data export", "")
	}
	e, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.DataExport])
	return e, mapErr(err, "select data export", "data export", "")
}

// ListDataExports returns a member's exports, newest first, at most limit.
func (q *Queries) ListDataExports(ctx context.Context, userID uuid.UUID, limit int) ([]domain.DataExport, error) {
	rows, err := q.db.Query(ctx, `SELECT `+dataExportColumns+` FROM data_exports WHERE user_id = $1
		ORDER BY requested_at DESC, id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, mapErr(err, "select data exports", "data export", "")
	}
	es, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.DataExport])
	return es, mapErr(err, "select data exports", "data export", "")
}

// SetDataExportReady stores a PENDING export's archive; false when the export is not PENDING
// (a retried job after a success).
func (q *Queries) SetDataExportReady(ctx context.Context, id uuid.UUID, archive []byte, readyAt, expiresAt time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `UPDATE data_exports SET state = 'READY', archive = $2, size_bytes = $3,
		ready_at = $4, expires_at = $5 WHERE id = $1 AND state = 'PENDING'`,
		id, archive, int64(len(archive)), readyAt, expiresAt)
	if err != nil {
		return false, mapErr(err, "store data export", "data export", "")
	}
	return tag.RowsAffected() == 1, nil
}

// SetDataExportFailed marks a PENDING export FAILED.
func (q *Queries) SetDataExportFailed(ctx context.Context, id uuid.UUID) error {
	_, err := q.db.Exec(ctx, `UPDATE data_exports SET state = 'FAILED' WHERE id = $1 AND state = 'PENDING'`, id)
	return mapErr(err, "fail data export", "data export", "")
}

// DataExportArchive returns the archive of a READY export of userID whose link has not expired
// at now; NOT_FOUND otherwise (whatever the reason, so nothing is revealed).
func (q *Queries) DataExportArchive(ctx context.Context, id, userID uuid.UUID, now time.Time) ([]byte, error) {
	var archive []byte
	err := q.db.QueryRow(ctx, `SELECT archive FROM data_exports
		WHERE id = $1 AND user_id = $2 AND state = 'READY' AND expires_at > $3`, id, userID, now).Scan(&archive)
	return archive, mapErr(err, "select data export archive", "data export", "")
}

// ExpireDataExports deletes the archives whose link expired by now and marks them EXPIRED; it
// returns how many.
func (q *Queries) ExpireDataExports(ctx context.Context, now time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, `UPDATE data_exports SET state = 'EXPIRED', archive = NULL
		WHERE state = 'READY' AND expires_at <= $1`, now)
	if err != nil {
		return 0, mapErr(err, "expire data exports", "data export", "")
	}
	return tag.RowsAffected(), nil
}

// ExportFile is one JSON file of a data export: a JSON array with one element per row of its
// query (bound to the member's id as $1).
type ExportFile struct {
	Name string
	SQL  string
}

// ExportFiles are the files of a member's data export: everything about the member that the
// database holds, and of other members only what the member already sees (ids of the people
// they dealt with, shared session details). Secrets are never exported (password, token, code
// and TOTP digests, payment client secrets); staff members' ids neither.
var ExportFiles = []ExportFile{
	{"account.json", `SELECT to_jsonb(u) - 'password_hash' || jsonb_build_object('has_password', u.password_hash <> '')
		FROM users u WHERE u.id = $1`},
	{"profile.json", `SELECT to_jsonb(p) FROM profiles p WHERE p.user_id = $1`},
	{"availability.json", `SELECT to_jsonb(a) - 'user_id' FROM availability_slots a WHERE a.user_id = $1`},
	{"match_profile.json", `SELECT to_jsonb(m) - 'user_id' FROM match_profiles m WHERE m.user_id = $1`},
	{"skills.json", `SELECT to_jsonb(ms) - 'user_id' || jsonb_build_object('skill_slug', s.slug, 'skill_name', s.name_en)
		FROM member_skills ms JOIN skills s ON s.id = ms.skill_id WHERE ms.user_id = $1 ORDER BY ms.created_at`},
	{"skills_proposed.json", `SELECT jsonb_build_object('id', s.id, 'slug', s.slug, 'name_en', s.name_en, 'name_fr', s.name_fr,
		'status', s.status, 'created_at', s.created_at) FROM skills s WHERE s.proposed_by = $1`},
	{"blocked_members.json", `SELECT jsonb_build_object('member_id', b.blocked_id, 'created_at', b.created_at)
		FROM blocks b WHERE b.blocker_id = $1`},
	{"conversations.json", `SELECT jsonb_build_object('id', c.id, 'kind', c.kind, 'title', c.title, 'created_at', c.created_at,
		'created_by_me', c.created_by IS NOT DISTINCT FROM $1, 'last_message_at', c.last_message_at,
		'role', p.role, 'joined_at', p.joined_at, 'left_at', p.left_at, 'last_read_seq', p.last_read_seq,
		'last_read_at', p.last_read_at, 'muted', p.muted, 'muted_until', p.muted_until,
		'participants', (SELECT jsonb_agg(o.user_id ORDER BY o.joined_at) FROM conversation_participants o
		                 WHERE o.conversation_id = c.id AND o.role <> 'AGENT'))
		FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id
		WHERE p.user_id = $1 ORDER BY c.created_at, c.id`},
	{"messages_sent.json", `SELECT to_jsonb(m) - 'sender_id' FROM messages m WHERE m.sender_id = $1 ORDER BY m.created_at, m.id`},
	{"skill_sessions.json", `SELECT to_jsonb(s) - 'problem_note' - 'booking_seq' - 'version' ||
		jsonb_build_object('problem_note', CASE WHEN s.problem_reported_by = $1 THEN s.problem_note END)
		FROM skill_sessions s WHERE s.teacher_id = $1 OR s.learner_id = $1 ORDER BY s.starts_at, s.id`},
	{"session_proposals.json", `SELECT to_jsonb(p) FROM session_proposals p JOIN skill_sessions s ON s.id = p.session_id
		WHERE s.teacher_id = $1 OR s.learner_id = $1 ORDER BY p.created_at, p.id`},
	{"reviews_written.json", `SELECT to_jsonb(r) FROM reviews r WHERE r.reviewer_id = $1 ORDER BY r.created_at, r.id`},
	{"reviews_received.json", `SELECT to_jsonb(r) FROM reviews r WHERE r.reviewee_id = $1 AND r.visible_at IS NOT NULL
		ORDER BY r.created_at, r.id`},
	{"review_reports_filed.json", `SELECT to_jsonb(rr) - 'reporter_id' FROM review_reports rr WHERE rr.reporter_id = $1`},
	// Reports they filed, with what they reported as they saw it, never other reporters.
	{"moderation_reports_filed.json", `SELECT to_jsonb(mr) - 'reporter_id' - 'review_report_id' || jsonb_build_object('targetType', mc.target_type, 'caseState', mc.state, 'decision', mc.decision)
		FROM moderation_reports mr JOIN moderation_cases mc ON mc.id = mr.case_id WHERE mr.reporter_id = $1`},
	// Decisions about them, as myModerationDecisions shows them: no reporter, no staff member.
	{"moderation_decisions.json", `SELECT jsonb_build_object('id', mc.id, 'targetType', mc.target_type, 'targetId', mc.target_id,
		'decision', mc.decision, 'statementOfReasons', mc.statement_of_reasons, 'decidedAt', mc.decided_at)
		FROM moderation_cases mc WHERE mc.subject_id = $1 AND mc.state = 'DECIDED'`},
	// Sanctions about them, as mySanctions shows them (no staff member), with their appeal and
	// its thread (messages marked as theirs or a moderator's).
	{"moderation_sanctions.json", `SELECT jsonb_build_object('id', s.id, 'kind', s.kind, 'caseId', s.case_id,
		'contentType', s.content_type, 'contentId', s.content_id, 'statementOfReasons', s.statement_of_reasons,
		'startsAt', s.starts_at, 'endsAt', s.ends_at, 'liftedAt', s.lifted_at, 'liftReason', s.lift_reason,
		'createdAt', s.created_at)
		FROM moderation_sanctions s WHERE s.user_id = $1 ORDER BY s.id`},
	{"moderation_appeals.json", `SELECT jsonb_build_object('id', a.id, 'sanctionId', a.sanction_id, 'text', a.text,
		'state', a.state, 'decisionReasons', a.decision_reasons, 'decidedAt', a.decided_at, 'createdAt', a.created_at,
		'messages', coalesce((SELECT jsonb_agg(jsonb_build_object('fromModerator', m.author_id <> a.user_id,
			'text', m.body, 'createdAt', m.created_at) ORDER BY m.id)
			FROM moderation_appeal_messages m WHERE m.appeal_id = a.id), '[]'::jsonb))
		FROM moderation_appeals a WHERE a.user_id = $1 ORDER BY a.id`},
	{"rating.json", `SELECT to_jsonb(mr) - 'user_id' FROM member_ratings mr WHERE mr.user_id = $1`},
	// Their NPS answers (score and comment) and dismissals (score null).
	{"nps_responses.json", `SELECT to_jsonb(n) - 'user_id' FROM nps_responses n WHERE n.user_id = $1 ORDER BY n.created_at, n.id`},
	{"credits.json", `SELECT jsonb_build_object('entry_id', e.id, 'amount_minutes', e.amount, 'balance_after', e.balance_after,
		'created_at', e.created_at, 'kind', t.kind, 'session_id', t.session_id, 'memo', t.memo)
		FROM credit_accounts a JOIN credit_entries e ON e.account_id = a.id JOIN credit_transactions t ON t.id = e.transaction_id
		WHERE a.user_id = $1 ORDER BY e.id`},
	{"payments.json", `SELECT to_jsonb(p) - 'client_secret' || jsonb_build_object('role', CASE WHEN p.payer_id = $1 THEN 'PAYER' ELSE 'PAYEE' END)
		FROM payments p WHERE p.payer_id = $1 OR p.payee_id = $1 ORDER BY p.created_at, p.id`},
	{"refunds.json", `SELECT to_jsonb(r) - 'created_by' FROM refunds r JOIN payments p ON p.id = r.payment_id
		WHERE p.payer_id = $1 OR p.payee_id = $1 ORDER BY r.created_at, r.id`},
	{"no_show_disputes.json", `SELECT to_jsonb(d) - 'decided_by' FROM no_show_disputes d WHERE d.absent_id = $1 OR d.reported_by = $1`},
	{"mentor_account.json", `SELECT to_jsonb(m) - 'user_id' FROM mentor_accounts m WHERE m.user_id = $1`},
	{"mentor_prices.json", `SELECT to_jsonb(m) - 'user_id' FROM mentor_prices m WHERE m.user_id = $1`},
	{"notifications.json", `SELECT to_jsonb(n) - 'user_id' FROM notifications n WHERE n.user_id = $1 ORDER BY n.id`},
	{"notification_preferences.json", `SELECT to_jsonb(n) - 'user_id' FROM notification_preferences n WHERE n.user_id = $1`},
	// Whether notification emails to their address stopped because it refused one (issue 17).
	{"email_suppression.json", `SELECT to_jsonb(s) - 'user_id' FROM email_suppressions s WHERE s.user_id = $1`},
	// Without the token: anyone holding it could push to the member's phone through Expo.
	{"push_devices.json", `SELECT to_jsonb(d) - 'user_id' - 'token' FROM push_devices d WHERE d.user_id = $1 ORDER BY d.created_at, d.id`},
	// Quiet hours as the member set them (HH:MM in their profile's time zone).
	{"notification_quiet_hours.json", `SELECT jsonb_build_object('enabled', h.enabled,
		'start', to_char(make_time(h.start_minute / 60, h.start_minute % 60, 0), 'HH24:MI'),
		'end', to_char(make_time(h.end_minute / 60, h.end_minute % 60, 0), 'HH24:MI'), 'updated_at', h.updated_at)
		FROM notification_quiet_hours h WHERE h.user_id = $1`},
	// The digest schedule as the member set it (HH:MM in their profile's time zone), with its next run.
	{"notification_digest_schedule.json", `SELECT jsonb_build_object('frequency', d.frequency, 'weekday', d.weekday,
		'time', to_char(make_time(d.minute / 60, d.minute % 60, 0), 'HH24:MI'), 'next_digest_at', d.next_digest_at,
		'last_digest_at', d.last_digest_at, 'updated_at', d.updated_at)
		FROM notification_digest_schedules d WHERE d.user_id = $1`},
	{"consents.json", `SELECT to_jsonb(c) - 'user_id' FROM consents c WHERE c.user_id = $1 ORDER BY c.created_at, c.id`},
	{"identities.json", `SELECT to_jsonb(i) - 'user_id' FROM auth_identities i WHERE i.user_id = $1`},
	{"sign_in_sessions.json", `SELECT to_jsonb(s) - 'user_id' FROM auth_sessions s WHERE s.user_id = $1 ORDER BY s.id`},
	{"account_tokens.json", `SELECT to_jsonb(t) - 'token_hash' - 'code_hash' - 'user_id' FROM account_tokens t WHERE t.user_id = $1
		ORDER BY t.created_at`},
	{"second_factor.json", `SELECT jsonb_build_object('created_at', t.created_at, 'enabled_at', t.enabled_at,
		'recovery_codes_left', (SELECT count(*) FROM mfa_recovery_codes r WHERE r.user_id = $1 AND r.used_at IS NULL))
		FROM user_totp t WHERE t.user_id = $1`},
	{"calendar_feeds.json", `SELECT to_jsonb(f) - 'token_hash' - 'user_id' FROM calendar_feeds f WHERE f.user_id = $1`},
	{"audit_entries.json", `SELECT jsonb_build_object('action', a.action, 'target', a.target, 'details', a.details, 'created_at', a.created_at)
		FROM admin_audit_log a WHERE a.target = 'user:' || $1::uuid::text
		   OR a.target IN (SELECT 'payment:' || p.id FROM payments p WHERE p.payer_id = $1 OR p.payee_id = $1)
		   OR a.target IN (SELECT 'session:' || s.id FROM skill_sessions s WHERE s.teacher_id = $1 OR s.learner_id = $1)
		ORDER BY a.id`},
	{"data_exports.json", `SELECT to_jsonb(e) - 'archive' - 'user_id' FROM data_exports e WHERE e.user_id = $1 ORDER BY e.requested_at`},
	{"sign_in_history.json", `SELECT to_jsonb(e) - 'user_id' FROM sign_in_events e WHERE e.user_id = $1 ORDER BY e.at, e.id`},
	{"email_changes.json", `SELECT to_jsonb(c) - 'user_id' FROM email_changes c WHERE c.user_id = $1 ORDER BY c.requested_at`},
	// A passkey's public key and counter are the authenticator's, useless to the member; its
	// name, kind and use are what they know it by.
	{"passkeys.json", `SELECT jsonb_build_object('id', p.id, 'name', p.name, 'relying_party', p.rp_id, 'transports', p.transports,
		'synced', p.backup_eligible, 'created_at', p.created_at, 'last_used_at', p.last_used_at)
		FROM passkeys p WHERE p.user_id = $1 ORDER BY p.created_at`},
}

// StreamExportFile runs f's query for userID and hands each row's JSON to fn as it arrives from
// the server: a file of 10,000 messages is never held in memory at once.
func (q *Queries) StreamExportFile(ctx context.Context, f ExportFile, userID uuid.UUID, fn func(row []byte) error) error {
	rows, err := q.db.Query(ctx, f.SQL, userID)
	if err != nil {
		return fmt.Errorf("export %s: %w", f.Name, err)
	}
	defer rows.Close()
	var row []byte
	for rows.Next() {
		if err := rows.Scan(&row); err != nil {
			return fmt.Errorf("export %s: %w", f.Name, err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", f.Name, err)
	}
	return nil
}

// InReadOnlySnapshot runs fn in a read-only REPEATABLE READ transaction: every file of an export
// then sees the same moment. With a replica (UseReplica) it runs there once the replica has
// replayed what the primary had at the call (waiting up to MaxLag), on the primary otherwise.
func (s *Store) InReadOnlySnapshot(ctx context.Context, fn func(q *Queries) error) error {
	wait := time.Duration(0)
	if s.replica != nil {
		wait = s.replica.cfg.MaxLag
	}
	return replicaTx(ctx, s.inSnapshotPool(ctx, wait), s.jobs, fn)
}
