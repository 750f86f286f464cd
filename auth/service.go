// Package auth owns accounts and authentication: sign-up, log-in, access tokens (JWT), refresh
// tokens (opaque, rotated, single-use, reuse-detecting), logout, roles and the viewer in context.
//
// A login session is an AuthSession in every name here, never a bare "Session", so it is not
// taken for a skill session. Methods that act for a member take the domain.Actor right after the
// context; SignUp, LogIn, Refresh, LogOutByRefreshToken and Authenticate act for nobody (their
// credential is their argument). The viewer in the context (viewer.go) belongs to the transport:
// Authenticate yields it, the transport stores it, resolvers turn it into the Actor.
package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/sealbox"
	"github.com/skillswap/skillswap/store"
)

// Hub sends wake-ups to other instances and open sockets, and delivers them here (realtime.Hub).
type Hub interface {
	Publish(ctx context.Context, topic string, payload []byte) error
	// SubscribeFunc delivers a topic's wake-ups to fn (viewerUpdated).
	SubscribeFunc(ctx context.Context, topic string, fn func([]byte)) (release func(), err error)
}

// Config tunes sessions.
type Config struct {
	// RefreshTTL is how long an unused refresh token stays valid (idle timeout of a session).
	RefreshTTL time.Duration
	// AuthSessionMaxAge ends a session this long after sign-in, however active.
	AuthSessionMaxAge time.Duration
	// ReuseGrace is how long after a rotation the old refresh token is answered with CONFLICT
	// (a concurrent refresh lost the race) instead of being treated as stolen.
	ReuseGrace time.Duration
	// Limits throttle credential endpoints.
	Limits RateLimits
	// Limiter enforces Limits: ratelimit.Redis to share them across instances; nil keeps them
	// in this process's memory.
	Limiter ratelimit.Limiter
	// AuthSessionCacheTTL is how long an authenticated session is trusted without asking the
	// database again (0 disables the cache). Revocations evict at once through the broker; this
	// bounds the delay when a broker message is lost.
	AuthSessionCacheTTL time.Duration
	// PublicURL is the site links in emails point to (PUBLIC_URL); never a request's Host.
	PublicURL string
	// AppName signs account emails.
	AppName string
	// VerificationTTL is how long an email verification code and link work.
	VerificationTTL time.Duration
	// ResetTokenTTL is how long a password reset link works.
	ResetTokenTTL time.Duration
	// EmailUndoWindow is how long the old address of a confirmed email change may undo it
	// (ACCOUNT_EMAIL_UNDO_WINDOW).
	EmailUndoWindow time.Duration
	// RecentAuthMaxAge is how long after a log-in or reauthenticate sensitive operations
	// (RequireRecentAuth) are allowed.
	RecentAuthMaxAge time.Duration
	// Keys encrypt TOTP secrets at rest (package sealbox: DATA_ENCRYPTION_KEYS, with
	// MFA_ENCRYPTION_KEY as its "legacy" key). Nil: a random key for this process only
	// (development; secrets do not survive a restart).
	Keys *sealbox.Keyring
	// MFAIssuer names the service in authenticator apps.
	MFAIssuer string
	// MFATicketTTL is how long a half-finished login waits for its second factor.
	MFATicketTTL time.Duration
	// StaffRequireMFA makes staff roles count only for members with a second factor.
	StaffRequireMFA bool
	// TOTPNow is the clock of TOTP codes (tests move it to get a fresh code); nil: time.Now.
	TOTPNow func() time.Time
	// Now is the clock of sessions, refresh tokens, tickets and every other expiry the service
	// checks (tests move it past RefreshTTL or AuthSessionMaxAge); nil: time.Now. Give the
	// Tokens the same clock (TokenConfig.Now) so access tokens agree with it.
	Now func() time.Time
	// OnSignUp runs inside the sign-up transaction for every new account (search indexing, the
	// starter credits of the ledger): a failing hook rolls the account back.
	OnSignUp []SignUpHook
	// Legal are the current versions of the terms and of the privacy policy members must accept
	// (TERMS_VERSION, PRIVACY_POLICY_VERSION; see consent.go).
	Legal domain.LegalVersions
}

// SignUpHook is told, inside the sign-up transaction, that an account was created.
type SignUpHook func(ctx context.Context, q *store.Queries, userID uuid.UUID) error

// DefaultConfig is the production configuration.
var DefaultConfig = Config{
	RefreshTTL:          30 * 24 * time.Hour,
	AuthSessionMaxAge:   90 * 24 * time.Hour,
	ReuseGrace:          10 * time.Second,
	Limits:              DefaultRateLimits,
	AuthSessionCacheTTL: 5 * time.Second,
	PublicURL:           "http://localhost:8080",
	AppName:             "SkillSwap",
	VerificationTTL:     24 * time.Hour,
	ResetTokenTTL:       20 * time.Minute,
	EmailUndoWindow:     72 * time.Hour,
	RecentAuthMaxAge:    10 * time.Minute,
	MFAIssuer:           "SkillSwap",
	MFATicketTTL:        5 * time.Minute,
	StaffRequireMFA:     true,
}

// Service implements accounts and authentication.
type Service struct {
	store    *store.Store
	hasher   *Hasher
	tokens   *Tokens
	pub      Hub
	limiter  ratelimit.Limiter
	sessions *sessionCache
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	totpNow  func() time.Time
	keys     *sealbox.Keyring
}

// NewService wires the service.
func NewService(st *store.Store, hasher *Hasher, tokens *Tokens, pub Hub, cfg Config, log *slog.Logger) (*Service, error) {
	if cfg.VerificationTTL <= 0 {
		cfg.VerificationTTL = DefaultConfig.VerificationTTL
	}
	if cfg.ResetTokenTTL <= 0 {
		cfg.ResetTokenTTL = DefaultConfig.ResetTokenTTL
	}
	if cfg.EmailUndoWindow <= 0 {
		cfg.EmailUndoWindow = DefaultConfig.EmailUndoWindow
	}
	if cfg.AppName == "" {
		cfg.AppName = DefaultConfig.AppName
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = DefaultConfig.PublicURL
	}
	l := cfg.Limiter
	if l == nil {
		l = ratelimit.NewMemory(nil)
	}
	keys := cfg.Keys
	if keys == nil {
		var err error
		if keys, err = sealbox.Ephemeral(); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
	}
	if cfg.MFATicketTTL <= 0 {
		cfg.MFATicketTTL = DefaultConfig.MFATicketTTL
	}
	if cfg.RecentAuthMaxAge <= 0 {
		cfg.RecentAuthMaxAge = DefaultConfig.RecentAuthMaxAge
	}
	if cfg.MFAIssuer == "" {
		cfg.MFAIssuer = DefaultConfig.MFAIssuer
	}
	if cfg.Limits.MFACodeFailuresPerUser.Events == 0 {
		cfg.Limits.MFACodeFailuresPerUser = DefaultRateLimits.MFACodeFailuresPerUser
	}
	if cfg.Limits.EmailChangePerUser.Events == 0 {
		cfg.Limits.EmailChangePerUser = DefaultRateLimits.EmailChangePerUser
	}
	if cfg.Limits.EmailChangePerAddress.Events == 0 {
		cfg.Limits.EmailChangePerAddress = DefaultRateLimits.EmailChangePerAddress
	}
	totpNow := cfg.TOTPNow
	if totpNow == nil {
		totpNow = time.Now
	}
	clock := cfg.Now
	if clock == nil {
		clock = time.Now
	}
	return &Service{store: st, hasher: hasher, tokens: tokens, pub: pub, limiter: l, cfg: cfg, log: log,
		sessions: newSessionCache(cfg.AuthSessionCacheTTL, 100_000),
		now:      func() time.Time { return clock().UTC() }, totpNow: totpNow, keys: keys}, nil
}

// Close releases what the service holds (nothing today: the limiter belongs to the caller).
func (s *Service) Close(context.Context) {}

// Client describes where a credential request comes from.
type Client struct {
	IP        netip.Addr
	UserAgent string
}

// Login is the result of a successful sign-up, log-in or refresh.
type Login struct {
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
	User             domain.User
	AuthSession      domain.AuthSession
	// MFA is set, and nothing else, when the password was right but the account has two-factor
	// sign-in: CompleteMFALogIn finishes the login.
	MFA *MFAChallenge
	// SecondFactorMissing: staff roles do not count for this member yet (see domain.Actor).
	SecondFactorMissing bool
}

// SignUpInput is a new account's credentials.
type SignUpInput struct {
	Email       string
	Password    string
	DisplayName string
	// Locale is the language of account emails (a tag such as "fr" or "en-GB": the input's, else
	// the request's language, i18n.LocaleFrom); English when empty or not served.
	Locale string
	// Consent is what the member accepted on the sign-up form (optional: see consent.go).
	Consent Consent
}

// SignUp creates an account, signs it in and queues the welcome and verification emails, all in
// one transaction. The email stays unverified until verifyEmail.
func (s *Service) SignUp(ctx context.Context, in SignUpInput, c Client) (Login, error) {
	now := s.now()
	if err := s.take(ctx, keySignUpIP(c), s.cfg.Limits.SignUpPerIP); err != nil {
		return Login{}, err
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return Login{}, err
	}
	name, err := NormalizeDisplayName(in.DisplayName)
	if err != nil {
		return Login{}, err
	}
	if err := CheckPassword("password", in.Password, false, email, name); err != nil {
		return Login{}, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return Login{}, fmt.Errorf("sign up: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Login{}, fmt.Errorf("sign up: new id: %w", err)
	}
	consents, err := s.consentRows(in.Consent, domain.ConsentSignUp, c.IP, now, "")
	if err != nil {
		return Login{}, err
	}
	var out Login
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		out, err = s.openAccount(ctx, q, domain.User{
			ID: id, Email: email, PasswordHash: hash, DisplayName: name,
			Roles: []domain.Role{domain.RoleMember}, Status: domain.UserActive, CreatedAt: now,
			Locale: i18n.Match(cmp.Or(in.Locale, i18n.LocaleFrom(ctx))),
		}, consents, nil, c, now)
		return err
	})
	if err != nil {
		return Login{}, fmt.Errorf("sign up: %w", err)
	}
	return out, nil
}

// openAccount creates u in q's transaction with what every new account gets, however it signs
// up: the consents given (consent.go), link (a provider identity; nil for a password sign-up),
// the verification email unless the address is verified by then (a provider may vouch for it),
// the welcome email, the sign-up hooks and a first session.
func (s *Service) openAccount(ctx context.Context, q *store.Queries, u domain.User, consents []domain.Consent, link LinkHook, c Client, now time.Time) (Login, error) {
	// The old address of another member's email change stays theirs while it may be undone.
	if held, err := s.emailHeld(ctx, q, u.Email, uuid.Nil); err != nil {
		return Login{}, err
	} else if held {
		e := domain.Conflict("an account with this email already exists")
		e.Field = "email"
		return Login{}, e
	}
	u, err := q.CreateUser(ctx, u)
	if err != nil {
		return Login{}, err
	}
	if u, err = recordConsents(ctx, q, u, consents); err != nil {
		return Login{}, err
	}
	verified := false
	if link != nil {
		if err := link(ctx, q, u); err != nil {
			return Login{}, err
		}
		if verified, err = q.UserEmailVerified(ctx, u.ID); err != nil {
			return Login{}, err
		}
	}
	if !verified {
		if err := q.EnqueueJob(ctx, SendVerificationEmailArgs{UserID: u.ID}, nil); err != nil {
			return Login{}, err
		}
	}
	if err := q.EnqueueJob(ctx, notifications.WelcomeEmailArgs{UserID: u.ID}, nil); err != nil {
		return Login{}, err
	}
	for _, hook := range s.cfg.OnSignUp {
		if err := hook(ctx, q, u.ID); err != nil {
			return Login{}, err
		}
	}
	return s.startSession(ctx, q, u, c, now)
}

// errBadCredentials is the one answer to a wrong email or a wrong password.
var errBadCredentials = domain.Unauthenticated("invalid email or password").WithMessage(domain.MsgBadCredentials, nil)

// LogIn checks credentials and opens a session. Unknown email and wrong password get the same
// error after the same work (a password verification), so neither tells that an account exists;
// the throttling treats both alike too (see RateLimits for why failures are counted twice).
//
// A failure is reserved before the password is checked and given back when it was right: the
// limits then also hold against attempts made in parallel.
func (s *Service) LogIn(ctx context.Context, email, password string, c Client) (Login, error) {
	now := s.now()
	lim := s.cfg.Limits
	if err := s.take(ctx, keyLogInIP(c), lim.LogInPerIP); err != nil {
		return Login{}, err
	}
	pairKey := keyLogInAccountIP(email, c)
	if err := s.take(ctx, pairKey, lim.LogInFailuresPerAccountIP); err != nil {
		return Login{}, err
	}
	reserved := []reservation{{pairKey, lim.LogInFailuresPerAccountIP}}
	giveBack := func() {
		for _, r := range reserved {
			ratelimit.Give(context.WithoutCancel(ctx), s.limiter, r.key, r.rate, 1)
		}
	}
	if len(password) > 4*MaxPasswordBytes {
		// Hashing a megabyte "password" would be a cheap denial of service.
		return Login{}, errBadCredentials
	}
	u, err := s.store.Q().UserByEmail(ctx, strings.TrimSpace(email))
	found := err == nil
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		giveBack()
		return Login{}, fmt.Errorf("log in: %w", err)
	}
	acctKey := keyLogInAccount(email)
	switch limitErr := s.take(ctx, acctKey, lim.LogInFailuresPerAccount); {
	case limitErr == nil:
		reserved = append(reserved, reservation{acctKey, lim.LogInFailuresPerAccount})
	case domain.IsKind(limitErr, domain.KindRateLimited):
		// Many failures from everywhere: the account is under attack. Only a network it has
		// signed in from lately may go on (an unknown email has none, like a stranger's).
		known := false
		if found {
			if known, err = s.knownNetwork(ctx, u.ID, c.IP, now); err != nil {
				giveBack()
				return Login{}, err
			}
		}
		if !known {
			giveBack() // refused, not failed: the pair's budget is for passwords tried
			if found {
				s.RecordSignIn(ctx, u.ID, domain.SignInPassword, domain.SignInLocked, c)
			}
			return Login{}, limitErr
		}
	default:
		giveBack()
		return Login{}, limitErr
	}
	if !found || u.PasswordHash == "" {
		// No account, or one without a password (created by an OpenID provider): the same
		// answer after the same work as a wrong password.
		s.hasher.VerifyDummy(ctx, password)
		if found {
			s.RecordSignIn(ctx, u.ID, domain.SignInPassword, domain.SignInWrongPassword, c)
		}
		return Login{}, errBadCredentials
	}
	ok, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		giveBack()
		return Login{}, fmt.Errorf("log in: verify password: %w", err)
	}
	if !ok {
		s.RecordSignIn(ctx, u.ID, domain.SignInPassword, domain.SignInWrongPassword, c)
		return Login{}, errBadCredentials
	}
	giveBack() // the right password is no failure
	if u.Status != domain.UserActive {
		s.RecordSignIn(ctx, u.ID, domain.SignInPassword, domain.SignInSuspended, c)
		return Login{}, domain.Forbidden("this account is suspended")
	}
	mfa, err := s.HasSecondFactor(ctx, u.ID)
	if err != nil {
		return Login{}, fmt.Errorf("log in: %w", err)
	}
	if mfa {
		// Recorded when the second step ends (PASSWORD_TOTP or RECOVERY_CODE, right or wrong).
		ch, err := s.startMFA(ctx, u.ID, now)
		if err != nil {
			return Login{}, err
		}
		return Login{MFA: ch}, nil
	}
	var out Login
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		out, err = s.startSession(ctx, q, u, c, now)
		return err
	})
	if err != nil {
		return Login{}, fmt.Errorf("log in: %w", err)
	}
	s.RecordSignIn(ctx, u.ID, domain.SignInPassword, "", c)
	return out, nil
}

// reservation is one event taken from a limit that may have to be given back.
type reservation struct {
	key  string
	rate ratelimit.Rate
}

// knownNetwork reports whether the user signed in from ip's network within KnownNetworkAge.
func (s *Service) knownNetwork(ctx context.Context, userID uuid.UUID, ip netip.Addr, now time.Time) (bool, error) {
	network, ok := clientNetwork(ip)
	if !ok {
		return false, nil
	}
	known, err := s.store.Q().SignedInFromNetwork(ctx, userID, network, now.Add(-s.cfg.Limits.KnownNetworkAge))
	if err != nil {
		return false, fmt.Errorf("log in: %w", err)
	}
	return known, nil
}

func (s *Service) startSession(ctx context.Context, q *store.Queries, u domain.User, c Client, now time.Time) (Login, error) {
	return s.startSessionWith(ctx, q, u, c, now, nil)
}

// startSessionWith opens a session; passkeyID is the passkey the member signed in with, if any.
func (s *Service) startSessionWith(ctx context.Context, q *store.Queries, u domain.User, c Client, now time.Time, passkeyID *uuid.UUID) (Login, error) {
	// Every sign-in (password, second factor, provider, passkey, sign-up) passes here: signing in again
	// during an account deletion's grace period cancels the deletion.
	if _, err := q.CancelAccountDeletion(ctx, u.ID); err != nil {
		return Login{}, err
	}
	sid, err := uuid.NewV7()
	if err != nil {
		return Login{}, fmt.Errorf("new session id: %w", err)
	}
	ua := c.UserAgent
	if len(ua) > 256 {
		ua = strings.ToValidUTF8(ua[:256], "")
	}
	sess, err := q.CreateAuthSession(ctx, store.NewAuthSession{
		ID: sid, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.AuthSessionMaxAge), UserAgent: ua, IP: c.IP,
		PasskeyID: passkeyID,
	})
	if err != nil {
		return Login{}, err
	}
	return s.issue(ctx, q, u, sess, now)
}

// issue mints an access token and a new refresh token for an active session.
func (s *Service) issue(ctx context.Context, q *store.Queries, u domain.User, sess domain.AuthSession, now time.Time) (Login, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Login{}, fmt.Errorf("refresh token: %w", err)
	}
	refresh := base64.RawURLEncoding.EncodeToString(raw)
	refreshExp := now.Add(s.cfg.RefreshTTL)
	if sess.ExpiresAt.Before(refreshExp) {
		refreshExp = sess.ExpiresAt
	}
	if err := q.InsertRefreshToken(ctx, store.RefreshToken{
		TokenHash: hashToken(refresh), SessionID: sess.ID, IssuedAt: now, ExpiresAt: refreshExp,
	}); err != nil {
		return Login{}, err
	}
	access, accessExp, err := s.tokens.Issue(u.ID, sess.ID, now)
	if err != nil {
		return Login{}, err
	}
	missing := false
	if s.cfg.StaffRequireMFA && u.IsStaff() {
		// TOTP, or a session opened with a passkey (see AuthSessionHasSecondFactor).
		on, err := q.AuthSessionHasSecondFactor(ctx, sess.ID)
		if err != nil {
			return Login{}, err
		}
		missing = !on
	}
	return Login{
		AccessToken: access, AccessExpiresAt: accessExp,
		RefreshToken: refresh, RefreshExpiresAt: refreshExp,
		User: u, AuthSession: sess, SecondFactorMissing: missing,
	}, nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

var errRefreshInvalid = domain.Unauthenticated("refresh token is invalid, expired or revoked; log in again").WithMessage(domain.MsgRefreshInvalid, nil)

// Refresh rotates a refresh token: the presented token is spent and a new pair is issued. Two
// concurrent refreshes with one token: exactly one wins, the other gets CONFLICT. A token spent
// longer ago than the grace period is presumed stolen: its whole session is revoked.
func (s *Service) Refresh(ctx context.Context, refreshToken string, c Client) (Login, error) {
	now := s.now()
	if err := s.take(ctx, keyRefreshIP(c), s.cfg.Limits.RefreshPerIP); err != nil {
		return Login{}, err
	}
	if refreshToken == "" || len(refreshToken) > 128 {
		return Login{}, errRefreshInvalid
	}
	var (
		out          Login
		reuseSession uuid.UUID
	)
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		tok, claimed, err := q.ClaimRefreshToken(ctx, hashToken(refreshToken), now)
		if domain.IsKind(err, domain.KindNotFound) {
			return errRefreshInvalid
		}
		if err != nil {
			return err
		}
		if !claimed {
			if now.Sub(*tok.UsedAt) <= s.cfg.ReuseGrace {
				return domain.Conflict("this refresh token was just used by another request; use the tokens it returned")
			}
			revoked, err := q.RevokeAuthSession(ctx, tok.SessionID, "TOKEN_REUSE", now)
			if err != nil {
				return err
			}
			if revoked {
				reuseSession = tok.SessionID
				q.AfterCommit(ctx, func(ctx context.Context) { s.publishSessionRevoked(ctx, tok.SessionID) })
			}
			return nil
		}
		if !now.Before(tok.ExpiresAt) {
			return errRefreshInvalid
		}
		sess, err := q.AuthSessionByID(ctx, tok.SessionID)
		if err != nil {
			return err
		}
		if !sess.Active(now) {
			return errRefreshInvalid
		}
		u, err := q.ActiveAuthSessionUser(ctx, sess.ID, now)
		if domain.IsKind(err, domain.KindNotFound) {
			return errRefreshInvalid
		}
		if err != nil {
			return err
		}
		if err := q.TouchAuthSession(ctx, sess.ID, now); err != nil {
			return err
		}
		sess.LastUsedAt = now
		out, err = s.issue(ctx, q, u, sess, now)
		return err
	})
	if err != nil {
		return Login{}, fmt.Errorf("refresh session: %w", err)
	}
	if reuseSession != uuid.Nil {
		s.log.WarnContext(ctx, "refresh token reuse: session revoked", "session_id", reuseSession)
	}
	if out.AccessToken == "" {
		return Login{}, errRefreshInvalid
	}
	return out, nil
}

// LogOutByRefreshToken ends the session a refresh token belongs to. It acts for nobody: like
// Refresh, the token is the credential, so a client whose access token expired can still log out.
func (s *Service) LogOutByRefreshToken(ctx context.Context, refreshToken string) (uuid.UUID, error) {
	now := s.now()
	var sid uuid.UUID
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		tok, _, err := q.ClaimRefreshToken(ctx, hashToken(refreshToken), now)
		if domain.IsKind(err, domain.KindNotFound) {
			return errRefreshInvalid
		}
		if err != nil {
			return err
		}
		sid = tok.SessionID
		if _, err := q.RevokeAuthSession(ctx, sid, "LOGOUT", now); err != nil {
			return err
		}
		q.AfterCommit(ctx, func(ctx context.Context) { s.publishSessionRevoked(ctx, sid) })
		return nil
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("log out: %w", err)
	}
	return sid, nil
}

// LogOut ends the login session the actor authenticated with.
func (s *Service) LogOut(ctx context.Context, actor domain.Actor) (uuid.UUID, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return uuid.Nil, err
	}
	if _, err := s.store.Q().RevokeAuthSession(ctx, actor.SessionID, "LOGOUT", s.now()); err != nil {
		return uuid.Nil, fmt.Errorf("log out: %w", err)
	}
	s.publishSessionRevoked(ctx, actor.SessionID)
	return actor.SessionID, nil
}

// LogOutEverywhere ends every session of the actor, except the one they authenticated with when
// keepCurrent.
func (s *Service) LogOutEverywhere(ctx context.Context, actor domain.Actor, keepCurrent bool) (int, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return 0, err
	}
	var keep *uuid.UUID
	if keepCurrent {
		keep = &actor.SessionID
	}
	ids, err := s.store.Q().RevokeUserAuthSessions(ctx, actor.ID(), keep, "LOGOUT_EVERYWHERE", s.now())
	if err != nil {
		return 0, fmt.Errorf("log out everywhere: %w", err)
	}
	for _, id := range ids {
		s.publishSessionRevoked(ctx, id)
	}
	return len(ids), nil
}

// RevokeAuthSession ends one of the actor's sessions; another member's is NOT_FOUND, so its
// existence is not revealed.
func (s *Service) RevokeAuthSession(ctx context.Context, actor domain.Actor, sessionID uuid.UUID) (domain.AuthSession, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.AuthSession{}, err
	}
	q := s.store.Q()
	sess, err := q.AuthSessionByID(ctx, sessionID)
	if err != nil || sess.UserID != actor.ID() {
		if err == nil || domain.IsKind(err, domain.KindNotFound) {
			e := domain.NotFound("session")
			e.Field = "sessionId"
			return domain.AuthSession{}, e
		}
		return domain.AuthSession{}, fmt.Errorf("revoke session: %w", err)
	}
	if _, err := q.RevokeAuthSession(ctx, sessionID, "REVOKED", s.now()); err != nil {
		return domain.AuthSession{}, fmt.Errorf("revoke session: %w", err)
	}
	s.publishSessionRevoked(ctx, sessionID)
	sess, err = q.AuthSessionByID(ctx, sessionID)
	if err != nil {
		return domain.AuthSession{}, fmt.Errorf("revoke session: reload: %w", err)
	}
	return sess, nil
}

// SessionsEnded tells every instance that the given login sessions are gone (their sockets close,
// cached sessions drop) and that the account changed; the erasure calls it after deleting them.
func (s *Service) SessionsEnded(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) {
	for _, id := range ids {
		s.publishSessionRevoked(ctx, id)
	}
	s.publishUserChanged(ctx, userID)
}

func (s *Service) publishSessionRevoked(ctx context.Context, sid uuid.UUID) {
	s.invalidate(ctx, "session", sid)
	if err := s.pub.Publish(ctx, realtime.SessionTopic(sid), []byte("revoked")); err != nil {
		// Sockets of the session still close when their token expires.
		s.log.WarnContext(ctx, "publish session revocation", "session_id", sid, "err", err)
	}
}

// Authenticate checks a bearer access token and that its session is still active; it runs on
// every authenticated request and WebSocket connection.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Viewer, error) {
	tok, err := s.tokens.Verify(bearer)
	if errors.Is(err, ErrTokenExpired) {
		return Viewer{}, domain.Unauthenticated("access token expired; refresh it").WithMessage(domain.MsgAccessTokenExpired, nil)
	}
	if err != nil {
		return Viewer{}, domain.Unauthenticated("access token invalid").WithMessage(domain.MsgAccessTokenInvalid, nil)
	}
	now := s.now()
	u, mfa, cached := s.sessions.get(tok.AuthSessionID, now)
	if !cached {
		u, mfa, err = s.store.Q().ActiveAuthSessionUserMFA(ctx, tok.AuthSessionID, now)
		if err == nil {
			s.sessions.put(tok.AuthSessionID, u, mfa, now)
		}
	}
	if domain.IsKind(err, domain.KindNotFound) || (err == nil && u.ID != tok.UserID) {
		return Viewer{}, domain.Unauthenticated("session ended; log in again").WithMessage(domain.MsgSessionEnded, nil)
	}
	if err != nil {
		return Viewer{}, fmt.Errorf("authenticate: %w", err)
	}
	return Viewer{User: u, AuthSessionID: tok.AuthSessionID, TokenExpiresAt: tok.ExpiresAt,
		SecondFactorMissing: s.cfg.StaffRequireMFA && !mfa && u.IsStaff()}, nil
}

// AuthSessionsCursor is the cursor kind of a member's login sessions (User.sessions); clients
// hold such cursors, so it never changes.
const AuthSessionsCursor = "sessions"

// ListAuthSessions returns a page of a user's login sessions, newest first; only the user and
// ADMINs may list them.
func (s *Service) ListAuthSessions(ctx context.Context, actor domain.Actor, userID uuid.UUID, includeRevoked bool, page relay.Page[uuid.UUID]) (relay.Connection[domain.AuthSession], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.AuthSession]{}, err
	}
	if actor.ID() != userID && !actor.HasRole(domain.RoleAdmin) {
		return relay.Connection[domain.AuthSession]{}, domain.Forbidden("only the member themselves can see their sessions")
	}
	rows, err := s.store.Q().ListAuthSessions(ctx, userID, includeRevoked, page.After, page.Limit(), s.now())
	if err != nil {
		return relay.Connection[domain.AuthSession]{}, fmt.Errorf("list sessions: %w", err)
	}
	return relay.Paginate(AuthSessionsCursor, page, rows, func(a domain.AuthSession) uuid.UUID { return a.ID }), nil
}

// UsersCursor is the cursor kind of the staff's list of accounts (Query.users).
const UsersCursor = "users"

// UserFilter narrows ListUsers. It is auth's own so that callers (resolvers) never depend on the
// store.
type UserFilter struct {
	// Role keeps only users holding it, when set.
	Role *domain.Role
	// Email keeps the account with exactly this address (case-insensitive), when set.
	Email *string
	// NamePrefix keeps accounts whose display name starts with it (case-insensitive), when set.
	NamePrefix *string
	// ID keeps only this account, when set.
	ID *uuid.UUID
}

// ListUsers returns a page of accounts, newest first; SUPPORT (and ADMIN) only.
func (s *Service) ListUsers(ctx context.Context, actor domain.Actor, f UserFilter, page relay.Page[uuid.UUID]) (relay.Connection[domain.User], error) {
	if err := actor.RequireSignedIn(); err != nil {
		return relay.Connection[domain.User]{}, err
	}
	// The same check as the field's @hasRole(role: SUPPORT), for callers other than the API.
	if err := actor.RequireRole(domain.RoleSupport); err != nil {
		return relay.Connection[domain.User]{}, err
	}
	if f.NamePrefix != nil {
		p := strings.TrimSpace(*f.NamePrefix)
		if p == "" || utf8.RuneCountInString(p) > 60 {
			return relay.Connection[domain.User]{}, domain.Invalid("filter.namePrefix", "must be 1 to 60 characters")
		}
		f.NamePrefix = &p
	}
	if f.Email != nil {
		e := strings.TrimSpace(*f.Email)
		f.Email = &e
	}
	rows, err := s.store.Q().ListUsers(ctx, store.UserFilter{Role: f.Role, Email: f.Email, NamePrefix: f.NamePrefix, ID: f.ID}, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.User]{}, fmt.Errorf("list users: %w", err)
	}
	return relay.Paginate(UsersCursor, page, rows, func(u domain.User) uuid.UUID { return u.ID }), nil
}

// SetUserRoles replaces a user's roles. ADMIN only; an ADMIN cannot drop their own ADMIN role
// (so the platform never loses its last administrator by accident).
func (s *Service) SetUserRoles(ctx context.Context, actor domain.Actor, userID uuid.UUID, roles []domain.Role) (domain.User, error) {
	if err := actor.RequireRole(domain.RoleAdmin); err != nil {
		return domain.User{}, err
	}
	for _, r := range roles {
		if !r.Valid() {
			return domain.User{}, domain.Invalid("roles", "unknown role %q", r)
		}
	}
	roles = domain.NormalizeRoles(roles)
	if userID == actor.ID() && !slices.Contains(roles, domain.RoleAdmin) {
		return domain.User{}, domain.Invalid("roles", "you cannot remove your own ADMIN role")
	}
	var u domain.User
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		before, err := q.LockUser(ctx, userID)
		if domain.IsKind(err, domain.KindNotFound) {
			e := domain.NotFound("user")
			e.Field = "userId"
			return e
		}
		if err != nil {
			return err
		}
		if u, err = q.SetUserRoles(ctx, userID, roles); err != nil {
			return err
		}
		by := actor.ID()
		if err := q.InsertAuditLog(ctx, &by, "user.roles_changed", domain.AuditTargetUser(u.ID),
			map[string]any{"from": before.Roles, "to": u.Roles}); err != nil {
			return err
		}
		q.AfterCommit(ctx, func(ctx context.Context) {
			s.invalidate(ctx, "user", u.ID)
			if err := s.pub.Publish(ctx, realtime.UserTopic(u.ID), []byte("updated")); err != nil {
				s.log.WarnContext(ctx, "publish user update", "user_id", u.ID, "err", err)
			}
		})
		return nil
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("set user roles: %w", err)
	}
	s.log.InfoContext(ctx, "roles changed", "user_id", u.ID, "roles", u.Roles, "by", actor.ID())
	return u, nil
}

// AuthSession returns one login session of the actor's (any member's for an ADMIN); NOT_FOUND
// for a session they may not see, so its existence is not revealed.
func (s *Service) AuthSession(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.AuthSession, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.AuthSession{}, err
	}
	sess, err := s.store.Q().AuthSessionByID(ctx, id)
	if err != nil {
		return domain.AuthSession{}, fmt.Errorf("auth session: %w", err)
	}
	if sess.UserID != actor.ID() && !actor.HasRole(domain.RoleAdmin) {
		return domain.AuthSession{}, domain.NotFound("session")
	}
	return sess, nil
}
