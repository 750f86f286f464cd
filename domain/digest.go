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
