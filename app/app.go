// Package app wires the server from its configuration: database, broker, services, workers and
// the HTTP handler. server.go and the test harness build the very same thing through it.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"

	"github.com/skillswap/skillswap/accountpages"
	"github.com/skillswap/skillswap/admin"
	"github.com/skillswap/skillswap/applinks"
	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/calendar"
	"github.com/skillswap/skillswap/chat"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/credits"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/erasure"
	"github.com/skillswap/skillswap/exports"
	"github.com/skillswap/skillswap/httpapi"
	"github.com/skillswap/skillswap/identities"
	"github.com/skillswap/skillswap/jobs"
	"github.com/skillswap/skillswap/kpis"
	"github.com/skillswap/skillswap/mail"
	"github.com/skillswap/skillswap/matching"
	"github.com/skillswap/skillswap/moderation"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/passkeys"
	"github.com/skillswap/skillswap/payments"
	"github.com/skillswap/skillswap/profiles"
	"github.com/skillswap/skillswap/push"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/readmarks"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/redisconn"
	"github.com/skillswap/skillswap/rekey"
	"github.com/skillswap/skillswap/resolvers"
	"github.com/skillswap/skillswap/retention"
	"github.com/skillswap/skillswap/reviews"
	"github.com/skillswap/skillswap/sealbox"
	"github.com/skillswap/skillswap/search"
	"github.com/skillswap/skillswap/skills"
	"github.com/skillswap/skillswap/skillsessions"
	"github.com/skillswap/skillswap/store"
	"github.com/skillswap/skillswap/taxonomy"
	"github.com/skillswap/skillswap/tracing"
)

// appName names the platform in emails and on the account pages.
const appName = "SkillSwap"

// App is a wired server.
type App struct {
	Config config.Config
	Pool   *pgxpool.Pool
	Store  *store.Store
	Broker realtime.Broker
	Hub    *realtime.Hub
	Auth   *auth.Service
	Search search.Backend
	// Chat and Notifications are exposed for tests and tools that act on the server directly.
	Chat          *chat.Service
	Notifications *notifications.Service
	// Payments runs paid mentoring (prices, onboarding, the payment saga).
	Payments *payments.Service
	// Identities signs in with OpenID Connect providers.
	Identities *identities.Service
	// Passkeys registers passkeys and signs in with them.
	Passkeys *passkeys.Service
	// Erasure schedules and runs account deletions (and replays them after a restore).
	Erasure *erasure.Service
	// Moderation takes reports, runs the moderation queue, sanctions and appeals.
	Moderation *moderation.Service
	// SkillSessions runs skill sessions (tests cancel and inspect them directly).
	SkillSessions *skillsessions.Service
	// Exports builds members' data exports.
	Exports *exports.Service
	// KPIs computes the product KPIs (a periodic job refreshes them) and runs the NPS survey.
	KPIs *kpis.Service
	HTTP *httpapi.Server
	// Retention deletes what is no longer needed (an hourly job runs it).
	Retention *retention.Runner
	// Keys encrypt sensitive columns (TOTP secrets); `skillswap rekey` rotates with them.
	Keys *sealbox.Keyring
	// Limiter and Slots hold every rate limit and connection cap: in Redis when Redis is configured.
	Limiter ratelimit.Limiter
	Slots   ratelimit.Slots
	// Flights paces what is sent to third parties with a cap at their end (Expo's 600 pushes in
	// any second): in Redis, shared by every instance, when Redis is configured.
	Flights  ratelimit.Flights
	limitsDB redis.UniversalClient
	slotsDB  *ratelimit.RedisSlots
	workers  *river.Client[pgx.Tx]
	tracing  *tracing.Provider
	log      *slog.Logger
	stop     context.CancelFunc

	// replicaPool reads the replica (DATABASE_REPLICA_URL), nil without one.
	replicaPool *pgxpool.Pool
}

// Options adjust wiring for tests and tools.
type Options struct {
	// Tracer observes every SQL statement (statement-count tests).
	Tracer pgx.QueryTracer
	// Argon2 overrides the password hashing cost (zero: OWASP parameters from config).
	Argon2 *auth.Argon2Params
	// Now is the clock of skill sessions, reviews, credits and calendar feeds (tests move it
	// to after a session's end); nil means time.Now. Tokens always use the real clock.
	Now func() time.Time
	// TOTPNow is the clock of TOTP codes (tests move it to get fresh codes); nil means time.Now.
	TOTPNow func() time.Time
	// AuthNow is the clock of login sessions, refresh tokens and access tokens (tests move it
	// past REFRESH_TOKEN_TTL or SESSION_MAX_AGE); nil means time.Now.
	AuthNow func() time.Time
	// ErasureNow is the clock of account deletions (tests move it past the grace period); nil
	// means time.Now.
	ErasureNow func() time.Time
	// Tracing instruments the HTTP edge, GraphQL operations, SQL, Redis, River jobs, Stripe and
	// SMTP calls (serve builds it from the OTEL_* variables); nil or disabled: no tracing.
	Tracing *tracing.Provider
}

// New connects and wires everything; it applies migrations when cfg.MigrateOnStart.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (_ *App, err error) {
	a := &App{Config: cfg, log: log, tracing: opts.Tracing}
	var riverMiddleware []rivertype.Middleware
	sqlTracer := opts.Tracer
	if opts.Tracing.Enabled() {
		// Work spans link to the trace that enqueued the job (its traceparent rides in the
		// job's metadata): a job may run hours later, so it starts a trace of its own.
		riverMiddleware = append(riverMiddleware, otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
			TracerProvider: opts.Tracing.TracerProvider(), MeterProvider: metricnoop.NewMeterProvider(),
			EnableTracePropagation: true, EnableWorkSpanJobKindSuffix: true,
		}))
		if sqlTracer == nil {
			sqlTracer = opts.Tracing.PgxTracer()
		} else {
			sqlTracer = multitracer.New(sqlTracer, opts.Tracing.PgxTracer())
		}
	}
	defer func() {
		if err != nil {
			a.Close(context.WithoutCancel(ctx))
		}
	}()
	a.Pool, err = store.OpenPool(ctx, cfg.DatabaseURL, store.PoolConfig{
		MaxConns: cfg.DatabaseMaxConns, StatementTimeout: cfg.StatementTimeout, Tracer: sqlTracer,
	})
	if err != nil {
		return nil, err
	}
	if cfg.MigrateOnStart {
		if _, err := store.Migrate(ctx, a.Pool, log); err != nil {
			return nil, err
		}
	}
	inserter, err := jobs.NewInserter(a.Pool, log, riverMiddleware...)
	if err != nil {
		return nil, err
	}
	a.Store = store.New(a.Pool, inserter, log)

	if cfg.Redis().Enabled() {
		// Through a local first: a nil *Redis stored in the interface would not be nil, and
		// Close on the way out of a failed start would call it.
		client, err := redisconn.New(cfg.Redis())
		if err != nil {
			return nil, err
		}
		broker, err := realtime.NewRedisClient(ctx, client)
		if err != nil {
			return nil, err
		}
		if opts.Tracing.Enabled() {
			broker.AddHook(opts.Tracing.RedisHook())
		}
		a.Broker = broker
	} else {
		a.Broker = realtime.NewMemory()
	}
	a.Hub = realtime.NewHub(a.Broker)
	if err := a.openLimits(ctx); err != nil {
		return nil, err
	}
	if cfg.DatabaseReplicaURL != "" {
		if err := a.openReplica(ctx, opts); err != nil {
			return nil, err
		}
	}

	if cfg.TypesenseURL != "" {
		a.Search, err = search.NewTypesense(ctx, search.TypesenseConfig{
			URL: cfg.TypesenseURL, APIKey: cfg.TypesenseAPIKey, CollectionPrefix: cfg.TypesenseCollectionPrefix,
		}, a.Store)
		if err != nil {
			return nil, err
		}
	} else {
		a.Search = search.NewPostgres(a.Store)
	}
	indexQueue := search.Queue{}

	// Notifications are created inside the transactions of the events that cause them (messages,
	// matches, sessions, reviews); their emails are River jobs inserted with them, sent by the
	// workers of whichever instance runs them, so inserting does not depend on RunWorkers.
	// Pushes are written to an outbox with them when Expo is configured (EXPO_PUSH_URL).
	a.Notifications = notifications.NewService(a.Store, a.Hub, log, notifications.Options{
		Email: true, Push: cfg.ExpoPushURL != "", AppName: appName, MaxPushDevices: cfg.PushMaxDevices,
	})
	notes := a.Notifications

	// Skill sessions, reviews, the time-credit ledger and calendar feeds. The ledger opens each
	// new member's account, with the starter credits, inside the sign-up transaction.
	starter := cfg.CreditStarterMinutes
	if starter == 0 {
		starter = -1 // credits.Config reads 0 as "default" and a negative value as "none"
	}
	buffer := cfg.SessionBuffer
	if buffer == 0 {
		buffer = -1 // likewise for sessions.Config: 0 is the default buffer, negative none
	}
	// Paid mentoring. Without a Stripe key the service answers UNAVAILABLE to paid features;
	// the saga steps of paid sessions are enqueued inside the sessions' own transactions.
	var stripeClient payments.Stripe
	if cfg.StripeSecretKey != "" {
		sc := payments.StripeConfig{SecretKey: cfg.StripeSecretKey, APIBase: cfg.StripeAPIBase}
		if opts.Tracing.Enabled() {
			// stripe-go's default client's timeout, with a span per call.
			sc.HTTPClient = &http.Client{Timeout: 80 * time.Second, Transport: opts.Tracing.Transport(nil)}
		}
		stripeClient = payments.NewStripe(sc)
	} else {
		log.Info("STRIPE_SECRET_KEY not set: paid sessions are disabled")
	}

	// What members whose email is not verified may do (chat, booking).
	// The same gate refuses them, to every member, until the current terms and privacy policy
	// are accepted.
	unverified, err := domain.ParseUnverifiedPolicy(cfg.UnverifiedMay)
	if err != nil {
		return nil, fmt.Errorf("UNVERIFIED_MAY: %w", err)
	}
	legal := domain.LegalVersions{Terms: strings.TrimSpace(cfg.TermsVersion), PrivacyPolicy: strings.TrimSpace(cfg.PrivacyPolicyVersion)}
	unverified.Legal = legal
	a.Keys, err = dataKeyring(cfg, log)
	if err != nil {
		return nil, err
	}
	// Moderation's sanctions act through small seams of services built below (closures, as
	// payments' RequireRecentAuth); chat and skill sessions ask it whether a member is limited.
	hideAt := cfg.ModerationHideReporters
	if hideAt <= 0 {
		hideAt = -1 // 0 in the configuration: never hide
	}
	a.Moderation = moderation.NewService(a.Store, notes, moderation.Config{
		Limiter: a.Limiter, Now: opts.Now, PublicURL: cfg.PublicURL,
		AppealLinkKey: a.Keys.Derive("skillswap sanction appeal link key v1"),
		Seams: moderation.Seams{
			EndSessions: func(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) {
				a.Auth.SessionsEnded(ctx, userID, ids)
			},
			RemoveMessage: func(ctx context.Context, q *store.Queries, id uuid.UUID) (domain.Message, error) {
				return a.Chat.RemoveMessage(ctx, q, id)
			},
			HideMessage: func(ctx context.Context, q *store.Queries, id uuid.UUID) error {
				return a.Chat.HidePendingReview(ctx, q, id)
			},
			RevealMessage: func(ctx context.Context, q *store.Queries, id uuid.UUID) error {
				return a.Chat.RevealAfterReview(ctx, q, id)
			},
			CancelSessions: func(ctx context.Context, userID uuid.UUID, reason string) (int, error) {
				return a.SkillSessions.CancelAllFor(ctx, userID, reason)
			},
			Reindex: indexQueue.QueueReindex,
		},
		Safeguards: moderation.Safeguards{HideThreshold: hideAt},
	}, log)
	ledger := credits.NewService(a.Store, credits.Config{StarterMinutes: starter, FloorMinutes: cfg.CreditFloorMinutes, Now: opts.Now}, log)
	sessionSvc := skillsessions.NewService(a.Store, ledger, notifications.ByName{Service: notes}, skillsessions.Config{
		Policy: domain.SkillSessionPolicy{
			MinNotice: cfg.SessionMinNotice, MaxDuration: cfg.SessionMaxDuration,
			LateCancelCutoff: cfg.SessionLateCancelCutoff, AutoCompleteAfter: cfg.SessionAutoCompleteAfter,
		},
		Buffer: buffer, ReminderOffsets: cfg.SessionReminders, Now: opts.Now,
		OnChange: func(ctx context.Context, q *store.Queries, s domain.SkillSession) error {
			return a.Payments.OnSessionChanged(ctx, q, s)
		},
		BookPaid: func(ctx context.Context, q *store.Queries, s domain.SkillSession) (domain.SkillSession, error) {
			return a.Payments.Book(ctx, q, s)
		},
		CheckNewTime: func(ctx context.Context, q *store.Queries, before, after domain.SkillSession) error {
			return a.Payments.CheckNewTime(ctx, q, before, after)
		},
		Unverified: unverified,
		Limits:     a.Moderation,
	}, log)
	a.SkillSessions = sessionSvc
	a.Payments = payments.NewService(a.Store, stripeClient, notifications.ByName{Service: notes}, payments.Config{
		FeePercent: cfg.PlatformFeePercent, LateCancelFeePercent: cfg.LateCancelFeePercent,
		PublicURL: cfg.PublicURL, Now: opts.Now, SkillSessions: sessionSvc,
		NoShowContestWindow: cfg.NoShowContestWindow,
		RequireRecentAuth: func(ctx context.Context, actor domain.Actor) error {
			return a.Auth.RequireRecentAuth(ctx, actor) // a.Auth is set below, before any request
		},
	}, log)
	reviewSvc := reviews.NewService(a.Store, notifications.ByName{Service: notes}, reviews.Config{Now: opts.Now, Reports: a.Moderation}, log)
	calendarSvc := calendar.NewService(a.Store, calendar.Config{Now: opts.Now}, log)

	tokens, err := newTokens(cfg, opts.AuthNow, log)
	if err != nil {
		return nil, err
	}
	params := auth.Argon2Params{MemoryKiB: cfg.PasswordMemKiB, Iterations: cfg.PasswordIters, Parallelism: 1}
	if opts.Argon2 != nil {
		params = *opts.Argon2
	}
	hasher, err := auth.NewHasher(params)
	if err != nil {
		return nil, err
	}
	authLimits := auth.DefaultRateLimits
	authLimits.LogInPerIP = rate(cfg.RateLogInIP)
	authLimits.LogInFailuresPerAccountIP = rate(cfg.RateLogInAccountIP)
	authLimits.LogInFailuresPerAccount = rate(cfg.RateLogInAccount)
	authLimits.SignUpPerIP = rate(cfg.RateSignUpIP)
	authLimits.RefreshPerIP = rate(cfg.RateRefreshIP)
	authLimits.ResendVerificationPerUser = rate(cfg.RateVerificationEmailUser)
	authLimits.PasswordResetPerIP = rate(cfg.RatePasswordResetIP)
	authLimits.PasswordResetPerEmail = rate(cfg.RatePasswordResetEmail)
	authLimits.MFACodeFailuresPerUser = rate(cfg.RateMFACodesUser)
	authLimits.EmailChangePerUser = rate(cfg.RateEmailChangeUser)
	authLimits.EmailChangePerAddress = rate(cfg.RateEmailChangeAddress)
	a.Auth, err = auth.NewService(a.Store, hasher, tokens, a.Hub, auth.Config{
		RecentAuthMaxAge:    cfg.RecentAuthMaxAge,
		Keys:                a.Keys,
		MFATicketTTL:        cfg.MFATicketTTL,
		StaffRequireMFA:     cfg.StaffRequireMFA,
		TOTPNow:             opts.TOTPNow,
		Now:                 opts.AuthNow,
		RefreshTTL:          cfg.RefreshTokenTTL,
		AuthSessionMaxAge:   cfg.SessionMaxAge,
		ReuseGrace:          cfg.RefreshGrace,
		AuthSessionCacheTTL: cfg.SessionCacheTTL,
		OnSignUp:            []auth.SignUpHook{indexQueue.QueueReindex, ledger.OpenAccount},
		Limits:              authLimits,
		Limiter:             a.Limiter,
		PublicURL:           cfg.PublicURL,
		AppName:             appName,
		VerificationTTL:     cfg.EmailVerificationTTL,
		ResetTokenTTL:       cfg.ResetTokenTTL,
		EmailUndoWindow:     cfg.AccountEmailUndoWindow,
		Legal:               legal,
	}, log)
	if err != nil {
		return nil, err
	}
	// The one-click unsubscribe links of notification emails (RFC 8058) likewise.
	unsubscribe := notifications.NewUnsubscribeLinks(a.Keys.Derive("skillswap notification unsubscribe link key v1"), cfg.PublicURL)
	// Download links of data exports are signed with a key derived from the data keys'.
	linkKey := a.Keys.Derive("skillswap data export link key v1")
	a.Exports, err = exports.NewService(a.Store, a.Auth, exports.Config{
		LinkTTL: cfg.ExportLinkTTL, LinkKey: linkKey, PublicURL: cfg.PublicURL, Now: opts.Now,
	}, log)
	if err != nil {
		return nil, err
	}

	// Background watchers live until Close.
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	a.stop = stop
	if err := a.Auth.WatchInvalidations(bg, a.Hub); err != nil {
		return nil, fmt.Errorf("watch auth invalidations: %w", err)
	}

	var mailer notifications.Mailer = mail.LogMailer{Log: log}
	if cfg.SMTPAddr != "" {
		mailer, err = mail.NewSMTPMailer(mail.SMTPConfig{
			Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, StartTLS: cfg.SMTPStartTLS,
			Tracer: smtpTracer(opts.Tracing),
		})
		if err != nil {
			return nil, err
		}
	}
	a.Chat = chat.NewService(a.Store, a.Hub, a.Notifications, log, chat.Options{
		AwayAfter: cfg.ChatAwayAfter, ResyncEvery: cfg.ChatResyncInterval,
		Limiter: a.Limiter, MessageRate: rate(cfg.RateMessagesUser), Unverified: unverified,
		Conversations: chat.ConversationLimits{
			Rate: rate(cfg.RateConversationsUser), NewAccountRate: rate(cfg.RateConversationsNewAccount), NewAccountAge: cfg.NewAccountAge,
		},
		Limits: a.Moderation,
	})
	providers := make([]identities.Provider, len(cfg.OIDCProviders))
	for i, p := range cfg.OIDCProviders {
		providers[i] = identities.Provider{Name: p.Name, Issuer: p.Issuer, ClientIDs: p.ClientIDs,
			HashedNonce: p.HashedNonce != nil && *p.HashedNonce || p.HashedNonce == nil && p.Issuer == identities.AppleIssuer}
	}
	a.Identities = identities.NewService(a.Store, a.Auth, a.Store.Q(), identities.Config{
		Providers: providers, JWKSMinInterval: cfg.OIDCJWKSMinInterval,
	}, log)
	androidApps, err := applinks.ParseAndroidApps(cfg.AndroidApps)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	// The Android apps that share the domain's passkeys (ANDROID_APPS, in assetlinks.json) make
	// their ceremonies from their apk-key-hash origin: accepted without repeating it in
	// WEBAUTHN_ORIGINS.
	passkeyOrigins := slices.Clone(cfg.WebAuthnOrigins)
	for _, app := range androidApps {
		if !slices.Contains(passkeyOrigins, app.Origin()) {
			passkeyOrigins = append(passkeyOrigins, app.Origin())
		}
	}
	a.Passkeys, err = passkeys.New(a.Store, a.Auth, passkeys.Config{
		RPID: cfg.WebAuthnRPID, RPName: cfg.WebAuthnRPName, Origins: passkeyOrigins,
	}, log)
	if err != nil {
		return nil, err
	}

	var forget ratelimit.Forgetter
	if f, ok := a.Limiter.(ratelimit.Forgetter); ok {
		forget = f
	}
	a.Erasure = erasure.NewService(a.Store, a.Auth, a.Search, erasure.Config{
		Grace: cfg.AccountDeletionGrace, Now: opts.ErasureNow, Limiter: forget,
		LimitKeys: func(userID uuid.UUID, email string) []string {
			return append(auth.LimitKeys(userID, email), chat.LimitKeys(userID)...)
		},
		BeforeErase: func(ctx context.Context, userID uuid.UUID) error {
			_, err := sessionSvc.CancelAllFor(ctx, userID, "The member deleted their account.")
			return err
		},
	}, log)

	a.Retention = retention.New(a.Store, retention.Config{
		AuthSessions: cfg.AuthSessionRetention, AccountTokens: cfg.AccountTokenRetention,
		Notifications: cfg.NotificationRetention, WebhookEvents: cfg.WebhookEventRetention,
		IPAddresses: cfg.IPRetention, SignInHistory: cfg.SignInHistoryRetention,
		NPSResponses:       cfg.NPSRetention,
		ModerationEvidence: cfg.ModerationEvidenceRetention,
	}, log)
	a.KPIs = kpis.NewService(a.Store, kpis.Config{RefreshInterval: cfg.KPIRefreshInterval, Now: opts.Now}, log)

	if cfg.RunWorkers {
		// Every capability with background work, each through its Jobs function: a new one is
		// added here and nowhere else.
		a.workers, err = jobs.NewWorkerClient(a.Pool, []jobs.Register{
			notifications.Jobs(a.Store.Q(), mailer, appName, notifications.EmailConfig{
				Links: unsubscribe, Suppressions: a.Store.Q(), Log: log,
			}),
			search.Jobs(a.Store, a.Search),
			skillsessions.Jobs(sessionSvc),
			reviews.Jobs(reviewSvc),
			payments.Jobs(a.Payments),
			auth.Jobs(a.Auth, mailer),
			erasure.Jobs(a.Erasure, stripeClient),
			rekey.Jobs(rekey.New(a.Store, a.Keys, 0, log)),
			retention.Jobs(a.Retention, cfg.RetentionInterval),
			exports.Jobs(a.Exports, mailer),
			notifications.PushJobs(notifications.NewPushSender(a.Store,
				push.NewClient(push.Config{BaseURL: cfg.ExpoPushURL, AccessToken: cfg.ExpoAccessToken}),
				push.NewPacer(a.Flights, cfg.PushMaxPerSecond, nil), log, notifications.PushConfig{}), cfg.ExpoPushURL != ""),
			kpis.Jobs(a.KPIs),
			moderation.Jobs(a.Moderation, mailer, appName),
			notifications.DigestJobs(notifications.NewDigestRunner(a.Store, log, nil), a.Store.Q(), mailer, appName, notifications.EmailConfig{
				Links: unsubscribe, Suppressions: a.Store.Q(), Log: log,
			}, true, cfg.DigestInterval),
		}, log, riverMiddleware...)
		if err != nil {
			return nil, err
		}
	}

	schema := resolvers.NewSchema(&resolvers.Resolver{
		Auth:          a.Auth,
		Identities:    a.Identities,
		Passkeys:      a.Passkeys,
		Erasure:       a.Erasure,
		Exports:       a.Exports,
		Skills:        skills.NewService(a.Store, indexQueue, a.Moderation, log),
		Profiles:      profiles.NewService(a.Store, indexQueue, a.Notifications, a.Notifications, log),
		Search:        a.Search,
		Matching:      matching.NewService(a.Store, skillsessions.NewReliabilitySource(a.Store), nil),
		Chat:          a.Chat,
		Notifications: a.Notifications,
		Log:           log,

		SkillSessions: sessionSvc,
		Reviews:       reviewSvc,
		Moderation:    a.Moderation,
		KPIs:          a.KPIs,
		Credits:       ledger,
		Calendar:      calendarSvc,
		Payments:      a.Payments,
		Admin:         admin.NewService(a.Store, a.Auth, ledger, opts.Now, log),
		PublicURL:     strings.TrimSuffix(cfg.PublicURL, "/"),
		Now:           opts.Now,
	})
	pages, err := accountpages.Handler(a.Auth, a.Moderation, cfg.PublicURL, appName, log)
	if err != nil {
		return nil, err
	}
	extra := map[string]http.Handler{
		"GET /calendar/":        calendarSvc.Handler(),
		"GET /exports/{id}":     a.Exports.Handler(),
		"POST /webhooks/stripe": payments.NewWebhookHandler(a.Store, cfg.StripeWebhookSecret, log),
	}
	for _, path := range accountpages.Paths {
		extra[path] = pages
	}
	extra[notifications.UnsubscribePath] = notifications.UnsubscribeHandler(a.Notifications, unsubscribe, appName, log)
	appleApps, err := applinks.ParseAppleAppIDs(cfg.AppleAppIDs)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	links, err := applinks.Handler(appleApps, androidApps, accountpages.Paths)
	if err != nil {
		return nil, err
	}
	for _, path := range applinks.Paths {
		extra["GET "+path] = links
	}
	a.HTTP = httpapi.New(httpapi.Config{
		MaxBodyBytes:     cfg.MaxBodyBytes,
		OperationTimeout: cfg.OperationTimeout,
		MaxDepth:         cfg.MaxQueryDepth,
		MaxAliases:       cfg.MaxAliases,
		MaxTokens:        cfg.MaxTokens,
		MaxComplexity:    cfg.MaxComplexity,
		MaxResponseBytes: cfg.MaxResponseBytes,
		MaxQueryBytes:    cfg.MaxQueryBytes,
		Admission: httpapi.AdmissionConfig{
			Slots:           cmp.Or(cfg.HeavyOperationSlots, max(runtime.GOMAXPROCS(0)/2, 1)),
			MaxWaiting:      cfg.HeavyOperationQueue,
			MaxWait:         cfg.HeavyOperationWait,
			HeavyComplexity: cfg.HeavyOperationComplexity,
			HeavyBytes:      cfg.HeavyOperationBytes,
		},
		Introspection:    cfg.Introspection,
		FieldSuggestions: cfg.FieldSuggestions,
		Playground:       cfg.Playground,
		MetricsToken:     cfg.MetricsToken,
		MetricsElsewhere: cfg.MetricsAddr != "",
		AllowedOrigins:   cfg.CORSAllowedOrigins,
		TrustProxy:       cfg.TrustProxyHeaders,
		WSInitTimeout:    cfg.WSInitTimeout,
		WSPingInterval:   cfg.WSPingInterval,
		WSReadLimit:      cfg.WSReadLimitBytes,
		WSMaxSubs:        cfg.WSMaxSubsPerConn,
		WSMaxMsgsPerMin:  cfg.WSMaxMsgPerMinute,
		WSMaxConnsUser:   cfg.WSMaxConnsPerUser,
		WSMaxConnsIP:     cfg.WSMaxConnsPerIP,
		ComplexityUser:   rate(cfg.RateComplexityUser),
		ComplexityIP:     rate(cfg.RateComplexityIP),
		LoaderWait:       cfg.DataloaderWait,
	}, httpapi.Deps{
		Schema: schema, Authn: a.Auth, Loaders: a.Store.Q(), Taxonomy: taxonomy.NewCache(a.Store), Hub: a.Hub, Broker: a.Broker, Pool: a.Pool, Log: log,
		Limiter: a.Limiter, Slots: a.Slots,
		Extra: extra, Tracing: opts.Tracing,
	})
	return a, nil
}

// openLimits builds the rate limiter and the connection caps: in Redis, shared by every
// instance, when Redis is configured (on a client of their own, so limiting never queues behind
// pub/sub traffic), in memory otherwise.
func (a *App) openLimits(ctx context.Context) error {
	if !a.Config.Redis().Enabled() {
		a.Limiter, a.Slots = ratelimit.NewMemory(nil), ratelimit.NewMemorySlots()
		a.Flights = ratelimit.NewMemoryFlights(nil)
		return nil
	}
	db, err := redisconn.Open(ctx, a.Config.Redis())
	if err != nil {
		return fmt.Errorf("redis (limits): %w", err)
	}
	if a.tracing.Enabled() {
		db.AddHook(a.tracing.RedisHook())
	}
	a.limitsDB = db
	prefix := a.Config.RateLimitKeyPrefix
	a.Limiter = ratelimit.NewRedis(a.limitsDB, prefix, a.log)
	a.slotsDB = ratelimit.NewRedisSlots(a.limitsDB, prefix+"slots:", time.Minute, a.log)
	a.Slots = a.slotsDB
	a.Flights = ratelimit.NewRedisFlights(a.limitsDB, prefix+"flights:", a.log)
	return nil
}

// openReplica routes the read-only heavy queries to DATABASE_REPLICA_URL. Members' write
// positions (read-your-writes) are kept in Redis when it is configured, so any instance honours
// them, in process otherwise (one instance). Must run after openLimits (it uses that client).
func (a *App) openReplica(ctx context.Context, opts Options) error {
	pool, err := store.OpenPool(ctx, a.Config.DatabaseReplicaURL, store.PoolConfig{
		MaxConns: a.Config.DatabaseMaxConns, StatementTimeout: a.Config.StatementTimeout, Tracer: opts.Tracer,
		ApplicationName: "skillswap-replica", Lazy: true,
	})
	if err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	a.replicaPool = pool
	var marks store.WriteMarks
	if a.limitsDB != nil {
		marks = readmarks.NewRedis(a.limitsDB, a.Config.RateLimitKeyPrefix+"rw:")
	}
	a.Store.UseReplica(store.ReplicaConfig{
		Pool: pool, MaxLag: a.Config.DatabaseReplicaMaxLag, Marks: marks, Log: a.log,
		Member: func(ctx context.Context) (uuid.UUID, bool) {
			actor := auth.ActorFrom(ctx)
			return actor.ID(), actor.SignedIn()
		},
	})
	return nil
}

// smtpTracer is the tracer of SMTP sends (nil when tracing is off: no span at all).
func smtpTracer(p *tracing.Provider) trace.Tracer {
	if !p.Enabled() {
		return nil
	}
	return p.Tracer()
}

// rate converts a configured rate.
func rate(r config.Rate) ratelimit.Rate {
	return ratelimit.Rate{Events: int(min(r.Tokens, math.MaxInt32)), Period: r.Interval}
}

func newTokens(cfg config.Config, now func() time.Time, log *slog.Logger) (*auth.Tokens, error) {
	keys, err := config.ParseJWTKeys(cfg.JWTKeys)
	if err != nil {
		return nil, err
	}
	var set []auth.SigningKey
	for _, k := range keys {
		set = append(set, auth.SigningKey{ID: k.ID, Secret: k.Secret})
	}
	active := cfg.JWTActiveKeyID
	if len(set) == 0 {
		k, err := auth.RandomSigningKey("dev-ephemeral")
		if err != nil {
			return nil, err
		}
		set, active = []auth.SigningKey{k}, k.ID
		log.Warn("JWT_KEYS not set: using an ephemeral signing key; tokens will not survive a restart")
	}
	if active == "" {
		active = set[len(set)-1].ID
	}
	return auth.NewTokens(auth.TokenConfig{
		Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, TTL: cfg.AccessTokenTTL, Keys: set, ActiveKeyID: active, Now: now,
	})
}

// StartWorkers starts the background-job workers (when enabled).
func (a *App) StartWorkers(ctx context.Context) error {
	if a.workers == nil {
		return nil
	}
	if err := a.workers.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	return nil
}

// Close stops workers (letting running jobs finish until ctx ends) and releases connections.
func (a *App) Close(ctx context.Context) {
	if a.stop != nil {
		a.stop()
	}
	if a.workers != nil {
		if err := a.workers.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Warn("stop workers", "err", err)
		}
	}
	if a.Auth != nil {
		a.Auth.Close(ctx)
	}
	if a.slotsDB != nil {
		a.slotsDB.Close()
	}
	if a.limitsDB != nil {
		_ = a.limitsDB.Close()
	}
	if a.Broker != nil {
		_ = a.Broker.Close()
	}
	if a.Store != nil {
		a.Store.Close()
	}
	if a.replicaPool != nil {
		a.replicaPool.Close()
	}
	if a.Pool != nil {
		a.Pool.Close()
	}
}

// ShutdownGrace is how long Close waits for running jobs by default.
const ShutdownGrace = 20 * time.Second

// dataKeyring builds the keyring of sensitive columns from DATA_ENCRYPTION_KEYS and
// MFA_ENCRYPTION_KEY; with neither (development), a random key for this process.
func dataKeyring(cfg config.Config, log *slog.Logger) (*sealbox.Keyring, error) {
	primary, keys, err := cfg.DataKeyring()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(keys) == 0 {
		log.Warn("DATA_ENCRYPTION_KEYS and MFA_ENCRYPTION_KEY not set: using a random key; TOTP secrets enrolled now will not survive a restart")
		return sealbox.Ephemeral()
	}
	return sealbox.NewKeyring(primary, keys)
}
