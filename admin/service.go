// Package admin owns the staff's operations on members' accounts and the audit log that records
// every staff action. Resolvers stay thin; the role each operation needs is checked here (the
// schema's @hasRole says the same, for callers other than the API), and every operation writes
// exactly one audit row in its own transaction (store.InsertAuditLog).
package admin

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Audit actions written by this package ("<object>.<verb>"); the audit log's filter by action
// takes these strings, so they never change.
const (
	ActionForceLogOut        = "user.forced_log_out"
	ActionCreditsAdjusted    = "user.credits_adjusted"
	ActionVerificationResent = "user.verification_email_resent"
)

// MaxAdjustMinutes bounds one credit adjustment either way (a typo should not mint a year).
const MaxAdjustMinutes = 10000

// AuditLogCursor is the cursor kind of Query.auditLog (keyed by entry id); clients hold such
// cursors, so it never changes.
const AuditLogCursor = "auditLog"

// SessionEnder tells every instance that login sessions ended (sockets close, caches drop);
// auth.Service implements it.
type SessionEnder interface {
	SessionsEnded(ctx context.Context, userID uuid.UUID, ids []uuid.UUID)
}

// Ledger posts staff corrections of time credits inside the caller's transaction;
// credits.Service implements it.
type Ledger interface {
	Adjust(ctx context.Context, q *store.Queries, userID uuid.UUID, minutes int64, memo string) (int64, error)
}

// Service runs staff operations.
type Service struct {
	store    *store.Store
	sessions SessionEnder
	ledger   Ledger
	now      func() time.Time
	log      *slog.Logger
}

// NewService builds the service; now nil means time.Now.
func NewService(st *store.Store, sessions SessionEnder, ledger Ledger, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, sessions: sessions, ledger: ledger, now: now, log: log}
}

// AuditLog pages the audit log, newest first, narrowed by f. ADMIN only.
func (s *Service) AuditLog(ctx context.Context, actor domain.Actor, f domain.AuditFilter, page relay.Page[int64]) (relay.Connection[domain.AuditEntry], error) {
	if err := actor.RequireRole(domain.RoleAdmin); err != nil {
		return relay.Connection[domain.AuditEntry]{}, err
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return relay.Connection[domain.AuditEntry]{}, domain.Invalid("filter.to", "must be after filter.from")
	}
	rows, err := s.store.Q().ListAuditLog(ctx, f, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.AuditEntry]{}, fmt.Errorf("audit log: %w", err)
	}
	return relay.Paginate(AuditLogCursor, page, rows, func(e domain.AuditEntry) int64 { return e.ID }), nil
}

// ForceLogOut ends every login session of a member (their sockets close within a second). SUPPORT
// and up; an ADMIN's sessions only an ADMIN may end. It returns the member and how many
// sessions ended.
func (s *Service) ForceLogOut(ctx context.Context, actor domain.Actor, userID uuid.UUID) (domain.User, int, error) {
	if err := actor.RequireRole(domain.RoleSupport); err != nil {
		return domain.User{}, 0, err
	}
	var (
		u   domain.User
		ids []uuid.UUID
	)
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if u, err = s.target(ctx, q, actor, userID); err != nil {
			return err
		}
		if ids, err = q.RevokeUserAuthSessions(ctx, u.ID, nil, "FORCED_BY_STAFF", s.now()); err != nil {
			return err
		}
		if err := s.audit(ctx, q, actor, ActionForceLogOut, u.ID, map[string]any{"sessionsEnded": len(ids)}); err != nil {
			return err
		}
		q.AfterCommit(ctx, func(ctx context.Context) { s.sessions.SessionsEnded(ctx, u.ID, ids) })
		return nil
	})
	if err != nil {
		return domain.User{}, 0, fmt.Errorf("force log out: %w", err)
	}
	s.log.InfoContext(ctx, "forced log out", "user_id", u.ID, "sessions", len(ids), "by", actor.ID())
	return u, len(ids), nil
}

// AdjustCredits credits (minutes > 0) or debits (minutes < 0) a member's time credits through
// the ledger, with the staff's reason on the member's statement and in the audit log. ADMIN only.
// It returns the member and their balance afterwards.
func (s *Service) AdjustCredits(ctx context.Context, actor domain.Actor, userID uuid.UUID, minutes int64, reason string) (domain.User, int64, error) {
	if err := actor.RequireRole(domain.RoleAdmin); err != nil {
		return domain.User{}, 0, err
	}
	if minutes == 0 || minutes > MaxAdjustMinutes || minutes < -MaxAdjustMinutes {
		return domain.User{}, 0, domain.Invalid("minutes", "must be non-zero and at most %d either way", MaxAdjustMinutes)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return domain.User{}, 0, domain.Invalid("reason", "is required, at most 500 characters")
	}
	var (
		u       domain.User
		balance int64
	)
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if u, err = s.target(ctx, q, actor, userID); err != nil {
			return err
		}
		if balance, err = s.ledger.Adjust(ctx, q, u.ID, minutes, reason); err != nil {
			return err
		}
		return s.audit(ctx, q, actor, ActionCreditsAdjusted, u.ID,
			map[string]any{"minutes": minutes, "reason": reason, "balanceAfter": balance})
	})
	if err != nil {
		return domain.User{}, 0, fmt.Errorf("adjust credits: %w", err)
	}
	return u, balance, nil
}

// ResendVerificationEmailFor emails a member a new verification code and link (the previous
// ones stop working), through auth's verification email job. SUPPORT and up; CONFLICT when the
// address is already verified.
func (s *Service) ResendVerificationEmailFor(ctx context.Context, actor domain.Actor, userID uuid.UUID) (domain.User, error) {
	if err := actor.RequireRole(domain.RoleSupport); err != nil {
		return domain.User{}, err
	}
	var u domain.User
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if u, err = s.target(ctx, q, actor, userID); err != nil {
			return err
		}
		if u.EmailVerified() {
			return domain.Conflict("this member's email address is already verified")
		}
		if err := q.EnqueueJob(ctx, auth.SendVerificationEmailArgs{UserID: u.ID}, nil); err != nil {
			return err
		}
		return s.audit(ctx, q, actor, ActionVerificationResent, u.ID, nil)
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("resend verification for: %w", err)
	}
	return u, nil
}

// target locks the member acted on: NOT_FOUND on userId when unknown; FORBIDDEN when a
// non-ADMIN acts on an ADMIN's account (support cannot lock out the platform's administrators).
func (s *Service) target(ctx context.Context, q *store.Queries, actor domain.Actor, userID uuid.UUID) (domain.User, error) {
	u, err := q.LockUser(ctx, userID)
	if domain.IsKind(err, domain.KindNotFound) {
		e := domain.NotFound("user")
		e.Field = "userId"
		return domain.User{}, e
	}
	if err != nil {
		return domain.User{}, err
	}
	if u.HasRole(domain.RoleAdmin) && !actor.HasRole(domain.RoleAdmin) {
		return domain.User{}, domain.Forbidden("only an ADMIN may act on an ADMIN's account")
	}
	return u, nil
}

func (s *Service) audit(ctx context.Context, q *store.Queries, actor domain.Actor, action string, userID uuid.UUID, details any) error {
	by := actor.ID()
	return q.InsertAuditLog(ctx, &by, action, domain.AuditTargetUser(userID), details)
}
