// Package config reads the server's configuration from environment variables. Every variable is
// listed, with its default, in the README.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/skillswap/skillswap/redisconn"
)

// Config is the whole server configuration.
type Config struct {
	Env             string        `env:"APP_ENV" envDefault:"development"`
	HTTPAddr        string        `env:"HTTP_ADDR" envDefault:":8080"`
	PublicURL       string        `env:"PUBLIC_URL" envDefault:"http://localhost:8080"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"25s"`
	// ShutdownDrainDelay is how long, after SIGTERM, /readyz answers 503 while everything is
	// still served, before the graceful shutdown starts: the time load balancers need to stop
	// routing here (default: 5s in production, 0 otherwise).
	ShutdownDrainDelay time.Duration `env:"SHUTDOWN_DRAIN_DELAY"`
	LogLevel           string        `env:"LOG_LEVEL" envDefault:"info"`
	PprofAddr          string        `env:"PPROF_ADDR"`
	// MetricsAddr serves /metrics on this separate address instead of the API's.
	MetricsAddr string `env:"METRICS_ADDR"`
	// MetricsToken makes /metrics require `Authorization: Bearer <token>`.
	MetricsToken string `env:"METRICS_TOKEN"`

	// OpenTelemetry tracing, by the specification's standard variables (package tracing). Off
	// unless an OTLP endpoint (or OTEL_TRACES_EXPORTER=otlp) is set; the exporter reads the rest
	// of OTEL_EXPORTER_OTLP_* (headers, timeout, compression) itself.
	OTelSDKDisabled      bool     `env:"OTEL_SDK_DISABLED" envDefault:"false"`
	OTelTracesExporter   string   `env:"OTEL_TRACES_EXPORTER"`
	OTelEndpoint         string   `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTelTracesEndpoint   string   `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	OTelProtocol         string   `env:"OTEL_EXPORTER_OTLP_PROTOCOL"`
	OTelTracesProtocol   string   `env:"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"`
	OTelTracesSampler    string   `env:"OTEL_TRACES_SAMPLER" envDefault:"parentbased_always_on"`
	OTelTracesSamplerArg string   `env:"OTEL_TRACES_SAMPLER_ARG"`
	OTelServiceName      string   `env:"OTEL_SERVICE_NAME" envDefault:"skillswap"`
	TrustProxyHeaders    bool     `env:"TRUST_PROXY_HEADERS" envDefault:"false"`
	CORSAllowedOrigins   []string `env:"CORS_ALLOWED_ORIGINS" envSeparator:"," envDefault:"http://localhost:8080,http://127.0.0.1:8080"`

	DatabaseURL      string        `env:"DATABASE_URL"`
	DatabaseMaxConns int32         `env:"DATABASE_MAX_CONNS" envDefault:"8"`
	StatementTimeout time.Duration `env:"DB_STATEMENT_TIMEOUT" envDefault:"5s"`
	MigrateOnStart   bool          `env:"MIGRATE_ON_START" envDefault:"true"`
	RunWorkers       bool          `env:"RUN_WORKERS" envDefault:"true"`

	// DatabaseReplicaURL is an optional streaming replica for read-only heavy queries (search,
	// matches, KPIs, exports); DatabaseReplicaMaxLag is how far behind it may be and still be
	// read (see store.UseReplica).
	DatabaseReplicaURL    string        `env:"DATABASE_REPLICA_URL"`
	DatabaseReplicaMaxLag time.Duration `env:"DATABASE_REPLICA_MAX_LAG" envDefault:"5s"`

	RedisURL string `env:"REDIS_URL"`
	// Redis Sentinel or Cluster instead of REDIS_URL: REDIS_ADDRS lists host:port pairs (the
	// sentinels with REDIS_SENTINEL_MASTER, cluster nodes otherwise; several addresses without a
	// master name, or REDIS_CLUSTER, mean a cluster). See redisconn.
	RedisAddrs            []string `env:"REDIS_ADDRS" envSeparator:","`
	RedisSentinelMaster   string   `env:"REDIS_SENTINEL_MASTER"`
	RedisCluster          bool     `env:"REDIS_CLUSTER" envDefault:"false"`
	RedisUsername         string   `env:"REDIS_USERNAME"`
	RedisPassword         string   `env:"REDIS_PASSWORD"`
	RedisSentinelUsername string   `env:"REDIS_SENTINEL_USERNAME"`
	RedisSentinelPassword string   `env:"REDIS_SENTINEL_PASSWORD"`
	RedisDB               int      `env:"REDIS_DB" envDefault:"0"`
	// RateLimitKeyPrefix starts the Redis keys of rate limits and connection caps, so
	// deployments (or tests) sharing a Redis keep separate budgets.
	RateLimitKeyPrefix string `env:"RATE_LIMIT_KEY_PREFIX" envDefault:"skillswap:"`

	TypesenseURL              string `env:"TYPESENSE_URL"`
	TypesenseAPIKey           string `env:"TYPESENSE_API_KEY"`
	TypesenseCollectionPrefix string `env:"TYPESENSE_COLLECTION_PREFIX"`

	JWTIssuer       string        `env:"JWT_ISSUER" envDefault:"skillswap"`
	JWTAudience     string        `env:"JWT_AUDIENCE" envDefault:"skillswap-api"`
	JWTKeys         string        `env:"JWT_KEYS"`
	JWTActiveKeyID  string        `env:"JWT_ACTIVE_KEY_ID"`
	AccessTokenTTL  time.Duration `env:"ACCESS_TOKEN_TTL" envDefault:"15m"`
	RefreshTokenTTL time.Duration `env:"REFRESH_TOKEN_TTL" envDefault:"720h"`
	SessionMaxAge   time.Duration `env:"SESSION_MAX_AGE" envDefault:"2160h"`
	RefreshGrace    time.Duration `env:"REFRESH_REUSE_GRACE" envDefault:"10s"`
	SessionCacheTTL time.Duration `env:"SESSION_CACHE_TTL" envDefault:"5s"`
	PasswordMemKiB  uint32        `env:"PASSWORD_HASH_MEMORY_KIB" envDefault:"19456"`
	PasswordIters   uint32        `env:"PASSWORD_HASH_ITERATIONS" envDefault:"2"`
	// Email verification and password recovery: how long an emailed code or link works, and
	// what members whose email is not verified may do (a list of MESSAGE, BOOK; empty: neither).
	EmailVerificationTTL time.Duration `env:"EMAIL_VERIFICATION_TTL" envDefault:"24h"`
	ResetTokenTTL        time.Duration `env:"RESET_TOKEN_TTL" envDefault:"20m"`
	UnverifiedMay        string        `env:"UNVERIFIED_MAY" envDefault:""`
	// AccountEmailUndoWindow: how long the old address of a confirmed email change may undo it
	// with the link of its notice.
	AccountEmailUndoWindow time.Duration `env:"ACCOUNT_EMAIL_UNDO_WINDOW" envDefault:"72h"`
	// TermsVersion and PrivacyPolicyVersion are the current versions of the legal documents:
	// members must accept them (signUp, acceptPolicies) before gated actions (messaging,
	// booking); publishing a new version asks every member again. Empty: not required.
	TermsVersion         string `env:"TERMS_VERSION" envDefault:"2026-01-01"`
	PrivacyPolicyVersion string `env:"PRIVACY_POLICY_VERSION" envDefault:"2026-01-01"`
	// ExportLinkTTL: how long a data export can be downloaded through its emailed link; the
	// archive is deleted then.
	ExportLinkTTL time.Duration `env:"EXPORT_LINK_TTL" envDefault:"72h"`
	// RecentAuthMaxAge: sensitive operations (second factor, and later password, email,
	// passkeys...) need a log-in or reauthenticate this recent.
	RecentAuthMaxAge time.Duration `env:"RECENT_AUTH_MAX_AGE" envDefault:"10m"`
	// AccountDeletionGrace: the time between deleteAccount and the erasure (14 days); signing in
	// again within it cancels the deletion.
	AccountDeletionGrace time.Duration `env:"ACCOUNT_DELETION_GRACE" envDefault:"336h"`
	// MFAEncryptionKey (base64 of 32 random bytes) encrypts TOTP secrets at rest; make run
	// writes a development one, production requires it, unset elsewhere a random key lives for
	// the process only.
	MFAEncryptionKey string `env:"MFA_ENCRYPTION_KEY"`
	// DataEncryptionKeys is the keyring that encrypts sensitive columns (package sealbox):
	// comma-separated "kid:base64key" entries of 32 bytes each. MFA_ENCRYPTION_KEY, when set,
	// joins it under the id "legacy" (what TOTP secrets were sealed with before keyrings).
	DataEncryptionKeys string `env:"DATA_ENCRYPTION_KEYS"`
	// DataEncryptionPrimary is the key id new values are sealed with (default: the only key of
	// DATA_ENCRYPTION_KEYS, else "legacy"); `skillswap rekey` and the daily rekey job move the
	// others to it.
	DataEncryptionPrimary string `env:"DATA_ENCRYPTION_PRIMARY"`

	// Retention (package retention): how long records past their use are kept before the
	// hourly job deletes (or, for IP addresses, clears) them.
	RetentionInterval      time.Duration `env:"RETENTION_INTERVAL" envDefault:"1h"`
	AuthSessionRetention   time.Duration `env:"AUTH_SESSION_RETENTION" envDefault:"720h"`
	AccountTokenRetention  time.Duration `env:"ACCOUNT_TOKEN_RETENTION" envDefault:"168h"`
	NotificationRetention  time.Duration `env:"NOTIFICATION_RETENTION" envDefault:"4320h"`
	WebhookEventRetention  time.Duration `env:"WEBHOOK_EVENT_RETENTION" envDefault:"720h"`
	IPRetention            time.Duration `env:"IP_RETENTION" envDefault:"2160h"`
	SignInHistoryRetention time.Duration `env:"SIGN_IN_HISTORY_RETENTION" envDefault:"2160h"`
	// NPSRetention: NPS answers and dismissals (with their comments) are deleted this long after
	// they were given; two years covers the KPI query's longest range (104 weeks).
	NPSRetention time.Duration `env:"NPS_RETENTION" envDefault:"17520h"`
	// ModerationEvidenceRetention: a decided case's reports (with their snapshots) and staff notes
	// are deleted this long after the decision, then the case itself unless a sanction cites it.
	ModerationEvidenceRetention time.Duration `env:"MODERATION_EVIDENCE_RETENTION" envDefault:"8760h"`
	// KPIRefreshInterval: how often the product KPIs by cohort are recomputed (package kpis);
	// the admin panel's figures are at most this old.
	KPIRefreshInterval time.Duration `env:"KPI_REFRESH_INTERVAL" envDefault:"1h"`
	// MFATicketTTL: how long a login waits for its second factor after the password.
	MFATicketTTL time.Duration `env:"MFA_TICKET_TTL" envDefault:"5m"`
	// StaffRequireMFA: staff roles count only with a second factor. Default true in
	// production, false in development (see profileDefaults).
	StaffRequireMFA bool `env:"STAFF_REQUIRE_MFA"`

	// Rate limits: held in Redis (shared by every instance) when REDIS_URL is set, in memory
	// otherwise. Failed log-ins count per email and network (tight) and per email over all
	// networks (loose; past it only networks the account signed in from may try).
	RateLogInAccount   Rate `env:"RATE_LOGIN_PER_ACCOUNT" envDefault:"50/15m"`
	RateLogInAccountIP Rate `env:"RATE_LOGIN_PER_ACCOUNT_IP" envDefault:"10/15m"`
	RateLogInIP        Rate `env:"RATE_LOGIN_PER_IP" envDefault:"100/15m"`
	RateSignUpIP       Rate `env:"RATE_SIGNUP_PER_IP" envDefault:"20/1h"`
	RateRefreshIP      Rate `env:"RATE_REFRESH_PER_IP" envDefault:"600/1h"`
	// Verification emails a member may ask for; password reset requests per client network, and
	// reset emails per address (past that, requests are answered alike and send nothing).
	RateVerificationEmailUser Rate `env:"RATE_VERIFICATION_EMAIL_PER_USER" envDefault:"5/1h"`
	RatePasswordResetIP       Rate `env:"RATE_PASSWORD_RESET_PER_IP" envDefault:"20/1h"`
	RatePasswordResetEmail    Rate `env:"RATE_PASSWORD_RESET_PER_EMAIL" envDefault:"3/1h"`
	RateMessagesUser          Rate `env:"RATE_MESSAGES_PER_USER" envDefault:"120/1m"`
	// Conversations a member opens (new direct conversations and groups), and the stricter
	// budget of accounts younger than NewAccountAge (spam and scam accounts are new accounts).
	RateConversationsUser       Rate          `env:"RATE_CONVERSATIONS_PER_USER" envDefault:"50/24h"`
	RateConversationsNewAccount Rate          `env:"RATE_CONVERSATIONS_NEW_ACCOUNT" envDefault:"10/24h"`
	NewAccountAge               time.Duration `env:"NEW_ACCOUNT_AGE" envDefault:"168h"`
	// ModerationHideReporters: distinct members reporting one message that hide it from
	// everyone but its sender and staff until moderators decide (0: never).
	ModerationHideReporters int `env:"MODERATION_HIDE_MESSAGE_REPORTERS" envDefault:"3"`
	// Wrong second-factor codes per member; past it, half-finished logins end.
	RateMFACodesUser Rate `env:"RATE_MFA_CODES_PER_USER" envDefault:"5/15m"`
	// Email change requests per member, and code emails sent to one new address (past that,
	// requests are answered alike and send nothing).
	RateEmailChangeUser    Rate `env:"RATE_EMAIL_CHANGE_PER_USER" envDefault:"5/1h"`
	RateEmailChangeAddress Rate `env:"RATE_EMAIL_CHANGE_PER_ADDRESS" envDefault:"3/1h"`
	// OIDCProviders are the OpenID Connect providers members may sign in with (JSON list, see
	// OIDCProvider); none by default.
	OIDCProviders OIDCProviders `env:"OIDC_PROVIDERS"`
	// OIDCJWKSMinInterval is the least time between two fetches of one provider's key set: a
	// token with an unknown key id makes go-oidc refetch it, and a flood of them must not make us
	// hammer the provider (keys are published well before they sign anything).
	OIDCJWKSMinInterval time.Duration `env:"OIDC_JWKS_MIN_INTERVAL" envDefault:"30s"`
	// WebAuthnRPID is the passkeys' relying-party id: a domain, the host of the origins or a
	// parent of it (default: PUBLIC_URL's host). Passkeys are bound to it: changing it later
	// orphans every registered passkey.
	WebAuthnRPID string `env:"WEBAUTHN_RP_ID"`
	// WebAuthnRPName is the name authenticators show when a passkey is created.
	WebAuthnRPName string `env:"WEBAUTHN_RP_NAME" envDefault:"SkillSwap"`
	// WebAuthnOrigins are the origins passkey ceremonies may come from: web origins
	// (https://host[:port], under WebAuthnRPID) and Android apps (android:apk-key-hash:<base64url
	// SHA-256 of the signing certificate>). Default: PUBLIC_URL's origin.
	WebAuthnOrigins []string `env:"WEBAUTHN_ORIGINS" envSeparator:","`
	// Complexity points (as MAX_COMPLEXITY counts them) a member, or a signed-out client
	// network, may spend on operations.
	RateComplexityUser Rate `env:"RATE_COMPLEXITY_PER_USER" envDefault:"120000/1m"`
	RateComplexityIP   Rate `env:"RATE_COMPLEXITY_PER_IP" envDefault:"60000/1m"`

	OperationTimeout time.Duration `env:"OPERATION_TIMEOUT" envDefault:"10s"`
	MaxBodyBytes     int64         `env:"MAX_BODY_BYTES" envDefault:"262144"`
	MaxQueryDepth    int           `env:"MAX_QUERY_DEPTH" envDefault:"15"`
	MaxAliases       int           `env:"MAX_ALIASES" envDefault:"30"`
	MaxTokens        int           `env:"MAX_QUERY_TOKENS" envDefault:"5000"`
	MaxQueryBytes    int           `env:"MAX_QUERY_BYTES" envDefault:"131072"`
	// MaxComplexity: about one point per field of every item a list may return (resolvers/complexity.go).
	MaxComplexity int `env:"MAX_COMPLEXITY" envDefault:"10000"`
	// MaxResponseBytes bounds one GraphQL response (one subscription event): a bigger one is
	// stopped while it is built and answered with RESPONSE_TOO_LARGE. 0 disables the bound.
	MaxResponseBytes int64 `env:"MAX_RESPONSE_BYTES" envDefault:"4194304"`
	// Expensive work (a document not seen before, an operation of HEAVY_OPERATION_COMPLEXITY or
	// more, introspection) runs in a lane of HEAVY_OPERATION_SLOTS at once (0: half the CPUs, at
	// least 1), so it never takes every core from cheap operations; at most HEAVY_OPERATION_QUEUE
	// wait, each at most HEAVY_OPERATION_WAIT, before SERVICE_UNAVAILABLE. An operation over
	// the complexity whose document was answered before is expensive only if, at the most bytes
	// per complexity point its answers produced, it promises HEAVY_OPERATION_BYTES or more.
	HeavyOperationSlots      int           `env:"HEAVY_OPERATION_SLOTS" envDefault:"0"`
	HeavyOperationQueue      int           `env:"HEAVY_OPERATION_QUEUE" envDefault:"64"`
	HeavyOperationWait       time.Duration `env:"HEAVY_OPERATION_WAIT" envDefault:"2s"`
	HeavyOperationComplexity int           `env:"HEAVY_OPERATION_COMPLEXITY" envDefault:"1000"`
	HeavyOperationBytes      int           `env:"HEAVY_OPERATION_BYTES" envDefault:"65536"`
	// Introspection, Playground and FieldSuggestions default to on in development and off in
	// production (see profileDefaults); setting the variable wins either way.
	Introspection    bool          `env:"INTROSPECTION"`
	Playground       bool          `env:"PLAYGROUND"`
	FieldSuggestions bool          `env:"FIELD_SUGGESTIONS"`
	DataloaderWait   time.Duration `env:"DATALOADER_WAIT" envDefault:"2ms"`

	WSInitTimeout     time.Duration `env:"WS_INIT_TIMEOUT" envDefault:"3s"`
	WSPingInterval    time.Duration `env:"WS_PING_INTERVAL" envDefault:"25s"`
	WSReadLimitBytes  int64         `env:"WS_READ_LIMIT_BYTES" envDefault:"65536"`
	WSMaxSubsPerConn  int           `env:"WS_MAX_SUBSCRIPTIONS_PER_CONNECTION" envDefault:"100"`
	WSMaxMsgPerMinute int           `env:"WS_MAX_MESSAGES_PER_MINUTE" envDefault:"600"`
	// Open WebSocket connections per member and per client network, over all instances when
	// REDIS_URL is set (0: no cap).
	WSMaxConnsPerUser int `env:"WS_MAX_CONNECTIONS_PER_USER" envDefault:"10"`
	WSMaxConnsPerIP   int `env:"WS_MAX_CONNECTIONS_PER_IP" envDefault:"50"`

	// ChatAwayAfter: a participant who has not read a conversation for this long is notified of
	// new messages there (NEW_MESSAGE).
	ChatAwayAfter time.Duration `env:"CHAT_AWAY_AFTER" envDefault:"2m"`
	// ChatResyncInterval makes every live messageAdded stream re-read PostgreSQL this often, to
	// bound the delay of a message whose Redis wake-up was lost; 0 relies on wake-ups and on
	// clients resubscribing with afterSeq (one query per stream per interval otherwise).
	ChatResyncInterval time.Duration `env:"CHAT_RESYNC_INTERVAL" envDefault:"0s"`

	SMTPAddr     string `env:"SMTP_ADDR"`
	SMTPFrom     string `env:"SMTP_FROM" envDefault:"SkillSwap <no-reply@skillswap.local>"`
	SMTPUsername string `env:"SMTP_USERNAME"`
	SMTPPassword string `env:"SMTP_PASSWORD"`
	SMTPStartTLS bool   `env:"SMTP_STARTTLS" envDefault:"false"`

	// Push through Expo's push service. ExpoPushURL empty leaves push off (devices may still
	// register); production sets https://exp.host. ExpoAccessToken is needed when the Expo
	// project enables enhanced push security.
	ExpoPushURL     string `env:"EXPO_PUSH_URL"`
	ExpoAccessToken string `env:"EXPO_ACCESS_TOKEN"`
	// PushMaxPerSecond caps the notifications sent to Expo in any one second, across every
	// instance (shared through Redis when REDIS_URL is set); Expo allows 600 per project.
	PushMaxPerSecond int `env:"PUSH_MAX_PER_SECOND" envDefault:"600"`
	// PushMaxDevices caps the devices registered per member.
	PushMaxDevices int `env:"PUSH_MAX_DEVICES" envDefault:"10"`
	// DigestInterval is how often the digest run looks for members whose digest is due: a
	// digest goes out at most this late after its local time.
	DigestInterval time.Duration `env:"DIGEST_INTERVAL" envDefault:"1m"`

	// Skill sessions and time credits (minutes).
	CreditStarterMinutes     int64           `env:"CREDIT_STARTER_MINUTES" envDefault:"120"`
	CreditFloorMinutes       int64           `env:"CREDIT_FLOOR_MINUTES" envDefault:"0"`
	SessionMinNotice         time.Duration   `env:"SESSION_MIN_NOTICE" envDefault:"1h"`
	SessionMaxDuration       time.Duration   `env:"SESSION_MAX_DURATION" envDefault:"4h"`
	SessionLateCancelCutoff  time.Duration   `env:"SESSION_LATE_CANCEL_CUTOFF" envDefault:"24h"`
	SessionAutoCompleteAfter time.Duration   `env:"SESSION_AUTO_COMPLETE_AFTER" envDefault:"48h"`
	SessionBuffer            time.Duration   `env:"SESSION_BUFFER" envDefault:"15m"`
	SessionReminders         []time.Duration `env:"SESSION_REMINDERS" envSeparator:"," envDefault:"24h,1h"`

	// Paid mentoring (Stripe). Without STRIPE_SECRET_KEY paid features answer UNAVAILABLE and
	// everything else works; without STRIPE_WEBHOOK_SECRET /webhooks/stripe answers 503.
	StripeSecretKey     string `env:"STRIPE_SECRET_KEY"`
	StripeWebhookSecret string `env:"STRIPE_WEBHOOK_SECRET"`
	// StripeAPIBase overrides https://api.stripe.com (tests point it at stripe-mock).
	StripeAPIBase string `env:"STRIPE_API_BASE"`
	// PlatformFeePercent is the platform's share of each paid session (0..100).
	PlatformFeePercent float64 `env:"PLATFORM_FEE_PERCENT" envDefault:"10"`
	// LateCancelFeePercent is what a learner pays of a paid session they cancel, confirmed,
	// inside the late-cancellation cut-off (0..100; 0: nothing).
	LateCancelFeePercent float64 `env:"LATE_CANCEL_FEE_PERCENT" envDefault:"50"`
	// NoShowContestWindow is how long a member reported absent from a paid session may
	// contest the report before it is upheld (a policy knob: support may want longer over
	// holidays). The capture deadline is not configurable: Stripe's 7-day authorisation
	// expiry fixes it.
	NoShowContestWindow time.Duration `env:"NO_SHOW_CONTEST_WINDOW" envDefault:"48h"`

	// AppleAppIDs are the iOS apps (<team id>.<bundle id>) that open PUBLIC_URL's account links
	// and share its passkeys: served in /.well-known/apple-app-site-association.
	AppleAppIDs []string `env:"APPLE_APP_IDS" envSeparator:","`
	// AndroidApps are the Android apps (<package>=<SHA-256 signing certificate fingerprint>) that
	// do the same: served in /.well-known/assetlinks.json.
	AndroidApps []string `env:"ANDROID_APPS" envSeparator:","`
}

// OIDCProvider is one OpenID Connect provider members may sign in with (an entry of OIDC_PROVIDERS).
type OIDCProvider struct {
	// Name is what the app sends as `provider` (for example "google", "apple").
	Name string `json:"name"`
	// Issuer is the provider's issuer URL; its discovery document is at
	// <issuer>/.well-known/openid-configuration.
	Issuer string `json:"issuer"`
	// ClientIDs are the accepted audiences of its ID tokens (the app's client ids: iOS, Android, web).
	ClientIDs []string `json:"clientIds"`
	// HashedNonce also accepts an ID token whose nonce claim is the hex SHA-256 of the nonce the
	// app sends (what Sign in with Apple puts there); nil means true for Apple's issuer only.
	HashedNonce *bool `json:"hashedNonce,omitempty"`
}

// OIDCProviders is the JSON list of OIDC_PROVIDERS.
type OIDCProviders []OIDCProvider

// UnmarshalText parses and checks the JSON list.
func (p *OIDCProviders) UnmarshalText(b []byte) error {
	var list []OIDCProvider
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return fmt.Errorf("OIDC_PROVIDERS: want a JSON list of {name, issuer, clientIds}: %w", err)
	}
	if len(list) > 10 { // identities.MaxProviders: the API prices lists of providers with it
		return fmt.Errorf("OIDC_PROVIDERS: at most 10 providers")
	}
	seen := map[string]bool{}
	for i, pr := range list {
		switch {
		case pr.Name == "" || len(pr.Name) > 40:
			return fmt.Errorf("OIDC_PROVIDERS[%d]: name is required (at most 40 characters)", i)
		case seen[pr.Name]:
			return fmt.Errorf("OIDC_PROVIDERS[%d]: name %q is used twice", i, pr.Name)
		case pr.Issuer == "":
			return fmt.Errorf("OIDC_PROVIDERS[%d] (%s): issuer is required", i, pr.Name)
		case len(pr.ClientIDs) == 0:
			return fmt.Errorf("OIDC_PROVIDERS[%d] (%s): clientIds must list at least one accepted audience", i, pr.Name)
		}
		if u, err := url.Parse(pr.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("OIDC_PROVIDERS[%d] (%s): issuer %q is not an http(s) URL", i, pr.Name, pr.Issuer)
		}
		seen[pr.Name] = true
	}
	*p = list
	return nil
}

// AndroidOriginPrefix starts the origin of a passkey ceremony made by an Android app: the rest
// is the unpadded base64url SHA-256 of the app's signing certificate.
const AndroidOriginPrefix = "android:apk-key-hash:"

// webauthnSettings fills the passkey settings' defaults from PUBLIC_URL and checks them, so a
// relying-party id or origin that could never complete a ceremony stops the server at start.
func (c *Config) webauthnSettings() error {
	public, err := url.Parse(c.PublicURL)
	if err != nil || public.Host == "" {
		return fmt.Errorf("PUBLIC_URL %q is not an absolute URL (it gives WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS their defaults)", c.PublicURL)
	}
	c.WebAuthnRPID = strings.ToLower(strings.TrimSpace(c.WebAuthnRPID))
	explicitRP := c.WebAuthnRPID != ""
	if !explicitRP {
		c.WebAuthnRPID = strings.ToLower(public.Hostname())
	}
	rpID := c.WebAuthnRPID
	if strings.ContainsAny(rpID, ":/ ") || strings.HasPrefix(rpID, ".") || strings.HasSuffix(rpID, ".") {
		return fmt.Errorf("WEBAUTHN_RP_ID %q must be a bare domain such as example.com (no scheme, port or path)", rpID)
	}
	if ip := net.ParseIP(rpID); ip != nil && explicitRP {
		// Derived from a development PUBLIC_URL such as http://192.168.1.5:8080, it is kept:
		// the server starts, passkeys just do not work there.
		return fmt.Errorf("WEBAUTHN_RP_ID %q is an IP address: browsers accept only a domain (use localhost for local work)", rpID)
	}
	c.WebAuthnRPName = strings.TrimSpace(c.WebAuthnRPName)
	if c.WebAuthnRPName == "" {
		return errors.New("WEBAUTHN_RP_NAME must not be empty (authenticators show it)")
	}
	var origins []string
	for _, o := range c.WebAuthnOrigins {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	if len(origins) == 0 {
		origins = []string{public.Scheme + "://" + public.Host}
	}
	for i, o := range origins {
		if hash, ok := strings.CutPrefix(o, AndroidOriginPrefix); ok {
			if sum, err := base64.RawURLEncoding.DecodeString(hash); err != nil || len(sum) != sha256.Size {
				return fmt.Errorf("WEBAUTHN_ORIGINS: %q: an Android origin is %s followed by the unpadded base64url SHA-256 of the app's signing certificate (43 characters)", o, AndroidOriginPrefix)
			}
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("WEBAUTHN_ORIGINS: %q is neither an origin such as https://app.example.com nor %s<hash>", o, AndroidOriginPrefix)
		}
		host := strings.ToLower(u.Hostname())
		if host != rpID && !strings.HasSuffix(host, "."+rpID) {
			return fmt.Errorf("WEBAUTHN_ORIGINS: %q is not on WEBAUTHN_RP_ID %q (its host must be it or a subdomain of it)", o, rpID)
		}
		origins[i] = strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
	}
	c.WebAuthnOrigins = origins
	return nil
}

// Rate is "N/duration", e.g. "10/15m": N attempts per duration.
type Rate struct {
	Tokens   uint64
	Interval time.Duration
}

// UnmarshalText parses "N/duration".
func (r *Rate) UnmarshalText(b []byte) error {
	n, d, ok := strings.Cut(string(b), "/")
	if !ok {
		return fmt.Errorf("rate %q: want N/duration such as 10/15m", b)
	}
	tokens, err := strconv.ParseUint(n, 10, 64)
	if err != nil || tokens == 0 || tokens > 1<<31-1 {
		return fmt.Errorf("rate %q: N must be a positive integer below 2^31", b)
	}
	interval, err := time.ParseDuration(d)
	if err != nil || interval <= 0 {
		return fmt.Errorf("rate %q: bad duration", b)
	}
	r.Tokens, r.Interval = tokens, interval
	return nil
}

// Production reports whether APP_ENV is production (stricter checks at start).
func (c Config) Production() bool { return c.Env == "production" }

// Redis says where Redis is (REDIS_URL, or REDIS_ADDRS for Sentinel and Cluster); its Enabled
// is false when neither is set, and every Redis user then works in process.
func (c Config) Redis() redisconn.Config {
	return redisconn.Config{
		URL: c.RedisURL, Addrs: c.RedisAddrs, SentinelMaster: c.RedisSentinelMaster, Cluster: c.RedisCluster,
		Username: c.RedisUsername, Password: c.RedisPassword,
		SentinelUsername: c.RedisSentinelUsername, SentinelPassword: c.RedisSentinelPassword, DB: c.RedisDB,
	}
}

// Load reads the environment and validates the result.
func Load() (Config, error) { return LoadFrom(env.ToMap(os.Environ())) }

// LoadFrom reads the configuration from environ (variable name to value) and validates it.
func LoadFrom(environ map[string]string) (Config, error) {
	c, err := env.ParseAsWithOptions[Config](env.Options{Environment: environ})
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	c.profileDefaults(environ)
	if len(c.CORSAllowedOrigins) == 1 && strings.EqualFold(strings.TrimSpace(c.CORSAllowedOrigins[0]), "none") {
		c.CORSAllowedOrigins = nil // an API without browser clients
	}
	if c.PlatformFeePercent < 0 || c.PlatformFeePercent > 100 {
		return c, errors.New("config: PLATFORM_FEE_PERCENT must be between 0 and 100")
	}
	if c.LateCancelFeePercent < 0 || c.LateCancelFeePercent > 100 {
		return c, errors.New("config: LATE_CANCEL_FEE_PERCENT must be between 0 and 100")
	}
	if c.NoShowContestWindow < time.Hour {
		return c, errors.New("config: NO_SHOW_CONTEST_WINDOW must be at least 1h")
	}
	if c.RateComplexityUser.Tokens < uint64(max(c.MaxComplexity, 0)) || c.RateComplexityIP.Tokens < uint64(max(c.MaxComplexity, 0)) {
		// An operation the complexity limit accepts must fit in a whole budget.
		return c, errors.New("config: RATE_COMPLEXITY_PER_USER and RATE_COMPLEXITY_PER_IP must allow at least MAX_COMPLEXITY points per period")
	}
	if c.WSMaxConnsPerUser < 0 || c.WSMaxConnsPerIP < 0 {
		return c, errors.New("config: WS_MAX_CONNECTIONS_PER_USER and WS_MAX_CONNECTIONS_PER_IP must not be negative (0: no cap)")
	}
	if c.DatabaseURL == "" {
		return c, errors.New("config: DATABASE_URL is required (make run sets it for the local cluster)")
	}
	if c.DatabaseReplicaURL != "" && c.DatabaseReplicaMaxLag <= 0 {
		return c, errors.New("config: DATABASE_REPLICA_MAX_LAG must be positive")
	}
	if err := c.Redis().Validate(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if c.SessionMinNotice < 0 || c.SessionMaxDuration <= 0 || c.SessionMaxDuration > 12*time.Hour ||
		c.SessionLateCancelCutoff < 0 || c.SessionAutoCompleteAfter <= 0 || c.SessionBuffer < 0 || c.CreditStarterMinutes < 0 {
		// The database caps a session at 12 hours; the others would make the rules meaningless.
		return c, errors.New("config: SESSION_* durations must be positive (SESSION_MAX_DURATION at most 12h) and CREDIT_STARTER_MINUTES not negative")
	}
	if c.ShutdownDrainDelay < 0 || c.ShutdownTimeout <= 0 {
		return c, errors.New("config: SHUTDOWN_DRAIN_DELAY must not be negative and SHUTDOWN_TIMEOUT must be positive")
	}
	if _, _, err := c.DataKeyring(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if c.RetentionInterval <= 0 || c.AuthSessionRetention < 0 || c.AccountTokenRetention < 0 ||
		c.NotificationRetention < 0 || c.WebhookEventRetention < 0 || c.IPRetention < 0 || c.SignInHistoryRetention < 0 ||
		c.NPSRetention < 0 || c.ModerationEvidenceRetention < 0 {
		return c, errors.New("config: RETENTION_INTERVAL must be positive and the *_RETENTION durations not negative")
	}
	if c.PushMaxPerSecond < 2 || c.PushMaxPerSecond > 600 || c.PushMaxDevices < 1 || c.PushMaxDevices > 100 {
		return c, errors.New("config: PUSH_MAX_PER_SECOND must be within 2..600 (Expo's limit) and PUSH_MAX_DEVICES within 1..100")
	}
	if c.DigestInterval < time.Second {
		return c, errors.New("config: DIGEST_INTERVAL must be at least 1s")
	}
	if c.KPIRefreshInterval <= 0 {
		return c, errors.New("config: KPI_REFRESH_INTERVAL must be positive")
	}
	if c.HeavyOperationSlots < 0 || c.HeavyOperationQueue < 0 || c.HeavyOperationWait <= 0 ||
		c.HeavyOperationComplexity < 1 || c.HeavyOperationBytes < 0 {
		// A negative slot count would make a lane that admits nothing; a negative byte bound would
		// quietly make every operation over the complexity expensive.
		return c, errors.New("config: HEAVY_OPERATION_SLOTS, HEAVY_OPERATION_QUEUE and HEAVY_OPERATION_BYTES must not be negative, " +
			"HEAVY_OPERATION_WAIT must be positive and HEAVY_OPERATION_COMPLEXITY at least 1")
	}
	if c.WebhookEventRetention < 72*time.Hour {
		// Stripe redelivers an event for up to three days: its id must be remembered that long.
		return c, errors.New("config: WEBHOOK_EVENT_RETENTION must be at least 72h (Stripe retries an event for up to three days)")
	}
	if err := c.webauthnSettings(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if c.Production() {
		if problems := c.unsafeForProduction(); len(problems) > 0 {
			return c, fmt.Errorf("config: APP_ENV=production refuses to start with unsafe settings: %s", strings.Join(problems, "; "))
		}
	}
	return c, nil
}

// profileDefaults fills the settings whose default depends on APP_ENV, when their variable is
// unset (or empty): production is closed unless opened explicitly.
func (c *Config) profileDefaults(environ map[string]string) {
	unset := func(name string) bool { return strings.TrimSpace(environ[name]) == "" }
	dev := !c.Production()
	if unset("INTROSPECTION") {
		c.Introspection = dev
	}
	if unset("PLAYGROUND") {
		c.Playground = dev
	}
	if unset("FIELD_SUGGESTIONS") {
		c.FieldSuggestions = dev
	}
	if unset("STAFF_REQUIRE_MFA") {
		c.StaffRequireMFA = !dev
	}
	if unset("SHUTDOWN_DRAIN_DELAY") {
		c.ShutdownDrainDelay = 0
		if !dev {
			c.ShutdownDrainDelay = ProductionDrainDelay
		}
	}
}

// ProductionDrainDelay is SHUTDOWN_DRAIN_DELAY's default in production: a few periods of a
// typical readiness probe (Kubernetes probes every 10 s by default but endpoints controllers
// and cloud load balancers react within seconds of the first failure).
const ProductionDrainDelay = 5 * time.Second

// MinJWTSecretBytes is the shortest HS256 secret production accepts (RFC 7518 §3.2: a key of at
// least the hash's size, 256 bits).
const MinJWTSecretBytes = 32

// unsafeForProduction lists, each with what to set instead, the settings a production
// deployment must not run with.
func (c Config) unsafeForProduction() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	keys, err := ParseJWTKeys(c.JWTKeys)
	switch {
	case err != nil:
		add("JWT_KEYS: %v", err)
	case len(keys) == 0:
		add("JWT_KEYS is not set: set it to kid:base64secret with at least %d random bytes (e.g. prod-1:$(head -c 32 /dev/urandom | base64))", MinJWTSecretBytes)
	default:
		for _, k := range keys {
			if len(k.Secret) < MinJWTSecretBytes {
				add("JWT_KEYS: key %q has %d bytes: use at least %d random bytes (head -c 32 /dev/urandom | base64)", k.ID, len(k.Secret), MinJWTSecretBytes)
			}
			if developmentKeyID(k.ID) {
				add("JWT_KEYS: key %q is a development or test key (make run writes kid \"dev\"): generate a production key with its own id, e.g. prod-1", k.ID)
			}
		}
	}

	if _, err := ParseMFAKey(c.MFAEncryptionKey); err != nil {
		add("MFA_ENCRYPTION_KEY: %v", err)
	} else if _, keys, err := c.DataKeyring(); err == nil && len(keys) == 0 {
		add("DATA_ENCRYPTION_KEYS is not set: set it to kid:base64key with 32 random bytes (e.g. prod-1:$(head -c 32 /dev/urandom | base64)); TOTP secrets and other sensitive columns are encrypted with it (MFA_ENCRYPTION_KEY alone is accepted too, for deployments older than keyrings)")
	} else if err == nil {
		for kid := range keys {
			if developmentKeyID(kid) {
				add("DATA_ENCRYPTION_KEYS: key %q is a development or test key: generate a production key with its own id, e.g. prod-1", kid)
			}
		}
	}

	if u, err := url.Parse(c.PublicURL); err != nil || u.Scheme != "https" || u.Host == "" {
		add("PUBLIC_URL is %q: set it to the public https:// URL of the API (it is in calendar feed links)", c.PublicURL)
	} else if localHost(u.Hostname()) {
		add("PUBLIC_URL is %q: set it to the public https:// URL of the API, not a local one", c.PublicURL)
	}

	for _, o := range c.WebAuthnOrigins {
		if strings.HasPrefix(o, "http://") {
			add("WEBAUTHN_ORIGINS has %q: passkey origins must be https:// (browsers allow http on localhost only)", o)
		}
	}
	for _, p := range c.OIDCProviders {
		// Keys and discovery over plain HTTP could be swapped on the way: anyone could sign in.
		if !strings.HasPrefix(p.Issuer, "https://") {
			add("OIDC_PROVIDERS: provider %q has issuer %q: a provider's issuer must be an https:// URL", p.Name, p.Issuer)
		}
	}

	if len(c.CORSAllowedOrigins) > 0 {
		local := true
		for _, o := range c.CORSAllowedOrigins {
			u, err := url.Parse(strings.TrimSpace(o))
			switch {
			case o == "*" || strings.Contains(o, "*"):
				add("CORS_ALLOWED_ORIGINS contains a wildcard (%q): list the https origins of your web apps", o)
				local = false
			case err != nil || u.Host == "":
				add("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://app.example.com", o)
			case !localHost(u.Hostname()):
				local = false
				if u.Scheme != "https" {
					add("CORS_ALLOWED_ORIGINS: %q is not https: list https origins only", o)
				}
			}
		}
		if local {
			add("CORS_ALLOWED_ORIGINS allows only local origins (%s, the development default): set it to the https origins of your web apps, comma-separated, or to none for an API without browser clients",
				strings.Join(c.CORSAllowedOrigins, ","))
		}
	}

	if c.StripeSecretKey != "" && c.StripeWebhookSecret == "" {
		add("STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: set it to the endpoint's signing secret (whsec_...) from the Stripe dashboard, or payments never settle")
	}
	if c.SMTPAddr == "" {
		add("SMTP_ADDR is not set: verification codes, password resets and notices would only be logged, never sent; set it to your mail relay (host:port)")
	}
	if c.MetricsAddr == "" && c.MetricsToken == "" {
		add("/metrics would be public: set METRICS_ADDR to a private address (e.g. :9090, not exposed by the load balancer) or METRICS_TOKEN to a bearer token the scraper sends")
	}
	if c.PprofAddr != "" {
		if host, _, err := net.SplitHostPort(c.PprofAddr); err != nil || !loopback(host) {
			add("PPROF_ADDR is %q: bind the profiler to loopback only (e.g. 127.0.0.1:6060) or unset it", c.PprofAddr)
		}
	}
	return problems
}

// developmentKeyID reports the key ids development and tests sign with: "dev" (make run's key in
// .data/jwt-dev.key), "dev-ephemeral" (the random key used without JWT_KEYS) and test keys.
func developmentKeyID(kid string) bool {
	k := strings.ToLower(kid)
	return k == "dev" || k == "test" || strings.HasPrefix(k, "dev-") || strings.HasPrefix(k, "test-")
}

// localHost reports host names that only reach the machine itself.
func localHost(host string) bool {
	return strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") || loopback(host)
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SigningKey is one parsed entry of JWT_KEYS.
type SigningKey struct {
	ID     string
	Secret []byte
}

// ParseMFAKey parses MFA_ENCRYPTION_KEY; nil when unset.
func ParseMFAKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not base64")
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%d bytes: it must be 32 random bytes in base64", len(key))
	}
	return key, nil
}

// LegacyDataKeyID is the keyring id of MFA_ENCRYPTION_KEY (sealbox.LegacyKeyID).
const LegacyDataKeyID = "legacy"

// DataKeyring returns the keys of DATA_ENCRYPTION_KEYS plus MFA_ENCRYPTION_KEY (as
// LegacyDataKeyID), and the primary key id; no keys (and no error) when neither is set.
func (c Config) DataKeyring() (primary string, keys map[string][]byte, err error) {
	keys = map[string][]byte{}
	var ids []string
	for entry := range strings.SplitSeq(c.DataEncryptionKeys, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		kid, b64, ok := strings.Cut(entry, ":")
		switch {
		case !ok || !dataKeyID.MatchString(kid):
			return "", nil, fmt.Errorf("DATA_ENCRYPTION_KEYS entry %q: want kid:base64key, the kid of 1 to 32 letters, digits, '.', '_' or '-'", kid)
		case kid == LegacyDataKeyID || kid == "ephemeral":
			return "", nil, fmt.Errorf("DATA_ENCRYPTION_KEYS: the key id %q is reserved (MFA_ENCRYPTION_KEY is %q)", kid, LegacyDataKeyID)
		case keys[kid] != nil:
			return "", nil, fmt.Errorf("DATA_ENCRYPTION_KEYS: key id %q is used twice", kid)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			if key, err = base64.RawURLEncoding.DecodeString(b64); err != nil {
				return "", nil, fmt.Errorf("DATA_ENCRYPTION_KEYS entry %q: key is not base64", kid)
			}
		}
		if len(key) != 32 {
			return "", nil, fmt.Errorf("DATA_ENCRYPTION_KEYS entry %q: %d bytes, want 32 random bytes (head -c 32 /dev/urandom | base64)", kid, len(key))
		}
		keys[kid] = key
		ids = append(ids, kid)
	}
	legacy, err := ParseMFAKey(c.MFAEncryptionKey)
	if err != nil {
		return "", nil, fmt.Errorf("MFA_ENCRYPTION_KEY: %w", err)
	}
	if legacy != nil {
		keys[LegacyDataKeyID] = legacy
	}
	primary = strings.TrimSpace(c.DataEncryptionPrimary)
	switch {
	case primary != "":
		if keys[primary] == nil {
			return "", nil, fmt.Errorf("DATA_ENCRYPTION_PRIMARY is %q, which is not a key of DATA_ENCRYPTION_KEYS (nor %q, MFA_ENCRYPTION_KEY)", primary, LegacyDataKeyID)
		}
	case len(ids) == 1:
		primary = ids[0]
	case len(ids) > 1:
		return "", nil, errors.New("DATA_ENCRYPTION_KEYS holds several keys: set DATA_ENCRYPTION_PRIMARY to the one that encrypts new values")
	case legacy != nil:
		primary = LegacyDataKeyID
	default:
		return "", nil, nil
	}
	return primary, keys, nil
}

var dataKeyID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// ParseJWTKeys parses JWT_KEYS: comma-separated "kid:base64secret" entries.
func ParseJWTKeys(s string) ([]SigningKey, error) {
	var out []SigningKey
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		kid, b64, ok := strings.Cut(entry, ":")
		if !ok || kid == "" {
			return nil, fmt.Errorf("JWT_KEYS entry %q: want kid:base64secret", kid)
		}
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			if secret, err = base64.RawURLEncoding.DecodeString(b64); err != nil {
				return nil, fmt.Errorf("JWT_KEYS entry %q: secret is not base64", kid)
			}
		}
		out = append(out, SigningKey{ID: kid, Secret: secret})
	}
	return out, nil
}

// Defaults returns the configuration with every default and nothing read from the environment
// (tests start from it).
func Defaults() Config {
	c, err := env.ParseAsWithOptions[Config](env.Options{Environment: map[string]string{}})
	if err != nil {
		panic(fmt.Sprintf("config defaults must parse: %v", err))
	}
	c.profileDefaults(map[string]string{})
	if err := c.webauthnSettings(); err != nil {
		panic(fmt.Sprintf("config defaults must be valid: %v", err))
	}
	return c
}
