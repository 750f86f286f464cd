package domain_test

import (
	"testing"
	"time"

	"github.com/skillswap/skillswap/domain"
)

func TestNextDigest(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	mon, sun := time.Monday, time.Sunday
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name    string
		freq    domain.DigestFrequency
		weekday *time.Weekday
		minute  int
		now     string
		want    string
	}{
		{"daily, later today (summer time)", domain.DigestDaily, nil, 8 * 60, "2026-10-24T05:00:00Z", "2026-10-24T06:00:00Z"},
		{"daily, exactly now is past", domain.DigestDaily, nil, 8 * 60, "2026-10-24T06:00:00Z", "2026-10-25T07:00:00Z"},
		{"daily, after the clocks go back", domain.DigestDaily, nil, 8 * 60, "2026-10-25T07:00:00Z", "2026-10-26T07:00:00Z"},
		{"daily, clocks go forward", domain.DigestDaily, nil, 8 * 60, "2026-03-28T07:00:00Z", "2026-03-29T06:00:00Z"},
		{"daily, inside the spring-forward gap", domain.DigestDaily, nil, 2*60 + 30, "2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z"},
		{"weekly, later this week", domain.DigestWeekly, &mon, 9 * 60, "2026-12-03T12:00:00Z", "2026-12-07T08:00:00Z"},
		{"weekly, today but passed", domain.DigestWeekly, &sun, 9 * 60, "2026-12-06T09:00:00Z", "2026-12-13T08:00:00Z"},
	}
	for _, c := range cases {
		if got := domain.NextDigest(c.freq, c.weekday, c.minute, paris, at(c.now)); !got.Equal(at(c.want)) {
			t.Errorf("%s: NextDigest = %s, want %s", c.name, got, c.want)
		}
	}
}

// TestRescheduleDigest: after a change of zone or schedule, never a second digest in a local
// period (day, or week from Monday) and never a period skipped, DST included.
func TestRescheduleDigest(t *testing.T) {
	t.Parallel()
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	paris, ny, tokyo := zone("Europe/Paris"), zone("America/New_York"), zone("Asia/Tokyo")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ptr := func(s string) *time.Time { v := at(s); return &v }
	mon, fri := time.Monday, time.Friday
	cases := []struct {
		name    string
		freq    domain.DigestFrequency
		weekday *time.Weekday
		minute  int
		loc     *time.Location
		last    *time.Time
		now     string
		want    string
	}{
		{"no digest yet: the next occurrence", domain.DigestDaily, nil, 8 * 60, ny, nil, "2026-12-04T10:00:00Z", "2026-12-04T13:00:00Z"},
		// Had 08:00 Paris (02:00 in New York, Dec 4); 08:00 New York is still to come that day.
		{"moved west after today's: not twice today", domain.DigestDaily, nil, 8 * 60, ny, ptr("2026-12-04T07:00:00Z"), "2026-12-04T10:00:00Z", "2026-12-05T13:00:00Z"},
		// Had 08:00 New York (22:00 in Tokyo, Dec 4): Tokyo's Dec 5 is a new day.
		{"moved east: the next local day is not skipped", domain.DigestDaily, nil, 8 * 60, tokyo, ptr("2026-12-04T13:00:00Z"), "2026-12-04T13:30:00Z", "2026-12-04T23:00:00Z"},
		// Had 08:00 Tokyo (18:00 New York, Dec 3); at 10:00 New York on Dec 4 its 08:00 is past.
		{"moved west, today's passed unsent: at once", domain.DigestDaily, nil, 8 * 60, ny, ptr("2026-12-03T23:00:00Z"), "2026-12-04T15:00:00Z", "2026-12-04T15:00:00Z"},
		{"moved later after today's: tomorrow", domain.DigestDaily, nil, 20 * 60, paris, ptr("2026-12-04T07:00:00Z"), "2026-12-04T09:00:00Z", "2026-12-05T19:00:00Z"},
		{"moved earlier, today's passed unsent: at once", domain.DigestDaily, nil, 8 * 60, paris, ptr("2026-12-03T19:00:00Z"), "2026-12-04T09:00:00Z", "2026-12-04T09:00:00Z"},
		{"moved later, today's unsent: later today", domain.DigestDaily, nil, 20 * 60, paris, ptr("2026-12-03T07:00:00Z"), "2026-12-04T06:00:00Z", "2026-12-04T19:00:00Z"},
		// Paris went back to CET on Oct 25: 09:00 is 08:00 UTC the next day.
		{"DST night, moved later after the day's: tomorrow in winter time", domain.DigestDaily, nil, 9 * 60, paris, ptr("2026-10-25T07:00:00Z"), "2026-10-25T10:00:00Z", "2026-10-26T08:00:00Z"},
		// New York leaves EDT on Nov 1: 08:00 EST is 13:00 UTC.
		{"moved to New York the night it leaves summer time", domain.DigestDaily, nil, 8 * 60, ny, ptr("2026-10-31T07:00:00Z"), "2026-11-01T04:00:00Z", "2026-11-01T13:00:00Z"},
		{"moved to Paris the morning New York leaves summer time: at once", domain.DigestDaily, nil, 8 * 60, paris, ptr("2026-10-31T12:00:00Z"), "2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z"},
		// Had Monday's (Nov 30); Friday of the same week would be a second one.
		{"weekly, moved to a later weekday after this week's", domain.DigestWeekly, &fri, 9 * 60, paris, ptr("2026-11-30T08:00:00Z"), "2026-12-01T10:00:00Z", "2026-12-11T08:00:00Z"},
		// Had last week's Friday (Nov 27); this week's Monday is past.
		{"weekly, moved to an earlier weekday, this week's unsent: at once", domain.DigestWeekly, &mon, 9 * 60, paris, ptr("2026-11-27T08:00:00Z"), "2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"},
		{"weekly, moved to a later weekday, this week's unsent", domain.DigestWeekly, &fri, 9 * 60, paris, ptr("2026-11-23T08:00:00Z"), "2026-12-01T10:00:00Z", "2026-12-04T08:00:00Z"},
	}
	for _, c := range cases {
		got := domain.RescheduleDigest(c.freq, c.weekday, c.minute, c.loc, at(c.now), c.last)
		if !got.Equal(at(c.want)) {
			t.Errorf("%s: %s, want %s", c.name, got.Format(time.RFC3339), c.want)
		}
	}
}
