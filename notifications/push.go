package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/push"
	"github.com/skillswap/skillswap/store"
)

// Push delivery: Notify writes one row per device to push_outbox in the transaction of the event
// and enqueues a PushFlushArgs job; PushSender leases batches of at most 100 rows, paces them to
// the project's cap (push.Pacer over ratelimit.Flights, shared through Redis), sends them to
// Expo and, in one transaction, stores the tickets, removes devices Expo no longer knows and
// deletes the rows. A periodic job reads the receipts of tickets about 15 minutes old, 1,000 at a time.

// pushData is the data of a push: what the app needs to open the notification.
type pushData struct {
	NotificationID *uuid.UUID              `json:"notificationId,omitempty"`
	Type           domain.NotificationType `json:"type"`
	// ThreadID groups the pushes of one conversation in one thread (the app sets it as the
	// notification's thread or group: Expo's message format has no thread field of its own).
	ThreadID string          `json:"threadId,omitempty"`
	Payload  json.RawMessage `json:"payload,omitempty"`
}

// pushMessages renders the push of one notification in every catalogue language (the outbox
// gives each device the one of its language), without recipient nor badge (added when sent).
// Like emails, it names what happened but carries no content.
func (s *Service) pushMessages(typ domain.NotificationType, note *uuid.UUID, payload json.RawMessage) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(i18n.Languages))
	for _, lang := range i18n.Languages {
		m, err := s.pushMessage(i18n.For(lang), typ, note, payload)
		if err != nil {
			return nil, err
		}
		out[lang] = m
	}
	return out, nil
}

// pushMessage renders the push of one notification in l's language.
func (s *Service) pushMessage(l i18n.Localizer, typ domain.NotificationType, note *uuid.UUID, payload json.RawMessage) (json.RawMessage, error) {
	spec := specOf(typ)
	d := pushData{NotificationID: note, Type: typ, Payload: payload}
	if spec.Thread != nil {
		d.ThreadID = spec.Thread(payload)
	}
	for {
		data, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("push data: %w", err)
		}
		m, err := push.Fit(push.Message{Title: s.app, Body: whatHappened(l, typ), Data: data, Sound: "default", ChannelID: spec.AndroidChannel}, pushBudget)
		if err != nil && d.Payload != nil {
			// A payload too large to travel: the app loads the notification by its id instead.
			d.Payload = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		return json.Marshal(m)
	}
}

// pushBudget is what a push may weigh before recipient and badge: Expo's 4 KiB less room for a
// badge.
const pushBudget = push.MaxPayloadBytes - len(`,"badge":2147483647`)

// enqueuePushes writes the pushes to the outbox inside q and makes sure a flush job will run:
// now, and at the end of each quiet window some of them wait for.
func (s *Service) enqueuePushes(ctx context.Context, q *store.Queries, reqs []store.PushRequest, now time.Time) error {
	if len(reqs) == 0 {
		return nil
	}
	n, err := q.EnqueuePushes(ctx, reqs, now)
	if err != nil || n == 0 {
		return err
	}
	atOnce, later := flushTimes(reqs)
	if atOnce {
		if err := q.EnqueueJob(ctx, PushFlushArgs{}, nil); err != nil {
			return err
		}
	}
	for _, at := range later {
		if err := q.EnqueueJob(ctx, PushFlushArgs{}, &river.InsertOpts{ScheduledAt: at}); err != nil {
			return err
		}
	}
	return nil
}

// PushFlushArgs asks for the push outbox to be sent. Jobs inserted within the same second are
// one (River's unique jobs), so a burst of notifications wakes one sender, which drains the
// outbox in batches; a periodic one catches anything left.
type PushFlushArgs struct{}

// Kind implements river.JobArgs.
func (PushFlushArgs) Kind() string { return "push_flush" }

// InsertOpts puts the job on the push queue, unique per second.
func (PushFlushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePush, UniqueOpts: river.UniqueOpts{ByPeriod: time.Second}}
}

// PushReceiptsArgs asks for the receipts of due tickets (periodic).
type PushReceiptsArgs struct{}

// Kind implements river.JobArgs.
func (PushReceiptsArgs) Kind() string { return "push_receipts" }

// InsertOpts puts the job on the push queue.
func (PushReceiptsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePush, UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}}
}

// Expo is the part of push.Client the sender uses.
type Expo interface {
	Send(ctx context.Context, msgs []push.Message) ([]push.Ticket, error)
	Receipts(ctx context.Context, ids []string) (map[string]push.Receipt, error)
}

// PushSender sends the push outbox through Expo and reads the receipts.
type PushSender struct {
	store *store.Store
	expo  Expo
	pacer *push.Pacer
	log   *slog.Logger
	cfg   PushConfig
}

// PushConfig tunes a PushSender; the zero value takes the defaults.
type PushConfig struct {
	// Lease is how long a claimed batch is reserved for its sender (0: 2 minutes).
	Lease time.Duration
	// MaxRun is how long one flush job sends before handing over to the next (0: 40 s, under
	// River's job timeout).
	MaxRun time.Duration
	// ReceiptDelay is how long after sending the receipts are read (0: 15 minutes, as Expo
	// advises).
	ReceiptDelay time.Duration
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// NewPushSender returns a sender of st's outbox through expo at pacer's rate.
func NewPushSender(st *store.Store, expo Expo, pacer *push.Pacer, log *slog.Logger, cfg PushConfig) *PushSender {
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.MaxRun <= 0 {
		cfg.MaxRun = 40 * time.Second
	}
	if cfg.ReceiptDelay <= 0 {
		cfg.ReceiptDelay = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &PushSender{store: st, expo: expo, pacer: pacer, log: log, cfg: cfg}
}

// Flush sends waiting pushes, batch after batch, until the outbox is empty or MaxRun has passed;
// it returns how many messages Expo accepted a ticket for (ok or error) and whether some remain.
func (ps *PushSender) Flush(ctx context.Context) (sent int, more bool, err error) {
	start := ps.cfg.Now()
	// Held pushes the member has seen in the app meanwhile are not sent (quiet.go).
	if _, err := ps.store.Q().DropReadHeldPushes(ctx, start); err != nil {
		return 0, false, err
	}
	for {
		n, err := ps.SendBatch(ctx)
		sent += n
		if err != nil || n == 0 {
			return sent, false, err
		}
		if ps.cfg.Now().Sub(start) >= ps.cfg.MaxRun {
			return sent, true, nil
		}
	}
}

// SendBatch leases up to one batch (at most 100) of waiting pushes, waits for the project's
// budget and sends it. It returns how many messages it handled (0: the outbox was empty).
func (ps *PushSender) SendBatch(ctx context.Context) (int, error) {
	now := ps.cfg.Now()
	rows, err := ps.store.Q().ClaimPushes(ctx, ps.pacer.Batch(), now, now.Add(ps.cfg.Lease))
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	ids := make([]int64, len(rows))
	users := make([]uuid.UUID, 0, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		users = append(users, r.UserID)
	}
	// The badge is the member's unread count when the push leaves, not when it was written.
	unread, err := ps.store.Q().UnreadNotificationCounts(ctx, users)
	if err != nil {
		return 0, ps.release(ctx, ids, fmt.Errorf("push badges: %w", err))
	}
	msgs := make([]push.Message, 0, len(rows))
	sending := make([]store.ClaimedPush, 0, len(rows))
	for _, r := range rows {
		var m push.Message
		if err := json.Unmarshal(r.Message, &m); err != nil {
			ps.log.ErrorContext(ctx, "push: unreadable outbox message dropped", "push_id", r.ID, "err", err)
			continue
		}
		badge := unread[r.UserID]
		m.To, m.Badge = r.Token, &badge
		if m, err = push.Fit(m, push.MaxPayloadBytes); err != nil {
			ps.log.ErrorContext(ctx, "push: message too big dropped", "push_id", r.ID, "err", err)
			continue
		}
		msgs = append(msgs, m)
		sending = append(sending, r)
	}
	tickets, err := ps.send(ctx, msgs)
	if err != nil {
		var re *push.RequestError
		if errors.As(err, &re) && !re.Retryable() && re.Status != http.StatusUnauthorized && re.Status != http.StatusForbidden {
			// Refused as malformed: sending it again cannot help, and it must not block the
			// outbox. (401/403 is our configuration: kept for after it is fixed.)
			ps.log.ErrorContext(ctx, "push: batch refused by Expo, dropped", "count", len(msgs), "err", err)
			return len(rows), ps.store.Q().DeletePushes(ctx, ids)
		}
		return 0, ps.release(ctx, ids, fmt.Errorf("push send: %w", err))
	}
	sentAt := ps.cfg.Now()
	// Dropped rows (unreadable, too big) are deleted with the sent ones.
	var keep []store.PushTicket
	var dead []uuid.UUID
	for i, t := range tickets {
		r := sending[i]
		switch {
		case t.Status == "ok" && t.ID != "":
			keep = append(keep, store.PushTicket{ID: t.ID, DeviceID: r.DeviceID, CreatedAt: sentAt, CheckAfter: sentAt.Add(ps.cfg.ReceiptDelay)})
		case t.ErrorCode() == push.DeviceNotRegistered:
			dead = append(dead, r.DeviceID)
		default:
			ps.log.WarnContext(ctx, "push: ticket error", "push_id", r.ID, "error", t.ErrorCode(), "message", t.Message)
		}
	}
	err = ps.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.InsertPushTickets(ctx, keep); err != nil {
			return err
		}
		if _, err := q.DeletePushDevices(ctx, dead); err != nil {
			return err
		}
		return q.DeletePushes(ctx, ids)
	})
	if err != nil {
		// Expo has them: the lease stays, so they are not sent again before it expires.
		return 0, fmt.Errorf("push: record tickets: %w", err)
	}
	return len(rows), nil
}

// send waits for the project's budget, sends msgs before the slot's deadline and lands the
// slot once Expo answered (or the send gave up), so the batch counts against the cap from
// before it left until a second after its last answer.
func (ps *PushSender) send(ctx context.Context, msgs []push.Message) ([]push.Ticket, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	slot, err := ps.pacer.Wait(ctx, len(msgs))
	if err != nil {
		return nil, err
	}
	sendCtx, cancel := context.WithDeadline(ctx, slot.Deadline)
	tickets, err := ps.expo.Send(sendCtx, msgs)
	cancel()
	if lerr := slot.Land(ctx); lerr != nil {
		ps.log.WarnContext(ctx, "push: pacer landing not recorded (the batch counts until its deadline)", "err", lerr)
	}
	return tickets, err
}

// release ends the lease of rows that were not sent and returns cause.
func (ps *PushSender) release(ctx context.Context, ids []int64, cause error) error {
	if err := ps.store.Q().ReleasePushes(context.WithoutCancel(ctx), ids); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// CheckReceipts reads the receipts of due tickets, 1,000 per request, until none is due or
// MaxRun has passed: a DeviceNotRegistered receipt removes the device; a receipt not ready is
// asked again later; tickets whose receipt was read are forgotten. It returns how many receipts
// it read.
func (ps *PushSender) CheckReceipts(ctx context.Context) (int, error) {
	start := ps.cfg.Now()
	read := 0
	for ps.cfg.Now().Sub(start) < ps.cfg.MaxRun {
		due, err := ps.store.Q().DuePushTickets(ctx, ps.cfg.Now(), push.MaxReceiptIDs)
		if err != nil || len(due) == 0 {
			return read, err
		}
		ids := make([]string, len(due))
		for i, t := range due {
			ids[i] = t.ID
		}
		receipts, err := ps.expo.Receipts(ctx, ids)
		if err != nil {
			return read, fmt.Errorf("push receipts: %w", err)
		}
		var done, later []string
		var dead []uuid.UUID
		for _, t := range due {
			rc, ok := receipts[t.ID]
			if !ok {
				later = append(later, t.ID)
				continue
			}
			done = append(done, t.ID)
			switch rc.ErrorCode() {
			case "":
			case push.DeviceNotRegistered:
				dead = append(dead, t.DeviceID)
			default:
				ps.log.WarnContext(ctx, "push: receipt error", "ticket", t.ID, "error", rc.ErrorCode(), "message", rc.Message)
			}
		}
		read += len(done)
		err = ps.store.InTx(ctx, func(q *store.Queries) error {
			if _, err := q.DeletePushDevices(ctx, dead); err != nil {
				return err
			}
			if err := q.DeletePushTickets(ctx, done); err != nil {
				return err
			}
			return q.PostponePushTickets(ctx, later, ps.cfg.Now().Add(ps.cfg.ReceiptDelay))
		})
		if err != nil {
			return read, fmt.Errorf("push receipts: %w", err)
		}
		if len(due) < push.MaxReceiptIDs {
			return read, nil
		}
	}
	return read, nil
}

// PushFlushWorker works PushFlushArgs.
type PushFlushWorker struct {
	river.WorkerDefaults[PushFlushArgs]
	Sender *PushSender
}

// Work implements river.Worker: it drains the outbox for a while and, when some remains, leaves
// the rest to a new job. Errors are returned so River retries (the rows stay in the outbox).
func (w *PushFlushWorker) Work(ctx context.Context, _ *river.Job[PushFlushArgs]) error {
	_, more, err := w.Sender.Flush(ctx)
	if err != nil {
		return err
	}
	if more {
		if c, err := river.ClientFromContextSafely[pgx.Tx](ctx); err == nil {
			if _, err := c.Insert(ctx, PushFlushArgs{}, nil); err != nil {
				return fmt.Errorf("push flush: hand over: %w", err)
			}
		}
	}
	return nil
}

// PushReceiptsWorker works PushReceiptsArgs.
type PushReceiptsWorker struct {
	river.WorkerDefaults[PushReceiptsArgs]
	Sender *PushSender
}

// Work implements river.Worker.
func (w *PushReceiptsWorker) Work(ctx context.Context, _ *river.Job[PushReceiptsArgs]) error {
	_, err := w.Sender.CheckReceipts(ctx)
	return err
}

// PushJobs registers the push workers and, when enabled (Expo configured), a flush every 30
// seconds (catching pushes whose job was lost) and a receipt check every minute. The workers are
// registered even when disabled, so jobs left from a configured past are worked, not refused.
func PushJobs(sender *PushSender, enabled bool) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &PushFlushWorker{Sender: sender})
		river.AddWorker(w, &PushReceiptsWorker{Sender: sender})
		if !enabled {
			return nil
		}
		return []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(30*time.Second),
				func() (river.JobArgs, *river.InsertOpts) { return PushFlushArgs{}, nil }, nil),
			river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
				func() (river.JobArgs, *river.InsertOpts) { return PushReceiptsArgs{}, nil }, nil),
		}
	}
}
