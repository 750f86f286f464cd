package matching

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/skillswap/skillswap/domain"
)

// interval is a half-open span [start, end) of absolute time, in Unix seconds.
type interval struct{ start, end int64 }

// week is the window availability overlap is measured over: the 7 days starting at the
// beginning of "today" (UTC), so it is the same for a whole day (stable paging) and follows the
// calendar (DST-correct).
func week(now time.Time) (from, to time.Time) {
	y, m, d := now.UTC().Date()
	from = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 0, 7)
}

// expandSlots turns weekly slots, expressed in the member's own time zone (ISO weekday, minutes
// since local midnight), into the absolute intervals they cover within [from, to), merged and
// sorted. Each occurrence is built with time.Date in loc, so a weekly 18:00 Paris slot maps to
// 17:00Z in winter and 16:00Z in summer. A slot that starts in a DST gap is moved by time.Date's
// normalisation (an hour later), which is what a calendar would do.
func expandSlots(slots []domain.AvailabilitySlot, loc *time.Location, from, to time.Time) []interval {
	if len(slots) == 0 {
		return nil
	}
	lo, hi := from.Unix(), to.Unix()
	// Local dates that can overlap the window: one day of margin each side covers every offset.
	start := from.In(loc)
	first := time.Date(start.Year(), start.Month(), start.Day()-1, 12, 0, 0, 0, loc)
	days := int(to.Sub(from).Hours()/24) + 3
	var out []interval
	for i := range days {
		day := first.AddDate(0, 0, i)
		y, m, d := day.Date()
		iso := (int(day.Weekday())+6)%7 + 1
		for _, s := range slots {
			if s.Weekday != iso {
				continue
			}
			a := time.Date(y, m, d, s.StartMinute/60, s.StartMinute%60, 0, 0, loc).Unix()
			b := time.Date(y, m, d, s.EndMinute/60, s.EndMinute%60, 0, 0, loc).Unix() // 24:00 normalises to next midnight
			a, b = max(a, lo), min(b, hi)
			if b > a {
				out = append(out, interval{a, b})
			}
		}
	}
	return mergeIntervals(out)
}

func mergeIntervals(in []interval) []interval {
	if len(in) < 2 {
		return in
	}
	slices.SortFunc(in, func(a, b interval) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end))
	})
	out := in[:1]
	for _, iv := range in[1:] {
		last := &out[len(out)-1]
		if iv.start <= last.end {
			last.end = max(last.end, iv.end)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// overlapMinutes is the total time covered by both sorted, merged interval lists, in minutes.
func overlapMinutes(a, b []interval) int {
	var total int64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := max(a[i].start, b[j].start), min(a[i].end, b[j].end)
		if hi > lo {
			total += hi - lo
		}
		if a[i].end < b[j].end {
			i++
		} else {
			j++
		}
	}
	return int(total / 60)
}

// WeeklyOverlapMinutes returns how many minutes two members' weekly availabilities overlap in
// the 7 days starting at the beginning of now's UTC day, each expressed in its own IANA zone.
// An unknown zone counts as UTC.
func WeeklyOverlapMinutes(a []domain.AvailabilitySlot, zoneA string, b []domain.AvailabilitySlot, zoneB string, now time.Time) int {
	var zones zoneCache
	from, to := week(now)
	return overlapMinutes(expandSlots(a, zones.get(zoneA), from, to), expandSlots(b, zones.get(zoneB), from, to))
}

// zoneCache memoises time.LoadLocation, which reads and parses zone data on every call.
type zoneCache struct{ m sync.Map }

func (c *zoneCache) get(name string) *time.Location {
	if v, ok := c.m.Load(name); ok {
		return v.(*time.Location)
	}
	loc, err := domain.ValidateTimeZone("timeZone", name)
	if err != nil {
		loc = time.UTC
	}
	c.m.Store(name, loc)
	return loc
}
