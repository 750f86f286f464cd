package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/skillswap/skillswap/domain"
)

// Skill sessions (teaching sessions). Login sessions live in sessions.go.

const skillSessionColumns = `id, skill_id, teacher_id, learner_id, created_by, proposer_id, starts_at, duration_minutes,
	ends_at, mode, link, place, note, state, version, booking_seq, cancelled_by, cancelled_at, cancel_reason,
	late_cancellation, teacher_confirmed_at, learner_confirmed_at, completed_at, auto_completed,
	problem_reported_by, problem_reported_at, problem_note, no_show_user_id, no_show_reported_by,
	no_show_reported_at, price_amount, price_currency, created_at, updated_at`

const sessionConflictMsg = "this time overlaps another confirmed session of yours or your partner's"

// InsertSkillSession creates a session and records its first proposal.
func (q *Queries) InsertSkillSession(ctx context.Context, s domain.SkillSession) (domain.SkillSession, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO skill_sessions (id, skill_id, teacher_id, learner_id, created_by, proposer_id, starts_at,
			duration_minutes, ends_at, mode, link, place, note, state, price_amount, price_currency, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
		RETURNING `+skillSessionColumns,
		s.ID, s.SkillID, s.TeacherID, s.LearnerID, s.CreatedBy, s.StartsAt, s.DurationMinutes, s.EndsAt,
		s.Mode, s.Link, s.Place, s.Note, s.State, s.PriceAmount, s.PriceCurrency, s.CreatedAt)
	if err != nil {
		return domain.SkillSession{}, mapErr(err, "insert skill session", "session", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.SkillSession])
	if err != nil {
		return domain.SkillSession{}, mapErr(err, "insert skill session", "session", "session already exists")
	}
	return out, q.InsertSessionProposal(ctx, domain.SessionProposal{
		ID: uuid.Must(uuid.NewV7()), SessionID: out.ID, ProposerID: out.ProposerID,
		StartsAt: out.StartsAt, DurationMinutes: out.DurationMinutes, CreatedAt: out.CreatedAt,
	})
}

// InsertSessionProposal records a time put on the table.
func (q *Queries) InsertSessionProposal(ctx context.Context, p domain.SessionProposal) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO session_proposals (id, session_id, proposer_id, starts_at, duration_minutes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.ID, p.SessionID, p.ProposerID, p.StartsAt, p.DurationMinutes, p.CreatedAt)
	return mapErr(err, "insert session proposal", "session", "")
}

// SessionProposals returns a session's proposal history, oldest first.
func (q *Queries) SessionProposals(ctx context.Context, sessionID uuid.UUID) ([]domain.SessionProposal, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, session_id, proposer_id, starts_at, duration_minutes, created_at
		FROM session_proposals WHERE session_id = $1 ORDER BY id`, sessionID)
	if err != nil {
		return nil, mapErr(err, "select session proposals", "session", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.SessionProposal])
	return out, mapErr(err, "select session proposals", "session", "")
}

// SessionProposalsBySessionIDs loads the proposal histories of sessions, oldest first
// (dataloader source; callers have checked access to the sessions).
func (q *Queries) SessionProposalsBySessionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.SessionProposal, error) {
	return groupedRows(ctx, q.db, "select session proposals", "session", len(ids),
		func(p domain.SessionProposal) uuid.UUID { return p.SessionID }, `
		SELECT id, session_id, proposer_id, starts_at, duration_minutes, created_at
		FROM session_proposals WHERE session_id = ANY($1) ORDER BY session_id, id`, uuidArgs(ids))
}

// LockSkillSession reads a session and locks its row until the transaction ends, so concurrent
// actions on one session apply one after the other.
func (q *Queries) LockSkillSession(ctx context.Context, id uuid.UUID) (domain.SkillSession, error) {
	rows, err := q.db.Query(ctx, `SELECT `+skillSessionColumns+` FROM skill_sessions WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return domain.SkillSession{}, mapErr(err, "lock skill session", "session", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.SkillSession])
	return out, mapErr(err, "lock skill session", "session", "")
}

// SkillSessionsByIDs loads sessions; missing ids are absent (dataloader source).
func (q *Queries) SkillSessionsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SkillSession, error) {
	return keyedRows(ctx, q.db, "select skill sessions", "session",
		func(s domain.SkillSession) uuid.UUID { return s.ID },
		`SELECT `+skillSessionColumns+` FROM skill_sessions WHERE id = ANY($1)`, uuidArgs(ids))
}

// UpdateSkillSession writes every mutable field of s and bumps its version.
func (q *Queries) UpdateSkillSession(ctx context.Context, s domain.SkillSession, now time.Time) (domain.SkillSession, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE skill_sessions SET
			proposer_id = $2, starts_at = $3, duration_minutes = $4, ends_at = $5, state = $6,
			booking_seq = $7, cancelled_by = $8, cancelled_at = $9, cancel_reason = $10, late_cancellation = $11,
			teacher_confirmed_at = $12, learner_confirmed_at = $13, completed_at = $14, auto_completed = $15,
			problem_reported_by = $16, problem_reported_at = $17, problem_note = $18,
			no_show_user_id = $19, no_show_reported_by = $20, no_show_reported_at = $21,
			version = version + 1, updated_at = $22
		WHERE id = $1
		RETURNING `+skillSessionColumns,
		s.ID, s.ProposerID, s.StartsAt, s.DurationMinutes, s.EndsAt, s.State,
		s.BookingSeq, s.CancelledBy, s.CancelledAt, s.CancelReason, s.LateCancellation,
		s.TeacherConfirmedAt, s.LearnerConfirmedAt, s.CompletedAt, s.AutoCompleted,
		s.ProblemReportedBy, s.ProblemReportedAt, s.ProblemNote,
		s.NoShowUserID, s.NoShowReportedBy, s.NoShowReportedAt, now)
	if err != nil {
		return domain.SkillSession{}, mapErr(err, "update skill session", "session", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.SkillSession])
	return out, mapErr(err, "update skill session", "session", "")
}

// BookSession reserves the session's time for both participants, from its start to its end
// plus buffer. An overlap with another booking of either person (the exclusion constraint
// session_bookings_no_overlap) is a CONFLICT: of concurrent overlapping confirmations, exactly
// one commits.
func (q *Queries) BookSession(ctx context.Context, s domain.SkillSession, buffer time.Duration) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO session_bookings (session_id, user_id, during)
		SELECT $1, u, tstzrange($4, $5, '[)') FROM unnest(ARRAY[$2::uuid, $3::uuid]) AS u`,
		s.ID, s.TeacherID, s.LearnerID, s.StartsAt, s.EndsAt.Add(buffer))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgDeadlockDetected {
		// Two transactions inserting overlapping rows each wait on the other's exclusion check
		// (unlike a unique index, an exclusion constraint has no speculative insertion), and
		// PostgreSQL aborts one: the same outcome as losing the race.
		e := domain.Conflict(sessionConflictMsg)
		e.Err = fmt.Errorf("book session: %w", err)
		e.Field = domain.FieldStartsAt
		e.Details = map[string]any{"reason": "OVERLAP"}
		return e
	}
	if err != nil {
		e := mapErr(err, "book session", "session", sessionConflictMsg)
		if de, ok := e.(*domain.Error); ok && de.Kind == domain.KindConflict {
			de.Field = domain.FieldStartsAt
			de.Details = map[string]any{"reason": "OVERLAP"}
		}
		return e
	}
	return nil
}

// ReleaseSession frees the session's booked time (cancelled, rescheduled, no-show).
func (q *Queries) ReleaseSession(ctx context.Context, sessionID uuid.UUID) error {
	_, err := q.db.Exec(ctx, `DELETE FROM session_bookings WHERE session_id = $1`, sessionID)
	return mapErr(err, "release session", "session", "")
}

// BookingOverlaps reports whether either person already has a booking overlapping
// [start, end+buffer), ignoring the session except (to warn at proposal time; acceptance is
// what the exclusion constraint guards).
func (q *Queries) BookingOverlaps(ctx context.Context, users []uuid.UUID, start, end time.Time, buffer time.Duration, except uuid.UUID) (bool, error) {
	var found bool
	err := q.db.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM session_bookings
			WHERE user_id = ANY($1) AND during && tstzrange($2, $3, '[)') AND session_id <> $4)`,
		uuidArgs(users), start, end.Add(buffer), except).Scan(&found)
	return found, mapErr(err, "check booking overlap", "session", "")
}

// SkillSessionKey is the keyset position of a session in upcoming/past lists.
type SkillSessionKey struct {
	StartsAt time.Time `json:"s"`
	ID       uuid.UUID `json:"i"`
}

// UpcomingSkillSessions lists a member's proposed and confirmed sessions not yet ended, soonest
// first, strictly after the key when set. Each side (teacher, learner) is read from its own
// index and the two are merged.
func (q *Queries) UpcomingSkillSessions(ctx context.Context, userID uuid.UUID, now time.Time, after *SkillSessionKey, limit int) ([]domain.SkillSession, error) {
	var at *time.Time
	var aid *uuid.UUID
	if after != nil {
		at, aid = &after.StartsAt, &after.ID
	}
	side := func(col string) string {
		return `(SELECT ` + skillSessionColumns + ` FROM skill_sessions
			WHERE ` + col + ` = $1 AND state IN ('PROPOSED', 'CONFIRMED') AND ends_at > $2
			  AND ($3::timestamptz IS NULL OR (starts_at, id) > ($3, $4::uuid))
			ORDER BY starts_at, id LIMIT $5)`
	}
	rows, err := q.db.Query(ctx, `SELECT * FROM (`+side("teacher_id")+` UNION ALL `+side("learner_id")+`) s
		ORDER BY starts_at, id LIMIT $5`, userID, now, at, aid, limit)
	if err != nil {
		return nil, mapErr(err, "list upcoming sessions", "session", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.SkillSession])
	return out, mapErr(err, "list upcoming sessions", "session", "")
}

// PastSkillSessions lists a member's other sessions (ended, or declined, cancelled, completed,
// no-show), latest start first, strictly before the key when set.
func (q *Queries) PastSkillSessions(ctx context.Context, userID uuid.UUID, now time.Time, after *SkillSessionKey, limit int) ([]domain.SkillSession, error) {
	var at *time.Time
	var aid *uuid.UUID
	if after != nil {
		at, aid = &after.StartsAt, &after.ID
	}
	side := func(col string) string {
		return `(SELECT ` + skillSessionColumns + ` FROM skill_sessions
			WHERE ` + col + ` = $1 AND (state NOT IN ('PROPOSED', 'CONFIRMED') OR ends_at <= $2)
			  AND ($3::timestamptz IS NULL OR (starts_at, id) < ($3, $4::uuid))
			ORDER BY starts_at DESC, id DESC LIMIT $5)`
	}
	rows, err := q.db.Query(ctx, `SELECT * FROM (`+side("teacher_id")+` UNION ALL `+side("learner_id")+`) s
		ORDER BY starts_at DESC, id DESC LIMIT $5`, userID, now, at, aid, limit)
	if err != nil {
		return nil, mapErr(err, "list past sessions", "session", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.SkillSession])
	return out, mapErr(err, "list past sessions", "session", "")
}

// CalendarEvent is a session as a member's calendar shows it.
type CalendarEvent struct {
	domain.SkillSession
	SkillName   string `db:"skill_name"`
	PartnerName string `db:"partner_name"`
}

// calendarEventSelect reads sessions as the calendar of member $1 shows them: with the skill's
// name and the other participant's.
const calendarEventSelect = `
		SELECT s.id, s.skill_id, s.teacher_id, s.learner_id, s.created_by, s.proposer_id, s.starts_at,
			s.duration_minutes, s.ends_at, s.mode, s.link, s.place, s.note, s.state, s.version, s.booking_seq,
			s.cancelled_by, s.cancelled_at, s.cancel_reason, s.late_cancellation, s.teacher_confirmed_at,
			s.learner_confirmed_at, s.completed_at, s.auto_completed, s.problem_reported_by, s.problem_reported_at,
			s.problem_note, s.no_show_user_id, s.no_show_reported_by, s.no_show_reported_at, s.price_amount,
			s.price_currency, s.created_at, s.updated_at,
			k.name_en AS skill_name, p.display_name AS partner_name
		FROM skill_sessions s
		JOIN skills k ON k.id = s.skill_id
		JOIN users p ON p.id = CASE WHEN s.teacher_id = $1 THEN s.learner_id ELSE s.teacher_id END
`

// CalendarEvents returns a member's sessions starting in [from, to) that belong in their
// calendar (proposed, confirmed, completed, and cancelled ones so calendar apps drop them), with
// the skill's and the partner's names, in one statement.
func (q *Queries) CalendarEvents(ctx context.Context, userID uuid.UUID, from, to time.Time, limit int) ([]CalendarEvent, error) {
	rows, err := q.db.Query(ctx, calendarEventSelect+`
		WHERE (s.teacher_id = $1 OR s.learner_id = $1)
		  AND s.starts_at >= $2 AND s.starts_at < $3
		  AND s.state IN ('PROPOSED', 'CONFIRMED', 'COMPLETED', 'CANCELLED')
		ORDER BY s.starts_at, s.id
		LIMIT $4`, userID, from, to, limit)
	if err != nil {
		return nil, mapErr(err, "select calendar events", "session", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[CalendarEvent])
	return out, mapErr(err, "select calendar events", "session", "")
}

// CalendarEventByID returns one session as the given participant's calendar shows it.
func (q *Queries) CalendarEventByID(ctx context.Context, userID, sessionID uuid.UUID) (CalendarEvent, error) {
	rows, err := q.db.Query(ctx, calendarEventSelect+`
		WHERE s.id = $2 AND (s.teacher_id = $1 OR s.learner_id = $1)`, userID, sessionID)
	if err != nil {
		return CalendarEvent{}, mapErr(err, "select calendar event", "session", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[CalendarEvent])
	return out, mapErr(err, "select calendar event", "session", "")
}

// SkillSessionStats is a member's session track record for reliability.
type SkillSessionStats struct {
	UserID uuid.UUID `db:"user_id"`
	// Completed sessions the member took part in.
	Completed int `db:"completed"`
	// Cancelled counts the member's late cancellations and no-shows.
	Cancelled int `db:"cancelled"`
	// RatingSum and RatingCount aggregate the visible reviews they received.
	RatingSum   int64 `db:"rating_sum"`
	RatingCount int   `db:"rating_count"`
	// LastActive is the latest use of any of their login sessions.
	LastActive *time.Time `db:"last_active"`
}

// SessionStatsByUserIDs returns the track record of each member in one statement; every id asked
// gets a row (zeros when nothing is known).
//
// Plan: each source is read once for all ids (index scans with = ANY on the teacher, learner
// and login-session indexes) and aggregated per member, then joined to the ids by hash; not
// one correlated subquery per member and source, which cost 5 index probes per member even
// when the member has no history (matching asks for 500 members per request).
func (q *Queries) SessionStatsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]SkillSessionStats, error) {
	return keyedRows(ctx, q.db, "select session stats", "user",
		func(s SkillSessionStats) uuid.UUID { return s.UserID }, `
		WITH ids AS (
			SELECT DISTINCT user_id FROM unnest($1::uuid[]) AS ids (user_id)
		),
		roles AS (
			SELECT s.teacher_id AS user_id, s.state, s.late_cancellation, s.cancelled_by, s.no_show_user_id
			FROM skill_sessions s
			WHERE s.teacher_id = ANY($1) AND s.state IN ('COMPLETED', 'CANCELLED', 'NO_SHOW')
			UNION ALL
			SELECT s.learner_id, s.state, s.late_cancellation, s.cancelled_by, s.no_show_user_id
			FROM skill_sessions s
			WHERE s.learner_id = ANY($1) AND s.state IN ('COMPLETED', 'CANCELLED', 'NO_SHOW')
		),
		sessions AS (
			SELECT r.user_id,
				count(*) FILTER (WHERE r.state = 'COMPLETED') AS completed,
				count(*) FILTER (WHERE (r.state = 'CANCELLED' AND r.late_cancellation AND r.cancelled_by = r.user_id)
					OR (r.state = 'NO_SHOW' AND r.no_show_user_id = r.user_id)) AS cancelled
			FROM roles r
			GROUP BY r.user_id
		),
		activity AS (
			SELECT a.user_id, max(a.last_used_at) AS last_active
			FROM auth_sessions a
			WHERE a.user_id = ANY($1)
			GROUP BY a.user_id
		)
		SELECT ids.user_id, coalesce(s.completed, 0) AS completed, coalesce(s.cancelled, 0) AS cancelled,
			coalesce(r.sum, 0) AS rating_sum, coalesce(r.count, 0) AS rating_count, a.last_active
		FROM ids
		LEFT JOIN sessions s ON s.user_id = ids.user_id
		LEFT JOIN member_ratings r ON r.user_id = ids.user_id
		LEFT JOIN activity a ON a.user_id = ids.user_id`, uuidArgs(ids))
}
