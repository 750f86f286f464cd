package moderation

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

// Audit actions of sanctions and appeals ("<object>.<verb>"); the audit log's filter by action
// takes these strings, so they never change. The target is always the member ("user:<id>"), so
// a member's audit entries show every measure about them.
const (
	ActionSanctionImpose = "moderation.sanction.impose"
	ActionSanctionLift   = "moderation.sanction.lift"
	ActionAppealMessage  = "moderation.appeal.message"
	ActionAppealDecide   = "moderation.appeal.decide"
)

// Seams are the small operations other capabilities expose to sanctions and safeguards. They are functions so
// app can wire services built after this one (as payments' RequireRecentAuth is); any may be
// nil in tests that do not exercise it.
type Seams struct {
	// EndSessions tells every instance that login sessions ended (sockets close within a
	// second); auth.Service.SessionsEnded.
	EndSessions func(ctx context.Context, userID uuid.UUID, ids []uuid.UUID)
	// RemoveMessage tombstones a message inside q's transaction as chat's delete does, and tells
	// its conversation after commit; chat.Service.RemoveMessage.
	RemoveMessage func(ctx context.Context, q *store.Queries, id uuid.UUID) (domain.Message, error)
	// HideMessage hides a reported message pending review inside q's transaction and tells open
	// chats after commit (safeguards); chat.Service.HidePendingReview.
	HideMessage func(ctx context.Context, q *store.Queries, id uuid.UUID) error
	// RevealMessage ends that hiding after a NO_ACTION decision; chat.Service.RevealAfterReview.
	RevealMessage func(ctx context.Context, q *store.Queries, id uuid.UUID) error
	// CancelSessions cancels a member's upcoming sessions through the sessions' rules (partners
	// notified, payments by the cancellation policy); skillsessions.Service.CancelAllFor.
	CancelSessions func(ctx context.Context, userID uuid.UUID, reason string) (int, error)
	// Reindex queues a member's search document for reindexing inside q's transaction (search
	// reads hide suspended members at query time already; this drops them from the index too).
	Reindex func(ctx context.Context, q *store.Queries, userID uuid.UUID) error
}

// ImposeInput is a moderator's sanction.
type ImposeInput struct {
	UserID uuid.UUID
	Kind   domain.SanctionKind
	// CaseID ties the sanction to a case about the member (optional).
	CaseID *uuid.UUID
	// Duration of a LIMIT or SUSPENSION.
	Duration time.Duration
	// ContentType and ContentID name what a CONTENT_REMOVAL removes (a message the member sent,
	// a review they wrote); when nil, the case's target.
	ContentType *domain.ReportTargetType
	ContentID   *uuid.UUID
	// StatementOfReasons is addressed to the member (1 to 5,000 characters).
	StatementOfReasons string
}

// Impose sanctions a member (MODERATOR). The member is notified in the app and by email (also
// when suspended), the action is audited, and:
//   - CONTENT_REMOVAL tombstones the message or hides the review;
//   - LIMIT refuses new conversations and session proposals until it ends (RequireNotLimited);
//   - SUSPENSION and BAN suspend the account (hidden from search and matching at once, every
//     login session revoked and sockets closed, upcoming sessions cancelled after commit); a
//     SUSPENSION ends by itself through a job scheduled in the same transaction.
//
// Errors: NOT_FOUND on userId (unknown or erased member) or caseId; BAD_USER_INPUT on kind,
// durationHours, statementOfReasons, caseId (a case about another member), contentId (not the
// member's, or missing), userId (oneself); FORBIDDEN when a non-ADMIN sanctions an ADMIN.
func (s *Service) Impose(ctx context.Context, actor domain.Actor, in ImposeInput) (domain.Sanction, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return domain.Sanction{}, err
	}
	if !in.Kind.Valid() {
		return domain.Sanction{}, domain.Invalid("kind", "unknown sanction kind")
	}
	if in.Kind.Timed() {
		if in.Duration <= 0 || in.Duration > domain.MaxSanctionDuration {
			return domain.Sanction{}, domain.Invalid("durationHours", "a %s lasts 1 hour to %d days", in.Kind, int(domain.MaxSanctionDuration.Hours()/24))
		}
	} else if in.Duration != 0 {
		return domain.Sanction{}, domain.Invalid("durationHours", "only a LIMIT or a SUSPENSION has a duration")
	}
	reasons, err := requiredText("statementOfReasons", in.StatementOfReasons)
	if err != nil {
		return domain.Sanction{}, err
	}
	if in.UserID == actor.ID() {
		return domain.Sanction{}, domain.Invalid("userId", "you cannot sanction yourself")
	}
	now := s.now()
	var out domain.Sanction
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		u, err := q.LockUser(ctx, in.UserID)
		if domain.IsKind(err, domain.KindNotFound) || err == nil && u.Status == domain.UserErased {
			return fieldNotFound("member", "userId")
		}
		if err != nil {
			return err
		}
		if u.HasRole(domain.RoleAdmin) && !actor.HasRole(domain.RoleAdmin) {
			return domain.Forbidden("only an ADMIN may sanction an ADMIN")
		}
		sn := domain.Sanction{ID: uuid.Must(uuid.NewV7()), UserID: u.ID, Kind: in.Kind, StatementOfReasons: reasons,
			ImposedBy: actor.ID(), StartsAt: now, CreatedAt: now}
		if in.Kind.Timed() {
			end := now.Add(in.Duration)
			sn.EndsAt = &end
		}
		var c *domain.ModerationCase
		if in.CaseID != nil {
			got, err := q.ModerationCaseByID(ctx, *in.CaseID, true)
			if domain.IsKind(err, domain.KindNotFound) {
				return fieldNotFound("moderation case", "caseId")
			}
			if err != nil {
				return err
			}
			if got.SubjectID == nil || *got.SubjectID != u.ID {
				return domain.Invalid("caseId", "the case is about another member")
			}
			c, sn.CaseID = &got, &got.ID
		}
		if in.Kind == domain.SanctionContentRemoval {
			if err := s.removeContent(ctx, q, &sn, in, c, now); err != nil {
				return err
			}
		} else if in.ContentID != nil {
			return domain.Invalid("contentId", "only a CONTENT_REMOVAL removes content")
		}
		if out, err = q.InsertSanction(ctx, sn); err != nil {
			return fmt.Errorf("insert sanction: %w", err)
		}
		if in.Kind.Suspends() {
			if err := s.suspend(ctx, q, u.ID, now); err != nil {
				return err
			}
			// The upcoming sessions are cancelled by a job committed with the suspension: each
			// cancellation is the sessions' own transaction (partners notified, payments by the
			// cancellation policy), and a failure is retried rather than lost.
			if err := q.EnqueueJob(ctx, CancelSuspendedSessionsArgs{SanctionID: out.ID}, nil); err != nil {
				return fmt.Errorf("queue the cancellation of the sessions: %w", err)
			}
		}
		if out.Kind == domain.SanctionSuspension {
			// Ends by itself: the job runs at the end (or later, if no worker is up then).
			if err := q.EnqueueJob(ctx, EndSuspensionArgs{SanctionID: out.ID}, &river.InsertOpts{ScheduledAt: *out.EndsAt}); err != nil {
				return fmt.Errorf("schedule the end of the suspension: %w", err)
			}
		}
		details := map[string]any{"sanction": out.ID, "kind": out.Kind}
		if out.CaseID != nil {
			details["case"] = *out.CaseID
		}
		if out.EndsAt != nil {
			details["endsAt"] = out.EndsAt.Format(time.RFC3339)
		}
		if out.ContentID != nil {
			details["content"] = string(*out.ContentType) + ":" + out.ContentID.String()
		}
		if err := s.auditUser(ctx, q, actor, ActionSanctionImpose, u.ID, details); err != nil {
			return err
		}
		return s.tell(ctx, q, u.ID, domain.NotificationModerationSanctionImposed, out, nil, SanctionEmailImposed)
	})
	if err != nil {
		return domain.Sanction{}, fmt.Errorf("impose sanction: %w", err)
	}
	s.log.InfoContext(ctx, "sanction imposed", "sanction_id", out.ID, "kind", out.Kind, "user_id", out.UserID, "by", actor.ID())
	return out, nil
}

// removeContent tombstones the message or hides the review a CONTENT_REMOVAL names (or its
// case's target), after checking the member wrote it.
func (s *Service) removeContent(ctx context.Context, q *store.Queries, sn *domain.Sanction, in ImposeInput, c *domain.ModerationCase, now time.Time) error {
	typ, id := in.ContentType, in.ContentID
	if id == nil && c != nil && (c.TargetType == domain.TargetMessage || c.TargetType == domain.TargetReview) {
		typ, id = &c.TargetType, &c.TargetID
	}
	if id == nil || typ == nil {
		return domain.Invalid("contentId", "name the message or review to remove")
	}
	switch *typ {
	case domain.TargetMessage:
		if s.seams.RemoveMessage == nil {
			return domain.Unavailable("removing messages is not wired on this server")
		}
		m, err := q.LockMessage(ctx, *id)
		if domain.IsKind(err, domain.KindNotFound) || err == nil && m.SenderID != sn.UserID {
			return domain.Invalid("contentId", "not a message of this member")
		}
		if err != nil {
			return err
		}
		if _, err := s.seams.RemoveMessage(ctx, q, m.ID); err != nil {
			return fmt.Errorf("remove message: %w", err)
		}
	case domain.TargetReview:
		r, err := q.ReviewByID(ctx, *id)
		if domain.IsKind(err, domain.KindNotFound) || err == nil && r.ReviewerID != sn.UserID {
			return domain.Invalid("contentId", "not a review of this member")
		}
		if err != nil {
			return err
		}
		if _, _, err := q.SetReviewHidden(ctx, r.ID, true, now); err != nil {
			return fmt.Errorf("hide review: %w", err)
		}
	default:
		return domain.Invalid("contentType", "only a MESSAGE or a REVIEW can be removed")
	}
	sn.ContentType, sn.ContentID = typ, id
	return nil
}

// suspend marks the account SUSPENDED, revokes every login session (sockets close after
// commit) and drops the member from the search index. Search and matching read users.status
// at query time, so they stop showing the member as soon as this commits.
func (s *Service) suspend(ctx context.Context, q *store.Queries, userID uuid.UUID, now time.Time) error {
	if _, err := q.SetUserSuspended(ctx, userID, true, now); err != nil {
		return err
	}
	ids, err := q.RevokeUserAuthSessions(ctx, userID, nil, "SUSPENDED", now)
	if err != nil {
		return err
	}
	if s.seams.EndSessions != nil {
		q.AfterCommit(ctx, func(ctx context.Context) { s.seams.EndSessions(ctx, userID, ids) })
	}
	return s.reindex(ctx, q, userID)
}

// reinstate makes a suspended member ACTIVE again unless another suspension or ban is still in
// force (excluding the sanction being lifted, whose row may not say so yet).
func (s *Service) reinstate(ctx context.Context, q *store.Queries, userID, except uuid.UUID, now time.Time) error {
	active, err := q.ActiveRestrictions(ctx, userID, now)
	if err != nil {
		return err
	}
	for _, a := range active {
		if a.ID != except && a.Kind.Suspends() {
			return nil
		}
	}
	changed, err := q.SetUserSuspended(ctx, userID, false, now)
	if err != nil || !changed {
		return err
	}
	if s.seams.EndSessions != nil {
		// No session to end: this tells instances the account changed (cached status drops).
		q.AfterCommit(ctx, func(ctx context.Context) { s.seams.EndSessions(ctx, userID, nil) })
	}
	return s.reindex(ctx, q, userID)
}

func (s *Service) reindex(ctx context.Context, q *store.Queries, userID uuid.UUID) error {
	if s.seams.Reindex == nil {
		return nil
	}
	return s.seams.Reindex(ctx, q, userID)
}

// Lift ends a LIMIT, SUSPENSION or BAN early (MODERATOR): a suspended account becomes ACTIVE
// again (unless another suspension holds); the member is notified; audited. NOT_FOUND on id;
// CONFLICT when the sanction is not in force (already ended, lifted, or a kind that takes effect
// once); BAD_USER_INPUT on reason (1 to 5,000 characters, the member reads it).
func (s *Service) Lift(ctx context.Context, actor domain.Actor, id uuid.UUID, reason string) (domain.Sanction, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return domain.Sanction{}, err
	}
	why, err := requiredText("reason", reason)
	if err != nil {
		return domain.Sanction{}, err
	}
	var out domain.Sanction
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		sn, err := q.SanctionByID(ctx, id, true)
		if domain.IsKind(err, domain.KindNotFound) {
			return fieldNotFound("sanction", "id")
		}
		if err != nil {
			return err
		}
		now := s.now()
		if !sn.ActiveAt(now) {
			return domain.Conflict("this sanction is not in force")
		}
		if out, err = s.lift(ctx, q, actor, sn, why, now); err != nil {
			return err
		}
		if err := s.auditUser(ctx, q, actor, ActionSanctionLift, sn.UserID, map[string]any{"sanction": sn.ID, "kind": sn.Kind}); err != nil {
			return err
		}
		return s.tell(ctx, q, sn.UserID, domain.NotificationModerationSanctionLifted, out, nil, SanctionEmailLifted)
	})
	if err != nil {
		return domain.Sanction{}, fmt.Errorf("lift sanction: %w", err)
	}
	return out, nil
}

func (s *Service) lift(ctx context.Context, q *store.Queries, actor domain.Actor, sn domain.Sanction, why string, now time.Time) (domain.Sanction, error) {
	out, err := q.LiftSanction(ctx, sn.ID, actor.ID(), why, now)
	if err != nil {
		return domain.Sanction{}, err
	}
	if sn.Kind.Suspends() {
		if err := s.reinstate(ctx, q, sn.UserID, sn.ID, now); err != nil {
			return domain.Sanction{}, err
		}
	}
	return out, nil
}

// EndSuspension reinstates the member of a SUSPENSION that reached its end (the job scheduled
// by Impose). Before the end it changes nothing and returns how long is left, so the job can
// wait; a lifted or already ended suspension changes nothing.
func (s *Service) EndSuspension(ctx context.Context, id uuid.UUID) (time.Duration, error) {
	var left time.Duration
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		sn, err := q.SanctionByID(ctx, id, true)
		if err != nil {
			return err
		}
		now := s.now()
		if sn.Kind != domain.SanctionSuspension || sn.LiftedAt != nil {
			return nil
		}
		if sn.ActiveAt(now) {
			left = sn.EndsAt.Sub(now)
			return nil
		}
		return s.reinstate(ctx, q, sn.UserID, sn.ID, now)
	})
	if err != nil {
		return 0, fmt.Errorf("end suspension %s: %w", id, err)
	}
	return left, nil
}

// CancelSessionsOfSuspended cancels the upcoming sessions of the member a SUSPENSION or BAN
// suspended, through the sessions' rules (CancelSessions seam), unless the sanction was lifted
// meanwhile. Cancelling twice is harmless: sessions already cancelled are skipped.
func (s *Service) CancelSessionsOfSuspended(ctx context.Context, sanctionID uuid.UUID) (int, error) {
	if s.seams.CancelSessions == nil {
		return 0, nil
	}
	sn, err := s.store.Q().SanctionByID(ctx, sanctionID, false)
	if err != nil {
		return 0, fmt.Errorf("cancel sessions of sanction %s: %w", sanctionID, err)
	}
	if !sn.Kind.Suspends() || sn.LiftedAt != nil {
		return 0, nil
	}
	n, err := s.seams.CancelSessions(ctx, sn.UserID, "The member's account was suspended.")
	if err != nil {
		return n, fmt.Errorf("cancel sessions of sanction %s: %w", sanctionID, err)
	}
	return n, nil
}

// RequireNotLimited answers FORBIDDEN while a LIMIT (or a suspension) is in force on the member:
// chat refuses new conversations and skill sessions refuse proposals with it. The error's
// extensions carry reason LIMITED and limitedUntil (RFC 3339; null for a ban).
func (s *Service) RequireNotLimited(ctx context.Context, userID uuid.UUID) error {
	active, err := s.store.Q().ActiveRestrictions(ctx, userID, s.now())
	if err != nil {
		return fmt.Errorf("check limits: %w", err)
	}
	if len(active) == 0 {
		return nil
	}
	first := active[0] // the one ending last
	e := domain.Forbidden("a moderator limited your account: you cannot start conversations or propose sessions for now")
	var until any
	if first.EndsAt != nil {
		until = first.EndsAt.UTC().Format(time.RFC3339)
		e = domain.Forbidden("a moderator limited your account: you cannot start conversations or propose sessions until %s", until)
	}
	e.Details = map[string]any{"reason": domain.ReasonLimited, "limitedUntil": until}
	return e
}

// SanctionsCursor is the cursor kind of mySanctions.
const SanctionsCursor = "sanctions"

// MySanctions pages through the actor's sanctions, newest first, with their statements of
// reasons (never who imposed them).
func (s *Service) MySanctions(ctx context.Context, actor domain.Actor, page relay.Page[uuid.UUID]) (relay.Connection[domain.Sanction], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.Sanction]{}, err
	}
	rows, err := s.store.Q().SanctionsOf(ctx, actor.ID(), page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.Sanction]{}, fmt.Errorf("my sanctions: %w", err)
	}
	return relay.Paginate(SanctionsCursor, page, rows, func(x domain.Sanction) uuid.UUID { return x.ID }), nil
}

// tell notifies the member in the app and queues the moderation email, which reaches them even
// when suspended (the generic notification email skips suspended members).
func (s *Service) tell(ctx context.Context, q *store.Queries, userID uuid.UUID, typ domain.NotificationType, sn domain.Sanction, a *domain.Appeal, event SanctionEmailEvent) error {
	p := domain.SanctionPayload{SanctionID: sn.ID, Kind: sn.Kind}
	if a != nil {
		p.AppealID, p.Decision = &a.ID, &a.State
	}
	if s.notifier != nil {
		if _, err := s.notifier.Notify(ctx, q, userID, typ, p); err != nil {
			return fmt.Errorf("notify %s: %w", typ, err)
		}
	}
	if event == "" {
		return nil
	}
	args := SanctionEmailArgs{SanctionID: sn.ID, Event: event}
	if a != nil {
		args.AppealID = &a.ID
	}
	if err := q.EnqueueJob(ctx, args, nil); err != nil {
		return fmt.Errorf("queue sanction email: %w", err)
	}
	return nil
}

// tellMessage notifies the member of a moderator's message in their appeal, in the app and by
// email (with the text and a link to answer without signing in).
func (s *Service) tellMessage(ctx context.Context, q *store.Queries, sn domain.Sanction, a domain.Appeal, m domain.AppealMessage) error {
	if err := s.tell(ctx, q, a.UserID, domain.NotificationModerationAppealMessage, sn, &a, ""); err != nil {
		return err
	}
	if err := q.EnqueueJob(ctx, SanctionEmailArgs{SanctionID: sn.ID, Event: SanctionEmailAppealMessage, AppealID: &a.ID, MessageID: &m.ID}, nil); err != nil {
		return fmt.Errorf("queue appeal message email: %w", err)
	}
	return nil
}

func (s *Service) auditUser(ctx context.Context, q *store.Queries, actor domain.Actor, action string, userID uuid.UUID, details map[string]any) error {
	id := actor.ID()
	if err := q.InsertAuditLog(ctx, &id, action, domain.AuditTargetUser(userID), details); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func fieldNotFound(entity, field string) error {
	e := domain.NotFound(entity)
	e.Field = field
	return e
}

// requiredText trims and checks a 1 to 5,000 character text.
func requiredText(field, s string) (string, error) {
	out, err := domain.ValidateText(field, s, 5000)
	if err != nil {
		return "", err
	}
	if out == "" {
		return "", domain.Invalid(field, "must not be empty")
	}
	return out, nil
}
