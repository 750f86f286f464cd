package domain

import (
	"testing"
	"time"
)

func TestParseClock(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"00:00", 0, true}, {"07:00", 420, true}, {"22:30", 1350, true}, {"23:59", 1439, true},
		{"24:00", 0, false}, {"7:00", 0, false}, {"07:60", 0, false}, {"0700", 0, false}, {"", 0, false},
		{"aa:bb", 0, false}, {"-1:00", 0, false}, {"07:0x", 0, false},
	} {
		got, err := ParseClock("start", c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseClock(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
		}
		if c.ok && FormatClock(got) != c.in {
			t.Errorf("FormatClock(%d) = %q, want %q", got, FormatClock(got), c.in)
		}
	}
}

func TestQuietHoursUntil(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	night := QuietHours{Enabled: true, StartMinute: 22 * 60, EndMinute: 7 * 60}
	day := QuietHours{Enabled: true, StartMinute: 13 * 60, EndMinute: 14 * 60}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, paris) }
	for _, c := range []struct {
		name string
		q    QuietHours
		now  time.Time
		want time.Time // zero: not quiet
	}{
		{"23:00 ends at 07:00 the next day", night, at(2026, 6, 10, 23, 0), at(2026, 6, 11, 7, 0)},
		{"03:00 ends at 07:00 the same day", night, at(2026, 6, 11, 3, 0), at(2026, 6, 11, 7, 0)},
		{"start is quiet", night, at(2026, 6, 10, 22, 0), at(2026, 6, 11, 7, 0)},
		{"end is not quiet", night, at(2026, 6, 11, 7, 0), time.Time{}},
		{"day time is not quiet", night, at(2026, 6, 11, 12, 0), time.Time{}},
		{"last evening of the month", night, at(2026, 6, 30, 23, 30), at(2026, 7, 1, 7, 0)},
		// 2026-10-25: Paris goes from CEST (+2) to CET (+1) at 03:00; the night lasts 10 hours.
		{"autumn DST night", night, at(2026, 10, 24, 23, 0), time.Date(2026, 10, 25, 6, 0, 0, 0, time.UTC)},
		// 2026-03-29: CET to CEST at 02:00; the night lasts 8 hours.
		{"spring DST night", night, at(2026, 3, 28, 23, 0), time.Date(2026, 3, 29, 5, 0, 0, 0, time.UTC)},
		{"same-day window", day, at(2026, 6, 11, 13, 30), at(2026, 6, 11, 14, 0)},
		{"before a same-day window", day, at(2026, 6, 11, 12, 59), time.Time{}},
		{"disabled", QuietHours{StartMinute: 22 * 60, EndMinute: 7 * 60}, at(2026, 6, 10, 23, 0), time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := c.q.Until(c.now.UTC(), paris)
			if ok != !c.want.IsZero() || !got.Equal(c.want) {
				t.Fatalf("Until(%s) = %s, %v; want %s", c.now, got, ok, c.want)
			}
		})
	}
}
