package notifications_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/profiles"
)

// digestJobTimes lists u's digest email jobs, oldest first: their state, and for a scheduled one
// when (UTC).
func (e *digestEnv) digestJobTimes(t *testing.T, u uuid.UUID) []string {
	t.Helper()
	rows, err := e.st.Pool().Query(context.Background(), `SELECT state::text, scheduled_at FROM river_job
		WHERE kind = 'notification_digest_email' AND args->>'user_id' = $1 ORDER BY id`, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var state string
		var at time.Time
		if err := rows.Scan(&state, &at); err != nil {
			t.Fatal(err)
		}
		if state == "scheduled" {
			state += "@" + at.UTC().Format("01-02T15:04")
		}
		out = append(out, state) // an available job's scheduled_at is River's (real) clock
	}
	return out
}

func (e *digestEnv) setSchedule(t *testing.T, u uuid.UUID, hhmm string) domain.DigestSchedule {
	t.Helper()
	s, err := e.svc.SetDigestSchedule(context.Background(), as(u), notifications.DigestScheduleInput{Frequency: domain.DigestDaily, Time: hhmm})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDigestWaitsForQuietHours: a digest due in the member's quiet hours is counted when due
// but its email waits for their end (then once); outside them, or without them, it leaves at
// once. Across the night Paris leaves summer time, the window ends at 07:00 local both times.
func TestDigestWaitsForQuietHours(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-10-23T12:00:00Z"))
	quiet := e.digestMember(t, "Europe/Paris")
	if _, err := e.svc.SetQuietHours(context.Background(), as(quiet), notifications.QuietHoursInput{Start: "22:00", End: "07:00", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	loud := e.digestMember(t, "Europe/Paris")
	for _, u := range []uuid.UUID{quiet, loud} {
		e.setSchedule(t, u, "06:30")
		e.match(t, u)
	}
	steps := []struct {
		at          string
		match       bool
		quiet, loud []string
	}{
		// 06:30 CEST: counted now, the quiet member's email waits for 07:00 CEST.
		{"2026-10-24T04:30:00Z", false, []string{"scheduled@10-24T05:00"}, []string{"available"}},
		{"2026-10-24T04:45:00Z", false, []string{"scheduled@10-24T05:00"}, []string{"available"}},
		{"2026-10-24T05:00:00Z", false, []string{"scheduled@10-24T05:00"}, []string{"available"}},
		// Next day, winter time: 06:30 CET is 05:30 UTC, the window ends at 07:00 CET.
		{"2026-10-25T05:30:00Z", true, []string{"scheduled@10-24T05:00", "scheduled@10-25T06:00"},
			[]string{"available", "available"}},
	}
	for _, s := range steps {
		if s.match { // something new since the last digest
			e.clock.Set(utc(s.at).Add(-time.Hour))
			e.match(t, quiet)
			e.match(t, loud)
		}
		e.clock.Set(utc(s.at))
		e.run(t)
		if got := e.digestJobTimes(t, quiet); fmt.Sprint(got) != fmt.Sprint(s.quiet) {
			t.Fatalf("at %s the quiet member's digests = %v, want %v", s.at, got, s.quiet)
		}
		if got := e.digestJobTimes(t, loud); fmt.Sprint(got) != fmt.Sprint(s.loud) {
			t.Fatalf("at %s the other member's digests = %v, want %v", s.at, got, s.loud)
		}
	}
	// Due after the window (08:00): not held.
	e.setSchedule(t, quiet, "08:00")
	e.clock.Set(utc("2026-10-26T06:00:00Z"))
	e.match(t, quiet)
	e.clock.Set(utc("2026-10-26T07:00:00Z"))
	e.run(t)
	if got := e.digestJobTimes(t, quiet); len(got) != 3 || got[2] != "available" {
		t.Fatalf("a digest due after the quiet hours: %v, want it available at once", got)
	}
}

// TestDigestFollowsTimeZoneChangeAtOnce: a member who changes their profile's zone has their
// next digest recomputed in the same transaction: no second digest on a local day that had
// one, no local day skipped, DST included.
func TestDigestFollowsTimeZoneChangeAtOnce(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-10-30T12:00:00Z"))
	profs := profiles.NewService(e.st, nil, nil, e.svc, e.log)
	move := func(u uuid.UUID, zone string) {
		t.Helper()
		if _, _, err := profs.UpdateProfile(context.Background(), as(u), profiles.ProfileUpdate{TimeZone: &zone}); err != nil {
			t.Fatal(err)
		}
	}
	// West: had 08:00 Paris (03:00 in New York); 08:00 New York the same day would be a second.
	west := e.digestMember(t, "Europe/Paris")
	e.setSchedule(t, west, "08:00")
	// East across New York's DST end: had 08:00 EDT on Oct 31; on Nov 1 at 11:00 in Paris,
	// Paris's 08:00 is past and that Paris day had none: due at once.
	east := e.digestMember(t, "America/New_York")
	e.setSchedule(t, east, "08:00")

	e.match(t, west)
	e.clock.Set(utc("2026-10-31T07:00:00Z")) // 08:00 CET
	e.run(t)
	e.match(t, east)
	e.clock.Set(utc("2026-10-31T12:00:00Z")) // 08:00 EDT
	e.run(t)
	if w, ea := e.digestJobs(t, west), e.digestJobs(t, east); len(w) != 1 || len(ea) != 1 {
		t.Fatalf("first digests: west %v, east %v", w, ea)
	}

	e.clock.Set(utc("2026-10-31T10:00:00Z")) // (the clock only matters to the service here)
	e.match(t, west)
	move(west, "America/New_York")
	if next := e.schedule(t, west).NextAt; !next.Equal(utc("2026-11-01T13:00:00Z")) {
		t.Fatalf("west: next digest %s, want 2026-11-01T13:00Z (08:00 EST tomorrow, not 08:00 EDT today)", next)
	}
	e.clock.Set(utc("2026-10-31T12:00:00Z")) // 08:00 EDT on the day that had one
	e.run(t)
	if got := e.digestJobs(t, west); len(got) != 1 {
		t.Fatalf("west: %d digests on one New York day", len(got))
	}

	e.clock.Set(utc("2026-11-01T09:00:00Z"))
	e.match(t, east)
	e.clock.Set(utc("2026-11-01T10:00:00Z"))
	move(east, "Europe/Paris")
	if next := e.schedule(t, east).NextAt; !next.Equal(utc("2026-11-01T10:00:00Z")) {
		t.Fatalf("east: next digest %s, want at once (2026-11-01T10:00Z)", next)
	}
	e.run(t)
	if got := e.digestJobs(t, east); len(got) != 2 {
		t.Fatalf("east: digests %v, want the Paris day's at once", got)
	}
	if next := e.schedule(t, east).NextAt; !next.Equal(utc("2026-11-02T07:00:00Z")) {
		t.Fatalf("east: then %s, want 08:00 CET the next day", next)
	}
	e.clock.Set(utc("2026-11-01T13:00:00Z"))
	e.run(t) // west's New York day
	if got := e.digestJobs(t, west); len(got) != 2 {
		t.Fatalf("west: digests %v, want the next New York day's", got)
	}
}

// TestDigestScheduleChangeNeitherTwiceNorSkipped: changing the time after the day's digest
// waits for tomorrow; changing it to a time already past on a day without one sends at once.
// On the day Paris leaves summer time.
func TestDigestScheduleChangeNeitherTwiceNorSkipped(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-10-24T12:00:00Z"))
	u := e.digestMember(t, "Europe/Paris")
	e.setSchedule(t, u, "08:00")
	e.match(t, u)
	e.clock.Set(utc("2026-10-25T07:00:00Z")) // 08:00 CET, the first day of winter time
	e.run(t)
	e.clock.Set(utc("2026-10-25T10:00:00Z"))
	if s := e.setSchedule(t, u, "20:00"); !s.NextAt.Equal(utc("2026-10-26T19:00:00Z")) {
		t.Fatalf("moved later after the day's digest: next %s, want tomorrow 20:00 CET", s.NextAt)
	}
	e.match(t, u)
	e.clock.Set(utc("2026-10-25T19:00:00Z"))
	e.run(t)
	if got := e.digestJobs(t, u); len(got) != 1 {
		t.Fatalf("digests %v, want one on Oct 25", got)
	}
	e.clock.Set(utc("2026-10-26T07:30:00Z")) // 08:30 CET, nothing sent yet on Oct 26
	if s := e.setSchedule(t, u, "08:00"); !s.NextAt.Equal(utc("2026-10-26T07:30:00Z")) {
		t.Fatalf("moved to a time past on a day without one: next %s, want at once", s.NextAt)
	}
	e.run(t)
	if got := e.digestJobs(t, u); len(got) != 2 {
		t.Fatalf("digests %v, want Oct 26's", got)
	}
	if next := e.schedule(t, u).NextAt; !next.Equal(utc("2026-10-27T07:00:00Z")) {
		t.Fatalf("then next %s, want 2026-10-27T07:00Z", next)
	}
}
