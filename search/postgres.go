package search

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Postgres searches with PostgreSQL alone: skills straight from the skills table (its generated,
// unaccented search_text with trigram and full-text GIN indexes), members from member_search (one
// row per searchable member, filter keys in a GIN-indexed array, location in a GiST-indexed earth
// column). Every search is one SQL statement (two with AvailableAt, which first reads the zones in
// use).
//
// Pagination is keyset on the sort key, recomputed on every page: skills on (score desc, id),
// members on (score desc, distance, id). Scores are rounded in SQL so cursors compare exactly.
type Postgres struct {
	st *store.Store
}

var _ Backend = (*Postgres)(nil)

// NewPostgres returns the PostgreSQL backend.
func NewPostgres(st *store.Store) *Postgres { return &Postgres{st: st} }

// SkillsCursor implements Backend.
func (p *Postgres) SkillsCursor() string { return cursorSkillsPG }

// MembersCursor implements Backend.
func (p *Postgres) MembersCursor() string { return cursorMembersPG }

type pgSkillCursor struct {
	Score float64   `json:"s"`
	ID    uuid.UUID `json:"id"`
}

type pgMemberCursor struct {
	Score    float64   `json:"s"`
	Distance float64   `json:"d"`
	ID       uuid.UUID `json:"id"`
}

// SearchSkills implements Backend.
func (p *Postgres) SearchSkills(ctx context.Context, q SkillQuery, page relay.Page[Cursor]) (relay.Connection[SkillHit], SkillCounts, error) {
	v, err := q.validate(page)
	if err != nil {
		return relay.Connection[SkillHit]{}, SkillCounts{}, err
	}
	page.First = v.first
	after, err := keyAfter[pgSkillCursor](page)
	if err != nil {
		return relay.Connection[SkillHit]{}, SkillCounts{}, err
	}
	params := store.SkillSearchParams{Text: v.text, Locale: string(v.locale), CategoryID: v.categoryID, Limit: v.first + 1}
	if after != nil {
		params.AfterScore, params.AfterID = &after.Score, after.ID
	}
	res, err := p.st.Reader(ctx).SearchSkills(ctx, params)
	if err != nil {
		return relay.Connection[SkillHit]{}, SkillCounts{}, fmt.Errorf("search skills: %w", err)
	}
	hits := make([]SkillHit, len(res.Hits))
	for i, h := range res.Hits {
		hits[i] = SkillHit{SkillID: h.SkillID, Score: h.Score, at: cursorAt(pgSkillCursor{Score: h.Score, ID: h.SkillID})}
	}
	counts := SkillCounts{Total: res.Total, Facets: []Facet{}}
	for _, f := range res.Facets {
		counts.Facets = append(counts.Facets, Facet{Value: f.Value, Count: f.Count})
	}
	sortFacetList(counts.Facets)
	return relay.Paginate(cursorSkillsPG, page, hits, skillAt), counts, nil
}

func sortFacetList(list []Facet) {
	slices.SortFunc(list, func(a, b Facet) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Value, b.Value)
	})
}

// SearchMembers implements Backend.
func (p *Postgres) SearchMembers(ctx context.Context, actor domain.Actor, q MemberQuery, page relay.Page[Cursor]) (relay.Connection[MemberHit], MemberCounts, error) {
	plan, err := q.plan(actor, page)
	if err != nil {
		return relay.Connection[MemberHit]{}, MemberCounts{}, err
	}
	page.First = plan.first
	after, err := keyAfter[pgMemberCursor](page)
	if err != nil {
		return relay.Connection[MemberHit]{}, MemberCounts{}, err
	}
	if plan.availAt != nil {
		zones, err := p.st.Reader(ctx).MemberSearchZones(ctx)
		if err != nil {
			return relay.Connection[MemberHit]{}, MemberCounts{}, fmt.Errorf("search members: %w", err)
		}
		plan.withAvailability(zones)
	}
	params := store.MemberSearchParams{
		ViewerID: plan.viewer, Text: plan.text, Want: plan.kind == domain.Want,
		AllKeys: hashKeys(plan.allKeys), Facets: plan.facets,
		LevelFacet:           store.LevelFacetSource{SkillID: plan.skillID, CategoryID: plan.catID},
		CategoryFacetMinRank: plan.catRank,
		Limit:                plan.first + 1,
	}
	for _, g := range plan.anyKeys {
		params.AnyKeys = append(params.AnyKeys, hashKeys(g))
	}
	if n := plan.near; n != nil {
		params.Near = &store.GeoCircle{Latitude: n.Latitude, Longitude: n.Longitude, RadiusMeters: n.RadiusKm * 1000}
	}
	if after != nil {
		params.After = &store.MemberSearchKey{Score: after.Score, DistanceM: after.Distance, UserID: after.ID}
	}
	res, err := p.st.Reader(ctx).SearchMembers(ctx, params)
	if err != nil {
		return relay.Connection[MemberHit]{}, MemberCounts{}, fmt.Errorf("search members: %w", err)
	}
	hits := make([]MemberHit, len(res.Hits))
	for i, h := range res.Hits {
		key := pgMemberCursor{Score: h.Score, ID: h.UserID}
		hit := MemberHit{UserID: h.UserID, Score: h.Score}
		if h.DistanceM != nil {
			km := *h.DistanceM / 1000
			hit.DistanceKm = &km
			key.Distance = *h.DistanceM
		}
		hit.at = cursorAt(key)
		hits[i] = hit
	}
	counts := MemberCounts{Total: res.Total}
	if plan.facets {
		counts.Facets = emptyMemberFacets()
		for _, f := range res.Facets {
			value := f.Value
			if f.Facet == FacetLevel {
				value = levelNames[value]
			}
			counts.Facets[f.Facet] = append(counts.Facets[f.Facet], Facet{Value: value, Count: f.Count})
		}
		sortFacets(counts.Facets)
	}
	return relay.Paginate(cursorMembersPG, page, hits, memberAt), counts, nil
}

func emptyMemberFacets() map[string][]Facet {
	return map[string][]Facet{FacetCategory: {}, FacetLevel: {}, FacetLanguage: {}, FacetMode: {}}
}

// IndexMember implements Backend.
func (p *Postgres) IndexMember(ctx context.Context, userID uuid.UUID) error {
	return p.indexMembers(ctx, []uuid.UUID{userID})
}

// indexMembers rebuilds the rows of the given members (and removes those not searchable) in one
// write, under the members' indexing locks.
func (p *Postgres) indexMembers(ctx context.Context, ids []uuid.UUID) error {
	err := p.st.WithMemberIndexLocks(ctx, ids, func(q *store.Queries) error {
		docs, remove, err := loadMemberDocs(ctx, q, ids, false)
		if err != nil {
			return err
		}
		rows := make([]store.MemberSearchDoc, len(docs))
		for i, d := range docs {
			rows[i] = d.row
		}
		return q.WriteMemberSearch(ctx, rows, remove)
	})
	if err != nil {
		return fmt.Errorf("index members: %w", err)
	}
	return nil
}

// loadMemberDocs reads the members' sources and builds the documents of the searchable ones; the
// others (unknown, suspended, hidden) are returned for removal.
func loadMemberDocs(ctx context.Context, q *store.Queries, ids []uuid.UUID, withNames bool) ([]memberDoc, []uuid.UUID, error) {
	srcs, err := q.MemberSearchSources(ctx, ids, withNames)
	if err != nil {
		return nil, nil, err
	}
	found := make(map[uuid.UUID]bool, len(srcs))
	var docs []memberDoc
	var remove []uuid.UUID
	for _, s := range srcs {
		found[s.UserID] = true
		if s.Searchable() {
			docs = append(docs, buildMemberDoc(s))
		} else {
			remove = append(remove, s.UserID)
		}
	}
	for _, id := range ids {
		if !found[id] {
			remove = append(remove, id)
		}
	}
	return docs, remove, nil
}

// IndexSkill implements Backend: the skills table is its own index, but member rows carry the
// skill's category, so the members who have (or had) the skill are rebuilt.
func (p *Postgres) IndexSkill(ctx context.Context, skillID uuid.UUID) error {
	return reindexSkillMembers(ctx, p.st, skillID, p.indexMembers)
}

func reindexSkillMembers(ctx context.Context, st *store.Store, skillID uuid.UUID, index func(context.Context, []uuid.UUID) error) error {
	ids, err := st.Q().MemberIDsWithSkill(ctx, skillID)
	if err != nil {
		return fmt.Errorf("index skill: %w", err)
	}
	for batch := range slices.Chunk(ids, reindexBatch) {
		if err := index(ctx, batch); err != nil {
			return fmt.Errorf("index skill: %w", err)
		}
	}
	return nil
}

// Full reindex hooks (ReindexAll).
func (p *Postgres) reindexSkills(context.Context) error { return nil }

func (p *Postgres) pruneIndexedBefore(context.Context, int64) error {
	// Every member was rewritten or removed, and deleted accounts cascade: nothing is stale.
	return nil
}
