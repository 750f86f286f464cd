package store

import (
	"context"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// MaxSignInEventsPerUser is how many sign-in events a member keeps: inserting one deletes the
// oldest beyond it.
const MaxSignInEventsPerUser = 50

// lockedEventWindow is how long one LOCKED event stands for the refusals that follow it from the
// same network: a script hammering a locked account would otherwise push the member's real
// sign-ins out of their 50 events.
const lockedEventWindow = 15 * time.Minute

// InsertSignInEvent records e and deletes the member's oldest events beyond
// MaxSignInEventsPerUser, in one statement. A LOCKED refusal is not recorded again while one
// from the same network is less than lockedEventWindow old.
func (q *Queries) InsertSignInEvent(ctx context.Context, e domain.SignInEvent) error {
	var network *netip.Prefix
	if e.Network.IsValid() {
		network = &e.Network
	}
	var reason, ua *string
	if e.Failure != "" {
		s := string(e.Failure)
		reason = &s
	}
	if e.UserAgent != "" {
		ua = &e.UserAgent
	}
	// The DELETE sees the table as it was before the INSERT (one snapshot): keeping the newest
	// max-1 existing rows leaves max with the new one.
	_, err := q.db.Exec(ctx, `
		WITH ins AS (
			INSERT INTO sign_in_events (id, user_id, at, method, succeeded, failure_reason, ip, user_agent)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8
			WHERE $6::text IS DISTINCT FROM 'LOCKED' OR NOT EXISTS (
				SELECT 1 FROM sign_in_events
				WHERE user_id = $2 AND failure_reason = 'LOCKED' AND ip IS NOT DISTINCT FROM $7::inet
				  AND at > $3::timestamptz - $10::interval)
			RETURNING 1
		)
		DELETE FROM sign_in_events WHERE id IN (
			SELECT id FROM sign_in_events WHERE user_id = $2 ORDER BY at DESC, id DESC
			OFFSET $9::int + 1 - (SELECT count(*) FROM ins))`,
		e.ID, e.UserID, e.At, string(e.Method), e.Failure == "", reason, network, ua, MaxSignInEventsPerUser-1, lockedEventWindow)
	return mapErr(err, "insert sign-in event", "sign-in event", "")
}

type signInEventRow struct {
	ID        uuid.UUID     `db:"id"`
	UserID    uuid.UUID     `db:"user_id"`
	At        time.Time     `db:"at"`
	Method    string        `db:"method"`
	Failure   string        `db:"failure_reason"`
	Network   *netip.Prefix `db:"ip"`
	UserAgent string        `db:"user_agent"`
}

// RecentSignInEvents returns the member's newest sign-in events, newest first, at most limit.
func (q *Queries) RecentSignInEvents(ctx context.Context, userID uuid.UUID, limit int) ([]domain.SignInEvent, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, user_id, at, method, COALESCE(failure_reason, '') AS failure_reason, ip,
		       COALESCE(user_agent, '') AS user_agent
		FROM sign_in_events WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, mapErr(err, "select sign-in events", "sign-in event", "")
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByName[signInEventRow])
	if err != nil {
		return nil, mapErr(err, "select sign-in events", "sign-in event", "")
	}
	out := make([]domain.SignInEvent, len(got))
	for i, r := range got {
		out[i] = domain.SignInEvent{ID: r.ID, UserID: r.UserID, At: r.At, Method: domain.SignInEventMethod(r.Method),
			Failure: domain.SignInFailure(r.Failure), UserAgent: r.UserAgent}
		if r.Network != nil {
			out[i].Network = *r.Network
		}
	}
	return out, nil
}
