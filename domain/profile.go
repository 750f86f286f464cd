package domain

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	// Embedded zone database: time zones validate the same on machines without tzdata.
	_ "time/tzdata"

	"github.com/google/uuid"
)

// Mode is how a member likes to meet.
type Mode string

// Meeting modes.
const (
	ModeOnline   Mode = "ONLINE"
	ModeInPerson Mode = "IN_PERSON"
	ModeBoth     Mode = "BOTH"
)

// Visibility says who may see a profile.
type Visibility string

// Profile visibilities: PUBLIC (anyone, even signed out), MEMBERS (signed-in members), HIDDEN
// (only the member and staff; not in search or matches).
const (
	VisibilityPublic  Visibility = "PUBLIC"
	VisibilityMembers Visibility = "MEMBERS"
	VisibilityHidden  Visibility = "HIDDEN"
)

// Profile is what a member tells about themselves. Coordinates are private.
type Profile struct {
	UserID     uuid.UUID  `db:"user_id"`
	Bio        string     `db:"bio"`
	AvatarURL  *string    `db:"avatar_url"`
	Languages  []string   `db:"languages"`
	TimeZone   string     `db:"time_zone"`
	City       *string    `db:"city"`
	Country    *string    `db:"country"`
	Latitude   *float64   `db:"latitude"`
	Longitude  *float64   `db:"longitude"`
	Mode       Mode       `db:"mode"`
	Visibility Visibility `db:"visibility"`
	UpdatedAt  time.Time  `db:"updated_at"`
}

// DefaultProfile is the profile of a member who has not filled theirs in.
func DefaultProfile(userID uuid.UUID) Profile {
	return Profile{UserID: userID, Languages: []string{}, TimeZone: "UTC", Mode: ModeBoth, Visibility: VisibilityMembers}
}

// AvailabilitySlot is a weekly window in the member's own time zone.
type AvailabilitySlot struct {
	UserID      uuid.UUID `db:"user_id"`
	Weekday     int       `db:"weekday"`      // ISO: 1 = Monday .. 7 = Sunday
	StartMinute int       `db:"start_minute"` // minutes since local midnight
	EndMinute   int       `db:"end_minute"`   // exclusive; 1440 = midnight
}

// ValidateTimeZone checks an IANA zone name (Europe/Paris).
func ValidateTimeZone(field, zone string) (*time.Location, error) {
	if zone == "" || strings.EqualFold(zone, "local") {
		return nil, Invalid(field, "must be an IANA time zone such as Europe/Paris")
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, Invalid(field, "%q is not an IANA time zone (such as Europe/Paris)", zone)
	}
	return loc, nil
}

// ValidateLanguages checks ISO 639-1 codes, lower-cases and de-duplicates them.
func ValidateLanguages(field string, codes []string) ([]string, error) {
	if len(codes) > 20 {
		return nil, Invalid(field, "at most 20 languages")
	}
	out := make([]string, 0, len(codes))
	for i, c := range codes {
		c = strings.ToLower(strings.TrimSpace(c))
		if !IsISO6391(c) {
			return nil, Invalid(fmt.Sprintf("%s.%d", field, i), "%q is not an ISO 639-1 language code (such as fr or en)", codes[i])
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// ValidateAvatarURL checks an https URL of at most 2048 characters.
func ValidateAvatarURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(raw) > 2048 {
		return Invalid(field, "must be an https URL")
	}
	return nil
}

// ValidateCountry checks an ISO 3166-1 alpha-2 code shape and upper-cases it.
func ValidateCountry(field, code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return "", Invalid(field, "must be an ISO 3166-1 alpha-2 country code such as FR")
	}
	return c, nil
}

// ValidateText trims s and checks its length in characters.
func ValidateText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", Invalid(field, "must be valid UTF-8 text")
	}
	if utf8.RuneCountInString(s) > max {
		return "", Invalid(field, "must be at most %d characters", max)
	}
	return s, nil
}

// NormalizeSlots validates weekly slots (ISO weekday, minutes) and merges overlapping or touching
// ones, sorted by day and start.
func NormalizeSlots(field string, slots []AvailabilitySlot) ([]AvailabilitySlot, error) {
	if len(slots) > 100 {
		return nil, Invalid(field, "at most 100 slots")
	}
	for i, s := range slots {
		f := fmt.Sprintf("%s.%d", field, i)
		switch {
		case s.Weekday < 1 || s.Weekday > 7:
			return nil, Invalid(f+".weekday", "must be between 1 (Monday) and 7 (Sunday)")
		case s.StartMinute < 0 || s.StartMinute > 1439:
			return nil, Invalid(f+".start", "must be a time of day")
		case s.EndMinute <= s.StartMinute || s.EndMinute > 1440:
			return nil, Invalid(f+".end", "must be after start and at most 24:00")
		}
	}
	sorted := slices.Clone(slots)
	slices.SortFunc(sorted, func(a, b AvailabilitySlot) int {
		if a.Weekday != b.Weekday {
			return a.Weekday - b.Weekday
		}
		return a.StartMinute - b.StartMinute
	})
	var out []AvailabilitySlot
	for _, s := range sorted {
		if n := len(out); n > 0 && out[n-1].Weekday == s.Weekday && s.StartMinute <= out[n-1].EndMinute {
			out[n-1].EndMinute = max(out[n-1].EndMinute, s.EndMinute)
			continue
		}
		out = append(out, s)
	}
	return out, nil
}
