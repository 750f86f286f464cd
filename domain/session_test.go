package domain

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The expected machine, written out independently of sessionTransitions: every pair not listed
// here must be refused.
var wantTransitions = map[SkillSessionState]map[SkillSessionAction]SkillSessionState{
	SessionProposed: {
		ActionAccept: SessionConfirmed, ActionDecline: SessionDeclined,
		ActionProposeNewTime: SessionProposed, ActionCancel: SessionCancelled,
	},
	SessionConfirmed: {
		ActionProposeNewTime: SessionProposed, ActionCancel: SessionCancelled,
		ActionConfirmCompleted: SessionCompleted, ActionAutoComplete: SessionCompleted,
		ActionReportNoShow: SessionNoShow, ActionReportProblem: SessionConfirmed,
	},
}

func TestTransitionTableEveryPair(t *testing.T) {
	for _, from := range AllSkillSessionStates {
		for _, a := range AllSkillSessionActions {
			t.Run(fmt.Sprintf("%s/%s", from, a), func(t *testing.T) {
				got, err := NextSkillSessionState(from, a)
				want, allowed := wantTransitions[from][a]
				if allowed {
					if err != nil || got != want {
						t.Fatalf("got %q, %v; want %q", got, err, want)
					}
					return
				}
				assertStateConflict(t, err, from)
			})
		}
	}
}

func assertStateConflict(t *testing.T, err error, state SkillSessionState) {
	t.Helper()
	var de *Error
	if !errors.As(err, &de) || de.Kind != KindConflict {
		t.Fatalf("want CONFLICT, got %v", err)
	}
	if de.Details["state"] != string(state) {
		t.Fatalf("conflict details %v, want state %s", de.Details, state)
	}
}

var (
	teacher = uuid.MustParse("00000000-0000-7000-8000-00000000000a")
	learner = uuid.MustParse("00000000-0000-7000-8000-00000000000b")
	t0      = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
)

func session(state SkillSessionState) SkillSession {
	start := t0.Add(48 * time.Hour)
	return SkillSession{
		ID: uuid.New(), TeacherID: teacher, LearnerID: learner, CreatedBy: learner, ProposerID: learner,
		StartsAt: start, DurationMinutes: 60, EndsAt: start.Add(time.Hour), State: state,
	}
}

// TestActionsEveryPair drives every action method from every state at a time when the action's
// own time rules allow it: allowed pairs move as the table says, refused ones are a CONFLICT
// naming the state, and the session is left untouched.
func TestActionsEveryPair(t *testing.T) {
	p := DefaultSkillSessionPolicy
	for _, from := range AllSkillSessionStates {
		for _, a := range AllSkillSessionActions {
			t.Run(fmt.Sprintf("%s/%s", from, a), func(t *testing.T) {
				s := session(from)
				before := s
				var err error
				switch a {
				case ActionAccept:
					err = s.Accept(teacher, t0)
				case ActionDecline:
					err = s.Decline(teacher)
				case ActionProposeNewTime:
					err = s.ProposeNewTime(teacher, t0.Add(72*time.Hour), 90, t0, p)
				case ActionCancel:
					err = s.Cancel(teacher, "sick", t0, p)
				case ActionConfirmCompleted:
					s.LearnerConfirmedAt = &t0 // the partner confirmed already: this completes it
					before = s
					_, err = s.ConfirmCompleted(teacher, s.EndsAt)
				case ActionAutoComplete:
					err = s.AutoComplete(s.EndsAt.Add(p.AutoCompleteAfter), p)
				case ActionReportNoShow:
					err = s.ReportNoShow(teacher, s.StartsAt.Add(10*time.Minute))
				case ActionReportProblem:
					err = s.ReportProblem(teacher, "no sound", s.StartsAt.Add(10*time.Minute))
				}
				want, allowed := wantTransitions[from][a]
				if !allowed {
					assertStateConflict(t, err, from)
					if s.State != before.State || s.ProposerID != before.ProposerID {
						t.Fatalf("refused action changed the session: %+v", s)
					}
					return
				}
				if err != nil || s.State != want {
					t.Fatalf("state %s, err %v; want %s", s.State, err, want)
				}
			})
		}
	}
}

func TestActionRules(t *testing.T) {
	p := DefaultSkillSessionPolicy

	s := session(SessionProposed)
	assertStateConflict(t, s.Accept(learner, t0), SessionProposed) // own proposal
	assertStateConflict(t, s.Decline(learner), SessionProposed)
	assertStateConflict(t, s.Accept(teacher, s.StartsAt), SessionProposed) // time passed

	s = session(SessionProposed)
	if err := s.Accept(teacher, t0); err != nil || s.BookingSeq != 1 {
		t.Fatalf("accept: %v seq %d", err, s.BookingSeq)
	}
	// Counter-proposal hands the answer to the other side.
	s = session(SessionProposed)
	if err := s.ProposeNewTime(teacher, t0.Add(50*time.Hour), 30, t0, p); err != nil {
		t.Fatal(err)
	}
	if s.ProposerID != teacher || s.AwaitingAnswerFrom() != learner || !s.EndsAt.Equal(t0.Add(50*time.Hour+30*time.Minute)) {
		t.Fatalf("counter-proposal: %+v", s)
	}
	if err := s.Accept(learner, t0); err != nil {
		t.Fatal(err)
	}

	// Late cancellation inside the cut-off, not outside it; never after the start.
	s = session(SessionConfirmed)
	if err := s.Cancel(learner, "", s.StartsAt.Add(-23*time.Hour), p); err != nil || !s.LateCancellation || *s.CancelledBy != learner {
		t.Fatalf("late cancel: %v %+v", err, s)
	}
	s = session(SessionConfirmed)
	if err := s.Cancel(learner, "", s.StartsAt.Add(-25*time.Hour), p); err != nil || s.LateCancellation {
		t.Fatalf("early cancel: %v late=%v", err, s.LateCancellation)
	}
	s = session(SessionConfirmed)
	assertStateConflict(t, s.Cancel(learner, "", s.StartsAt, p), SessionConfirmed)
	s = session(SessionProposed)
	if err := s.Cancel(learner, "", s.StartsAt.Add(-time.Minute), p); err != nil || s.LateCancellation {
		t.Fatalf("withdrawing a proposal is never late: %v %v", err, s.LateCancellation)
	}

	// Completion needs both sides, after the end, once each.
	s = session(SessionConfirmed)
	assertStateConflict(t, func() error { _, err := s.ConfirmCompleted(teacher, s.StartsAt); return err }(), SessionConfirmed)
	if done, err := s.ConfirmCompleted(teacher, s.EndsAt); done || err != nil || s.State != SessionConfirmed {
		t.Fatalf("first confirmation: %v %v %s", done, err, s.State)
	}
	assertStateConflict(t, func() error { _, err := s.ConfirmCompleted(teacher, s.EndsAt); return err }(), SessionConfirmed)
	if done, err := s.ConfirmCompleted(learner, s.EndsAt.Add(time.Hour)); !done || err != nil || s.State != SessionCompleted || s.CompletedAt == nil {
		t.Fatalf("second confirmation: %v %v %s", done, err, s.State)
	}

	// Auto-completion waits the delay and stops at a reported problem.
	s = session(SessionConfirmed)
	assertStateConflict(t, s.AutoComplete(s.EndsAt.Add(p.AutoCompleteAfter-time.Second), p), SessionConfirmed)
	if err := s.ReportProblem(learner, "teacher left early", s.EndsAt); err != nil {
		t.Fatal(err)
	}
	assertStateConflict(t, s.AutoComplete(s.EndsAt.Add(p.AutoCompleteAfter), p), SessionConfirmed)

	// No-show: after the start, and names the absent partner.
	s = session(SessionConfirmed)
	assertStateConflict(t, s.ReportNoShow(teacher, s.StartsAt.Add(-time.Minute)), SessionConfirmed)
	if err := s.ReportNoShow(teacher, s.StartsAt.Add(15*time.Minute)); err != nil || *s.NoShowUserID != learner {
		t.Fatalf("no-show: %v %+v", err, s.NoShowUserID)
	}
	s = session(SessionConfirmed)
	now := s.EndsAt
	s.TeacherConfirmedAt = &now
	assertStateConflict(t, s.ReportNoShow(teacher, now), SessionConfirmed)
	// Reschedule once started is refused.
	s = session(SessionConfirmed)
	assertStateConflict(t, s.ProposeNewTime(teacher, s.StartsAt.Add(72*time.Hour), 60, s.StartsAt, p), SessionConfirmed)
}

func TestValidateSchedule(t *testing.T) {
	p := DefaultSkillSessionPolicy
	cases := []struct {
		name    string
		start   time.Time
		minutes int
		field   string
	}{
		{"past", t0.Add(-time.Hour), 60, FieldStartsAt},
		{"now", t0, 60, FieldStartsAt},
		{"inside notice", t0.Add(30 * time.Minute), 60, FieldStartsAt},
		{"zero duration", t0.Add(48 * time.Hour), 0, FieldDurationMinutes},
		{"negative duration", t0.Add(48 * time.Hour), -30, FieldDurationMinutes},
		{"twelve hours", t0.Add(48 * time.Hour), 720, FieldDurationMinutes},
		{"just over max", t0.Add(48 * time.Hour), 241, FieldDurationMinutes},
		{"ok", t0.Add(48 * time.Hour), 240, ""},
		{"ok at notice", t0.Add(time.Hour), 15, ""},
	}
	for _, c := range cases {
		err := p.ValidateSchedule(c.start, c.minutes, t0)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var de *Error
		if !errors.As(err, &de) || de.Kind != KindInvalid || de.Field != c.field {
			t.Errorf("%s: got %v, want BAD_USER_INPUT on %s", c.name, err, c.field)
		}
	}
}

func TestSessionPlace(t *testing.T) {
	cases := []struct {
		in    SkillSessionPlace
		field string
	}{
		{SkillSessionPlace{Mode: ModeOnline}, FieldLink},
		{SkillSessionPlace{Mode: ModeOnline, Link: "javascript:alert(1)"}, FieldLink},
		{SkillSessionPlace{Mode: ModeOnline, Link: "https://meet.example.com/abc"}, ""},
		{SkillSessionPlace{Mode: ModeInPerson, Link: "https://x.example"}, FieldPlace},
		{SkillSessionPlace{Mode: ModeInPerson, Place: "  Café de Flore, Paris "}, ""},
		{SkillSessionPlace{Mode: ModeBoth, Place: "x"}, FieldMode},
		{SkillSessionPlace{}, FieldMode},
	}
	for _, c := range cases {
		link, place, err := c.in.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.in, err)
			}
			if (c.in.Mode == ModeOnline) != (link != nil) || (c.in.Mode == ModeInPerson) != (place != nil) {
				t.Errorf("%+v: link %v place %v", c.in, link, place)
			}
			continue
		}
		var de *Error
		if !errors.As(err, &de) || de.Kind != KindInvalid || de.Field != c.field {
			t.Errorf("%+v: got %v, want BAD_USER_INPUT on %s", c.in, err, c.field)
		}
	}
}

// A weekly slot at 18:00-20:00 Paris is 17:00 UTC in winter (CET) and 16:00 UTC in summer
// (CEST): the check follows the wall clock across the DST change of 29 March 2026.
func TestWithinAvailabilityDST(t *testing.T) {
	tuesdayEvening := []AvailabilitySlot{{Weekday: 2, StartMinute: 18 * 60, EndMinute: 20 * 60}}
	cases := []struct {
		name  string
		start time.Time
		d     time.Duration
		want  bool
	}{
		{"winter 18:00 Paris = 17:00 UTC", time.Date(2026, 3, 24, 17, 0, 0, 0, time.UTC), time.Hour, true},
		{"winter 17:00 UTC + 2h overruns", time.Date(2026, 3, 24, 17, 0, 0, 0, time.UTC), 2*time.Hour + time.Minute, false},
		{"summer 18:00 Paris = 16:00 UTC", time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC), 2 * time.Hour, true},
		{"summer 17:00 UTC is 19:00 Paris", time.Date(2026, 3, 31, 17, 0, 0, 0, time.UTC), time.Hour, true},
		{"summer 18:30 UTC is 20:30 Paris", time.Date(2026, 3, 31, 18, 30, 0, 0, time.UTC), 30 * time.Minute, false},
		{"summer: the winter UTC time no longer fits", time.Date(2026, 3, 31, 15, 30, 0, 0, time.UTC), time.Hour, false},
		{"wrong day", time.Date(2026, 3, 25, 17, 0, 0, 0, time.UTC), time.Hour, false},
	}
	for _, c := range cases {
		if got := WithinAvailability(tuesdayEvening, "Europe/Paris", c.start, c.d); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
	// Crossing local midnight needs both days covered.
	late := []AvailabilitySlot{{Weekday: 5, StartMinute: 22 * 60, EndMinute: 1440}, {Weekday: 6, StartMinute: 0, EndMinute: 60}}
	fri := time.Date(2026, 7, 3, 21, 0, 0, 0, time.UTC) // 23:00 Paris, Friday
	if !WithinAvailability(late, "Europe/Paris", fri, 90*time.Minute) {
		t.Error("23:00-00:30 Friday-Saturday should fit")
	}
	if WithinAvailability(late[:1], "Europe/Paris", fri, 90*time.Minute) {
		t.Error("without the Saturday slot it should not fit")
	}
	if !WithinAvailability(nil, "Europe/Paris", fri, time.Hour) {
		t.Error("no availability declared: no warning")
	}
	if w := AvailabilityWarnings(tuesdayEvening, "Europe/Paris", time.Date(2026, 3, 31, 17, 0, 0, 0, time.UTC), time.Hour); w != nil {
		t.Errorf("warnings %v", w)
	}
	if w := AvailabilityWarnings(tuesdayEvening, "Europe/Paris", time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC), time.Hour); len(w) != 1 || w[0].Code != WarningOutsideAvailability {
		t.Errorf("warnings %v", w)
	}
}

func TestReviewRules(t *testing.T) {
	done := t0
	if ReviewVisible(false, done, done.Add(ReviewWindow-time.Second)) {
		t.Error("one review, inside the window: hidden")
	}
	if !ReviewVisible(true, done, done.Add(time.Minute)) {
		t.Error("both reviewed: visible")
	}
	if !ReviewVisible(false, done, done.Add(ReviewWindow)) {
		t.Error("window closed: visible")
	}
	if _, _, err := ValidateReview(0, "", nil); !IsKind(err, KindInvalid) {
		t.Error("rating 0")
	}
	if _, _, err := ValidateReview(6, "", nil); !IsKind(err, KindInvalid) {
		t.Error("rating 6")
	}
	long := make([]rune, 2001)
	for i := range long {
		long[i] = 'é'
	}
	if _, _, err := ValidateReview(5, string(long), nil); !IsKind(err, KindInvalid) {
		t.Error("2001-character comment")
	}
	if c, tags, err := ValidateReview(5, string(long[:2000]), []string{" Patient ", "patient", "Clear"}); err != nil || len(tags) != 2 || tags[0] != "patient" || len([]rune(c)) != 2000 {
		t.Errorf("valid review: %v %v", tags, err)
	}
}

func TestBayesianRating(t *testing.T) {
	if got := BayesianRating(0, 0, RatingPriorMean, RatingPriorWeight); got != RatingPriorMean {
		t.Errorf("no reviews: %v", got)
	}
	// Five 5-star reviews: (5*4 + 25) / 10 = 4.5.
	if got := BayesianRating(25, 5, RatingPriorMean, RatingPriorWeight); got != 4.5 {
		t.Errorf("five 5s: %v", got)
	}
}

func TestBalancedPostings(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	for _, c := range []struct {
		ps   []CreditPosting
		want bool
	}{
		{[]CreditPosting{{a, -60}, {b, 60}}, true},
		{[]CreditPosting{{a, -60}, {b, 59}}, false},
		{[]CreditPosting{{a, 0}, {b, 0}}, false},
		{[]CreditPosting{{a, 0}}, false},
	} {
		if got := BalancedPostings(c.ps); got != c.want {
			t.Errorf("%v: %v", c.ps, got)
		}
	}
}
