package search

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// The block cover of weekly slots is exact: a minute's keys meet a member's keys if and only if
// one of the member's slots contains that minute, for every minute of the week.
func TestAvailabilityKeysCoverSlotsExactly(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	cases := [][]store.MemberSearchSlot{
		nil,
		{{Weekday: 1, StartMinute: 0, EndMinute: 1440}},
		{{Weekday: 7, StartMinute: 1380, EndMinute: 1440}, {Weekday: 1, StartMinute: 0, EndMinute: 60}},
		{{Weekday: 3, StartMinute: 555, EndMinute: 585}, {Weekday: 3, StartMinute: 570, EndMinute: 1439}},
		{{Weekday: 6, StartMinute: 607, EndMinute: 773}},
	}
	for range 200 {
		var slots []store.MemberSearchSlot
		for range rng.IntN(5) {
			start := rng.IntN(1440)
			slots = append(slots, store.MemberSearchSlot{Weekday: 1 + rng.IntN(7), StartMinute: start, EndMinute: start + 1 + rng.IntN(1440-start)})
		}
		cases = append(cases, slots)
	}
	for _, slots := range cases {
		keys := availabilityKeys("Europe/Paris", slots)
		set := map[string]bool{}
		for _, k := range keys {
			set[k] = true
		}
		if len(keys) > 0 && len(set) > 4*len(slots)*26 {
			t.Fatalf("%v: %d keys", slots, len(keys))
		}
		for x := range 7 * 1440 {
			want := false
			for _, s := range slots {
				if x >= (s.Weekday-1)*1440+s.StartMinute && x < (s.Weekday-1)*1440+s.EndMinute {
					want = true
				}
			}
			got := slices.ContainsFunc(minuteKeys("Europe/Paris", x), func(k string) bool { return set[k] })
			if got != want {
				t.Fatalf("slots %v, minute %d: matched %v, want %v (keys %v)", slots, x, got, want, keys)
			}
		}
	}
	// Aligned slots need few keys: Monday 18:00-20:00 is two hours.
	if got := availabilityKeys("Europe/Paris", []store.MemberSearchSlot{{Weekday: 1, StartMinute: 1080, EndMinute: 1200}}); !slices.Equal(got, []string{"A:Europe/Paris:H18", "A:Europe/Paris:H19"}) {
		t.Fatalf("Monday 18-20: %v", got)
	}
	// Keys of other zones never meet.
	if slices.Contains(minuteKeys("Europe/Berlin", 1090), "A:Europe/Paris:H18") {
		t.Fatal("zones share keys")
	}
}

func TestMinuteOfWeekFollowsTheZoneRules(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		utc  string
		want int
	}{
		{"2026-03-23T17:30:00Z", 18*60 + 30},          // Monday, CET (UTC+1)
		{"2026-03-30T17:30:00Z", 19*60 + 30},          // Monday, CEST (UTC+2)
		{"2026-03-29T00:59:00Z", 6*1440 + 1*60 + 59},  // Sunday 01:59 CET, just before the change
		{"2026-03-29T01:00:00Z", 6*1440 + 3*60},       // Sunday 03:00 CEST: 02:xx never happens
		{"2026-10-25T00:30:00Z", 6*1440 + 2*60 + 30},  // Sunday 02:30 CEST
		{"2026-10-25T01:30:00Z", 6*1440 + 2*60 + 30},  // Sunday 02:30 CET: the repeated hour
		{"2026-03-22T23:30:00Z", 0*1440 + 0*60 + 30},  // Monday 00:30: week start
		{"2026-03-22T22:59:00Z", 6*1440 + 23*60 + 59}, // Sunday 23:59: week end
	}
	for _, c := range cases {
		ts, _ := time.Parse(time.RFC3339, c.utc)
		if got := minuteOfWeek(ts.In(paris)); got != c.want {
			t.Errorf("%s: minute %d, want %d", c.utc, got, c.want)
		}
	}
	if keys := instantKeys("Not/AZone", time.Now()); keys != nil {
		t.Errorf("unknown zone gave keys %v", keys)
	}
}

func TestMemberDocument(t *testing.T) {
	t.Parallel()
	guitar, music := uuid.MustParse("01900000-0000-7000-8000-000000000001"), uuid.MustParse("01900000-0000-7000-8000-0000000000c1")
	piano := uuid.MustParse("01900000-0000-7000-8000-000000000002")
	lat, lon := 48.85, 2.35
	d := buildMemberDoc(store.MemberSearchSource{
		UserID: uuid.New(), DisplayName: "Zoé", Status: domain.UserActive, Visibility: domain.VisibilityPublic,
		Languages: []string{"FR", "en", "fr"}, TimeZone: "Mars/Olympus", Latitude: &lat, Longitude: &lon, Mode: domain.ModeBoth,
		Skills: []store.MemberSearchSkill{
			{SkillID: guitar, CategoryID: music, Kind: domain.Offer, Level: domain.LevelAdvanced, NameEN: "Guitar", NameFR: "Guitare", Synonyms: []string{"Guitare électrique"}},
			{SkillID: piano, CategoryID: music, Kind: domain.Want, Level: domain.LevelBeginner, NameEN: "Piano", NameFR: "Piano"},
		},
		Slots: []store.MemberSearchSlot{{Weekday: 1, StartMinute: 0, EndMinute: 1440}},
	})
	want := []string{
		"A:UTC:D0", "L:en", "L:fr", "M:BOTH", "OC:" + music.String(), "OC:" + music.String() + ":3", "OL:3",
		"OS:" + guitar.String(), "OS:" + guitar.String() + ":3", "V:PUBLIC",
		"WC:" + music.String(), "WC:" + music.String() + ":1", "WL:1", "WS:" + piano.String(), "WS:" + piano.String() + ":1",
	}
	slices.Sort(want)
	if !slices.Equal(d.keys, want) || !slices.Equal(d.row.Keys, hashKeys(want)) {
		t.Fatalf("keys\n%v\nwant\n%v", d.keys, want)
	}
	if d.row.TimeZone != "UTC" || !slices.Equal(d.row.Languages, []string{"fr", "en"}) || d.row.OfferRank != 3 || d.row.WantRank != 1 {
		t.Fatalf("row %+v", d.row)
	}
	if !slices.Equal(d.modes, []string{"ONLINE", "IN_PERSON", "BOTH"}) || !slices.Equal(d.offerLevels, []string{"1", "2", "3"}) ||
		!slices.Equal(d.offerCats, []string{music.String() + ":1", music.String() + ":2", music.String() + ":3"}) {
		t.Fatalf("facet fields %v %v %v", d.modes, d.offerLevels, d.offerCats)
	}
	if !slices.Equal(foldAll(d.offerText), []string{"guitar", "guitare", "guitare electrique"}) {
		t.Fatalf("offer text %v", d.offerText)
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Pâtisserie": "patisserie", "GUITARE ÉLECTRIQUE": "guitare electrique", "Español": "espanol", "日本語": "日本語"} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}
