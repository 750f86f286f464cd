// Package retention deletes what SkillSwap no longer needs: every rule (which rows of which
// table, delete or clear which columns, after how long, set by which variable, and why) is one
// entry of the list Rules returns, so the list can be checked against the personal-data register
// and the README's "What SkillSwap collects and why". An hourly River job applies them.
//
// Each rule runs in batches of one short statement (at most Config.Batch rows, locked with SKIP
// LOCKED): instances running it at once split the work, a stopped run loses nothing, and no
// table is locked for long.
//
// What is kept elsewhere expires on its own and has no rule here: rate-limit and connection-cap
// keys in Redis (each carries a TTL: redis_rate's keys expire when their budget is whole again,
// connection slots within their TTL), the in-memory limiter's entries (swept), and River's
// finished jobs, whose arguments hold raw Stripe webhook objects and email addresses (River's
// job cleaner deletes completed and cancelled jobs after 24 hours, discarded ones after 7 days).
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/store"
)

// Action is what a rule does to the rows due.
type Action string

const (
	// Delete removes the rows.
	Delete Action = "DELETE"
	// Clear sets the rule's Clear columns to NULL and keeps the rows.
	Clear Action = "CLEAR"
)

// Rule is one retention rule.
type Rule struct {
	// Name identifies the rule in logs and tests.
	Name  string
	Table string
	// Where selects the rows due; $1 is the cutoff, now minus Keep. A constant of this package,
	// never built from input.
	Where  string
	Action Action
	// Clear lists the columns Clear sets to NULL.
	Clear []string
	// Keep is how long past the moment Where measures from a row is kept.
	Keep time.Duration
	// Knob is the environment variable that sets Keep ("" when fixed).
	Knob string
	// Why says why the data is kept that long and not longer.
	Why string
}

// Config sets the retention periods (their variables in config.Config).
type Config struct {
	AuthSessions  time.Duration // AUTH_SESSION_RETENTION
	AccountTokens time.Duration // ACCOUNT_TOKEN_RETENTION
	Notifications time.Duration // NOTIFICATION_RETENTION
	WebhookEvents time.Duration // WEBHOOK_EVENT_RETENTION
	IPAddresses   time.Duration // IP_RETENTION
	SignInHistory time.Duration // SIGN_IN_HISTORY_RETENTION
	NPSResponses  time.Duration // NPS_RETENTION
	// ModerationEvidence: MODERATION_EVIDENCE_RETENTION.
	ModerationEvidence time.Duration
	// Interval is how often the job runs (RETENTION_INTERVAL; 0: hourly).
	Interval time.Duration
	// Batch is the most rows one statement changes (0: DefaultBatch).
	Batch int
	// Now is the clock (tests set it); nil: time.Now.
	Now func() time.Time
}

// DefaultBatch is the most rows one statement deletes or clears.
const DefaultBatch = 1000

// DefaultConfig is config.Config's defaults.
var DefaultConfig = Config{
	AuthSessions:       30 * 24 * time.Hour,
	AccountTokens:      7 * 24 * time.Hour,
	Notifications:      180 * 24 * time.Hour,
	WebhookEvents:      30 * 24 * time.Hour,
	IPAddresses:        90 * 24 * time.Hour,
	SignInHistory:      90 * 24 * time.Hour,
	NPSResponses:       730 * 24 * time.Hour,
	ModerationEvidence: 365 * 24 * time.Hour,
	Interval:           time.Hour,
}

// Rules is every retention rule with the periods of cfg.
func Rules(cfg Config) []Rule {
	return []Rule{
		{
			Name: "ended login sessions", Table: "auth_sessions", Action: Delete,
			Where: "revoked_at < $1 OR expires_at < $1",
			Keep:  cfg.AuthSessions, Knob: "AUTH_SESSION_RETENTION",
			Why: "a signed-out, revoked or expired session is shown in the member's session list for a while " +
				"(\"was that me?\"), then has no use; its refresh tokens go with it (ON DELETE CASCADE)",
		},
		{
			Name: "expired refresh tokens", Table: "refresh_tokens", Action: Delete,
			Where: "expires_at < $1",
			Keep:  cfg.AuthSessions, Knob: "AUTH_SESSION_RETENTION",
			Why: "a used token is kept until it expires, so presenting it again is detected as reuse and ends the " +
				"session (stolen token); once expired it is refused anyway",
		},
		{
			Name: "IP addresses of login sessions", Table: "auth_sessions", Action: Clear, Clear: []string{"ip"},
			Where: "ip IS NOT NULL AND last_used_at < $1",
			Keep:  cfg.IPAddresses, Knob: "IP_RETENTION",
			Why: "log-in throttling lets through the networks an account used in the last 90 days " +
				"(auth.RateLimits.KnownNetworkAge); an address unused for longer serves nothing",
		},
		{
			Name: "spent or expired email tokens", Table: "account_tokens", Action: Delete,
			Where: "expires_at < $1",
			Keep:  cfg.AccountTokens, Knob: "ACCOUNT_TOKEN_RETENTION",
			Why: "verification and reset secrets (stored hashed, with the address they were sent to) work " +
				"for hours at most; kept a few days to answer \"link expired\" rather than \"unknown link\" and for support",
		},
		{
			Name: "finished two-step logins", Table: "mfa_tickets", Action: Delete,
			Where: "expires_at < $1",
			Keep:  cfg.AccountTokens, Knob: "ACCOUNT_TOKEN_RETENTION",
			Why: "a ticket lives minutes (MFA_TICKET_TTL)",
		},
		{
			Name: "used recovery codes", Table: "mfa_recovery_codes", Action: Delete,
			Where: "used_at < $1",
			Keep:  cfg.AccountTokens, Knob: "ACCOUNT_TOKEN_RETENTION",
			Why: "a used code never works again; its hash has no further use",
		},
		{
			Name: "abandoned authenticator enrolments", Table: "user_totp", Action: Delete,
			Where: "enabled_at IS NULL AND created_at < $1",
			Keep:  cfg.AccountTokens, Knob: "ACCOUNT_TOKEN_RETENTION",
			Why: "an enrolment never confirmed with a first code holds an (encrypted) secret nobody uses",
		},
		{
			Name: "used OpenID Connect ID tokens", Table: "oidc_token_uses", Action: Delete,
			Where: "expires_at < $1",
			Why:   "a token is remembered only to refuse its replay until it expires",
		},
		{
			Name: "client secrets of settled payments", Table: "payments", Action: Clear, Clear: []string{"client_secret"},
			Where: "client_secret IS NOT NULL AND state NOT IN ('REQUIRES_PAYMENT_METHOD', 'FAILED') AND updated_at < $1",
			Why: "a PaymentIntent's client secret lets the payer's app confirm the payment; it is handed out only " +
				"while the payment awaits a payment method (payments.ForViewer), and a payment only moves forwards",
		},
		{
			Name: "old sign-in history", Table: "sign_in_events", Action: Delete,
			Where: "at < $1",
			Keep:  cfg.SignInHistory, Knob: "SIGN_IN_HISTORY_RETENTION",
			Why: "the member reads recent sign-ins to spot a stranger (and keeps at most 50); older ones " +
				"would only tell an intruder where and when the member signs in",
		},
		{
			Name: "finished email changes", Table: "email_changes", Action: Delete,
			Where: "(confirmed_at IS NULL AND expires_at < $1) OR " +
				"(confirmed_at IS NOT NULL AND (undo_until IS NULL OR undo_until < $1 OR undone_at IS NOT NULL))",
			Why: "a change is kept while its new address may be confirmed or the old one may undo it; " +
				"then neither address is needed",
		},
		{
			Name: "abandoned passkey ceremonies", Table: "webauthn_ceremonies", Action: Delete,
			Where: "expires_at < $1",
			Why:   "a ceremony is deleted when finished; one abandoned is useless once expired",
		},
		{
			Name: "old read notifications", Table: "notifications", Action: Delete,
			Where: "read_at IS NOT NULL AND created_at < $1",
			Keep:  cfg.Notifications, Knob: "NOTIFICATION_RETENTION",
			Why: "the in-app feed is for what is recent; unread notifications stay until read",
		},
		{
			Name: "stale push tickets", Table: "push_tickets", Action: Delete,
			Where: "created_at < $1::timestamptz - interval '2 days'",
			Why: "a ticket is kept only to read its receipt (from 15 minutes after sending); Expo keeps receipts " +
				"about a day, so a ticket older than two days can never be answered",
		},
		{
			Name: "undeliverable pushes", Table: "push_outbox", Action: Delete,
			Where: "coalesce(not_before, created_at) < $1::timestamptz - interval '1 day'",
			Why: "a push still unsent a day after it was due (written, or the end of the member's quiet hours) " +
				"is no longer news (Expo refused or unreachable all along); the notification stays in the app",
		},
		{
			Name: "old NPS answers", Table: "nps_responses", Action: Delete,
			Where: "created_at < $1",
			Keep:  cfg.NPSResponses, Knob: "NPS_RETENTION",
			Why: "answers feed the NPS of sign-up cohorts, which the admin panel reads for up to 104 weeks; " +
				"older ones (and their comments) serve no figure, and the survey's 90-day interval needs only the last",
		},
		// Moderation evidence, in this order: a decided case's reports and notes, then the case
		// (a case a sanction cites stays, with its decision and statement of reasons, as long as
		// the sanction: a ban is remembered).
		{
			Name: "reports of long-decided moderation cases", Table: "moderation_reports", Action: Delete,
			Where: "case_id IN (SELECT id FROM moderation_cases WHERE state = 'DECIDED' AND decided_at < $1)",
			Keep:  cfg.ModerationEvidence, Knob: "MODERATION_EVIDENCE_RETENTION",
			Why: "reports and their snapshots are the evidence of a decision: kept while it may be questioned " +
				"(an appeal within 20 days, an out-of-court body or a court afterwards, DSA art. 20-21), not for ever",
		},
		{
			Name: "notes of long-decided moderation cases", Table: "moderation_notes", Action: Delete,
			Where: "case_id IN (SELECT id FROM moderation_cases WHERE state = 'DECIDED' AND decided_at < $1)",
			Keep:  cfg.ModerationEvidence, Knob: "MODERATION_EVIDENCE_RETENTION",
			Why: "staff's reasoning on a case serves the same reviews as its evidence, and goes with it",
		},
		{
			Name: "long-decided moderation cases", Table: "moderation_cases", Action: Delete,
			Where: "state = 'DECIDED' AND decided_at < $1" +
				" AND NOT EXISTS (SELECT 1 FROM moderation_reports r WHERE r.case_id = moderation_cases.id)" +
				" AND NOT EXISTS (SELECT 1 FROM moderation_notes n WHERE n.case_id = moderation_cases.id)" +
				" AND NOT EXISTS (SELECT 1 FROM moderation_sanctions s WHERE s.case_id = moderation_cases.id)",
			Keep: cfg.ModerationEvidence, Knob: "MODERATION_EVIDENCE_RETENTION",
			Why: "once its evidence is gone a case only tells who was reported; one a sanction cites stays " +
				"with the sanction's record",
		},
		{
			Name: "processed Stripe webhook events", Table: "stripe_events", Action: Delete,
			Where: "processed_at IS NOT NULL AND received_at < $1",
			Keep:  cfg.WebhookEvents, Knob: "WEBHOOK_EVENT_RETENTION",
			Why: "the event id de-duplicates redeliveries, which Stripe makes for up to 3 days; the raw event " +
				"(in the River job's arguments) is deleted by River's job cleaner within 7 days",
		},
	}
}

// Runner applies the rules.
type Runner struct {
	store *store.Store
	rules []Rule
	batch int
	now   func() time.Time
	log   *slog.Logger
}

// New returns a runner of Rules(cfg).
func New(st *store.Store, cfg Config, log *slog.Logger) *Runner {
	r := &Runner{store: st, rules: Rules(cfg), batch: cfg.Batch, now: cfg.Now, log: log}
	if r.batch <= 0 {
		r.batch = DefaultBatch
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Rules returns the runner's rules.
func (r *Runner) Rules() []Rule { return r.rules }

// Run applies every rule until nothing is due and returns the rows changed per rule name. A
// failing rule does not stop the others; the error names each one that failed.
func (r *Runner) Run(ctx context.Context) (map[string]int64, error) {
	now := r.now()
	done := make(map[string]int64, len(r.rules))
	var errs []error
	for _, rule := range r.rules {
		n, err := r.apply(ctx, rule, now.Add(-rule.Keep))
		done[rule.Name] += n
		if err != nil {
			errs = append(errs, fmt.Errorf("retention %q: %w", rule.Name, err))
		}
		if n > 0 {
			r.log.Info("retention", "rule", rule.Name, "table", rule.Table, "action", rule.Action, "rows", n)
		}
	}
	return done, errors.Join(errs...)
}

func (r *Runner) apply(ctx context.Context, rule Rule, cutoff time.Time) (int64, error) {
	var clear []string
	if rule.Action == Clear {
		if len(rule.Clear) == 0 {
			return 0, errors.New("a CLEAR rule names no column")
		}
		clear = rule.Clear
	}
	var total int64
	for {
		n, err := r.store.Q().RetentionBatch(ctx, rule.Table, "("+rule.Where+")", clear, cutoff, r.batch)
		total += n
		if err != nil || n < int64(r.batch) {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// Args asks for a retention run.
type Args struct{}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "retention" }

// Worker runs the rules.
type Worker struct {
	river.WorkerDefaults[Args]
	Runner *Runner
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, _ *river.Job[Args]) error {
	_, err := w.Runner.Run(ctx)
	return err
}

// Timeout: a first run on a large database has much to delete; every batch commits, so a
// timeout loses nothing and the next run goes on.
func (w *Worker) Timeout(*river.Job[Args]) time.Duration { return 15 * time.Minute }

// Jobs registers the periodic run (every interval, hourly by default).
func Jobs(r *Runner, interval time.Duration) jobs.Register {
	if interval <= 0 {
		interval = DefaultConfig.Interval
	}
	return func(w *river.Workers) []*river.PeriodicJob {
		river.AddWorker(w, &Worker{Runner: r})
		return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(interval),
			func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil }, nil)}
	}
}
