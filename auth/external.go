package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/i18n"
	"github.com/skillswap/skillswap/store"
)

// Sign-in by credentials checked elsewhere (an OpenID Connect provider's ID token, checked by the
// identities package): auth still owns accounts and sessions, so both the new account and the
// session are made here, the same way as by SignUp and LogIn.

// ExternalSignUp is an account created from a provider's identity: it has no password.
type ExternalSignUp struct {
	Email       string
	DisplayName string
	// Consent is what the member accepted in the app before signing in with the provider
	// (optional: see consent.go).
	Consent Consent
}

// LinkHook runs inside the transaction that creates an account from a provider identity (it
// records the identity): a failing hook rolls the account back.
type LinkHook func(ctx context.Context, q *store.Queries, u domain.User) error

// TakeLogInAttempt counts a sign-in attempt by other credentials (a provider's ID token) against
// the client network's log-in budget (RATE_LOGIN_PER_IP), before they are checked: RATE_LIMITED
// once it is spent.
func (s *Service) TakeLogInAttempt(ctx context.Context, c Client) error {
	return s.take(ctx, keyLogInIP(c), s.cfg.Limits.LogInPerIP)
}

// SignUpExternal creates an account without a password, runs link and the sign-up hooks in the
// same transaction, queues the welcome email and opens a session. The caller vouches for the
// identity; sign-ups are throttled per IP like SignUp.
func (s *Service) SignUpExternal(ctx context.Context, in ExternalSignUp, c Client, link LinkHook) (Login, error) {
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
	id, err := uuid.NewV7()
	if err != nil {
		return Login{}, fmt.Errorf("sign up external: new id: %w", err)
	}
	consents, err := s.consentRows(in.Consent, domain.ConsentProviderSignUp, c.IP, now, "")
	if err != nil {
		return Login{}, err
	}
	var out Login
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		// An empty password hash is "no password": LogIn refuses it like a wrong password.
		out, err = s.openAccount(ctx, q, domain.User{
			ID: id, Email: email, DisplayName: name,
			Roles: []domain.Role{domain.RoleMember}, Status: domain.UserActive, CreatedAt: now,
			Locale: i18n.LocaleFrom(ctx),
		}, consents, link, c, now)
		return err
	})
	if err != nil {
		return Login{}, fmt.Errorf("sign up external: %w", err)
	}
	return out, nil
}

// SignInAs opens a session for an account whose credential the caller checked (a provider's ID
// token); before runs first in the same transaction (recording the sign-in on the identity).
// A suspended account is refused as by LogIn. The sign-in history records it as PROVIDER.
func (s *Service) SignInAs(ctx context.Context, userID uuid.UUID, c Client, before func(ctx context.Context, q *store.Queries) error) (Login, error) {
	return s.signInVia(ctx, userID, domain.SignInProvider, nil, c, before)
}

// SignInWithPasskey is SignInAs for a member whose passkey the caller verified (the passkeys
// package): the session records the passkey and, as a passkey sign-in verifies the member on a
// phishing-resistant authenticator, counts as having a second factor (staff roles work in it
// with STAFF_REQUIRE_MFA). A member with TOTP is not asked for a code. The session is freshly
// authenticated (RequireRecentAuth) like any new one. The sign-in history records it as PASSKEY.
func (s *Service) SignInWithPasskey(ctx context.Context, userID, passkeyID uuid.UUID, c Client, before func(ctx context.Context, q *store.Queries) error) (Login, error) {
	return s.signInVia(ctx, userID, domain.SignInPasskey, &passkeyID, c, before)
}

// signInVia opens the session of a sign-in whose credential the caller checked and records it in
// the sign-in history under method (a suspended account as a failure).
func (s *Service) signInVia(ctx context.Context, userID uuid.UUID, method domain.SignInEventMethod, passkeyID *uuid.UUID, c Client, before func(ctx context.Context, q *store.Queries) error) (Login, error) {
	out, err := s.openCheckedSession(ctx, userID, passkeyID, c, before)
	switch {
	case err == nil:
		s.RecordSignIn(ctx, userID, method, "", c)
	case domain.IsKind(err, domain.KindForbidden):
		s.RecordSignIn(ctx, userID, method, domain.SignInSuspended, c)
	}
	return out, err
}

func (s *Service) openCheckedSession(ctx context.Context, userID uuid.UUID, passkeyID *uuid.UUID, c Client, before func(ctx context.Context, q *store.Queries) error) (Login, error) {
	now := s.now()
	var out Login
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		u, err := q.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.Status != domain.UserActive {
			return domain.Forbidden("this account is suspended")
		}
		if before != nil {
			if err := before(ctx, q); err != nil {
				return err
			}
		}
		out, err = s.startSessionWith(ctx, q, u, c, now, passkeyID)
		return err
	})
	if err != nil {
		return Login{}, fmt.Errorf("sign in: %w", err)
	}
	return out, nil
}

// ForgetCachedAuthSessions drops the member's sessions from the authentication cache of every
// instance, so a change to what their sessions are worth (a removed passkey no longer counts as
// their second factor) holds at their next request.
func (s *Service) ForgetCachedAuthSessions(ctx context.Context, userID uuid.UUID) {
	s.invalidate(ctx, "user", userID)
}
