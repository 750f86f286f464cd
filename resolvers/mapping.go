package resolvers

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
)

func toModelRoles(in []domain.Role) []model.Role {
	out := make([]model.Role, len(in))
	for i, r := range in {
		out[i] = model.Role(r)
	}
	return out
}

func toDomainRoles(in []model.Role) []domain.Role {
	out := make([]domain.Role, len(in))
	for i, r := range in {
		out[i] = domain.Role(r)
	}
	return out
}

func toPageInfo(p relay.PageInfo) *model.PageInfo {
	return &model.PageInfo{
		HasNextPage: p.HasNextPage, HasPreviousPage: p.HasPreviousPage,
		StartCursor: p.StartCursor, EndCursor: p.EndCursor,
	}
}

// loginPayload adopts the new session's member as the request's viewer, so the payload's private
// fields resolve for them, and maps the result. A result without a token, a user or a session
// (a service returning a zero Login with a nil error) is a bug: it fails as an internal error
// rather than answering an all-empty "success" a client would store as its credentials.
func loginPayload(ctx context.Context, s auth.Login) (*model.AuthPayload, error) {
	if s.AccessToken == "" || s.RefreshToken == "" || s.User.ID == uuid.Nil || s.AuthSession.ID == uuid.Nil {
		return nil, errors.New("resolvers: the auth service returned an empty login without an error")
	}
	auth.Adopt(ctx, auth.Viewer{User: s.User, AuthSessionID: s.AuthSession.ID, TokenExpiresAt: s.AccessExpiresAt,
		SecondFactorMissing: s.SecondFactorMissing})
	u, sess := s.User, s.AuthSession
	return &model.AuthPayload{
		AccessToken:           s.AccessToken,
		AccessTokenExpiresAt:  s.AccessExpiresAt,
		RefreshToken:          s.RefreshToken,
		RefreshTokenExpiresAt: s.RefreshExpiresAt,
		TokenType:             "Bearer",
		User:                  &u,
		Session:               &sess,
	}, nil
}

// localeTag is the language tag of a schema Locale ("fr"), empty when none was given.
func localeTag(l *domain.NameLocale) string {
	if l == nil {
		return ""
	}
	return strings.ToLower(string(*l))
}

// security maps how the actor signs in (User.security and the second-factor payloads).
func (r *Resolver) security(ctx context.Context, actor domain.Actor) (*model.AccountSecurity, error) {
	sec, err := r.Auth.Security(ctx, actor)
	if err != nil {
		return nil, err
	}
	out := &model.AccountSecurity{RecoveryCodesLeft: sec.RecoveryCodesLeft, Methods: []model.SignInMethod{}}
	for _, m := range sec.Methods {
		out.Methods = append(out.Methods, model.SignInMethod(m))
		if m == "TOTP" {
			out.TotpEnabled = true
		}
	}
	return out, nil
}

// mfaRequiredError is logIn's answer for an account with two-factor sign-in: UNAUTHENTICATED
// (not signed in yet) with the ticket for completeMfaLogIn in the extensions. beginLogIn
// returns the same ticket as data.
func mfaRequiredError(ch *auth.MFAChallenge) error {
	e := domain.Unauthenticated("this account uses two-factor sign-in: complete it with completeMfaLogIn and the ticket in extensions.mfaTicket")
	e.Details = map[string]any{
		"reason":             auth.ReasonMFARequired,
		"mfaTicket":          ch.Ticket,
		"mfaTicketExpiresAt": ch.ExpiresAt.UTC().Format(time.RFC3339),
	}
	return e
}

// toAuditEntryConnection maps a page of the audit log (Query.auditLog, User.auditEntries).
func toAuditEntryConnection(c relay.Connection[domain.AuditEntry]) *model.AuditEntryConnection {
	out := &model.AuditEntryConnection{PageInfo: toPageInfo(c.PageInfo), Edges: make([]model.AuditEntryEdge, len(c.Edges))}
	for i := range c.Edges {
		out.Edges[i] = model.AuditEntryEdge{Cursor: c.Edges[i].Cursor, Node: &c.Edges[i].Node}
	}
	return out
}
