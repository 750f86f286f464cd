package notifications_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/expotest"
	riverjobs "github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/push"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/store"
)

// Quiet hours: the service, the push sender and the "River clock" of the email jobs all run on
// one movable clock; the test inserts at night, checks what waits and until when, then moves the
// clock past the window's end and runs the sender and the due email jobs.

// newQuietEnv is newPushEnv whose service also reads the test's clock.
func newQuietEnv(t *testing.T, start time.Time) *pushEnv {
	t.Helper()
	st, log := newStore(t, 5)
	c := &clock{now: start.UTC()}
	srv := expotest.New(t)
	client := push.NewClient(push.Config{BaseURL: srv.URL, Sleep: c.Sleep})
	sender := notifications.NewPushSender(st, client, push.NewPacer(ratelimit.NewMemoryFlights(c.Now), push.ProjectRatePerSecond, c.Sleep),
		log, notifications.PushConfig{Now: c.Now})
	svc := notifications.NewService(st, realtime.NewHub(realtime.NewMemory()), log,
		notifications.Options{Email: true, Push: true, Now: c.Now})
	return &pushEnv{env: &env{st: st, svc: svc}, expo: srv, sender: sender, clock: c}
}

// quietMember is a member with a device, a profile in zone ("" for none) and quiet hours.
func (e *pushEnv) quietMember(t *testing.T, zone string, in notifications.QuietHoursInput) uuid.UUID {
	t.Helper()
	u, _ := e.member(t)
	if zone != "" {
		if _, err := e.st.Pool().Exec(context.Background(), `INSERT INTO profiles (user_id, time_zone) VALUES ($1, $2)`, u, zone); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.SetQuietHours(context.Background(), as(u), in); err != nil {
		t.Fatal(err)
	}
	return u
}

type heldJob struct {
	State       string
	ScheduledAt time.Time
	Queue       string
}

// emailJobsOf lists u's notification email jobs.
func (e *pushEnv) emailJobsOf(t *testing.T, u uuid.UUID) []heldJob {
	t.Helper()
	rows, err := e.st.Pool().Query(context.Background(), `SELECT state::text, scheduled_at, queue FROM river_job
		WHERE kind = 'notification_email' AND args->>'user_id' = $1 ORDER BY id`, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []heldJob
	for rows.Next() {
		var j heldJob
		if err := rows.Scan(&j.State, &j.ScheduledAt, &j.Queue); err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return out
}

// outboxOf lists the not_before of u's waiting pushes (nil: at once).
func (e *pushEnv) outboxOf(t *testing.T, u uuid.UUID) []*time.Time {
	t.Helper()
	rows, err := e.st.Pool().Query(context.Background(), `SELECT not_before FROM push_outbox WHERE user_id = $1 ORDER BY id`, u)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []*time.Time
	for rows.Next() {
		var nb *time.Time
		if err := rows.Scan(&nb); err != nil {
			t.Fatal(err)
		}
		out = append(out, nb)
	}
	return out
}

// workDueEmails works, with w, the notification email jobs River would run at the test's clock:
// the available ones and the scheduled ones whose time has come. It returns how many it worked.
func (e *pushEnv) workDueEmails(t *testing.T, w *notifications.EmailWorker) int {
	t.Helper()
	ctx := context.Background()
	rows, err := e.st.Pool().Query(ctx, `UPDATE river_job SET state = 'completed', finalized_at = $1
		WHERE kind = 'notification_email' AND state IN ('available', 'scheduled') AND scheduled_at <= $1
		RETURNING args`, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var args []notifications.EmailArgs
	for rows.Next() {
		var raw []byte
		var a notifications.EmailArgs
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
		args = append(args, a)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	for _, a := range args {
		if err := w.Work(ctx, &river.Job[notifications.EmailArgs]{Args: a}); err != nil {
			t.Fatal(err)
		}
	}
	return len(args)
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestQuietHoursHoldEmailAndPush: a notification in a member's quiet hours is in the feed at
// once, while its email job is scheduled (River's scheduled_at) and its push held (not_before)
// until the window's end in the member's zone, DST nights included; critical types, disabled
// windows and daytime go out at once.
func TestQuietHoursHoldEmailAndPush(t *testing.T) {
	t.Parallel()
	paris, newYork := mustZone(t, "Europe/Paris"), mustZone(t, "America/New_York")
	e := newQuietEnv(t, time.Now())
	night := notifications.QuietHoursInput{Start: "22:00", End: "07:00", Enabled: true}
	for _, c := range []struct {
		name  string
		zone  string
		in    notifications.QuietHoursInput
		at    time.Time
		typ   domain.NotificationType
		until time.Time // zero: at once
	}{
		{"23:00 in Paris waits for 07:00", "Europe/Paris", night, time.Date(2026, 6, 10, 23, 0, 0, 0, paris),
			domain.NotificationSessionProposed, time.Date(2026, 6, 11, 7, 0, 0, 0, paris)},
		{"after midnight waits for 07:00 that morning", "Europe/Paris", night, time.Date(2026, 6, 11, 3, 0, 0, 0, paris),
			domain.NotificationSessionProposed, time.Date(2026, 6, 11, 7, 0, 0, 0, paris)},
		// The clocks go back at 03:00 CEST: 07:00 CET is 06:00 UTC, ten hours after 22:00 CEST.
		{"autumn DST night ends at local 07:00", "Europe/Paris", night, time.Date(2026, 10, 24, 23, 0, 0, 0, paris),
			domain.NotificationSessionProposed, time.Date(2026, 10, 25, 6, 0, 0, 0, time.UTC)},
		// The clocks go forward at 02:00 CET: 07:00 CEST is 05:00 UTC.
		{"spring DST night ends at local 07:00", "Europe/Paris", night, time.Date(2026, 3, 28, 23, 30, 0, 0, paris),
			domain.NotificationSessionProposed, time.Date(2026, 3, 29, 5, 0, 0, 0, time.UTC)},
		{"the member's zone decides", "America/New_York", night, time.Date(2026, 6, 10, 23, 0, 0, 0, newYork),
			domain.NotificationSessionProposed, time.Date(2026, 6, 11, 11, 0, 0, 0, time.UTC)},
		{"no profile: UTC", "", night, time.Date(2026, 6, 10, 23, 0, 0, 0, time.UTC),
			domain.NotificationSessionProposed, time.Date(2026, 6, 11, 7, 0, 0, 0, time.UTC)},
		{"same-day window", "Europe/Paris", notifications.QuietHoursInput{Start: "13:00", End: "14:30", Enabled: true},
			time.Date(2026, 6, 10, 13, 15, 0, 0, paris), domain.NotificationSessionProposed, time.Date(2026, 6, 10, 14, 30, 0, 0, paris)},
		{"daytime: at once", "Europe/Paris", night, time.Date(2026, 6, 10, 12, 0, 0, 0, paris),
			domain.NotificationSessionProposed, time.Time{}},
		{"the window's end: at once", "Europe/Paris", night, time.Date(2026, 6, 11, 7, 0, 0, 0, paris),
			domain.NotificationSessionProposed, time.Time{}},
		{"critical type: at once", "Europe/Paris", night, time.Date(2026, 6, 10, 23, 0, 0, 0, paris),
			domain.NotificationPaymentFailed, time.Time{}},
		{"disabled: at once", "Europe/Paris", notifications.QuietHoursInput{Start: "22:00", End: "07:00"},
			time.Date(2026, 6, 10, 23, 0, 0, 0, paris), domain.NotificationSessionProposed, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := e.quietMember(t, c.zone, c.in)
			e.clock.Set(c.at.UTC())
			n := e.env.notify(t, u, c.typ, map[string]string{"sessionId": uuid.NewString()})
			// In the app at once, whatever the hour.
			if n == nil || !n.CreatedAt.Equal(c.at) {
				t.Fatalf("notification %+v, want one created at %s", n, c.at)
			}
			jobs, pushes := e.emailJobsOf(t, u), e.outboxOf(t, u)
			if len(jobs) != 1 || len(pushes) != 1 {
				t.Fatalf("%d email jobs and %d pushes, want 1 and 1", len(jobs), len(pushes))
			}
			if c.until.IsZero() {
				if jobs[0].State != "available" || pushes[0] != nil {
					t.Fatalf("email %+v, push not before %v: want both at once", jobs[0], pushes[0])
				}
				return
			}
			// Held, and still on the email queue (the insert's options add only the time).
			if jobs[0].State != "scheduled" || !jobs[0].ScheduledAt.Equal(c.until) || jobs[0].Queue != riverjobs.QueueEmail {
				t.Fatalf("email job %+v, want scheduled at %s", jobs[0], c.until.UTC())
			}
			if pushes[0] == nil || !pushes[0].Equal(c.until) {
				t.Fatalf("push not before %v, want %s", pushes[0], c.until.UTC())
			}
			if n := e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'push_flush' AND state = 'scheduled' AND scheduled_at = $1`, c.until); n != 1 {
				t.Fatalf("%d flush jobs scheduled at the end, want 1", n)
			}
		})
	}
}

// TestQuietNightOfMessagesGoesOutOnce: messages in one conversation during the night make one
// notification (in the app and live at once), and at 07:00 one push and one email; before 07:00
// neither the sender nor River's due jobs send anything. When the member reads the conversation
// in the night, the next message makes a second notification, and only the unread one is
// pushed and emailed at 07:00.
func TestQuietNightOfMessagesGoesOutOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name          string
		readAfter     int // read the conversation after this many messages (0: never)
		notifications int
	}{
		{"unread all night", 0, 1},
		{"read in the night", 1, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			quietNight(t, c.readAfter, c.notifications)
		})
	}
}

func quietNight(t *testing.T, readAfter, notes int) {
	paris := mustZone(t, "Europe/Paris")
	e := newQuietEnv(t, time.Date(2026, 10, 24, 21, 0, 0, 0, paris))
	ctx := context.Background()
	u := e.quietMember(t, "Europe/Paris", notifications.QuietHoursInput{Start: "22:00", End: "07:00", Enabled: true})
	// Messages by email too, so both held channels are seen.
	if _, err := e.svc.SetPreference(ctx, as(u), domain.NotificationPreference{Type: domain.NotificationNewMessage, InApp: true, Email: true, Push: new(true)}); err != nil {
		t.Fatal(err)
	}
	live, err := e.svc.Stream(t.Context(), as(u), nil)
	if err != nil {
		t.Fatal(err)
	}
	conversation := uuid.Must(uuid.NewV7())
	group := domain.ConversationGroupKey(conversation)
	for i, at := range []time.Time{
		time.Date(2026, 10, 24, 23, 0, 0, 0, paris),
		time.Date(2026, 10, 25, 1, 30, 0, 0, paris),
		time.Date(2026, 10, 25, 4, 45, 0, 0, paris), // after the clocks went back
	} {
		e.clock.Set(at.UTC())
		var created []domain.Notification
		err := e.st.InTx(ctx, func(q *store.Queries) error {
			var err error
			created, err = e.svc.NotifyOnce(ctx, q, []uuid.UUID{u}, domain.NotificationNewMessage, group,
				domain.NewMessagePayload{ConversationID: conversation, MessageID: uuid.Must(uuid.NewV7()), SenderID: uuid.Must(uuid.NewV7()), Seq: int64(i + 1)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// In the app and live at once, at night too.
		if len(created) == 1 {
			if got := receive(t, live); got.ID != created[0].ID {
				t.Fatalf("live %+v, want %s", got, created[0].ID)
			}
		}
		if i+1 == readAfter {
			if err := e.st.InTx(ctx, func(q *store.Queries) error { return e.svc.MarkGroupRead(ctx, q, u, group) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := e.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1`, u); n != notes {
		t.Fatalf("%d notifications, want %d", n, notes)
	}
	end := time.Date(2026, 10, 25, 6, 0, 0, 0, time.UTC) // 07:00 CET
	jobs, pushes := e.emailJobsOf(t, u), e.outboxOf(t, u)
	if len(jobs) != notes || len(pushes) != notes {
		t.Fatalf("%d email jobs and %d pushes, want %d of each", len(jobs), len(pushes), notes)
	}
	for i := range jobs {
		if jobs[i].State != "scheduled" || !jobs[i].ScheduledAt.Equal(end) || pushes[i] == nil || !pushes[i].Equal(end) {
			t.Fatalf("email job %+v, push not before %v: want both held until %s", jobs[i], pushes[i], end)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'push_flush'`); n != 1 {
		t.Fatalf("%d flush jobs, want 1 (at the end)", n)
	}

	mailer := &fakeMailer{}
	worker := &notifications.EmailWorker{Users: e.st.Q(), Mailer: mailer, AppName: "SkillSwap", Reads: e.st.Q()}
	e.clock.Set(end.Add(-time.Minute))
	if sent, _, err := e.sender.Flush(ctx); err != nil || sent != 0 {
		t.Fatalf("flush at 06:59: %d sent, %v", sent, err)
	}
	if n := e.workDueEmails(t, worker); n != 0 {
		t.Fatalf("%d email jobs due at 06:59", n)
	}

	e.clock.Set(end)
	if sent, _, err := e.sender.Flush(ctx); err != nil || sent != 1 {
		t.Fatalf("flush at 07:00: %d sent, %v; want 1", sent, err)
	}
	if n := e.workDueEmails(t, worker); n != notes || len(mailer.sent) != 1 {
		t.Fatalf("%d email jobs worked at 07:00, %d sent; want %d and 1", n, len(mailer.sent), notes)
	}
	msgs := e.expo.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d pushes, want 1", len(msgs))
	}
	var data struct {
		ThreadID       string
		NotificationID uuid.UUID
	}
	if err := json.Unmarshal(msgs[0].Data, &data); err != nil || data.ThreadID != group {
		t.Fatalf("push data %s (%v)", msgs[0].Data, err)
	}
	if n := e.count(t, `SELECT count(*) FROM notifications WHERE id = $1 AND read_at IS NULL`, data.NotificationID); n != 1 {
		t.Fatalf("pushed notification %s is not the unread one", data.NotificationID)
	}
	e.clock.Set(end.Add(time.Hour))
	if sent, _, err := e.sender.Flush(ctx); err != nil || sent != 0 || len(e.outboxOf(t, u)) != 0 {
		t.Fatalf("flush later: %d sent again, %v", sent, err)
	}
	if n := e.workDueEmails(t, worker); n != 0 || len(mailer.sent) != 1 {
		t.Fatalf("%d more email jobs", n)
	}
}

// TestAPIQuietHours: read back, set, and the validation errors with their field.
func TestAPIQuietHours(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, c := srv.SignUp(t)
	type hours struct {
		Enabled    bool
		Start, End string
	}
	var out struct{ QuietHours hours }
	apitest.Must(t, c.Do(t, `{ quietHours { enabled start end } }`, nil)).Decode(t, &out)
	if out.QuietHours != (hours{false, "22:00", "07:00"}) {
		t.Fatalf("default %+v", out.QuietHours)
	}
	const set = `mutation($in: SetQuietHoursInput!) { setQuietHours(input: $in) { quietHours { enabled start end } } }`
	var got struct{ SetQuietHours struct{ QuietHours hours } }
	apitest.Must(t, c.Do(t, set, map[string]any{"in": map[string]any{"start": "23:30", "end": "06:45", "enabled": true}})).Decode(t, &got)
	if got.SetQuietHours.QuietHours != (hours{true, "23:30", "06:45"}) {
		t.Fatalf("set %+v", got)
	}
	apitest.Must(t, c.Do(t, `{ quietHours { enabled start end } }`, nil)).Decode(t, &out)
	if out.QuietHours != (hours{true, "23:30", "06:45"}) {
		t.Fatalf("read back %+v", out.QuietHours)
	}
	for _, bad := range []struct{ start, end, field string }{
		{"24:00", "07:00", "input.start"}, {"22:00", "7:00", "input.end"}, {"22:00", "22:00", "input.end"}, {"", "07:00", "input.start"},
	} {
		r := c.Do(t, set, map[string]any{"in": map[string]any{"start": bad.start, "end": bad.end, "enabled": true}})
		if r.Code() != "BAD_USER_INPUT" || r.Field() != bad.field {
			t.Errorf("%s-%s: %s on %q, want BAD_USER_INPUT on %s", bad.start, bad.end, r.Code(), r.Field(), bad.field)
		}
	}
	// One id per member, the same from the query and the mutation (the client's cache entry).
	var ids struct {
		QuietHours    struct{ ID string }
		SetQuietHours struct{ QuietHours struct{ ID string } }
	}
	apitest.Must(t, c.Do(t, `{ quietHours { id } }`, nil)).Decode(t, &ids)
	apitest.Must(t, c.Do(t, `mutation { setQuietHours(input: {start: "22:00", end: "07:00", enabled: false}) { quietHours { id } } }`, nil)).Decode(t, &ids)
	if ids.QuietHours.ID == "" || ids.SetQuietHours.QuietHours.ID != ids.QuietHours.ID {
		t.Fatalf("ids %+v", ids)
	}
	_, other := srv.SignUp(t)
	var theirs struct{ QuietHours struct{ ID string } }
	apitest.Must(t, other.Do(t, `{ quietHours { id } }`, nil)).Decode(t, &theirs)
	if theirs.QuietHours.ID == ids.QuietHours.ID {
		t.Fatal("two members share a quiet hours id")
	}
	if r := srv.Client().Do(t, `{ quietHours { enabled } }`, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %s", r.Code())
	}
}
