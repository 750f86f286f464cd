package moderation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/mail"
)

// EndSuspensionArgs is the River job that ends a SUSPENSION at its end time; Impose inserts it,
// scheduled at the end, in the transaction that suspends.
type EndSuspensionArgs struct {
	SanctionID uuid.UUID `json:"sanction_id"`
}

// Kind implements river.JobArgs.
func (EndSuspensionArgs) Kind() string { return "moderation_end_suspension" }

// CancelSuspendedSessionsArgs is the River job that cancels a suspended member's upcoming
// sessions; Impose inserts it in the transaction that suspends.
type CancelSuspendedSessionsArgs struct {
	SanctionID uuid.UUID `json:"sanction_id"`
}

// Kind implements river.JobArgs.
func (CancelSuspendedSessionsArgs) Kind() string { return "moderation_cancel_suspended_sessions" }

// SanctionEmailEvent says which sanction email to send.
type SanctionEmailEvent string

// Sanction email events.
const (
	SanctionEmailImposed       SanctionEmailEvent = "IMPOSED"
	SanctionEmailLifted        SanctionEmailEvent = "LIFTED"
	SanctionEmailAppealDecided SanctionEmailEvent = "APPEAL_DECIDED"
	SanctionEmailAppealMessage SanctionEmailEvent = "APPEAL_MESSAGE"
)

// SanctionEmailArgs is the River job that emails a member about a sanction of theirs, inserted
// in the transaction that imposes, lifts or decides on appeal. Unlike the generic notification
// email it reaches suspended members (they cannot read the app) and carries the statement of
// reasons and, for a new sanction, the link to appeal it.
type SanctionEmailArgs struct {
	SanctionID uuid.UUID          `json:"sanction_id"`
	Event      SanctionEmailEvent `json:"event"`
	AppealID   *uuid.UUID         `json:"appeal_id,omitempty"`
	// MessageID is the moderator's message of an APPEAL_MESSAGE email.
	MessageID *uuid.UUID `json:"message_id,omitempty"`
}

// Kind implements river.JobArgs.
func (SanctionEmailArgs) Kind() string { return "moderation_sanction_email" }

// InsertOpts puts the job on the email queue.
func (SanctionEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueueEmail}
}

// Mailer sends emails (mail.SMTPMailer and mail.LogMailer implement it).
type Mailer interface {
	Send(ctx context.Context, e mail.Email) error
}

// Jobs registers the workers of sanctions; appName signs the emails.
func Jobs(s *Service, mailer Mailer, appName string) jobs.Register {
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &endSuspensionWorker{s: s})
		river.AddWorker(w, &cancelSuspendedSessionsWorker{s: s})
		river.AddWorker(w, &sanctionEmailWorker{s: s, mailer: mailer, app: appName})
		return nil
	}
}

type endSuspensionWorker struct {
	river.WorkerDefaults[EndSuspensionArgs]
	s *Service
}

// Work ends the suspension; run early (clock skew), it waits for the rest.
func (w *endSuspensionWorker) Work(ctx context.Context, job *river.Job[EndSuspensionArgs]) error {
	left, err := w.s.EndSuspension(ctx, job.Args.SanctionID)
	if err != nil {
		return err
	}
	if left > 0 {
		return river.JobSnooze(left)
	}
	return nil
}

type cancelSuspendedSessionsWorker struct {
	river.WorkerDefaults[CancelSuspendedSessionsArgs]
	s *Service
}

// Work cancels the sessions; an error makes River retry (cancelled ones are skipped then).
func (w *cancelSuspendedSessionsWorker) Work(ctx context.Context, job *river.Job[CancelSuspendedSessionsArgs]) error {
	_, err := w.s.CancelSessionsOfSuspended(ctx, job.Args.SanctionID)
	return err
}

type sanctionEmailWorker struct {
	river.WorkerDefaults[SanctionEmailArgs]
	s      *Service
	mailer Mailer
	app    string
}

// Work sends the email; an erased member gets nothing; SMTP errors are returned so River retries.
func (w *sanctionEmailWorker) Work(ctx context.Context, job *river.Job[SanctionEmailArgs]) error {
	e, ok, err := w.s.SanctionEmail(ctx, w.app, job.Args)
	if err != nil || !ok {
		return err
	}
	if err := w.mailer.Send(ctx, e); err != nil {
		return fmt.Errorf("sanction email: send: %w", err)
	}
	return nil
}

// SanctionEmail renders the email of args in the member's language; false when there is no one
// to send it to (an erased account).
func (s *Service) SanctionEmail(ctx context.Context, app string, args SanctionEmailArgs) (mail.Email, bool, error) {
	q := s.store.Q()
	sn, err := q.SanctionByID(ctx, args.SanctionID, false)
	if err != nil {
		return mail.Email{}, false, fmt.Errorf("sanction email: %w", err)
	}
	users, err := q.UsersByIDs(ctx, []uuid.UUID{sn.UserID})
	if err != nil {
		return mail.Email{}, false, fmt.Errorf("sanction email: %w", err)
	}
	u, ok := users[sn.UserID]
	if !ok || u.Status == domain.UserErased {
		return mail.Email{}, false, nil
	}
	var a *domain.Appeal
	if args.AppealID != nil {
		got, err := q.AppealByID(ctx, *args.AppealID, false)
		if err != nil {
			return mail.Email{}, false, fmt.Errorf("sanction email: %w", err)
		}
		a = &got
	}
	l := i18n.For(u.Locale)
	kind := l.T(sanctionKinds[sn.Kind], nil)
	d := map[string]any{"App": app, "Name": u.DisplayName, "Kind": kind}
	t := func(id i18n.ID, more ...any) string {
		for i := 0; i+1 < len(more); i += 2 {
			d[more[i].(string)] = more[i+1]
		}
		return l.T(id, d)
	}
	var subject string
	paras := []string{t(msgGreeting)}
	switch args.Event {
	case SanctionEmailImposed:
		subject = t(msgImposedSubject)
		paras = append(paras, t(msgImposedDecided))
		if sn.EndsAt != nil {
			paras = append(paras, t(msgUntil, "Until", stamp(*sn.EndsAt)))
		}
		paras = append(paras, t(msgReasons), sn.StatementOfReasons)
		if link := s.AppealLink(sn); link != "" {
			paras = append(paras, t(msgAppealLink, "Until", stamp(sn.AppealableUntil()), "Link", link))
		} else {
			paras = append(paras, t(msgAppealInApp))
		}
	case SanctionEmailLifted:
		subject = t(msgLiftedSubject)
		paras = append(paras, t(msgLiftedBody))
		if sn.LiftReason != nil {
			paras = append(paras, *sn.LiftReason)
		}
	case SanctionEmailAppealDecided:
		if a == nil || a.DecisionReasons == nil {
			return mail.Email{}, false, fmt.Errorf("sanction email: appeal decision without its appeal")
		}
		subject = t(msgAppealDecidedSubject)
		if a.State == domain.AppealOverturned {
			paras = append(paras, t(msgAppealOverturned))
		} else {
			paras = append(paras, t(msgAppealUpheld))
		}
		paras = append(paras, t(msgReasons), *a.DecisionReasons)
	case SanctionEmailAppealMessage:
		if a == nil || args.MessageID == nil {
			return mail.Email{}, false, fmt.Errorf("sanction email: appeal message without its appeal")
		}
		msgs, err := q.AppealMessages(ctx, a.ID)
		if err != nil {
			return mail.Email{}, false, fmt.Errorf("sanction email: %w", err)
		}
		i := slices.IndexFunc(msgs, func(m domain.AppealMessage) bool { return m.ID == *args.MessageID })
		if i < 0 {
			return mail.Email{}, false, fmt.Errorf("sanction email: message %s not in appeal %s", *args.MessageID, a.ID)
		}
		subject = t(msgAppealMessageSubject)
		paras = append(paras, t(msgAppealMessageWrote), msgs[i].Body)
		if link := s.appealLink(sn, s.now().Add(ReplyLinkTTL)); link != "" && a.State == domain.AppealOpen {
			paras = append(paras, t(msgAppealMessageAnswer, "Link", link))
		}
	default:
		return mail.Email{}, false, fmt.Errorf("sanction email: unknown event %q", args.Event)
	}
	paras = append(paras, t(msgSignature))
	return mail.Email{To: u.Email, Subject: subject, Body: strings.Join(paras, "\n\n") + "\n", Language: l.Lang()}, true, nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// The words of moderation's emails (package i18n's catalogues, email.moderation.*); the
// statement of reasons and the moderators' messages are sent as written.
var (
	msgGreeting             = i18n.Key("email.greeting")
	msgSignature            = i18n.Key("email.signature")
	msgReasons              = i18n.Key("email.moderation.reasons")
	msgUntil                = i18n.Key("email.moderation.until")
	msgImposedSubject       = i18n.Key("email.moderation.imposed.subject")
	msgImposedDecided       = i18n.Key("email.moderation.imposed.decided")
	msgAppealLink           = i18n.Key("email.moderation.imposed.appealLink")
	msgAppealInApp          = i18n.Key("email.moderation.imposed.appealInApp")
	msgLiftedSubject        = i18n.Key("email.moderation.lifted.subject")
	msgLiftedBody           = i18n.Key("email.moderation.lifted.body")
	msgAppealDecidedSubject = i18n.Key("email.moderation.appealDecided.subject")
	msgAppealOverturned     = i18n.Key("email.moderation.appealDecided.overturned")
	msgAppealUpheld         = i18n.Key("email.moderation.appealDecided.upheld")
	msgAppealMessageSubject = i18n.Key("email.moderation.appealMessage.subject")
	msgAppealMessageWrote   = i18n.Key("email.moderation.appealMessage.wrote")
	msgAppealMessageAnswer  = i18n.Key("email.moderation.appealMessage.answer")
	// sanctionKinds names each kind of sanction (email.moderation.kind.<KIND>).
	sanctionKinds = func() map[domain.SanctionKind]i18n.ID {
		kinds := []domain.SanctionKind{domain.SanctionWarning, domain.SanctionContentRemoval, domain.SanctionLimit,
			domain.SanctionSuspension, domain.SanctionBan}
		m := make(map[domain.SanctionKind]i18n.ID, len(kinds))
		for _, k := range kinds {
			m[k] = i18n.Key("email.moderation.kind." + string(k))
		}
		return m
	}()
)
