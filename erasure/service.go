// Package erasure erases members' accounts (GDPR art. 17): deleteAccount starts a grace period
// (ACCOUNT_DELETION_GRACE); signing in again or cancelAccountDeletion cancels it; at its end a job
// erases the account per the personal-data register (package privacy), ends its sessions and
// sockets, removes its search document and rate-limit keys, cancels its pending jobs and asks
// Stripe to delete the mentor's connected account. Each erasure is recorded in a ledger of ids,
// which Replay re-applies after a backup restore (`skillswap erasure replay`).
package erasure

import (
	"context"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/store"
)

// DefaultGrace is the time between deleteAccount and the erasure when not configured: 14 days.
const DefaultGrace = 14 * 24 * time.Hour

// MaxReasonLength bounds the optional reason given with deleteAccount.
const MaxReasonLength = 500

// Accounts is what erasure needs of auth.
type Accounts interface {
	// RequireRecentAuth refuses unless the actor signed in or reauthenticated lately.
	RequireRecentAuth(ctx context.Context, actor domain.Actor) error
	// SessionsEnded closes the sockets and drops the cached state of deleted login sessions.
	SessionsEnded(ctx context.Context, userID uuid.UUID, sessionIDs []uuid.UUID)
}

// Indexer rebuilds a member's search document; for an erased member it removes it (PostgreSQL
// and Typesense backends alike).
type Indexer interface {
	IndexMember(ctx context.Context, userID uuid.UUID) error
}

// Config configures the service.
type Config struct {
	// Grace is the time between the request and the erasure (0: DefaultGrace).
	Grace time.Duration
	// Now is the clock (nil: time.Now); tests move it past the grace period.
	Now func() time.Time
	// Limiter forgets the member's rate-limit keys (nil: they expire on their own).
	Limiter ratelimit.Forgetter
	// LimitKeys lists the rate-limit keys kept about a member (auth's, chat's).
	LimitKeys func(userID uuid.UUID, email string) []string
	// BeforeErase runs before the erasure's transaction, for what must go through another
	// capability's rules first (cancelling the member's upcoming sessions, with their payments
	// and the partners' notices). It must be idempotent.
	BeforeErase func(ctx context.Context, userID uuid.UUID) error
}

// Service schedules, cancels and runs erasures.
type Service struct {
	store    *store.Store
	accounts Accounts
	index    Indexer
	cfg      Config
	log      *slog.Logger
}

// NewService returns the erasure service.
func NewService(st *store.Store, accounts Accounts, index Indexer, cfg Config, log *slog.Logger) *Service {
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: st, accounts: accounts, index: index, cfg: cfg, log: log}
}

// RequestDeletion schedules the erasure of the actor's account at the end of the grace period
// and returns when it will happen; asking again keeps the first date. It needs a recent sign-in.
func (s *Service) RequestDeletion(ctx context.Context, actor domain.Actor, reason *string) (time.Time, error) {
	if err := s.accounts.RequireRecentAuth(ctx, actor); err != nil {
		return time.Time{}, err
	}
	if reason != nil {
		if utf8.RuneCountInString(*reason) > MaxReasonLength {
			return time.Time{}, domain.Invalid("reason", "must be at most %d characters", MaxReasonLength)
		}
		if *reason == "" {
			reason = nil
		}
	}
	at := s.cfg.Now().Add(s.cfg.Grace).UTC().Truncate(time.Microsecond)
	var scheduled time.Time
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var fresh bool
		var err error
		if scheduled, fresh, err = q.ScheduleAccountDeletion(ctx, actor.ID(), at, reason); err != nil || !fresh {
			return err
		}
		return q.EnqueueJob(ctx, EraseAccountArgs{UserID: actor.ID()}, &river.InsertOpts{ScheduledAt: at})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("request account deletion: %w", err)
	}
	s.log.InfoContext(ctx, "account deletion scheduled", "user_id", actor.ID(), "at", scheduled)
	return scheduled, nil
}

// CancelDeletion cancels the actor's scheduled deletion; it reports whether one was scheduled.
func (s *Service) CancelDeletion(ctx context.Context, actor domain.Actor) (bool, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return false, err
	}
	ok, err := s.store.Q().CancelAccountDeletion(ctx, actor.ID())
	if err != nil {
		return false, fmt.Errorf("cancel account deletion: %w", err)
	}
	if ok {
		s.log.InfoContext(ctx, "account deletion cancelled", "user_id", actor.ID())
	}
	return ok, nil
}

// ScheduledAt returns when userID's account is due to be erased (nil: not scheduled). Only the
// member and staff may know; anyone else gets nil.
func (s *Service) ScheduledAt(ctx context.Context, actor domain.Actor, userID uuid.UUID) (*time.Time, error) {
	if !actor.SignedIn() || (actor.ID() != userID && !actor.User.IsStaff()) {
		return nil, nil
	}
	at, err := s.store.Q().AccountDeletionScheduledAt(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("account deletion date: %w", err)
	}
	return at, nil
}

// EraseIfDue erases the account when its deletion is due by the service's clock; a deletion
// cancelled, or moved later, is left alone. It reports whether it erased.
func (s *Service) EraseIfDue(ctx context.Context, userID uuid.UUID) (bool, error) {
	due, err := s.store.Q().ErasureDue(ctx, userID, s.cfg.Now())
	if err != nil || !due {
		return false, err
	}
	if _, err := s.Erase(ctx, userID); err != nil {
		return false, err
	}
	return true, nil
}

// sweepBatch bounds how many due erasures one sweep runs.
const sweepBatch = 100

// EraseDue erases every account whose deletion is due and not done: a safety net behind the job
// scheduled for each (a job discarded after its retries, a queue restored without it). It
// returns how many it erased.
func (s *Service) EraseDue(ctx context.Context) (int, error) {
	ids, err := s.store.Q().DueErasures(ctx, s.cfg.Now(), sweepBatch)
	if err != nil {
		return 0, fmt.Errorf("erase due accounts: %w", err)
	}
	n := 0
	for _, id := range ids {
		erased, err := s.EraseIfDue(ctx, id)
		if err != nil {
			return n, err
		}
		if erased {
			n++
		}
	}
	return n, nil
}

// Erase erases the account now, whatever its schedule: one transaction per the register (with
// the Stripe job inserted in it), then, after commit, sockets closed, search document and
// rate-limit keys removed. Safe to run again: every step is idempotent. NOT_FOUND for an unknown
// account.
func (s *Service) Erase(ctx context.Context, userID uuid.UUID) (store.ErasedAccount, error) {
	if s.cfg.BeforeErase != nil {
		if err := s.cfg.BeforeErase(ctx, userID); err != nil {
			return store.ErasedAccount{}, fmt.Errorf("erase account: %w", err)
		}
	}
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	var out store.ErasedAccount
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if out, err = q.EraseAccount(ctx, userID, now); err != nil {
			return err
		}
		if out.StripeAccountID != "" {
			return q.EnqueueJob(ctx, EraseStripeAccountArgs{AccountID: out.StripeAccountID}, nil)
		}
		return nil
	})
	if err != nil {
		return store.ErasedAccount{}, fmt.Errorf("erase account: %w", err)
	}
	s.accounts.SessionsEnded(ctx, userID, out.SessionIDs)
	if s.cfg.Limiter != nil && s.cfg.LimitKeys != nil {
		if err := s.cfg.Limiter.Forget(ctx, s.cfg.LimitKeys(userID, out.Email)...); err != nil {
			// They expire on their own within the hour; not worth failing the erasure for.
			s.log.WarnContext(ctx, "erase account: forget rate-limit keys", "user_id", userID, "err", err)
		}
	}
	if err := s.index.IndexMember(ctx, userID); err != nil {
		// The job retries the whole (idempotent) erasure until the document is gone.
		return store.ErasedAccount{}, fmt.Errorf("erase account: remove search document: %w", err)
	}
	s.log.InfoContext(ctx, "account erased", "user_id", userID, "again", out.AlreadyErased,
		"sessions", len(out.SessionIDs), "jobs_cancelled", out.JobsCancelled, "stripe_account", out.StripeAccountID != "")
	return out, nil
}

// ReplayReport says what Replay did.
type ReplayReport struct {
	// Imported counts ledger entries added from the entries given (a saved ledger).
	Imported int64
	// Erased counts accounts erased again; Missing counts ledger ids with no account (a backup
	// older than the account).
	Erased, Missing int
}

// Replay re-applies every erasure in the ledger, after adding the given entries (a ledger saved
// outside the restored database) to it: after a backup restore, nothing erased comes back.
// Idempotent.
func (s *Service) Replay(ctx context.Context, saved []store.ErasureEntry) (ReplayReport, error) {
	var rep ReplayReport
	var err error
	if len(saved) > 0 {
		if rep.Imported, err = s.store.Q().RecordErasures(ctx, saved); err != nil {
			return rep, fmt.Errorf("replay erasures: %w", err)
		}
	}
	ledger, err := s.store.Q().ErasureLedger(ctx)
	if err != nil {
		return rep, fmt.Errorf("replay erasures: %w", err)
	}
	for _, e := range ledger {
		if _, err := s.Erase(ctx, e.UserID); err != nil {
			if domain.IsKind(err, domain.KindNotFound) {
				rep.Missing++
				continue
			}
			return rep, fmt.Errorf("replay erasure of %s: %w", e.UserID, err)
		}
		rep.Erased++
	}
	return rep, nil
}

// Ledger returns the erasure ledger, to save outside the database.
func (s *Service) Ledger(ctx context.Context) ([]store.ErasureEntry, error) {
	return s.store.Q().ErasureLedger(ctx)
}
