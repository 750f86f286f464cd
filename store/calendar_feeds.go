package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// RevokeCalendarFeeds revokes a member's active feed, if any; it reports whether one was.
func (q *Queries) RevokeCalendarFeeds(ctx context.Context, userID uuid.UUID, now time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `UPDATE calendar_feeds SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, userID, now)
	if err != nil {
		return false, mapErr(err, "revoke calendar feed", "calendar feed", "")
	}
	return tag.RowsAffected() > 0, nil
}

// InsertCalendarFeed stores a new active feed by its token's hash. A member has at most one
// active feed (calendar_feeds_one_active): a concurrent creation is a CONFLICT.
func (q *Queries) InsertCalendarFeed(ctx context.Context, f domain.CalendarFeed, tokenHash []byte) (domain.CalendarFeed, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO calendar_feeds (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)
		RETURNING id, user_id, created_at, revoked_at`, f.ID, f.UserID, tokenHash, f.CreatedAt)
	if err != nil {
		return domain.CalendarFeed{}, mapErr(err, "insert calendar feed", "calendar feed", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.CalendarFeed])
	return out, mapErr(err, "insert calendar feed", "calendar feed", "the calendar feed changed concurrently; try again")
}

// ActiveCalendarFeed returns a member's active feed.
func (q *Queries) ActiveCalendarFeed(ctx context.Context, userID uuid.UUID) (domain.CalendarFeed, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, user_id, created_at, revoked_at FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL`, userID)
	if err != nil {
		return domain.CalendarFeed{}, mapErr(err, "select calendar feed", "calendar feed", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.CalendarFeed])
	return out, mapErr(err, "select calendar feed", "calendar feed", "")
}

// CalendarFeedByTokenHash finds the active feed with this token hash.
func (q *Queries) CalendarFeedByTokenHash(ctx context.Context, hash []byte) (domain.CalendarFeed, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, user_id, created_at, revoked_at FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL`, hash)
	if err != nil {
		return domain.CalendarFeed{}, mapErr(err, "select calendar feed", "calendar feed", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.CalendarFeed])
	return out, mapErr(err, "select calendar feed", "calendar feed", "")
}
