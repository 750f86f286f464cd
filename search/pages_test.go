package search_test

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/search"
)

// skillQuery is a skill search as the suite writes it: the query with its page, First and After
// as a client sends them (First 0: the default).
type skillQuery struct {
	Text       string
	Locale     search.Locale
	CategoryID *uuid.UUID
	First      int
	After      *string
}

// memberQuery is a member search as the suite writes it: who searches (uuid.Nil: signed out),
// the query and its page.
type memberQuery struct {
	ViewerID    uuid.UUID
	Text        string
	SkillID     *uuid.UUID
	CategoryID  *uuid.UUID
	Kind        *domain.SkillKind
	MinLevel    *domain.Level
	Language    *string
	Mode        *domain.Mode
	Near        *search.GeoFilter
	AvailableAt *time.Time
	NoFacets    bool
	First       int
	After       *string
}

// skillPage and memberPage are what the suite reads of a search's connection and counts.
type skillPage struct {
	Hits        []search.SkillHit
	EndCursor   *string
	HasNextPage bool
	Total       int
	Facets      []search.Facet
}

type memberPage struct {
	Hits        []search.MemberHit
	EndCursor   *string
	HasNextPage bool
	Total       int
	Facets      map[string][]search.Facet
}

// pageOf is the page of a search: First as given, After decoded as relay.ParsePage decodes the
// resolver's argument, with the backend's cursor kind.
func pageOf(kind string, first int, after *string) (relay.Page[search.Cursor], error) {
	page := relay.Page[search.Cursor]{First: first}
	if after != nil && *after != "" {
		c, err := relay.DecodeCursor[search.Cursor](kind, *after)
		if err != nil {
			return page, err
		}
		page.After = &c
	}
	return page, nil
}

// actorOf is the member searching, the zero Actor when signed out.
func actorOf(id uuid.UUID) domain.Actor { return domain.Actor{User: domain.User{ID: id}} }

func searchSkillsPage(ctx context.Context, b search.Backend, q skillQuery) (skillPage, error) {
	page, err := pageOf(b.SkillsCursor(), q.First, q.After)
	if err != nil {
		return skillPage{}, err
	}
	conn, counts, err := b.SearchSkills(ctx, search.SkillQuery{Text: q.Text, Locale: q.Locale, CategoryID: q.CategoryID}, page)
	out := skillPage{EndCursor: conn.PageInfo.EndCursor, HasNextPage: conn.PageInfo.HasNextPage, Total: counts.Total, Facets: counts.Facets}
	for _, e := range conn.Edges {
		out.Hits = append(out.Hits, e.Node)
	}
	return out, err
}

func searchMembersPage(ctx context.Context, b search.Backend, q memberQuery) (memberPage, error) {
	page, err := pageOf(b.MembersCursor(), q.First, q.After)
	if err != nil {
		return memberPage{}, err
	}
	conn, counts, err := b.SearchMembers(ctx, actorOf(q.ViewerID), search.MemberQuery{
		Text: q.Text, SkillID: q.SkillID, CategoryID: q.CategoryID, Kind: q.Kind, MinLevel: q.MinLevel,
		Language: q.Language, Mode: q.Mode, Near: q.Near, AvailableAt: q.AvailableAt, NoFacets: q.NoFacets,
	}, page)
	out := memberPage{EndCursor: conn.PageInfo.EndCursor, HasNextPage: conn.PageInfo.HasNextPage, Total: counts.Total, Facets: counts.Facets}
	for _, e := range conn.Edges {
		out.Hits = append(out.Hits, e.Node)
	}
	return out, err
}
