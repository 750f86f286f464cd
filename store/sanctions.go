package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const sanctionColumns = `id, user_id, case_id, kind, content_type, content_id, statement_of_reasons, imposed_by,
	starts_at, ends_at, lifted_at, lifted_by, lift_reason, created_at`

const appealColumns = `id, sanction_id, user_id, text, state, decided_by, decision_reasons, decided_at, created_at`

// InsertSanction stores a sanction.
func (q *Queries) InsertSanction(ctx context.Context, s domain.Sanction) (domain.Sanction, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO moderation_sanctions (id, user_id, case_id, kind, content_type, content_id,
			statement_of_reasons, imposed_by, starts_at, ends_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		RETURNING `+sanctionColumns,
		s.ID, s.UserID, s.CaseID, s.Kind, s.ContentType, s.ContentID, s.StatementOfReasons, s.ImposedBy,
		s.StartsAt, s.EndsAt, s.CreatedAt)
	if err != nil {
		return domain.Sanction{}, mapErr(err, "insert sanction", "sanction", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Sanction])
	return out, mapErr(err, "insert sanction", "sanction", "")
}

// SanctionByID loads one sanction; forUpdate locks it for the transaction.
func (q *Queries) SanctionByID(ctx context.Context, id uuid.UUID, forUpdate bool) (domain.Sanction, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	rows, err := q.db.Query(ctx, `SELECT `+sanctionColumns+` FROM moderation_sanctions WHERE id = $1`+lock, id)
	if err != nil {
		return domain.Sanction{}, mapErr(err, "select sanction", "sanction", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Sanction])
	return out, mapErr(err, "select sanction", "sanction", "")
}

// SanctionsByIDs loads sanctions by id; missing ids are absent (dataloader source of
// SanctionAppeal.sanction).
func (q *Queries) SanctionsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Sanction, error) {
	return keyedRows(ctx, q.db, "select sanctions by id", "sanction",
		func(s domain.Sanction) uuid.UUID { return s.ID },
		`SELECT `+sanctionColumns+` FROM moderation_sanctions WHERE id = ANY($1)`, uuidArgs(ids))
}

// SanctionsOf pages through a member's sanctions, newest first, strictly older than after.
func (q *Queries) SanctionsOf(ctx context.Context, userID uuid.UUID, after *uuid.UUID, limit int) ([]domain.Sanction, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+sanctionColumns+` FROM moderation_sanctions
		WHERE user_id = $1 AND ($2::uuid IS NULL OR id < $2)
		ORDER BY id DESC LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, mapErr(err, "list sanctions", "sanction", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Sanction])
	return out, mapErr(err, "list sanctions", "sanction", "")
}

// SanctionsByUserIDs loads the sanctions of members, newest first each (dataloader source of
// User.sanctions: one statement for any number of members).
func (q *Queries) SanctionsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.Sanction, error) {
	return groupedRows(ctx, q.db, "select sanctions", "sanction", len(ids),
		func(s domain.Sanction) uuid.UUID { return s.UserID }, `
		SELECT `+sanctionColumns+` FROM moderation_sanctions
		WHERE user_id = ANY($1) ORDER BY user_id, id DESC`, uuidArgs(ids))
}

// ActiveRestrictions lists a member's LIMIT, SUSPENSION and BAN sanctions in force at now (not
// lifted, started, not ended), the one ending last first (a BAN, which never ends, before all).
func (q *Queries) ActiveRestrictions(ctx context.Context, userID uuid.UUID, now time.Time) ([]domain.Sanction, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+sanctionColumns+` FROM moderation_sanctions
		WHERE user_id = $1 AND lifted_at IS NULL AND kind IN ('LIMIT', 'SUSPENSION', 'BAN')
			AND starts_at <= $2 AND (ends_at IS NULL OR ends_at > $2)
		ORDER BY ends_at DESC NULLS FIRST, id`, userID, now)
	if err != nil {
		return nil, mapErr(err, "active sanctions", "sanction", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Sanction])
	return out, mapErr(err, "active sanctions", "sanction", "")
}

// LiftSanction records that a sanction was lifted early (or overturned on appeal).
func (q *Queries) LiftSanction(ctx context.Context, id, by uuid.UUID, reason string, now time.Time) (domain.Sanction, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE moderation_sanctions SET lifted_at = $3, lifted_by = $2, lift_reason = $4
		WHERE id = $1 RETURNING `+sanctionColumns, id, by, now, reason)
	if err != nil {
		return domain.Sanction{}, mapErr(err, "lift sanction", "sanction", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Sanction])
	return out, mapErr(err, "lift sanction", "sanction", "")
}

// SetUserSuspended moves a member between ACTIVE and SUSPENDED (an erased account stays
// ERASED); it reports whether the status changed.
func (q *Queries) SetUserSuspended(ctx context.Context, userID uuid.UUID, suspended bool, now time.Time) (bool, error) {
	from, to := domain.UserActive, domain.UserSuspended
	if !suspended {
		from, to = to, from
	}
	tag, err := q.db.Exec(ctx, `UPDATE users SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2`,
		userID, from, to, now)
	if err != nil {
		return false, mapErr(err, "set user status", "user", "")
	}
	return tag.RowsAffected() == 1, nil
}

// InsertAppeal stores an appeal; a second appeal of one sanction is a CONFLICT.
func (q *Queries) InsertAppeal(ctx context.Context, a domain.Appeal) (domain.Appeal, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO moderation_appeals (id, sanction_id, user_id, text, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+appealColumns,
		a.ID, a.SanctionID, a.UserID, a.Text, a.CreatedAt)
	if err != nil {
		return domain.Appeal{}, mapErr(err, "insert appeal", "appeal", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Appeal])
	return out, mapErr(err, "insert appeal", "appeal", "this sanction was already appealed")
}

// AppealByID loads one appeal; forUpdate locks it for the transaction.
func (q *Queries) AppealByID(ctx context.Context, id uuid.UUID, forUpdate bool) (domain.Appeal, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	rows, err := q.db.Query(ctx, `SELECT `+appealColumns+` FROM moderation_appeals WHERE id = $1`+lock, id)
	if err != nil {
		return domain.Appeal{}, mapErr(err, "select appeal", "appeal", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Appeal])
	return out, mapErr(err, "select appeal", "appeal", "")
}

// AppealsBySanctionIDs loads the appeals of sanctions; sanctions not appealed are absent
// (dataloader source of Sanction.appeal).
func (q *Queries) AppealsBySanctionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Appeal, error) {
	return keyedRows(ctx, q.db, "select appeals", "appeal",
		func(a domain.Appeal) uuid.UUID { return a.SanctionID },
		`SELECT `+appealColumns+` FROM moderation_appeals WHERE sanction_id = ANY($1)`, uuidArgs(ids))
}

// AppealKey is the position of an appeal in the queue of open appeals (oldest first).
type AppealKey struct {
	CreatedAt time.Time `json:"t"`
	ID        uuid.UUID `json:"i"`
}

// KeyOfAppeal returns the queue position of a.
func KeyOfAppeal(a domain.Appeal) AppealKey { return AppealKey{CreatedAt: a.CreatedAt, ID: a.ID} }

// OpenAppeals lists open appeals, oldest first, strictly after the given position (a range of
// moderation_appeals_open_idx).
func (q *Queries) OpenAppeals(ctx context.Context, after *AppealKey, limit int) ([]domain.Appeal, error) {
	var (
		hasAfter bool
		k        AppealKey
	)
	if after != nil {
		hasAfter, k = true, *after
	}
	rows, err := q.db.Query(ctx, `
		SELECT `+appealColumns+` FROM moderation_appeals
		WHERE state = 'OPEN' AND (NOT $1 OR (created_at, id) > ($2, $3))
		ORDER BY created_at, id LIMIT $4`, hasAfter, k.CreatedAt, k.ID, limit)
	if err != nil {
		return nil, mapErr(err, "list appeals", "appeal", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Appeal])
	return out, mapErr(err, "list appeals", "appeal", "")
}

// DecideAppeal records an appeal's decision.
func (q *Queries) DecideAppeal(ctx context.Context, id, by uuid.UUID, state domain.AppealState, reasons string, now time.Time) (domain.Appeal, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE moderation_appeals SET state = $3, decided_by = $2, decision_reasons = $4, decided_at = $5
		WHERE id = $1 RETURNING `+appealColumns, id, by, state, reasons, now)
	if err != nil {
		return domain.Appeal{}, mapErr(err, "decide appeal", "appeal", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Appeal])
	return out, mapErr(err, "decide appeal", "appeal", "")
}

// InsertAppealMessage adds a message to an appeal's thread.
func (q *Queries) InsertAppealMessage(ctx context.Context, m domain.AppealMessage) (domain.AppealMessage, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO moderation_appeal_messages (id, appeal_id, author_id, body, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, appeal_id, author_id, body, created_at,
			author_id <> (SELECT user_id FROM moderation_appeals WHERE id = $2) AS from_moderator`,
		m.ID, m.AppealID, m.AuthorID, m.Body, m.CreatedAt)
	if err != nil {
		return domain.AppealMessage{}, mapErr(err, "insert appeal message", "appeal message", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.AppealMessage])
	return out, mapErr(err, "insert appeal message", "appeal message", "")
}

// AppealMessages lists an appeal's thread, oldest first.
func (q *Queries) AppealMessages(ctx context.Context, appealID uuid.UUID) ([]domain.AppealMessage, error) {
	rows, err := q.db.Query(ctx, `
		SELECT m.id, m.appeal_id, m.author_id, m.body, m.created_at, m.author_id <> a.user_id AS from_moderator
		FROM moderation_appeal_messages m JOIN moderation_appeals a ON a.id = m.appeal_id
		WHERE m.appeal_id = $1 ORDER BY m.id`, appealID)
	if err != nil {
		return nil, mapErr(err, "list appeal messages", "appeal message", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.AppealMessage])
	return out, mapErr(err, "list appeal messages", "appeal message", "")
}

// AppealMessagesByAppealIDs loads the threads of appeals, oldest first each (dataloader source
// of SanctionAppeal.messages: one statement for a page of appeals).
func (q *Queries) AppealMessagesByAppealIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.AppealMessage, error) {
	return groupedRows(ctx, q.db, "select appeal messages", "appeal message", len(ids),
		func(m domain.AppealMessage) uuid.UUID { return m.AppealID }, `
		SELECT m.id, m.appeal_id, m.author_id, m.body, m.created_at, m.author_id <> a.user_id AS from_moderator
		FROM moderation_appeal_messages m JOIN moderation_appeals a ON a.id = m.appeal_id
		WHERE m.appeal_id = ANY($1) ORDER BY m.appeal_id, m.id`, uuidArgs(ids))
}
