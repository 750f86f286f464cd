package resolvers

import (
	"context"

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
// fields resolve for them, and maps the result.
func loginPayload(ctx context.Context, s auth.Login) *model.AuthPayload {
	auth.Adopt(ctx, auth.Viewer{User: s.User, AuthSessionID: s.AuthSession.ID, TokenExpiresAt: s.AccessExpiresAt})
	u, sess := s.User, s.AuthSession
	return &model.AuthPayload{
		AccessToken:           s.AccessToken,
		AccessTokenExpiresAt:  s.AccessExpiresAt,
		RefreshToken:          s.RefreshToken,
		RefreshTokenExpiresAt: s.RefreshExpiresAt,
		TokenType:             "Bearer",
		User:                  &u,
		Session:               &sess,
	}
}
