package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// EraseAccountJobKind is the River kind of the erasure job (package erasure): cancelling a
// deletion cancels it, and erasure spares it when cancelling the member's pending jobs.
const EraseAccountJobKind = "erase_account"

// EraseStripeJobKind is the River kind of the job closing an erased mentor's Stripe account.
const EraseStripeJobKind = "erase_stripe_account"

// pendingJobStates are River's states of jobs that have not run (or will run again).
const pendingJobStates = `('available', 'scheduled', 'retryable', 'pending')`

// ScheduleAccountDeletion records that the member asked for their account to be erased at at
// (with their reason, optional). A deletion already scheduled is kept: its time is returned.
func (q *Queries) ScheduleAccountDeletion(ctx context.Context, userID uuid.UUID, at time.Time, reason *string) (time.Time, bool, error) {
	var (
		scheduled time.Time
		fresh     bool
	)
	err := q.db.QueryRow(ctx, `
		WITH upd AS (
			UPDATE users SET deletion_scheduled_at = $2, deletion_reason = $3
			WHERE id = $1 AND status <> 'ERASED' AND deletion_scheduled_at IS NULL
			RETURNING deletion_scheduled_at)
		SELECT deletion_scheduled_at, true FROM upd
		UNION ALL
		SELECT deletion_scheduled_at, false FROM users
		WHERE id = $1 AND deletion_scheduled_at IS NOT NULL AND NOT EXISTS (SELECT FROM upd)`,
		userID, at, reason).Scan(&scheduled, &fresh)
	if err != nil {
		return time.Time{}, false, mapErr(err, "schedule account deletion", "user", "")
	}
	return scheduled, fresh, nil
}

// CancelAccountDeletion clears the member's scheduled deletion, if any, and cancels its pending
// job; it reports whether there was one. Every sign-in calls it.
func (q *Queries) CancelAccountDeletion(ctx context.Context, userID uuid.UUID) (bool, error) {
	var n int
	err := q.db.QueryRow(ctx, `
		WITH upd AS (
			UPDATE users SET deletion_scheduled_at = NULL, deletion_reason = NULL
			WHERE id = $1 AND deletion_scheduled_at IS NOT NULL
			RETURNING id),
		jobs AS (
			UPDATE river_job SET state = 'cancelled', finalized_at = now()
			WHERE EXISTS (SELECT FROM upd) AND kind = $2 AND args->>'user_id' = $1::text
			  AND state IN `+pendingJobStates+`
			RETURNING id)
		SELECT count(*) FROM upd`, userID, EraseAccountJobKind).Scan(&n)
	if err != nil {
		return false, mapErr(err, "cancel account deletion", "user", "")
	}
	return n > 0, nil
}

// AccountDeletionScheduledAt returns when the member's account is due to be erased; nil when no
// deletion is scheduled.
func (q *Queries) AccountDeletionScheduledAt(ctx context.Context, userID uuid.UUID) (*time.Time, error) {
	var at *time.Time
	err := q.db.QueryRow(ctx, `SELECT deletion_scheduled_at FROM users WHERE id = $1`, userID).Scan(&at)
	return at, mapErr(err, "select account deletion", "user", "")
}

// ErasedAccount is what erasing an account leaves the caller to do outside the transaction.
type ErasedAccount struct {
	// AlreadyErased is true when the account had been erased before (a re-run, a replay).
	AlreadyErased bool
	// Email is the address the account had (empty when already erased): keys derived from it
	// (rate limits) are forgotten after commit.
	Email string
	// SessionIDs are the login sessions deleted: their sockets are closed after commit.
	SessionIDs []uuid.UUID
	// StripeAccountID is the mentor's connected account, to close at Stripe; empty when none.
	StripeAccountID string
	// JobsCancelled counts the member's pending background jobs cancelled.
	JobsCancelled int64
}

// EraseAccount erases one account per the personal-data register (privacy/register.go), in the
// caller's transaction: rows that only the member needed are deleted, what others still need is
// anonymised (messages become tombstones, reviews anonymous ratings), and the ledger and payments
// keep only the user id as a pseudonym. It records the erasure in the ledger. It is idempotent:
// running it again on an erased account (after a backup restore) erases whatever came back.
// NOT_FOUND when no such account exists.
func (q *Queries) EraseAccount(ctx context.Context, userID uuid.UUID, now time.Time) (ErasedAccount, error) {
	if q.tx == nil {
		return ErasedAccount{}, errors.New("erase account: must run inside store.InTx")
	}
	var (
		out      ErasedAccount
		status   string
		erasedAt *time.Time
	)
	err := q.db.QueryRow(ctx, `SELECT email::text, status, erased_at FROM users WHERE id = $1 FOR UPDATE`, userID).
		Scan(&out.Email, &status, &erasedAt)
	if err != nil {
		return ErasedAccount{}, mapErr(err, "erase account: lock user", "user", "")
	}
	if status == string(domain.UserErased) {
		out.AlreadyErased, out.Email = true, ""
	}
	rows, err := q.db.Query(ctx, `DELETE FROM auth_sessions WHERE user_id = $1 RETURNING id`, userID)
	if err != nil {
		return ErasedAccount{}, fmt.Errorf("erase account: sessions: %w", err)
	}
	if out.SessionIDs, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
		return ErasedAccount{}, fmt.Errorf("erase account: sessions: %w", err)
	}
	err = q.db.QueryRow(ctx, `
		WITH d AS (DELETE FROM mentor_accounts WHERE user_id = $1 RETURNING stripe_account_id)
		SELECT coalesce((SELECT stripe_account_id FROM d), '')`, userID).Scan(&out.StripeAccountID)
	if err != nil {
		return ErasedAccount{}, fmt.Errorf("erase account: mentor account: %w", err)
	}
	// In order, one statement per table: each is the register's action for the member's rows.
	// at marks the statements that take the erasure time as $2.
	steps := []struct {
		what, sql string
		at        bool
	}{
		{"mentor prices", `DELETE FROM mentor_prices WHERE user_id = $1`, false},
		{"account tokens", `DELETE FROM account_tokens WHERE user_id = $1`, false},
		{"totp", `DELETE FROM user_totp WHERE user_id = $1`, false},
		{"recovery codes", `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, false},
		{"mfa tickets", `DELETE FROM mfa_tickets WHERE user_id = $1`, false},
		{"identities", `DELETE FROM auth_identities WHERE user_id = $1`, false},
		{"email changes", `DELETE FROM email_changes WHERE user_id = $1`, false},
		{"sign-in history", `DELETE FROM sign_in_events WHERE user_id = $1`, false},
		{"data exports", `DELETE FROM data_exports WHERE user_id = $1`, false},
		{"consent addresses", `UPDATE consents SET ip = NULL WHERE user_id = $1 AND ip IS NOT NULL`, false},
		{"passkey ceremonies", `DELETE FROM webauthn_ceremonies WHERE user_id = $1`, false},
		{"passkeys", `DELETE FROM passkeys WHERE user_id = $1`, false},
		{"passkey user handle", `DELETE FROM webauthn_users WHERE user_id = $1`, false},
		{"calendar feeds", `DELETE FROM calendar_feeds WHERE user_id = $1`, false},
		{"profile", `DELETE FROM profiles WHERE user_id = $1`, false},
		{"availability", `DELETE FROM availability_slots WHERE user_id = $1`, false},
		{"skills", `DELETE FROM member_skills WHERE user_id = $1`, false},
		{"blocks", `DELETE FROM blocks WHERE blocker_id = $1 OR blocked_id = $1`, false},
		{"search row", `DELETE FROM member_search WHERE user_id = $1`, false},
		{"reindex requests", `DELETE FROM search_reindex_requests WHERE user_id = $1`, false},
		{"notification preferences", `DELETE FROM notification_preferences WHERE user_id = $1`, false},
		{"quiet hours", `DELETE FROM notification_quiet_hours WHERE user_id = $1`, false},
		{"digest schedule", `DELETE FROM notification_digest_schedules WHERE user_id = $1`, false},
		{"email suppression", `DELETE FROM email_suppressions WHERE user_id = $1`, false},
		// Their push devices, with the pushes waiting for them and their tickets (ON DELETE CASCADE).
		{"push outbox", `DELETE FROM push_outbox WHERE user_id = $1`, false},
		{"push devices", `DELETE FROM push_devices WHERE user_id = $1`, false},
		// Their own notifications. Others' that point to them (a message from them) hold ids and
		// states only: the id stays there as a pseudonym, shown as a deleted member.
		{"notifications", `DELETE FROM notifications WHERE user_id = $1`, false},
		{"proposed skills", `UPDATE skills SET proposed_by = NULL WHERE proposed_by = $1`, false},
		{"conversations created", `UPDATE conversations SET created_by = NULL WHERE created_by = $1`, false},
		{"participations", `UPDATE conversation_participants
			SET left_at = coalesce(left_at, $2), last_read_at = NULL, muted_until = NULL
			WHERE user_id = $1 AND (left_at IS NULL OR last_read_at IS NOT NULL OR muted_until IS NOT NULL)`, true},
		// Tombstones, as deleteMessage leaves them; client_id = id marks the ones already erased.
		{"messages", `UPDATE messages
			SET body = '', attachment_url = NULL, edited_at = NULL, deleted_at = coalesce(deleted_at, $2), client_id = id::text
			WHERE sender_id = $1 AND client_id <> id::text`, true},
		{"reviews", `UPDATE reviews SET comment = '' WHERE (reviewer_id = $1 OR reviewee_id = $1) AND comment <> ''`, false},
		{"review reports", `UPDATE review_reports SET note = '' WHERE reporter_id = $1 AND note <> ''`, false},
		// Reports they filed stay (pseudonymous) as evidence; their own words go.
		{"moderation reports", `UPDATE moderation_reports SET text = '' WHERE reporter_id = $1 AND text <> ''`, false},
		// Sanctions stay (pseudonymous) as the record of decisions; the member's appeals and
		// their messages in appeal threads lose their words.
		{"appeals", `UPDATE moderation_appeals SET text = '' WHERE user_id = $1 AND text <> ''`, false},
		{"appeal messages", `UPDATE moderation_appeal_messages SET body = '' WHERE author_id = $1 AND body <> ''`, false},
		// Snapshots that hold them: of their content (cases about them), of what they reported
		// (content addressed to them), of reviews about them (see privacy/register.go).
		{"moderation snapshots", `UPDATE moderation_reports SET snapshot = '{"erased": true}'
			WHERE (case_id IN (SELECT id FROM moderation_cases WHERE subject_id = $1) OR reporter_id = $1
				OR snapshot->>'revieweeId' = $1::text) AND snapshot <> '{"erased": true}'`, false},
		{"sessions", `UPDATE skill_sessions SET
				link = CASE WHEN link IS NULL THEN NULL ELSE '' END,
				place = CASE WHEN place IS NULL THEN NULL ELSE '' END,
				note = '',
				cancel_reason = CASE WHEN cancel_reason IS NULL THEN NULL ELSE '' END,
				problem_note = CASE WHEN problem_note IS NULL THEN NULL ELSE '' END
			WHERE (teacher_id = $1 OR learner_id = $1)
			  AND (link <> '' OR place <> '' OR note <> '' OR cancel_reason <> '' OR problem_note <> '')`, false},
		{"no-show contests", `UPDATE no_show_disputes SET contest_note = '[erased]'
			WHERE absent_id = $1 AND contest_note IS NOT NULL AND contest_note <> '[erased]'`, false},
		// NPS answers stay as pseudonymous scores (the NPS of past periods does not move); the
		// member's own words go.
		{"nps comments", `UPDATE nps_responses SET comment = NULL WHERE user_id = $1 AND comment IS NOT NULL`, false},
		{"payment secrets", `UPDATE payments SET client_secret = NULL
			WHERE (payer_id = $1 OR payee_id = $1) AND client_secret IS NOT NULL`, false},
		{"account", `UPDATE users SET
				email = 'erased-' || replace(gen_random_uuid()::text, '-', '') || '@erased.invalid',
				password_hash = '', display_name = 'Deleted member', roles = '{MEMBER}', status = 'ERASED',
				email_verified_at = NULL, locale = 'en', deletion_scheduled_at = NULL, deletion_reason = NULL,
				marketing_consent = false,
				erased_at = coalesce(erased_at, $2), updated_at = $2
			WHERE id = $1 AND (status <> 'ERASED' OR email NOT LIKE 'erased-%@erased.invalid' OR password_hash <> ''
			                   OR display_name <> 'Deleted member' OR deletion_scheduled_at IS NOT NULL OR marketing_consent)`, true},
		{"ledger", `INSERT INTO erasures (user_id, erased_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`, true},
	}
	for _, s := range steps {
		args := []any{userID}
		if s.at {
			args = append(args, now)
		}
		if _, err := q.db.Exec(ctx, s.sql, args...); err != nil {
			return ErasedAccount{}, fmt.Errorf("erase account: %s: %w", s.what, err)
		}
	}
	// Their pending jobs (emails, reminders, reindexing) would act for an account that is gone:
	// cancelled. Jobs are found by the id or the address in their arguments; the erasure's own
	// are spared. Finished jobs that name them go now rather than at River's cleanup (a day).
	mention := `kind <> ALL ($2::text[]) AND (args::text LIKE '%' || $1::text || '%'
		OR ($3 <> '' AND lower(args::text) LIKE '%' || lower($3) || '%'))`
	ours := []string{EraseAccountJobKind, EraseStripeJobKind}
	tag, err := q.db.Exec(ctx, `UPDATE river_job SET state = 'cancelled', finalized_at = now()
		WHERE state IN `+pendingJobStates+` AND `+mention, userID, ours, out.Email)
	if err != nil {
		return ErasedAccount{}, fmt.Errorf("erase account: cancel jobs: %w", err)
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM river_job WHERE state IN ('completed', 'cancelled', 'discarded') AND `+mention,
		userID, ours, out.Email); err != nil {
		return ErasedAccount{}, fmt.Errorf("erase account: finished jobs: %w", err)
	}
	out.JobsCancelled = tag.RowsAffected()
	return out, nil
}

// ErasureDue reports whether the member's scheduled deletion is due at now (and not yet done).
func (q *Queries) ErasureDue(ctx context.Context, userID uuid.UUID, now time.Time) (bool, error) {
	var due bool
	err := q.db.QueryRow(ctx, `
		SELECT deletion_scheduled_at IS NOT NULL AND deletion_scheduled_at <= $2 AND status <> 'ERASED'
		FROM users WHERE id = $1`, userID, now).Scan(&due)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return due, mapErr(err, "select erasure due", "user", "")
}

// ErasureEntry is one line of the erasure ledger.
type ErasureEntry struct {
	UserID   uuid.UUID `db:"user_id"`
	ErasedAt time.Time `db:"erased_at"`
}

// ErasureLedger returns every recorded erasure, oldest first.
func (q *Queries) ErasureLedger(ctx context.Context) ([]ErasureEntry, error) {
	rows, err := q.db.Query(ctx, `SELECT user_id, erased_at FROM erasures ORDER BY erased_at, user_id`)
	if err != nil {
		return nil, mapErr(err, "select erasure ledger", "erasure", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[ErasureEntry])
	return out, mapErr(err, "select erasure ledger", "erasure", "")
}

// RecordErasures adds ledger entries (from a ledger saved outside the restored database); known
// ones are left as they are. It returns how many were new.
func (q *Queries) RecordErasures(ctx context.Context, entries []ErasureEntry) (int64, error) {
	ids := make([]uuid.UUID, len(entries))
	ats := make([]time.Time, len(entries))
	for i, e := range entries {
		ids[i], ats[i] = e.UserID, e.ErasedAt
	}
	tag, err := q.db.Exec(ctx, `
		INSERT INTO erasures (user_id, erased_at) SELECT * FROM unnest($1::uuid[], $2::timestamptz[])
		ON CONFLICT (user_id) DO NOTHING`, ids, ats)
	if err != nil {
		return 0, mapErr(err, "record erasures", "erasure", "")
	}
	return tag.RowsAffected(), nil
}

// OpenSkillSessionIDs returns the member's proposed and confirmed sessions that have not started
// by now: erasing the account cancels them first.
func (q *Queries) OpenSkillSessionIDs(ctx context.Context, userID uuid.UUID, now time.Time) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id FROM skill_sessions
		WHERE teacher_id = $1 AND state IN ('PROPOSED', 'CONFIRMED') AND starts_at > $2
		UNION
		SELECT id FROM skill_sessions
		WHERE learner_id = $1 AND state IN ('PROPOSED', 'CONFIRMED') AND starts_at > $2`, userID, now)
	if err != nil {
		return nil, mapErr(err, "select open sessions", "session", "")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return ids, mapErr(err, "select open sessions", "session", "")
}

// DueErasures returns up to limit accounts whose scheduled deletion is due at now and not done.
func (q *Queries) DueErasures(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id FROM users
		WHERE deletion_scheduled_at <= $1 AND status <> 'ERASED'
		ORDER BY deletion_scheduled_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, mapErr(err, "select due erasures", "user", "")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return ids, mapErr(err, "select due erasures", "user", "")
}
