package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

func newSkillSession(t *testing.T, q *store.Queries, skill uuid.UUID, teacher, learner domain.User, start time.Time, minutes int) domain.SkillSession {
	t.Helper()
	link := "https://meet.example.com/x"
	s, err := q.InsertSkillSession(context.Background(), domain.SkillSession{
		ID: uuid.Must(uuid.NewV7()), SkillID: skill, TeacherID: teacher.ID, LearnerID: learner.ID, CreatedBy: learner.ID,
		StartsAt: start, DurationMinutes: minutes, EndsAt: start.Add(time.Duration(minutes) * time.Minute),
		Mode: domain.ModeOnline, Link: &link, State: domain.SessionProposed, CreatedAt: start.Add(-72 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An overlapping booking of the same person, teacher or learner, is a CONFLICT mapped from the
// exclusion violation (23P01); the buffer counts.
func TestSessionBookingsExclusion(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	a, b, c, d := newUser(t, q, "a@example.com"), newUser(t, q, "b@example.com"), newUser(t, q, "c@example.com"), newUser(t, q, "d@example.com")
	var skill uuid.UUID
	if err := st.Pool().QueryRow(ctx, `SELECT id FROM skills LIMIT 1`).Scan(&skill); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	s1 := newSkillSession(t, q, skill, a, b, start, 60)
	s2 := newSkillSession(t, q, skill, c, a, start.Add(70*time.Minute), 30) // a is the learner here
	s3 := newSkillSession(t, q, skill, d, b, start.Add(75*time.Minute), 30) // b right after the buffer

	if err := q.BookSession(ctx, s1, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	err := q.BookSession(ctx, s2, 15*time.Minute)
	if !domain.IsKind(err, domain.KindConflict) || store.ConstraintName(err) != "session_bookings_no_overlap" {
		t.Fatalf("overlap inside the buffer: %v", err)
	}
	if err := q.BookSession(ctx, s3, 15*time.Minute); err != nil {
		t.Fatalf("after the buffer: %v", err)
	}
	busy, err := q.BookingOverlaps(ctx, []uuid.UUID{a.ID}, start.Add(65*time.Minute), start.Add(95*time.Minute), 15*time.Minute, uuid.Nil)
	if err != nil || !busy {
		t.Fatalf("overlap check %v %v", busy, err)
	}
	if err := q.ReleaseSession(ctx, s1.ID); err != nil {
		t.Fatal(err)
	}
	if err := q.BookSession(ctx, s2, 15*time.Minute); err != nil {
		t.Fatalf("after release: %v", err)
	}

	// Batch loaders: one statement, missing keys absent.
	got, err := q.SkillSessionsByIDs(ctx, []uuid.UUID{s1.ID, s3.ID, uuid.New()})
	if err != nil || len(got) != 2 || got[s3.ID].TeacherID != d.ID {
		t.Fatalf("sessions by ids %v %v", got, err)
	}
	stats, err := q.SessionStatsByUserIDs(ctx, []uuid.UUID{a.ID, uuid.New()})
	if err != nil || len(stats) != 2 || stats[a.ID].Completed != 0 {
		t.Fatalf("stats %+v %v", stats, err)
	}
	if r, err := q.RatingsByUserIDs(ctx, []uuid.UUID{a.ID}); err != nil || len(r) != 0 {
		t.Fatalf("ratings %v %v", r, err)
	}
	if r, err := q.ReviewsBySessionIDs(ctx, a.ID, []uuid.UUID{s1.ID}); err != nil || len(r) != 0 {
		t.Fatalf("reviews %v %v", r, err)
	}
}
