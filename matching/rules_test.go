package matching

import (
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

func slot(weekday, start, end int) domain.AvailabilitySlot {
	return domain.AvailabilitySlot{Weekday: weekday, StartMinute: start, EndMinute: end}
}

func TestWeeklyOverlapAcrossDST(t *testing.T) {
	paris := []domain.AvailabilitySlot{slot(1, 18*60, 20*60)}   // Monday 18:00–20:00 Paris
	newYork := []domain.AvailabilitySlot{slot(1, 12*60, 14*60)} // Monday 12:00–14:00 New York
	sydney := []domain.AvailabilitySlot{slot(2, 3*60, 5*60)}    // Tuesday 03:00–05:00 Sydney
	tests := []struct {
		name string
		now  time.Time
		a    []domain.AvailabilitySlot
		za   string
		b    []domain.AvailabilitySlot
		zb   string
		want int
	}{
		// Paris UTC+1, New York UTC−5: both 17:00–19:00Z.
		{"before both changes", time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), paris, "Europe/Paris", newYork, "America/New_York", 120},
		// New York UTC−4 from 8 March: 16:00–18:00Z against Paris 17:00–19:00Z.
		{"between the US and EU changes", time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC), paris, "Europe/Paris", newYork, "America/New_York", 60},
		// Paris UTC+2 from 29 March: 16:00–18:00Z again.
		{"after both changes", time.Date(2026, 3, 30, 23, 59, 0, 0, time.UTC), paris, "Europe/Paris", newYork, "America/New_York", 120},
		// The window holds the US change (Sunday 8 March) but the Monday occurrence is after it.
		{"window spanning the US change", time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), paris, "Europe/Paris", newYork, "America/New_York", 60},
		// Sydney is UTC+11 until 5 April: Tuesday 03:00 Sydney is Monday 16:00Z; Paris 17–19Z.
		{"across the date line", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), paris, "Europe/Paris", sydney, "Australia/Sydney", 60},
		{"across the date line, aligned", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), paris, "Europe/Paris",
			[]domain.AvailabilitySlot{slot(2, 4*60, 6*60)}, "Australia/Sydney", 120},
		{"across the date line, touching", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), paris, "Europe/Paris",
			[]domain.AvailabilitySlot{slot(2, 6*60, 8*60)}, "Australia/Sydney", 0},
		{"same zone, until midnight", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			[]domain.AvailabilitySlot{slot(6, 22*60, 1440)}, "UTC", []domain.AvailabilitySlot{slot(6, 23*60, 1440), slot(7, 0, 60)}, "UTC", 60},
		{"no slots", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), nil, "UTC", newYork, "America/New_York", 0},
		{"unknown zone counts as UTC", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
			[]domain.AvailabilitySlot{slot(1, 600, 720)}, "Mars/Olympus", []domain.AvailabilitySlot{slot(1, 660, 780)}, "UTC", 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := WeeklyOverlapMinutes(tc.a, tc.za, tc.b, tc.zb, tc.now); got != tc.want {
				t.Fatalf("overlap = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestExpandSlotsFollowsTheLocalClock(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	// A daily 18:00 slot over the week of the EU change (Sunday 29 March 2026).
	var daily []domain.AvailabilitySlot
	for d := 1; d <= 7; d++ {
		daily = append(daily, slot(d, 18*60, 19*60))
	}
	from := time.Date(2026, 3, 26, 0, 0, 0, 0, time.UTC)
	got := expandSlots(daily, paris, from, from.AddDate(0, 0, 7))
	if len(got) != 7 {
		t.Fatalf("%d intervals", len(got))
	}
	for _, iv := range got {
		start := time.Unix(iv.start, 0).UTC()
		wantHour := 17 // CET
		if !start.Before(time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)) {
			wantHour = 16 // CEST
		}
		if start.Hour() != wantHour || iv.end-iv.start != 3600 {
			t.Errorf("occurrence %v (%ds), want %d:00Z for 1 h", start, iv.end-iv.start, wantHour)
		}
	}
}

func TestLevelFitRule(t *testing.T) {
	// Teacher at or above the goal, the smallest positive gap first, below the goal last.
	order := []int{1, 0, 2, 3, -1, -2, -3}
	for i := 1; i < len(order); i++ {
		if LevelFit(order[i]) >= LevelFit(order[i-1]) {
			t.Errorf("LevelFit(%d) = %v should be below LevelFit(%d) = %v", order[i], LevelFit(order[i]), order[i-1], LevelFit(order[i-1]))
		}
	}
	if edgeValue(false, 1) >= edgeValue(true, -3) {
		t.Error("a related skill at the best level must count less than an exact skill at the worst")
	}
}

func TestReliabilityMaths(t *testing.T) {
	if got := BayesianRating(0, 0, 4, 5); got != 4 {
		t.Errorf("no reviews = %v, want the prior 4", got)
	}
	if got := BayesianRating(5*20, 20, 4, 5); math.Abs(got-4.8) > 1e-9 { // (20 + 100) / 25
		t.Errorf("twenty 5-star reviews = %v, want 4.8", got)
	}
	today := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	neutral := scoreReliability(Reliability{}, today)
	if neutral.rating != 0.75 || neutral.completion != CompletionPrior || neutral.response != ResponsePrior || neutral.activity != UnknownActivity || neutral.idleDays != -1 {
		t.Fatalf("neutral = %+v", neutral)
	}
	recent := today.Add(-30 * time.Hour)
	old := today.AddDate(0, -6, 0)
	mid := today.AddDate(0, 0, -48) // halfway between 7 and 90 days
	if r := scoreReliability(Reliability{LastActive: &recent}, today); r.activity != 1 || r.idleDays != 2 {
		t.Errorf("recent = %+v", r)
	}
	if r := scoreReliability(Reliability{LastActive: &old}, today); r.activity != 0 {
		t.Errorf("old = %+v", r)
	}
	if r := scoreReliability(Reliability{LastActive: &mid}, today); math.Abs(r.activity-float64(90-48)/83) > 1e-9 {
		t.Errorf("mid = %+v", r)
	}
	good := scoreReliability(Reliability{RatingSum: 4.9 * 30, RatingCount: 30, Completed: 40, Cancelled: 1, Requests: 20, Responded: 20, LastActive: &recent}, today)
	bad := scoreReliability(Reliability{RatingSum: 2 * 10, RatingCount: 10, Completed: 3, Cancelled: 7, Requests: 20, Responded: 2, LastActive: &old}, today)
	if !(good.total() > neutral.total() && neutral.total() > bad.total()) {
		t.Errorf("good %v, neutral %v, bad %v", good.total(), neutral.total(), bad.total())
	}
}

func TestHaversine(t *testing.T) {
	// Paris – London ≈ 344 km; a point to itself is 0.
	if d := HaversineKm(48.8566, 2.3522, 51.5074, -0.1278); math.Abs(d-344) > 2 {
		t.Errorf("Paris–London = %.1f km", d)
	}
	if d := HaversineKm(10, 10, 10, 10); d != 0 {
		t.Errorf("same point = %v", d)
	}
}

// The SQL pre-score table and the Go edge decoding agree with edgeValue for every key and level.
func TestPreScoreMirrorsGoScoring(t *testing.T) {
	guitar, bass, spanish := uuid.New(), uuid.New(), uuid.New()
	keys := buildKeys([]store.MatchViewerSkill{
		{SkillID: guitar, Kind: domain.Want, Level: domain.LevelIntermediate, Related: []uuid.UUID{bass, spanish}},
		{SkillID: spanish, Kind: domain.Offer, Level: domain.LevelExpert},
	}, false, nil)
	// guitar (exact, they offer), spanish (exact, they want), bass (related to guitar); spanish is
	// the viewer's own skill, so not a related key.
	if len(keys) != 3 || !keys[0].TheyTeach || keys[1].TheyTeach || keys[2].Exact || keys[2].SkillID != bass || keys[2].TheirKind != domain.Offer {
		t.Fatalf("keys = %+v", keys)
	}
	pts := keyPoints(keys)
	for i := range keys {
		for rank := 1; rank <= 4; rank++ {
			code := int32(i*4 + rank - 1)
			e := decodeEdges(keys, []int32{code})[0]
			if want := int32(math.Round(1000 * e.value)); pts[code] != want {
				t.Errorf("key %d rank %d: SQL points %d, Go value %v", i, rank, pts[code], e.value)
			}
		}
	}
	// Teaching at ADVANCED towards an INTERMEDIATE goal is the best teach edge.
	if best := decodeEdges(keys, []int32{2})[0]; best.gap() != 1 || best.value != 1 {
		t.Errorf("best edge = %+v", best)
	}
}

func TestOneWayNeverReachesMutual(t *testing.T) {
	// A one-way match perfect on everything still scores below any mutual match.
	lat, lon := 48.85, 2.35
	now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	viewer := &pairInfo{languages: []string{"fr"}, mode: domain.ModeInPerson, lat: &lat, lon: &lon,
		slots: []domain.AvailabilitySlot{slot(1, 0, 1440)}}
	viewer.intervals = expandSlots(viewer.slots, time.UTC, now, now.AddDate(0, 0, 7))
	them := *viewer
	skill := uuid.New()
	oneWay := &scoreInput{
		userID: uuid.New(), viewer: viewer, them: them, today: now,
		edges: []edge{
			{theyTeach: true, exact: true, mySkill: skill, theirSkill: skill, myLevel: domain.LevelBeginner, theirLevel: domain.LevelIntermediate, value: 1},
			{theyTeach: false, exact: false, mySkill: uuid.New(), theirSkill: uuid.New(), myLevel: domain.LevelExpert, theirLevel: domain.LevelAdvanced, value: edgeValue(false, 1)},
		},
		reliability: Reliability{RatingSum: 500, RatingCount: 100, Completed: 100, Requests: 100, Responded: 100, LastActive: &now},
	}
	m := score(oneWay, true)
	if m.Mutual || m.Score >= MutualPoints || m.Score < 40 {
		t.Fatalf("one-way score %v", m.Score)
	}
	var sum float64
	for _, r := range m.Reasons {
		sum += r.Weight
	}
	if math.Abs(sum-m.Score) > 0.5 && sum < m.Score {
		// Every factor is known here, so the reasons explain (almost) the whole score.
		t.Errorf("reasons explain %.2f of %.2f", sum, m.Score)
	}
	if score(oneWay, false).Score != m.Score {
		t.Error("explaining must not change the score")
	}
}
