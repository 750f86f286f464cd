package auth

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
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
			Locale: domain.NormalizeLocale(c.AcceptLanguage),
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
// A suspended account is refused as by LogIn.
func (s *Service) SignInAs(ctx context.Context, userID uuid.UUID, c Client, before func(ctx context.Context, q *store.Queries) error) (Login, error) {
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
		out, err = s.startSession(ctx, q, u, c, now)
		return err
	})
	if err != nil {
		return Login{}, fmt.Errorf("sign in: %w", err)
	}
	return out, nil
}
