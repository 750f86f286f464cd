package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/skillswap/skillswap/domain"
)

const digestScheduleColumns = `frequency, weekday, minute, next_digest_at, last_digest_at, updated_at`

// DigestScheduleOf returns userID's digest schedule; ok is false when they have none.
func (q *Queries) DigestScheduleOf(ctx context.Context, userID uuid.UUID) (domain.DigestSchedule, bool, error) {
	rows, err := q.db.Query(ctx, `SELECT `+digestScheduleColumns+`
		FROM notification_digest_schedules WHERE user_id = $1`, userID)
	if err != nil {
		return domain.DigestSchedule{}, false, mapErr(err, "load digest schedule", "digest schedule", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.DigestSchedule])
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.DigestSchedule{}, false, nil
	}
	if err != nil {
		return domain.DigestSchedule{}, false, mapErr(err, "load digest schedule", "digest schedule", "")
	}
	return out, true, nil
}

// LockDigestSchedule returns userID's digest schedule locked (FOR UPDATE) until the end of the
// transaction, so a change of schedule or zone and a digest run do not interleave: the run
// claims with SKIP LOCKED and sees the new next_digest_at once the change commits. ok is false
// when the member has none.
func (q *Queries) LockDigestSchedule(ctx context.Context, userID uuid.UUID) (sch domain.DigestSchedule, ok bool, err error) {
	if q.tx == nil {
		return domain.DigestSchedule{}, false, errors.New("lock digest schedule: must run inside store.InTx")
	}
	rows, err := q.db.Query(ctx, `SELECT `+digestScheduleColumns+`
		FROM notification_digest_schedules WHERE user_id = $1 FOR UPDATE`, userID)
	if err != nil {
		return domain.DigestSchedule{}, false, mapErr(err, "lock digest schedule", "digest schedule", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.DigestSchedule])
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.DigestSchedule{}, false, nil
	}
	if err != nil {
		return domain.DigestSchedule{}, false, mapErr(err, "lock digest schedule", "digest schedule", "")
	}
	return out, true, nil
}

// SetNextDigest moves userID's next digest to next (a change of time zone).
func (q *Queries) SetNextDigest(ctx context.Context, userID uuid.UUID, next, now time.Time) error {
	_, err := q.db.Exec(ctx, `UPDATE notification_digest_schedules SET next_digest_at = $2, updated_at = $3 WHERE user_id = $1`,
		userID, next, now)
	return mapErr(err, "set next digest", "digest schedule", "")
}

// SetDigestSchedule stores userID's digest schedule (replacing one there, keeping its
// last_digest_at) and returns it. With onlyIfAbsent, an existing schedule is kept and returned.
func (q *Queries) SetDigestSchedule(ctx context.Context, userID uuid.UUID, s domain.DigestSchedule, onlyIfAbsent bool) (domain.DigestSchedule, error) {
	conflict := `DO UPDATE SET frequency = EXCLUDED.frequency, weekday = EXCLUDED.weekday,
			minute = EXCLUDED.minute, next_digest_at = EXCLUDED.next_digest_at, updated_at = EXCLUDED.updated_at`
	if onlyIfAbsent {
		conflict = `DO NOTHING`
	}
	if _, err := q.db.Exec(ctx, `
		INSERT INTO notification_digest_schedules (user_id, frequency, weekday, minute, next_digest_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id) `+conflict, userID, s.Frequency, s.Weekday, s.Minute, s.NextAt, s.UpdatedAt); err != nil {
		return domain.DigestSchedule{}, mapErr(err, "set digest schedule", "digest schedule", "")
	}
	out, _, err := q.DigestScheduleOf(ctx, userID)
	return out, err
}

// DueDigest is a member whose digest is due, claimed (row-locked) by the current transaction.
type DueDigest struct {
	UserID uuid.UUID `db:"user_id"`
	domain.DigestSchedule
	// TimeZone is the profile's IANA zone ('UTC' without a profile).
	TimeZone string `db:"time_zone"`
	// Active is whether the member has at least one type emailed in digest mode (else nothing is
	// sent): a type unsubscribed from (email off) no longer counts.
	Active bool `db:"active"`
}

// ClaimDueDigests locks up to limit schedules due at now (next_digest_at <= now), skipping rows
// another transaction holds (FOR UPDATE SKIP LOCKED): concurrent runners share the work and
// never claim the same member twice. Must run inside store.InTx; the caller advances every
// claimed row before committing.
func (q *Queries) ClaimDueDigests(ctx context.Context, now time.Time, limit int) ([]DueDigest, error) {
	rows, err := q.db.Query(ctx, `
		WITH due AS (
			SELECT user_id FROM notification_digest_schedules
			WHERE next_digest_at <= $1 ORDER BY next_digest_at LIMIT $2 FOR UPDATE SKIP LOCKED)
		SELECT s.user_id, s.frequency, s.weekday, s.minute, s.next_digest_at, s.last_digest_at, s.updated_at,
			coalesce(p.time_zone, 'UTC') AS time_zone,
			EXISTS (SELECT 1 FROM notification_preferences np WHERE np.user_id = s.user_id AND np.email AND np.email_digest) AS active
		FROM due JOIN notification_digest_schedules s USING (user_id)
		LEFT JOIN profiles p ON p.user_id = s.user_id`, now, limit)
	if err != nil {
		return nil, mapErr(err, "claim due digests", "digest schedule", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[DueDigest])
	return out, mapErr(err, "claim due digests", "digest schedule", "")
}

// AdvanceDigests sets, for each member, next_digest_at to next[i] and last_digest_at to
// last[i] (one statement).
func (q *Queries) AdvanceDigests(ctx context.Context, users []uuid.UUID, next, last []time.Time) error {
	if len(users) == 0 {
		return nil
	}
	_, err := q.db.Exec(ctx, `
		UPDATE notification_digest_schedules s SET next_digest_at = v.next, last_digest_at = v.last
		FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS v(user_id, next, last)
		WHERE s.user_id = v.user_id`, users, next, last)
	return mapErr(err, "advance digests", "digest schedule", "")
}

// DigestUnread is one conversation with messages a member has not read.
type DigestUnread struct {
	UserID         uuid.UUID `db:"user_id"`
	ConversationID uuid.UUID `db:"conversation_id"`
	Unread         int       `db:"unread"`
}

// DigestUnreadConversations counts, for each member, the unread messages of others (not
// deleted) in each conversation they are still in; conversations without any are absent.
func (q *Queries) DigestUnreadConversations(ctx context.Context, users []uuid.UUID) ([]DigestUnread, error) {
	rows, err := q.db.Query(ctx, `
		SELECT p.user_id, p.conversation_id, count(m.id)::int AS unread
		FROM conversation_participants p
		JOIN conversations c ON c.id = p.conversation_id AND c.last_seq > p.last_read_seq
		JOIN messages m ON m.conversation_id = p.conversation_id AND m.seq > p.last_read_seq
			AND m.sender_id <> p.user_id AND m.deleted_at IS NULL
		WHERE p.user_id = ANY($1) AND p.left_at IS NULL
		GROUP BY p.user_id, p.conversation_id`, users)
	if err != nil {
		return nil, mapErr(err, "digest unread", "conversation", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[DigestUnread])
	return out, mapErr(err, "digest unread", "conversation", "")
}

// DigestCount is a count per member.
type DigestCount struct {
	UserID uuid.UUID `db:"user_id"`
	N      int       `db:"n"`
}

// DigestNewMatches counts, per member, the new-mutual-match notifications created at or after
// since[i] (the start of their digest period) and before until.
func (q *Queries) DigestNewMatches(ctx context.Context, users []uuid.UUID, since []time.Time, until time.Time) ([]DigestCount, error) {
	rows, err := q.db.Query(ctx, `
		SELECT n.user_id, count(*)::int AS n
		FROM unnest($1::uuid[], $2::timestamptz[]) AS v(user_id, since)
		JOIN notifications n ON n.user_id = v.user_id AND n.type = $3
			AND n.created_at >= v.since AND n.created_at < $4
		GROUP BY n.user_id`, users, since, domain.NotificationNewMutualMatch, until)
	if err != nil {
		return nil, mapErr(err, "digest matches", "notification", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[DigestCount])
	return out, mapErr(err, "digest matches", "notification", "")
}

// DigestUpcomingSessions counts, per member, their confirmed sessions starting in [from, to).
func (q *Queries) DigestUpcomingSessions(ctx context.Context, users []uuid.UUID, from, to time.Time) ([]DigestCount, error) {
	rows, err := q.db.Query(ctx, `
		SELECT u.id AS user_id, count(*)::int AS n
		FROM unnest($1::uuid[]) AS u(id)
		JOIN skill_sessions s ON (s.teacher_id = u.id OR s.learner_id = u.id)
		WHERE s.state = 'CONFIRMED' AND s.starts_at >= $2 AND s.starts_at < $3
		GROUP BY u.id`, users, from, to)
	if err != nil {
		return nil, mapErr(err, "digest sessions", "skill session", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[DigestCount])
	return out, mapErr(err, "digest sessions", "skill session", "")
}

// manyInserter is the batch insert of River's client (which the store's JobInserter is in
// production).
type manyInserter interface {
	InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// EnqueueJobs inserts background jobs in the current transaction, in one batch when the job
// inserter supports it (River's client does), else one by one.
func (q *Queries) EnqueueJobs(ctx context.Context, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	if q.tx == nil {
		return errors.New("enqueue jobs: must run inside store.InTx")
	}
	if m, ok := q.jobs.(manyInserter); ok {
		if _, err := m.InsertManyTx(ctx, q.tx, params); err != nil {
			return fmt.Errorf("enqueue %d jobs: %w", len(params), err)
		}
		return nil
	}
	for _, p := range params {
		if err := q.EnqueueJob(ctx, p.Args, p.InsertOpts); err != nil {
			return err
		}
	}
	return nil
}

// MemberTimeZone is userID's profile time zone ("UTC" without a profile).
func (q *Queries) MemberTimeZone(ctx context.Context, userID uuid.UUID) (string, error) {
	var tz string
	err := q.db.QueryRow(ctx, `SELECT coalesce((SELECT time_zone FROM profiles WHERE user_id = $1), 'UTC')`, userID).Scan(&tz)
	return tz, mapErr(err, "load time zone", "profile", "")
}
