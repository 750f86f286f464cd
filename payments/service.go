// Package payments runs paid mentoring with Stripe: mentors' hourly prices, their Connect
// (Express) onboarding, a PaymentIntent per paid session (manual capture, platform fee,
// transfer to the mentor), the saga that captures, cancels or refunds it as the session ends,
// no-show disputes, and the Stripe webhooks that report authorisations, refunds, chargebacks
// and account changes.
//
// Stripe is never called inside a database transaction. Each saga step is a row of
// payment_steps with an idempotency key derived from the payment id and the step: the key is
// sent with the Stripe call and reused on every retry, and the step's effect is written in one
// transaction that also marks it DONE, so a crash between the call and the write resumes
// without a second effect.
//
// A paid session is confirmed only once its payment is authorised. A declined card leaves the
// proposal open for another attempt; an authorisation cancelled by Stripe (it expired) cancels
// the session and releases its booking. Card authorisations expire after 7 days, so a payment
// still authorised Config.CaptureDeadline (6 days 12 hours) after its authorisation is captured
// then if its session has ended (confirmed past its end, completed, or a no-show).
//
// Cancellation policy: a paid session cancelled before it took place costs nothing (the
// authorisation is released while uncaptured, a captured payment is refunded in full), with
// one exception: a learner who cancels a confirmed session inside the late-cancellation
// cut-off (24 hours by default, the sessions' policy) pays Config.LateCancelFeePercent of its
// price (50% by default) to the mentor, who kept the slot free; the platform keeps its fee in
// proportion and the rest of the authorisation is released. A mentor's cancellation never
// costs the learner anything.
//
// No-show policy: one member's word does not move money. A no-show report on a paid session
// opens a dispute; the member reported absent may contest it within Config.NoShowContestWindow
// (48 hours). Uncontested, it is upheld at the deadline; contested, staff (SUPPORT) uphold or
// reject it. Only then does money move: an upheld no-show of the mentor refunds the learner in
// full (or releases the authorisation); every other outcome captures the payment (the session
// took place, or the learner missed a slot the mentor kept free).
//
// Refunds reserve their amount (a PENDING refund counts against what is left) before Stripe is
// asked, and settle SUCCEEDED or FAILED on its answer (refund.go, docs/payments.md). Refunds made
// outside the API (the Stripe Dashboard) are recorded from their webhooks so the payment still
// reconciles; our own refunds carry metadata, and their webhooks settle the pending reservation.
// Chargebacks are recorded on the payment and in the audit log.
//
// Methods that act for a member or staff take the domain.Actor right after the context (the
// service never reads the viewer from the context); the saga (Book, CheckNewTime,
// OnSessionChanged, RunStep), the deadlines and webhook ingestion act for nobody and take
// explicit ids. Lists take a relay.Page and return a relay.Connection.
package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Notifier turns payment events into member notifications inside the event's transaction;
// notifications.ByName implements it. It may be nil.
type Notifier interface {
	Notify(ctx context.Context, q *store.Queries, userID uuid.UUID, typ string, payload any) error
}

// Config tunes the service.
type Config struct {
	// FeePercent is the platform's share of each payment, in percent (0..100).
	FeePercent float64
	// PublicURL is the API's public base URL; onboarding links return to it.
	PublicURL string
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
	// LateCancelFeePercent is the share of the price a learner pays when they cancel a
	// confirmed paid session inside the late-cancellation cut-off (0: no fee).
	LateCancelFeePercent float64
	// BookingHorizon is how long after its booking a paid session may end at the latest
	// (default 6 days): a card authorisation lasts 7 days, and the payment is captured after
	// the session.
	BookingHorizon time.Duration
	// SkillSessions cancels a paid session whose authorisation was cancelled or expired
	// (*skillsessions.Service implements it); nil leaves sessions alone.
	SkillSessions SessionCanceller
	// NoShowContestWindow is how long after a no-show report on a paid session the member
	// reported absent may contest it (0: DefaultNoShowContestWindow, 48 hours).
	NoShowContestWindow time.Duration
	// RequireRecentAuth refuses payout settings (onboarding a payout account) unless the mentor
	// signed in or reauthenticated lately (auth.Service.RequireRecentAuth); nil: not required.
	RequireRecentAuth func(ctx context.Context, actor domain.Actor) error
	// CaptureDeadline is how long after its authorisation an ended session's payment is
	// captured at the latest (0: DefaultCaptureDeadline, 6 days 12 hours); it must stay below
	// the 7 days after which card authorisations expire.
	CaptureDeadline time.Duration
}

// SessionCanceller cancels, inside the caller's transaction, a session whose payment can no
// longer be taken, releasing its booking.
type SessionCanceller interface {
	CancelUnpaid(ctx context.Context, q *store.Queries, sessionID uuid.UUID, reason string) (bool, error)
}

// Service implements paid mentoring.
type Service struct {
	store    *store.Store
	stripe   Stripe
	notifier Notifier
	cfg      Config
	log      *slog.Logger
}

// NewService wires the service. stripe is nil when no Stripe key is configured: paid features
// then answer SERVICE_UNAVAILABLE, while prices can still be set.
func NewService(st *store.Store, stripe Stripe, notifier Notifier, cfg Config, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BookingHorizon == 0 {
		cfg.BookingHorizon = DefaultBookingHorizon
	}
	if cfg.NoShowContestWindow <= 0 {
		cfg.NoShowContestWindow = DefaultNoShowContestWindow
	}
	if cfg.CaptureDeadline <= 0 {
		cfg.CaptureDeadline = DefaultCaptureDeadline
	}
	return &Service{store: st, stripe: stripe, notifier: notifier, cfg: cfg, log: log}
}

// DefaultBookingHorizon is Config.BookingHorizon's default: Stripe releases a card
// authorisation after 7 days; a day is left for the capture.
const DefaultBookingHorizon = 6 * 24 * time.Hour

// ErrDisabled is returned by paid features when Stripe is not configured.
var ErrDisabled = domain.Unavailable("paid sessions are disabled: the server has no Stripe key (STRIPE_SECRET_KEY)")

// Stripe returns the Stripe client (nil when disabled).
func (s *Service) Stripe() Stripe { return s.stripe }

// Enabled reports whether Stripe is configured.
func (s *Service) Enabled() bool { return s.stripe != nil }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Saga steps; with the payment id they form the Stripe idempotency keys.
const (
	StepCreateIntent = "create_intent"
	StepCapture      = "capture"
	StepCancel       = "cancel"
	StepRefundNoShow = "refund_no_show"
	// StepLateCancelFee captures the late-cancellation fee and releases the rest.
	StepLateCancelFee = "late_cancel_fee"
)

// IdempotencyKey is the key sent to Stripe for a step of a payment.
func IdempotencyKey(paymentID uuid.UUID, step string) string {
	return "skillswap:payment:" + paymentID.String() + ":" + step
}

// SetPrice sets the actor's hourly price for a skill they offer. The actor must be a MENTOR.
func (s *Service) SetPrice(ctx context.Context, actor domain.Actor, skillID uuid.UUID, amountMinor int64, currency string) (domain.MentorPrice, error) {
	if err := actor.RequireRole(domain.RoleMentor); err != nil {
		return domain.MentorPrice{}, err
	}
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !domain.ValidCurrency(currency) {
		return domain.MentorPrice{}, domain.Invalid("currency", "must be a three-letter ISO 4217 code such as EUR")
	}
	if amountMinor <= 0 || amountMinor > domain.MaxHourlyPriceMinor {
		return domain.MentorPrice{}, domain.Invalid("amountMinor", "must be between 1 and %d minor units", domain.MaxHourlyPriceMinor)
	}
	var out domain.MentorPrice
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if err := requireOffer(ctx, q, actor.ID(), skillID); err != nil {
			return err
		}
		var err error
		out, err = q.UpsertMentorPrice(ctx, domain.MentorPrice{
			UserID: actor.ID(), SkillID: skillID, AmountMinor: amountMinor, Currency: currency, UpdatedAt: s.now(),
		})
		return err
	})
	if err != nil {
		return domain.MentorPrice{}, fmt.Errorf("set price: %w", err)
	}
	return out, nil
}

// requireOffer refuses (BAD_USER_INPUT on skillId) a price for a skill the member does not offer.
func requireOffer(ctx context.Context, q *store.Queries, userID, skillID uuid.UUID) error {
	ok, err := q.OffersSkill(ctx, userID, skillID)
	if err != nil {
		return err
	}
	if !ok {
		return domain.Invalid("skillId", "you can only price a skill you offer")
	}
	return nil
}

// RemovePrice removes the actor's hourly price for a skill: it can no longer be booked for
// pay (sessions booked already keep their price). The actor must be a MENTOR.
func (s *Service) RemovePrice(ctx context.Context, actor domain.Actor, skillID uuid.UUID) error {
	if err := actor.RequireRole(domain.RoleMentor); err != nil {
		return err
	}
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if err := requireOffer(ctx, q, actor.ID(), skillID); err != nil {
			return err
		}
		return q.DeleteMentorPrice(ctx, actor.ID(), skillID)
	})
	if err != nil {
		return fmt.Errorf("remove price: %w", err)
	}
	return nil
}

// MentorAccount returns the actor's connected account; ok is false when they never started
// onboarding.
func (s *Service) MentorAccount(ctx context.Context, actor domain.Actor) (acct domain.MentorAccount, ok bool, err error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.MentorAccount{}, false, err
	}
	acct, err = s.store.Q().MentorAccount(ctx, actor.ID())
	if domain.IsKind(err, domain.KindNotFound) {
		return domain.MentorAccount{}, false, nil
	} else if err != nil {
		return domain.MentorAccount{}, false, fmt.Errorf("mentor account: %w", err)
	}
	return acct, true, nil
}

// StartMentorOnboarding creates the actor's Express connected account on first use (reusing
// it afterwards) and returns a fresh onboarding link URL. The actor must be a MENTOR.
func (s *Service) StartMentorOnboarding(ctx context.Context, actor domain.Actor) (string, error) {
	if err := actor.RequireRole(domain.RoleMentor); err != nil {
		return "", err
	}
	if s.stripe == nil {
		return "", ErrDisabled
	}
	// Where the mentor's money goes is as sensitive as their password.
	if s.cfg.RequireRecentAuth != nil {
		if err := s.cfg.RequireRecentAuth(ctx, actor); err != nil {
			return "", err
		}
	}
	acct, err := s.store.Q().MentorAccount(ctx, actor.ID())
	if domain.IsKind(err, domain.KindNotFound) {
		// The key is per mentor: a retry after a crash gets the same account back from Stripe.
		id, err := s.stripe.CreateAccount(ctx, actor.User.Email, "skillswap:mentor:"+actor.ID().String()+":create_account")
		if err != nil {
			return "", fmt.Errorf("start mentor onboarding: %w", err)
		}
		acct = domain.MentorAccount{UserID: actor.ID(), StripeAccountID: id, UpdatedAt: s.now()}
		if err := s.store.Q().InsertMentorAccount(ctx, acct); err != nil && !domain.IsKind(err, domain.KindConflict) {
			return "", fmt.Errorf("start mentor onboarding: %w", err)
		}
		if acct, err = s.store.Q().MentorAccount(ctx, actor.ID()); err != nil {
			return "", fmt.Errorf("start mentor onboarding: %w", err)
		}
	} else if err != nil {
		return "", fmt.Errorf("start mentor onboarding: %w", err)
	}
	base := strings.TrimSuffix(s.cfg.PublicURL, "/")
	// Links are single-use and short-lived: each request gets a new one, hence a new key.
	url, err := s.stripe.CreateAccountLink(ctx, acct.StripeAccountID, base+"/mentor/onboarding/refresh",
		base+"/mentor/onboarding/return", "skillswap:mentor:"+actor.ID().String()+":account_link:"+uuid.NewString())
	if err != nil {
		return "", fmt.Errorf("start mentor onboarding: %w", err)
	}
	return url, nil
}

// PaidStart is the result of StartPayment: the payment and the client secret of its
// PaymentIntent for the app's payment sheet.
type PaidStart struct {
	Payment      domain.Payment
	ClientSecret string
}

// StartPayment makes a proposed session a paid one: the actor must be its learner, the
// teacher a mentor with a price for the skill and payouts enabled. It records the payment,
// creates the PaymentIntent (amount = hourly price x duration, rounded; the platform fee as
// application fee; transfer to the mentor) and returns its client secret. Calling it again
// for the same session resumes: the same PaymentIntent comes back.
func (s *Service) StartPayment(ctx context.Context, actor domain.Actor, sessionID uuid.UUID) (PaidStart, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return PaidStart{}, err
	}
	if s.stripe == nil {
		return PaidStart{}, ErrDisabled
	}
	var p domain.Payment
	var acct domain.MentorAccount
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		sess, err := q.LockSkillSession(ctx, sessionID)
		if err != nil {
			return err
		}
		if sess.LearnerID != actor.ID() {
			if sess.TeacherID == actor.ID() {
				return domain.Forbidden("only the learner pays for a session")
			}
			return domain.NotFound("session")
		}
		existing, err := q.PaymentBySession(ctx, sessionID)
		switch {
		case err == nil:
			p = existing
			if p.State != domain.PaymentRequiresPaymentMethod && p.State != domain.PaymentFailed {
				return domain.Conflict("this session's payment is %s: there is nothing to pay", p.State)
			}
			acct, err = s.bookableAccount(ctx, q, sess.TeacherID)
			return err
		case !domain.IsKind(err, domain.KindNotFound):
			return err
		}
		p, acct, err = s.prepare(ctx, q, sess)
		return err
	})
	if err != nil {
		return PaidStart{}, fmt.Errorf("start payment: %w", err)
	}
	if p.PayerID != actor.ID() {
		return PaidStart{}, domain.NotFound("session")
	}
	if p.StripePaymentIntentID != nil && p.ClientSecret != nil {
		return PaidStart{Payment: p, ClientSecret: *p.ClientSecret}, nil
	}
	key := IdempotencyKey(p.ID, StepCreateIntent)
	if _, err := s.store.Q().BeginPaymentStep(ctx, p.ID, StepCreateIntent, key); err != nil {
		return PaidStart{}, fmt.Errorf("start payment: %w", err)
	}
	intent, err := s.stripe.CreatePaymentIntent(ctx, IntentParams{
		AmountMinor: p.AmountMinor, Currency: p.Currency, FeeMinor: p.FeeMinor, Destination: acct.StripeAccountID,
		Metadata: map[string]string{"payment_id": p.ID.String(), "session_id": p.SessionID.String()},
	}, key)
	if err != nil {
		return PaidStart{}, fmt.Errorf("start payment: %w", err)
	}
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if p, err = q.SetPaymentIntent(ctx, p.ID, intent.ID, intent.ClientSecret); err != nil {
			return err
		}
		return q.FinishPaymentStep(ctx, p.ID, StepCreateIntent, store.StepDone)
	})
	if err != nil {
		return PaidStart{}, fmt.Errorf("start payment: %w", err)
	}
	return PaidStart{Payment: p, ClientSecret: intent.ClientSecret}, nil
}

// Book makes a new session, just inserted by the caller's transaction, a paid one: the
// teacher must be a MENTOR whose payouts are enabled and who priced the skill, and the
// session must end within the booking horizon. It records the price and the payment
// (awaiting the learner's card) and returns the session with its price; the PaymentIntent is
// created by StartPayment, outside the transaction.
func (s *Service) Book(ctx context.Context, q *store.Queries, sess domain.SkillSession) (domain.SkillSession, error) {
	if s.stripe == nil {
		return domain.SkillSession{}, ErrDisabled
	}
	p, _, err := s.prepare(ctx, q, sess)
	if err != nil {
		return domain.SkillSession{}, fmt.Errorf("book paid session: %w", err)
	}
	sess.PriceAmount, sess.PriceCurrency = &p.AmountMinor, &p.Currency
	return sess, nil
}

// prepare prices a proposed session and records its payment, awaiting the learner's card.
func (s *Service) prepare(ctx context.Context, q *store.Queries, sess domain.SkillSession) (domain.Payment, domain.MentorAccount, error) {
	if sess.State != domain.SessionProposed {
		return domain.Payment{}, domain.MentorAccount{}, domain.Conflict("only a proposed session can be paid for")
	}
	acct, err := s.bookableAccount(ctx, q, sess.TeacherID)
	if err != nil {
		return domain.Payment{}, domain.MentorAccount{}, err
	}
	if err := s.checkHorizon(sess, s.now()); err != nil {
		return domain.Payment{}, domain.MentorAccount{}, err
	}
	price, err := q.MentorPrice(ctx, sess.TeacherID, sess.SkillID)
	if domain.IsKind(err, domain.KindNotFound) {
		e := domain.Conflict("this mentor has no price for this skill")
		e.Field = "skillId"
		return domain.Payment{}, domain.MentorAccount{}, e
	} else if err != nil {
		return domain.Payment{}, domain.MentorAccount{}, err
	}
	amount := domain.SessionPrice(price.AmountMinor, sess.DurationMinutes)
	if err := q.SetSessionPrice(ctx, sess.ID, amount, price.Currency); err != nil {
		return domain.Payment{}, domain.MentorAccount{}, err
	}
	p, err := q.InsertPayment(ctx, domain.Payment{
		ID: uuid.Must(uuid.NewV7()), SessionID: sess.ID, PayerID: sess.LearnerID, PayeeID: sess.TeacherID,
		AmountMinor: amount, FeeMinor: domain.PlatformFee(amount, s.cfg.FeePercent), Currency: price.Currency,
		State: domain.PaymentRequiresPaymentMethod, CreatedAt: s.now(),
	})
	return p, acct, err
}

// bookableAccount returns the connected account of a teacher who can be paid now: a MENTOR
// (the role may have been withdrawn since they priced skills) whose payouts are enabled.
func (s *Service) bookableAccount(ctx context.Context, q *store.Queries, teacherID uuid.UUID) (domain.MentorAccount, error) {
	users, err := q.UsersByIDs(ctx, []uuid.UUID{teacherID})
	if err != nil {
		return domain.MentorAccount{}, err
	}
	if u, ok := users[teacherID]; !ok || !u.HasRole(domain.RoleMentor) {
		e := domain.Conflict("this teacher is not a mentor: only mentors can be booked for pay")
		e.Field = "teacherId"
		return domain.MentorAccount{}, e
	}
	acct, err := q.MentorAccount(ctx, teacherID)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return domain.MentorAccount{}, err
	}
	if !acct.Bookable() {
		e := domain.Conflict("this mentor cannot be booked for pay until their payouts are enabled")
		e.Field = "teacherId"
		return domain.MentorAccount{}, e
	}
	return acct, nil
}

// checkHorizon refuses a paid session that would end after the booking horizon counted from
// from: its card authorisation would expire before the capture.
func (s *Service) checkHorizon(sess domain.SkillSession, from time.Time) error {
	if limit := from.Add(s.cfg.BookingHorizon); sess.EndsAt.After(limit) {
		return domain.Invalid("startsAt", "a paid session must end within %s of its booking (by %s): a card authorisation lasts 7 days",
			humanDays(s.cfg.BookingHorizon), limit.Format(time.RFC3339))
	}
	return nil
}

func humanDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// CheckNewTime vets, inside the caller's transaction, a new time for a session: a paid one
// keeps its length (its price was authorised) and must still end within the booking horizon
// of its payment. Unpaid sessions pass.
func (s *Service) CheckNewTime(ctx context.Context, q *store.Queries, before, after domain.SkillSession) error {
	if !before.Paid() {
		return nil
	}
	if after.DurationMinutes != before.DurationMinutes {
		return domain.Invalid("durationMinutes", "a paid session keeps its length (%d minutes): cancel it and book a new one", before.DurationMinutes)
	}
	p, err := q.PaymentBySession(ctx, before.ID)
	if err != nil {
		return fmt.Errorf("check new time: %w", err)
	}
	return s.checkHorizon(after, p.CreatedAt)
}

// OnSessionChanged enqueues, in the caller's transaction, the saga step a paid session's new
// state calls for, and refuses (CONFLICT) to confirm a paid session whose payment is not
// authorised: capture once COMPLETED; cancel (or refund) once CANCELLED or DECLINED. A
// NO_SHOW moves no money: it opens a no-show dispute (PENDING until the contest window ends)
// and schedules its deadline; the decision enqueues the step. Sessions without a payment are
// left alone.
func (s *Service) OnSessionChanged(ctx context.Context, q *store.Queries, sess domain.SkillSession) error {
	p, err := q.PaymentBySession(ctx, sess.ID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("payment of session: %w", err)
	}
	var step string
	switch sess.State {
	case domain.SessionConfirmed:
		// A paid session is confirmed only once its payment is authorised: refusing here rolls
		// the acceptance back.
		if p.State != domain.PaymentAuthorized {
			return domain.Conflict("the learner's payment is not authorised yet")
		}
		return nil
	case domain.SessionCompleted:
		step = StepCapture
	case domain.SessionCancelled, domain.SessionDeclined:
		step = StepCancel
		if s.lateCancelFee(sess) {
			step = StepLateCancelFee
		}
	case domain.SessionNoShow:
		return s.openNoShowDispute(ctx, q, sess, p)
	default:
		return nil
	}
	return q.EnqueueJob(ctx, StepArgs{PaymentID: p.ID, Step: step}, nil)
}

// lateCancelFee reports whether a cancelled session costs its learner the late-cancellation
// fee: they cancelled it, confirmed, inside the cut-off (the mentor kept the slot free).
func (s *Service) lateCancelFee(sess domain.SkillSession) bool {
	return s.cfg.LateCancelFeePercent > 0 && sess.State == domain.SessionCancelled && sess.LateCancellation &&
		sess.CancelledBy != nil && *sess.CancelledBy == sess.LearnerID
}

// lateFeeAmount is the late-cancellation fee of a payment.
func (s *Service) lateFeeAmount(p domain.Payment) int64 {
	return domain.PlatformFee(p.AmountMinor, s.cfg.LateCancelFeePercent)
}

// errStepDone ends a step that has nothing (more) to do.
var errStepDone = errors.New("step already done")

// RunStep runs one saga step of a payment: a no-op when it is DONE or SKIPPED already;
// otherwise it calls Stripe with the step's idempotency key and records the effect and the
// step's completion in one transaction. Running it again after a crash anywhere sends the
// same key, so Stripe does the work once, and the effect is written once.
func (s *Service) RunStep(ctx context.Context, paymentID uuid.UUID, step string) error {
	if s.stripe == nil {
		return ErrDisabled
	}
	if strings.HasPrefix(step, adminRefundPrefix) {
		return s.resumeRefund(ctx, paymentID, step)
	}
	key := IdempotencyKey(paymentID, step)
	var p domain.Payment
	var action string
	var refund domain.Refund
	outcome := refundOpen
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		var err error
		if p, err = q.LockPayment(ctx, paymentID); err != nil {
			return err
		}
		st, err := q.BeginPaymentStep(ctx, paymentID, step, key)
		if err != nil {
			return err
		}
		if st.Status != store.StepPending {
			return errStepDone
		}
		action = planStep(step, p)
		switch action {
		case "":
			return q.FinishPaymentStep(ctx, paymentID, step, store.StepSkipped)
		case actionNone:
			return q.FinishPaymentStep(ctx, paymentID, step, store.StepDone)
		case actionRefund:
			refund, outcome, err = s.reserveSagaRefund(ctx, q, p, step, key)
			return err
		}
		return nil
	})
	if errors.Is(err, errStepDone) || (err == nil && (action == "" || action == actionNone || outcome != refundOpen)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("payment step %s: %w", step, err)
	}
	if p.StripePaymentIntentID == nil {
		return fmt.Errorf("payment step %s: payment %s has no PaymentIntent", step, p.ID)
	}
	intentID := *p.StripePaymentIntentID
	if action == actionRefund {
		// Settled in sendRefund's own transaction; refused for good, the step ends FAILED (logged
		// and audited: staff refund by hand); unanswered, River retries the job.
		if _, _, err := s.sendRefund(ctx, p, step, refund, nil); err != nil {
			return fmt.Errorf("payment step %s: %w", step, err)
		}
		return nil
	}

	switch action {
	case actionCapture:
		_, err = s.stripe.CapturePaymentIntent(ctx, intentID, key)
	case actionCaptureFee:
		part := p.CapturePart(s.lateFeeAmount(p))
		_, err = s.stripe.CapturePaymentIntentPart(ctx, intentID, part.CapturedMinor, part.FeeMinor, key)
	case actionCancel:
		_, err = s.stripe.CancelPaymentIntent(ctx, intentID, key)
	}
	if err != nil {
		return fmt.Errorf("payment step %s: %w", step, err)
	}

	err = s.store.InTx(ctx, func(q *store.Queries) error {
		cur, err := q.LockPayment(ctx, paymentID)
		if err != nil {
			return err
		}
		st, err := q.BeginPaymentStep(ctx, paymentID, step, key)
		if err != nil {
			return err
		}
		if st.Status != store.StepPending {
			return errStepDone // a concurrent run finished it
		}
		next := cur
		switch action {
		case actionCapture:
			if cur.State.CanMoveTo(domain.PaymentCaptured) {
				next = cur.Capture()
			}
		case actionCaptureFee:
			if cur.State.CanMoveTo(domain.PaymentCaptured) {
				next = cur.CapturePart(s.lateFeeAmount(cur))
			}
		case actionCancel:
			if cur.State.CanMoveTo(domain.PaymentCanceled) {
				next.State = domain.PaymentCanceled
			}
		}
		if err := s.moveTo(ctx, q, cur, next); err != nil {
			return err
		}
		return q.FinishPaymentStep(ctx, paymentID, step, store.StepDone)
	})
	if err != nil && !errors.Is(err, errStepDone) {
		return fmt.Errorf("payment step %s: record: %w", step, err)
	}
	return nil
}

// reserveSagaRefund returns the refund of a saga step (cancellation or no-show of a captured
// payment): the one an earlier attempt reserved under key, or a new reservation of everything
// left. Everything left is unknown while other refunds are pending at Stripe: the step then
// waits (an error, so River retries) for them to settle.
func (s *Service) reserveSagaRefund(ctx context.Context, q *store.Queries, p domain.Payment, step, key string) (domain.Refund, refundOutcome, error) {
	r, err := q.RefundByKey(ctx, key)
	switch {
	case err == nil:
		return r, settledOutcome(r), finishSettled(ctx, q, p.ID, step, r)
	case !domain.IsKind(err, domain.KindNotFound):
		return r, refundOpen, err
	}
	left, err := s.refundable(ctx, q, p)
	if err != nil {
		return domain.Refund{}, refundOpen, err
	}
	if left == 0 {
		return domain.Refund{}, refundOpen, errRefundsInFlight
	}
	r, err = s.reserveRefund(ctx, q, p, key, left, refundReason(step), nil)
	return r, refundOpen, err
}

// Metadata keys of the refunds SkillSwap makes: a refund webhook carrying them reports one of
// ours, recorded by the step that made it, never a second time.
const (
	MetaPaymentID = "skillswap_payment_id"
	MetaStep      = "skillswap_step"
)

func refundMetadata(paymentID uuid.UUID, step string) map[string]string {
	return map[string]string{MetaPaymentID: paymentID.String(), MetaStep: step}
}

func refundReason(step string) string {
	if step == StepRefundNoShow {
		return "the mentor did not show up"
	}
	return "the session was cancelled"
}

// Actions a step can take on Stripe.
const (
	actionCapture = "capture"
	// actionCaptureFee captures the late-cancellation fee only.
	actionCaptureFee = "capture_fee"
	actionCancel     = "cancel"
	actionRefund     = "refund"
	// actionNone: the effect is there already (a webhook reported it); the step is DONE.
	actionNone = "none"
)

// planStep decides what step does to a payment in its current state; "" skips the step.
func planStep(step string, p domain.Payment) string {
	switch step {
	case StepCapture:
		switch p.State {
		case domain.PaymentAuthorized:
			return actionCapture
		case domain.PaymentCaptured, domain.PaymentPartiallyRefunded, domain.PaymentRefunded:
			return actionNone
		}
	case StepLateCancelFee:
		switch p.State {
		case domain.PaymentAuthorized:
			return actionCaptureFee
		case domain.PaymentRequiresPaymentMethod, domain.PaymentFailed:
			if p.StripePaymentIntentID == nil {
				return ""
			}
			return actionCancel
		case domain.PaymentCaptured, domain.PaymentPartiallyRefunded, domain.PaymentRefunded, domain.PaymentCanceled:
			return actionNone
		}
	case StepCancel, StepRefundNoShow:
		switch p.State {
		case domain.PaymentRequiresPaymentMethod, domain.PaymentFailed, domain.PaymentAuthorized:
			if p.StripePaymentIntentID == nil {
				return ""
			}
			return actionCancel
		case domain.PaymentCaptured, domain.PaymentPartiallyRefunded:
			return actionRefund
		case domain.PaymentCanceled, domain.PaymentRefunded:
			return actionNone
		}
	}
	return ""
}

// moveTo writes next (when it differs from cur) and notifies both participants of a new state.
func (s *Service) moveTo(ctx context.Context, q *store.Queries, cur, next domain.Payment) error {
	if next == cur {
		return nil
	}
	if !next.Reconciles() {
		return fmt.Errorf("payment %s would not reconcile: %+v", cur.ID, next)
	}
	saved, err := q.UpdatePaymentState(ctx, next)
	if err != nil {
		return err
	}
	if saved.State == cur.State && saved.State != domain.PaymentPartiallyRefunded {
		return nil
	}
	return s.notifyState(ctx, q, saved)
}

var stateNotification = map[domain.PaymentState]domain.NotificationType{
	domain.PaymentAuthorized:        domain.NotificationPaymentAuthorized,
	domain.PaymentFailed:            domain.NotificationPaymentFailed,
	domain.PaymentCaptured:          domain.NotificationPaymentCaptured,
	domain.PaymentCanceled:          domain.NotificationPaymentCanceled,
	domain.PaymentPartiallyRefunded: domain.NotificationPaymentRefunded,
	domain.PaymentRefunded:          domain.NotificationPaymentRefunded,
}

func (s *Service) notifyState(ctx context.Context, q *store.Queries, p domain.Payment) error {
	typ, ok := stateNotification[p.State]
	if !ok || s.notifier == nil {
		return nil
	}
	payload := domain.PaymentPayload{PaymentID: p.ID, SessionID: p.SessionID, State: p.State}
	for _, u := range []uuid.UUID{p.PayerID, p.PayeeID} {
		if err := s.notifier.Notify(ctx, q, u, string(typ), payload); err != nil {
			return fmt.Errorf("notify payment %s: %w", p.State, err)
		}
	}
	return nil
}

// PaymentDetails is a payment with its refunds.
type PaymentDetails struct {
	Payment domain.Payment
	Refunds []domain.Refund
}

// SessionPayment returns a session's payment and refunds, for its two participants and staff
// only (NOT_FOUND for anyone else, and for an unpaid session).
func (s *Service) SessionPayment(ctx context.Context, actor domain.Actor, sessionID uuid.UUID) (PaymentDetails, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return PaymentDetails{}, err
	}
	q := s.store.Q()
	p, err := q.PaymentBySession(ctx, sessionID)
	if err != nil {
		return PaymentDetails{}, fmt.Errorf("session payment: %w", err)
	}
	if !CanSee(actor.User, p) {
		return PaymentDetails{}, domain.NotFound("payment")
	}
	refunds, err := q.Refunds(ctx, p.ID)
	if err != nil {
		return PaymentDetails{}, fmt.Errorf("session payment: %w", err)
	}
	return PaymentDetails{Payment: ForViewer(actor.User, p), Refunds: refunds}, nil
}

// Payment returns a payment by id, for its two participants and staff only (NOT_FOUND for
// anyone else). The client secret is kept for the payer alone.
func (s *Service) Payment(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Payment, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Payment{}, err
	}
	p, err := s.store.Q().PaymentByID(ctx, id)
	if err != nil {
		return domain.Payment{}, fmt.Errorf("payment: %w", err)
	}
	if !CanSee(actor.User, p) {
		return domain.Payment{}, domain.NotFound("payment")
	}
	return ForViewer(actor.User, p), nil
}

// CanSee reports whether u may read payment p: its payer, its payee and staff.
func CanSee(u domain.User, p domain.Payment) bool {
	return p.PayerID == u.ID || p.PayeeID == u.ID || u.IsStaff()
}

// ForViewer returns p as u may see it: the client secret is for the payer's payment sheet
// only, and only while the payment awaits a card.
func ForViewer(u domain.User, p domain.Payment) domain.Payment {
	if p.PayerID != u.ID || (p.State != domain.PaymentRequiresPaymentMethod && p.State != domain.PaymentFailed) {
		p.ClientSecret = nil
	}
	return p
}

// PaymentsCursor is the cursor kind of a member's payments (keyed by payment id); clients hold
// cursors made with it, so it never changes.
const PaymentsCursor = "payments"

// ViewerPayments pages through the payments the actor made or received, newest first.
func (s *Service) ViewerPayments(ctx context.Context, actor domain.Actor, page relay.Page[uuid.UUID]) (relay.Connection[domain.Payment], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.Payment]{}, err
	}
	return s.MemberPayments(ctx, actor, actor.ID(), page)
}

// MemberPayments pages through the payments a member made or received, newest first. Only the
// member themselves and ADMINs may list them (FORBIDDEN).
func (s *Service) MemberPayments(ctx context.Context, actor domain.Actor, userID uuid.UUID, page relay.Page[uuid.UUID]) (relay.Connection[domain.Payment], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.Payment]{}, err
	}
	if actor.ID() != userID && !actor.HasRole(domain.RoleAdmin) {
		return relay.Connection[domain.Payment]{}, domain.Forbidden("only the member themselves and ADMINs can see their payments")
	}
	list, err := s.store.Q().PaymentsOfUser(ctx, userID, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.Payment]{}, fmt.Errorf("member payments: %w", err)
	}
	for i := range list {
		list[i] = ForViewer(actor.User, list[i])
	}
	return relay.Paginate(PaymentsCursor, page, list, func(p domain.Payment) uuid.UUID { return p.ID }), nil
}
