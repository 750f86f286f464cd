// Package moderation owns trust and safety's reports and moderation queue (issue 16 items 1
// and 2): members report a member, a message, a review or a skill proposal; the target is
// snapshotted at report time; reports on one target group into one case, which moderators
// claim, annotate and decide with a statement of reasons the affected member can read.
package moderation

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Notifier tells members about their reports inside the caller's transaction; the
// notifications service implements it.
type Notifier interface {
	Notify(ctx context.Context, q *store.Queries, userID uuid.UUID, typ domain.NotificationType, payload any) (*domain.Notification, error)
}

// Config tunes the service.
type Config struct {
	// Limiter throttles reports per member (nil: no throttle).
	Limiter ratelimit.Limiter
	// ReportRate is how many reports one member may file (zero: 20 per hour, plenty for a
	// genuine member and a brake on flooding moderators).
	ReportRate ratelimit.Rate
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Safeguards act on reported content before a decision (see safeguards.go).
	Safeguards Safeguards
	// Seams are what sanctions do through other capabilities.
	Seams Seams
	// AppealLinkKey signs the single-purpose appeal links of sanction emails (a suspended
	// member cannot sign in to appeal); at least 32 bytes. Empty: emails carry no link.
	AppealLinkKey []byte
	// PublicURL is the server's public URL, the base of appeal links.
	PublicURL string
}

// Service is the moderation capability.
type Service struct {
	store    *store.Store
	notifier Notifier
	limiter  ratelimit.Limiter
	rate     ratelimit.Rate
	now      func() time.Time
	log      *slog.Logger

	safeguards Safeguards
	seams      Seams
	linkKey    []byte
	baseURL    string
}

// NewService wires the service; notifier may be nil (no notices).
func NewService(st *store.Store, notifier Notifier, cfg Config, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if !cfg.ReportRate.Valid() {
		cfg.ReportRate = ratelimit.Rate{Events: 20, Period: time.Hour}
	}
	now := cfg.Now
	return &Service{store: st, notifier: notifier, limiter: cfg.Limiter, rate: cfg.ReportRate,
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }, log: log,
		safeguards: cfg.Safeguards.withDefaults(),
		seams:      cfg.Seams, linkKey: cfg.AppealLinkKey, baseURL: strings.TrimSuffix(cfg.PublicURL, "/")}
}

// ReportInput is what a member reports.
type ReportInput struct {
	TargetType domain.ReportTargetType
	TargetID   uuid.UUID
	Category   domain.ReportCategory
	Text       string
	// ReviewReportID links the report made through the deprecated reportReview.
	ReviewReportID *uuid.UUID
}

// Report files a report: NOT_FOUND (field targetId) when the reporter cannot see the target,
// exactly as for an unknown id; CONFLICT when they already reported it in its open case (a
// report is evidence and a reporter counts once, so a second one is refused rather than
// silently merged: the client can tell the member their report is already in).
func (s *Service) Report(ctx context.Context, actor domain.Actor, in ReportInput) (domain.ModerationReport, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.ModerationReport{}, err
	}
	if err := validate(in); err != nil {
		return domain.ModerationReport{}, err
	}
	text, err := domain.ValidateText("text", in.Text, 2000)
	if err != nil {
		return domain.ModerationReport{}, err
	}
	in.Text = text
	if s.limiter != nil {
		if err := ratelimit.Take(ctx, s.limiter, "report:user:"+actor.ID().String(), s.rate, 1); err != nil {
			return domain.ModerationReport{}, err
		}
	}
	var out domain.ModerationReport
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		out, err = s.ReportInTx(ctx, q, actor, in)
		return err
	})
	return out, err
}

func validate(in ReportInput) error {
	if !in.TargetType.Valid() {
		return domain.Invalid("targetType", "unknown target type")
	}
	if !in.Category.Valid() {
		return domain.Invalid("category", "unknown category")
	}
	return nil
}

// ReportInTx files a validated report inside the caller's transaction (reportReview uses it so
// its legacy row and the moderation report commit together).
func (s *Service) ReportInTx(ctx context.Context, q *store.Queries, actor domain.Actor, in ReportInput) (domain.ModerationReport, error) {
	if err := validate(in); err != nil {
		return domain.ModerationReport{}, err
	}
	subject, snap, err := q.ReportSnapshot(ctx, in.TargetType, in.TargetID, actor.ID())
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			e := domain.NotFound("target")
			e.Field = "targetId"
			return domain.ModerationReport{}, e
		}
		return domain.ModerationReport{}, fmt.Errorf("report: %w", err)
	}
	now := s.now()
	c, err := q.OpenCaseForTarget(ctx, domain.ModerationCase{
		ID: uuid.Must(uuid.NewV7()), TargetType: in.TargetType, TargetID: in.TargetID, SubjectID: &subject, CreatedAt: now,
	})
	if err != nil {
		return domain.ModerationReport{}, fmt.Errorf("report: %w", err)
	}
	r, err := q.InsertModerationReport(ctx, domain.ModerationReport{
		ID: uuid.Must(uuid.NewV7()), CaseID: c.ID, ReporterID: actor.ID(), Category: in.Category,
		Text: in.Text, Snapshot: snap, ReviewReportID: in.ReviewReportID, CreatedAt: now,
	})
	if err != nil {
		if domain.IsKind(err, domain.KindConflict) {
			return domain.ModerationReport{}, err
		}
		return domain.ModerationReport{}, fmt.Errorf("report: %w", err)
	}
	if err := s.afterReport(ctx, q, c); err != nil {
		return domain.ModerationReport{}, fmt.Errorf("report: %w", err)
	}
	if s.notifier != nil {
		if _, err := s.notifier.Notify(ctx, q, actor.ID(), domain.NotificationModerationReportReceived,
			domain.CaseReceivedPayload{CaseID: c.ID, ReportID: r.ID}); err != nil {
			return domain.ModerationReport{}, fmt.Errorf("report: notify: %w", err)
		}
	}
	return r, nil
}

// NotifyOutcome tells every reporter of a decided case its outcome, inside q's transaction.
// decideModerationCase calls it; the sanctions work calls it again when a sanction changes
// the outcome (one notice per call).
func (s *Service) NotifyOutcome(ctx context.Context, q *store.Queries, c domain.ModerationCase) error {
	if s.notifier == nil || c.Decision == nil {
		return nil
	}
	reporters, err := q.ReportersOfCase(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("notify outcome: %w", err)
	}
	for who, report := range reporters {
		if _, err := s.notifier.Notify(ctx, q, who, domain.NotificationModerationCaseDecided,
			domain.CaseReceivedPayload{CaseID: c.ID, ReportID: report, Decision: c.Decision}); err != nil {
			return fmt.Errorf("notify outcome: %w", err)
		}
	}
	return nil
}

// QueueCursor is the cursor kind of the moderation queue; clients hold cursors made with it.
const QueueCursor = "moderationCases"

// Queue pages through cases in priority order (MODERATOR).
func (s *Service) Queue(ctx context.Context, actor domain.Actor, f store.CaseFilter, assignedToMe bool, page relay.Page[store.CaseKey]) (relay.Connection[domain.ModerationCase], error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return relay.Connection[domain.ModerationCase]{}, err
	}
	if f.State == "" {
		f.State = domain.CaseOpen
	}
	if !f.State.Valid() {
		return relay.Connection[domain.ModerationCase]{}, domain.Invalid("filter.state", "unknown state")
	}
	if f.TargetType != nil && !f.TargetType.Valid() {
		return relay.Connection[domain.ModerationCase]{}, domain.Invalid("filter.targetType", "unknown target type")
	}
	if assignedToMe {
		me := actor.ID()
		f.AssigneeID = &me
	}
	rows, err := s.store.Q().ModerationQueue(ctx, f, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.ModerationCase]{}, fmt.Errorf("moderation queue: %w", err)
	}
	return relay.Paginate(QueueCursor, page, rows, store.KeyOfCase), nil
}

// CaseDetail is a case with what staff read on it.
type CaseDetail struct {
	Case    domain.ModerationCase
	Reports []domain.ModerationReport
	Notes   []domain.ModerationNote
}

// Case returns one case with its reports and notes (MODERATOR); NOT_FOUND for an unknown id.
func (s *Service) Case(ctx context.Context, actor domain.Actor, id uuid.UUID) (CaseDetail, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return CaseDetail{}, err
	}
	q := s.store.Q()
	c, err := q.ModerationCaseByID(ctx, id, false)
	if err != nil {
		return CaseDetail{}, caseErr(err)
	}
	d := CaseDetail{Case: c}
	if d.Reports, err = q.ReportsOfCase(ctx, id); err != nil {
		return CaseDetail{}, fmt.Errorf("moderation case: %w", err)
	}
	if d.Notes, err = q.NotesOfCase(ctx, id); err != nil {
		return CaseDetail{}, fmt.Errorf("moderation case: %w", err)
	}
	return d, nil
}

func caseErr(err error) error {
	if domain.IsKind(err, domain.KindNotFound) {
		e := domain.NotFound("moderation case")
		e.Field = "id"
		return e
	}
	return fmt.Errorf("moderation case: %w", err)
}

// Assign gives an undecided case to a moderator (to the actor themself when assignee is nil:
// claiming) and puts it IN_REVIEW; audited. CONFLICT once decided; the assignee must hold
// MODERATOR (field moderatorId).
func (s *Service) Assign(ctx context.Context, actor domain.Actor, caseID uuid.UUID, assignee *uuid.UUID) (domain.ModerationCase, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return domain.ModerationCase{}, err
	}
	to := actor.ID()
	if assignee != nil {
		to = *assignee
	}
	var out domain.ModerationCase
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		c, err := q.ModerationCaseByID(ctx, caseID, true)
		if err != nil {
			return caseErr(err)
		}
		if c.State == domain.CaseDecided {
			return domain.Conflict("the case is already decided")
		}
		if to != actor.ID() {
			users, err := q.UsersByIDs(ctx, []uuid.UUID{to})
			if err != nil {
				return fmt.Errorf("assign case: %w", err)
			}
			if u, ok := users[to]; !ok || !u.HasRole(domain.RoleModerator) {
				return domain.Invalid("moderatorId", "not a moderator")
			}
		}
		if out, err = q.AssignModerationCase(ctx, caseID, to, s.now()); err != nil {
			return fmt.Errorf("assign case: %w", err)
		}
		return s.audit(ctx, q, actor, "moderation.case.assign", caseID, map[string]any{"assignee": to, "previous": c.AssigneeID})
	})
	return out, err
}

// AddNote adds an internal note to a case (MODERATOR); audited.
func (s *Service) AddNote(ctx context.Context, actor domain.Actor, caseID uuid.UUID, text string) (domain.ModerationNote, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return domain.ModerationNote{}, err
	}
	body, err := domain.ValidateText("text", text, 5000)
	if err != nil {
		return domain.ModerationNote{}, err
	}
	if body == "" {
		return domain.ModerationNote{}, domain.Invalid("text", "must not be empty")
	}
	var out domain.ModerationNote
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if _, err := q.ModerationCaseByID(ctx, caseID, true); err != nil {
			e := caseErr(err)
			if de, ok := e.(*domain.Error); ok {
				de.Field = "caseId"
			}
			return e
		}
		out, err = q.InsertModerationNote(ctx, domain.ModerationNote{
			ID: uuid.Must(uuid.NewV7()), CaseID: caseID, AuthorID: actor.ID(), Body: body, CreatedAt: s.now(),
		})
		if err != nil {
			return fmt.Errorf("add note: %w", err)
		}
		return s.audit(ctx, q, actor, "moderation.case.note", caseID, map[string]any{"note": out.ID})
	})
	return out, err
}

// DecideInput is a moderator's decision.
type DecideInput struct {
	CaseID             uuid.UUID
	Decision           domain.CaseDecision
	StatementOfReasons string
}

// Decide closes a case (MODERATOR): a statement of reasons is required for ACTION_TAKEN (the
// affected member reads it); reporters are told the outcome; audited. CONFLICT when already
// decided.
func (s *Service) Decide(ctx context.Context, actor domain.Actor, in DecideInput) (domain.ModerationCase, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return domain.ModerationCase{}, err
	}
	if !in.Decision.Valid() {
		return domain.ModerationCase{}, domain.Invalid("decision", "unknown decision")
	}
	reasons, err := domain.ValidateText("statementOfReasons", in.StatementOfReasons, 5000)
	if err != nil {
		return domain.ModerationCase{}, err
	}
	if in.Decision == domain.DecisionActionTaken && reasons == "" {
		return domain.ModerationCase{}, domain.Invalid("statementOfReasons", "required when action is taken")
	}
	var out domain.ModerationCase
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		c, err := q.ModerationCaseByID(ctx, in.CaseID, true)
		if err != nil {
			e := caseErr(err)
			if de, ok := e.(*domain.Error); ok {
				de.Field = "caseId"
			}
			return e
		}
		if c.State == domain.CaseDecided {
			return domain.Conflict("the case is already decided")
		}
		if out, err = q.DecideModerationCase(ctx, c.ID, actor.ID(), in.Decision, reasons, s.now()); err != nil {
			return fmt.Errorf("decide case: %w", err)
		}
		if err := s.audit(ctx, q, actor, "moderation.case.decide", c.ID, map[string]any{"decision": in.Decision}); err != nil {
			return err
		}
		if err := s.afterDecision(ctx, q, out); err != nil {
			return err
		}
		return s.NotifyOutcome(ctx, q, out)
	})
	return out, err
}

// DecisionsCursor is the cursor kind of viewer.moderationDecisions.
const DecisionsCursor = "moderationDecisions"

// DecisionsAboutMe pages through the decided cases about the actor, newest first: what they
// may read is the decision and its statement of reasons, never who reported.
func (s *Service) DecisionsAboutMe(ctx context.Context, actor domain.Actor, page relay.Page[uuid.UUID]) (relay.Connection[domain.ModerationCase], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.ModerationCase]{}, err
	}
	rows, err := s.store.Q().DecisionsAbout(ctx, actor.ID(), page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.ModerationCase]{}, fmt.Errorf("moderation decisions: %w", err)
	}
	return relay.Paginate(DecisionsCursor, page, rows, func(c domain.ModerationCase) uuid.UUID { return c.ID }), nil
}

// audit records a staff action in the caller's transaction. The lead reconciles with the one
// append-only audit log of i16-admin.
func (s *Service) audit(ctx context.Context, q *store.Queries, actor domain.Actor, action string, caseID uuid.UUID, details map[string]any) error {
	id := actor.ID()
	if err := q.InsertAuditLog(ctx, &id, action, "moderation_case:"+caseID.String(), details); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// CaseKey is the queue position a cursor of moderationCases holds.
type CaseKey = store.CaseKey

// CaseFilter narrows the moderation queue.
type CaseFilter = store.CaseFilter
