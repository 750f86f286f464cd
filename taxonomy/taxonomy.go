// Package taxonomy keeps the skill taxonomy (categories, skills and their relations) in memory.
//
// Every page of members shows skills and their categories, and the taxonomy changes a few times a
// day: loading the same rows for every request cost each page two or three statements and, in
// the Go server, scanning and batching work per skill (issue 18). A Cache holds one immutable
// Snapshot shared by every request. It is never stale for a request: migration 0032's triggers
// bump taxonomy_version in every transaction that changes the taxonomy, each request reads that
// version once (one primary-key lookup) and the cache reloads the whole taxonomy, once for all
// waiting requests, when it moved. A change committed before a request starts is therefore in
// what the request reads, on every instance, whoever made the change.
package taxonomy

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Source is where the taxonomy lives; *store.Store implements it.
type Source interface {
	// TaxonomyVersion is the current version.
	TaxonomyVersion(ctx context.Context) (int64, error)
	// Taxonomy reads every row and the version they are of.
	Taxonomy(ctx context.Context) (store.TaxonomyRows, error)
}

// Cache is the process's copy of the taxonomy. It is safe for concurrent use.
type Cache struct {
	src     Source
	current atomic.Pointer[Snapshot]
	reload  sync.Mutex // one reload at a time; requests that need it wait for it
	loads   atomic.Int64
}

// NewCache returns an empty cache over src; the first Current loads it.
func NewCache(src Source) *Cache { return &Cache{src: src} }

// Current returns the taxonomy as of now: the snapshot in memory when its version is the
// database's, else a fresh one (loaded once however many requests ask at the same time).
func (c *Cache) Current(ctx context.Context) (*Snapshot, error) {
	v, err := c.src.TaxonomyVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	return c.At(ctx, v)
}

// At is Current for the version v the caller read from taxonomy_version itself (with other
// statements, in one round trip): the snapshot in memory when it is of v or newer, else a fresh
// one.
func (c *Cache) At(ctx context.Context, v int64) (*Snapshot, error) {
	if s := c.current.Load(); s != nil && s.version >= v {
		return s, nil
	}
	c.reload.Lock()
	defer c.reload.Unlock()
	if s := c.current.Load(); s != nil && s.version >= v {
		return s, nil // reloaded while this request waited
	}
	rows, err := c.src.Taxonomy(ctx)
	if err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	s := newSnapshot(rows)
	c.current.Store(s)
	c.loads.Add(1)
	return s, nil
}

// Loads is how many times the cache read the whole taxonomy (tests and metrics).
func (c *Cache) Loads() int64 { return c.loads.Load() }

// Snapshot is the taxonomy at one version. It is shared by every request reading it: the slices
// it returns must not be modified.
type Snapshot struct {
	version        int64
	categories     []domain.SkillCategory
	categoryByID   map[uuid.UUID]*domain.SkillCategory
	skillByID      map[uuid.UUID]*domain.Skill
	categorySkills map[uuid.UUID][]domain.Skill
	related        map[uuid.UUID][]domain.Skill
}

func newSnapshot(rows store.TaxonomyRows) *Snapshot {
	s := &Snapshot{
		version:        rows.Version,
		categories:     rows.Categories,
		categoryByID:   make(map[uuid.UUID]*domain.SkillCategory, len(rows.Categories)),
		skillByID:      make(map[uuid.UUID]*domain.Skill, len(rows.Skills)),
		categorySkills: make(map[uuid.UUID][]domain.Skill, len(rows.Categories)),
		related:        make(map[uuid.UUID][]domain.Skill),
	}
	for i := range rows.Categories {
		s.categoryByID[rows.Categories[i].ID] = &rows.Categories[i]
	}
	for i := range rows.Skills { // by English name: the lists below keep that order
		sk := &rows.Skills[i]
		s.skillByID[sk.ID] = sk
		if sk.Status == domain.SkillApproved {
			s.categorySkills[sk.CategoryID] = append(s.categorySkills[sk.CategoryID], *sk)
		}
	}
	for _, r := range rows.Relations { // by the related skill's English name
		if sk, ok := s.skillByID[r.RelatedID]; ok {
			s.related[r.SkillID] = append(s.related[r.SkillID], *sk)
		}
	}
	// Shared by every request: an append by a reader must copy, never write past the end.
	for k, v := range s.categorySkills {
		s.categorySkills[k] = slices.Clip(v)
	}
	for k, v := range s.related {
		s.related[k] = slices.Clip(v)
	}
	return s
}

// Version is the taxonomy_version the snapshot was read at.
func (s *Snapshot) Version() int64 { return s.version }

// Categories are every category in display order.
func (s *Snapshot) Categories() []domain.SkillCategory { return slices.Clip(s.categories) }

// Category is the category with this id, if any: the snapshot's own, shared, not to be modified
// (no copy: every skill of a page shows its category).
func (s *Snapshot) Category(id uuid.UUID) (*domain.SkillCategory, bool) {
	c, ok := s.categoryByID[id]
	return c, ok
}

// Skill is the skill with this id whatever its status, if any: the snapshot's own, shared, not to
// be modified.
func (s *Snapshot) Skill(id uuid.UUID) (*domain.Skill, bool) {
	sk, ok := s.skillByID[id]
	return sk, ok
}

// CategorySkills are the approved skills of a category, by English name.
func (s *Snapshot) CategorySkills(categoryID uuid.UUID) []domain.Skill {
	return orEmpty(s.categorySkills[categoryID])
}

// RelatedSkills are the approved skills related to a skill, by English name.
func (s *Snapshot) RelatedSkills(skillID uuid.UUID) []domain.Skill {
	return orEmpty(s.related[skillID])
}

// orEmpty answers an empty list rather than nil (a GraphQL list field is [] for none).
func orEmpty(v []domain.Skill) []domain.Skill {
	if v == nil {
		return []domain.Skill{}
	}
	return v
}
