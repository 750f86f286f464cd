// Package reviews lets each participant of a completed skill session review the other once,
// double-blind: a review stays hidden until both sides reviewed or the review window
// (domain.ReviewWindow) after completion closed. Members' rating aggregates move in the same
// transaction as reviews become visible, so they always match the visible reviews.
//
// Methods that act for a member take the domain.Actor right after the context (the service
// never reads the viewer from the context); the reveal job acts for nobody. Lists take a
// relay.Page and return a relay.Connection.
package reviews

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/moderation"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Notifier tells members about reviews inside the transaction (may be nil); the notifications
// service implements it.
type Notifier interface {
	Notify(ctx context.Context, q *store.Queries, userID uuid.UUID, typ string, payload any) error
}

// NotifyReceived tells a member they were reviewed, once per review, when it is written: its
// content may still be hidden (Payload.Visible false) until they review too or the window
// closes. Its value is the notifications service's REVIEW_RECEIVED type.
const NotifyReceived = "REVIEW_RECEIVED"

// Payload is the data of review notifications.
type Payload struct {
	SessionID uuid.UUID `json:"sessionId"`
	ReviewID  uuid.UUID `json:"reviewId"`
	// Visible says whether the review can be read already.
	Visible bool `json:"visible"`
}

// Config tunes reviews.
type Config struct {
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
	// Reports files the moderation report of each reportReview (moderation.Service); nil: none.
	Reports Reports
}

// Reports files a moderation report inside the caller's transaction: the deprecated
// reportReview keeps its own row and also opens or joins the review's moderation case.
type Reports interface {
	ReportInTx(ctx context.Context, q *store.Queries, actor domain.Actor, in moderation.ReportInput) (domain.ModerationReport, error)
}

// Service implements reviews and reports.
type Service struct {
	store    *store.Store
	notifier Notifier
	reports  Reports
	now      func() time.Time
	log      *slog.Logger
}

// NewService wires the service; notifier may be nil.
func NewService(st *store.Store, notifier Notifier, cfg Config, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: st, notifier: notifier, reports: cfg.Reports, now: func() time.Time { return cfg.Now().UTC().Truncate(time.Microsecond) }, log: log}
}

// SubmitInput is a review to write.
type SubmitInput struct {
	SessionID uuid.UUID
	Rating    int
	Comment   string
	Tags      []string
}

// Submit writes the actor's review of their partner in a completed session, once (a second
// review is a CONFLICT, enforced by the database). It stays hidden until the partner reviews
// too, or the review window closes: the second review reveals both, and the first schedules the
// reveal at the window's end.
func (s *Service) Submit(ctx context.Context, actor domain.Actor, in SubmitInput) (domain.Review, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Review{}, err
	}
	me := actor.ID()
	comment, tags, err := domain.ValidateReview(in.Rating, in.Comment, in.Tags)
	if err != nil {
		return domain.Review{}, err
	}
	var out domain.Review
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		// Locking the session serialises the two participants' submissions, so exactly one of
		// them sees the other's review and reveals both.
		sess, err := q.LockSkillSession(ctx, in.SessionID)
		if err != nil {
			if domain.IsKind(err, domain.KindNotFound) {
				e := domain.NotFound("session")
				e.Field = "sessionId"
				return e
			}
			return err
		}
		if !sess.IsParticipant(me) {
			// Staff may see the session but not review it; to anyone else it does not exist,
			// exactly as an unknown id.
			if actor.User.IsStaff() {
				return domain.Forbidden("only the session's participants can review it")
			}
			e := domain.NotFound("session")
			e.Field = "sessionId"
			return e
		}
		if sess.State != domain.SessionCompleted || sess.CompletedAt == nil {
			e := domain.Conflict("only completed sessions can be reviewed; this one is %s", sess.State)
			e.Details = map[string]any{"state": string(sess.State)}
			return e
		}
		now := s.now()
		if !now.Before(domain.ReviewRevealAt(*sess.CompletedAt)) {
			return domain.Conflict("the review window of this session has closed")
		}
		partner := sess.Partner(me)
		if out, err = q.InsertReview(ctx, domain.Review{
			ID: uuid.Must(uuid.NewV7()), SessionID: sess.ID, ReviewerID: me, RevieweeID: partner,
			Rating: in.Rating, Comment: comment, Tags: tags, CreatedAt: now,
		}); err != nil {
			if domain.IsKind(err, domain.KindConflict) {
				if de, ok := err.(*domain.Error); ok {
					de.Field = "sessionId"
				}
			}
			return err
		}
		n, err := q.CountSessionReviews(ctx, sess.ID)
		if err != nil {
			return err
		}
		if domain.ReviewVisible(n == 2, *sess.CompletedAt, now) {
			revealed, err := s.reveal(ctx, q, sess.ID, now)
			if err != nil {
				return err
			}
			for _, r := range revealed {
				if r.ID == out.ID {
					out = r
				}
			}
		} else if err := q.EnqueueJob(ctx, RevealArgs{SessionID: sess.ID},
			&river.InsertOpts{ScheduledAt: domain.ReviewRevealAt(*sess.CompletedAt)}); err != nil {
			return err
		}
		return s.notify(ctx, q, partner, NotifyReceived, Payload{SessionID: sess.ID, ReviewID: out.ID, Visible: out.Visible()})
	})
	if err != nil {
		return domain.Review{}, fmt.Errorf("submit review: %w", err)
	}
	return out, nil
}

// reveal makes a session's hidden reviews visible and adds them to the reviewees' aggregates,
// in the caller's transaction. Reviewees were notified when each review was written.
func (s *Service) reveal(ctx context.Context, q *store.Queries, sessionID uuid.UUID, now time.Time) ([]domain.Review, error) {
	revealed, err := q.RevealSessionReviews(ctx, sessionID, now)
	if err != nil {
		return nil, err
	}
	for _, r := range revealed {
		if err := q.AddRating(ctx, r.RevieweeID, r.Rating, now); err != nil {
			return nil, err
		}
	}
	return revealed, nil
}

// Reveal makes a session's reviews visible once its review window closed (the reveal job). It
// is idempotent: revealed reviews are not counted twice.
func (s *Service) Reveal(ctx context.Context, sessionID uuid.UUID) error {
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		sess, err := q.LockSkillSession(ctx, sessionID)
		if domain.IsKind(err, domain.KindNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		if sess.CompletedAt == nil || !domain.ReviewVisible(false, *sess.CompletedAt, now) {
			return nil
		}
		_, err = s.reveal(ctx, q, sessionID, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("reveal reviews: %w", err)
	}
	return nil
}

func (s *Service) notify(ctx context.Context, q *store.Queries, to uuid.UUID, typ string, p Payload) error {
	if s.notifier == nil {
		return nil
	}
	if err := s.notifier.Notify(ctx, q, to, typ, p); err != nil {
		return fmt.Errorf("notify %s: %w", typ, err)
	}
	return nil
}

// ForSession returns the reviews of a session the actor may read: visible ones, and their own.
func (s *Service) ForSession(ctx context.Context, actor domain.Actor, sessionID uuid.UUID) ([]domain.Review, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	all, err := s.store.Q().ReviewsBySessionIDs(ctx, actor.ID(), []uuid.UUID{sessionID})
	if err != nil {
		return nil, fmt.Errorf("session reviews: %w", err)
	}
	return all[sessionID], nil
}

// ReceivedCursor is the cursor kind of a member's received reviews (keyed by review id);
// clients hold cursors made with it, so it never changes.
const ReceivedCursor = "reviewsReceived"

// Received pages through the visible reviews a member received, newest first. Visible reviews
// are public to signed-in members, as the rating they make up.
func (s *Service) Received(ctx context.Context, actor domain.Actor, userID uuid.UUID, page relay.Page[uuid.UUID]) (relay.Connection[domain.Review], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.Review]{}, err
	}
	rows, err := s.store.Q().ReviewsReceived(ctx, userID, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.Review]{}, fmt.Errorf("reviews received: %w", err)
	}
	return relay.Paginate(ReceivedCursor, page, rows, func(r domain.Review) uuid.UUID { return r.ID }), nil
}

// Rating returns a member's rating aggregate (the prior for members never reviewed).
func (s *Service) Rating(ctx context.Context, userID uuid.UUID) (domain.MemberRating, error) {
	all, err := s.store.Q().RatingsByUserIDs(ctx, []uuid.UUID{userID})
	if err != nil {
		return domain.MemberRating{}, fmt.Errorf("rating: %w", err)
	}
	if r, ok := all[userID]; ok {
		return r, nil
	}
	return domain.EmptyRating(userID), nil
}

// ReportInput reports a review to moderators.
type ReportInput struct {
	ReviewID uuid.UUID
	Reason   domain.ReviewReportReason
	Note     string
}

// Report sends a visible review to moderation (once per member and review). Members cannot
// report their own reviews, nor reviews they cannot see.
func (s *Service) Report(ctx context.Context, actor domain.Actor, in ReportInput) (domain.ReviewReport, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.ReviewReport{}, err
	}
	if !in.Reason.Valid() {
		return domain.ReviewReport{}, domain.Invalid("reason", "unknown reason")
	}
	note, err := domain.ValidateText("note", in.Note, 1000)
	if err != nil {
		return domain.ReviewReport{}, err
	}
	q := s.store.Q()
	r, err := q.ReviewByID(ctx, in.ReviewID)
	if err != nil || !r.Visible() {
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return domain.ReviewReport{}, fmt.Errorf("report review: %w", err)
		}
		e := domain.NotFound("review")
		e.Field = "reviewId"
		return domain.ReviewReport{}, e
	}
	if r.ReviewerID == actor.ID() {
		return domain.ReviewReport{}, domain.Invalid("reviewId", "you cannot report your own review")
	}
	var out domain.ReviewReport
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		out, err = q.InsertReviewReport(ctx, domain.ReviewReport{
			ID: uuid.Must(uuid.NewV7()), ReviewID: r.ID, ReporterID: actor.ID(), Reason: in.Reason, Note: note, CreatedAt: s.now(),
		})
		if err != nil || s.reports == nil {
			return err
		}
		_, err = s.reports.ReportInTx(ctx, q, actor, moderation.ReportInput{
			TargetType: domain.TargetReview, TargetID: r.ID, Category: domain.CategoryOfReviewReason(in.Reason),
			Text: note, ReviewReportID: &out.ID,
		})
		return err
	})
	if err != nil {
		if domain.IsKind(err, domain.KindConflict) {
			return domain.ReviewReport{}, err
		}
		return domain.ReviewReport{}, fmt.Errorf("report review: %w", err)
	}
	return out, nil
}

// OpenReportsCursor is the cursor kind of the moderation queue (keyed by report id); clients
// hold cursors made with it, so it never changes.
const OpenReportsCursor = "reviewReports"

// OpenReports pages through reports awaiting moderation, oldest first (MODERATOR only).
func (s *Service) OpenReports(ctx context.Context, actor domain.Actor, page relay.Page[uuid.UUID]) (relay.Connection[domain.ReviewReport], error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return relay.Connection[domain.ReviewReport]{}, err
	}
	rows, err := s.store.Q().OpenReviewReports(ctx, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.ReviewReport]{}, fmt.Errorf("review reports: %w", err)
	}
	return relay.Paginate(OpenReportsCursor, page, rows, func(r domain.ReviewReport) uuid.UUID { return r.ID }), nil
}

// ReviewReport returns one report of a review; MODERATOR only.
func (s *Service) ReviewReport(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.ReviewReport, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return domain.ReviewReport{}, err
	}
	rep, err := s.store.Q().ReviewReportByID(ctx, id)
	if err != nil {
		return domain.ReviewReport{}, fmt.Errorf("review report: %w", err)
	}
	return rep, nil
}
