package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Posting lists: per key and level, in user id order, the viewer left out; related keys only
// while the exact keys hold fewer distinct members than RelatedBelow; the excluded members.
func TestMatchPostings(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	var a, b, r uuid.UUID
	if err := st.Pool().QueryRow(ctx, `SELECT (array_agg(id ORDER BY slug))[1], (array_agg(id ORDER BY slug))[2], (array_agg(id ORDER BY slug))[3] FROM skills`).Scan(&a, &b, &r); err != nil {
		t.Fatal(err)
	}
	viewer := newUser(t, q, "viewer@example.com")
	users := make([]domain.User, 8)
	for i := range users {
		users[i] = newUser(t, q, fmt.Sprintf("m%d@example.com", i))
	}
	has := func(u domain.User, skill uuid.UUID, kind, level string) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, `INSERT INTO member_skills (user_id, skill_id, kind, level) VALUES ($1, $2, $3, $4)`, u.ID, skill, kind, level); err != nil {
			t.Fatal(err)
		}
	}
	has(viewer, a, "OFFER", "EXPERT")
	// Key 0 (a, OFFER): users 0..2, key 1 (b, WANT): users 1..3; distinct: 0..3 (4 members).
	has(users[0], a, "OFFER", "BEGINNER")
	has(users[1], a, "OFFER", "EXPERT")
	has(users[2], a, "OFFER", "BEGINNER")
	for _, u := range users[1:4] {
		has(u, b, "WANT", "ADVANCED")
	}
	// Key 2 (r, related, OFFER): users 4..7.
	for _, u := range users[4:8] {
		has(u, r, "OFFER", "INTERMEDIATE")
	}
	if _, err := st.Pool().Exec(ctx, `UPDATE users SET status = 'SUSPENDED' WHERE id = $1`, users[5].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO profiles (user_id, visibility) VALUES ($1, 'HIDDEN')`, users[6].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2)`, users[7].ID, viewer.ID); err != nil {
		t.Fatal(err)
	}
	keys := []store.MatchKey{
		{SkillID: a, TheirKind: domain.Offer, Exact: true},
		{SkillID: b, TheirKind: domain.Want, Exact: true},
		{SkillID: r, TheirKind: domain.Offer},
	}
	sorted := func(us ...domain.User) [][16]byte {
		out := make([][16]byte, len(us))
		for i, u := range us {
			out[i] = u.ID
		}
		slices.SortFunc(out, func(x, y [16]byte) int { return slices.Compare(x[:], y[:]) })
		return out
	}
	// Largest key 3 >= 3: no related; 3 < 4 but 4 distinct >= 4: no related; 4 < 5: related;
	// total 6 < 7: related.
	for _, tc := range []struct {
		below   int
		related bool
	}{{3, false}, {4, false}, {5, true}, {7, true}} {
		p, err := q.MatchPostings(ctx, store.MatchPostingsQuery{ViewerID: viewer.ID, Keys: keys, RelatedBelow: tc.below})
		if err != nil {
			t.Fatal(err)
		}
		got := map[[2]int][][16]byte{}
		for _, l := range p.Lists {
			got[[2]int{l.Key, l.Rank}] = l.Members
		}
		want := map[[2]int][][16]byte{
			{0, 1}: sorted(users[0], users[2]), {0, 4}: sorted(users[1]), {1, 3}: sorted(users[1], users[2], users[3]),
		}
		if tc.related {
			want[[2]int{2, 2}] = sorted(users[4:8]...)
		}
		if len(got) != len(want) {
			t.Fatalf("below %d: lists %v, want %v", tc.below, got, want)
		}
		for k, w := range want {
			if !slices.Equal(got[k], w) {
				t.Fatalf("below %d: list %v = %v, want %v", tc.below, k, got[k], w)
			}
		}
		for _, u := range users[5:8] {
			if !slices.Contains(p.Excluded, [16]byte(u.ID)) {
				t.Fatalf("below %d: %v not excluded", tc.below, u.Email)
			}
		}
		if slices.Contains(p.Excluded, [16]byte(users[4].ID)) {
			t.Fatalf("below %d: an active member is excluded", tc.below)
		}
	}
}

// MatchProfiles keeps the ranked order and returns the first members that pass, skipping the
// ones that cannot match (checked again) or fail a filter.
func TestMatchProfilesKeepsTheOrder(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	viewer := newUser(t, q, "viewer@example.com")
	users := make([]domain.User, 6)
	for i := range users {
		users[i] = newUser(t, q, fmt.Sprintf("m%d@example.com", i))
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO profiles (user_id, mode) VALUES ($1, 'ONLINE')`, viewer.ID)
	exec(`INSERT INTO profiles (user_id, visibility) VALUES ($1, 'HIDDEN')`, users[0].ID)
	exec(`UPDATE users SET status = 'SUSPENDED' WHERE id = $1`, users[1].ID)
	exec(`INSERT INTO profiles (user_id, mode, languages) VALUES ($1, 'IN_PERSON', '{fr}')`, users[2].ID) // cannot meet
	exec(`INSERT INTO profiles (user_id, languages) VALUES ($1, '{fr}')`, users[3].ID)
	exec(`INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2)`, viewer.ID, users[4].ID)
	exec(`INSERT INTO availability_slots (user_id, weekday, start_minute, end_minute) VALUES ($1, 2, 600, 660), ($1, 1, 60, 120)`, users[5].ID)
	ranked := make([][16]byte, len(users))
	for i, u := range users {
		ranked[len(users)-1-i] = u.ID // best first: 5, 4, ..., 0
	}
	ids := func(cs []store.MatchCandidate) []uuid.UUID {
		out := make([]uuid.UUID, len(cs))
		for i, c := range cs {
			out[i] = c.UserID
		}
		return out
	}
	got, err := q.MatchProfiles(ctx, store.MatchProfileQuery{ViewerID: viewer.ID, Ranked: ranked, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uuid.UUID{users[5].ID, users[3].ID}; !slices.Equal(ids(got), want) {
		t.Fatalf("got %v, want %v", ids(got), want)
	}
	if s := got[0].Slots; len(s) != 2 || s[0].Weekday != 1 || s[0].StartMinute != 60 || s[1].EndMinute != 660 || got[0].Mode != domain.ModeBoth {
		t.Fatalf("first candidate %+v", got[0])
	}
	if got, err = q.MatchProfiles(ctx, store.MatchProfileQuery{ViewerID: viewer.ID, Ranked: ranked, Limit: 1}); err != nil || !slices.Equal(ids(got), []uuid.UUID{users[5].ID}) {
		t.Fatalf("limit 1: %v %v", ids(got), err)
	}
	fr := "fr"
	if got, err = q.MatchProfiles(ctx, store.MatchProfileQuery{ViewerID: viewer.ID, Ranked: ranked, Limit: 10, Language: &fr}); err != nil || !slices.Equal(ids(got), []uuid.UUID{users[3].ID}) {
		t.Fatalf("language fr: %v %v", ids(got), err)
	}
}
