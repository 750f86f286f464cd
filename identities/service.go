// Package identities signs members in with OpenID Connect providers (Google, Apple, Keycloak or
// any conformant issuer): the app obtains an ID token natively and sends it with its nonce; the
// token is verified with go-oidc (signature through the provider's JWKS, issuer, expiry), its
// audience against the provider's accepted client ids, and its nonce against the app's.
//
// A provider identity (issuer + subject) signs into the account it is linked to. A new identity
// links to an existing account only when the provider asserts a verified email AND the local
// account's email is verified (otherwise whoever controls a provider account with someone's
// address, or registered that address here without owning it, could take the other's account):
// the member then signs in and links explicitly. With no account for its email, a new account is
// made. auth still creates accounts and sessions (SignUpExternal, SignInAs).
//
// Nonce convention: the app generates a random nonce, passes it (Google, Keycloak) or its hex
// SHA-256 (Sign in with Apple, as Apple's documentation shows) to the provider's SDK, and sends
// the raw nonce here with the token. The claim must equal the raw nonce, or, for providers with
// HashedNonce (Apple's issuer by default), its hex SHA-256. The nonce is chosen by the app, so
// it binds a token to the app's request but cannot tell a replay of a stolen token and nonce
// from the app's own call: so each token is accepted once (its hash is kept until it expires,
// table oidc_token_uses, purged by PurgeWorker), and a retry needs a new token.
package identities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Accounts creates accounts and opens sessions (auth.Service).
type Accounts interface {
	SignUpExternal(ctx context.Context, in auth.ExternalSignUp, c auth.Client, link auth.LinkHook) (auth.Login, error)
	SignInAs(ctx context.Context, userID uuid.UUID, c auth.Client, before func(ctx context.Context, q *store.Queries) error) (auth.Login, error)
	TakeLogInAttempt(ctx context.Context, c auth.Client) error
	// RequireRecentAuth refuses a sensitive operation unless the actor signed in or
	// reauthenticated lately: linking and unlinking change how the account can be entered.
	RequireRecentAuth(ctx context.Context, actor domain.Actor) error
}

// EmailVerification tells whether a member's current email is verified (store.Queries).
type EmailVerification interface {
	UserEmailVerified(ctx context.Context, userID uuid.UUID) (bool, error)
}

// MaxProviders bounds the configured providers (config.OIDCProviders refuses more), and with
// them a member's linked identities (one per provider): the API prices its lists with it.
const MaxProviders = 10

// Config lists the providers and tunes their verification.
type Config struct {
	Providers []Provider
	// JWKSMinInterval is the least time between two key-set fetches of a provider (default 30s).
	JWKSMinInterval time.Duration
	// Transport makes the requests to the providers (nil: http.DefaultTransport).
	Transport http.RoundTripper
}

// Service signs members in with providers and links and unlinks their identities.
type Service struct {
	store     *store.Store
	accounts  Accounts
	emails    EmailVerification
	providers map[string]*oidcProvider
	names     []string
	log       *slog.Logger
	now       func() time.Time
}

// NewService wires the service; it makes no request (providers are discovered at first use).
func NewService(st *store.Store, accounts Accounts, emails EmailVerification, cfg Config, log *slog.Logger) *Service {
	interval := cfg.JWKSMinInterval
	if interval <= 0 {
		interval = 30 * time.Second
	}
	s := &Service{store: st, accounts: accounts, emails: emails, providers: map[string]*oidcProvider{}, log: log,
		now: func() time.Time { return time.Now().UTC() }}
	for _, p := range cfg.Providers {
		s.providers[p.Name] = newOIDCProvider(p, cfg.Transport, interval)
		s.names = append(s.names, p.Name)
	}
	return s
}

// ProviderNames lists the configured providers, in configuration order.
func (s *Service) ProviderNames() []string { return s.names }

// Identity is a provider account linked to a member.
type Identity struct {
	Provider   string
	Email      *string
	LinkedAt   time.Time
	LastUsedAt time.Time
}

// maxIDTokenBytes bounds what is parsed: real ID tokens are 1-2 KiB.
const maxIDTokenBytes = 16 << 10

// errTokenRefused is the one answer to a token that does not verify, whatever the reason
// (logged): the client can only get a new token anyway.
var errTokenRefused = func() *domain.Error {
	e := domain.Unauthenticated("the ID token is invalid, expired, not for this app or does not match the nonce")
	e.Field = "idToken"
	return e
}()

// errTokenReplayed refuses a token accepted before.
var errTokenReplayed = func() *domain.Error {
	e := domain.Unauthenticated("this ID token was already used; get a new one from the provider")
	e.Field = "idToken"
	return e
}()

// claimToken records the token's use in the transaction that accepts it (a refused sign-in does
// not spend it); a token used before is refused.
func claimToken(ctx context.Context, q *store.Queries, cl claims) error {
	fresh, err := q.ClaimIDToken(ctx, cl.TokenHash, cl.Expiry)
	if err != nil {
		return err
	}
	if !fresh {
		return errTokenReplayed
	}
	return nil
}

// verify checks a token for a configured provider.
func (s *Service) verify(ctx context.Context, provider, idToken, nonce string) (*oidcProvider, claims, error) {
	p, ok := s.providers[provider]
	if !ok {
		return nil, claims{}, domain.Invalid("provider", "unknown provider; one of: %s", strings.Join(s.names, ", "))
	}
	if strings.TrimSpace(nonce) == "" || len(nonce) > 512 {
		return nil, claims{}, domain.Invalid("nonce", "send the nonce the ID token was requested with")
	}
	if idToken == "" || len(idToken) > maxIDTokenBytes {
		return nil, claims{}, errTokenRefused
	}
	c, err := p.verify(ctx, idToken, nonce)
	if errors.Is(err, errVerifierUnavailable) {
		s.log.WarnContext(ctx, "oidc provider unavailable", "provider", provider, "err", err)
		return nil, claims{}, domain.Unavailable("this sign-in provider cannot be reached; try again later")
	}
	if err != nil {
		s.log.InfoContext(ctx, "oidc id token refused", "provider", provider, "err", err)
		e := *errTokenRefused
		e.Err = err
		return nil, claims{}, &e
	}
	return p, c, nil
}

// SignIn signs in with a provider's ID token: into the linked account, into an existing account
// by email when both sides verified it (linking the identity), or into a new account, which
// records consent (what the member accepted in the app before; ignored for existing accounts,
// which accept new versions with acceptPolicies).
func (s *Service) SignIn(ctx context.Context, provider, idToken, nonce string, consent auth.Consent, c auth.Client) (auth.Login, error) {
	// Attempts share the network's log-in budget with passwords, counted before the token is
	// checked: verification costs a signature check, and maybe a (gated) key-set fetch.
	if err := s.accounts.TakeLogInAttempt(ctx, c); err != nil {
		return auth.Login{}, err
	}
	p, cl, err := s.verify(ctx, provider, idToken, nonce)
	if err != nil {
		return auth.Login{}, err
	}
	now := s.now()
	ident, err := s.store.Q().IdentityBySubject(ctx, cl.Issuer, cl.Subject)
	switch {
	case err == nil:
		return s.accounts.SignInAs(ctx, ident.UserID, c, func(ctx context.Context, q *store.Queries) error {
			if err := claimToken(ctx, q, cl); err != nil {
				return err
			}
			return q.TouchIdentity(ctx, ident.ID, optional(cl.Email), cl.EmailVerified, now)
		})
	case !domain.IsKind(err, domain.KindNotFound):
		return auth.Login{}, fmt.Errorf("sign in with provider: %w", err)
	}
	if _, err := auth.NormalizeEmail(cl.Email); cl.Email != "" && err != nil {
		e := domain.Invalid("idToken", "the provider's email address is not one we accept; sign in and link %s from your settings", provider)
		e.Err = err
		return auth.Login{}, e
	}
	if cl.Email == "" {
		e := domain.Invalid("idToken", "the provider shared no email address; allow it to share your email, or sign in and link %s from your settings", provider)
		e.Details = map[string]any{"reason": "PROVIDER_EMAIL_MISSING"}
		return auth.Login{}, e
	}
	newIdentity := func(userID uuid.UUID) store.AuthIdentity {
		return store.AuthIdentity{ID: uuid.Must(uuid.NewV7()), UserID: userID, Provider: p.cfg.Name,
			Issuer: cl.Issuer, Subject: cl.Subject, Email: optional(cl.Email), EmailVerified: cl.EmailVerified, CreatedAt: now}
	}
	existing, err := s.store.Q().UserByEmail(ctx, cl.Email)
	switch {
	case err == nil:
		localVerified, err := s.emails.UserEmailVerified(ctx, existing.ID)
		if err != nil {
			return auth.Login{}, fmt.Errorf("sign in with provider: %w", err)
		}
		if !cl.EmailVerified || !localVerified {
			e := domain.Conflict("an account with this email already exists: sign in to it, then link %s from your settings", provider)
			e.Field = "idToken"
			e.Details = map[string]any{"reason": "ACCOUNT_EXISTS_LINK_REQUIRED"}
			return auth.Login{}, e
		}
		return s.accounts.SignInAs(ctx, existing.ID, c, func(ctx context.Context, q *store.Queries) error {
			if err := claimToken(ctx, q, cl); err != nil {
				return err
			}
			if _, err := q.InsertIdentity(ctx, newIdentity(existing.ID)); err != nil {
				return err
			}
			// Linked by email, without the member asking: tell them.
			return q.EnqueueJob(ctx, auth.SecurityNoticeArgs{UserID: existing.ID, Notice: auth.NoticeProviderLinked, Provider: p.cfg.Name}, nil)
		})
	case !domain.IsKind(err, domain.KindNotFound):
		return auth.Login{}, fmt.Errorf("sign in with provider: %w", err)
	}
	return s.accounts.SignUpExternal(ctx, auth.ExternalSignUp{Email: cl.Email, DisplayName: displayName(cl), Consent: consent}, c,
		func(ctx context.Context, q *store.Queries, u domain.User) error {
			if err := claimToken(ctx, q, cl); err != nil {
				return err
			}
			if _, err := q.InsertIdentity(ctx, newIdentity(u.ID)); err != nil {
				return err
			}
			if cl.EmailVerified {
				_, err := q.MarkEmailVerified(ctx, u.ID, u.Email, now)
				return err
			}
			return nil
		})
}

// maxDisplayName is auth.NormalizeDisplayName's bound, in characters.
const maxDisplayName = 60

// displayName is the token's name, or else the local part of its email, whichever the account
// rules accept (cut to their length), or else "Member": a provider's odd name never blocks a
// sign-in (members rename themselves in their profile).
func displayName(cl claims) string {
	local, _, _ := strings.Cut(cl.Email, "@")
	for _, name := range []string{cl.Name, local} {
		if r := []rune(name); len(r) > maxDisplayName {
			name = string(r[:maxDisplayName])
		}
		if n, err := auth.NormalizeDisplayName(name); err == nil {
			return n
		}
	}
	return "Member"
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Link links a provider identity to the signed-in member (the explicit way when SignIn refused
// to link by email). An identity already linked to this member is kept as is.
func (s *Service) Link(ctx context.Context, actor domain.Actor, provider, idToken, nonce string) ([]Identity, error) {
	if err := s.accounts.RequireRecentAuth(ctx, actor); err != nil {
		return nil, err
	}
	p, cl, err := s.verify(ctx, provider, idToken, nonce)
	if err != nil {
		return nil, err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if err := claimToken(ctx, q, cl); err != nil {
			return err
		}
		ident, err := q.IdentityBySubject(ctx, cl.Issuer, cl.Subject)
		if err == nil {
			if ident.UserID != actor.ID() {
				e := domain.Conflict("this %s account is already linked to another member", provider)
				e.Field = "idToken"
				return e
			}
			return q.TouchIdentity(ctx, ident.ID, optional(cl.Email), cl.EmailVerified, now)
		}
		if !domain.IsKind(err, domain.KindNotFound) {
			return err
		}
		if _, err := q.InsertIdentity(ctx, store.AuthIdentity{ID: uuid.Must(uuid.NewV7()), UserID: actor.ID(), Provider: p.cfg.Name,
			Issuer: cl.Issuer, Subject: cl.Subject, Email: optional(cl.Email), EmailVerified: cl.EmailVerified, CreatedAt: now}); err != nil {
			return err
		}
		return q.EnqueueJob(ctx, auth.SecurityNoticeArgs{UserID: actor.ID(), Notice: auth.NoticeProviderLinked, Provider: p.cfg.Name}, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("link provider: %w", err)
	}
	s.log.InfoContext(ctx, "provider linked", "user_id", actor.ID(), "provider", provider)
	return s.List(ctx, actor)
}

// Unlink removes the member's identity of a provider, unless it is their last way to sign in
// (no password, no other identity and no passkey).
func (s *Service) Unlink(ctx context.Context, actor domain.Actor, provider string) ([]Identity, error) {
	if err := s.accounts.RequireRecentAuth(ctx, actor); err != nil {
		return nil, err
	}
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		idents, err := q.IdentitiesOfUser(ctx, actor.ID())
		if err != nil {
			return err
		}
		linked := false
		for _, id := range idents {
			linked = linked || id.Provider == provider
		}
		if !linked {
			e := domain.NotFound("linked provider")
			e.Field = "provider"
			return e
		}
		// Locks the member's sign-in methods: concurrent removals each see what the other removed.
		if err := auth.RequireAnotherSignInMethod(ctx, q, actor.ID(), "provider"); err != nil {
			return err
		}
		if _, err := q.DeleteIdentity(ctx, actor.ID(), provider); err != nil {
			return err
		}
		return q.EnqueueJob(ctx, auth.SecurityNoticeArgs{UserID: actor.ID(), Notice: auth.NoticeProviderUnlinked, Provider: provider}, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("unlink provider: %w", err)
	}
	s.log.InfoContext(ctx, "provider unlinked", "user_id", actor.ID(), "provider", provider)
	return s.List(ctx, actor)
}

// List returns the member's linked identities, oldest first.
func (s *Service) List(ctx context.Context, actor domain.Actor) ([]Identity, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	rows, err := s.store.Q().IdentitiesOfUser(ctx, actor.ID())
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	out := make([]Identity, len(rows))
	for i, r := range rows {
		out[i] = Identity{Provider: r.Provider, Email: r.Email, LinkedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
	}
	return out, nil
}
