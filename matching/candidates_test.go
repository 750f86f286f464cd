package matching

import (
	"bytes"
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/store"
)

// The tie-break of the pre-score ranking is PostgreSQL's uuid_hash, computed in Go.
func TestUUIDHashMatchesPostgreSQL(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testdb.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ids := make([][16]byte, 2000)
	for i := range ids {
		ids[i] = uuid.New()
		if i%2 == 0 {
			ids[i] = uuid.Must(uuid.NewV7())
		}
	}
	ids[0], ids[1] = uuid.Nil, uuid.Max
	var got []int32
	err = conn.QueryRow(ctx, `SELECT array_agg(uuid_hash(u) ORDER BY o) FROM unnest($1::uuid[]) WITH ORDINALITY AS x(u, o)`, ids).Scan(&got)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if h := uuidHash(id); h != got[i] {
			t.Fatalf("uuid_hash(%v) = %d in PostgreSQL, %d in Go", uuid.UUID(id), got[i], h)
		}
	}
}

// preRank agrees with a direct transcription of the pre-score rule (the SQL aggregate it
// replaced): per member, mutual bonus + best edge each way + breadth, members needing a hit and
// not excluded, mutual only when asked, ordered by pre-score desc, hash XOR seed, id.
func TestPreRankMatchesTheRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	skills := make([]store.MatchViewerSkill, 0, 6)
	for i := range 6 {
		kind := domain.Want
		if i%2 == 1 {
			kind = domain.Offer
		}
		sk := store.MatchViewerSkill{SkillID: uuid.New(), Kind: kind, Level: levelsByRank[i%4]}
		for range i % 3 {
			sk.Related = append(sk.Related, uuid.New())
		}
		skills = append(skills, sk)
	}
	members := make([][16]byte, 3000)
	for i := range members {
		members[i] = uuid.New()
	}
	for _, tc := range []struct {
		name       string
		filter     *uuid.UUID
		mutualOnly bool
		limit      int
	}{
		{"all", nil, false, 625},
		{"cap above the candidates", nil, false, 100000},
		{"mutual only", nil, true, 300},
		{"skill filter", &skills[2].SkillID, false, 400},
		{"related skill filter", &skills[4].Related[0], false, 50},
		{"tiny cap", nil, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := buildKeys(skills, false, tc.filter)
			points := keyPoints(keys)
			var p store.MatchPostings
			type edge struct{ key, rank int }
			want := map[[16]byte][]edge{}
			for k := range keys {
				// Each member holds a key's skill (at one level) with a 1 in 12 chance.
				lists := make([]store.MatchPostingList, 4)
				for _, m := range members {
					if rng.IntN(12) == 0 {
						rank := 1 + rng.IntN(4)
						lists[rank-1].Members = append(lists[rank-1].Members, m)
						want[m] = append(want[m], edge{k, rank})
					}
				}
				for i, l := range lists {
					if len(l.Members) > 0 {
						l.Key, l.Rank = k, i+1
						p.Lists = append(p.Lists, l)
					}
				}
			}
			for i := 0; i < len(members); i += 17 {
				p.Excluded = append(p.Excluded, members[i])
			}
			p.Excluded = append(p.Excluded, uuid.New()) // not a candidate: ignored
			seed := rng.Int32()

			// The rule, transcribed from the SQL it replaced.
			type row struct {
				id  [16]byte
				pre int64
				tie int32
			}
			var rows []row
			for id, edges := range want {
				if slices.Contains(p.Excluded, id) {
					continue
				}
				var teachExact, learnExact, hit bool
				teach, learn := int64(-1), int64(-1)
				for _, e := range edges {
					k := keys[e.key]
					pts := int64(points[e.key*4+e.rank-1])
					if k.TheyTeach {
						teach = max(teach, pts)
						teachExact = teachExact || k.Exact
					} else {
						learn = max(learn, pts)
						learnExact = learnExact || k.Exact
					}
					hit = hit || k.Hit
				}
				mutual := teachExact && learnExact
				if !hit || (tc.mutualOnly && !mutual) {
					continue
				}
				pre := max(teach, 0) + max(learn, 0) + int64(min(len(edges)-1, 3))
				if mutual {
					pre += 1000000
				}
				rows = append(rows, row{id, pre, uuidHash(id) ^ seed})
			}
			slices.SortFunc(rows, func(a, b row) int {
				return cmp.Or(cmp.Compare(b.pre, a.pre), cmp.Compare(a.tie, b.tie), bytes.Compare(a.id[:], b.id[:]))
			})
			rows = rows[:min(len(rows), tc.limit)]

			r := preRank(keys, points, p, tc.mutualOnly, seed, tc.limit)
			if len(r.ranked) != len(rows) {
				t.Fatalf("%d ranked, want %d", len(r.ranked), len(rows))
			}
			for i := range rows {
				if r.ranked[i] != rows[i].id {
					t.Fatalf("rank %d: %v, want %v (pre %d)", i, uuid.UUID(r.ranked[i]), uuid.UUID(rows[i].id), rows[i].pre)
				}
				var codes []int32
				for _, e := range want[rows[i].id] {
					codes = append(codes, int32(e.key*4+e.rank-1))
				}
				slices.Sort(codes)
				if got := r.edges(rows[i].id); !slices.Equal(got, codes) {
					t.Fatalf("edges of %v: %v, want %v", uuid.UUID(rows[i].id), got, codes)
				}
			}
			if len(rows) < 2 && tc.limit > 1 {
				t.Fatalf("the test population gives %d candidates: too few to test the order", len(rows))
			}
		})
	}
}

func TestSelectSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 3, 10, 100, 5000} {
		for _, k := range []int{1, 2, n / 2, n - 1} {
			if k < 1 || k >= n {
				continue
			}
			s := make([]int, n)
			for i := range s {
				s[i] = i
			}
			rng.Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
			got := selectSmallest(s, k, cmp.Compare[int])
			slices.Sort(got)
			for i, v := range got {
				if v != i {
					t.Fatalf("n=%d k=%d: got %v", n, k, got[:min(len(got), 10)])
				}
			}
		}
	}
}
