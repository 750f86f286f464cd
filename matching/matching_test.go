package matching_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/matching"
)

// Monday 2 March 2026, before both DST changes (US: 8 March, EU: 29 March).
var winter = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

const (
	beginner     = domain.LevelBeginner
	intermediate = domain.LevelIntermediate
	advanced     = domain.LevelAdvanced
	expert       = domain.LevelExpert
)

func wantOrder(t *testing.T, got []matching.Match, want []uuid.UUID, names map[uuid.UUID]string) {
	t.Helper()
	if !slices.Equal(ids(got), want) {
		var g, w []string
		for _, m := range got {
			g = append(g, names[m.UserID]+" "+formatScore(m.Score))
		}
		for _, id := range want {
			w = append(w, names[id])
		}
		t.Fatalf("order = %v, want %v", g, w)
	}
}

func formatScore(s float64) string { return time.Duration(s * float64(time.Second)).String() }

func TestMutualBeforeOneWay(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, spanish := w.skill("Guitar"), w.skill("Spanish")
	me := w.member(langs("fr", "en"), zone("Europe/Paris"), at(48.85, 2.35))
	w.wants(me, guitar, intermediate)
	w.offers(me, spanish, expert)
	w.slot(me, 1, "18:00", "20:00")

	// The mutual candidate shares nothing else: other language, no availability, far away,
	// level below the goal, never seen.
	mutual := w.member(langs("de"), zone("Asia/Tokyo"))
	w.offers(mutual, guitar, beginner)
	w.wants(mutual, spanish, intermediate)

	// One-way candidates are perfect on every other factor.
	teacher := w.member(langs("fr"), zone("Europe/Paris"), at(48.86, 2.34))
	w.offers(teacher, guitar, advanced)
	w.slot(teacher, 1, "18:00", "20:00")
	w.activeAt(teacher, winter.Add(-time.Hour))
	learner := w.member(langs("fr"), zone("Europe/Paris"), at(48.86, 2.34))
	w.wants(learner, spanish, advanced)
	w.slot(learner, 1, "18:00", "20:00")
	w.activeAt(learner, winter.Add(-time.Hour))
	stranger := w.member() // no skill in common: not a match
	w.offers(stranger, w.skill("Pottery"), expert)

	got := w.all(w.service(), me, 10, matching.Filter{})
	if len(got) != 3 || got[0].UserID != mutual {
		t.Fatalf("matches = %v, want the mutual candidate first of 3", ids(got))
	}
	m := got[0]
	if !m.Mutual || m.Score < 50 || got[1].Mutual || got[1].Score >= 50 || got[2].Score >= 50 {
		t.Fatalf("scores = %v / %v / %v", m.Score, got[1].Score, got[2].Score)
	}
	for _, code := range []matching.ReasonCode{matching.ReasonMutual, matching.ReasonTheyTeachWhatYouWant,
		matching.ReasonYouTeachWhatTheyWant, matching.ReasonLevelBelowTarget, matching.ReasonNoSharedLanguage, matching.ReasonNewMember} {
		if _, ok := reason(m, code); !ok {
			t.Errorf("mutual match lacks %s: %v", code, codes(m))
		}
	}
	if !slices.Equal(m.TheyTeach, []uuid.UUID{guitar}) || !slices.Equal(m.YouTeach, []uuid.UUID{spanish}) {
		t.Errorf("theyTeach %v youTeach %v", m.TheyTeach, m.YouTeach)
	}
	r, _ := reason(m, matching.ReasonTheyTeachWhatYouWant)
	if r.SkillID == nil || *r.SkillID != guitar || r.Text != "Teaches Guitar at Beginner level; you want to reach Intermediate." || r.Weight <= 0 {
		t.Errorf("reason = %+v", r)
	}
	// Every reason explains itself; weights never exceed the score.
	for _, mm := range got {
		var sum float64
		for _, r := range mm.Reasons {
			if r.Text == "" || r.Weight < 0 {
				t.Errorf("reason %+v", r)
			}
			sum += r.Weight
		}
		if sum > mm.Score+0.05 {
			t.Errorf("reasons weigh %.2f > score %.2f", sum, mm.Score)
		}
	}
	teacherMatch, _ := find(got, teacher)
	for _, code := range []matching.ReasonCode{matching.ReasonSharedLanguage, matching.ReasonAvailabilityOverlap, matching.ReasonNearby, matching.ReasonRecentlyActive, matching.ReasonLevelGapGood} {
		if _, ok := reason(teacherMatch, code); !ok {
			t.Errorf("one-way teacher lacks %s: %v", code, codes(teacherMatch))
		}
	}
	if teacherMatch.DistanceKm == nil || *teacherMatch.DistanceKm != 1 || teacherMatch.OverlapMinutesPerWeek != 120 {
		t.Errorf("distance %v overlap %d", teacherMatch.DistanceKm, teacherMatch.OverlapMinutesPerWeek)
	}
}

func TestLevelGapRanksMutualMatches(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, spanish := w.skill("Guitar"), w.skill("Spanish")
	me := w.member()
	w.wants(me, guitar, intermediate) // the goal
	w.offers(me, spanish, expert)

	// Same everything but the teacher's level. Rule: at or above the goal, the smallest
	// positive gap first (+1, then 0, then +2, +3), teachers below the goal last.
	byLevel := map[domain.Level]uuid.UUID{}
	for _, l := range []domain.Level{beginner, intermediate, advanced, expert} {
		c := w.member()
		w.offers(c, guitar, l)
		w.wants(c, spanish, advanced)
		byLevel[l] = c
		w.names[c] = string(l)
	}
	got := w.all(w.service(), me, 10, matching.Filter{})
	wantOrder(t, got, []uuid.UUID{byLevel[advanced], byLevel[intermediate], byLevel[expert], byLevel[beginner]}, w.names)
	wantCode := map[uuid.UUID]matching.ReasonCode{
		byLevel[advanced]: matching.ReasonLevelGapGood, byLevel[intermediate]: matching.ReasonLevelGapGood,
		byLevel[expert]: matching.ReasonLevelGapWide, byLevel[beginner]: matching.ReasonLevelBelowTarget,
	}
	for _, m := range got {
		if !m.Mutual {
			t.Errorf("%s not mutual", w.names[m.UserID])
		}
		if _, ok := reason(m, wantCode[m.UserID]); !ok {
			t.Errorf("%s: reasons %v lack %s", w.names[m.UserID], codes(m), wantCode[m.UserID])
		}
	}
}

func TestRelatedSkillCountsLessThanExact(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, bass, drums, spanish := w.skill("Guitar"), w.skill("Bass guitar"), w.skill("Drums"), w.skill("Spanish")
	w.relate(guitar, bass)
	me := w.member()
	w.wants(me, guitar, intermediate)
	w.offers(me, spanish, expert)

	exact := w.member()
	w.offers(exact, guitar, advanced)
	related := w.member()
	w.offers(related, bass, advanced)
	unrelated := w.member()
	w.offers(unrelated, drums, advanced)
	// Mutual needs exact skills both ways: teaching a related skill and learning mine is a
	// one-way match, below the exact mutual one, above one-way teachers of a single skill.
	exactMutual := w.member()
	w.offers(exactMutual, guitar, advanced)
	w.wants(exactMutual, spanish, intermediate)
	relatedLearns := w.member()
	w.offers(relatedLearns, bass, advanced)
	w.wants(relatedLearns, spanish, intermediate)
	w.names[exact], w.names[related], w.names[exactMutual], w.names[relatedLearns] = "exact", "related", "exact mutual", "related, learns"

	got := w.all(w.service(), me, 10, matching.Filter{})
	wantOrder(t, got, []uuid.UUID{exactMutual, relatedLearns, exact, related}, w.names)
	if !got[0].Mutual || got[1].Mutual {
		t.Fatalf("mutual flags: %v %v", got[0].Mutual, got[1].Mutual)
	}
	r, ok := reason(got[3], matching.ReasonRelatedSkill)
	if !ok || r.SkillID == nil || *r.SkillID != bass || r.Text != "Teaches Bass guitar, related to Guitar that you want to learn." {
		t.Fatalf("related reason = %+v (%v)", r, codes(got[3]))
	}
	if !slices.Equal(got[3].TheyTeach, []uuid.UUID{bass}) {
		t.Errorf("theyTeach = %v", got[3].TheyTeach)
	}
}

func TestSharedLanguageBoosts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar := w.skill("Guitar")
	me := w.member(langs("fr", "es"))
	w.wants(me, guitar, intermediate)
	german := w.member(langs("de"))
	w.offers(german, guitar, advanced)
	french := w.member(langs("fr"))
	w.offers(french, guitar, advanced)
	silent := w.member(langs()) // lists no language: neutral, between the two
	w.offers(silent, guitar, advanced)
	w.names[german], w.names[french], w.names[silent] = "german", "french", "silent"

	got := w.all(w.service(), me, 10, matching.Filter{})
	wantOrder(t, got, []uuid.UUID{french, silent, german}, w.names)
	if r, ok := reason(got[0], matching.ReasonSharedLanguage); !ok || r.Text != "You share a language (fr)." {
		t.Errorf("shared language reason = %+v", r)
	}
	if _, ok := reason(got[2], matching.ReasonNoSharedLanguage); !ok {
		t.Errorf("german lacks NO_SHARED_LANGUAGE: %v", codes(got[2]))
	}
}

// A weekly Monday 18:00–20:00 Paris slot against Monday 12:00–14:00 New York and a fixed
// Monday 17:00–18:30 UTC slot. Paris is UTC+1 until 29 March, UTC+2 after; New York is UTC−5
// until 8 March, UTC−4 after. So New York overlaps 120 min, then 60, then 120 again, while the
// UTC member overlaps 90 min, then 90, then 60: the ranking flips twice.
func TestAvailabilityOverlapAcrossDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		now          time.Time
		newYork, utc int
		nyFirst      bool
	}{
		{"both in winter time", winter, 120, 90, true},
		{"US in summer time, EU not yet", time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC), 60, 90, false},
		{"both in summer time", time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC), 120, 60, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tc.now)
			guitar := w.skill("Guitar")
			me := w.member(zone("Europe/Paris"))
			w.wants(me, guitar, intermediate)
			w.slot(me, 1, "18:00", "20:00")
			ny := w.member(zone("America/New_York"))
			w.offers(ny, guitar, advanced)
			w.slot(ny, 1, "12:00", "14:00")
			utc := w.member(zone("UTC"))
			w.offers(utc, guitar, advanced)
			w.slot(utc, 1, "17:00", "18:30")
			w.names[ny], w.names[utc] = "new york", "utc"

			got := w.all(w.service(), me, 10, matching.Filter{})
			want := []uuid.UUID{utc, ny}
			if tc.nyFirst {
				want = []uuid.UUID{ny, utc}
			}
			wantOrder(t, got, want, w.names)
			nyM, _ := find(got, ny)
			utcM, _ := find(got, utc)
			if nyM.OverlapMinutesPerWeek != tc.newYork || utcM.OverlapMinutesPerWeek != tc.utc {
				t.Fatalf("overlap: new york %d (want %d), utc %d (want %d)", nyM.OverlapMinutesPerWeek, tc.newYork, utcM.OverlapMinutesPerWeek, tc.utc)
			}
			if r, ok := reason(nyM, matching.ReasonAvailabilityOverlap); !ok || r.Weight <= 0 {
				t.Errorf("overlap reason = %+v", r)
			}
		})
	}
}

func TestExclusions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, spanish := w.skill("Guitar"), w.skill("Spanish")
	me := w.member(mode(domain.ModeInPerson))
	w.wants(me, guitar, intermediate)
	w.offers(me, spanish, expert)

	perfect := func(opts ...opt) uuid.UUID {
		c := w.member(opts...)
		w.offers(c, guitar, advanced)
		w.wants(c, spanish, advanced)
		return c
	}
	control := perfect()
	noProfileYet := perfect(noProfile()) // default profile: MEMBERS, BOTH: a match
	iBlocked := perfect()
	w.block(me, iBlocked)
	blockedMe := perfect()
	w.block(blockedMe, me)
	perfect(suspended())
	perfect(visibility(domain.VisibilityHidden))
	perfect(mode(domain.ModeOnline)) // cannot meet an in-person-only member
	public := perfect(visibility(domain.VisibilityPublic))
	// Blocks between two other members do not matter to me.
	w.block(control, public)

	got := w.all(w.service(), me, 10, matching.Filter{})
	want := []uuid.UUID{control, noProfileYet, public}
	if g := ids(got); len(g) != len(want) || !sameSet(g, want) {
		t.Fatalf("matches = %v, want exactly %v", g, want)
	}
	if slices.Contains(ids(got), me) {
		t.Fatal("the viewer matches themselves")
	}
}

func sameSet(a, b []uuid.UUID) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return len(a) == len(b)
}

func TestFilters(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, piano, spanish := w.skill("Guitar"), w.skill("Piano"), w.skill("Spanish")
	me := w.member(langs("fr", "en"), at(48.85, 2.35)) // Paris
	w.wants(me, guitar, intermediate)
	w.wants(me, piano, beginner)
	w.offers(me, spanish, expert)

	mutualGuitar := w.member(langs("fr"), mode(domain.ModeOnline))
	w.offers(mutualGuitar, guitar, advanced)
	w.wants(mutualGuitar, spanish, advanced)
	pianoNearby := w.member(langs("en"), mode(domain.ModeInPerson), at(48.80, 2.30)) // ~7 km
	w.offers(pianoNearby, piano, advanced)
	guitarLyon := w.member(langs("de"), at(45.76, 4.83)) // ~390 km
	w.offers(guitarLyon, guitar, advanced)

	online, inPerson := domain.ModeOnline, domain.ModeInPerson
	fr, near, far := "FR", 50.0, 500.0
	tests := []struct {
		name string
		f    matching.Filter
		want []uuid.UUID
	}{
		{"none", matching.Filter{}, []uuid.UUID{mutualGuitar, pianoNearby, guitarLyon}},
		{"mutual only", matching.Filter{MutualOnly: true}, []uuid.UUID{mutualGuitar}},
		{"skill", matching.Filter{SkillID: &piano}, []uuid.UUID{pianoNearby}},
		{"viewer's offered skill", matching.Filter{SkillID: &spanish}, []uuid.UUID{mutualGuitar}},
		{"online", matching.Filter{Mode: &online}, []uuid.UUID{mutualGuitar, guitarLyon}},
		{"in person", matching.Filter{Mode: &inPerson}, []uuid.UUID{pianoNearby, guitarLyon}},
		{"language (any case)", matching.Filter{Language: &fr}, []uuid.UUID{mutualGuitar}},
		{"within 50 km", matching.Filter{MaxDistanceKm: &near}, []uuid.UUID{pianoNearby}},
		{"within 500 km", matching.Filter{MaxDistanceKm: &far}, []uuid.UUID{pianoNearby, guitarLyon}},
	}
	svc := w.service()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := w.all(svc, me, 10, tc.f)
			if !sameSet(ids(got), tc.want) {
				t.Fatalf("got %v, want %v", ids(got), tc.want)
			}
		})
	}

	bad := []struct {
		f     matching.Filter
		field string
	}{
		{matching.Filter{Language: ptr("klingon")}, "filter.language"},
		{matching.Filter{Mode: ptr(domain.Mode("TELEPATHY"))}, "filter.mode"},
		{matching.Filter{MaxDistanceKm: ptr(-1.0)}, "filter.maxDistanceKm"},
	}
	for _, b := range bad {
		_, err := w.matches(svc, me, 10, nil, b.f)
		if de, ok := err.(*domain.Error); !ok || de.Field != b.field {
			t.Errorf("filter %+v: %v, want invalid %s", b.f, err, b.field)
		}
	}
	// Distance needs the viewer's location.
	nowhere := w.member()
	w.wants(nowhere, guitar, beginner)
	if _, err := w.matches(svc, nowhere, 10, nil, matching.Filter{MaxDistanceKm: &near}); !domain.IsKind(err, domain.KindInvalid) {
		t.Errorf("distance filter without a location: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPaginationReturnsEveryMatchOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, spanish := w.skill("Guitar"), w.skill("Spanish")
	me := w.member()
	w.wants(me, guitar, intermediate)
	w.offers(me, spanish, expert)
	var want []uuid.UUID
	levels := []domain.Level{beginner, intermediate, advanced, expert}
	for i := range 23 { // many equal scores: the id breaks ties
		c := w.member()
		w.offers(c, guitar, levels[i%4])
		if i%3 == 0 {
			w.wants(c, spanish, levels[(i/3)%4])
		}
		want = append(want, c)
	}
	svc := w.service()
	whole := w.all(svc, me, 100, matching.Filter{})
	for _, size := range []int{1, 4, 7, 23, 50} {
		got := w.all(svc, me, size, matching.Filter{})
		if !slices.Equal(ids(got), ids(whole)) {
			t.Fatalf("page size %d: %v, want %v", size, ids(got), ids(whole))
		}
	}
	if !sameSet(ids(whole), want) {
		t.Fatalf("got %d matches, want %d distinct", len(whole), len(want))
	}
	for i := 1; i < len(whole); i++ {
		if whole[i].Score > whole[i-1].Score {
			t.Fatalf("not sorted by score at %d", i)
		}
	}
	// The last page says so; a cursor of another list is refused; first is bounded.
	p, err := w.matches(svc, me, 5, ptr(cursorOf(whole[len(whole)-2])), matching.Filter{})
	if err != nil || len(p.Matches) != 1 || p.HasNextPage || p.Matches[0].UserID != whole[len(whole)-1].UserID {
		t.Fatalf("last page = %+v, %v", p, err)
	}
	if _, err := w.matches(svc, me, 5, ptr("bm90LWEtY3Vyc29y"), matching.Filter{}); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("bad cursor: %v", err)
	}
	for _, first := range []int{0, 101} {
		if _, err := w.matches(svc, me, first, nil, matching.Filter{}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("first=%d: %v", first, err)
		}
	}
	// A member with no skills has no matches (and no error).
	if p, err := w.matches(svc, w.member(), 5, nil, matching.Filter{}); err != nil || len(p.Matches) != 0 || p.EndCursor != nil {
		t.Fatalf("no skills: %+v, %v", p, err)
	}
}

func TestSwapCircle(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	cooking, french, photo := w.skill("Cooking"), w.skill("French"), w.skill("Photography")
	// A teaches B cooking, B teaches C French, C teaches A photography; no pair is mutual.
	a, b, c := w.member(), w.member(), w.member()
	w.offers(a, cooking, expert)
	w.wants(a, photo, beginner)
	w.wants(b, cooking, intermediate)
	w.offers(b, french, advanced)
	w.wants(c, french, intermediate)
	w.offers(c, photo, advanced)
	// Noise: another learner of A who teaches nobody A's teachers want.
	noise := w.member()
	w.wants(noise, cooking, beginner)
	w.offers(noise, w.skill("Knitting"), expert)
	svc := w.service()

	for _, tc := range []struct {
		viewer  uuid.UUID
		members [3]uuid.UUID
		skills  [3]uuid.UUID
	}{
		{a, [3]uuid.UUID{a, b, c}, [3]uuid.UUID{cooking, french, photo}},
		{b, [3]uuid.UUID{b, c, a}, [3]uuid.UUID{french, photo, cooking}},
		{c, [3]uuid.UUID{c, a, b}, [3]uuid.UUID{photo, cooking, french}},
	} {
		circles, err := svc.SwapCircles(w.ctx, as(tc.viewer), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(circles) != 1 || circles[0].Members != tc.members {
			t.Fatalf("circles of %v = %+v, want members %v", tc.viewer, circles, tc.members)
		}
		got := circles[0]
		for i, e := range got.Edges {
			if e.TeacherID != tc.members[i] || e.LearnerID != tc.members[(i+1)%3] || e.SkillID != tc.skills[i] {
				t.Fatalf("edge %d = %+v", i, e)
			}
		}
		if got.Score <= 0 || got.Score > 100 {
			t.Fatalf("score %v", got.Score)
		}
	}

	// B and C blocking each other breaks the circle.
	w.block(c, b)
	if circles, err := svc.SwapCircles(w.ctx, as(a), 10); err != nil || len(circles) != 0 {
		t.Fatalf("circles through a block: %+v, %v", circles, err)
	}
	w.exec(`DELETE FROM blocks`)

	// Once A has a direct mutual match, A gets no circles (B and C still do).
	d := w.member()
	w.offers(d, photo, advanced)
	w.wants(d, cooking, beginner)
	if circles, err := svc.SwapCircles(w.ctx, as(a), 10); err != nil || len(circles) != 0 {
		t.Fatalf("circles of a member with a mutual match: %+v, %v", circles, err)
	}
	if circles, err := svc.SwapCircles(w.ctx, as(b), 10); err != nil || len(circles) == 0 {
		t.Fatalf("circles of B: %+v, %v", circles, err)
	}
	if _, err := svc.SwapCircles(w.ctx, as(a), 0); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("first=0: %v", err)
	}
}

// The service runs the same number of statements whatever the page size (the GraphQL layer
// batches partners' skills and profiles with dataloaders on top).
func TestMatchesStatementCountIsConstant(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, bass, spanish, chess := w.skill("Guitar"), w.skill("Bass"), w.skill("Spanish"), w.skill("Chess")
	w.relate(guitar, bass)
	me := w.member(zone("Europe/Paris"), at(48.85, 2.35))
	w.wants(me, guitar, intermediate)
	w.offers(me, spanish, expert)
	w.offers(me, chess, advanced)
	w.slot(me, 2, "09:00", "12:00")
	levels := []domain.Level{beginner, intermediate, advanced, expert}
	for i := range 60 {
		c := w.member(zone([]string{"UTC", "America/New_York", "Asia/Tokyo"}[i%3]), at(48+float64(i%5)/10, 2))
		w.offers(c, []uuid.UUID{guitar, bass}[i%2], levels[i%4])
		w.wants(c, []uuid.UUID{spanish, chess}[i%2], levels[(i+1)%4])
		w.slot(c, 2, "08:00", "10:00")
		w.activeAt(c, winter.Add(-time.Duration(i)*24*time.Hour))
	}
	svc := w.service()
	count := func(first int) (int64, int) {
		var n int
		stmts := w.counter.Measure(func() {
			p, err := w.matches(svc, me, first, nil, matching.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			n = len(p.Matches)
		})
		return stmts, n
	}
	few, n5 := count(5)
	many, n50 := count(50)
	if n5 != 5 || n50 != 50 {
		t.Fatalf("pages of %d and %d matches", n5, n50)
	}
	if few != many || many > 6 {
		t.Fatalf("statements: first=5 ran %d, first=50 ran %d (want equal, at most 6)", few, many)
	}
	t.Logf("matches runs %d statements per page", many)
}

// fakeReliability feeds track records the way the sessions and reviews issue will.
type fakeReliability map[uuid.UUID]matching.Reliability

func (f fakeReliability) Reliability(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]matching.Reliability, error) {
	out := map[uuid.UUID]matching.Reliability{}
	for _, id := range ids {
		if r, ok := f[id]; ok {
			out[id] = r
		}
	}
	return out, nil
}

type failingReliability struct{}

func (failingReliability) Reliability(context.Context, []uuid.UUID) (map[uuid.UUID]matching.Reliability, error) {
	return nil, errors.New("reviews unavailable")
}

func TestReliabilityRanksPartners(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar := w.skill("Guitar")
	me := w.member()
	w.wants(me, guitar, intermediate)
	var cands []uuid.UUID
	for range 3 {
		c := w.member()
		w.offers(c, guitar, advanced)
		cands = append(cands, c)
	}
	seen := winter.Add(-2 * time.Hour)
	proven, flaky, unknown := cands[0], cands[1], cands[2]
	w.names[proven], w.names[flaky], w.names[unknown] = "proven", "flaky", "unknown"
	src := fakeReliability{
		proven: {RatingSum: 4.8 * 25, RatingCount: 25, Completed: 30, Cancelled: 1, Requests: 10, Responded: 10, LastActive: &seen},
		flaky:  {RatingSum: 2.5 * 8, RatingCount: 8, Completed: 2, Cancelled: 6, Requests: 10, Responded: 3},
	}
	svc := matching.NewService(w.st, src, func() time.Time { return w.now })
	got := w.all(svc, me, 10, matching.Filter{})
	wantOrder(t, got, []uuid.UUID{proven, unknown, flaky}, w.names)
	if r, ok := reason(got[0], matching.ReasonReliablePartner); !ok || r.Weight <= 0 || r.Text != "Reliable partner: rated 4.8/5 over 25 reviews." {
		t.Fatalf("reliable partner reason = %+v (%v)", r, codes(got[0]))
	}
	if _, ok := reason(got[0], matching.ReasonNewMember); ok {
		t.Error("a member with reviews is not NEW_MEMBER")
	}
	if _, err := w.matches(matching.NewService(w.st, failingReliability{}, nil), me, 10, nil, matching.Filter{}); err == nil {
		t.Fatal("a failing reliability source must fail the request")
	}
}

// Today's source: recent activity from login sessions, everything else neutral.
func TestRecentActivityFromLoginSessions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar := w.skill("Guitar")
	me := w.member()
	w.wants(me, guitar, intermediate)
	active, dormant, never := w.member(), w.member(), w.member()
	for _, c := range []uuid.UUID{active, dormant, never} {
		w.offers(c, guitar, advanced)
	}
	w.activeAt(active, winter.AddDate(0, 0, -3))
	w.activeAt(dormant, winter.AddDate(0, -5, 0))
	w.activeAt(dormant, winter.AddDate(0, -4, 0))
	w.names[active], w.names[dormant], w.names[never] = "active", "dormant", "never"
	got := w.all(w.service(), me, 10, matching.Filter{})
	wantOrder(t, got, []uuid.UUID{active, never, dormant}, w.names)
	if _, ok := reason(got[0], matching.ReasonRecentlyActive); !ok {
		t.Errorf("active lacks RECENTLY_ACTIVE: %v", codes(got[0]))
	}
	if r, ok := reason(got[2], matching.ReasonInactive); !ok || r.Weight != 0 {
		t.Errorf("dormant inactive reason = %+v (%v)", r, codes(got[2]))
	}
}

// Beyond MaxCandidates members, the best by skill pre-score are kept: every mutual candidate,
// then the best one-way ones; excluded members do not take places.
func TestCandidateCap(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, spanish := w.skill("Guitar"), w.skill("Spanish")
	me := w.member()
	w.wants(me, guitar, intermediate)
	w.offers(me, spanish, expert)
	bulk := func(n int, status string, sql string) {
		w.exec(`
			WITH u AS (
				INSERT INTO users (id, email, password_hash, display_name, status)
				SELECT gen_random_uuid(), gen_random_uuid()::text || '@example.com', 'x', 'Bulk', $1
				FROM generate_series(1, $2) RETURNING id)
			INSERT INTO member_skills (user_id, skill_id, kind, level) `+sql, status, n, guitar, spanish)
	}
	// 700 suspended, 700 hidden and 700 blocked mutual members must not crowd out the rest.
	bulk(700, "SUSPENDED", `SELECT id, $3::uuid, 'OFFER', 'ADVANCED' FROM u UNION ALL SELECT id, $4::uuid, 'WANT', 'ADVANCED' FROM u`)
	w.exec(`UPDATE member_skills SET level = 'EXPERT' WHERE level = 'ADVANCED' AND kind = 'OFFER'`)
	bulk(700, "ACTIVE", `SELECT id, $3::uuid, 'OFFER', 'ADVANCED' FROM u UNION ALL SELECT id, $4::uuid, 'WANT', 'ADVANCED' FROM u`)
	w.exec(`INSERT INTO profiles (user_id, visibility) SELECT user_id, 'HIDDEN' FROM member_skills WHERE level = 'ADVANCED' AND kind = 'OFFER'`)
	w.exec(`UPDATE member_skills SET level = 'EXPERT' WHERE level = 'ADVANCED' AND kind = 'OFFER'`)
	bulk(700, "ACTIVE", `SELECT id, $3::uuid, 'OFFER', 'ADVANCED' FROM u UNION ALL SELECT id, $4::uuid, 'WANT', 'ADVANCED' FROM u`)
	w.exec(`INSERT INTO blocks (blocker_id, blocked_id) SELECT user_id, $1 FROM member_skills WHERE level = 'ADVANCED' AND kind = 'OFFER'`, me)
	bulk(30, "ACTIVE", `SELECT id, $3::uuid, 'OFFER', 'BEGINNER' FROM u UNION ALL SELECT id, $4::uuid, 'WANT', 'ADVANCED' FROM u`)
	bulk(300, "ACTIVE", `SELECT id, $3::uuid, 'OFFER', 'ADVANCED' FROM u WHERE $4::uuid IS NOT NULL`)
	bulk(400, "ACTIVE", `SELECT id, $3::uuid, 'OFFER', 'BEGINNER' FROM u WHERE $4::uuid IS NOT NULL`)

	got := w.all(w.service(), me, 100, matching.Filter{})
	if len(got) != matching.MaxCandidates {
		t.Fatalf("%d matches, want the cap %d", len(got), matching.MaxCandidates)
	}
	seen := map[uuid.UUID]bool{}
	for i, m := range got {
		if seen[m.UserID] {
			t.Fatalf("%v twice", m.UserID)
		}
		seen[m.UserID] = true
		if m.Mutual != (i < 30) {
			t.Fatalf("match %d mutual=%v: the 30 mutual members come first", i, m.Mutual)
		}
	}
	// All 300 advanced teachers beat the beginner ones, so they are all in.
	advancedTeachers := 0
	for _, m := range got[30:] {
		if r, ok := reason(m, matching.ReasonLevelGapGood); ok && r.SkillID != nil {
			advancedTeachers++
		}
	}
	if advancedTeachers != 300 {
		t.Fatalf("%d advanced one-way teachers kept, want 300", advancedTeachers)
	}
}

// Matches follow changes at once, whatever writes them (the store or plain SQL): skills,
// profile fields, visibility, account status, blocks and weekly availability. Candidate
// generation reads a denormalised copy of profiles (migration 0010), which must never lag.
func TestMatchesFollowChanges(t *testing.T) {
	t.Parallel()
	w := newWorld(t, winter)
	guitar, spanish := w.skill("Guitar"), w.skill("Spanish")
	me := w.member(langs("fr"), at(48.85, 2.35))
	w.wants(me, guitar, intermediate)
	w.offers(me, spanish, expert)
	w.slot(me, 1, "18:00", "20:00")
	them := w.member(langs("en"), at(48.80, 2.30))
	w.offers(them, guitar, advanced)
	w.wants(them, spanish, advanced)
	svc := w.service()
	fr, near := "fr", 20.0
	only := func(f matching.Filter) (matching.Match, bool) {
		t.Helper()
		got := w.all(svc, me, 10, f)
		if len(got) > 1 || (len(got) == 1 && got[0].UserID != them) {
			t.Fatalf("matches = %v", ids(got))
		}
		if len(got) == 0 {
			return matching.Match{}, false
		}
		return got[0], true
	}
	expect := func(step string, f matching.Filter, want bool) matching.Match {
		t.Helper()
		m, ok := only(f)
		if ok != want {
			t.Fatalf("%s: matched = %v, want %v", step, ok, want)
		}
		return m
	}

	if m := expect("start", matching.Filter{}, true); m.OverlapMinutesPerWeek != 0 || !m.Mutual {
		t.Fatalf("start: %+v", m)
	}
	expect("start, in French", matching.Filter{Language: &fr}, false)
	w.exec(`UPDATE profiles SET languages = '{en,fr}' WHERE user_id = $1`, them)
	expect("now speaks French", matching.Filter{Language: &fr}, true)

	w.slot(them, 1, "19:00", "21:00")
	if m := expect("slot added", matching.Filter{}, true); m.OverlapMinutesPerWeek != 60 {
		t.Fatalf("overlap after a new slot = %d, want 60", m.OverlapMinutesPerWeek)
	}
	if err := w.st.Q().ReplaceSlots(w.ctx, them, nil); err != nil {
		t.Fatal(err)
	}
	if m := expect("slots cleared", matching.Filter{}, true); m.OverlapMinutesPerWeek != 0 {
		t.Fatalf("overlap after clearing = %d", m.OverlapMinutesPerWeek)
	}

	expect("nearby", matching.Filter{MaxDistanceKm: &near}, true)
	w.exec(`UPDATE profiles SET latitude = 45.76, longitude = 4.83 WHERE user_id = $1`, them)
	expect("moved to Lyon", matching.Filter{MaxDistanceKm: &near}, false)
	w.exec(`UPDATE profiles SET mode = 'ONLINE' WHERE user_id = $1`, them)
	w.exec(`UPDATE profiles SET mode = 'IN_PERSON' WHERE user_id = $1`, me)
	expect("cannot meet any more", matching.Filter{}, false)
	w.exec(`UPDATE profiles SET mode = 'BOTH' WHERE user_id = $1`, me)
	expect("can meet again", matching.Filter{}, true)

	w.exec(`UPDATE profiles SET visibility = 'HIDDEN' WHERE user_id = $1`, them)
	expect("hidden", matching.Filter{}, false)
	w.exec(`DELETE FROM profiles WHERE user_id = $1`, them)
	expect("profile deleted (defaults)", matching.Filter{}, true)
	expect("profile deleted, in French", matching.Filter{Language: &fr}, false)

	w.exec(`UPDATE users SET status = 'SUSPENDED' WHERE id = $1`, them)
	expect("suspended", matching.Filter{}, false)
	w.exec(`UPDATE users SET status = 'ACTIVE' WHERE id = $1`, them)
	expect("reinstated", matching.Filter{}, true)

	w.block(them, me)
	expect("blocked me", matching.Filter{}, false)
	w.exec(`DELETE FROM blocks`)
	expect("unblocked", matching.Filter{}, true)

	w.exec(`DELETE FROM member_skills WHERE user_id = $1 AND skill_id = $2`, them, guitar)
	if m := expect("no longer teaches guitar", matching.Filter{}, true); m.Mutual {
		t.Fatalf("still mutual without guitar: %+v", m)
	}
	w.exec(`DELETE FROM member_skills WHERE user_id = $1`, them)
	expect("no skills left", matching.Filter{}, false)
}
