package payments_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/payments"
	"github.com/skillswap/skillswap/relay"
)

// confirmedPaid proposes a paid session of minutes at start, authorises its payment through
// the webhook and has the mentor accept it. x must be wired (wireSessions).
func (x *env) confirmedPaid(t *testing.T, learner domain.User, start time.Time, minutes int) (domain.SkillSession, domain.Payment) {
	t.Helper()
	s := x.Propose(t, x.mentor, learner, start, minutes)
	ps, err := x.svc.StartPayment(context.Background(), skillsessiontest.As(learner), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := ps.Payment
	x.post(event(t, "evt_auth_"+p.ID.String(), "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), time.Now(), webhookSecret))
	x.drain(t)
	if s, err = x.SkillSessions.Accept(context.Background(), skillsessiontest.As(x.mentor), s.ID); err != nil {
		t.Fatal(err)
	}
	return s, x.payment(t, p.ID)
}

// reportNoShow moves the clock into the session and has reporter report their partner absent.
func (x *env) reportNoShow(t *testing.T, s domain.SkillSession, reporter domain.User) {
	t.Helper()
	x.Clock.Set(s.StartsAt.Add(15 * time.Minute))
	if _, err := x.SkillSessions.ReportNoShow(context.Background(), skillsessiontest.As(reporter), s.ID); err != nil {
		t.Fatal(err)
	}
}

// runSteps runs every queued payment step twice (a job may run more than once), removes the
// jobs and returns the steps run.
func (x *env) runSteps(t *testing.T) []string {
	t.Helper()
	var steps []string
	for _, j := range x.Jobs(t, "payment_step") {
		var a payments.StepArgs
		if err := json.Unmarshal(j.Args, &a); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := x.svc.RunStep(context.Background(), a.PaymentID, a.Step); err != nil {
				t.Fatal(err)
			}
		}
		steps = append(steps, a.Step)
		if _, err := x.Store.Pool().Exec(context.Background(), `DELETE FROM river_job WHERE id = $1`, j.ID); err != nil {
			t.Fatal(err)
		}
	}
	return steps
}

func (x *env) dispute(t *testing.T, sessionID uuid.UUID) domain.NoShowDispute {
	t.Helper()
	d, err := x.Store.Q().NoShowDispute(context.Background(), sessionID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (x *env) staff(t *testing.T, role domain.Role) domain.User {
	t.Helper()
	u := x.User(t, string(role))
	u.Roles = []domain.Role{domain.RoleMember, role}
	return u
}

// A no-show report on a paid session opens a dispute and schedules its deadline; no money
// moves.
func TestNoShowReportOpensDisputeWithoutMovingMoney(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	x.wireSessions(t)
	s, p := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90)
	x.reportNoShow(t, s, x.learner)
	d := x.dispute(t, s.ID)
	reportedAt := x.Clock.Now()
	if d.Status != domain.NoShowPending || d.AbsentID != x.mentor.ID || d.ReportedBy != x.learner.ID || d.PaymentID != p.ID ||
		!d.DecidesAt.Equal(reportedAt.Add(payments.DefaultNoShowContestWindow)) || d.DecidedAt != nil {
		t.Fatalf("dispute %+v", d)
	}
	if n := len(x.Jobs(t, "payment_step")); n != 0 {
		t.Fatalf("%d payment steps queued by a no-show report", n)
	}
	jobs := x.Jobs(t, "payment_no_show_deadline")
	if len(jobs) != 1 || !jobs[0].ScheduledAt.Equal(d.DecidesAt) || !strings.Contains(string(jobs[0].Args), s.ID.String()) {
		t.Fatalf("deadline jobs %+v, want one at %s", jobs, d.DecidesAt)
	}
	if got := x.payment(t, p.ID); got.State != domain.PaymentAuthorized {
		t.Fatalf("payment %s after the report", got.State)
	}
	if n := len(x.rec.Posts("/v1/refunds")) + len(x.rec.Posts("/v1/payment_intents/"+*p.StripePaymentIntentID+"/cancel")); n != 0 {
		t.Fatalf("%d Stripe calls moved money on a report", n)
	}
}

// The mentor reported absent contests within the window; staff reject the report; the
// payment is captured.
func TestNoShowContestedThenRejectedCaptures(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	x.wireSessions(t)
	s, p := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90)
	x.reportNoShow(t, s, x.learner)
	x.Clock.Advance(47 * time.Hour)
	d, err := x.svc.ContestNoShow(context.Background(), skillsessiontest.As(x.mentor), s.ID, "I waited in the call for 30 minutes")
	if err != nil || d.Status != domain.NoShowContested || d.ContestNote == nil || d.ContestedAt == nil {
		t.Fatalf("contest: %+v %v", d, err)
	}
	if n := x.Notifier.Of(string(domain.NotificationNoShowContested)); len(n) != 1 || n[0].UserID != x.learner.ID {
		t.Fatalf("NO_SHOW_CONTESTED notifications %+v, want one to the reporter", n)
	}
	// The deadline passes: a contested dispute waits for staff.
	x.Clock.Advance(2 * time.Hour)
	if wait, err := x.svc.ApplyNoShowDeadline(context.Background(), s.ID); err != nil || wait != 0 {
		t.Fatal(wait, err)
	}
	if got := x.dispute(t, s.ID); got.Status != domain.NoShowContested || len(x.Jobs(t, "payment_step")) != 0 {
		t.Fatalf("deadline decided a contested dispute: %+v", got)
	}
	support := x.staff(t, domain.RoleSupport)
	d, err = x.svc.ResolveNoShow(context.Background(), skillsessiontest.As(support), s.ID, false, "the call log shows the mentor joined")
	if err != nil || d.Status != domain.NoShowRejected || d.DecidedBy == nil || *d.DecidedBy != support.ID {
		t.Fatalf("resolve: %+v %v", d, err)
	}
	if n := len(x.Notifier.Of(string(domain.NotificationNoShowDecided))); n != 2 {
		t.Fatalf("%d NO_SHOW_DECIDED notifications, want 2", n)
	}
	if n := x.countRows(t, `SELECT count(*) FROM admin_audit_log WHERE actor_id = $1 AND action = 'no_show.decided' AND target = $2`,
		support.ID, "session:"+s.ID.String()); n != 1 {
		t.Fatalf("%d audit rows", n)
	}
	if steps := x.runSteps(t); len(steps) != 1 || steps[0] != payments.StepCapture {
		t.Fatalf("steps %v, want capture", steps)
	}
	if got := x.payment(t, p.ID); got.State != domain.PaymentCaptured || got.TransferredMinor != 4050 {
		t.Fatalf("payment %+v", got)
	}
}

// Nobody contests: at the deadline the report is upheld (by nobody) and the money follows.
func TestNoShowDeadlineUpholdsUncontested(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// learnerReports: the learner reports the mentor absent (else the reverse).
		learnerReports bool
		// capturedBefore: the capture deadline captured the payment before the dispute ended.
		capturedBefore bool
		wantStep       string
		want           domain.PaymentState
	}{
		{"mentor absent, authorised: released", true, false, payments.StepRefundNoShow, domain.PaymentCanceled},
		{"mentor absent, captured: refunded", true, true, payments.StepRefundNoShow, domain.PaymentRefunded},
		{"learner absent: captured", false, false, payments.StepCapture, domain.PaymentCaptured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := newEnv(t)
			x.wireSessions(t)
			ctx := context.Background()
			s, p := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90)
			reporter := x.mentor
			if tc.learnerReports {
				reporter = x.learner
			}
			x.reportNoShow(t, s, reporter)
			if tc.capturedBefore {
				x.Clock.Set(s.EndsAt.Add(time.Hour))
				if err := x.svc.ApplyCaptureDeadline(ctx, p.ID); err != nil {
					t.Fatal(err)
				}
				if got := x.payment(t, p.ID).State; got != domain.PaymentCaptured {
					t.Fatalf("capture deadline on a disputed no-show: %s", got)
				}
			}
			d := x.dispute(t, s.ID)
			// Early (the job ran before the service's clock reached the deadline): wait.
			x.Clock.Set(d.DecidesAt.Add(-time.Minute))
			if wait, err := x.svc.ApplyNoShowDeadline(ctx, s.ID); err != nil || wait != time.Minute {
				t.Fatalf("early deadline: wait %s, %v", wait, err)
			}
			if got := x.dispute(t, s.ID).Status; got != domain.NoShowPending {
				t.Fatalf("decided early: %s", got)
			}
			x.Clock.Set(d.DecidesAt)
			for range 2 { // a rerun has no second effect
				if wait, err := x.svc.ApplyNoShowDeadline(ctx, s.ID); err != nil || wait != 0 {
					t.Fatal(wait, err)
				}
			}
			got := x.dispute(t, s.ID)
			if got.Status != domain.NoShowUpheld || got.DecidedBy != nil || got.DecisionNote == nil ||
				*got.DecisionNote != "not contested within 48 hours" || got.DecidedAt == nil {
				t.Fatalf("dispute %+v", got)
			}
			if n := x.countRows(t, `SELECT count(*) FROM admin_audit_log WHERE actor_id IS NULL AND action = 'no_show.decided'`); n != 1 {
				t.Fatalf("%d audit rows, want 1", n)
			}
			if n := len(x.Notifier.Of(string(domain.NotificationNoShowDecided))); n != 2 {
				t.Fatalf("%d NO_SHOW_DECIDED notifications, want 2", n)
			}
			steps := x.runSteps(t)
			if len(steps) != 1 || steps[0] != tc.wantStep {
				t.Fatalf("steps %v, want %s", steps, tc.wantStep)
			}
			pay := x.payment(t, p.ID)
			if pay.State != tc.want {
				t.Fatalf("payment %s, want %s", pay.State, tc.want)
			}
			wantRefunds := 0
			if tc.want == domain.PaymentRefunded {
				wantRefunds = 1
				if pay.RefundedMinor != 4500 || pay.TransferredMinor != 0 || pay.FeeMinor != 0 {
					t.Fatalf("refunded payment %+v", pay)
				}
				r := x.rec.Posts("/v1/refunds")
				if len(r) != 1 || r[0].Form.Get("metadata[skillswap_payment_id]") != p.ID.String() ||
					r[0].Form.Get("metadata[skillswap_step]") != payments.StepRefundNoShow {
					t.Fatalf("refund requests %+v: want one carrying our metadata", r)
				}
			}
			if n := x.countRows(t, `SELECT count(*) FROM refunds WHERE payment_id = $1`, p.ID); n != wantRefunds {
				t.Fatalf("%d refund rows, want %d", n, wantRefunds)
			}
		})
	}
}

func TestContestNoShowRules(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	x.wireSessions(t)
	s, _ := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90)
	x.reportNoShow(t, s, x.mentor) // the learner is reported absent
	stranger := x.User(t, "Stranger")
	support := x.staff(t, domain.RoleSupport)
	for _, tc := range []struct {
		name    string
		as      domain.User
		session uuid.UUID
		note    string
		kind    domain.Kind
		field   string
	}{
		{"by the reporter", x.mentor, s.ID, "x", domain.KindForbidden, ""},
		{"by a stranger", stranger, s.ID, "x", domain.KindNotFound, ""},
		{"by staff", support, s.ID, "x", domain.KindNotFound, ""},
		{"no dispute", x.learner, uuid.New(), "x", domain.KindNotFound, ""},
		{"without a note", x.learner, s.ID, "  ", domain.KindInvalid, "note"},
		{"note too long", x.learner, s.ID, strings.Repeat("a", 1001), domain.KindInvalid, "note"},
	} {
		_, err := x.svc.ContestNoShow(context.Background(), skillsessiontest.As(tc.as), tc.session, tc.note)
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != tc.kind || de.Field != tc.field {
			t.Errorf("%s: %v, want kind %v field %q", tc.name, err, tc.kind, tc.field)
		}
	}
	// After the deadline (even before the job ran): CONFLICT.
	x.Clock.Advance(48 * time.Hour)
	_, err := x.svc.ContestNoShow(context.Background(), skillsessiontest.As(x.learner), s.ID, "I was there")
	if !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("contest after the deadline: %v", err)
	}
	if got := x.dispute(t, s.ID); got.Status != domain.NoShowPending || got.ContestNote != nil {
		t.Fatalf("dispute changed: %+v", got)
	}
	if n := len(x.Notifier.Of(string(domain.NotificationNoShowContested))); n != 0 {
		t.Fatalf("%d NO_SHOW_CONTESTED notifications", n)
	}
}

func TestResolveNoShowRules(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	x.wireSessions(t)
	s, p := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90)
	x.reportNoShow(t, s, x.learner) // the mentor is reported absent
	// Moderators moderate content; deciding who gets paid is support's (or an admin's).
	for _, u := range []domain.User{x.learner, x.mentor, x.staff(t, domain.RoleModerator)} {
		if _, err := x.svc.ResolveNoShow(context.Background(), skillsessiontest.As(u), s.ID, true, "x"); !domain.IsKind(err, domain.KindForbidden) {
			t.Errorf("resolve by %v: %v", u.Roles, err)
		}
	}
	admin := x.staff(t, domain.RoleAdmin)
	if _, err := x.svc.ResolveNoShow(context.Background(), skillsessiontest.As(admin), s.ID, true, ""); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("resolve without a note: %v", err)
	}
	if _, err := x.svc.ResolveNoShow(context.Background(), skillsessiontest.As(admin), uuid.New(), true, "x"); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("resolve a missing dispute: %v", err)
	}
	// Staff may decide a pending dispute before its deadline.
	d, err := x.svc.ResolveNoShow(context.Background(), skillsessiontest.As(admin), s.ID, true, "the mentor admitted it")
	if err != nil || d.Status != domain.NoShowUpheld {
		t.Fatalf("resolve: %+v %v", d, err)
	}
	if _, err := x.svc.ResolveNoShow(context.Background(), skillsessiontest.As(admin), s.ID, false, "changed my mind"); !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("resolve twice: %v", err)
	}
	// The deadline job then finds it decided.
	x.Clock.Set(d.DecidesAt.Add(time.Minute))
	if _, err := x.svc.ApplyNoShowDeadline(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	if n := x.countRows(t, `SELECT count(*) FROM admin_audit_log WHERE action = 'no_show.decided'`); n != 1 {
		t.Fatalf("%d decisions audited, want 1", n)
	}
	if steps := x.runSteps(t); len(steps) != 1 || steps[0] != payments.StepRefundNoShow {
		t.Fatalf("steps %v", steps)
	}
	if got := x.payment(t, p.ID).State; got != domain.PaymentCanceled {
		t.Fatalf("payment %s, want the authorisation released", got)
	}
}

func TestNoShowDisputeVisibilityAndListing(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	x.wireSessions(t)
	s1, _ := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(72*time.Hour), 60)
	s2, _ := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(96*time.Hour), 60)
	x.reportNoShow(t, s1, x.learner)
	x.reportNoShow(t, s2, x.mentor)
	stranger := x.User(t, "Stranger")
	support := x.staff(t, domain.RoleSupport)
	for _, u := range []domain.User{x.learner, x.mentor, support, x.staff(t, domain.RoleModerator)} {
		if d, err := x.svc.NoShowDispute(context.Background(), skillsessiontest.As(u), s1.ID); err != nil || d.SessionID != s1.ID {
			t.Errorf("%v reads the dispute: %+v %v", u.Roles, d, err)
		}
	}
	if _, err := x.svc.NoShowDispute(context.Background(), skillsessiontest.As(stranger), s1.ID); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("a stranger reads the dispute: %v", err)
	}
	if _, err := x.svc.NoShowDisputes(context.Background(), skillsessiontest.As(x.learner), nil, relay.Page[uuid.UUID]{First: 10}); !domain.IsKind(err, domain.KindForbidden) {
		t.Fatalf("a member lists disputes: %v", err)
	}
	if _, err := x.svc.ContestNoShow(context.Background(), skillsessiontest.As(x.learner), s2.ID, "I was there"); err != nil {
		t.Fatal(err)
	}
	ids := func(list []domain.NoShowDispute) []uuid.UUID {
		out := []uuid.UUID{}
		for _, d := range list {
			out = append(out, d.SessionID)
		}
		return out
	}
	pending, contested, bad := "PENDING", "CONTESTED", "OPEN"
	for _, tc := range []struct {
		name   string
		status *string
		first  int
		after  *uuid.UUID
		want   []uuid.UUID
	}{
		{"all, oldest first", nil, 10, nil, []uuid.UUID{s1.ID, s2.ID}},
		{"first page", nil, 1, nil, []uuid.UUID{s1.ID}},
		{"next page", nil, 1, &s1.ID, []uuid.UUID{s2.ID}},
		{"last page", nil, 1, &s2.ID, []uuid.UUID{}},
		{"pending", &pending, 10, nil, []uuid.UUID{s1.ID}},
		{"contested", &contested, 10, nil, []uuid.UUID{s2.ID}},
	} {
		c, err := x.svc.NoShowDisputes(context.Background(), skillsessiontest.As(support), tc.status, relay.Page[uuid.UUID]{First: tc.first, After: tc.after})
		list := nodes(c)
		if err != nil || len(list) != len(tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.name, ids(list), err, tc.want)
			continue
		}
		for i := range list {
			if list[i].SessionID != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.name, ids(list), tc.want)
			}
		}
	}
	if _, err := x.svc.NoShowDisputes(context.Background(), skillsessiontest.As(support), &bad, relay.Page[uuid.UUID]{First: 10}); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("unknown status: %v", err)
	}
	tooMany := 101
	if _, err := skillsessiontest.Paged(payments.NoShowDisputesCursor, &tooMany, nil, func(p relay.Page[uuid.UUID]) (relay.Connection[domain.NoShowDispute], error) {
		return x.svc.NoShowDisputes(context.Background(), skillsessiontest.As(support), nil, p)
	}); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("page too large: %v", err)
	}
}

// An authorisation schedules the capture deadline; at the deadline an ended session's payment
// is captured and a future session's is left alone.
func TestCaptureDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		ended bool
		want  domain.PaymentState
	}{
		{"ended session: captured", true, domain.PaymentCaptured},
		{"future session: left alone", false, domain.PaymentAuthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := newEnv(t)
			x.wireSessions(t)
			before := time.Now().Truncate(time.Second)
			s, p := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90)
			jobs := x.Jobs(t, "payment_capture_deadline")
			if len(jobs) != 1 || !strings.Contains(string(jobs[0].Args), p.ID.String()) {
				t.Fatalf("capture deadline jobs %+v", jobs)
			}
			if at := jobs[0].ScheduledAt; at.Before(before.Add(payments.DefaultCaptureDeadline)) ||
				at.After(time.Now().Add(payments.DefaultCaptureDeadline)) {
				t.Fatalf("capture deadline at %s, want 6 days 12 hours after the authorisation", at)
			}
			if tc.ended {
				x.Clock.Set(s.EndsAt.Add(time.Minute))
			}
			for range 2 {
				if err := x.svc.ApplyCaptureDeadline(context.Background(), p.ID); err != nil {
					t.Fatal(err)
				}
			}
			got := x.payment(t, p.ID)
			if got.State != tc.want {
				t.Fatalf("payment %s, want %s", got.State, tc.want)
			}
			captures := x.rec.Posts("/v1/payment_intents/" + *p.StripePaymentIntentID + "/capture")
			if tc.ended && (len(captures) != 1 || captures[0].IdempotencyKey != payments.IdempotencyKey(p.ID, payments.StepCapture)) {
				t.Fatalf("capture requests %+v", captures)
			}
			if !tc.ended && len(captures) != 0 {
				t.Fatalf("a future session's payment was captured: %+v", captures)
			}
		})
	}
}

func refundObject(p domain.Payment, id string, amount int64, status string, meta map[string]string) map[string]any {
	o := map[string]any{"id": id, "object": "refund", "amount": amount, "currency": strings.ToLower(p.Currency),
		"payment_intent": *p.StripePaymentIntentID, "status": status}
	if meta != nil {
		o["metadata"] = meta
	}
	return o
}

// A refund made in the Stripe Dashboard is recorded once and the payment reconciles; our own
// refunds' events are recognised by their metadata and never counted twice.
func TestDashboardRefundWebhook(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	ctx := context.Background()
	_, ps := x.paid(t)
	p := ps.Payment
	x.post(event(t, "evt_succ", "payment_intent.succeeded", intentObject(p, "succeeded"), time.Now(), webhookSecret))
	x.drain(t)

	created := refundObject(p, "re_dash", 1500, "succeeded", nil)
	x.post(event(t, "evt_re_1", "refund.created", created, time.Now(), webhookSecret))
	x.post(event(t, "evt_re_1", "refund.created", created, time.Now(), webhookSecret)) // redelivered
	x.post(event(t, "evt_re_2", "refund.updated", created, time.Now(), webhookSecret)) // same refund, another event
	x.post(event(t, "evt_re_fail", "refund.created", refundObject(p, "re_failed", 1000, "failed", nil), time.Now(), webhookSecret))
	x.drain(t)
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentPartiallyRefunded || got.RefundedMinor != 1500 || got.FeeMinor != 300 || got.TransferredMinor != 2700 {
		t.Fatalf("after a dashboard refund %+v", got)
	}
	refunds, err := x.Store.Q().Refunds(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(refunds) != 1 || refunds[0].Reason != payments.DashboardRefundReason || refunds[0].CreatedBy != nil ||
		refunds[0].StripeRefundID == nil || *refunds[0].StripeRefundID != "re_dash" || refunds[0].AmountMinor != 1500 {
		t.Fatalf("refunds %+v", refunds)
	}
	if n := x.countRows(t, `SELECT count(*) FROM admin_audit_log WHERE actor_id IS NULL AND action = 'payment.refunded.outside'`); n != 1 {
		t.Fatalf("%d audit rows", n)
	}

	// Our own refund: its webhook may arrive before the step records it, and is ignored.
	ours := refundObject(p, "re_ours", 3000, "succeeded", map[string]string{payments.MetaPaymentID: p.ID.String(), payments.MetaStep: payments.StepRefundNoShow})
	x.post(event(t, "evt_re_ours", "refund.created", ours, time.Now(), webhookSecret))
	x.drain(t)
	if got := x.payment(t, p.ID); got.RefundedMinor != 1500 {
		t.Fatalf("our own refund's event was counted: %+v", got)
	}
	if err := x.svc.RunStep(ctx, p.ID, payments.StepRefundNoShow); err != nil {
		t.Fatal(err)
	}
	got = x.payment(t, p.ID)
	if got.State != domain.PaymentRefunded || got.RefundedMinor != 4500 || got.FeeMinor != 0 || got.TransferredMinor != 0 {
		t.Fatalf("after our refund of the rest %+v", got)
	}
	if r := x.rec.Posts("/v1/refunds"); len(r) != 1 || r[0].Form.Get("amount") != "3000" {
		t.Fatalf("refund requests %+v: want one of what was left", r)
	}
	if n := x.countRows(t, `SELECT count(*) FROM refunds WHERE payment_id = $1`, p.ID); n != 2 {
		t.Fatalf("%d refund rows, want 2", n)
	}
}

// A dashboard refund whose event arrives before the capture's: the refund implies the capture.
func TestDashboardRefundBeforeCaptureEvent(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	_, ps := x.paid(t)
	p := ps.Payment
	now := time.Now()
	x.post(event(t, "evt_auth", "payment_intent.amount_capturable_updated", intentObject(p, "requires_capture"), now, webhookSecret))
	x.post(event(t, "evt_re", "refund.created", refundObject(p, "re_dash", 4500, "pending", nil), now, webhookSecret))
	x.post(event(t, "evt_succ", "payment_intent.succeeded", intentObject(p, "succeeded"), now.Add(-time.Second), webhookSecret))
	x.drain(t)
	got := x.payment(t, p.ID)
	if got.State != domain.PaymentRefunded || got.CapturedMinor != 4500 || got.RefundedMinor != 4500 || got.TransferredMinor != 0 {
		t.Fatalf("payment %+v", got)
	}
}

func disputeObject(p domain.Payment, status string, created time.Time) map[string]any {
	return map[string]any{"id": "dp_1", "object": "dispute", "amount": p.AmountMinor, "currency": strings.ToLower(p.Currency),
		"payment_intent": *p.StripePaymentIntentID, "charge": "ch_1", "status": status, "reason": "product_not_received",
		"created": created.Unix()}
}

// Chargeback events are recorded on the payment and audited; delivered in reverse order, the
// closed status is kept.
func TestChargebackEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		reverse bool
	}{{"in order", false}, {"reverse order", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := newEnv(t)
			_, ps := x.paid(t)
			p := ps.Payment
			opened := time.Now().Add(-time.Hour).Truncate(time.Second)
			x.post(eventAt(t, "evt_succ", "payment_intent.succeeded", intentObject(p, "succeeded"), opened, time.Now(), webhookSecret))
			x.drain(t)
			evs := []struct{ id, typ, status string }{
				{"evt_dp_1", "charge.dispute.created", "needs_response"},
				{"evt_dp_2", "charge.dispute.updated", "under_review"},
				{"evt_dp_3", "charge.dispute.closed", "lost"},
			}
			if tc.reverse {
				evs[0], evs[2] = evs[2], evs[0]
			}
			for _, e := range evs {
				created := opened.Add(time.Minute)
				switch e.status {
				case "under_review":
					created = opened.Add(2 * time.Minute)
				case "lost":
					created = opened.Add(3 * time.Minute)
				}
				x.post(eventAt(t, e.id, e.typ, disputeObject(p, e.status, opened), created, time.Now(), webhookSecret))
				x.drain(t)
			}
			got := x.payment(t, p.ID)
			if got.StripeDisputeID == nil || *got.StripeDisputeID != "dp_1" || got.DisputeStatus == nil || *got.DisputeStatus != "lost" ||
				got.DisputedAmountMinor == nil || *got.DisputedAmountMinor != 4500 || got.DisputedAt == nil || !got.DisputedAt.Equal(opened) {
				t.Fatalf("payment %+v", got)
			}
			// The money side is Stripe's: the payment's state and amounts are unchanged.
			if got.State != domain.PaymentCaptured || got.CapturedMinor != 4500 {
				t.Fatalf("a chargeback moved the payment: %+v", got)
			}
			if n := x.countRows(t, `SELECT count(*) FROM admin_audit_log WHERE actor_id IS NULL AND target = $1 AND action LIKE 'payment.dispute.%'`,
				"payment:"+p.ID.String()); n != 3 {
				t.Fatalf("%d audit rows, want 3", n)
			}
		})
	}
}

// Under a running River client with the payment workers, the deadline job upholds an
// uncontested dispute and the refund step it enqueues releases the authorisation.
func TestNoShowDeadlineRunsUnderRiver(t *testing.T) {
	t.Parallel()
	x := newEnv(t)
	x.wireSessions(t)
	ctx := context.Background()
	s, p := x.confirmedPaid(t, x.learner, skillsessiontest.Start.Add(72*time.Hour), 90)
	x.reportNoShow(t, s, x.learner)
	x.Clock.Set(x.dispute(t, s.ID).DecidesAt)
	// River schedules by the database's clock, the service decides by the test's.
	if _, err := x.Store.Pool().Exec(ctx, `UPDATE river_job SET scheduled_at = now() WHERE kind = 'payment_no_show_deadline'`); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	payments.Jobs(x.svc)(workers)
	client, err := river.NewClient(riverpgxv5.New(x.Store.Pool()), &river.Config{
		Logger: slog.New(slog.DiscardHandler), Workers: workers, FetchPollInterval: 100 * time.Millisecond,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Stop(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for x.payment(t, p.ID).State != domain.PaymentCanceled {
		if time.Now().After(deadline) {
			t.Fatalf("payment %s, dispute %s: River did not run the deadline and its refund step", x.payment(t, p.ID).State, x.dispute(t, s.ID).Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := x.dispute(t, s.ID); d.Status != domain.NoShowUpheld || d.DecidedBy != nil {
		t.Fatalf("dispute %+v", d)
	}
}
