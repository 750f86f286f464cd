package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// CreditAccount is a ledger account: a member's, or a system account.
type CreditAccount struct {
	ID      uuid.UUID  `db:"id"`
	UserID  *uuid.UUID `db:"user_id"`
	Balance int64      `db:"balance"`
}

// CreateCreditAccount opens a member's account unless they have one; it reports whether it
// created it (so only the creator grants starter credits, even if two openings race).
func (q *Queries) CreateCreditAccount(ctx context.Context, userID uuid.UUID, now time.Time) (uuid.UUID, bool, error) {
	var id uuid.UUID
	err := q.db.QueryRow(ctx, `
		INSERT INTO credit_accounts (id, user_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO NOTHING RETURNING id`, uuid.Must(uuid.NewV7()), userID, now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, false, nil
	}
	if err != nil {
		return uuid.Nil, false, mapErr(err, "create credit account", "credit account", "")
	}
	return id, true, nil
}

// LockMemberCreditAccount reads a member's account and locks it until the transaction ends:
// checks of the balance floor and the postings that follow see no concurrent change.
func (q *Queries) LockMemberCreditAccount(ctx context.Context, userID uuid.UUID) (CreditAccount, error) {
	rows, err := q.db.Query(ctx, `SELECT id, user_id, balance FROM credit_accounts WHERE user_id = $1 FOR UPDATE`, userID)
	if err != nil {
		return CreditAccount{}, mapErr(err, "lock credit account", "credit account", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[CreditAccount])
	return out, mapErr(err, "lock credit account", "credit account", "")
}

// CreditAccountsByUserIDs loads members' accounts; members without one are absent.
func (q *Queries) CreditAccountsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]CreditAccount, error) {
	return keyedRows(ctx, q.db, "select credit accounts", "credit account",
		func(a CreditAccount) uuid.UUID { return *a.UserID },
		`SELECT id, user_id, balance FROM credit_accounts WHERE user_id = ANY($1)`, uuidArgs(ids))
}

// CommittedMinutes sums the durations of a member's unpaid sessions as a learner that are
// proposed or confirmed (they will be paid on completion), leaving out the session except.
func (q *Queries) CommittedMinutes(ctx context.Context, learnerID, except uuid.UUID) (int64, error) {
	var n int64
	err := q.db.QueryRow(ctx, `
		SELECT coalesce(sum(duration_minutes), 0) FROM skill_sessions
		WHERE learner_id = $1 AND state IN ('PROPOSED', 'CONFIRMED') AND price_amount IS NULL AND id <> $2`,
		learnerID, except).Scan(&n)
	return n, mapErr(err, "sum committed minutes", "credit account", "")
}

// CreditTransaction describes a ledger transaction to post.
type CreditTransaction struct {
	ID        uuid.UUID
	Kind      domain.CreditTransactionKind
	SessionID *uuid.UUID
	Memo      string
	CreatedAt time.Time
	Postings  []domain.CreditPosting
}

// PostCreditTransaction writes a balanced transaction. The accounts are locked in id order
// first, so concurrent transfers between the same members in opposite directions cannot
// deadlock; the entry trigger keeps balances equal to the sum of entries, and a deferred
// constraint trigger refuses to commit an unbalanced transaction. A second payment of one
// session is ignored: posted reports whether this call wrote anything.
func (q *Queries) PostCreditTransaction(ctx context.Context, t CreditTransaction) (posted bool, err error) {
	if !domain.BalancedPostings(t.Postings) {
		return false, fmt.Errorf("post credit transaction %s: postings do not balance", t.Kind)
	}
	ps := slices.Clone(t.Postings)
	slices.SortFunc(ps, func(a, b domain.CreditPosting) int { return compareUUID(a.AccountID, b.AccountID) })
	accounts := make([]uuid.UUID, len(ps))
	for i, p := range ps {
		accounts[i] = p.AccountID
	}
	rows, err := q.db.Query(ctx, `SELECT id FROM credit_accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE`, uuidArgs(accounts))
	if err != nil {
		return false, mapErr(err, "lock credit accounts", "credit account", "")
	}
	locked, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return false, mapErr(err, "lock credit accounts", "credit account", "")
	}
	if len(locked) != len(slices.Compact(slices.Clone(accounts))) {
		return false, domain.NotFound("credit account")
	}
	tag, err := q.db.Exec(ctx, `
		INSERT INTO credit_transactions (id, kind, session_id, memo, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (session_id) WHERE kind = 'SESSION_PAYMENT' DO NOTHING`,
		t.ID, t.Kind, t.SessionID, t.Memo, t.CreatedAt)
	if err != nil {
		return false, mapErr(err, "insert credit transaction", "credit transaction", "")
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	amounts := make([]int64, len(ps))
	for i, p := range ps {
		amounts[i] = p.Amount
	}
	// One statement for every leg; WITH ORDINALITY keeps the id order the locks were taken in.
	_, err = q.db.Exec(ctx, `
		INSERT INTO credit_entries (transaction_id, account_id, amount, created_at)
		SELECT $1, a, m, $4 FROM unnest($2::uuid[], $3::bigint[]) WITH ORDINALITY AS l (a, m, n) ORDER BY n`,
		t.ID, uuidArgs(accounts), amounts, t.CreatedAt)
	if err != nil {
		return false, mapErr(err, "insert credit entries", "credit transaction", "")
	}
	return true, nil
}

func compareUUID(a, b uuid.UUID) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// CreditEntries lists a member's ledger entries, newest first, strictly older than the member's
// line of after's transaction (none when the member has no such line).
func (q *Queries) CreditEntries(ctx context.Context, userID uuid.UUID, after *domain.CreditPosition, limit int) ([]domain.CreditEntry, error) {
	var afterTx *uuid.UUID
	var afterEntry *int64
	if after != nil {
		if after.LegacyEntryID != nil {
			afterEntry = after.LegacyEntryID
		} else {
			afterTx = &after.TransactionID
		}
	}
	rows, err := q.db.Query(ctx, `
		SELECT e.id, e.transaction_id, t.kind, t.session_id, t.memo, e.amount, e.balance_after, e.created_at
		FROM credit_entries e
		JOIN credit_accounts a ON a.id = e.account_id
		JOIN credit_transactions t ON t.id = e.transaction_id
		WHERE a.user_id = $1
		  AND ($2::bigint IS NULL OR e.id < $2)
		  AND ($3::uuid IS NULL OR e.id < (
		        SELECT p.id FROM credit_entries p WHERE p.account_id = a.id AND p.transaction_id = $3))
		ORDER BY e.id DESC LIMIT $4`, userID, afterEntry, afterTx, limit)
	if err != nil {
		return nil, mapErr(err, "list credit entries", "credit entry", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.CreditEntry])
	return out, mapErr(err, "list credit entries", "credit entry", "")
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
