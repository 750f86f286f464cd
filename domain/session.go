package domain

import (
	"fmt"
	"net/url"
	"time"

	"github.com/google/uuid"
)

// SkillSessionState is where a skill session stands in its lifecycle.
type SkillSessionState string

// Skill session states. PROPOSED waits for the participant who did not make the proposal on the
// table; a counter-proposal (ActionProposeNewTime) keeps it PROPOSED and hands the answer to the
// other side. DECLINED, CANCELLED, COMPLETED and NO_SHOW are final.
const (
	SessionProposed  SkillSessionState = "PROPOSED"
	SessionConfirmed SkillSessionState = "CONFIRMED"
	SessionDeclined  SkillSessionState = "DECLINED"
	SessionCancelled SkillSessionState = "CANCELLED"
	SessionCompleted SkillSessionState = "COMPLETED"
	SessionNoShow    SkillSessionState = "NO_SHOW"
)

// AllSkillSessionStates lists every state, in lifecycle order.
var AllSkillSessionStates = []SkillSessionState{SessionProposed, SessionConfirmed, SessionDeclined, SessionCancelled, SessionCompleted, SessionNoShow}

// Final reports whether nothing can happen to a session in state s any more.
func (s SkillSessionState) Final() bool {
	return s == SessionDeclined || s == SessionCancelled || s == SessionCompleted || s == SessionNoShow
}

// SkillSessionAction is something a participant (or the system) does to a session.
type SkillSessionAction string

// Session actions.
const (
	ActionAccept           SkillSessionAction = "ACCEPT"
	ActionDecline          SkillSessionAction = "DECLINE"
	ActionProposeNewTime   SkillSessionAction = "PROPOSE_NEW_TIME"
	ActionCancel           SkillSessionAction = "CANCEL"
	ActionConfirmCompleted SkillSessionAction = "CONFIRM_COMPLETED"
	ActionAutoComplete     SkillSessionAction = "AUTO_COMPLETE"
	ActionReportNoShow     SkillSessionAction = "REPORT_NO_SHOW"
	ActionReportProblem    SkillSessionAction = "REPORT_PROBLEM"
)

// AllSkillSessionActions lists every action.
var AllSkillSessionActions = []SkillSessionAction{ActionAccept, ActionDecline, ActionProposeNewTime, ActionCancel,
	ActionConfirmCompleted, ActionAutoComplete, ActionReportNoShow, ActionReportProblem}

// sessionTransitions is the whole state machine: the state an action leads to from each state.
// A missing pair is a refused transition. ConfirmCompleted leads to COMPLETED once both sides
// confirmed; the first confirmation is recorded and the session stays CONFIRMED. ProposeNewTime
// on a CONFIRMED session is a reschedule: it needs a fresh acceptance.
var sessionTransitions = map[SkillSessionState]map[SkillSessionAction]SkillSessionState{
	SessionProposed: {
		ActionAccept:         SessionConfirmed,
		ActionDecline:        SessionDeclined,
		ActionProposeNewTime: SessionProposed,
		ActionCancel:         SessionCancelled,
	},
	SessionConfirmed: {
		ActionProposeNewTime:   SessionProposed,
		ActionCancel:           SessionCancelled,
		ActionConfirmCompleted: SessionCompleted,
		ActionAutoComplete:     SessionCompleted,
		ActionReportNoShow:     SessionNoShow,
		ActionReportProblem:    SessionConfirmed,
	},
}

// NextSkillSessionState looks an action up in the transition table. A refused transition is a
// CONFLICT whose Details carry the current state, so clients can refresh their view.
func NextSkillSessionState(from SkillSessionState, a SkillSessionAction) (SkillSessionState, error) {
	if to, ok := sessionTransitions[from][a]; ok {
		return to, nil
	}
	return "", transitionConflict(from, a)
}

// transitionConflict refuses action a on a session in state from: one sentence per action, so
// each has its translation in the error catalogue (i18n).
func transitionConflict(from SkillSessionState, a SkillSessionAction) *Error {
	switch a {
	case ActionAccept:
		return stateConflict(from, "cannot accept a session that is %s", from)
	case ActionDecline:
		return stateConflict(from, "cannot decline a session that is %s", from)
	case ActionProposeNewTime:
		return stateConflict(from, "cannot propose a new time for a session that is %s", from)
	case ActionCancel:
		return stateConflict(from, "cannot cancel a session that is %s", from)
	case ActionConfirmCompleted:
		return stateConflict(from, "cannot confirm completion of a session that is %s", from)
	case ActionAutoComplete:
		return stateConflict(from, "cannot auto-complete a session that is %s", from)
	case ActionReportNoShow:
		return stateConflict(from, "cannot report a no-show for a session that is %s", from)
	case ActionReportProblem:
		return stateConflict(from, "cannot report a problem with a session that is %s", from)
	}
	return stateConflict(from, "cannot %s a session that is %s", string(a), from)
}

func stateConflict(state SkillSessionState, format string, args ...any) *Error {
	e := Conflict(format, args...)
	e.Details = map[string]any{"state": string(state)}
	return e
}

// SkillSession is a skill session: a teacher teaches a skill to a learner at an agreed time.
type SkillSession struct {
	ID                 uuid.UUID         `db:"id"`
	SkillID            uuid.UUID         `db:"skill_id"`
	TeacherID          uuid.UUID         `db:"teacher_id"`
	LearnerID          uuid.UUID         `db:"learner_id"`
	CreatedBy          uuid.UUID         `db:"created_by"`
	ProposerID         uuid.UUID         `db:"proposer_id"`
	StartsAt           time.Time         `db:"starts_at"`
	DurationMinutes    int               `db:"duration_minutes"`
	EndsAt             time.Time         `db:"ends_at"`
	Mode               Mode              `db:"mode"`
	Link               *string           `db:"link"`
	Place              *string           `db:"place"`
	Note               string            `db:"note"`
	State              SkillSessionState `db:"state"`
	Version            int               `db:"version"`
	BookingSeq         int               `db:"booking_seq"`
	CancelledBy        *uuid.UUID        `db:"cancelled_by"`
	CancelledAt        *time.Time        `db:"cancelled_at"`
	CancelReason       *string           `db:"cancel_reason"`
	LateCancellation   bool              `db:"late_cancellation"`
	TeacherConfirmedAt *time.Time        `db:"teacher_confirmed_at"`
	LearnerConfirmedAt *time.Time        `db:"learner_confirmed_at"`
	CompletedAt        *time.Time        `db:"completed_at"`
	AutoCompleted      bool              `db:"auto_completed"`
	ProblemReportedBy  *uuid.UUID        `db:"problem_reported_by"`
	ProblemReportedAt  *time.Time        `db:"problem_reported_at"`
	ProblemNote        *string           `db:"problem_note"`
	NoShowUserID       *uuid.UUID        `db:"no_show_user_id"`
	NoShowReportedBy   *uuid.UUID        `db:"no_show_reported_by"`
	NoShowReportedAt   *time.Time        `db:"no_show_reported_at"`
	PriceAmount        *int64            `db:"price_amount"`
	PriceCurrency      *string           `db:"price_currency"`
	CreatedAt          time.Time         `db:"created_at"`
	UpdatedAt          time.Time         `db:"updated_at"`
}

// Duration is the session's length.
func (s SkillSession) Duration() time.Duration { return time.Duration(s.DurationMinutes) * time.Minute }

// IsParticipant reports whether user is the teacher or the learner.
func (s SkillSession) IsParticipant(user uuid.UUID) bool {
	return user == s.TeacherID || user == s.LearnerID
}

// Partner returns the other participant of user (who must be a participant).
func (s SkillSession) Partner(user uuid.UUID) uuid.UUID {
	if user == s.TeacherID {
		return s.LearnerID
	}
	return s.TeacherID
}

// Paid reports whether the session is paid in money (payments) rather than time credits.
func (s SkillSession) Paid() bool { return s.PriceAmount != nil }

// AwaitingAnswerFrom is the participant who must answer the proposal on the table.
func (s SkillSession) AwaitingAnswerFrom() uuid.UUID { return s.Partner(s.ProposerID) }

// SkillSessionPolicy holds the configurable rules of scheduling.
type SkillSessionPolicy struct {
	// MinNotice is how far ahead a session must start when proposed.
	MinNotice time.Duration
	// MaxDuration caps a session's length.
	MaxDuration time.Duration
	// MaxAdvance is how far ahead a session may start: no one plans a lesson years ahead, and it
	// keeps every time computed from a start (its end, reminders, deadlines) far inside the
	// range Go, JSON and PostgreSQL share.
	MaxAdvance time.Duration
	// LateCancelCutoff: cancelling a confirmed session less than this before its start counts
	// against the canceller's reliability.
	LateCancelCutoff time.Duration
	// AutoCompleteAfter is how long after its end a confirmed session completes by itself when
	// neither side reported a problem.
	AutoCompleteAfter time.Duration
}

// DefaultSkillSessionPolicy is the policy used when configuration says nothing.
var DefaultSkillSessionPolicy = SkillSessionPolicy{
	MinNotice:         time.Hour,
	MaxDuration:       4 * time.Hour,
	MaxAdvance:        366 * 24 * time.Hour,
	LateCancelCutoff:  24 * time.Hour,
	AutoCompleteAfter: 48 * time.Hour,
}

// Field names of session input, as the API spells them (BAD_USER_INPUT extensions.field).
const (
	FieldStartsAt        = "startsAt"
	FieldDurationMinutes = "durationMinutes"
	FieldMode            = "mode"
	FieldLink            = "link"
	FieldPlace           = "place"
	FieldNote            = "note"
	FieldReason          = "reason"
)

// ValidateSchedule checks a proposed start and duration against now and the policy.
func (p SkillSessionPolicy) ValidateSchedule(start time.Time, minutes int, now time.Time) error {
	if start.IsZero() {
		return Invalid(FieldStartsAt, "is required")
	}
	if !start.After(now) {
		return Invalid(FieldStartsAt, "must be in the future")
	}
	if start.Before(now.Add(p.MinNotice)) {
		return Invalid(FieldStartsAt, "must be at least %s from now", humanDuration(p.MinNotice))
	}
	if p.MaxAdvance > 0 && start.After(now.Add(p.MaxAdvance)) {
		return Invalid(FieldStartsAt, "must be at most %d days from now", int(p.MaxAdvance/(24*time.Hour)))
	}
	if minutes <= 0 {
		return Invalid(FieldDurationMinutes, "must be positive")
	}
	// Compared in minutes: minutes*time.Minute wraps around int64 from 2^31 minutes on, and a
	// huge duration then passed this check.
	if minutes > int(p.MaxDuration/time.Minute) {
		return Invalid(FieldDurationMinutes, "must be at most %d minutes", int(p.MaxDuration/time.Minute))
	}
	return nil
}

// SkillSessionPlace is where a session happens: a video link (ONLINE) or a place (IN_PERSON).
type SkillSessionPlace struct {
	Mode  Mode
	Link  string
	Place string
}

// Validate checks the meeting place and returns the normalised link and place (nil when unused).
func (sp SkillSessionPlace) Validate() (link, place *string, err error) {
	switch sp.Mode {
	case ModeOnline:
		l, err := ValidateText(FieldLink, sp.Link, 2048)
		if err != nil {
			return nil, nil, err
		}
		if l == "" {
			return nil, nil, Invalid(FieldLink, "an online session needs a link")
		}
		u, perr := url.Parse(l)
		if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return nil, nil, Invalid(FieldLink, "must be an http(s) URL")
		}
		return &l, nil, nil
	case ModeInPerson:
		p, err := ValidateText(FieldPlace, sp.Place, 300)
		if err != nil {
			return nil, nil, err
		}
		if p == "" {
			return nil, nil, Invalid(FieldPlace, "an in-person session needs a place")
		}
		return nil, &p, nil
	}
	return nil, nil, Invalid(FieldMode, "must be ONLINE or IN_PERSON")
}

// Accept confirms the proposal on the table. Only the participant it waits for may accept, and
// only while its start is still ahead.
func (s *SkillSession) Accept(actor uuid.UUID, now time.Time) error {
	next, err := NextSkillSessionState(s.State, ActionAccept)
	if err != nil {
		return err
	}
	if actor == s.ProposerID {
		return stateConflict(s.State, "you proposed this time; waiting for your partner's answer")
	}
	if !s.StartsAt.After(now) {
		return stateConflict(s.State, "the proposed time has passed; propose a new time")
	}
	s.State = next
	s.BookingSeq++
	return nil
}

// Decline refuses the proposal on the table (only the participant it waits for).
func (s *SkillSession) Decline(actor uuid.UUID) error {
	next, err := NextSkillSessionState(s.State, ActionDecline)
	if err != nil {
		return err
	}
	if actor == s.ProposerID {
		return stateConflict(s.State, "you cannot decline your own proposal; cancel it instead")
	}
	s.State = next
	return nil
}

// ProposeNewTime puts a new time on the table: a counter-proposal while PROPOSED, a reschedule
// (needing a fresh acceptance) while CONFIRMED and not yet started.
func (s *SkillSession) ProposeNewTime(actor uuid.UUID, start time.Time, minutes int, now time.Time, p SkillSessionPolicy) error {
	next, err := NextSkillSessionState(s.State, ActionProposeNewTime)
	if err != nil {
		return err
	}
	if s.State == SessionConfirmed && !s.StartsAt.After(now) {
		return stateConflict(s.State, "the session has started; it can no longer be rescheduled")
	}
	if err := p.ValidateSchedule(start, minutes, now); err != nil {
		return err
	}
	s.State = next
	s.ProposerID = actor
	s.StartsAt = start.UTC()
	s.DurationMinutes = minutes
	s.EndsAt = s.StartsAt.Add(s.Duration())
	s.TeacherConfirmedAt, s.LearnerConfirmedAt = nil, nil
	return nil
}

// Cancel calls the session off. A confirmed session can be cancelled only before it starts;
// inside the policy's cut-off the cancellation is late (it counts against reliability).
func (s *SkillSession) Cancel(actor uuid.UUID, reason string, now time.Time, p SkillSessionPolicy) error {
	next, err := NextSkillSessionState(s.State, ActionCancel)
	if err != nil {
		return err
	}
	r, err := ValidateText(FieldReason, reason, 500)
	if err != nil {
		return err
	}
	if s.State == SessionConfirmed {
		if !s.StartsAt.After(now) {
			return stateConflict(s.State, "the session has started; report a no-show or a problem instead")
		}
		s.LateCancellation = IsLateCancellation(s.StartsAt, now, p.LateCancelCutoff)
	}
	s.State = next
	s.CancelledBy = &actor
	s.CancelledAt = &now
	if r != "" {
		s.CancelReason = &r
	}
	return nil
}

// IsLateCancellation reports whether cancelling at now a session starting at start falls inside
// the cut-off.
func IsLateCancellation(start, now time.Time, cutoff time.Duration) bool {
	return start.Sub(now) < cutoff
}

// ConfirmCompleted records that actor confirms the session took place; once both sides did, it
// is COMPLETED. It reports whether this confirmation completed the session.
func (s *SkillSession) ConfirmCompleted(actor uuid.UUID, now time.Time) (bool, error) {
	next, err := NextSkillSessionState(s.State, ActionConfirmCompleted)
	if err != nil {
		return false, err
	}
	if now.Before(s.EndsAt) {
		return false, stateConflict(s.State, "the session has not ended yet")
	}
	mine := &s.LearnerConfirmedAt
	if actor == s.TeacherID {
		mine = &s.TeacherConfirmedAt
	}
	if *mine != nil {
		return false, stateConflict(s.State, "you already confirmed this session; waiting for your partner")
	}
	*mine = &now
	if s.TeacherConfirmedAt != nil && s.LearnerConfirmedAt != nil {
		s.State = next
		s.CompletedAt = &now
		return true, nil
	}
	return false, nil
}

// AutoComplete completes a confirmed session the policy's delay after its end, unless a
// problem was reported.
func (s *SkillSession) AutoComplete(now time.Time, p SkillSessionPolicy) error {
	next, err := NextSkillSessionState(s.State, ActionAutoComplete)
	if err != nil {
		return err
	}
	if s.ProblemReportedAt != nil {
		return stateConflict(s.State, "a problem was reported; the session will not complete automatically")
	}
	if now.Before(s.EndsAt.Add(p.AutoCompleteAfter)) {
		return stateConflict(s.State, "too early to complete automatically")
	}
	s.State = next
	s.CompletedAt = &now
	s.AutoCompleted = true
	return nil
}

// ReportNoShow records that actor's partner did not come. It is possible once the session has
// started, and not after actor confirmed it took place.
func (s *SkillSession) ReportNoShow(actor uuid.UUID, now time.Time) error {
	next, err := NextSkillSessionState(s.State, ActionReportNoShow)
	if err != nil {
		return err
	}
	if now.Before(s.StartsAt) {
		return stateConflict(s.State, "the session has not started yet")
	}
	if (actor == s.TeacherID && s.TeacherConfirmedAt != nil) || (actor == s.LearnerID && s.LearnerConfirmedAt != nil) {
		return stateConflict(s.State, "you confirmed this session took place")
	}
	absent := s.Partner(actor)
	s.State = next
	s.NoShowUserID = &absent
	s.NoShowReportedBy = &actor
	s.NoShowReportedAt = &now
	return nil
}

// ReportProblem flags a started session for support; it stops automatic completion.
func (s *SkillSession) ReportProblem(actor uuid.UUID, note string, now time.Time) error {
	next, err := NextSkillSessionState(s.State, ActionReportProblem)
	if err != nil {
		return err
	}
	n, err := ValidateText(FieldNote, note, 1000)
	if err != nil {
		return err
	}
	if now.Before(s.StartsAt) {
		return stateConflict(s.State, "the session has not started yet; propose a new time or cancel instead")
	}
	if s.ProblemReportedAt != nil {
		return stateConflict(s.State, "a problem was already reported")
	}
	s.State = next
	s.ProblemReportedBy = &actor
	s.ProblemReportedAt = &now
	s.ProblemNote = &n
	return nil
}

// SessionProposal is one time put on the table (the first proposal or a counter-proposal).
type SessionProposal struct {
	ID              uuid.UUID `db:"id"`
	SessionID       uuid.UUID `db:"session_id"`
	ProposerID      uuid.UUID `db:"proposer_id"`
	StartsAt        time.Time `db:"starts_at"`
	DurationMinutes int       `db:"duration_minutes"`
	CreatedAt       time.Time `db:"created_at"`
}

// Warning is advice returned with a successful write (never an error).
type Warning struct {
	// Code is machine-readable: OUTSIDE_AVAILABILITY.
	Code    string
	Message string
	// Field names the input concerned, if any.
	Field string
}

// WarningOutsideAvailability says a session time falls outside the partner's weekly availability.
const WarningOutsideAvailability = "OUTSIDE_AVAILABILITY"

// WithinAvailability reports whether [start, start+d) lies inside the weekly slots, read in the
// member's time zone zone: the slots are wall-clock times, so a slot at 18:00 Paris matches
// 17:00 UTC in winter and 16:00 UTC in summer. A session crossing local midnight must be
// covered on both days (slots ending at 24:00 and starting at 00:00). Members without any slot
// declared have not said when they are free: everything is within.
func WithinAvailability(slots []AvailabilitySlot, zone string, start time.Time, d time.Duration) bool {
	if len(slots) == 0 {
		return true
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	ls := start.In(loc)
	le := start.Add(d).In(loc)
	// Walk local days; each piece [from, to) in minutes since that local midnight.
	day := time.Date(ls.Year(), ls.Month(), ls.Day(), 0, 0, 0, 0, loc)
	for !day.After(le) {
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		from, to := 0, 1440
		if ls.After(day) {
			from = ls.Hour()*60 + ls.Minute()
		}
		if le.Before(next) {
			to = le.Hour()*60 + le.Minute()
			if le.Second() > 0 || le.Nanosecond() > 0 {
				to++
			}
		}
		if to > from && !covered(slots, isoWeekday(day), from, to) {
			return false
		}
		day = next
	}
	return true
}

func isoWeekday(t time.Time) int {
	if wd := int(t.Weekday()); wd != 0 {
		return wd
	}
	return 7
}

// covered reports whether one slot of weekday holds [from, to). Slots are normalised (merged)
// when saved, so one slot suffices.
func covered(slots []AvailabilitySlot, weekday, from, to int) bool {
	for _, s := range slots {
		if s.Weekday == weekday && s.StartMinute <= from && to <= s.EndMinute {
			return true
		}
	}
	return false
}

// AvailabilityWarnings returns the warning for a time outside the partner's availability, if any.
func AvailabilityWarnings(partnerSlots []AvailabilitySlot, partnerZone string, start time.Time, d time.Duration) []Warning {
	if WithinAvailability(partnerSlots, partnerZone, start, d) {
		return nil
	}
	return []Warning{{
		Code:    WarningOutsideAvailability,
		Field:   FieldStartsAt,
		Message: "this time is outside your partner's weekly availability; they may decline or propose another time",
	}}
}

func humanDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}
