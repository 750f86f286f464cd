package resolvers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/matching"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/search"
)

// pageSize validates a `first` argument (nil: a client sent null over the schema's default).
func pageSize(first *int, dflt int) (int, error) {
	if first == nil {
		return dflt, nil
	}
	if *first < 1 || *first > relay.MaxPageSize {
		return 0, domain.Invalid("first", "must be between 1 and %d", relay.MaxPageSize)
	}
	return *first, nil
}

// optionalID parses an optional global id argument.
func optionalID(kind string, gid *string, field string) (*uuid.UUID, error) {
	if gid == nil {
		return nil, nil
	}
	id, err := relay.ParseID(kind, *gid, field)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// selects tells whether the client asked for a field of the current field's result, so costly
// parts (facet counts) are computed only when wanted.
func selects(ctx context.Context, name string) bool {
	return slices.Contains(graphql.CollectAllFields(ctx), name)
}

// viewerID is the caller's user id, uuid.Nil when signed out.
func viewerID(ctx context.Context) uuid.UUID {
	if v, ok := auth.ViewerFrom(ctx); ok {
		return v.User.ID
	}
	return uuid.Nil
}

func (r *queryResolver) searchSkills(ctx context.Context, text string, categoryID *string, locale *model.Locale, first *int, after *string) (*model.SkillSearchConnection, error) {
	cat, err := optionalID(relay.KindSkillCategory, categoryID, "categoryId")
	if err != nil {
		return nil, err
	}
	n, err := pageSize(first, 20)
	if err != nil {
		return nil, err
	}
	q := search.SkillQuery{Text: text, CategoryID: cat, First: n, After: after}
	if locale != nil {
		q.Locale = search.Locale(*locale)
	}
	page, err := r.Search.SearchSkills(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("search skills: %w", err)
	}
	ids := make([]uuid.UUID, len(page.Hits))
	for i, h := range page.Hits {
		ids[i] = h.SkillID
	}
	loaders := dataloaders.For(ctx)
	skills, err := dataloaders.Found(ctx, loaders.Skills, ids)
	if err != nil {
		return nil, fmt.Errorf("search skills: %w", err)
	}
	out := &model.SkillSearchConnection{
		Edges:          []model.SkillSearchEdge{},
		PageInfo:       &model.PageInfo{HasNextPage: page.HasNextPage, EndCursor: page.EndCursor},
		TotalCount:     page.Total,
		CategoryFacets: []model.CategoryFacet{},
	}
	for _, h := range page.Hits {
		sk, ok := skills[h.SkillID]
		if !ok {
			continue
		}
		out.Edges = append(out.Edges, model.SkillSearchEdge{Cursor: h.Cursor, Node: &sk, Score: h.Score})
	}
	if len(out.Edges) > 0 {
		out.PageInfo.StartCursor = &out.Edges[0].Cursor
	}
	if selects(ctx, "categoryFacets") {
		out.CategoryFacets, err = categoryFacets(ctx, page.Facets)
		if err != nil {
			return nil, fmt.Errorf("search skills: %w", err)
		}
	}
	return out, nil
}

// categoryFacets turns facet values (category ids) into categories, in one batch.
func categoryFacets(ctx context.Context, facets []search.Facet) ([]model.CategoryFacet, error) {
	ids := make([]uuid.UUID, 0, len(facets))
	for _, f := range facets {
		if id, err := uuid.Parse(f.Value); err == nil {
			ids = append(ids, id)
		}
	}
	cats, err := dataloaders.Found(ctx, dataloaders.For(ctx).Categories, ids)
	if err != nil {
		return nil, err
	}
	out := []model.CategoryFacet{}
	for _, f := range facets {
		id, err := uuid.Parse(f.Value)
		if err != nil {
			continue
		}
		if c, ok := cats[id]; ok {
			out = append(out, model.CategoryFacet{Category: &c, Count: f.Count})
		}
	}
	return out, nil
}

func (r *queryResolver) searchMembers(ctx context.Context, text *string, filter *model.MemberSearchFilter, first *int, after *string) (*model.MemberSearchConnection, error) {
	n, err := pageSize(first, 20)
	if err != nil {
		return nil, err
	}
	q := search.MemberQuery{ViewerID: viewerID(ctx), First: n, After: after}
	if text != nil {
		q.Text = *text
	}
	if f := filter; f != nil {
		if q.SkillID, err = optionalID(relay.KindSkill, f.SkillID, "filter.skillId"); err != nil {
			return nil, err
		}
		if q.CategoryID, err = optionalID(relay.KindSkillCategory, f.CategoryID, "filter.categoryId"); err != nil {
			return nil, err
		}
		q.Kind, q.MinLevel, q.Language, q.Mode, q.AvailableAt = f.Kind, f.MinLevel, f.Language, f.Mode, f.AvailableAt
		if f.Near != nil {
			q.Near = &search.GeoFilter{Latitude: f.Near.Latitude, Longitude: f.Near.Longitude, RadiusKm: f.Near.RadiusKm}
		}
	}
	wantFacets := selects(ctx, "facets")
	q.NoFacets = !wantFacets
	page, err := r.Search.SearchMembers(ctx, q)
	if err != nil {
		return nil, prefixField(fmt.Errorf("search members: %w", err), "filter.", memberFilterFields)
	}
	ids := make([]uuid.UUID, len(page.Hits))
	for i, h := range page.Hits {
		ids[i] = h.UserID
	}
	users, err := dataloaders.Found(ctx, dataloaders.For(ctx).Users, ids)
	if err != nil {
		return nil, fmt.Errorf("search members: %w", err)
	}
	out := &model.MemberSearchConnection{
		Edges:      []model.MemberSearchEdge{},
		PageInfo:   &model.PageInfo{HasNextPage: page.HasNextPage, EndCursor: page.EndCursor},
		TotalCount: page.Total,
		Facets:     &model.MemberSearchFacets{Categories: []model.CategoryFacet{}, Levels: []model.LevelFacet{}, Languages: []model.LanguageFacet{}, Modes: []model.ModeFacet{}},
	}
	for _, h := range page.Hits {
		u, ok := users[h.UserID]
		if !ok {
			continue
		}
		out.Edges = append(out.Edges, model.MemberSearchEdge{Cursor: h.Cursor, Node: &u, Score: h.Score, DistanceKm: roundKm(h.DistanceKm)})
	}
	if len(out.Edges) > 0 {
		out.PageInfo.StartCursor = &out.Edges[0].Cursor
	}
	if wantFacets {
		if out.Facets.Categories, err = categoryFacets(ctx, page.Facets[search.FacetCategory]); err != nil {
			return nil, fmt.Errorf("search members: %w", err)
		}
		for _, f := range page.Facets[search.FacetLevel] {
			out.Facets.Levels = append(out.Facets.Levels, model.LevelFacet{Level: domain.Level(f.Value), Count: f.Count})
		}
		for _, f := range page.Facets[search.FacetLanguage] {
			out.Facets.Languages = append(out.Facets.Languages, model.LanguageFacet{Language: f.Value, Count: f.Count})
		}
		for _, f := range page.Facets[search.FacetMode] {
			out.Facets.Modes = append(out.Facets.Modes, model.ModeFacet{Mode: domain.Mode(f.Value), Count: f.Count})
		}
	}
	return out, nil
}

// memberFilterFields are the MemberQuery fields that come from `filter` in the schema.
var memberFilterFields = []string{"skillId", "categoryId", "kind", "minLevel", "language", "mode", "near", "availableAt"}

// prefixField makes a service's field name (`language`, `near.radiusKm`) name the argument path
// the client sent (`filter.language`).
func prefixField(err error, prefix string, fields []string) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Field == "" {
		return err
	}
	for _, f := range fields {
		if de.Field == f || strings.HasPrefix(de.Field, f+".") {
			cp := *de
			cp.Field = prefix + de.Field
			return &cp
		}
	}
	return err
}

// roundKm rounds a distance to 0.1 km: the indexed coordinates are only about 1 km precise, more
// digits would pretend otherwise.
func roundKm(km *float64) *float64 {
	if km == nil {
		return nil
	}
	v := float64(int64(*km*10+0.5)) / 10
	return &v
}

func (r *queryResolver) matches(ctx context.Context, first *int, after *string, filter *model.MatchFilter) (*model.MatchConnection, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var f matching.Filter
	if filter != nil {
		f.MutualOnly = filter.MutualOnly != nil && *filter.MutualOnly
		if f.SkillID, err = optionalID(relay.KindSkill, filter.SkillID, "filter.skillId"); err != nil {
			return nil, err
		}
		f.Mode, f.MaxDistanceKm, f.Language = filter.Mode, filter.MaxDistanceKm, filter.Language
	}
	n, err := pageSize(first, 20)
	if err != nil {
		return nil, err
	}
	page, err := r.Matching.Matches(ctx, v.User.ID, n, after, f)
	if err != nil {
		return nil, err
	}
	out := &model.MatchConnection{
		Edges:    make([]model.MatchEdge, len(page.Matches)),
		PageInfo: &model.PageInfo{HasNextPage: page.HasNextPage, EndCursor: page.EndCursor},
	}
	for i := range page.Matches {
		m := &page.Matches[i]
		m.DistanceKm = roundKm(m.DistanceKm)
		out.Edges[i] = model.MatchEdge{Cursor: m.Cursor(), Node: m}
	}
	if len(out.Edges) > 0 {
		out.PageInfo.StartCursor = &out.Edges[0].Cursor
	}
	return out, nil
}

// skillsByID loads skills in one batch, in the order given, leaving out vanished ones.
func skillsByID(ctx context.Context, ids []uuid.UUID) ([]domain.Skill, error) {
	found, err := dataloaders.Found(ctx, dataloaders.For(ctx).Skills, ids)
	if err != nil {
		return nil, fmt.Errorf("load skills: %w", err)
	}
	out := make([]domain.Skill, 0, len(ids))
	for _, id := range ids {
		if s, ok := found[id]; ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// usersByID loads accounts in one batch, in the order given.
func usersByID(ctx context.Context, ids []uuid.UUID) ([]domain.User, error) {
	found, err := dataloaders.Found(ctx, dataloaders.For(ctx).Users, ids)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	out := make([]domain.User, 0, len(ids))
	for _, id := range ids {
		if u, ok := found[id]; ok {
			out = append(out, u)
		}
	}
	return out, nil
}
