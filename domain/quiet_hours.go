package domain

import (
	"fmt"
	"time"
)

// QuietHours is a member's nightly window, in local wall-clock minutes since midnight, during
// which non-critical email and push wait for its end. Start > End spans midnight (22:00-07:00).
type QuietHours struct {
	Enabled     bool      `db:"enabled"`
	StartMinute int       `db:"start_minute"`
	EndMinute   int       `db:"end_minute"`
	UpdatedAt   time.Time `db:"updated_at"`
}

// ParseClock reads a wall-clock time "HH:MM" (00:00 to 23:59) as minutes since midnight; field
// names the input at fault.
func ParseClock(field, s string) (int, error) {
	bad := Invalid(field, "must be a time HH:MM such as 22:00")
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, bad
	}
	return h*60 + m, nil
}

// FormatClock writes minutes since midnight as "HH:MM".
func FormatClock(minute int) string { return fmt.Sprintf("%02d:%02d", minute/60, minute%60) }

// Until reports whether now falls in the window in loc and, if so, the instant it ends: the
// next local End after now, computed for the actual date in loc, so a 22:00-07:00 window on a
// night the clocks change still ends at 07:00 local (eight or ten hours after it began, not
// nine). Disabled or empty windows are never quiet.
func (q QuietHours) Until(now time.Time, loc *time.Location) (time.Time, bool) {
	if !q.Enabled || q.StartMinute == q.EndMinute {
		return time.Time{}, false
	}
	local := now.In(loc)
	minute := local.Hour()*60 + local.Minute()
	y, mo, d := local.Date()
	var endDay int
	switch {
	case q.StartMinute < q.EndMinute && minute >= q.StartMinute && minute < q.EndMinute:
		endDay = d // within a same-day window: it ends today
	case q.StartMinute > q.EndMinute && minute >= q.StartMinute:
		endDay = d + 1 // evening part of a window across midnight: it ends tomorrow
	case q.StartMinute > q.EndMinute && minute < q.EndMinute:
		endDay = d // early-morning part: it ends this morning
	default:
		return time.Time{}, false
	}
	// time.Date normalises d+1 across month ends and resolves the wall time in the zone's
	// offset of that date (an End inside a spring-forward gap lands just after the gap).
	end := time.Date(y, mo, endDay, q.EndMinute/60, q.EndMinute%60, 0, 0, loc)
	if !end.After(now) {
		return time.Time{}, false
	}
	return end.UTC(), true
}
