package reviews_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/reviews"
)

var as = skillsessiontest.As

func wantKind(t *testing.T, err error, k domain.Kind) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != k {
		t.Fatalf("want error kind %d, got %v", k, err)
	}
}

func TestDoubleBlindBothReviewed(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner, stranger := e.User(t, "T"), e.User(t, "L"), e.User(t, "S")
	start := skillsessiontest.Start.Add(72 * time.Hour)

	// Not completed yet: CONFLICT.
	pending := e.Confirmed(t, teacher, learner, start.Add(5*time.Hour), 30)
	_, err := e.Reviews.Submit(context.Background(), as(learner), reviews.SubmitInput{SessionID: pending.ID, Rating: 5})
	wantKind(t, err, domain.KindConflict)

	s := e.Completed(t, teacher, learner, start, 60)
	_, err = e.Reviews.Submit(context.Background(), as(stranger), reviews.SubmitInput{SessionID: s.ID, Rating: 1})
	wantKind(t, err, domain.KindNotFound)
	_, err = e.Reviews.Submit(context.Background(), as(learner), reviews.SubmitInput{SessionID: s.ID, Rating: 6})
	wantKind(t, err, domain.KindInvalid)
	_, err = e.Reviews.Submit(context.Background(), as(learner), reviews.SubmitInput{SessionID: uuid.New(), Rating: 4})
	wantKind(t, err, domain.KindNotFound)

	r1, err := e.Reviews.Submit(context.Background(), as(learner), reviews.SubmitInput{SessionID: s.ID, Rating: 5, Comment: "Great, patient teacher", Tags: []string{"Patient", "clear"}})
	if err != nil || r1.Visible() || r1.RevieweeID != teacher.ID {
		t.Fatalf("first review %+v %v", r1, err)
	}
	_, err = e.Reviews.Submit(context.Background(), as(learner), reviews.SubmitInput{SessionID: s.ID, Rating: 4})
	wantKind(t, err, domain.KindConflict)

	// Hidden from the partner, shown to its author; the partner knows it exists.
	if got, _ := e.Reviews.ForSession(context.Background(), as(teacher), s.ID); len(got) != 0 {
		t.Fatalf("teacher sees the hidden review: %+v", got)
	}
	if got, _ := e.Reviews.ForSession(context.Background(), as(learner), s.ID); len(got) != 1 {
		t.Fatalf("author sees %+v", got)
	}
	states, err := e.Store.Q().ReviewStatesBySessionIDs(context.Background(), teacher.ID, []uuid.UUID{s.ID, pending.ID})
	if st := states[s.ID]; err != nil || st.ViewerReviewed || !st.PartnerReviewed || st.Revealed || len(states) != 1 {
		t.Fatalf("states %+v %v", states, err)
	}
	if r, _ := e.Reviews.Rating(context.Background(), teacher.ID); r.Count != 0 || r.Bayesian != domain.RatingPriorMean {
		t.Fatalf("rating moved before reveal: %+v", r)
	}
	jobs := e.Jobs(t, reviews.RevealArgs{}.Kind())
	if len(jobs) != 1 || !jobs[0].ScheduledAt.Equal(domain.ReviewRevealAt(*s.CompletedAt)) {
		t.Fatalf("reveal jobs %+v", jobs)
	}
	// A hidden review cannot be reported (nobody but its author can see it).
	_, err = e.Reviews.Report(context.Background(), as(teacher), reviews.ReportInput{ReviewID: r1.ID, Reason: domain.ReportAbusive})
	wantKind(t, err, domain.KindNotFound)

	r2, err := e.Reviews.Submit(context.Background(), as(teacher), reviews.SubmitInput{SessionID: s.ID, Rating: 3})
	if err != nil || !r2.Visible() {
		t.Fatalf("second review %+v %v", r2, err)
	}
	notes := e.Notifier.Of(reviews.NotifyReceived)
	if len(notes) != 2 || notes[0].UserID != teacher.ID || notes[0].Payload.(reviews.Payload).Visible ||
		notes[1].UserID != learner.ID || !notes[1].Payload.(reviews.Payload).Visible {
		t.Fatalf("notifications %+v", notes)
	}
	got, _ := e.Reviews.ForSession(context.Background(), as(teacher), s.ID)
	if len(got) != 2 || !got[0].Visible() || !got[1].Visible() {
		t.Fatalf("after both: %+v", got)
	}
	rt, _ := e.Reviews.Rating(context.Background(), teacher.ID)
	rl, _ := e.Reviews.Rating(context.Background(), learner.ID)
	if rt.Count != 1 || rt.Sum != 5 || *rt.Mean != 5 || math.Abs(rt.Bayesian-domain.BayesianRating(5, 1, 4, 5)) > 1e-9 || rl.Count != 1 || rl.Sum != 3 {
		t.Fatalf("ratings teacher %+v learner %+v", rt, rl)
	}
	// The scheduled reveal later finds nothing left to reveal: aggregates stay.
	e.Clock.Set(domain.ReviewRevealAt(*s.CompletedAt))
	runReveal(t, e, jobs[0])
	if again, _ := e.Reviews.Rating(context.Background(), teacher.ID); again.Count != 1 {
		t.Fatalf("counted twice: %+v", again)
	}
	received, err := e.Reviews.Received(context.Background(), as(stranger), teacher.ID, relay.Page[uuid.UUID]{First: 20})
	if err != nil || len(received.Edges) != 1 || received.Edges[0].Node.ID != r1.ID {
		t.Fatalf("received %+v %v", received, err)
	}

	// Reports: once per member, not of one's own review.
	if _, err := e.Reviews.Report(context.Background(), as(teacher), reviews.ReportInput{ReviewID: r1.ID, Reason: domain.ReportFalse, Note: "never said that"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.Reviews.Report(context.Background(), as(teacher), reviews.ReportInput{ReviewID: r1.ID, Reason: domain.ReportSpam})
	wantKind(t, err, domain.KindConflict)
	_, err = e.Reviews.Report(context.Background(), as(learner), reviews.ReportInput{ReviewID: r1.ID, Reason: domain.ReportSpam})
	wantKind(t, err, domain.KindInvalid)
	_, err = e.Reviews.Report(context.Background(), as(stranger), reviews.ReportInput{ReviewID: r1.ID, Reason: "BORING"})
	wantKind(t, err, domain.KindInvalid)
	mod := e.User(t, "Mod")
	mod.Roles = []domain.Role{domain.RoleMember, domain.RoleModerator}
	queue, err := e.Reviews.OpenReports(context.Background(), as(mod), relay.Page[uuid.UUID]{First: 20})
	edges := queue.Edges
	if err != nil || len(edges) != 1 || edges[0].Node.Reason != domain.ReportFalse {
		t.Fatalf("moderation queue %+v %v", edges, err)
	}
	_, err = e.Reviews.OpenReports(context.Background(), as(stranger), relay.Page[uuid.UUID]{First: 20})
	wantKind(t, err, domain.KindForbidden)
}

func runReveal(t *testing.T, e *skillsessiontest.Env, j skillsessiontest.QueuedJob) {
	t.Helper()
	var args reviews.RevealArgs
	if err := json.Unmarshal(j.Args, &args); err != nil {
		t.Fatal(err)
	}
	w := &reviews.RevealWorker{Service: e.Reviews}
	if err := w.Work(context.Background(), &river.Job[reviews.RevealArgs]{JobRow: &rivertype.JobRow{ID: j.ID}, Args: args}); err != nil {
		t.Fatal(err)
	}
}

func TestDoubleBlindWindowCloses(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	teacher, learner := e.User(t, "T"), e.User(t, "L")
	s := e.Completed(t, teacher, learner, skillsessiontest.Start.Add(72*time.Hour), 45)
	if _, err := e.Reviews.Submit(context.Background(), as(teacher), reviews.SubmitInput{SessionID: s.ID, Rating: 2, Comment: "Came late"}); err != nil {
		t.Fatal(err)
	}
	jobs := e.Jobs(t, reviews.RevealArgs{}.Kind())
	// Run early (a clock skew): nothing is revealed yet.
	e.Clock.Set(domain.ReviewRevealAt(*s.CompletedAt).Add(-time.Minute))
	runReveal(t, e, jobs[0])
	if got, _ := e.Reviews.ForSession(context.Background(), as(learner), s.ID); len(got) != 0 {
		t.Fatalf("revealed early: %+v", got)
	}
	e.Clock.Set(domain.ReviewRevealAt(*s.CompletedAt))
	runReveal(t, e, jobs[0])
	got, _ := e.Reviews.ForSession(context.Background(), as(learner), s.ID)
	if len(got) != 1 || !got[0].Visible() {
		t.Fatalf("after the window: %+v", got)
	}
	if r, _ := e.Reviews.Rating(context.Background(), learner.ID); r.Count != 1 || r.Sum != 2 {
		t.Fatalf("rating %+v", r)
	}
	// The window is closed: the learner can no longer review.
	_, err := e.Reviews.Submit(context.Background(), as(learner), reviews.SubmitInput{SessionID: s.ID, Rating: 5})
	wantKind(t, err, domain.KindConflict)
	// Reliability sees the rating and the completed session.
	ratings, _ := e.Store.Q().RatingsByUserIDs(context.Background(), []uuid.UUID{learner.ID, teacher.ID})
	if len(ratings) != 1 {
		t.Fatalf("ratings %+v", ratings)
	}
}
