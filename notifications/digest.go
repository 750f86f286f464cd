package notifications

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/mail"
	"github.com/skillswap/skillswap/store"
)

// Digests (issue 17 item 4): a member sets types to digest mode (NotificationPreference.Digest);
// Notify then enqueues no immediate email for them. A per-member schedule (daily, or weekly on
// a weekday, at a local time in the profile's zone) stores the absolute next_digest_at. A
// periodic job (DigestRunner) claims due members in bounded batches with FOR UPDATE SKIP
// LOCKED, counts what is new for each from existing tables (unread messages per conversation,
// new matches, upcoming sessions; never message bodies), enqueues one DigestEmailArgs job for
// each member with something to say, and advances next_digest_at, all in one transaction per
// batch: the job exists if and only if the period was advanced, so several instances running
// the job send one digest per member per period.

// DefaultDigestSchedule is the schedule of a member who never chose one: daily at 08:00 local.
var DefaultDigestSchedule = domain.DigestSchedule{Frequency: domain.DigestDaily, Minute: 8 * 60}

// DigestBatchSize is how many members one digest transaction claims: bounded so a run over
// 100,000 due members holds row locks and a transaction for a short time (a second or so each).
const DigestBatchSize = 1000

// DigestUpcomingWindow is how far ahead a digest looks for upcoming sessions.
const DigestUpcomingWindow = 7 * 24 * time.Hour

// DigestScheduleInput is a member's choice of digest schedule.
type DigestScheduleInput struct {
	Frequency domain.DigestFrequency
	// Weekday is required for WEEKLY, refused for DAILY.
	Weekday *time.Weekday
	// Time is the local wall-clock time "HH:MM".
	Time string
}

// DigestSchedule returns the actor's digest schedule (DefaultDigestSchedule, next occurrence
// computed, when they never set one).
func (s *Service) DigestSchedule(ctx context.Context, actor domain.Actor) (domain.DigestSchedule, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.DigestSchedule{}, err
	}
	q := s.store.Q()
	sch, ok, err := q.DigestScheduleOf(ctx, actor.ID())
	if err != nil {
		return domain.DigestSchedule{}, fmt.Errorf("digest schedule: %w", err)
	}
	if ok {
		return sch, nil
	}
	return s.defaultSchedule(ctx, q, actor.ID())
}

func (s *Service) defaultSchedule(ctx context.Context, q *store.Queries, user uuid.UUID) (domain.DigestSchedule, error) {
	tz, err := q.MemberTimeZone(ctx, user)
	if err != nil {
		return domain.DigestSchedule{}, fmt.Errorf("digest schedule: %w", err)
	}
	now := s.now()
	sch := DefaultDigestSchedule
	sch.NextAt = domain.NextDigest(sch.Frequency, nil, sch.Minute, location(tz), now)
	sch.UpdatedAt = now
	return sch, nil
}

// SetDigestSchedule stores the actor's digest schedule and returns it. Errors: BAD_USER_INPUT on
// frequency (unknown), weekday (missing for WEEKLY, given for DAILY) and time (not HH:MM).
func (s *Service) SetDigestSchedule(ctx context.Context, actor domain.Actor, in DigestScheduleInput) (domain.DigestSchedule, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.DigestSchedule{}, err
	}
	switch in.Frequency {
	case domain.DigestDaily:
		if in.Weekday != nil {
			return domain.DigestSchedule{}, domain.Invalid("weekday", "only for a WEEKLY digest")
		}
	case domain.DigestWeekly:
		if in.Weekday == nil || *in.Weekday < time.Sunday || *in.Weekday > time.Saturday {
			return domain.DigestSchedule{}, domain.Invalid("weekday", "a WEEKLY digest needs a weekday")
		}
	default:
		return domain.DigestSchedule{}, domain.Invalid("frequency", "must be DAILY or WEEKLY")
	}
	minute, err := domain.ParseClock("time", in.Time)
	if err != nil {
		return domain.DigestSchedule{}, err
	}
	var out domain.DigestSchedule
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		tz, err := q.MemberTimeZone(ctx, actor.ID())
		if err != nil {
			return err
		}
		// Locked, so a digest run cannot send between reading last_digest_at and the new
		// next_digest_at taking effect.
		cur, _, err := q.LockDigestSchedule(ctx, actor.ID())
		if err != nil {
			return err
		}
		now := s.now()
		sch := domain.DigestSchedule{Frequency: in.Frequency, Weekday: in.Weekday, Minute: minute, UpdatedAt: now,
			NextAt: domain.RescheduleDigest(in.Frequency, in.Weekday, minute, location(tz), now, cur.LastAt)}
		out, err = q.SetDigestSchedule(ctx, actor.ID(), sch, false)
		return err
	})
	if err != nil {
		return domain.DigestSchedule{}, fmt.Errorf("set digest schedule: %w", err)
	}
	return out, nil
}

// TimeZoneChanged recomputes userID's next digest in their new zone, inside q (the transaction
// changing their profile): at once, not from the next period, and without a second digest in
// a period or a period skipped (domain.RescheduleDigest). A member without a schedule has
// nothing to move (their default one is made in the zone of the day they opt in).
func (s *Service) TimeZoneChanged(ctx context.Context, q *store.Queries, userID uuid.UUID, zone string) error {
	cur, ok, err := q.LockDigestSchedule(ctx, userID)
	if err != nil || !ok {
		return err
	}
	now := s.now()
	next := domain.RescheduleDigest(cur.Frequency, cur.Weekday, cur.Minute, location(zone), now, cur.LastAt)
	if err := q.SetNextDigest(ctx, userID, next, now); err != nil {
		return fmt.Errorf("digest after a time zone change: %w", err)
	}
	return nil
}

// ensureDigestSchedule gives userID the default schedule unless they have one, inside q.
func (s *Service) ensureDigestSchedule(ctx context.Context, q *store.Queries, userID uuid.UUID) error {
	sch, err := s.defaultSchedule(ctx, q, userID)
	if err != nil {
		return err
	}
	if _, err := q.SetDigestSchedule(ctx, userID, sch, true); err != nil {
		return fmt.Errorf("default digest schedule: %w", err)
	}
	return nil
}

// digested reports whether p sends its emails in the digest (never for a critical type).
func digested(p domain.NotificationPreference) bool {
	return !p.Critical && p.Digest != nil && *p.Digest
}

// location loads an IANA zone; one this binary's tz database lacks counts as UTC (profiles
// validate zones).
func location(tz string) *time.Location {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}

// DigestConversation is one conversation's unread count in a digest.
type DigestConversation struct {
	ConversationID uuid.UUID `json:"conversation_id"`
	Unread         int       `json:"unread"`
}

// DigestEmailArgs is the River job that sends one member's digest for one period, inserted by
// the digest run in the transaction that advances the member's schedule. It carries counts and
// ids only, never content.
type DigestEmailArgs struct {
	UserID uuid.UUID `json:"user_id"`
	// PeriodEnd is when the period the digest covers ended (the run's clock).
	PeriodEnd        time.Time            `json:"period_end"`
	Conversations    []DigestConversation `json:"conversations,omitempty"`
	NewMatches       int                  `json:"new_matches,omitempty"`
	UpcomingSessions int                  `json:"upcoming_sessions,omitempty"`
}

// Kind implements river.JobArgs.
func (DigestEmailArgs) Kind() string { return "notification_digest_email" }

// InsertOpts puts the job on the email queue.
func (DigestEmailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: jobs.QueueEmail} }

// empty reports whether the digest has nothing to say.
func (a DigestEmailArgs) empty() bool {
	return len(a.Conversations) == 0 && a.NewMatches == 0 && a.UpcomingSessions == 0
}

// DigestRunner finds members whose digest is due and enqueues their digest emails.
type DigestRunner struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	// BatchSize is how many members one transaction claims (DigestBatchSize when 0).
	BatchSize int
}

// NewDigestRunner wires a runner; now is the clock (UTC time.Now when nil).
func NewDigestRunner(st *store.Store, log *slog.Logger, now func() time.Time) *DigestRunner {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &DigestRunner{store: st, log: log, now: now}
}

// DigestRunStats says what one run did.
type DigestRunStats struct {
	// Claimed counts members whose schedule was advanced; Emailed those who got a digest job.
	Claimed, Emailed, Batches int
}

// Run processes every member due at the run's clock, batch by batch, each batch in its own
// transaction, until none is due (members claimed by a concurrent runner are skipped, not
// waited for). A failed batch rolls back whole: its members stay due for the next run.
func (r *DigestRunner) Run(ctx context.Context) (DigestRunStats, error) {
	var st DigestRunStats
	now := r.now()
	size := r.BatchSize
	if size <= 0 {
		size = DigestBatchSize
	}
	for {
		var claimed, emailed int
		err := r.store.InTx(ctx, func(q *store.Queries) error {
			var err error
			claimed, emailed, err = r.batch(ctx, q, now, size)
			return err
		})
		if err != nil {
			return st, fmt.Errorf("digest run: %w", err)
		}
		if claimed == 0 {
			return st, nil
		}
		st.Claimed += claimed
		st.Emailed += emailed
		st.Batches++
		if err := ctx.Err(); err != nil {
			return st, err
		}
	}
}

// batch claims up to size due members in q, enqueues the digests that say something and
// advances every claimed schedule past now.
func (r *DigestRunner) batch(ctx context.Context, q *store.Queries, now time.Time, size int) (claimed, emailed int, err error) {
	due, err := q.ClaimDueDigests(ctx, now, size)
	if err != nil || len(due) == 0 {
		return 0, 0, err
	}
	users := make([]uuid.UUID, 0, len(due))
	since := make([]time.Time, 0, len(due))
	next := make([]time.Time, len(due))
	last := make([]time.Time, len(due))
	args := make(map[uuid.UUID]*DigestEmailArgs, len(due))
	for i, d := range due {
		next[i] = domain.NextDigest(d.Frequency, d.Weekday, d.Minute, location(d.TimeZone), now)
		last[i] = now
		if !d.Active {
			continue
		}
		users = append(users, d.UserID)
		from := d.NextAt.Add(-period(d.Frequency))
		if d.LastAt != nil {
			from = *d.LastAt
		}
		since = append(since, from)
		args[d.UserID] = &DigestEmailArgs{UserID: d.UserID, PeriodEnd: now}
	}
	if len(users) > 0 {
		unread, err := q.DigestUnreadConversations(ctx, users)
		if err != nil {
			return 0, 0, err
		}
		for _, u := range unread {
			a := args[u.UserID]
			a.Conversations = append(a.Conversations, DigestConversation{ConversationID: u.ConversationID, Unread: u.Unread})
		}
		matches, err := q.DigestNewMatches(ctx, users, since, now)
		if err != nil {
			return 0, 0, err
		}
		for _, m := range matches {
			args[m.UserID].NewMatches = m.N
		}
		sessions, err := q.DigestUpcomingSessions(ctx, users, now, now.Add(DigestUpcomingWindow))
		if err != nil {
			return 0, 0, err
		}
		for _, s := range sessions {
			args[s.UserID].UpcomingSessions = s.N
		}
	}
	var sending []uuid.UUID
	for _, u := range users {
		if !args[u].empty() {
			sending = append(sending, u)
		}
	}
	// A digest due in the member's quiet hours waits for their end (its job scheduled then):
	// the period is still advanced now, so it goes out once. Digests are never critical.
	held, err := holds(ctx, q, TypeSpec{}, sending, now)
	if err != nil {
		return 0, 0, err
	}
	params := make([]river.InsertManyParams, 0, len(sending))
	for _, u := range sending {
		a := args[u]
		sort.Slice(a.Conversations, func(i, j int) bool {
			return a.Conversations[i].ConversationID.String() < a.Conversations[j].ConversationID.String()
		})
		until, ok := held[u]
		params = append(params, river.InsertManyParams{Args: *a, InsertOpts: heldEmail(until, ok)})
	}
	if err := q.EnqueueJobs(ctx, params); err != nil {
		return 0, 0, err
	}
	ids := make([]uuid.UUID, len(due))
	for i, d := range due {
		ids[i] = d.UserID
	}
	if err := q.AdvanceDigests(ctx, ids, next, last); err != nil {
		return 0, 0, err
	}
	return len(due), len(params), nil
}

// period is the length of a digest period, for the first digest's "new since".
func period(f domain.DigestFrequency) time.Duration {
	if f == domain.DigestWeekly {
		return 7 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// DigestRunArgs is the periodic job that runs digests.
type DigestRunArgs struct{}

// Kind implements river.JobArgs.
func (DigestRunArgs) Kind() string { return "notification_digest_run" }

// DigestRunWorker works DigestRunArgs.
type DigestRunWorker struct {
	river.WorkerDefaults[DigestRunArgs]
	Runner *DigestRunner
}

// Work implements river.Worker.
func (w *DigestRunWorker) Work(ctx context.Context, _ *river.Job[DigestRunArgs]) error {
	st, err := w.Runner.Run(ctx)
	if st.Claimed > 0 {
		w.Runner.log.InfoContext(ctx, "notifications: digests", "claimed", st.Claimed, "emailed", st.Emailed, "batches", st.Batches)
	}
	return err
}

// DigestEmailWorker sends DigestEmailArgs jobs.
type DigestEmailWorker struct {
	river.WorkerDefaults[DigestEmailArgs]
	Users   UserLoader
	Mailer  Mailer
	AppName string
	// Suppressions skips addresses that refused email for good, and records a new refusal (nil:
	// every digest is tried).
	Suppressions Suppressions
	// Links makes the digest's one-click unsubscribe link (nil: no link).
	Links *UnsubscribeLinks
	// Log notes the addresses suppressed (nil: slog.Default()).
	Log *slog.Logger
}

// Work implements river.Worker. A member who is gone or suspended gets nothing, nor does an
// address that refused an email for good. The digest is written in the member's language with an
// HTML and a text part (RenderDigest) and carries RFC 8058's one-click unsubscribe headers for
// the digest as a whole (DigestScope). A permanent refusal suppresses the address and ends the
// job, as for per-event emails; other SMTP errors are returned so River retries.
func (w *DigestEmailWorker) Work(ctx context.Context, job *river.Job[DigestEmailArgs]) error {
	if job.Args.empty() {
		return nil
	}
	users, err := w.Users.UsersByIDs(ctx, []uuid.UUID{job.Args.UserID})
	if err != nil {
		return fmt.Errorf("digest email: load user: %w", err)
	}
	u, ok := users[job.Args.UserID]
	if !ok || u.Status != domain.UserActive {
		return nil
	}
	if w.Suppressions != nil {
		sup, err := w.Suppressions.EmailSuppressionOf(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("digest email: suppression: %w", err)
		}
		if sup != nil {
			return nil
		}
	}
	var link string
	var headers map[string]string
	if w.Links != nil {
		link = w.Links.URL(u.ID, DigestScope)
		headers = map[string]string{
			"List-Unsubscribe":      "<" + link + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		}
	}
	m, err := RenderDigest(u.Locale, w.AppName, u.DisplayName, job.Args, link)
	if err != nil {
		return fmt.Errorf("digest email: %w", err)
	}
	err = w.Mailer.Send(ctx, m.asMail(u.Email, headers))
	var rejected *mail.RejectedError
	if errors.As(err, &rejected) && w.Suppressions != nil {
		return (&EmailWorker{Suppressions: w.Suppressions, Log: w.Log}).suppress(ctx, u, rejected)
	}
	if err != nil {
		return fmt.Errorf("digest email: send: %w", err)
	}
	return nil
}

// DigestJobs registers the digest workers and, when enabled, the digest run every interval
// (DefaultDigestInterval when 0); email carries the unsubscribe links and the suppressions
// (store.Queries), as for per-event emails. The workers are registered even when disabled, so
// jobs left over are worked.
func DigestJobs(runner *DigestRunner, users UserLoader, mailer Mailer, appName string, email EmailConfig, enabled bool, interval time.Duration) jobs.Register {
	if interval <= 0 {
		interval = DefaultDigestInterval
	}
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &DigestRunWorker{Runner: runner})
		river.AddWorker(w, &DigestEmailWorker{Users: users, Mailer: mailer, AppName: appName,
			Suppressions: email.Suppressions, Links: email.Links, Log: email.Log})
		if !enabled {
			return nil
		}
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(interval),
			func() (river.JobArgs, *river.InsertOpts) { return DigestRunArgs{}, nil }, nil)}
	}
}

// DefaultDigestInterval is how often the digest run looks for due members: a digest goes out
// at most this late after its local time.
const DefaultDigestInterval = time.Minute
