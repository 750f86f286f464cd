package payments

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Defaults of Config's no-show and authorisation windows.
const (
	// DefaultNoShowContestWindow is how long the member reported absent may contest.
	DefaultNoShowContestWindow = 48 * time.Hour
	// DefaultCaptureDeadline is how long after its authorisation an ended session's payment is
	// captured at the latest: card authorisations expire after 7 days, and this leaves half a
	// day for retries.
	DefaultCaptureDeadline = 6*24*time.Hour + 12*time.Hour
)

// openNoShowDispute opens the dispute of a paid session reported as a no-show and schedules
// its deadline, in the caller's transaction. Nothing moves money yet. A payment that holds no
// money (never authorised, or released already) has nothing to dispute.
func (s *Service) openNoShowDispute(ctx context.Context, q *store.Queries, sess domain.SkillSession, p domain.Payment) error {
	if sess.NoShowUserID == nil || sess.NoShowReportedBy == nil {
		return fmt.Errorf("no-show session %s has no absent member or reporter", sess.ID)
	}
	switch p.State {
	case domain.PaymentAuthorized, domain.PaymentCaptured, domain.PaymentPartiallyRefunded:
	default:
		s.log.Info("no-show of a paid session whose payment holds no money: no dispute",
			"session", sess.ID, "payment", p.ID, "state", p.State)
		return nil
	}
	now := s.now()
	d, created, err := q.InsertNoShowDispute(ctx, domain.NoShowDispute{
		SessionID: sess.ID, PaymentID: p.ID, AbsentID: *sess.NoShowUserID, ReportedBy: *sess.NoShowReportedBy,
		Status: domain.NoShowPending, DecidesAt: now.Add(s.cfg.NoShowContestWindow), CreatedAt: now,
	})
	if err != nil {
		return fmt.Errorf("open no-show dispute: %w", err)
	}
	if !created {
		return nil
	}
	return q.EnqueueJob(ctx, NoShowDeadlineArgs{SessionID: sess.ID}, &river.InsertOpts{ScheduledAt: d.DecidesAt})
}

// ContestNoShow records the actor's contest of a paid session's no-show report: the actor
// must be the member reported absent (FORBIDDEN for the reporter, NOT_FOUND for anyone else
// and for a session without a dispute), the dispute PENDING and its contest window open
// (CONFLICT otherwise), and the note 1 to 1000 characters. The reporter is notified
// (NO_SHOW_CONTESTED); staff then decide with ResolveNoShow.
func (s *Service) ContestNoShow(ctx context.Context, actor domain.Actor, sessionID uuid.UUID, note string) (domain.NoShowDispute, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.NoShowDispute{}, err
	}
	var out domain.NoShowDispute
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		d, err := q.LockNoShowDispute(ctx, sessionID)
		if err != nil {
			return err
		}
		if err := d.Contest(actor.ID(), note, s.now()); err != nil {
			return err
		}
		if out, err = q.UpdateNoShowDispute(ctx, d); err != nil {
			return err
		}
		return s.notify(ctx, q, out.ReportedBy, domain.NotificationNoShowContested,
			domain.NoShowDisputePayload{SessionID: out.SessionID, Status: out.Status, AbsentID: out.AbsentID})
	})
	if err != nil {
		return domain.NoShowDispute{}, fmt.Errorf("contest no-show: %w", err)
	}
	return out, nil
}

// ResolveNoShow decides an open (PENDING or CONTESTED) no-show dispute: upheld, the report
// stands; rejected, the session counts as held. The actor must hold the SUPPORT role (ADMIN
// holds every role); the note (1 to 1000 characters) goes to the audit log with the decision.
// Both participants are notified (NO_SHOW_DECIDED) and the payment step is enqueued in the
// same transaction: a refund when the mentor was absent, a capture otherwise. Deciding a
// decided dispute is a CONFLICT.
func (s *Service) ResolveNoShow(ctx context.Context, actor domain.Actor, sessionID uuid.UUID, upheld bool, note string) (domain.NoShowDispute, error) {
	if err := actor.RequireRole(domain.RoleSupport); err != nil {
		return domain.NoShowDispute{}, err
	}
	decidedBy := actor.ID()
	var out domain.NoShowDispute
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		d, err := q.LockNoShowDispute(ctx, sessionID)
		if err != nil {
			return err
		}
		if err := d.Decide(upheld, &decidedBy, note, s.now()); err != nil {
			return err
		}
		out, err = s.decide(ctx, q, d)
		return err
	})
	if err != nil {
		return domain.NoShowDispute{}, fmt.Errorf("resolve no-show: %w", err)
	}
	return out, nil
}

// ApplyNoShowDeadline upholds a dispute still PENDING at the end of its contest window
// (decided by nobody), with the same notifications, audit entry and payment step as a staff
// decision. A contested or decided dispute is left alone, so a rerun has no second effect.
// Before the deadline (the job ran early by the service's clock) it does nothing and returns
// how long is left.
func (s *Service) ApplyNoShowDeadline(ctx context.Context, sessionID uuid.UUID) (time.Duration, error) {
	var wait time.Duration
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		d, err := q.LockNoShowDispute(ctx, sessionID)
		if domain.IsKind(err, domain.KindNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if d.Status != domain.NoShowPending {
			return nil
		}
		now := s.now()
		if now.Before(d.DecidesAt) {
			wait = d.DecidesAt.Sub(now)
			return nil
		}
		note := "not contested within " + formatWindow(d.DecidesAt.Sub(d.CreatedAt))
		if err := d.Decide(true, nil, note, now); err != nil {
			return err
		}
		_, err = s.decide(ctx, q, d)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("no-show deadline: %w", err)
	}
	return wait, nil
}

// decide writes a decided dispute, audits it, notifies both participants and enqueues the
// payment step it calls for.
func (s *Service) decide(ctx context.Context, q *store.Queries, d domain.NoShowDispute) (domain.NoShowDispute, error) {
	p, err := q.PaymentByID(ctx, d.PaymentID)
	if err != nil {
		return d, err
	}
	if d, err = q.UpdateNoShowDispute(ctx, d); err != nil {
		return d, err
	}
	refund := d.RefundsPayer(p.PayeeID)
	step := StepCapture
	if refund {
		step = StepRefundNoShow
	}
	if err := q.InsertAuditLog(ctx, d.DecidedBy, "no_show.decided", "session:"+d.SessionID.String(), map[string]any{
		"status": d.Status, "note": d.DecisionNote, "absentId": d.AbsentID, "paymentId": p.ID, "step": step,
	}); err != nil {
		return d, err
	}
	payload := domain.NoShowDisputePayload{SessionID: d.SessionID, Status: d.Status, AbsentID: d.AbsentID, RefundsPayer: refund}
	for _, u := range []uuid.UUID{d.ReportedBy, d.AbsentID} {
		if err := s.notify(ctx, q, u, domain.NotificationNoShowDecided, payload); err != nil {
			return d, err
		}
	}
	return d, q.EnqueueJob(ctx, StepArgs{PaymentID: p.ID, Step: step}, nil)
}

// formatWindow renders a contest window for a decision note: "48 hours" for whole hours.
func formatWindow(d time.Duration) string {
	if d > 0 && d%time.Hour == 0 {
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}

func (s *Service) notify(ctx context.Context, q *store.Queries, userID uuid.UUID, typ domain.NotificationType, payload any) error {
	if s.notifier == nil {
		return nil
	}
	if err := s.notifier.Notify(ctx, q, userID, string(typ), payload); err != nil {
		return fmt.Errorf("notify %s: %w", typ, err)
	}
	return nil
}

// NoShowDisputesCursor is the cursor kind of the staff list of no-show disputes (keyed by
// session id); clients hold cursors made with it, so it never changes.
const NoShowDisputesCursor = "noShowDisputes"

// NoShowDisputes pages through no-show disputes for staff (the SUPPORT role), oldest first so
// that the longest-waiting come first, only those in status when it is set.
func (s *Service) NoShowDisputes(ctx context.Context, actor domain.Actor, status *string, page relay.Page[uuid.UUID]) (relay.Connection[domain.NoShowDispute], error) {
	if err := actor.RequireRole(domain.RoleSupport); err != nil {
		return relay.Connection[domain.NoShowDispute]{}, err
	}
	var st *domain.NoShowDisputeStatus
	if status != nil {
		x := domain.NoShowDisputeStatus(*status)
		if !x.Valid() {
			return relay.Connection[domain.NoShowDispute]{}, domain.Invalid("status", "must be one of PENDING, CONTESTED, UPHELD, REJECTED")
		}
		st = &x
	}
	list, err := s.store.Q().NoShowDisputes(ctx, st, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.NoShowDispute]{}, fmt.Errorf("no-show disputes: %w", err)
	}
	return relay.Paginate(NoShowDisputesCursor, page, list, func(d domain.NoShowDispute) uuid.UUID { return d.SessionID }), nil
}

// NoShowDispute returns a session's no-show dispute to its two participants and staff
// (NOT_FOUND for anyone else, and for a session without one).
func (s *Service) NoShowDispute(ctx context.Context, actor domain.Actor, sessionID uuid.UUID) (domain.NoShowDispute, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.NoShowDispute{}, err
	}
	d, err := s.store.Q().NoShowDispute(ctx, sessionID)
	if err != nil {
		return domain.NoShowDispute{}, fmt.Errorf("no-show dispute: %w", err)
	}
	if !d.IsParticipant(actor.ID()) && !actor.User.IsStaff() {
		return domain.NoShowDispute{}, domain.NotFound("no-show dispute")
	}
	return d, nil
}

// ApplyCaptureDeadline captures a payment still AUTHORIZED shortly before its authorisation
// expires, when its session has ended (past its end and CONFIRMED, COMPLETED or NO_SHOW), so
// that a dispute decided later refunds a captured payment rather than finding its authorisation
// gone. A no-show whose dispute already called for a refund is left to that step. A session
// that has not ended is left alone with a warning: its authorisation will expire.
func (s *Service) ApplyCaptureDeadline(ctx context.Context, paymentID uuid.UUID) error {
	q := s.store.Q()
	p, err := q.PaymentByID(ctx, paymentID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("capture deadline: %w", err)
	}
	if p.State != domain.PaymentAuthorized {
		return nil
	}
	found, err := q.SkillSessionsByIDs(ctx, []uuid.UUID{p.SessionID})
	if err != nil {
		return fmt.Errorf("capture deadline: %w", err)
	}
	sess, ok := found[p.SessionID]
	if !ok {
		return fmt.Errorf("capture deadline: session %s of payment %s not found", p.SessionID, p.ID)
	}
	ended := !s.now().Before(sess.EndsAt) &&
		(sess.State == domain.SessionConfirmed || sess.State == domain.SessionCompleted || sess.State == domain.SessionNoShow)
	if !ended {
		s.log.Warn("authorisation about to expire on a session that has not ended: not captured",
			"payment", p.ID, "session", sess.ID, "state", sess.State, "ends_at", sess.EndsAt)
		return nil
	}
	if sess.State == domain.SessionNoShow {
		d, err := q.NoShowDispute(ctx, sess.ID)
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return fmt.Errorf("capture deadline: %w", err)
		}
		if err == nil && d.RefundsPayer(p.PayeeID) {
			return nil // the refund step releases the authorisation
		}
	}
	if err := s.RunStep(ctx, p.ID, StepCapture); err != nil {
		return fmt.Errorf("capture deadline: %w", err)
	}
	return nil
}
