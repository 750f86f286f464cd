package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// CreditTransactionKind says why time credits moved.
type CreditTransactionKind string

// Credit transaction kinds.
const (
	CreditStarterGrant   CreditTransactionKind = "STARTER_GRANT"
	CreditSessionPayment CreditTransactionKind = "SESSION_PAYMENT"
	CreditAdjustment     CreditTransactionKind = "ADJUSTMENT"
)

// Well-known system accounts of the ledger (seeded by the migration).
var (
	// CreditAccountStarter issues starter credits: its balance is minus all credits granted.
	CreditAccountStarter = uuid.MustParse("00000000-0000-7000-8000-000000000001")
	// CreditAccountAdjustment balances staff corrections.
	CreditAccountAdjustment = uuid.MustParse("00000000-0000-7000-8000-000000000002")
)

// CreditBalance is a member's time-credit position, in minutes.
type CreditBalance struct {
	UserID uuid.UUID
	// Balance is the sum of the member's ledger entries.
	Balance int64
	// Committed is the length of the member's unpaid sessions as a learner that are proposed or
	// confirmed: they will be paid on completion.
	Committed int64
	// Available is Balance - Committed - Floor: what new sessions may still use.
	Available int64
	// Floor is the lowest balance allowed (negative: members may owe that much).
	Floor int64
}

// CreditEntry is one line of a member's statement.
type CreditEntry struct {
	ID            int64                 `db:"id"`
	TransactionID uuid.UUID             `db:"transaction_id"`
	Kind          CreditTransactionKind `db:"kind"`
	SessionID     *uuid.UUID            `db:"session_id"`
	Memo          string                `db:"memo"`
	// Amount in minutes: positive when received, negative when spent.
	Amount       int64     `db:"amount"`
	BalanceAfter int64     `db:"balance_after"`
	CreatedAt    time.Time `db:"created_at"`
}

// CreditPosition is where a page of a member's statement starts: after the line of transaction
// TransactionID. Cursors name the public transaction id, never the ledger's sequential entry
// id, which would tell how many entries the whole platform writes.
type CreditPosition struct {
	TransactionID uuid.UUID
	// LegacyEntryID is set when the cursor was made before cursors named transactions (a
	// bare entry id): still honoured so a client paging across that deploy is not refused.
	// Drop after 2027-03-01, when no such cursor can still be held.
	LegacyEntryID *int64
}

// MarshalJSON writes the position as its transaction id.
func (p CreditPosition) MarshalJSON() ([]byte, error) { return json.Marshal(p.TransactionID) }

// UnmarshalJSON reads a transaction id or, from a cursor made before, an entry id.
func (p *CreditPosition) UnmarshalJSON(b []byte) error {
	var id int64
	if json.Unmarshal(b, &id) == nil {
		*p = CreditPosition{LegacyEntryID: &id}
		return nil
	}
	*p = CreditPosition{}
	return json.Unmarshal(b, &p.TransactionID)
}

// CreditPosting is one leg of a transaction: amount minutes into (positive) or out of
// (negative) an account.
type CreditPosting struct {
	AccountID uuid.UUID
	Amount    int64
}

// BalancedPostings reports whether postings form a valid double entry: at least two legs, no
// zero leg, summing to zero.
func BalancedPostings(ps []CreditPosting) bool {
	if len(ps) < 2 {
		return false
	}
	var sum int64
	for _, p := range ps {
		if p.Amount == 0 {
			return false
		}
		sum += p.Amount
	}
	return sum == 0
}

// CalendarFeed is a member's secret ICS feed (the token itself is shown once and not stored).
type CalendarFeed struct {
	ID        uuid.UUID  `db:"id"`
	UserID    uuid.UUID  `db:"user_id"`
	CreatedAt time.Time  `db:"created_at"`
	RevokedAt *time.Time `db:"revoked_at"`
}
