package matching

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/store"
)

// Candidate generation (see store/matching.go for the SQL):
//
//  1. store.MatchPostings: per key and level, the members holding the key (posting lists),
//     and the members excluded from matching.
//  2. preRank (here): a cheap skill pre-score per member over those lists, the excluded
//     members removed, the best preLimit kept in a fixed order.
//  3. store.MatchProfiles: profile probes of those, best first, until limit pass.
//
// The pre-score mirrors the skill factors of the full score (keyPoints), so the cap keeps the
// members that scoring would rank best (it is the rule the SQL aggregate used before, unchanged):
//
//	pre = mutualPre (exact edges both ways) + best teach edge + best learn edge + min(edges-1, 3)
//
// where an edge scores keyPoints[key*4 + rank-1]. Ties are broken by uuidHash(id) XOR seed
// (signed), then by id: pseudo-random but reproducible per viewer and day, so the members cut
// off by the caps are not always the same ones.

// mutualPre outranks any one-way pre-score (at most 2 × 1000 + 3).
const mutualPre = 1000000

// preAgg is one member's pre-score state.
type preAgg struct {
	id           [16]byte
	teach, learn int32 // best edge points per direction, -1 when none
	edges        int32
	flags        uint8
	head         int32 // last edge in preRanking.edgeCode/edgeNext, -1 when none
}

const (
	flagTeachExact = 1 << iota
	flagLearnExact
	flagHit
	flagExcluded
)

// preItem is a member to rank: key orders by pre-score desc, then tie-break hash (see preRank).
type preItem struct {
	key uint64
	i   int32
}

// preRanking is the outcome of preRank: the best members in order, and every member's edges.
// Its buffers are reused across requests (release): a popular viewer's lists hold tens of
// thousands of members, and allocating them anew each time kept the garbage collector busy.
type preRanking struct {
	// ranked: the kept members, best first.
	ranked [][16]byte
	aggs   []preAgg
	index  map[[16]byte]int32
	// indexSize: the number of entries index was made for (clear keeps its room).
	indexSize int
	// edgeCode[i] is an edge (key*4 + rank-1); edgeNext[i] the member's previous edge, or -1.
	edgeCode, edgeNext []int32
	items              []preItem
}

var preRankings = sync.Pool{New: func() any { return new(preRanking) }}

// release returns r's buffers for reuse; r must not be used afterwards.
func (r *preRanking) release() {
	if cap(r.aggs) > 1<<20 { // an outlier: let it go rather than keep it forever
		return
	}
	clear(r.index)
	r.ranked, r.aggs, r.edgeCode, r.edgeNext, r.items = r.ranked[:0], r.aggs[:0], r.edgeCode[:0], r.edgeNext[:0], r.items[:0]
	preRankings.Put(r)
}

// preRank merges posting lists into pre-scores and keeps the best limit eligible members:
// at least one edge on a hit key, mutual when mutualOnly, not excluded. Call release on the
// result when done with it.
func preRank(keys []keySpec, points []int32, p store.MatchPostings, mutualOnly bool, seed int32, limit int) *preRanking {
	r := preRankings.Get().(*preRanking)
	total := 0
	for _, l := range p.Lists {
		total += len(l.Members)
	}
	if cap(r.aggs) < total {
		r.aggs, r.edgeCode, r.edgeNext = make([]preAgg, 0, total), make([]int32, 0, total), make([]int32, 0, total)
		r.items = make([]preItem, 0, total)
	}
	if r.indexSize < total {
		r.index, r.indexSize = make(map[[16]byte]int32, total), total
	}
	for _, l := range p.Lists {
		if l.Key < 0 || l.Key >= len(keys) || l.Rank < 1 || l.Rank > 4 {
			continue
		}
		k := keys[l.Key]
		code := int32(l.Key*4 + l.Rank - 1)
		pts := points[code]
		var flags uint8
		switch {
		case k.Exact && k.TheyTeach:
			flags = flagTeachExact
		case k.Exact:
			flags = flagLearnExact
		}
		if k.Hit {
			flags |= flagHit
		}
		for _, id := range l.Members {
			i, ok := r.index[id]
			if !ok {
				i = int32(len(r.aggs))
				r.index[id] = i
				r.aggs = append(r.aggs, preAgg{id: id, teach: -1, learn: -1, head: -1})
			}
			a := &r.aggs[i]
			if k.TheyTeach {
				a.teach = max(a.teach, pts)
			} else {
				a.learn = max(a.learn, pts)
			}
			a.edges++
			a.flags |= flags
			r.edgeCode = append(r.edgeCode, code)
			r.edgeNext = append(r.edgeNext, a.head)
			a.head = int32(len(r.edgeCode) - 1)
		}
	}
	for _, id := range p.Excluded {
		if i, ok := r.index[id]; ok {
			r.aggs[i].flags |= flagExcluded
		}
	}

	// Sort keys: (mutualPre+3000 - pre) in the high half and the signed tie-break hash made
	// unsigned in the low half, so ascending order is pre desc, then hash asc; then id asc.
	items := r.items
	for i := range r.aggs {
		a := &r.aggs[i]
		mutual := a.flags&(flagTeachExact|flagLearnExact) == flagTeachExact|flagLearnExact
		if a.flags&flagHit == 0 || a.flags&flagExcluded != 0 || (mutualOnly && !mutual) {
			continue
		}
		pre := int64(max(a.teach, 0)) + int64(max(a.learn, 0)) + int64(min(a.edges-1, 3))
		if mutual {
			pre += mutualPre
		}
		tie := uint32(uuidHash(a.id)^seed) ^ 1<<31
		items = append(items, preItem{key: uint64(mutualPre+3000-pre)<<32 | uint64(tie), i: int32(i)})
	}
	r.items = items
	less := func(a, b preItem) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return bytes.Compare(r.aggs[a.i].id[:], r.aggs[b.i].id[:])
	}
	if len(items) > limit {
		items = selectSmallest(items, limit, less)
	}
	slices.SortFunc(items, less)
	for _, it := range items {
		r.ranked = append(r.ranked, r.aggs[it.i].id)
	}
	return r
}

// edges returns a member's edge codes in key order (nil for a member without edges).
func (r *preRanking) edges(id uuid.UUID) []int32 {
	i, ok := r.index[id]
	if !ok {
		return nil
	}
	a := r.aggs[i]
	out := make([]int32, a.edges)
	j := len(out)
	for e := a.head; e >= 0 && j > 0; e = r.edgeNext[e] {
		j--
		out[j] = r.edgeCode[e]
	}
	out = out[j:]
	slices.Sort(out) // the lists may come in any order
	return out
}

// selectSmallest returns the k smallest items (in no particular order), reordering s.
// Quickselect with a median-of-three pivot; cmp must be a strict total order.
func selectSmallest[T any](s []T, k int, cmp func(a, b T) int) []T {
	lo, hi := 0, len(s)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Median of three into s[hi] as the pivot.
		if cmp(s[mid], s[lo]) < 0 {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if cmp(s[hi], s[lo]) < 0 {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if cmp(s[mid], s[hi]) < 0 {
			s[mid], s[hi] = s[hi], s[mid]
		}
		pivot := s[hi]
		store := lo
		for i := lo; i < hi; i++ {
			if cmp(s[i], pivot) < 0 {
				s[i], s[store] = s[store], s[i]
				store++
			}
		}
		s[store], s[hi] = s[hi], s[store]
		switch {
		case store == k-1 || store == k:
			return s[:k]
		case store < k:
			lo = store + 1
		default:
			hi = store - 1
		}
	}
	return s[:k]
}

// uuidHash is PostgreSQL's uuid_hash(id) as an int4: hash_bytes (Bob Jenkins' lookup3, as in
// src/common/hashfn.c) of the 16 bytes, read as little-endian words (the server's byte order on
// the platforms we run). TestUUIDHashMatchesPostgreSQL compares it with the server's.
func uuidHash(id [16]byte) int32 {
	w := func(i int) uint32 { return binary.LittleEndian.Uint32(id[i*4:]) }
	a := uint32(0x9e3779b9) + 16 + 3923095
	b, c := a, a
	// One 12-byte block, mixed.
	a += w(0)
	b += w(1)
	c += w(2)
	a -= c
	a ^= bits.RotateLeft32(c, 4)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 6)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 8)
	b += a
	a -= c
	a ^= bits.RotateLeft32(c, 16)
	c += b
	b -= a
	b ^= bits.RotateLeft32(a, 19)
	a += c
	c -= b
	c ^= bits.RotateLeft32(b, 4)
	b += a
	// The last 4 bytes, then the final mix.
	a += w(3)
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return int32(c)
}

// candidateQuery parameterises candidates.
type candidateQuery struct {
	viewerID   uuid.UUID
	keys       []keySpec
	preLimit   int
	limit      int
	seed       int32
	mutualOnly bool
	filter     Filter
}

// candidate is a store.MatchCandidate with its edge codes (key*4 + rank-1, in key order).
type candidate struct {
	store.MatchCandidate
	edges []int32
}

// candidates runs candidate generation (see the top of this file): 2 statements. Candidates
// come in pre-score order; the caller scores and sorts them.
func (s *Service) candidates(ctx context.Context, q *store.Queries, in candidateQuery) ([]candidate, error) {
	mk := make([]store.MatchKey, len(in.keys))
	for i, k := range in.keys {
		mk[i] = k.MatchKey
	}
	postings, err := q.MatchPostings(ctx, store.MatchPostingsQuery{ViewerID: in.viewerID, Keys: mk, RelatedBelow: in.preLimit})
	if err != nil {
		return nil, err
	}
	r := preRank(in.keys, keyPoints(in.keys), postings, in.mutualOnly, in.seed, in.preLimit)
	defer r.release()
	if len(r.ranked) == 0 {
		return nil, nil
	}
	cands, err := q.MatchProfiles(ctx, store.MatchProfileQuery{
		ViewerID: in.viewerID, Ranked: r.ranked, Limit: in.limit,
		Mode: in.filter.Mode, Language: in.filter.Language, MaxDistanceKm: in.filter.MaxDistanceKm,
	})
	if err != nil {
		return nil, err
	}
	out := make([]candidate, len(cands))
	for i, c := range cands {
		out[i] = candidate{MatchCandidate: c, edges: r.edges(c.UserID)}
	}
	return out, nil
}
