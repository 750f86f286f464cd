package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const pushDeviceColumns = `id, user_id, token, platform, locale, lang, created_at, last_registered_at`

// RegisterPushDevice stores d for d.UserID, inside the caller's transaction: a token another
// member held is theirs no more (deleted with what waits for it, then registered anew), one the
// member held is refreshed (platform, locale, last registration). Then only the keep most
// recently registered devices of the member stay. It returns the stored device.
func (q *Queries) RegisterPushDevice(ctx context.Context, d domain.PushDevice, keep int) (domain.PushDevice, error) {
	if _, err := q.db.Exec(ctx, `DELETE FROM push_devices WHERE token = $1 AND user_id <> $2`, d.Token, d.UserID); err != nil {
		return domain.PushDevice{}, mapErr(err, "move push device", "push device", "")
	}
	rows, err := q.db.Query(ctx, `
		INSERT INTO push_devices (`+pushDeviceColumns+`) VALUES ($1, $2, $3, $4, $5, $7, $6, $6)
		ON CONFLICT (token) DO UPDATE SET platform = EXCLUDED.platform, locale = EXCLUDED.locale, lang = EXCLUDED.lang,
			last_registered_at = EXCLUDED.last_registered_at
		RETURNING `+pushDeviceColumns, d.ID, d.UserID, d.Token, d.Platform, d.Locale, d.CreatedAt, d.Lang)
	if err != nil {
		return domain.PushDevice{}, mapErr(err, "register push device", "push device", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.PushDevice])
	if err != nil {
		return domain.PushDevice{}, mapErr(err, "register push device", "push device", "")
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM push_devices WHERE user_id = $1 AND id NOT IN (
			SELECT id FROM push_devices WHERE user_id = $1 ORDER BY last_registered_at DESC, id DESC LIMIT $2)`,
		d.UserID, keep); err != nil {
		return domain.PushDevice{}, mapErr(err, "cap push devices", "push device", "")
	}
	return out, nil
}

// UnregisterPushDevice deletes userID's device with token; false when they have none.
func (q *Queries) UnregisterPushDevice(ctx context.Context, userID uuid.UUID, token string) (bool, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM push_devices WHERE user_id = $1 AND token = $2`, userID, token)
	if err != nil {
		return false, mapErr(err, "unregister push device", "push device", "")
	}
	return tag.RowsAffected() > 0, nil
}

// PushDevicesOf lists userID's devices, most recently registered first.
func (q *Queries) PushDevicesOf(ctx context.Context, userID uuid.UUID) ([]domain.PushDevice, error) {
	rows, err := q.db.Query(ctx, `SELECT `+pushDeviceColumns+` FROM push_devices
		WHERE user_id = $1 ORDER BY last_registered_at DESC, id DESC`, userID)
	if err != nil {
		return nil, mapErr(err, "list push devices", "push device", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.PushDevice])
	return out, mapErr(err, "list push devices", "push device", "")
}

// DeletePushDevices deletes devices by id (tokens Expo says no longer reach an install); their
// waiting pushes and tickets go with them.
func (q *Queries) DeletePushDevices(ctx context.Context, ids []uuid.UUID) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	tag, err := q.db.Exec(ctx, `DELETE FROM push_devices WHERE id = ANY($1)`, ids)
	if err != nil {
		return 0, mapErr(err, "delete push devices", "push device", "")
	}
	return tag.RowsAffected(), nil
}

// PushRequest asks for a push of one notification to every device of a member.
type PushRequest struct {
	UserID         uuid.UUID
	NotificationID *uuid.UUID
	// Messages are the Expo message without recipient nor badge (a JSON object), per catalogue
	// language ("en", "fr"); each device gets the one of its language (push_devices.lang, else
	// the member's profile locale, else English).
	Messages map[string]json.RawMessage
	// NotBefore holds the push until then (the end of the member's quiet hours); nil: at once.
	NotBefore *time.Time
}

// EnqueuePushes writes one outbox row per request and device of its member, in one statement,
// inside the caller's transaction; it returns how many rows it wrote (members without devices
// get none).
func (q *Queries) EnqueuePushes(ctx context.Context, reqs []PushRequest, now time.Time) (int64, error) {
	if len(reqs) == 0 {
		return 0, nil
	}
	users := make([]uuid.UUID, len(reqs))
	notes := make([]*uuid.UUID, len(reqs))
	msgs := make([]string, len(reqs))
	notBefore := make([]*time.Time, len(reqs))
	for i, r := range reqs {
		b, err := json.Marshal(r.Messages)
		if err != nil {
			return 0, fmt.Errorf("enqueue pushes: %w", err)
		}
		users[i], notes[i], msgs[i], notBefore[i] = r.UserID, r.NotificationID, string(b), r.NotBefore
	}
	tag, err := q.db.Exec(ctx, `
		INSERT INTO push_outbox (device_id, user_id, notification_id, message, created_at, not_before)
		SELECT d.id, r.user_id, r.notification_id,
			COALESCE(r.messages::jsonb -> COALESCE(d.lang, u.locale), r.messages::jsonb -> 'en'), $4, r.not_before
		FROM unnest($1::uuid[], $2::uuid[], $3::text[], $5::timestamptz[])
			WITH ORDINALITY AS r(user_id, notification_id, messages, not_before, n)
		JOIN push_devices d ON d.user_id = r.user_id
		JOIN users u ON u.id = r.user_id
		ORDER BY r.n, d.id`, users, notes, msgs, now, notBefore)
	if err != nil {
		return 0, mapErr(err, "enqueue pushes", "push", "")
	}
	return tag.RowsAffected(), nil
}

// ClaimedPush is an outbox row leased for sending, with its device's token.
type ClaimedPush struct {
	ID             int64           `db:"id"`
	DeviceID       uuid.UUID       `db:"device_id"`
	UserID         uuid.UUID       `db:"user_id"`
	Token          string          `db:"token"`
	NotificationID *uuid.UUID      `db:"notification_id"`
	Message        json.RawMessage `db:"message"`
	Attempts       int             `db:"attempts"`
}

// ClaimPushes leases up to limit waiting pushes, oldest first, until leaseUntil: rows leased by
// another worker (and not expired) are skipped, so workers on several instances split the
// outbox, and rows held by quiet hours (not_before after now) wait. A worker that dies leaves
// its lease to expire and the rows are sent again.
func (q *Queries) ClaimPushes(ctx context.Context, limit int, now, leaseUntil time.Time) ([]ClaimedPush, error) {
	rows, err := q.db.Query(ctx, `
		WITH picked AS (
			SELECT id FROM push_outbox
			WHERE (claimed_until IS NULL OR claimed_until < $1) AND (not_before IS NULL OR not_before <= $1)
			ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE push_outbox o SET claimed_until = $2, attempts = o.attempts + 1
		FROM picked, push_devices d
		WHERE o.id = picked.id AND d.id = o.device_id
		RETURNING o.id, o.device_id, o.user_id, d.token, o.notification_id, o.message, o.attempts`, now, leaseUntil, limit)
	if err != nil {
		return nil, mapErr(err, "claim pushes", "push", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[ClaimedPush])
	if err != nil {
		return nil, mapErr(err, "claim pushes", "push", "")
	}
	// RETURNING keeps no order: send oldest first.
	slices.SortFunc(out, func(a, b ClaimedPush) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ReleasePushes ends the lease of pushes that could not be sent, so the next attempt takes them
// at once.
func (q *Queries) ReleasePushes(ctx context.Context, ids []int64) error {
	_, err := q.db.Exec(ctx, `UPDATE push_outbox SET claimed_until = NULL WHERE id = ANY($1)`, ids)
	return mapErr(err, "release pushes", "push", "")
}

// DeletePushes removes sent (or dropped) pushes from the outbox.
func (q *Queries) DeletePushes(ctx context.Context, ids []int64) error {
	_, err := q.db.Exec(ctx, `DELETE FROM push_outbox WHERE id = ANY($1)`, ids)
	return mapErr(err, "delete pushes", "push", "")
}

// PushTicket is a ticket Expo gave for an accepted push, whose receipt is still to be read.
type PushTicket struct {
	ID         string    `db:"id"`
	DeviceID   uuid.UUID `db:"device_id"`
	CreatedAt  time.Time `db:"created_at"`
	CheckAfter time.Time `db:"check_after"`
}

// InsertPushTickets stores tickets in one statement (a ticket of a device deleted meanwhile is
// dropped).
func (q *Queries) InsertPushTickets(ctx context.Context, ts []PushTicket) error {
	if len(ts) == 0 {
		return nil
	}
	ids := make([]string, len(ts))
	devices := make([]uuid.UUID, len(ts))
	created := make([]time.Time, len(ts))
	check := make([]time.Time, len(ts))
	for i, t := range ts {
		ids[i], devices[i], created[i], check[i] = t.ID, t.DeviceID, t.CreatedAt, t.CheckAfter
	}
	_, err := q.db.Exec(ctx, `
		INSERT INTO push_tickets (id, device_id, created_at, check_after)
		SELECT t.id, t.device_id, t.created_at, t.check_after
		FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS t(id, device_id, created_at, check_after)
		WHERE EXISTS (SELECT 1 FROM push_devices d WHERE d.id = t.device_id)
		ON CONFLICT (id) DO NOTHING`, ids, devices, created, check)
	return mapErr(err, "insert push tickets", "push ticket", "")
}

// DuePushTickets returns up to limit tickets whose receipt is due at now, the longest waiting
// first.
func (q *Queries) DuePushTickets(ctx context.Context, now time.Time, limit int) ([]PushTicket, error) {
	rows, err := q.db.Query(ctx, `SELECT id, device_id, created_at, check_after FROM push_tickets
		WHERE check_after <= $1 ORDER BY check_after, id LIMIT $2`, now, limit)
	if err != nil {
		return nil, mapErr(err, "due push tickets", "push ticket", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[PushTicket])
	return out, mapErr(err, "due push tickets", "push ticket", "")
}

// DeletePushTickets forgets tickets whose receipt was read.
func (q *Queries) DeletePushTickets(ctx context.Context, ids []string) error {
	_, err := q.db.Exec(ctx, `DELETE FROM push_tickets WHERE id = ANY($1)`, ids)
	return mapErr(err, "delete push tickets", "push ticket", "")
}

// PostponePushTickets asks again at checkAfter for receipts Expo did not have ready.
func (q *Queries) PostponePushTickets(ctx context.Context, ids []string, checkAfter time.Time) error {
	_, err := q.db.Exec(ctx, `UPDATE push_tickets SET check_after = $2 WHERE id = ANY($1)`, ids, checkAfter)
	return mapErr(err, "postpone push tickets", "push ticket", "")
}
