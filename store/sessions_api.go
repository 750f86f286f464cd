package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// Lookups the GraphQL layer needs beyond what the session, review and credit services use:
// batch loads for dataloaders and single loads for node(id:).

// ReviewsByIDs loads reviews, visible or not (callers apply visibility); missing ids are absent
// (dataloader source).
func (q *Queries) ReviewsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Review, error) {
	rows, err := q.db.Query(ctx, `SELECT `+reviewColumns+` FROM reviews WHERE id = ANY($1)`, uuidArgs(ids))
	if err != nil {
		return nil, mapErr(err, "select reviews", "review", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Review])
	if err != nil {
		return nil, mapErr(err, "select reviews", "review", "")
	}
	out := make(map[uuid.UUID]domain.Review, len(list))
	for _, r := range list {
		out[r.ID] = r
	}
	return out, nil
}

// ReviewReportByID loads one review report (node lookups by moderators).
func (q *Queries) ReviewReportByID(ctx context.Context, id uuid.UUID) (domain.ReviewReport, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, review_id, reporter_id, reason, note, status, created_at FROM review_reports WHERE id = $1`, id)
	if err != nil {
		return domain.ReviewReport{}, mapErr(err, "select review report", "review report", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.ReviewReport])
	return out, mapErr(err, "select review report", "review report", "")
}

// CreditEntryOfTransaction loads a member's statement line of one ledger transaction: a member
// has at most one entry per transaction, so (member, transaction) names a line. NOT_FOUND when
// the transaction did not touch the member's account.
func (q *Queries) CreditEntryOfTransaction(ctx context.Context, userID, transactionID uuid.UUID) (domain.CreditEntry, error) {
	rows, err := q.db.Query(ctx, `
		SELECT e.id, e.transaction_id, t.kind, t.session_id, t.memo, e.amount, e.balance_after, e.created_at
		FROM credit_entries e
		JOIN credit_accounts a ON a.id = e.account_id
		JOIN credit_transactions t ON t.id = e.transaction_id
		WHERE a.user_id = $1 AND e.transaction_id = $2`, userID, transactionID)
	if err != nil {
		return domain.CreditEntry{}, mapErr(err, "select credit entry", "credit transaction", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.CreditEntry])
	return out, mapErr(err, "select credit entry", "credit transaction", "")
}

// SessionProposalsBySessionIDs loads the proposal histories of sessions, oldest first
// (dataloader source; callers have checked access to the sessions).
func (q *Queries) SessionProposalsBySessionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.SessionProposal, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, session_id, proposer_id, starts_at, duration_minutes, created_at
		FROM session_proposals WHERE session_id = ANY($1) ORDER BY session_id, id`, uuidArgs(ids))
	if err != nil {
		return nil, mapErr(err, "select session proposals", "session", "")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.SessionProposal])
	if err != nil {
		return nil, mapErr(err, "select session proposals", "session", "")
	}
	out := make(map[uuid.UUID][]domain.SessionProposal, len(ids))
	for _, p := range list {
		out[p.SessionID] = append(out[p.SessionID], p)
	}
	return out, nil
}
