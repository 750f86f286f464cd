package taxonomy_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/store"
	"github.com/skillswap/skillswap/taxonomy"
)

type world struct {
	pool  *pgxpool.Pool
	cache *taxonomy.Cache
}

func newWorld(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	pool, err := store.OpenPool(ctx, testdb.New(t), store.PoolConfig{MaxConns: 8, StatementTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return world{pool: pool, cache: taxonomy.NewCache(store.New(pool, nil, slog.New(slog.DiscardHandler)))}
}

func (w world) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := w.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (w world) current(t *testing.T) *taxonomy.Snapshot {
	t.Helper()
	s, err := w.cache.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ids are the SQL's answer, in the SQL's order.
func (w world) ids(t *testing.T, sql string, args ...any) []uuid.UUID {
	t.Helper()
	rows, err := w.pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func skillIDs(v []domain.Skill) []uuid.UUID {
	out := make([]uuid.UUID, len(v))
	for i, s := range v {
		out[i] = s.ID
	}
	return out
}

// The snapshot answers what the loaders' SQL answered: every skill whatever its status, a
// category's approved skills and a skill's approved relations in the database's collation order
// (upper and lower case, accents), categories in display order.
func TestSnapshotAnswersLikeTheSQL(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cat := uuid.New()
	w.exec(t, `INSERT INTO skill_categories (id, slug, name_en, name_fr, position) VALUES ($1, 't-cat', 'Cat', 'Chat', 0)`, cat)
	names := []string{"banjo", "Accordion", "Éclair piping", "zither", "Zumba", "alto sax", "eclectic"}
	ids := make([]uuid.UUID, len(names))
	for i, n := range names {
		ids[i] = uuid.New()
		status := "APPROVED"
		if i == 3 {
			status = "PENDING"
		}
		w.exec(t, `INSERT INTO skills (id, slug, category_id, name_en, name_fr, synonyms, status) VALUES ($1, $2, $3, $4, $4, '{}', $5)`,
			ids[i], "t-skill-"+string(rune('a'+i)), cat, n, status)
	}
	for _, other := range ids[1:] {
		w.exec(t, `INSERT INTO skill_relations VALUES ($1, $2), ($2, $1)`, ids[0], other)
	}
	s := w.current(t)

	want := w.ids(t, `SELECT id FROM skills WHERE category_id = $1 AND status = 'APPROVED' ORDER BY name_en`, cat)
	if got := skillIDs(s.CategorySkills(cat)); !slices.Equal(got, want) || len(got) != 6 {
		t.Fatalf("category skills %v, want the SQL's %v", got, want)
	}
	want = w.ids(t, `SELECT r.related_id FROM skill_relations r JOIN skills s ON s.id = r.related_id AND s.status = 'APPROVED'
		WHERE r.skill_id = $1 ORDER BY s.name_en`, ids[0])
	if got := skillIDs(s.RelatedSkills(ids[0])); !slices.Equal(got, want) || len(got) != 5 {
		t.Fatalf("related skills %v, want the SQL's %v", got, want)
	}
	if got := s.RelatedSkills(uuid.New()); got == nil || len(got) != 0 {
		t.Fatalf("no relations: %v, want an empty list", got)
	}
	if sk, ok := s.Skill(ids[3]); !ok || sk.Status != domain.SkillPending || sk.NameEN != "zither" {
		t.Fatalf("pending skill by id: %+v %v", sk, ok)
	}
	if _, ok := s.Skill(uuid.New()); ok {
		t.Fatal("an unknown skill id was found")
	}
	cats := s.Categories()
	want = w.ids(t, `SELECT id FROM skill_categories ORDER BY position, slug`)
	got := make([]uuid.UUID, len(cats))
	for i, c := range cats {
		got[i] = c.ID
	}
	if !slices.Equal(got, want) || !slices.Contains(got, cat) {
		t.Fatalf("categories %v, want %v", got, want)
	}
	if c, ok := s.Category(cat); !ok || c.NameFR != "Chat" {
		t.Fatalf("category by id: %+v %v", c, ok)
	}
	// Shared lists: a reader appending to one must not write into the snapshot.
	list := s.CategorySkills(cat)
	_ = append(list, domain.Skill{NameEN: "intruder"})
	if again := s.CategorySkills(cat); len(again) != 6 || cap(again) != len(again) {
		t.Fatalf("the shared list has room to be written past its end: len %d cap %d", len(again), cap(again))
	}
}

// Every committed change to the taxonomy, whatever makes it, is in the next Current; an
// uncommitted one is not; a statement that changes no row does not cost a reload.
func TestCurrentFollowsEveryCommittedChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	cat := uuid.New()
	w.exec(t, `INSERT INTO skill_categories (id, slug, name_en, name_fr, position) VALUES ($1, 't-follow', 'Follow', 'Suivre', 99)`, cat)
	a, b := uuid.New(), uuid.New()
	w.exec(t, `INSERT INTO skills (id, slug, category_id, name_en, name_fr, synonyms, status) VALUES
		($1, 't-a', $3, 'Alpha', 'Alpha', '{}', 'APPROVED'), ($2, 't-b', $3, 'Beta', 'Bêta', '{}', 'PENDING')`, a, b, cat)
	user := uuid.New()
	w.exec(t, `INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at) VALUES ($1, 'taxonomy@test.local', 'x', 'Proposer', now(), now())`, user)
	w.exec(t, `UPDATE skills SET proposed_by = $2 WHERE id = $1`, b, user)
	w.current(t)

	for _, tc := range []struct {
		name   string
		sql    string
		args   []any
		holds  func(*taxonomy.Snapshot) bool
		reload bool
	}{
		{"category renamed", `UPDATE skill_categories SET name_fr = 'Suivi' WHERE id = $1`, []any{cat},
			func(s *taxonomy.Snapshot) bool { c, _ := s.Category(cat); return c.NameFR == "Suivi" }, true},
		{"proposal approved", `UPDATE skills SET status = 'APPROVED' WHERE id = $1`, []any{b},
			func(s *taxonomy.Snapshot) bool { return len(s.CategorySkills(cat)) == 2 }, true},
		{"relation added", `INSERT INTO skill_relations VALUES ($1, $2), ($2, $1)`, []any{a, b},
			func(s *taxonomy.Snapshot) bool { return len(s.RelatedSkills(a)) == 1 && s.RelatedSkills(a)[0].ID == b }, true},
		{"skill rejected: gone from lists, still found by id", `UPDATE skills SET status = 'REJECTED' WHERE id = $1`, []any{b},
			func(s *taxonomy.Snapshot) bool {
				sk, ok := s.Skill(b)
				return ok && sk.Status == domain.SkillRejected && len(s.CategorySkills(cat)) == 1 && len(s.RelatedSkills(a)) == 0
			}, true},
		{"erasure clears who proposed", `UPDATE skills SET proposed_by = NULL WHERE proposed_by = $1`, []any{user},
			func(s *taxonomy.Snapshot) bool { sk, _ := s.Skill(b); return sk.ProposedBy == nil }, true},
		{"a statement changing no row", `UPDATE skills SET proposed_by = NULL WHERE proposed_by = $1`, []any{user},
			func(s *taxonomy.Snapshot) bool { return true }, false},
		{"relations emptied", `TRUNCATE skill_relations`, nil,
			func(s *taxonomy.Snapshot) bool { _, ok := s.Skill(b); return ok && len(s.RelatedSkills(b)) == 0 }, true},
		{"skill deleted", `DELETE FROM skills WHERE id = $1`, []any{b},
			func(s *taxonomy.Snapshot) bool { _, ok := s.Skill(b); return !ok }, true},
	} {
		before, loads := w.current(t).Version(), w.cache.Loads()
		w.exec(t, tc.sql, tc.args...)
		s := w.current(t)
		if !tc.holds(s) {
			t.Fatalf("%s: not in the snapshot read after the commit", tc.name)
		}
		if moved := s.Version() != before; moved != tc.reload || (w.cache.Loads() != loads) != tc.reload {
			t.Fatalf("%s: version %d -> %d, loads %d -> %d, want a reload: %v", tc.name, before, s.Version(), loads, w.cache.Loads(), tc.reload)
		}
	}

	// Not committed: not seen; committed: seen.
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `UPDATE skills SET name_en = 'Alpha prime' WHERE id = $1`, a); err != nil {
		t.Fatal(err)
	}
	if sk, _ := w.current(t).Skill(a); sk.NameEN != "Alpha" {
		t.Fatalf("an uncommitted rename is in the snapshot: %q", sk.NameEN)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if sk, _ := w.current(t).Skill(a); sk.NameEN != "Alpha prime" {
		t.Fatalf("a committed rename is not in the snapshot: %q", sk.NameEN)
	}
}

// Requests that find the snapshot stale at the same time share one reload.
func TestConcurrentRequestsShareOneReload(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.current(t)
	w.exec(t, `UPDATE skill_categories SET name_fr = name_fr || ' ' WHERE slug = (SELECT min(slug) FROM skill_categories)`)
	loads := w.cache.Loads()
	var wg sync.WaitGroup
	versions := make([]int64, 16)
	for i := range versions {
		wg.Go(func() {
			s, err := w.cache.Current(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			versions[i] = s.Version()
		})
	}
	wg.Wait()
	if got := w.cache.Loads() - loads; got != 1 {
		t.Fatalf("16 concurrent requests after one change reloaded %d times, want 1", got)
	}
	for _, v := range versions[1:] {
		if v != versions[0] {
			t.Fatalf("requests saw different versions: %v", versions)
		}
	}
}
