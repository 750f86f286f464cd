package notifications_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/store"
)

// Digests run on a movable clock shared by the service (schedules) and the runner (what is due).

type digestEnv struct {
	*env
	clock *clock
	log   *slog.Logger
}

func newDigestEnv(t *testing.T, start time.Time) *digestEnv {
	t.Helper()
	st, log := newStore(t, 6)
	c := &clock{now: start.UTC()}
	svc := notifications.NewService(st, realtime.NewHub(realtime.NewMemory()), log, notifications.Options{Email: true, Now: c.Now})
	return &digestEnv{env: &env{st: st, svc: svc}, clock: c, log: log}
}

func (e *digestEnv) runner() *notifications.DigestRunner {
	return notifications.NewDigestRunner(e.st, e.log, e.clock.Now)
}

// digestMember is a member in zone (a profile) who reads new matches in their digest.
func (e *digestEnv) digestMember(t *testing.T, zone string) uuid.UUID {
	t.Helper()
	u := e.user(t)
	if _, err := e.st.Pool().Exec(context.Background(), `INSERT INTO profiles (user_id, time_zone) VALUES ($1, $2)`, u, zone); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := e.svc.SetPreference(context.Background(), as(u), domain.NotificationPreference{
		Type: domain.NotificationNewMutualMatch, InApp: true, Email: true, Digest: &yes}); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *digestEnv) match(t *testing.T, u uuid.UUID) {
	t.Helper()
	err := e.st.InTx(context.Background(), func(q *store.Queries) error {
		_, err := e.svc.Notify(context.Background(), q, u, domain.NotificationNewMutualMatch, map[string]string{"k": "v"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// digestJobs lists the new_matches of u's digest email jobs, oldest first.
func (e *digestEnv) digestJobs(t *testing.T, u uuid.UUID) []string {
	t.Helper()
	rows, err := e.st.Pool().Query(context.Background(), `SELECT coalesce(args->>'new_matches', '0') FROM river_job
		WHERE kind = 'notification_digest_email' AND args->>'user_id' = $1 ORDER BY id`, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func (e *digestEnv) run(t *testing.T) notifications.DigestRunStats {
	t.Helper()
	st, err := e.runner().Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *digestEnv) schedule(t *testing.T, u uuid.UUID) domain.DigestSchedule {
	t.Helper()
	s, err := e.svc.DigestSchedule(context.Background(), as(u))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// A daily 08:00 Europe/Paris digest is at 06:00 UTC in summer time and 07:00 UTC after the
// clocks go back on 2026-10-25, once a day.
func TestDigestDailyAcrossDSTChange(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-10-23T12:00:00Z"))
	u := e.digestMember(t, "Europe/Paris")
	if s := e.schedule(t, u); s.Frequency != domain.DigestDaily || s.Minute != 8*60 || !s.NextAt.Equal(utc("2026-10-24T06:00:00Z")) {
		t.Fatalf("default schedule = %+v, want daily 08:00 next 2026-10-24T06:00Z", s)
	}
	if _, err := e.svc.SetDigestSchedule(context.Background(), as(u), notifications.DigestScheduleInput{Frequency: domain.DigestDaily, Time: "08:00"}); err != nil {
		t.Fatal(err)
	}
	e.match(t, u)
	if n := e.emailJobs(t, u); n != 0 {
		t.Fatalf("a digest-mode type made %d immediate email jobs, want 0", n)
	}
	steps := []struct {
		at       string
		wantJobs []string
		wantNext string
	}{
		{"2026-10-24T05:59:00Z", nil, "2026-10-24T06:00:00Z"},
		{"2026-10-24T06:00:00Z", []string{"1"}, "2026-10-25T07:00:00Z"},
		{"2026-10-24T06:01:00Z", []string{"1"}, "2026-10-25T07:00:00Z"}, // once per period
		{"2026-10-25T06:00:00Z", []string{"1"}, "2026-10-25T07:00:00Z"}, // 07:00 local, CET now
		{"2026-10-25T07:00:00Z", []string{"1", "1"}, "2026-10-26T07:00:00Z"},
	}
	for i, s := range steps {
		e.clock.Set(utc(s.at))
		if i == 3 {
			e.match(t, u) // something new for the second digest
		}
		e.run(t)
		if got := e.digestJobs(t, u); fmt.Sprint(got) != fmt.Sprint(s.wantJobs) {
			t.Fatalf("at %s digest jobs (new matches) = %v, want %v", s.at, got, s.wantJobs)
		}
		if next := e.schedule(t, u).NextAt; !next.Equal(utc(s.wantNext)) {
			t.Fatalf("at %s next digest = %s, want %s", s.at, next, s.wantNext)
		}
	}
}

// A weekly digest goes out on the chosen weekday at the local time, then a week later.
func TestDigestWeekly(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-12-07T12:00:00Z")) // a Monday
	u := e.digestMember(t, "America/New_York")
	wed := time.Wednesday
	s, err := e.svc.SetDigestSchedule(context.Background(), as(u), notifications.DigestScheduleInput{
		Frequency: domain.DigestWeekly, Weekday: &wed, Time: "18:30"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Weekday == nil || *s.Weekday != time.Wednesday || !s.NextAt.Equal(utc("2026-12-09T23:30:00Z")) {
		t.Fatalf("weekly schedule = %+v, want Wednesday 18:30 EST = 2026-12-09T23:30Z", s)
	}
	e.match(t, u)
	e.clock.Set(utc("2026-12-08T23:30:00Z")) // Tuesday: not due
	e.run(t)
	if got := e.digestJobs(t, u); len(got) != 0 {
		t.Fatalf("Tuesday: digest jobs %v, want none", got)
	}
	e.clock.Set(utc("2026-12-09T23:30:00Z"))
	e.run(t)
	if got := e.digestJobs(t, u); len(got) != 1 {
		t.Fatalf("Wednesday: digest jobs %v, want one", got)
	}
	if next := e.schedule(t, u).NextAt; !next.Equal(utc("2026-12-16T23:30:00Z")) {
		t.Fatalf("next weekly digest = %s, want 2026-12-16T23:30Z", next)
	}
}

// Two runners working at once send one digest per member per period.
func TestDigestConcurrentRunnersOneEmailPerMember(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-11-02T12:00:00Z"))
	const members = 40
	users := make([]uuid.UUID, members)
	for i := range users {
		users[i] = e.digestMember(t, "Europe/Paris")
		e.match(t, users[i])
	}
	e.clock.Set(utc("2026-11-03T07:00:00Z")) // 08:00 in Paris
	var wg sync.WaitGroup
	stats := make([]notifications.DigestRunStats, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			r := e.runner()
			r.BatchSize = 3
			stats[i], errs[i] = r.Run(context.Background())
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := stats[0].Emailed + stats[1].Emailed; got != members {
		t.Fatalf("runners emailed %d + %d, want %d in all", stats[0].Emailed, stats[1].Emailed, members)
	}
	e.run(t) // a third run at the same instant finds nothing due
	for _, u := range users {
		if got := e.digestJobs(t, u); len(got) != 1 {
			t.Fatalf("member %s has %d digest jobs, want 1", u, len(got))
		}
	}
}

// Nothing to say: no email, but the schedule still moves on; a member with a schedule but no
// type in digest mode gets none either.
func TestDigestEmptySendsNothing(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-11-02T12:00:00Z"))
	quiet := e.digestMember(t, "UTC")
	noTypes := e.user(t)
	if _, err := e.svc.SetDigestSchedule(context.Background(), as(noTypes), notifications.DigestScheduleInput{Frequency: domain.DigestDaily, Time: "08:00"}); err != nil {
		t.Fatal(err)
	}
	e.match(t, noTypes) // emailed at once (not in digest mode), not in a digest
	e.clock.Set(utc("2026-11-03T08:00:00Z"))
	if st := e.run(t); st.Claimed != 2 || st.Emailed != 0 {
		t.Fatalf("run = %+v, want 2 claimed, 0 emailed", st)
	}
	for _, u := range []uuid.UUID{quiet, noTypes} {
		if got := e.digestJobs(t, u); len(got) != 0 {
			t.Fatalf("digest jobs %v, want none", got)
		}
		if next := e.schedule(t, u).NextAt; !next.Equal(utc("2026-11-04T08:00:00Z")) {
			t.Fatalf("next = %s, want the next day", next)
		}
	}
	if n := e.emailJobs(t, noTypes); n != 1 {
		t.Fatalf("immediate email jobs = %d, want 1", n)
	}
}

// Unread messages are counted per conversation (others' messages after the read position).
func TestDigestUnreadConversations(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-11-02T12:00:00Z"))
	u := e.digestMember(t, "UTC")
	other := e.user(t)
	ctx := context.Background()
	conv := uuid.Must(uuid.NewV7())
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := e.st.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	now := e.clock.Now()
	exec(`INSERT INTO conversations (id, kind, created_at, activity_at, last_seq) VALUES ($1, 'GROUP', $2, $2, 3)`, conv, now)
	exec(`INSERT INTO conversation_participants (conversation_id, user_id, role, joined_at, last_read_seq) VALUES ($1, $2, 'MEMBER', $3, 1), ($1, $4, 'OWNER', $3, 3)`, conv, u, now, other)
	for seq := 1; seq <= 3; seq++ {
		exec(`INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at) VALUES ($1, $2, $3, $4, $5, 'secret text', $6)`,
			uuid.Must(uuid.NewV7()), conv, seq, other, fmt.Sprint("c", seq), now)
	}
	e.clock.Set(utc("2026-11-03T08:00:00Z"))
	e.run(t)
	var args string
	if err := e.st.Pool().QueryRow(ctx, `SELECT args::text FROM river_job WHERE kind = 'notification_digest_email' AND args->>'user_id' = $1`, u.String()).Scan(&args); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(args, `"unread": 2`) || !strings.Contains(args, conv.String()) || strings.Contains(args, "secret") {
		t.Fatalf("digest job args = %s, want 2 unread in %s and no message text", args, conv)
	}
	digest := notifications.DigestEmailArgs{Conversations: []notifications.DigestConversation{{ConversationID: conv, Unread: 2}}, NewMatches: 1}
	for _, c := range []struct{ locale, subject, messages, matches string }{
		{"en", "SkillSwap: your digest", "2 unread messages in 1 conversation", "1 new mutual match"},
		{"fr-FR", "SkillSwap : votre récapitulatif", "2 messages non lus dans 1 conversation", "1 nouvelle correspondance mutuelle"},
	} {
		m, err := notifications.RenderDigest(c.locale, "SkillSwap", "Ada", digest, "https://app.test/unsubscribe?t=x")
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range []string{m.Text, m.HTML} {
			if m.Subject != c.subject || !strings.Contains(part, c.messages) || !strings.Contains(part, c.matches) || !strings.Contains(part, "https://app.test/unsubscribe?t=x") {
				t.Fatalf("%s digest = %q /\n%s", c.locale, m.Subject, part)
			}
		}
	}
}

func TestDigestSettingsValidation(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-11-02T12:00:00Z"))
	u := e.user(t)
	yes := true
	mon := time.Monday
	cases := []struct {
		name  string
		err   error
		field string
	}{
		{"critical type", func() error {
			_, err := e.svc.SetPreference(context.Background(), as(u), domain.NotificationPreference{
				Type: domain.NotificationPaymentFailed, InApp: true, Email: true, Digest: &yes})
			return err
		}(), "emailMode"},
		{"weekly without weekday", func() error {
			_, err := e.svc.SetDigestSchedule(context.Background(), as(u), notifications.DigestScheduleInput{Frequency: domain.DigestWeekly, Time: "08:00"})
			return err
		}(), "weekday"},
		{"daily with weekday", func() error {
			_, err := e.svc.SetDigestSchedule(context.Background(), as(u), notifications.DigestScheduleInput{Frequency: domain.DigestDaily, Weekday: &mon, Time: "08:00"})
			return err
		}(), "weekday"},
		{"bad time", func() error {
			_, err := e.svc.SetDigestSchedule(context.Background(), as(u), notifications.DigestScheduleInput{Frequency: domain.DigestDaily, Time: "8h"})
			return err
		}(), "time"},
		{"bad frequency", func() error {
			_, err := e.svc.SetDigestSchedule(context.Background(), as(u), notifications.DigestScheduleInput{Frequency: "HOURLY", Time: "08:00"})
			return err
		}(), "frequency"},
	}
	for _, c := range cases {
		var de *domain.Error
		if !errors.As(c.err, &de) || de.Kind != domain.KindInvalid || de.Field != c.field {
			t.Errorf("%s: err = %v, want invalid %s", c.name, c.err, c.field)
		}
	}
	// The refused critical choice stored nothing: the type is still emailed at once.
	prefs, err := e.svc.Preferences(context.Background(), as(u))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prefs {
		if p.Digest == nil || *p.Digest {
			t.Fatalf("preference %s digest = %v, want false", p.Type, p.Digest)
		}
	}
}

// The digest email worker sends one email with the counts, and nothing to an address that
// refused email for good.
func TestDigestEmailWorker(t *testing.T) {
	t.Parallel()
	e := newDigestEnv(t, utc("2026-11-02T12:00:00Z"))
	ok, suppressed := e.user(t), e.user(t)
	if _, err := e.st.Pool().Exec(context.Background(), `INSERT INTO email_suppressions (user_id, address, smtp_code, suppressed_at)
		SELECT id, email, 550, now() FROM users WHERE id = $1`, suppressed); err != nil {
		t.Fatal(err)
	}
	m := &fakeMailer{}
	w := &notifications.DigestEmailWorker{Users: e.st.Q(), Mailer: m, AppName: "SkillSwap", Suppressions: e.st.Q()}
	for _, u := range []uuid.UUID{ok, suppressed} {
		job := &river.Job[notifications.DigestEmailArgs]{Args: notifications.DigestEmailArgs{UserID: u, NewMatches: 2, UpcomingSessions: 1}}
		if err := w.Work(context.Background(), job); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.sent) != 1 || !strings.Contains(m.sent[0].Body, "2 new mutual match") || !strings.Contains(m.sent[0].Body, "1 session in the next 7 days") || m.sent[0].HTML == "" {
		t.Fatalf("sent %+v, want one digest with the counts", m.sent)
	}
}
