package skillsessions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/skillsessions"
	"github.com/skillswap/skillswap/store"
)

var as = skillsessiontest.As

func wantKind(t *testing.T, err error, k domain.Kind, field string) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != k {
		t.Fatalf("want error kind %d, got %v", k, err)
	}
	if field != "" && de.Field != field {
		t.Fatalf("want field %q, got %q (%v)", field, de.Field, err)
	}
	return de
}

func TestLifecycleWithCredits(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner := e.User(t, "Teacher"), e.User(t, "Learner")
	start := skillsessiontest.Start.Add(72 * time.Hour)

	s := e.Propose(t, teacher, learner, start, 90)
	if s.State != domain.SessionProposed || s.ProposerID != learner.ID || s.AwaitingAnswerFrom() != teacher.ID {
		t.Fatalf("proposed: %+v", s)
	}
	if n := e.Notifier.Of(skillsessions.NotifyProposed); len(n) != 1 || n[0].UserID != teacher.ID {
		t.Fatalf("proposal notifications %+v", n)
	}
	// The learner's 90 minutes are committed: 30 of the 120 starter minutes remain available.
	b, err := e.Credits.BalanceOf(context.Background(), learner.ID)
	if err != nil || b.Balance != 120 || b.Committed != 90 || b.Available != 30 {
		t.Fatalf("balance %+v %v", b, err)
	}

	s, err = e.SkillSessions.Accept(context.Background(), as(teacher), s.ID)
	if err != nil || s.State != domain.SessionConfirmed || s.BookingSeq != 1 {
		t.Fatalf("accept: %+v %v", s, err)
	}
	// Reminders 24 h and 1 h ahead, and the automatic completion 48 h after the end.
	rem := e.Jobs(t, skillsessions.ReminderArgs{}.Kind())
	if len(rem) != 2 || !rem[0].ScheduledAt.Equal(start.Add(-24*time.Hour)) || !rem[1].ScheduledAt.Equal(start.Add(-time.Hour)) {
		t.Fatalf("reminders %+v", rem)
	}
	ac := e.Jobs(t, skillsessions.AutoCompleteArgs{}.Kind())
	if len(ac) != 1 || !ac[0].ScheduledAt.Equal(s.EndsAt.Add(48*time.Hour)) {
		t.Fatalf("auto-complete jobs %+v", ac)
	}

	// Confirming before the end is refused; after it, both sides are needed.
	_, err = e.SkillSessions.ConfirmCompleted(context.Background(), as(teacher), s.ID)
	wantKind(t, err, domain.KindConflict, "")
	e.Clock.Set(s.EndsAt.Add(time.Minute))
	s, err = e.SkillSessions.ConfirmCompleted(context.Background(), as(teacher), s.ID)
	if err != nil || s.State != domain.SessionConfirmed || s.TeacherConfirmedAt == nil {
		t.Fatalf("first confirmation: %+v %v", s, err)
	}
	s, err = e.SkillSessions.ConfirmCompleted(context.Background(), as(learner), s.ID)
	if err != nil || s.State != domain.SessionCompleted {
		t.Fatalf("second confirmation: %+v %v", s, err)
	}
	lb, _ := e.Credits.BalanceOf(context.Background(), learner.ID)
	tb, _ := e.Credits.BalanceOf(context.Background(), teacher.ID)
	if lb.Balance != 30 || lb.Committed != 0 || tb.Balance != 210 {
		t.Fatalf("after completion learner %+v teacher %+v", lb, tb)
	}
	e.LedgerCheck(t)

	// Completed is final: every action is a CONFLICT naming the state.
	_, err = e.SkillSessions.Cancel(context.Background(), as(teacher), s.ID, "")
	de := wantKind(t, err, domain.KindConflict, "")
	if de.Details["state"] != "COMPLETED" {
		t.Fatalf("details %v", de.Details)
	}
	// The automatic completion that was scheduled finds nothing to do.
	e.Clock.Set(s.EndsAt.Add(49 * time.Hour))
	if done, err := e.SkillSessions.AutoComplete(context.Background(), s.ID, 1); done || err != nil {
		t.Fatalf("auto-complete of a completed session: %v %v", done, err)
	}
	e.LedgerCheck(t)
}

func TestServiceTransitionsAndPermissions(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner, stranger := e.User(t, "T"), e.User(t, "L"), e.User(t, "S")
	start := skillsessiontest.Start.Add(72 * time.Hour)
	s := e.Propose(t, teacher, learner, start, 60)

	// A stranger's session is NOT_FOUND, as an unknown one.
	_, err := e.SkillSessions.Accept(context.Background(), as(stranger), s.ID)
	wantKind(t, err, domain.KindNotFound, "")
	_, err = e.SkillSessions.Cancel(context.Background(), as(stranger), s.ID, "")
	wantKind(t, err, domain.KindNotFound, "")
	_, err = e.SkillSessions.Session(context.Background(), as(stranger), s.ID)
	wantKind(t, err, domain.KindNotFound, "")
	_, err = e.SkillSessions.Accept(context.Background(), as(learner), s.ID) // own proposal
	wantKind(t, err, domain.KindConflict, "")
	_, err = e.SkillSessions.ConfirmCompleted(context.Background(), as(teacher), s.ID)
	if de := wantKind(t, err, domain.KindConflict, ""); de.Details["state"] != "PROPOSED" {
		t.Fatalf("details %v", de.Details)
	}
	_, err = e.SkillSessions.Accept(context.Background(), as(teacher), uuid.New())
	wantKind(t, err, domain.KindNotFound, "")

	// Counter-proposal: the teacher proposes another time, now the learner answers.
	res, err := e.SkillSessions.ProposeNewTime(context.Background(), as(teacher), skillsessions.NewTimeInput{SessionID: s.ID, StartsAt: start.Add(time.Hour), DurationMinutes: 60})
	if err != nil || res.Session.ProposerID != teacher.ID || res.Session.State != domain.SessionProposed {
		t.Fatalf("counter-proposal %+v %v", res.Session, err)
	}
	_, err = e.SkillSessions.Accept(context.Background(), as(teacher), s.ID)
	wantKind(t, err, domain.KindConflict, "")
	s, err = e.SkillSessions.Accept(context.Background(), as(learner), s.ID)
	if err != nil || !s.StartsAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("accept counter-proposal %+v %v", s, err)
	}
	hist, err := e.SkillSessions.Proposals(context.Background(), as(learner), s.ID)
	if err != nil || len(hist) != 2 || hist[0].ProposerID != learner.ID || hist[1].ProposerID != teacher.ID {
		t.Fatalf("history %+v %v", hist, err)
	}
	_, err = e.SkillSessions.Decline(context.Background(), as(teacher), s.ID)
	if de := wantKind(t, err, domain.KindConflict, ""); de.Details["state"] != "CONFIRMED" {
		t.Fatalf("details %v", de.Details)
	}

	// Decline is final.
	s2 := e.Propose(t, teacher, learner, start.Add(24*time.Hour), 30)
	if s2, err = e.SkillSessions.Decline(context.Background(), as(teacher), s2.ID); err != nil || s2.State != domain.SessionDeclined {
		t.Fatalf("decline %v %v", s2.State, err)
	}
	_, err = e.SkillSessions.Accept(context.Background(), as(teacher), s2.ID)
	wantKind(t, err, domain.KindConflict, "")

	// A no-show ends the session, counts against the absent member and releases the time.
	e.Clock.Set(s.StartsAt.Add(20 * time.Minute))
	s, err = e.SkillSessions.ReportNoShow(context.Background(), as(teacher), s.ID)
	if err != nil || s.State != domain.SessionNoShow || *s.NoShowUserID != learner.ID {
		t.Fatalf("no-show %+v %v", s, err)
	}
	rel, err := skillsessions.NewReliabilitySource(e.Store).Reliability(context.Background(), []uuid.UUID{learner.ID, teacher.ID, stranger.ID})
	if err != nil || rel[learner.ID].Cancelled != 1 || rel[teacher.ID].Cancelled != 0 || len(rel) != 3 {
		t.Fatalf("reliability %+v %v", rel, err)
	}
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner := e.User(t, "T"), e.User(t, "L")
	now := skillsessiontest.Start
	base := skillsessions.ProposeInput{SkillID: e.SkillID, TeacherID: teacher.ID, LearnerID: learner.ID,
		StartsAt: now.Add(48 * time.Hour), DurationMinutes: 60, Mode: domain.ModeOnline, Link: skillsessiontest.Online}
	cases := []struct {
		name  string
		edit  func(*skillsessions.ProposeInput)
		kind  domain.Kind
		field string
	}{
		{"past start", func(in *skillsessions.ProposeInput) { in.StartsAt = now.Add(-time.Hour) }, domain.KindInvalid, "startsAt"},
		{"inside minimum notice", func(in *skillsessions.ProposeInput) { in.StartsAt = now.Add(10 * time.Minute) }, domain.KindInvalid, "startsAt"},
		{"zero duration", func(in *skillsessions.ProposeInput) { in.DurationMinutes = 0 }, domain.KindInvalid, "durationMinutes"},
		{"twelve hours", func(in *skillsessions.ProposeInput) { in.DurationMinutes = 720 }, domain.KindInvalid, "durationMinutes"},
		{"online without link", func(in *skillsessions.ProposeInput) { in.Link = "" }, domain.KindInvalid, "link"},
		{"in person without place", func(in *skillsessions.ProposeInput) { in.Mode = domain.ModeInPerson }, domain.KindInvalid, "place"},
		{"unknown skill", func(in *skillsessions.ProposeInput) { in.SkillID = uuid.New() }, domain.KindNotFound, "skillId"},
		{"unknown partner", func(in *skillsessions.ProposeInput) { in.TeacherID = uuid.New() }, domain.KindNotFound, "teacherId"},
		{"same person", func(in *skillsessions.ProposeInput) { in.TeacherID = learner.ID }, domain.KindInvalid, "learnerId"},
		{"not a participant", func(in *skillsessions.ProposeInput) { in.LearnerID = uuid.New() }, domain.KindForbidden, ""},
		{"more than the learner's credits", func(in *skillsessions.ProposeInput) { in.DurationMinutes = 240 }, domain.KindConflict, "durationMinutes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base
			c.edit(&in)
			_, err := e.SkillSessions.Propose(context.Background(), as(learner), in)
			wantKind(t, err, c.kind, c.field)
		})
	}
	// Credits: 120 starter minutes: 60 + 60 fit, 15 more do not.
	e.Propose(t, teacher, learner, now.Add(48*time.Hour), 60)
	e.Propose(t, teacher, learner, now.Add(50*time.Hour), 60)
	in := base
	in.StartsAt, in.DurationMinutes = now.Add(52*time.Hour), 15
	_, err := e.SkillSessions.Propose(context.Background(), as(learner), in)
	if de := wantKind(t, err, domain.KindConflict, "durationMinutes"); de.Details["reason"] != "INSUFFICIENT_CREDITS" {
		t.Fatalf("details %v", de.Details)
	}
	// The teacher may still learn: credits are checked on the learner's side only.
	in.TeacherID, in.LearnerID = learner.ID, teacher.ID
	if _, err := e.SkillSessions.Propose(context.Background(), as(learner), in); err != nil {
		t.Fatal(err)
	}
}

// Many overlapping proposals to one teacher, accepted at once: the exclusion constraint lets
// exactly one confirmation commit, the others get CONFLICT.
func TestConcurrentOverlappingConfirmations(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher := e.User(t, "Busy teacher")
	start := skillsessiontest.Start.Add(72 * time.Hour)
	const n = 12
	ids := make([]uuid.UUID, n)
	for i := range ids {
		l := e.User(t, fmt.Sprintf("Learner %d", i))
		ids[i] = e.Propose(t, teacher, l, start.Add(time.Duration(i)*5*time.Minute), 60).ID
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	ready := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			_, errs[i] = e.SkillSessions.Accept(context.Background(), as(teacher), id)
		}()
	}
	close(ready)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case domain.IsKind(err, domain.KindConflict):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d confirmations won, want exactly 1 (%v)", wins, errs)
	}
	var bookings int
	if err := e.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM session_bookings`).Scan(&bookings); err != nil || bookings != 2 {
		t.Fatalf("bookings %d %v", bookings, err)
	}
	// Buffers: a session starting when the confirmed one ends is too close (15 min buffer);
	// one starting after the buffer is fine.
	var won domain.SkillSession
	for i, err := range errs {
		if err == nil {
			all, _ := e.Store.Q().SkillSessionsByIDs(context.Background(), []uuid.UUID{ids[i]})
			won = all[ids[i]]
		}
	}
	other := e.User(t, "Other")
	_, err := e.SkillSessions.Propose(context.Background(), as(other), skillsessions.ProposeInput{SkillID: e.SkillID, TeacherID: teacher.ID, LearnerID: other.ID,
		StartsAt: won.EndsAt.Add(5 * time.Minute), DurationMinutes: 30, Mode: domain.ModeInPerson, Place: "Library"})
	wantKind(t, err, domain.KindConflict, "startsAt")
	e.Propose(t, teacher, other, won.EndsAt.Add(15*time.Minute), 30)
}

func runReminder(t *testing.T, e *skillsessiontest.Env, j skillsessiontest.QueuedJob) {
	t.Helper()
	var args skillsessions.ReminderArgs
	if err := json.Unmarshal(j.Args, &args); err != nil {
		t.Fatal(err)
	}
	w := &skillsessions.ReminderWorker{Service: e.SkillSessions}
	if err := w.Work(context.Background(), &river.Job[skillsessions.ReminderArgs]{JobRow: &rivertype.JobRow{ID: j.ID, Kind: j.Kind}, Args: args}); err != nil {
		t.Fatal(err)
	}
}

func TestRemindersScheduledAndNeutralised(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner := e.User(t, "T"), e.User(t, "L")
	start := skillsessiontest.Start.Add(72 * time.Hour)

	// Confirmed: the reminder notifies both participants.
	s := e.Confirmed(t, teacher, learner, start, 60)
	jobs := e.Jobs(t, skillsessions.ReminderArgs{}.Kind())
	if len(jobs) != 2 {
		t.Fatalf("jobs %+v", jobs)
	}
	e.Clock.Set(jobs[0].ScheduledAt)
	runReminder(t, e, jobs[0])
	if got := e.Notifier.Of(skillsessions.NotifyReminder); len(got) != 2 || got[0].Payload.(skillsessions.Payload).MinutesBefore != 24*60 {
		t.Fatalf("reminders sent %+v", got)
	}

	// Rescheduled: the old reminders do nothing, even once the new time is confirmed again.
	res, err := e.SkillSessions.ProposeNewTime(context.Background(), as(learner), skillsessions.NewTimeInput{SessionID: s.ID, StartsAt: start.Add(2 * time.Hour), DurationMinutes: 60})
	if err != nil || res.Session.State != domain.SessionProposed {
		t.Fatalf("reschedule %+v %v", res.Session, err)
	}
	runReminder(t, e, jobs[1])
	if s, err = e.SkillSessions.Accept(context.Background(), as(teacher), s.ID); err != nil || s.BookingSeq != 2 {
		t.Fatalf("re-accept %+v %v", s, err)
	}
	runReminder(t, e, jobs[1])
	if got := e.Notifier.Of(skillsessions.NotifyReminder); len(got) != 2 {
		t.Fatalf("stale reminders notified: %+v", got)
	}
	all := e.Jobs(t, skillsessions.ReminderArgs{}.Kind())
	if len(all) != 4 || !all[3].ScheduledAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("new reminders %+v", all)
	}
	// The old automatic completion is stale too.
	e.Clock.Set(start.Add(60 * time.Hour))
	if done, err := e.SkillSessions.AutoComplete(context.Background(), s.ID, 1); done || err != nil {
		t.Fatalf("stale auto-complete %v %v", done, err)
	}

	// Cancelled: the current reminders do nothing.
	e.Clock.Set(all[2].ScheduledAt.Add(time.Hour))
	if _, err := e.SkillSessions.Cancel(context.Background(), as(teacher), s.ID, "something came up"); err != nil {
		t.Fatal(err)
	}
	runReminder(t, e, all[2])
	runReminder(t, e, all[3])
	if got := e.Notifier.Of(skillsessions.NotifyReminder); len(got) != 2 {
		t.Fatalf("reminders of a cancelled session notified: %+v", got)
	}
	c, _ := e.SkillSessions.Session(context.Background(), as(teacher), s.ID)
	if !c.LateCancellation || *c.CancelledBy != teacher.ID {
		t.Fatalf("a cancellation 23 h ahead is late: %+v", c)
	}
	rel, _ := skillsessions.NewReliabilitySource(e.Store).Reliability(context.Background(), []uuid.UUID{teacher.ID})
	if rel[teacher.ID].Cancelled != 1 {
		t.Fatalf("reliability %+v", rel)
	}
}

// TestRiverRunsReminders runs a real River client on the test database: a reminder scheduled
// in the past (the session starts within the hour) is worked and notifies.
func TestRiverRunsReminders(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner := e.User(t, "T"), e.User(t, "L")
	start := time.Now().UTC().Add(90 * time.Minute).Truncate(time.Second)
	e.Clock.Set(time.Now().UTC())
	s := e.Confirmed(t, teacher, learner, start, 30)
	// Only the 1-hour reminder is ahead; run it now by moving it.
	if _, err := e.Store.Pool().Exec(context.Background(), `UPDATE river_job SET scheduled_at = now() WHERE kind = $1`, skillsessions.ReminderArgs{}.Kind()); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	skillsessions.Jobs(e.SkillSessions)(workers)
	client := newWorkerClient(t, e.Store, workers)
	done, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(context.Background()) }()
	select {
	case ev := <-done:
		if ev.Kind != river.EventKindJobCompleted || ev.Job.Kind != (skillsessions.ReminderArgs{}).Kind() {
			t.Fatalf("event %+v", ev)
		}
	case <-ctx.Done():
		t.Fatal("reminder not worked")
	}
	if got := e.Notifier.Of(skillsessions.NotifyReminder); len(got) != 2 || got[0].Payload.(skillsessions.Payload).SessionID != s.ID {
		t.Fatalf("notifications %+v", got)
	}
}

func TestAutoCompleteAndProblem(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner := e.User(t, "T"), e.User(t, "L")
	start := skillsessiontest.Start.Add(72 * time.Hour)
	a := e.Confirmed(t, teacher, learner, start, 60)
	b := e.Confirmed(t, teacher, learner, start.Add(3*time.Hour), 30)
	e.Clock.Set(b.StartsAt.Add(5 * time.Minute))
	if _, err := e.SkillSessions.ReportProblem(context.Background(), as(learner), b.ID, "the teacher's camera did not work"); err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(a.EndsAt.Add(48*time.Hour - time.Minute))
	if _, err := e.SkillSessions.AutoComplete(context.Background(), a.ID, a.BookingSeq); !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("too early: %v", err)
	}
	e.Clock.Set(b.EndsAt.Add(48 * time.Hour))
	for _, j := range e.Jobs(t, skillsessions.AutoCompleteArgs{}.Kind()) {
		var args skillsessions.AutoCompleteArgs
		_ = json.Unmarshal(j.Args, &args)
		w := &skillsessions.AutoCompleteWorker{Service: e.SkillSessions}
		if err := w.Work(context.Background(), &river.Job[skillsessions.AutoCompleteArgs]{JobRow: &rivertype.JobRow{ID: j.ID}, Args: args}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := e.Store.Q().SkillSessionsByIDs(context.Background(), []uuid.UUID{a.ID, b.ID})
	if got[a.ID].State != domain.SessionCompleted || !got[a.ID].AutoCompleted || got[b.ID].State != domain.SessionConfirmed {
		t.Fatalf("a %s b %s", got[a.ID].State, got[b.ID].State)
	}
	lb, _ := e.Credits.BalanceOf(context.Background(), learner.ID)
	if lb.Balance != 60 || lb.Committed != 30 {
		t.Fatalf("learner %+v", lb)
	}
	e.LedgerCheck(t)
}

// Many completions at once, in both directions between the same members: no deadlock, each
// session paid once, and the ledger still sums to zero with balances equal to their entries.
func TestLedgerInvariantUnderConcurrentCompletions(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	members := make([]domain.User, 6)
	for i := range members {
		members[i] = e.User(t, fmt.Sprintf("M%d", i))
	}
	start := skillsessiontest.Start.Add(72 * time.Hour)
	var list []domain.SkillSession
	for i := range members {
		for j := range members {
			if i == j {
				continue
			}
			// Disjoint times per pair so every session can be confirmed; 10 minutes each keeps
			// every learner within the starter credits.
			k := len(list)
			list = append(list, e.Confirmed(t, members[i], members[j], start.Add(time.Duration(k)*30*time.Minute), 10))
		}
	}
	e.Clock.Set(list[len(list)-1].EndsAt.Add(time.Hour))
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(list))
	for _, s := range list {
		for _, u := range []uuid.UUID{s.TeacherID, s.LearnerID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var who domain.User
				for _, m := range members {
					if m.ID == u {
						who = m
					}
				}
				if _, err := e.SkillSessions.ConfirmCompleted(context.Background(), as(who), s.ID); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	e.LedgerCheck(t)
	var payments int
	if err := e.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM credit_transactions WHERE kind = 'SESSION_PAYMENT'`).Scan(&payments); err != nil || payments != len(list) {
		t.Fatalf("payments %d of %d (%v)", payments, len(list), err)
	}
	// Everyone taught and learned 5 x 10 minutes: back to the starter balance.
	for _, m := range members {
		b, _ := e.Credits.BalanceOf(context.Background(), m.ID)
		if b.Balance != 120 {
			t.Fatalf("%s balance %d", m.DisplayName, b.Balance)
		}
	}
}

func TestUpcomingAndPastPages(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner := e.User(t, "T"), e.User(t, "L")
	start := skillsessiontest.Start.Add(72 * time.Hour)
	var ids []uuid.UUID
	for i := range 5 {
		// Alternate roles so both sides of the union are exercised.
		tt, ll := teacher, learner
		if i%2 == 1 {
			tt, ll = learner, teacher
		}
		ids = append(ids, e.Propose(t, tt, ll, start.Add(time.Duration(i)*2*time.Hour), 20).ID)
	}
	if _, err := e.SkillSessions.Decline(context.Background(), as(teacher), ids[2]); err != nil {
		t.Fatal(err)
	}
	var seen []uuid.UUID
	var after *string
	for {
		first := 2
		page, err := skillsessiontest.Paged(skillsessions.UpcomingCursor, &first, after, func(p relay.Page[skillsessions.Key]) (relay.Connection[domain.SkillSession], error) {
			return e.SkillSessions.Upcoming(context.Background(), as(learner), p)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, edge := range page.Edges {
			seen = append(seen, edge.Node.ID)
		}
		if !page.PageInfo.HasNextPage {
			break
		}
		after = page.PageInfo.EndCursor
	}
	want := []uuid.UUID{ids[0], ids[1], ids[3], ids[4]}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("upcoming %v, want %v", seen, want)
	}
	pastOf := func(first *int, after *string) (relay.Connection[domain.SkillSession], error) {
		return skillsessiontest.Paged(skillsessions.PastCursor, first, after, func(p relay.Page[skillsessions.Key]) (relay.Connection[domain.SkillSession], error) {
			return e.SkillSessions.Past(context.Background(), as(teacher), p)
		})
	}
	past, err := pastOf(nil, nil)
	if err != nil || len(past.Edges) != 1 || past.Edges[0].Node.ID != ids[2] {
		t.Fatalf("past %+v %v", past.Edges, err)
	}
	// A page's cursor is refused by the other list.
	bad := "x"
	if _, err := pastOf(nil, &bad); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("bad cursor %v", err)
	}
}

// A member in Paris available on Tuesdays 18:00-20:00: the same wall-clock time is 17:00 UTC
// before the DST change and 16:00 UTC after it; outside it, proposals succeed with a warning.
func TestAvailabilityWarningAcrossDST(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner := e.User(t, "T"), e.User(t, "L")
	ctx := context.Background()
	p := domain.DefaultProfile(teacher.ID)
	p.TimeZone = "Europe/Paris"
	if _, err := e.Store.Q().UpsertProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Q().ReplaceSlots(ctx, teacher.ID, []domain.AvailabilitySlot{{Weekday: 2, StartMinute: 18 * 60, EndMinute: 20 * 60}}); err != nil {
		t.Fatal(err)
	}
	propose := func(start time.Time) []domain.Warning {
		res, err := e.SkillSessions.Propose(context.Background(), as(learner), skillsessions.ProposeInput{SkillID: e.SkillID, TeacherID: teacher.ID, LearnerID: learner.ID,
			StartsAt: start, DurationMinutes: 30, Mode: domain.ModeOnline, Link: skillsessiontest.Online})
		if err != nil {
			t.Fatal(err)
		}
		return res.Warnings
	}
	if w := propose(time.Date(2026, 3, 24, 17, 0, 0, 0, time.UTC)); len(w) != 0 { // 18:00 CET
		t.Fatalf("winter 18:00 Paris warned %v", w)
	}
	if w := propose(time.Date(2026, 3, 31, 16, 0, 0, 0, time.UTC)); len(w) != 0 { // 18:00 CEST
		t.Fatalf("summer 18:00 Paris warned %v", w)
	}
	w := propose(time.Date(2026, 4, 7, 15, 0, 0, 0, time.UTC)) // 17:00 CEST
	if len(w) != 1 || w[0].Code != domain.WarningOutsideAvailability || w[0].Field != "startsAt" {
		t.Fatalf("summer 17:00 Paris: %v", w)
	}
}

var _ skillsessions.Notifier = (*skillsessiontest.Notifier)(nil)

func newWorkerClient(t *testing.T, st *store.Store, workers *river.Workers) *river.Client[pgx.Tx] {
	t.Helper()
	c, err := river.NewClient(riverpgxv5.New(st.Pool()), &river.Config{
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		FetchPollInterval: 200 * time.Millisecond,
		TestOnly:          true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
