package resolvers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/search"
)

// pageSize validates the `first` of a short list that is not a connection (swapCircles); nil: a
// client sent null over the schema's default.
func pageSize(first *int, dflt int) (int, error) {
	if first == nil {
		return dflt, nil
	}
	if *first < 1 || *first > relay.MaxPageSize {
		return 0, domain.Invalid("first", "must be between 1 and %d", relay.MaxPageSize)
	}
	return *first, nil
}

// forwardPageInfo maps the page info of a forward-only connection whose hasPreviousPage was
// always false (matches, searches; the schema says so of forward-only connections), where
// relay.Paginate would set it on every page after the first.
func forwardPageInfo(p relay.PageInfo) *model.PageInfo {
	info := toPageInfo(p)
	info.HasPreviousPage = false
	return info
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

// categoryFacets turns facet values (category ids) into categories.
func categoryFacets(ctx context.Context, facets []search.Facet) ([]model.CategoryFacet, error) {
	t, err := dataloaders.TaxonomyOf(ctx)
	if err != nil {
		return nil, err
	}
	out := []model.CategoryFacet{}
	for _, f := range facets {
		id, err := uuid.Parse(f.Value)
		if err != nil {
			continue
		}
		if c, ok := t.Category(id); ok {
			out = append(out, model.CategoryFacet{Category: c, Count: f.Count})
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

// skillsByID returns skills in the order given, leaving out vanished ones.
func skillsByID(ctx context.Context, ids []uuid.UUID) ([]domain.Skill, error) {
	t, err := dataloaders.TaxonomyOf(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Skill, 0, len(ids))
	for _, id := range ids {
		if s, ok := t.Skill(id); ok {
			out = append(out, *s)
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
