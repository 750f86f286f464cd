package notifications

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Quiet hours (issue 17 item 5): a member's nightly window in the time zone of their profile.
// During it, Notify still writes the feed row and publishes it live at once, but the email job
// is inserted with River's ScheduledAt and the push rows with not_before at the window's end
// (computed for the actual date in the member's zone, so DST nights end at local End), and a
// flush job is scheduled for that instant. Critical types ignore quiet hours. A coalesced type
// (NEW_MESSAGE, one unread notification per conversation) makes no new notification while one
// is unread, hence one email and one push per conversation when the night ends, not a burst;
// and a held email or push whose notification the member read meanwhile (in the app, or by
// reading the conversation, which lets the next message make a new notification) is dropped,
// so a conversation still gets at most one of each at the end.

// DefaultQuietHours is what a member who never set quiet hours sees: off, 22:00 to 07:00.
var DefaultQuietHours = domain.QuietHours{StartMinute: 22 * 60, EndMinute: 7 * 60}

// QuietHoursInput is a member's choice of quiet hours, in their profile's time zone.
type QuietHoursInput struct {
	// Start and End are wall-clock times "HH:MM"; Start after End spans midnight.
	Start, End string
	Enabled    bool
}

// QuietHours returns the actor's quiet hours (DefaultQuietHours, off, when never set).
func (s *Service) QuietHours(ctx context.Context, actor domain.Actor) (domain.QuietHours, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.QuietHours{}, err
	}
	h, ok, err := s.store.Q().QuietHoursOf(ctx, actor.ID())
	if err != nil {
		return domain.QuietHours{}, fmt.Errorf("quiet hours: %w", err)
	}
	if !ok {
		return DefaultQuietHours, nil
	}
	return h, nil
}

// SetQuietHours stores the actor's quiet hours and returns them. Errors: BAD_USER_INPUT on start
// or end (not HH:MM), and on end when it equals start.
func (s *Service) SetQuietHours(ctx context.Context, actor domain.Actor, in QuietHoursInput) (domain.QuietHours, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.QuietHours{}, err
	}
	start, err := domain.ParseClock("start", in.Start)
	if err != nil {
		return domain.QuietHours{}, err
	}
	end, err := domain.ParseClock("end", in.End)
	if err != nil {
		return domain.QuietHours{}, err
	}
	if start == end {
		return domain.QuietHours{}, domain.Invalid("end", "must differ from start")
	}
	h, err := s.store.Q().SetQuietHours(ctx, actor.ID(), domain.QuietHours{Enabled: in.Enabled, StartMinute: start, EndMinute: end, UpdatedAt: s.now()})
	if err != nil {
		return domain.QuietHours{}, fmt.Errorf("set quiet hours: %w", err)
	}
	return h, nil
}

// holds returns, for members in their quiet hours at now, when the window ends (one statement;
// none for a critical type, which is never held).
func holds(ctx context.Context, q *store.Queries, spec TypeSpec, users []uuid.UUID, now time.Time) (map[uuid.UUID]time.Time, error) {
	if spec.Critical || len(users) == 0 {
		return nil, nil
	}
	windows, err := q.EnabledQuietHours(ctx, users)
	if err != nil || len(windows) == 0 {
		return nil, err
	}
	out := make(map[uuid.UUID]time.Time, len(windows))
	for u, w := range windows {
		loc, err := time.LoadLocation(w.TimeZone)
		if err != nil {
			// Profiles validate zones; one this binary's tz database lacks counts as UTC.
			loc = time.UTC
		}
		if end, ok := w.Until(now, loc); ok {
			out[u] = end
		}
	}
	return out, nil
}

// heldEmail is the insert options of an email held until until (nil: none, send at once).
func heldEmail(until time.Time, held bool) *river.InsertOpts {
	if !held {
		return nil
	}
	return &river.InsertOpts{ScheduledAt: until}
}

// heldPush is the not_before of a push held until until (nil: send at once).
func heldPush(until time.Time, held bool) *time.Time {
	if !held {
		return nil
	}
	return &until
}

// flushTimes are the instants a flush job must run for reqs: now for pushes sent at once, and
// the end of each quiet window pushes wait for (River's unique jobs make one per instant).
func flushTimes(reqs []store.PushRequest) (now bool, later []time.Time) {
	seen := map[time.Time]bool{}
	for _, r := range reqs {
		switch {
		case r.NotBefore == nil:
			now = true
		case !seen[*r.NotBefore]:
			seen[*r.NotBefore] = true
			later = append(later, *r.NotBefore)
		}
	}
	return now, later
}

// ReadChecker says which of the given notifications their member has read (store.Queries
// implements it).
type ReadChecker interface {
	ReadNotifications(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]bool, error)
}

// store.Queries is what Jobs receives in production: it must say what was read.
var _ ReadChecker = (*store.Queries)(nil)

// readCheckerOf is users when it can also say what was read (store.Queries does), else nil.
func readCheckerOf(users UserLoader) ReadChecker {
	r, _ := users.(ReadChecker)
	return r
}

// readWhileHeld reports whether a held email's notification was read while it waited: the
// member has seen it, and a newer one of the same group (if any) has its own email.
func readWhileHeld(ctx context.Context, reads ReadChecker, args EmailArgs) (bool, error) {
	if reads == nil || args.HeldUntil.IsZero() || args.NotificationID == uuid.Nil {
		return false, nil
	}
	read, err := reads.ReadNotifications(ctx, []uuid.UUID{args.NotificationID})
	if err != nil {
		return false, fmt.Errorf("notification email: read state: %w", err)
	}
	return read[args.NotificationID], nil
}
