// Package skillsessions runs the lifecycle of skill sessions (teaching sessions between two members):
// proposals and counter-proposals, acceptance with no double booking, cancellation, completion
// (by both sides, or automatically), no-shows, reminders and the upcoming/past lists. The rules
// themselves are pure and live in domain (domain.SkillSession); this package loads, locks, applies
// and persists them, each write in one transaction.
//
// Methods that act for a member take the domain.Actor right after the context (the service
// never reads the viewer from the context); system operations (AutoComplete, SendReminder,
// CancelUnpaid, the job workers) act for nobody and take explicit ids. Lists take a
// relay.Page and return a relay.Connection.
package skillsessions

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Ledger is the time-credit side of sessions; *credits.Service implements it. Both methods run
// inside the caller's transaction.
type Ledger interface {
	// EnsureCanCommit refuses (CONFLICT) when the learner cannot commit minutes more.
	EnsureCanCommit(ctx context.Context, q *store.Queries, learnerID uuid.UUID, minutes int64, except uuid.UUID) error
	// SettleSession moves a completed unpaid session's minutes from learner to teacher.
	SettleSession(ctx context.Context, q *store.Queries, s domain.SkillSession) error
}

// Notifier turns session events into member notifications, inside the transaction of the
// event (the notifications service implements it). It may be nil: nothing is notified then.
type Notifier interface {
	Notify(ctx context.Context, q *store.Queries, userID uuid.UUID, typ string, payload any) error
}

// Notification types sent to members.
const (
	NotifyProposed          = "SESSION_PROPOSED"
	NotifyNewTimeProposed   = "SESSION_NEW_TIME_PROPOSED"
	NotifyConfirmed         = "SESSION_CONFIRMED"
	NotifyDeclined          = "SESSION_DECLINED"
	NotifyCancelled         = "SESSION_CANCELLED"
	NotifyCompletionAwaited = "SESSION_COMPLETION_CONFIRMED_BY_PARTNER"
	NotifyCompleted         = "SESSION_COMPLETED"
	NotifyNoShowReported    = "SESSION_NO_SHOW_REPORTED"
	NotifyProblemReported   = "SESSION_PROBLEM_REPORTED"
	NotifyReminder          = "SESSION_REMINDER"
)

// Payload is the data of every session notification.
type Payload struct {
	SessionID uuid.UUID                `json:"sessionId"`
	State     domain.SkillSessionState `json:"state"`
	StartsAt  time.Time                `json:"startsAt"`
	// ActorID is the member whose action caused the notification (absent for reminders and
	// automatic completion).
	ActorID *uuid.UUID `json:"actorId,omitempty"`
	// MinutesBefore is set on reminders.
	MinutesBefore int `json:"minutesBefore,omitempty"`
}

// Config tunes scheduling.
type Config struct {
	// Policy holds the domain rules (minimum notice, maximum duration, late-cancellation
	// cut-off, auto-completion delay); zero fields take domain.DefaultSessionPolicy's.
	Policy domain.SkillSessionPolicy
	// Buffer is the minimum gap between two confirmed sessions of one person (default 15 min).
	Buffer time.Duration
	// ReminderOffsets are how long before the start reminders go out (default 24 h and 1 h).
	ReminderOffsets []time.Duration
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
	// OnChange, when set, runs inside the transaction of every change of a session made
	// through an action (accept, cancel, complete, no-show...) and of automatic completion,
	// with the session as written; the payments saga enqueues its steps there.
	OnChange func(ctx context.Context, q *store.Queries, sess domain.SkillSession) error
	// BookPaid, when set, makes a session just proposed with ProposeInput.Paid a paid one
	// inside the proposal's transaction and returns it with its price
	// ((*payments.Service).Book). Without it, paid proposals are refused (UNAVAILABLE).
	BookPaid func(ctx context.Context, q *store.Queries, sess domain.SkillSession) (domain.SkillSession, error)
	// CheckNewTime, when set, vets a new time of a session inside the transaction that puts
	// it on the table ((*payments.Service).CheckNewTime: a paid session keeps its length).
	CheckNewTime func(ctx context.Context, q *store.Queries, before, after domain.SkillSession) error
	// Unverified says whether members whose email is not verified may propose sessions (action
	// BOOK); by default they may not.
	Unverified domain.UnverifiedPolicy
	// Limits, when set, refuses proposals from a member a moderator limited
	// (moderation.Service implements it).
	Limits Limits
}

// Limits tells whether a member may propose sessions (a moderator's LIMIT refuses it).
type Limits interface {
	// RequireNotLimited returns a FORBIDDEN domain error while the member is limited.
	RequireNotLimited(ctx context.Context, userID uuid.UUID) error
}

// Service implements skill sessions.
type Service struct {
	store    *store.Store
	ledger   Ledger
	notifier Notifier
	cfg      Config
	log      *slog.Logger
}

// NewService wires the service. ledger may be nil (no time credits: nothing is checked or
// paid); notifier may be nil.
func NewService(st *store.Store, ledger Ledger, notifier Notifier, cfg Config, log *slog.Logger) *Service {
	def := domain.DefaultSkillSessionPolicy
	if cfg.Policy.MinNotice == 0 {
		cfg.Policy.MinNotice = def.MinNotice
	}
	if cfg.Policy.MaxDuration == 0 {
		cfg.Policy.MaxDuration = def.MaxDuration
	}
	if cfg.Policy.MaxAdvance == 0 {
		cfg.Policy.MaxAdvance = def.MaxAdvance
	}
	if cfg.Policy.LateCancelCutoff == 0 {
		cfg.Policy.LateCancelCutoff = def.LateCancelCutoff
	}
	if cfg.Policy.AutoCompleteAfter == 0 {
		cfg.Policy.AutoCompleteAfter = def.AutoCompleteAfter
	}
	if cfg.Buffer == 0 {
		cfg.Buffer = 15 * time.Minute
	}
	if cfg.Buffer < 0 {
		cfg.Buffer = 0
	}
	if cfg.ReminderOffsets == nil {
		cfg.ReminderOffsets = []time.Duration{24 * time.Hour, time.Hour}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: st, ledger: ledger, notifier: notifier, cfg: cfg, log: log}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// ProposeInput is a new session proposal.
type ProposeInput struct {
	SkillID         uuid.UUID
	TeacherID       uuid.UUID
	LearnerID       uuid.UUID
	StartsAt        time.Time
	DurationMinutes int
	Mode            domain.Mode
	Link            string
	Place           string
	Note            string
	// Paid makes it a paid session: the learner pays the mentor's hourly price instead of
	// time credits (see Config.BookPaid).
	Paid bool
}

// Result is a written session with advice for the caller.
type Result struct {
	Session domain.SkillSession
	// Warnings never prevent the write: for example the time is outside the partner's weekly
	// availability.
	Warnings []domain.Warning
}

// Propose puts a session on the table; the actor must be its teacher or its learner, and the
// partner answers. The learner must have the time credits (unpaid sessions), neither side may be
// booked at that time, and a time outside the partner's weekly availability yields a warning.
func (s *Service) Propose(ctx context.Context, actor domain.Actor, in ProposeInput) (Result, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return Result{}, err
	}
	if err := s.cfg.Unverified.Require(actor, domain.UnverifiedBook); err != nil {
		return Result{}, err
	}
	if s.cfg.Limits != nil {
		if err := s.cfg.Limits.RequireNotLimited(ctx, actor.ID()); err != nil {
			return Result{}, err
		}
	}
	me := actor.ID()
	if me != in.TeacherID && me != in.LearnerID {
		return Result{}, domain.Forbidden("you can only propose sessions you take part in, as teacher or learner")
	}
	if in.TeacherID == in.LearnerID {
		return Result{}, domain.Invalid("learnerId", "teacher and learner must be two different members")
	}
	if in.Paid && s.cfg.BookPaid == nil {
		return Result{}, domain.Unavailable("paid sessions are disabled on this server")
	}
	now := s.now()
	if err := s.cfg.Policy.ValidateSchedule(in.StartsAt, in.DurationMinutes, now); err != nil {
		return Result{}, err
	}
	link, place, err := domain.SkillSessionPlace{Mode: in.Mode, Link: in.Link, Place: in.Place}.Validate()
	if err != nil {
		return Result{}, err
	}
	note, err := domain.ValidateText(domain.FieldNote, in.Note, 1000)
	if err != nil {
		return Result{}, err
	}
	partner := in.TeacherID
	partnerField := "teacherId"
	if me == in.TeacherID {
		partner, partnerField = in.LearnerID, "learnerId"
	}
	start := in.StartsAt.UTC().Truncate(time.Microsecond)
	sess := domain.SkillSession{
		ID: uuid.Must(uuid.NewV7()), SkillID: in.SkillID, TeacherID: in.TeacherID, LearnerID: in.LearnerID,
		CreatedBy: me, ProposerID: me, StartsAt: start, DurationMinutes: in.DurationMinutes,
		EndsAt: start.Add(time.Duration(in.DurationMinutes) * time.Minute), Mode: in.Mode, Link: link, Place: place,
		Note: note, State: domain.SessionProposed, CreatedAt: now, UpdatedAt: now,
	}
	var res Result
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if err := checkPartner(ctx, q, me, partner, partnerField); err != nil {
			return err
		}
		skills, err := q.SkillsByIDs(ctx, []uuid.UUID{in.SkillID})
		if err != nil {
			return err
		}
		if sk, ok := skills[in.SkillID]; !ok || sk.Status != domain.SkillApproved {
			e := domain.NotFound("skill")
			e.Field = "skillId"
			return e
		}
		if !in.Paid {
			if err := s.checkCredits(ctx, q, sess); err != nil {
				return err
			}
		}
		if err := s.checkFree(ctx, q, sess); err != nil {
			return err
		}
		if res.Session, err = q.InsertSkillSession(ctx, sess); err != nil {
			return err
		}
		if in.Paid {
			if res.Session, err = s.cfg.BookPaid(ctx, q, res.Session); err != nil {
				return err
			}
		}
		if res.Warnings, err = s.availabilityWarnings(ctx, q, partner, sess); err != nil {
			return err
		}
		return s.notify(ctx, q, partner, NotifyProposed, res.Session, &me)
	})
	if err != nil {
		return Result{}, fmt.Errorf("propose session: %w", err)
	}
	return res, nil
}

// checkPartner refuses a partner who does not exist, is suspended, or is blocked either way
// (NOT_FOUND: a blocked member must not learn they are blocked).
func checkPartner(ctx context.Context, q *store.Queries, me, partner uuid.UUID, field string) error {
	users, err := q.UsersByIDs(ctx, []uuid.UUID{partner})
	if err != nil {
		return err
	}
	u, ok := users[partner]
	blocked, err := q.BlockedIDs(ctx, me)
	if err != nil {
		return err
	}
	if !ok || u.Status != domain.UserActive || slices.Contains(blocked, partner) {
		e := domain.NotFound("member")
		e.Field = field
		return e
	}
	return nil
}

func (s *Service) checkCredits(ctx context.Context, q *store.Queries, sess domain.SkillSession) error {
	if s.ledger == nil || sess.Paid() {
		return nil
	}
	return s.ledger.EnsureCanCommit(ctx, q, sess.LearnerID, int64(sess.DurationMinutes), sess.ID)
}

// checkFree refuses a time at which either participant already has a confirmed session (with
// the buffer). It is advice at proposal time; the exclusion constraint decides at acceptance.
func (s *Service) checkFree(ctx context.Context, q *store.Queries, sess domain.SkillSession) error {
	busy, err := q.BookingOverlaps(ctx, []uuid.UUID{sess.TeacherID, sess.LearnerID}, sess.StartsAt, sess.EndsAt, s.cfg.Buffer, sess.ID)
	if err != nil {
		return err
	}
	if busy {
		e := domain.Conflict("you or your partner already have a confirmed session at that time")
		e.Field = domain.FieldStartsAt
		e.Details = map[string]any{"reason": "OVERLAP"}
		return e
	}
	return nil
}

func (s *Service) availabilityWarnings(ctx context.Context, q *store.Queries, partner uuid.UUID, sess domain.SkillSession) ([]domain.Warning, error) {
	slots, err := q.SlotsByUserIDs(ctx, []uuid.UUID{partner})
	if err != nil {
		return nil, err
	}
	if len(slots[partner]) == 0 {
		return nil, nil
	}
	profiles, err := q.ProfilesByUserIDs(ctx, []uuid.UUID{partner})
	if err != nil {
		return nil, err
	}
	zone := "UTC"
	if p, ok := profiles[partner]; ok {
		zone = p.TimeZone
	}
	return domain.AvailabilityWarnings(slots[partner], zone, sess.StartsAt, sess.Duration()), nil
}

// act runs one action on a session in a transaction: lock the row, check the actor takes
// part, apply fn (domain rules and side effects), persist. It returns the session as saved.
func (s *Service) act(ctx context.Context, actor domain.Actor, what string, id uuid.UUID, fn func(q *store.Queries, me uuid.UUID, sess *domain.SkillSession, now time.Time) error) (domain.SkillSession, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.SkillSession{}, err
	}
	me := actor.ID()
	var out domain.SkillSession
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		sess, err := q.LockSkillSession(ctx, id)
		if err != nil {
			return err
		}
		if !sess.IsParticipant(me) {
			// Staff may see the session (Session) but not act on it; to anyone else it does not
			// exist, exactly as an unknown id.
			if actor.User.IsStaff() {
				return domain.Forbidden("only the session's teacher and learner can do this")
			}
			return domain.NotFound("session")
		}
		now := s.now()
		if err := fn(q, me, &sess, now); err != nil {
			return err
		}
		if out, err = q.UpdateSkillSession(ctx, sess, now); err != nil {
			return err
		}
		return s.changed(ctx, q, out)
	})
	if err != nil {
		return domain.SkillSession{}, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// changed runs the OnChange hook, if any.
func (s *Service) changed(ctx context.Context, q *store.Queries, sess domain.SkillSession) error {
	if s.cfg.OnChange == nil {
		return nil
	}
	if err := s.cfg.OnChange(ctx, q, sess); err != nil {
		return fmt.Errorf("session change hook: %w", err)
	}
	return nil
}

// Accept confirms the proposal on the table (the partner of its proposer only). The time is
// booked for both participants: when it overlaps another confirmed session of either (even one
// confirmed concurrently) the answer is CONFLICT. Reminders and the automatic completion are
// scheduled in the same transaction.
func (s *Service) Accept(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.SkillSession, error) {
	return s.act(ctx, actor, "accept session", id, func(q *store.Queries, me uuid.UUID, sess *domain.SkillSession, now time.Time) error {
		if err := sess.Accept(me, now); err != nil {
			return err
		}
		if err := s.checkCredits(ctx, q, *sess); err != nil {
			return err
		}
		if err := q.BookSession(ctx, *sess, s.cfg.Buffer); err != nil {
			return err
		}
		if err := s.scheduleJobs(ctx, q, *sess, now); err != nil {
			return err
		}
		return s.notify(ctx, q, sess.Partner(me), NotifyConfirmed, *sess, &me)
	})
}

// scheduleJobs queues the reminders still ahead and the automatic completion of a session just
// confirmed. They carry its booking sequence: once the session is cancelled or rescheduled (and
// maybe confirmed again), they find the sequence moved on and do nothing.
func (s *Service) scheduleJobs(ctx context.Context, q *store.Queries, sess domain.SkillSession, now time.Time) error {
	for _, off := range s.cfg.ReminderOffsets {
		at := sess.StartsAt.Add(-off)
		if !at.After(now) {
			continue
		}
		args := ReminderArgs{SessionID: sess.ID, BookingSeq: sess.BookingSeq, MinutesBefore: int(off / time.Minute)}
		if err := q.EnqueueJob(ctx, args, &river.InsertOpts{ScheduledAt: at}); err != nil {
			return err
		}
	}
	return q.EnqueueJob(ctx, AutoCompleteArgs{SessionID: sess.ID, BookingSeq: sess.BookingSeq},
		&river.InsertOpts{ScheduledAt: sess.EndsAt.Add(s.cfg.Policy.AutoCompleteAfter)})
}

// Decline refuses the proposal on the table (the partner of its proposer only).
func (s *Service) Decline(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.SkillSession, error) {
	return s.act(ctx, actor, "decline session", id, func(q *store.Queries, me uuid.UUID, sess *domain.SkillSession, _ time.Time) error {
		if err := sess.Decline(me); err != nil {
			return err
		}
		return s.notify(ctx, q, sess.Partner(me), NotifyDeclined, *sess, &me)
	})
}

// NewTimeInput is a counter-proposal or a reschedule.
type NewTimeInput struct {
	SessionID       uuid.UUID
	StartsAt        time.Time
	DurationMinutes int
}

// ProposeNewTime puts a new time on the table: a counter-proposal of a proposed session, or a
// reschedule of a confirmed one (its booking is released, its reminders become void, and the
// partner must accept again).
func (s *Service) ProposeNewTime(ctx context.Context, actor domain.Actor, in NewTimeInput) (Result, error) {
	var warnings []domain.Warning
	sess, err := s.act(ctx, actor, "propose new time", in.SessionID, func(q *store.Queries, me uuid.UUID, sess *domain.SkillSession, now time.Time) error {
		wasConfirmed := sess.State == domain.SessionConfirmed
		before := *sess
		if err := sess.ProposeNewTime(me, in.StartsAt.UTC().Truncate(time.Microsecond), in.DurationMinutes, now, s.cfg.Policy); err != nil {
			return err
		}
		if s.cfg.CheckNewTime != nil {
			if err := s.cfg.CheckNewTime(ctx, q, before, *sess); err != nil {
				return err
			}
		}
		if wasConfirmed {
			if err := q.ReleaseSession(ctx, sess.ID); err != nil {
				return err
			}
		}
		if err := s.checkCredits(ctx, q, *sess); err != nil {
			return err
		}
		if err := s.checkFree(ctx, q, *sess); err != nil {
			return err
		}
		if err := q.InsertSessionProposal(ctx, domain.SessionProposal{
			ID: uuid.Must(uuid.NewV7()), SessionID: sess.ID, ProposerID: me, StartsAt: sess.StartsAt,
			DurationMinutes: sess.DurationMinutes, CreatedAt: now,
		}); err != nil {
			return err
		}
		partner := sess.Partner(me)
		var err error
		if warnings, err = s.availabilityWarnings(ctx, q, partner, *sess); err != nil {
			return err
		}
		return s.notify(ctx, q, partner, NotifyNewTimeProposed, *sess, &me)
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Session: sess, Warnings: warnings}, nil
}

// Cancel calls a proposed or confirmed session off before it starts. Cancelling a confirmed
// session inside the late-cancellation cut-off is recorded as late (it counts against the
// canceller's reliability).
func (s *Service) Cancel(ctx context.Context, actor domain.Actor, id uuid.UUID, reason string) (domain.SkillSession, error) {
	return s.act(ctx, actor, "cancel session", id, func(q *store.Queries, me uuid.UUID, sess *domain.SkillSession, now time.Time) error {
		wasConfirmed := sess.State == domain.SessionConfirmed
		if err := sess.Cancel(me, reason, now, s.cfg.Policy); err != nil {
			return err
		}
		if wasConfirmed {
			if err := q.ReleaseSession(ctx, sess.ID); err != nil {
				return err
			}
		}
		return s.notify(ctx, q, sess.Partner(me), NotifyCancelled, *sess, &me)
	})
}

// CancelAllFor cancels, as the member, every proposed or confirmed session of theirs that has not
// started: their account is about to be erased (package erasure). Each goes through Cancel, so
// bookings are released, payments follow (OnChange) and partners are notified. It returns how
// many it cancelled; a session that changed meanwhile (started, cancelled) is skipped.
func (s *Service) CancelAllFor(ctx context.Context, userID uuid.UUID, reason string) (int, error) {
	ids, err := s.store.Q().OpenSkillSessionIDs(ctx, userID, s.now())
	if err != nil {
		return 0, fmt.Errorf("cancel sessions of %s: %w", userID, err)
	}
	actor := domain.Actor{User: domain.User{ID: userID, Roles: []domain.Role{domain.RoleMember}, Status: domain.UserActive}}
	n := 0
	for _, id := range ids {
		if _, err := s.Cancel(ctx, actor, id, reason); err != nil {
			if domain.IsKind(err, domain.KindConflict) || domain.IsKind(err, domain.KindInvalid) {
				continue
			}
			return n, err
		}
		n++
	}
	return n, nil
}

// CancelUnpaid cancels, inside the caller's transaction, a proposed or confirmed paid session
// whose payment authorisation was cancelled or expired, releasing its booking; the learner
// (the payer) is recorded as the canceller, without a late-cancellation mark, and both
// participants are notified. A session in another state, or already started, is left alone
// (it reports false).
func (s *Service) CancelUnpaid(ctx context.Context, q *store.Queries, id uuid.UUID, reason string) (bool, error) {
	sess, err := q.LockSkillSession(ctx, id)
	if err != nil {
		return false, fmt.Errorf("cancel unpaid session: %w", err)
	}
	if sess.State != domain.SessionProposed && sess.State != domain.SessionConfirmed {
		return false, nil
	}
	wasConfirmed := sess.State == domain.SessionConfirmed
	now := s.now()
	if err := sess.Cancel(sess.LearnerID, reason, now, s.cfg.Policy); err != nil {
		if domain.IsKind(err, domain.KindConflict) {
			return false, nil
		}
		return false, fmt.Errorf("cancel unpaid session: %w", err)
	}
	sess.LateCancellation = false
	if wasConfirmed {
		if err := q.ReleaseSession(ctx, sess.ID); err != nil {
			return false, fmt.Errorf("cancel unpaid session: %w", err)
		}
	}
	if sess, err = q.UpdateSkillSession(ctx, sess, now); err != nil {
		return false, fmt.Errorf("cancel unpaid session: %w", err)
	}
	for _, u := range []uuid.UUID{sess.TeacherID, sess.LearnerID} {
		if err := s.notify(ctx, q, u, NotifyCancelled, sess, nil); err != nil {
			return false, err
		}
	}
	return true, nil
}

// ConfirmCompleted records that the actor confirms the session took place; with both sides'
// confirmations it completes, and an unpaid session's minutes move from learner to teacher in
// the same transaction.
func (s *Service) ConfirmCompleted(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.SkillSession, error) {
	return s.act(ctx, actor, "confirm session completed", id, func(q *store.Queries, me uuid.UUID, sess *domain.SkillSession, now time.Time) error {
		done, err := sess.ConfirmCompleted(me, now)
		if err != nil {
			return err
		}
		if !done {
			return s.notify(ctx, q, sess.Partner(me), NotifyCompletionAwaited, *sess, &me)
		}
		return s.complete(ctx, q, *sess, &me)
	})
}

func (s *Service) complete(ctx context.Context, q *store.Queries, sess domain.SkillSession, actor *uuid.UUID) error {
	if s.ledger != nil {
		if err := s.ledger.SettleSession(ctx, q, sess); err != nil {
			return err
		}
	}
	for _, u := range []uuid.UUID{sess.TeacherID, sess.LearnerID} {
		if err := s.notify(ctx, q, u, NotifyCompleted, sess, actor); err != nil {
			return err
		}
	}
	return nil
}

// ReportNoShow records that the actor's partner did not come to a confirmed session that has
// started. It ends the session (no credits move) and counts against the absent member.
func (s *Service) ReportNoShow(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.SkillSession, error) {
	return s.act(ctx, actor, "report no-show", id, func(q *store.Queries, me uuid.UUID, sess *domain.SkillSession, now time.Time) error {
		if err := sess.ReportNoShow(me, now); err != nil {
			return err
		}
		if err := q.ReleaseSession(ctx, sess.ID); err != nil {
			return err
		}
		return s.notify(ctx, q, sess.Partner(me), NotifyNoShowReported, *sess, &me)
	})
}

// ReportProblem flags a started session for support; it will not complete automatically.
func (s *Service) ReportProblem(ctx context.Context, actor domain.Actor, id uuid.UUID, note string) (domain.SkillSession, error) {
	return s.act(ctx, actor, "report session problem", id, func(q *store.Queries, me uuid.UUID, sess *domain.SkillSession, now time.Time) error {
		if err := sess.ReportProblem(me, note, now); err != nil {
			return err
		}
		return s.notify(ctx, q, sess.Partner(me), NotifyProblemReported, *sess, &me)
	})
}

// AutoComplete completes a confirmed session the policy's delay after its end when no problem
// was reported. It does nothing (and reports false) when the session is no longer the
// confirmation the job was scheduled for, or a problem was reported.
func (s *Service) AutoComplete(ctx context.Context, id uuid.UUID, bookingSeq int) (bool, error) {
	var done bool
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		sess, err := q.LockSkillSession(ctx, id)
		if domain.IsKind(err, domain.KindNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if sess.State != domain.SessionConfirmed || sess.BookingSeq != bookingSeq || sess.ProblemReportedAt != nil {
			return nil
		}
		now := s.now()
		if err := sess.AutoComplete(now, s.cfg.Policy); err != nil {
			return err
		}
		if sess, err = q.UpdateSkillSession(ctx, sess, now); err != nil {
			return err
		}
		done = true
		if err := s.changed(ctx, q, sess); err != nil {
			return err
		}
		return s.complete(ctx, q, sess, nil)
	})
	if err != nil {
		return false, fmt.Errorf("auto-complete session: %w", err)
	}
	return done, nil
}

// SendReminder notifies both participants that a session starts in minutesBefore minutes. It
// does nothing (and reports false) when the session was cancelled or rescheduled since the
// reminder was scheduled (its booking sequence moved on).
func (s *Service) SendReminder(ctx context.Context, id uuid.UUID, bookingSeq, minutesBefore int) (bool, error) {
	var sent bool
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		all, err := q.SkillSessionsByIDs(ctx, []uuid.UUID{id})
		if err != nil {
			return err
		}
		sess, ok := all[id]
		if !ok || sess.State != domain.SessionConfirmed || sess.BookingSeq != bookingSeq || !sess.StartsAt.After(s.now()) {
			return nil
		}
		for _, u := range []uuid.UUID{sess.TeacherID, sess.LearnerID} {
			if err := s.notifyPayload(ctx, q, u, NotifyReminder, Payload{
				SessionID: sess.ID, State: sess.State, StartsAt: sess.StartsAt, MinutesBefore: minutesBefore,
			}); err != nil {
				return err
			}
		}
		sent = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("session reminder: %w", err)
	}
	return sent, nil
}

func (s *Service) notify(ctx context.Context, q *store.Queries, to uuid.UUID, typ string, sess domain.SkillSession, actor *uuid.UUID) error {
	return s.notifyPayload(ctx, q, to, typ, Payload{SessionID: sess.ID, State: sess.State, StartsAt: sess.StartsAt, ActorID: actor})
}

func (s *Service) notifyPayload(ctx context.Context, q *store.Queries, to uuid.UUID, typ string, p Payload) error {
	if s.notifier == nil {
		return nil
	}
	if err := s.notifier.Notify(ctx, q, to, typ, p); err != nil {
		return fmt.Errorf("notify %s: %w", typ, err)
	}
	return nil
}

// Session returns a session its participants (or staff) may see; others get NOT_FOUND.
func (s *Service) Session(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.SkillSession, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.SkillSession{}, err
	}
	all, err := s.store.Q().SkillSessionsByIDs(ctx, []uuid.UUID{id})
	if err != nil {
		return domain.SkillSession{}, fmt.Errorf("session: %w", err)
	}
	sess, ok := all[id]
	if !ok || !(sess.IsParticipant(actor.ID()) || actor.User.IsStaff()) {
		return domain.SkillSession{}, domain.NotFound("session")
	}
	return sess, nil
}

// Proposals returns the proposal history of a session the actor takes part in (or staff).
func (s *Service) Proposals(ctx context.Context, actor domain.Actor, id uuid.UUID) ([]domain.SessionProposal, error) {
	if _, err := s.Session(ctx, actor, id); err != nil {
		return nil, err
	}
	out, err := s.store.Q().SessionProposals(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("session proposals: %w", err)
	}
	return out, nil
}

// Cursor kinds of the session lists; clients hold cursors made with them, so they never change.
const (
	UpcomingCursor = "upcomingSessions"
	PastCursor     = "pastSessions"
)

// Key is the keyset position of the session lists: start time, then id.
type Key = store.SkillSessionKey

func sessionKey(s domain.SkillSession) Key {
	return Key{StartsAt: s.StartsAt, ID: s.ID}
}

// Upcoming pages through the actor's proposed and confirmed sessions not yet ended, soonest
// first (cursors of kind UpcomingCursor).
func (s *Service) Upcoming(ctx context.Context, actor domain.Actor, page relay.Page[Key]) (relay.Connection[domain.SkillSession], error) {
	return s.list(ctx, actor, UpcomingCursor, page, (*store.Queries).UpcomingSkillSessions)
}

// Past pages through the actor's other sessions (ended, declined, cancelled, completed,
// no-show), latest first (cursors of kind PastCursor).
func (s *Service) Past(ctx context.Context, actor domain.Actor, page relay.Page[Key]) (relay.Connection[domain.SkillSession], error) {
	return s.list(ctx, actor, PastCursor, page, (*store.Queries).PastSkillSessions)
}

func (s *Service) list(ctx context.Context, actor domain.Actor, kind string, page relay.Page[Key],
	fetch func(*store.Queries, context.Context, uuid.UUID, time.Time, *Key, int) ([]domain.SkillSession, error)) (relay.Connection[domain.SkillSession], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.SkillSession]{}, err
	}
	rows, err := fetch(s.store.Q(), ctx, actor.ID(), s.now(), page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.SkillSession]{}, fmt.Errorf("%s: %w", kind, err)
	}
	return relay.Paginate(kind, page, rows, sessionKey), nil
}
