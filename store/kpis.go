package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// Who a cohort counts and what counts as activation and activity: docs/kpis.md says the same in
// words, and kpis/kpis_test.go pins each edge. Exact hours, never '7 days': an interval in days
// follows the session's time zone across a DST change (167 or 169 hours).
const (
	// kpiMembers: verified, non-staff, non-erased accounts created by $1, with their week.
	kpiMembers = `
	SELECT u.id, u.created_at,
	       date_trunc('week', u.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week_start
	FROM users u
	WHERE u.created_at <= $1 AND u.status <> 'ERASED' AND u.email_verified_at IS NOT NULL
	  AND NOT (u.roles && ARRAY['SUPPORT', 'MODERATOR', 'ADMIN']::text[])`
	// kpiExchanged: when each member first had a two-way exchange (they sent a message in a
	// conversation where someone else sent one; support conversations do not count), by $1.
	kpiExchanged = `
	SELECT a.sender_id AS user_id, min(greatest(a.first_at, b.first_at)) AS at
	FROM firsts a JOIN firsts b ON b.conversation_id = a.conversation_id AND b.sender_id <> a.sender_id
	GROUP BY a.sender_id`
	kpiFirsts = `
	SELECT m.conversation_id, m.sender_id, min(m.created_at) AS first_at
	FROM messages m JOIN conversations c ON c.id = m.conversation_id
	WHERE c.kind <> 'SUPPORT' AND m.created_at <= $1
	GROUP BY m.conversation_id, m.sender_id`
	// kpiActivity: the meaningful actions (user, time) "active" counts: a message sent (not to
	// support), a session proposal or counter-proposal made, a session taken part in completed.
	kpiActivity = `
	SELECT m.sender_id AS user_id, m.created_at AS at
	FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.kind <> 'SUPPORT'
	UNION ALL SELECT proposer_id, created_at FROM session_proposals
	UNION ALL SELECT teacher_id, completed_at FROM skill_sessions WHERE completed_at IS NOT NULL
	UNION ALL SELECT learner_id, completed_at FROM skill_sessions WHERE completed_at IS NOT NULL`
)

// KPICohortsSQL computes every cohort's figures as of $1; kpi_cohorts stores its result, and the
// benchmark times it as the live alternative. Columns: those of kpi_cohorts.
const KPICohortsSQL = `
	WITH members AS (` + kpiMembers + `),
	firsts AS (` + kpiFirsts + `),
	exchanged AS (` + kpiExchanged + `),
	retained AS (
		SELECT DISTINCT a.user_id
		FROM (` + kpiActivity + `) a JOIN members mb ON mb.id = a.user_id
		WHERE a.at >= mb.created_at + interval '504 hours' AND a.at < mb.created_at + interval '672 hours'
		  AND a.at <= $1),
	nps AS (
		SELECT user_id, count(*) AS responses, count(*) FILTER (WHERE score >= 9) AS promoters,
		       count(*) FILTER (WHERE score <= 6) AS detractors
		FROM nps_responses WHERE score IS NOT NULL AND created_at <= $1 GROUP BY user_id)
	SELECT mb.week_start, count(*)::int AS members,
	       (count(*) FILTER (WHERE e.at <= mb.created_at + interval '168 hours'))::int AS activated,
	       count(r.user_id)::int AS retained_w4,
	       coalesce(sum(n.responses), 0)::int AS nps_responses, coalesce(sum(n.promoters), 0)::int AS promoters,
	       coalesce(sum(n.detractors), 0)::int AS detractors, $1::timestamptz AS computed_at
	FROM members mb
	LEFT JOIN exchanged e ON e.user_id = mb.id
	LEFT JOIN retained r ON r.user_id = mb.id
	LEFT JOIN nps n ON n.user_id = mb.id
	GROUP BY mb.week_start`

// RefreshKPICohorts recomputes kpi_cohorts as of asOf in one transaction (readers keep the
// previous figures until it commits; a second refresh at the same time waits for the first).
// It returns the number of cohorts written.
func (s *Store) RefreshKPICohorts(ctx context.Context, asOf time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(q *Queries) error {
		// A background job reading every member's activity: DB_STATEMENT_TIMEOUT (5 s, sized for
		// API requests) would stop it on a large platform; the job's own timeout bounds it.
		if _, err := q.db.Exec(ctx, `SET LOCAL statement_timeout = '10min'`); err != nil {
			return fmt.Errorf("timeout: %w", err)
		}
		if _, err := q.db.Exec(ctx, `LOCK TABLE kpi_cohorts IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := q.db.Exec(ctx, `DELETE FROM kpi_cohorts`); err != nil {
			return fmt.Errorf("clear: %w", err)
		}
		tag, err := q.db.Exec(ctx, `INSERT INTO kpi_cohorts (week_start, members, activated, retained_w4,
			nps_responses, promoters, detractors, computed_at) `+KPICohortsSQL, asOf)
		if err != nil {
			return fmt.Errorf("compute: %w", err)
		}
		n = tag.RowsAffected()
		if _, err := q.db.Exec(ctx, `INSERT INTO kpi_refreshes (singleton, computed_at) VALUES (true, $1)
			ON CONFLICT (singleton) DO UPDATE SET computed_at = EXCLUDED.computed_at`, asOf); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("refresh kpi cohorts: %w", err)
	}
	return n, nil
}

// kpiCohortRow is a kpi_cohorts row (or an empty week) as read.
type kpiCohortRow struct {
	WeekStart    time.Time  `db:"week_start"`
	Members      int        `db:"members"`
	Activated    int        `db:"activated"`
	RetainedW4   int        `db:"retained_w4"`
	NPSResponses int        `db:"nps_responses"`
	Promoters    int        `db:"promoters"`
	Detractors   int        `db:"detractors"`
	ComputedAt   *time.Time `db:"computed_at"`
}

// KPICohorts returns one cohort per week from the week starting at first to the one starting at
// last (both Mondays 00:00 UTC), oldest first, from the last refresh; a week without members
// is a zero cohort. Every row carries the last refresh's time (kpi_refreshes; nil before the
// first).
func (q *Queries) KPICohorts(ctx context.Context, first, last time.Time) ([]domain.KPICohort, error) {
	rows, err := q.db.Query(ctx, `
		WITH computed AS (SELECT computed_at AS at FROM kpi_refreshes)
		SELECT w.week_start, coalesce(k.members, 0) AS members, coalesce(k.activated, 0) AS activated,
		       coalesce(k.retained_w4, 0) AS retained_w4, coalesce(k.nps_responses, 0) AS nps_responses,
		       coalesce(k.promoters, 0) AS promoters, coalesce(k.detractors, 0) AS detractors,
		       (SELECT at FROM computed) AS computed_at
		FROM generate_series($1::timestamptz, $2::timestamptz, interval '168 hours') AS w (week_start)
		LEFT JOIN kpi_cohorts k ON k.week_start = w.week_start
		ORDER BY w.week_start`, first, last)
	if err != nil {
		return nil, mapErr(err, "kpi cohorts", "kpi cohort", "")
	}
	raw, err := pgx.CollectRows(rows, pgx.RowToStructByName[kpiCohortRow])
	if err != nil {
		return nil, mapErr(err, "kpi cohorts", "kpi cohort", "")
	}
	out := make([]domain.KPICohort, len(raw))
	for i, r := range raw {
		out[i] = domain.KPICohort{WeekStart: r.WeekStart.UTC(), Members: r.Members, Activated: r.Activated,
			RetainedW4: r.RetainedW4, ComputedAt: r.ComputedAt,
			NPS: domain.NPSTally{Responses: r.NPSResponses, Promoters: r.Promoters, Detractors: r.Detractors}}
	}
	return out, nil
}

// NPSBetween tallies every NPS response (not dismissals) submitted in [from, to), live.
func (q *Queries) NPSBetween(ctx context.Context, from, to time.Time) (domain.NPSTally, error) {
	rows, err := q.db.Query(ctx, `
		SELECT count(*)::int AS responses, (count(*) FILTER (WHERE score >= 9))::int AS promoters,
		       (count(*) FILTER (WHERE score <= 6))::int AS detractors
		FROM nps_responses WHERE score IS NOT NULL AND created_at >= $1 AND created_at < $2`, from, to)
	if err != nil {
		return domain.NPSTally{}, mapErr(err, "nps between", "nps", "")
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.NPSTally])
	return t, mapErr(err, "nps between", "nps", "")
}

// NPSSurveyState returns what decides whether the member's NPS survey is due at now: how many
// skill sessions they completed by now (counted up to domain.NPSSessionsBeforeSurvey) and when
// they last answered or dismissed it (nil: never).
func (q *Queries) NPSSurveyState(ctx context.Context, userID uuid.UUID, now time.Time) (completed int, lastAt *time.Time, err error) {
	err = q.db.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM (SELECT 1 FROM skill_sessions
		            WHERE (teacher_id = $1 OR learner_id = $1) AND state = 'COMPLETED' AND completed_at <= $2
		            LIMIT $3) s)::int,
		       (SELECT max(created_at) FROM nps_responses WHERE user_id = $1)`,
		userID, now, domain.NPSSessionsBeforeSurvey).Scan(&completed, &lastAt)
	if err != nil {
		return 0, nil, mapErr(err, "nps survey state", "user", "")
	}
	return completed, lastAt, nil
}

// InsertNPSResponse records an answer (score set) or a dismissal (score nil, comment nil).
func (q *Queries) InsertNPSResponse(ctx context.Context, userID uuid.UUID, score *int, comment *string, at time.Time) error {
	_, err := q.db.Exec(ctx, `INSERT INTO nps_responses (id, user_id, score, comment, created_at) VALUES ($1, $2, $3, $4, $5)`,
		uuid.Must(uuid.NewV7()), userID, score, comment, at)
	return mapErr(err, "insert nps response", "user", "")
}
