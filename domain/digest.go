package domain

import "time"

// DigestFrequency is how often a member's digest email goes out.
type DigestFrequency string

// Digest frequencies.
const (
	DigestDaily  DigestFrequency = "DAILY"
	DigestWeekly DigestFrequency = "WEEKLY"
)

// DigestSchedule is when a member's digest goes out: every day, or every week on Weekday, at
// Minute (local wall-clock minutes since midnight) in the time zone of their profile.
type DigestSchedule struct {
	Frequency DigestFrequency `db:"frequency"`
	// Weekday is set for weekly digests only.
	Weekday *time.Weekday `db:"weekday"`
	Minute  int           `db:"minute"`
	// NextAt is the absolute instant of the next digest.
	NextAt time.Time `db:"next_digest_at"`
	// LastAt is when the previous digest period ended (nil before the first).
	LastAt    *time.Time `db:"last_digest_at"`
	UpdatedAt time.Time  `db:"updated_at"`
}

// NextDigest returns the first instant strictly after now at which a digest with this frequency,
// weekday and local minute is due in loc. The local time is resolved on the actual date
// (time.Date), so 08:00 Europe/Paris is 06:00 UTC in summer and 07:00 UTC in winter; a local
// time a spring-forward gap skips is resolved as time.Date does (shifted by the gap).
func NextDigest(freq DigestFrequency, weekday *time.Weekday, minute int, loc *time.Location, now time.Time) time.Time {
	local := now.In(loc)
	y, m, d := local.Date()
	for i := 0; i <= 8; i++ {
		t := time.Date(y, m, d+i, minute/60, minute%60, 0, 0, loc)
		if !t.After(now) {
			continue
		}
		if freq == DigestWeekly && weekday != nil && t.Weekday() != *weekday {
			continue
		}
		return t.UTC()
	}
	// Unreachable for valid input (within 8 days every weekday occurs); a day later keeps moving.
	return now.Add(24 * time.Hour).UTC()
}

// RescheduleDigest returns when the next digest is due after a member changed their time zone
// (loc) or their schedule at now; last is when their previous digest went out (nil: none yet).
// A period is a local calendar day for a daily digest and a local week from Monday for a weekly
// one, in loc. The answer is the schedule's first occurrence after now in a later period than
// last's, so no period gets a second digest (a member who had today's at 08:00 and moves to a
// zone where 08:00 is still to come, or picks 20:00, gets the next one tomorrow); except that
// when the period containing now had none and its occurrence is already past (the change moved
// it before now), the digest is due at once (now), so no period is skipped either.
func RescheduleDigest(freq DigestFrequency, weekday *time.Weekday, minute int, loc *time.Location, now time.Time, last *time.Time) time.Time {
	next := NextDigest(freq, weekday, minute, loc, now)
	if last == nil {
		return next
	}
	lastPeriod := digestPeriod(freq, last.In(loc))
	nowPeriod := digestPeriod(freq, now.In(loc))
	if nowPeriod.After(lastPeriod) {
		if digestPeriod(freq, next.In(loc)).After(nowPeriod) {
			// This period's occurrence is past and it had no digest: catch up.
			return now.UTC()
		}
		return next
	}
	// Still in last's period: its occurrence was served.
	for i := 0; i < 8 && !digestPeriod(freq, next.In(loc)).After(lastPeriod); i++ {
		next = NextDigest(freq, weekday, minute, loc, next)
	}
	return next
}

// digestPeriod names the period containing the local time t: its first civil day (the day
// itself, or the Monday of its week for a weekly digest), as a UTC midnight so periods compare
// without DST in the way.
func digestPeriod(freq DigestFrequency, t time.Time) time.Time {
	y, m, d := t.Date()
	if freq == DigestWeekly {
		d -= (int(t.Weekday()) + 6) % 7 // back to Monday
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
