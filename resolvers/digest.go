package resolvers

import (
	"time"

	"github.com/skillswap/skillswap/graph/model"
)

// weekdays maps the API's weekdays to Go's (digest schedules).
var weekdays = map[model.Weekday]time.Weekday{
	model.WeekdaySunday: time.Sunday, model.WeekdayMonday: time.Monday, model.WeekdayTuesday: time.Tuesday,
	model.WeekdayWednesday: time.Wednesday, model.WeekdayThursday: time.Thursday, model.WeekdayFriday: time.Friday,
	model.WeekdaySaturday: time.Saturday,
}

// domainWeekday is the Go weekday of an API weekday.
func domainWeekday(w model.Weekday) time.Weekday { return weekdays[w] }

// apiWeekday is the API weekday of a Go weekday.
func apiWeekday(d time.Weekday) model.Weekday {
	for w, v := range weekdays {
		if v == d {
			return w
		}
	}
	return model.WeekdayMonday
}

// emailDigest is the stored digest choice of an API email mode (nil: keep the current one).
func emailDigest(m *model.NotificationEmailMode) *bool {
	if m == nil {
		return nil
	}
	d := *m == model.NotificationEmailModeDigest
	return &d
}
