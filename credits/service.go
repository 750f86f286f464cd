// Package credits keeps the time-credit ledger: members earn minutes by teaching and spend them
// by learning. Every movement is a balanced double-entry transaction (see store.PostCreditTransaction
// and migration 0007), so the ledger always sums to zero.
//
// Reads for a member (Balance, Transactions, Transaction) take the domain.Actor right after the
// context (the service never reads the viewer from the context); the ledger movements other
// services ask for run inside their transactions and take explicit member ids.
package credits

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Config tunes the ledger.
type Config struct {
	// StarterMinutes are granted to every new member (default 120).
	StarterMinutes int64
	// FloorMinutes is the lowest balance a member may commit to (default 0; negative lets
	// members owe that much).
	FloorMinutes int64
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
}

// DefaultStarterMinutes is the starter grant when Config says nothing.
const DefaultStarterMinutes = 120

// Service implements balances, statements and the ledger movements other services ask for
// inside their transactions.
type Service struct {
	store *store.Store
	cfg   Config
	log   *slog.Logger
}

// NewService wires the ledger. A zero StarterMinutes means DefaultStarterMinutes; pass a
// negative value to grant nothing.
func NewService(st *store.Store, cfg Config, log *slog.Logger) *Service {
	if cfg.StarterMinutes == 0 {
		cfg.StarterMinutes = DefaultStarterMinutes
	}
	if cfg.StarterMinutes < 0 {
		cfg.StarterMinutes = 0
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	return &Service{store: st, cfg: cfg, log: log}
}

// Floor is the configured balance floor.
func (s *Service) Floor() int64 { return s.cfg.FloorMinutes }

// OpenAccount opens a member's account and grants the starter credits, inside the caller's
// transaction (sign-up calls it in its own). Opening twice does nothing the second time.
func (s *Service) OpenAccount(ctx context.Context, q *store.Queries, userID uuid.UUID) error {
	now := s.cfg.Now()
	acct, created, err := q.CreateCreditAccount(ctx, userID, now)
	if err != nil {
		return fmt.Errorf("open credit account: %w", err)
	}
	if !created || s.cfg.StarterMinutes == 0 {
		return nil
	}
	_, err = q.PostCreditTransaction(ctx, store.CreditTransaction{
		ID: uuid.Must(uuid.NewV7()), Kind: domain.CreditStarterGrant, Memo: "Welcome credits", CreatedAt: now,
		Postings: []domain.CreditPosting{
			{AccountID: domain.CreditAccountStarter, Amount: -s.cfg.StarterMinutes},
			{AccountID: acct, Amount: s.cfg.StarterMinutes},
		},
	})
	if err != nil {
		return fmt.Errorf("grant starter credits: %w", err)
	}
	return nil
}

// lockAccount locks a member's account, opening it first for members who signed up before the
// ledger existed.
func (s *Service) lockAccount(ctx context.Context, q *store.Queries, userID uuid.UUID) (store.CreditAccount, error) {
	if err := s.OpenAccount(ctx, q, userID); err != nil {
		return store.CreditAccount{}, err
	}
	return q.LockMemberCreditAccount(ctx, userID)
}

// EnsureCanCommit checks, inside the caller's transaction and under a lock of the learner's
// account (so two proposals cannot both pass on the same credits), that the learner can commit
// minutes more to a session: balance - already committed - minutes >= floor. The session except
// (the one being re-proposed or accepted) is not counted twice. Refusal is a CONFLICT with
// details reason=INSUFFICIENT_CREDITS.
func (s *Service) EnsureCanCommit(ctx context.Context, q *store.Queries, learnerID uuid.UUID, minutes int64, except uuid.UUID) error {
	acct, err := s.lockAccount(ctx, q, learnerID)
	if err != nil {
		return fmt.Errorf("check credits: %w", err)
	}
	committed, err := q.CommittedMinutes(ctx, learnerID, except)
	if err != nil {
		return fmt.Errorf("check credits: %w", err)
	}
	if acct.Balance-committed-minutes < s.cfg.FloorMinutes {
		e := domain.Conflict("the learner does not have enough time credits for a %d-minute session", minutes)
		e.Field = domain.FieldDurationMinutes
		e.Details = map[string]any{"reason": "INSUFFICIENT_CREDITS"}
		return e
	}
	return nil
}

// SettleSession pays a completed unpaid session, inside the caller's transaction: its duration
// in minutes moves from the learner to the teacher. Paid sessions (money) move no credits, and
// a session is paid once however often this runs.
func (s *Service) SettleSession(ctx context.Context, q *store.Queries, sess domain.SkillSession) error {
	if sess.Paid() || sess.State != domain.SessionCompleted {
		return nil
	}
	if err := s.OpenAccount(ctx, q, sess.TeacherID); err != nil {
		return err
	}
	if err := s.OpenAccount(ctx, q, sess.LearnerID); err != nil {
		return err
	}
	accts, err := q.CreditAccountsByUserIDs(ctx, []uuid.UUID{sess.TeacherID, sess.LearnerID})
	if err != nil {
		return fmt.Errorf("settle session: %w", err)
	}
	minutes := int64(sess.DurationMinutes)
	id := sess.ID
	_, err = q.PostCreditTransaction(ctx, store.CreditTransaction{
		ID: uuid.Must(uuid.NewV7()), Kind: domain.CreditSessionPayment, SessionID: &id,
		Memo: "Skill session", CreatedAt: s.cfg.Now(),
		Postings: []domain.CreditPosting{
			{AccountID: accts[sess.LearnerID].ID, Amount: -minutes},
			{AccountID: accts[sess.TeacherID].ID, Amount: minutes},
		},
	})
	if err != nil {
		return fmt.Errorf("settle session: %w", err)
	}
	return nil
}

// Balance returns the actor's time-credit position.
func (s *Service) Balance(ctx context.Context, actor domain.Actor) (domain.CreditBalance, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.CreditBalance{}, err
	}
	return s.BalanceOf(ctx, actor.ID())
}

// BalanceOf returns a member's position (for staff tools and tests; no authorization).
func (s *Service) BalanceOf(ctx context.Context, userID uuid.UUID) (domain.CreditBalance, error) {
	q := s.store.Q()
	accts, err := q.CreditAccountsByUserIDs(ctx, []uuid.UUID{userID})
	if err != nil {
		return domain.CreditBalance{}, fmt.Errorf("credit balance: %w", err)
	}
	committed, err := q.CommittedMinutes(ctx, userID, uuid.Nil)
	if err != nil {
		return domain.CreditBalance{}, fmt.Errorf("credit balance: %w", err)
	}
	b := domain.CreditBalance{UserID: userID, Balance: accts[userID].Balance, Committed: committed, Floor: s.cfg.FloorMinutes}
	if _, ok := accts[userID]; !ok {
		// Not opened yet: it will be (with the starter grant) on first use.
		b.Balance = s.cfg.StarterMinutes
	}
	b.Available = b.Balance - b.Committed - b.Floor
	return b, nil
}

// TransactionsCursor is the cursor kind of creditTransactions, keyed by domain.CreditPosition
// (the transaction's public id); clients hold cursors made with it, so it never changes.
const TransactionsCursor = "credit"

// Transactions pages through the actor's ledger entries, newest first.
func (s *Service) Transactions(ctx context.Context, actor domain.Actor, page relay.Page[domain.CreditPosition]) (relay.Connection[domain.CreditEntry], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.CreditEntry]{}, err
	}
	rows, err := s.store.Q().CreditEntries(ctx, actor.ID(), page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.CreditEntry]{}, fmt.Errorf("credit transactions: %w", err)
	}
	return relay.Paginate(TransactionsCursor, page, rows, func(e domain.CreditEntry) domain.CreditPosition {
		return domain.CreditPosition{TransactionID: e.TransactionID}
	}), nil
}

// Transaction returns the actor's line of one ledger transaction; NOT_FOUND when they have none.
func (s *Service) Transaction(ctx context.Context, actor domain.Actor, transactionID uuid.UUID) (domain.CreditEntry, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.CreditEntry{}, err
	}
	e, err := s.store.Q().CreditEntryOfTransaction(ctx, actor.ID(), transactionID)
	if err != nil {
		return domain.CreditEntry{}, fmt.Errorf("credit transaction: %w", err)
	}
	return e, nil
}

// Adjust posts a staff correction of minutes (positive credits the member, negative debits)
// against the ADJUSTMENT system account, inside the caller's transaction (the admin package's,
// which also writes the audit row). memo is the staff's reason, shown on the member's
// statement. It returns the member's balance after the correction. The floor is not checked:
// a correction may take a member below it (they then cannot book until it is made good).
func (s *Service) Adjust(ctx context.Context, q *store.Queries, userID uuid.UUID, minutes int64, memo string) (int64, error) {
	acct, err := s.lockAccount(ctx, q, userID)
	if err != nil {
		return 0, fmt.Errorf("adjust credits: %w", err)
	}
	_, err = q.PostCreditTransaction(ctx, store.CreditTransaction{
		ID: uuid.Must(uuid.NewV7()), Kind: domain.CreditAdjustment, Memo: memo, CreatedAt: s.cfg.Now(),
		Postings: []domain.CreditPosting{
			{AccountID: domain.CreditAccountAdjustment, Amount: -minutes},
			{AccountID: acct.ID, Amount: minutes},
		},
	})
	if err != nil {
		return 0, fmt.Errorf("adjust credits: %w", err)
	}
	return acct.Balance + minutes, nil
}
