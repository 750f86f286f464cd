package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const notificationColumns = `id, user_id, type, payload, group_key, read_at, created_at`

// InsertNotifications stores notifications in one statement. A notification whose group key
// already has an unread notification of the same member is skipped (coalesced); only the rows
// actually inserted are returned.
func (q *Queries) InsertNotifications(ctx context.Context, ns []domain.Notification) ([]domain.Notification, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(ns))
	users := make([]uuid.UUID, len(ns))
	types := make([]string, len(ns))
	payloads := make([]string, len(ns))
	keys := make([]*string, len(ns))
	created := make([]time.Time, len(ns))
	for i, n := range ns {
		ids[i], users[i], types[i], keys[i], created[i] = n.ID, n.UserID, string(n.Type), n.GroupKey, n.CreatedAt
		payloads[i] = string(n.Payload)
		if len(n.Payload) == 0 {
			payloads[i] = "{}"
		}
	}
	rows, err := q.db.Query(ctx, `
		INSERT INTO notifications (id, user_id, type, payload, group_key, created_at)
		SELECT id, user_id, type, payload::jsonb, group_key, created_at
		FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
			AS n(id, user_id, type, payload, group_key, created_at)
		ON CONFLICT (user_id, group_key) WHERE read_at IS NULL AND group_key IS NOT NULL DO NOTHING
		RETURNING `+notificationColumns, ids, users, types, payloads, keys, created)
	if err != nil {
		return nil, mapErr(err, "insert notifications", "notification", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Notification])
	return out, mapErr(err, "insert notifications", "notification", "")
}

// NotificationFeed returns up to limit of userID's notifications, newest first, strictly older
// than after when set; unreadOnly keeps the unread ones.
func (q *Queries) NotificationFeed(ctx context.Context, userID uuid.UUID, after *uuid.UUID, limit int, unreadOnly bool) ([]domain.Notification, error) {
	sql := `SELECT ` + notificationColumns + ` FROM notifications
		WHERE user_id = $1 AND ($2::uuid IS NULL OR id < $2)`
	if unreadOnly {
		// A separate statement text so the planner picks the partial unread index.
		sql += ` AND read_at IS NULL`
	}
	rows, err := q.db.Query(ctx, sql+` ORDER BY id DESC LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, mapErr(err, "list notifications", "notification", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Notification])
	return out, mapErr(err, "list notifications", "notification", "")
}

// NotificationsAfter returns up to limit of userID's notifications with an id greater than after,
// oldest first (replay for a resuming subscriber).
func (q *Queries) NotificationsAfter(ctx context.Context, userID, after uuid.UUID, limit int) ([]domain.Notification, error) {
	rows, err := q.db.Query(ctx, `SELECT `+notificationColumns+` FROM notifications
		WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, mapErr(err, "replay notifications", "notification", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Notification])
	return out, mapErr(err, "replay notifications", "notification", "")
}

// NotificationsByIDs loads notifications; missing ids are absent (dataloader source).
func (q *Queries) NotificationsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Notification, error) {
	return keyedRows(ctx, q.db, "select notifications", "notification",
		func(n domain.Notification) uuid.UUID { return n.ID },
		`SELECT `+notificationColumns+` FROM notifications WHERE id = ANY($1)`, ids)
}

// MarkNotificationsRead marks the given notifications of userID read (others' ids are ignored)
// and returns how many changed.
func (q *Queries) MarkNotificationsRead(ctx context.Context, userID uuid.UUID, ids []uuid.UUID, now time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, `UPDATE notifications SET read_at = $3
		WHERE user_id = $1 AND id = ANY($2) AND read_at IS NULL`, userID, ids, now)
	if err != nil {
		return 0, mapErr(err, "mark notifications read", "notification", "")
	}
	return tag.RowsAffected(), nil
}

// MarkAllNotificationsRead marks every unread notification of userID read, only up to (and
// including) the id upTo when set, so notifications the client has not shown yet stay unread.
func (q *Queries) MarkAllNotificationsRead(ctx context.Context, userID uuid.UUID, upTo *uuid.UUID, now time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, `UPDATE notifications SET read_at = $3
		WHERE user_id = $1 AND read_at IS NULL AND ($2::uuid IS NULL OR id <= $2)`, userID, upTo, now)
	if err != nil {
		return 0, mapErr(err, "mark all notifications read", "notification", "")
	}
	return tag.RowsAffected(), nil
}

// MarkNotificationGroupRead marks userID's unread notification with the group key read (for
// example the NEW_MESSAGE of a conversation the member just read).
func (q *Queries) MarkNotificationGroupRead(ctx context.Context, userID uuid.UUID, groupKey string, now time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, `UPDATE notifications SET read_at = $3
		WHERE user_id = $1 AND group_key = $2 AND read_at IS NULL`, userID, groupKey, now)
	if err != nil {
		return 0, mapErr(err, "mark notification group read", "notification", "")
	}
	return tag.RowsAffected(), nil
}

// UnreadNotificationCounts counts unread notifications per member (dataloader source).
func (q *Queries) UnreadNotificationCounts(ctx context.Context, userIDs []uuid.UUID) (map[uuid.UUID]int, error) {
	type row struct {
		UserID uuid.UUID `db:"user_id"`
		Unread int       `db:"unread"`
	}
	return keyedValues(ctx, q.db, "count unread notifications", "notification",
		func(r row) (uuid.UUID, int) { return r.UserID, r.Unread },
		`SELECT user_id, count(*)::int AS unread FROM notifications
		WHERE user_id = ANY($1) AND read_at IS NULL GROUP BY user_id`, userIDs)
}

// NotificationPreferencesOf returns the preferences members stored for a type; members who kept
// the default are absent.
func (q *Queries) NotificationPreferencesOf(ctx context.Context, userIDs []uuid.UUID, typ domain.NotificationType) (map[uuid.UUID]domain.NotificationPreference, error) {
	type row struct {
		UserID uuid.UUID `db:"user_id"`
		domain.NotificationPreference
	}
	return keyedValues(ctx, q.db, "select notification preferences", "notification preference",
		func(r row) (uuid.UUID, domain.NotificationPreference) { return r.UserID, r.NotificationPreference },
		`SELECT user_id, type, in_app, email, push, email_digest FROM notification_preferences
		WHERE user_id = ANY($1) AND type = $2`, userIDs, typ)
}

// StoredNotificationPreferences returns the preferences userID changed from the defaults.
func (q *Queries) StoredNotificationPreferences(ctx context.Context, userID uuid.UUID) ([]domain.NotificationPreference, error) {
	rows, err := q.db.Query(ctx, `SELECT type, in_app, email, push, email_digest FROM notification_preferences
		WHERE user_id = $1 ORDER BY type`, userID)
	if err != nil {
		return nil, mapErr(err, "select notification preferences", "notification preference", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.NotificationPreference])
	return out, mapErr(err, "select notification preferences", "notification preference", "")
}

// UpsertNotificationPreference stores userID's choice for one type and returns what is stored; a
// nil p.Push keeps the stored push choice (NULL, the type's default, when there was none), and
// a nil p.Digest the stored digest choice (NULL: at once).
func (q *Queries) UpsertNotificationPreference(ctx context.Context, userID uuid.UUID, p domain.NotificationPreference, now time.Time) (domain.NotificationPreference, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO notification_preferences (user_id, type, in_app, email, push, updated_at, email_digest)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_id, type) DO UPDATE
			SET in_app = EXCLUDED.in_app, email = EXCLUDED.email,
				push = coalesce(EXCLUDED.push, notification_preferences.push), updated_at = EXCLUDED.updated_at,
				email_digest = coalesce(EXCLUDED.email_digest, notification_preferences.email_digest)
		RETURNING type, in_app, email, push, email_digest`,
		userID, p.Type, p.InApp, p.Email, p.Push, now, p.Digest)
	if err != nil {
		return domain.NotificationPreference{}, mapErr(err, "upsert notification preference", "notification preference", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.NotificationPreference])
	return out, mapErr(err, "upsert notification preference", "notification preference", "")
}
