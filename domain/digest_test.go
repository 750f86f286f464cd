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
