package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// QuietHoursOf returns userID's quiet hours; ok is false when they never set any.
func (q *Queries) QuietHoursOf(ctx context.Context, userID uuid.UUID) (domain.QuietHours, bool, error) {
	rows, err := q.db.Query(ctx, `SELECT enabled, start_minute, end_minute, updated_at
		FROM notification_quiet_hours WHERE user_id = $1`, userID)
	if err != nil {
		return domain.QuietHours{}, false, mapErr(err, "load quiet hours", "quiet hours", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.QuietHours])
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.QuietHours{}, false, nil
	}
	if err != nil {
		return domain.QuietHours{}, false, mapErr(err, "load quiet hours", "quiet hours", "")
	}
	return out, true, nil
}

// SetQuietHours stores userID's quiet hours (replacing what was there) and returns them.
func (q *Queries) SetQuietHours(ctx context.Context, userID uuid.UUID, h domain.QuietHours) (domain.QuietHours, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO notification_quiet_hours (user_id, enabled, start_minute, end_minute, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id) DO UPDATE SET enabled = EXCLUDED.enabled, start_minute = EXCLUDED.start_minute,
			end_minute = EXCLUDED.end_minute, updated_at = EXCLUDED.updated_at
		RETURNING enabled, start_minute, end_minute, updated_at`, userID, h.Enabled, h.StartMinute, h.EndMinute, h.UpdatedAt)
	if err != nil {
		return domain.QuietHours{}, mapErr(err, "set quiet hours", "quiet hours", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.QuietHours])
	return out, mapErr(err, "set quiet hours", "quiet hours", "")
}

// MemberQuietHours is a member's enabled quiet hours with the time zone of their profile.
type MemberQuietHours struct {
	UserID uuid.UUID `db:"user_id"`
	domain.QuietHours
	// TimeZone is the profile's IANA zone ('UTC' for a member without a profile).
	TimeZone string `db:"time_zone"`
}

// EnabledQuietHours returns the enabled quiet hours of the given members, with their time zone,
// in one statement; members without them are absent.
func (q *Queries) EnabledQuietHours(ctx context.Context, userIDs []uuid.UUID) (map[uuid.UUID]MemberQuietHours, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	rows, err := q.db.Query(ctx, `
		SELECT h.user_id, h.enabled, h.start_minute, h.end_minute, h.updated_at, coalesce(p.time_zone, 'UTC') AS time_zone
		FROM notification_quiet_hours h LEFT JOIN profiles p ON p.user_id = h.user_id
		WHERE h.user_id = ANY($1) AND h.enabled`, userIDs)
	if err != nil {
		return nil, mapErr(err, "load quiet hours", "quiet hours", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[MemberQuietHours])
	if err != nil {
		return nil, mapErr(err, "load quiet hours", "quiet hours", "")
	}
	out := make(map[uuid.UUID]MemberQuietHours, len(list))
	for _, h := range list {
		out[h.UserID] = h
	}
	return out, nil
}

// ReadNotifications reports which of the given notifications are read (missing ones are absent).
func (q *Queries) ReadNotifications(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.db.Query(ctx, `SELECT id FROM notifications WHERE id = ANY($1) AND read_at IS NOT NULL`, ids)
	if err != nil {
		return nil, mapErr(err, "read notifications", "notification", "")
	}
	read, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, mapErr(err, "read notifications", "notification", "")
	}
	out := make(map[uuid.UUID]bool, len(read))
	for _, id := range read {
		out[id] = true
	}
	return out, nil
}

// DropReadHeldPushes deletes pushes held by quiet hours, due at now, whose notification the
// member read while they waited (the app showed it already).
func (q *Queries) DropReadHeldPushes(ctx context.Context, now time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM push_outbox o USING notifications n
		WHERE o.not_before IS NOT NULL AND o.not_before <= $1 AND n.id = o.notification_id AND n.read_at IS NOT NULL`, now)
	if err != nil {
		return 0, mapErr(err, "drop read held pushes", "push", "")
	}
	return tag.RowsAffected(), nil
}
