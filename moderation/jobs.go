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
	fr := u.Locale == domain.LocaleFR
	t := func(en, frText string) string {
		if fr {
			return frText
		}
		return en
	}
	kind := sanctionWords[sn.Kind][0]
	if fr {
		kind = sanctionWords[sn.Kind][1]
	}
	var subject string
	paras := []string{t("Hello "+u.DisplayName+",", "Bonjour "+u.DisplayName+",")}
	switch args.Event {
	case SanctionEmailImposed:
		subject = t(app+": a moderator took a measure on your account", app+" : une mesure de modération concerne votre compte")
		paras = append(paras, t("A moderator of "+app+" decided: "+kind+".", "Un modérateur de "+app+" a décidé : "+kind+"."))
		if sn.EndsAt != nil {
			paras = append(paras, t("Until "+stamp(*sn.EndsAt)+".", "Jusqu'au "+stamp(*sn.EndsAt)+"."))
		}
		paras = append(paras, t("The reasons:", "Les motifs :"), sn.StatementOfReasons)
		if link := s.AppealLink(sn); link != "" {
			paras = append(paras, t("You may appeal this decision once, until "+stamp(sn.AppealableUntil())+", in the app or on this page (no sign-in needed): "+link,
				"Vous pouvez contester cette décision une fois, jusqu'au "+stamp(sn.AppealableUntil())+", dans l'application ou sur cette page (sans connexion) : "+link))
		} else {
			paras = append(paras, t("You may appeal this decision once, within 20 days, in the app.", "Vous pouvez contester cette décision une fois, dans les 20 jours, dans l'application."))
		}
	case SanctionEmailLifted:
		subject = t(app+": a measure on your account was lifted", app+" : une mesure sur votre compte est levée")
		paras = append(paras, t("A moderator lifted this measure early: "+kind+".", "Un modérateur a levé cette mesure avant son terme : "+kind+"."))
		if sn.LiftReason != nil {
			paras = append(paras, *sn.LiftReason)
		}
	case SanctionEmailAppealDecided:
		if a == nil || a.DecisionReasons == nil {
			return mail.Email{}, false, fmt.Errorf("sanction email: appeal decision without its appeal")
		}
		subject = t(app+": your appeal was decided", app+" : votre recours a été examiné")
		if a.State == domain.AppealOverturned {
			paras = append(paras, t("Another moderator reviewed your appeal and overturned the measure ("+kind+").",
				"Un autre modérateur a examiné votre recours et annulé la mesure ("+kind+")."))
		} else {
			paras = append(paras, t("Another moderator reviewed your appeal and upheld the measure ("+kind+").",
				"Un autre modérateur a examiné votre recours et maintenu la mesure ("+kind+")."))
		}
		paras = append(paras, t("The reasons:", "Les motifs :"), *a.DecisionReasons)
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
		subject = t(app+": a moderator wrote about your appeal", app+" : un modérateur vous écrit au sujet de votre recours")
		paras = append(paras, t("A moderator reviewing your appeal wrote:", "Un modérateur qui examine votre recours écrit :"), msgs[i].Body)
		if link := s.appealLink(sn, s.now().Add(ReplyLinkTTL)); link != "" && a.State == domain.AppealOpen {
			paras = append(paras, t("Answer in the app or on this page (no sign-in needed): "+link,
				"Répondez dans l'application ou sur cette page (sans connexion) : "+link))
		}
	default:
		return mail.Email{}, false, fmt.Errorf("sanction email: unknown event %q", args.Event)
	}
	paras = append(paras, t("The "+app+" team", "L'équipe "+app))
	return mail.Email{To: u.Email, Subject: subject, Body: strings.Join(paras, "\n\n") + "\n", Language: u.Locale}, true, nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// sanctionWords names each kind in English and French.
var sanctionWords = map[domain.SanctionKind][2]string{
	domain.SanctionWarning:        {"a warning", "un avertissement"},
	domain.SanctionContentRemoval: {"the removal of content you posted", "le retrait d'un contenu que vous avez publié"},
	domain.SanctionLimit:          {"a limit: no new conversations nor session proposals", "une limitation : ni nouvelle conversation ni proposition de séance"},
	domain.SanctionSuspension:     {"the suspension of your account", "la suspension de votre compte"},
	domain.SanctionBan:            {"the closure of your account", "la fermeture définitive de votre compte"},
}
