package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Posting lists: per key and level, in user id order, the viewer left out; related keys only
// while the exact keys hold fewer distinct members than RelatedBelow; the excluded members.
func TestMatchPostings(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// matchProfilesDrift counts the members whose match_profiles row (migration 0010) differs from
// what users, profiles and availability_slots say, or is missing.
func matchProfilesDrift(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	err := st.Pool().QueryRow(context.Background(), `
		SELECT count(*) FROM users u
		LEFT JOIN profiles p ON p.user_id = u.id
		LEFT JOIN match_profiles m ON m.user_id = u.id
		WHERE (m.created_at, m.active, m.hidden, m.languages, m.time_zone, m.latitude, m.longitude, m.mode, m.slots)
			IS DISTINCT FROM (u.created_at, u.status = 'ACTIVE', coalesce(p.visibility = 'HIDDEN', false),
				coalesce(p.languages, '{}'), coalesce(p.time_zone, 'UTC'),
				round(p.latitude::numeric, 2)::float8, round(p.longitude::numeric, 2)::float8, coalesce(p.mode, 'BOTH'),
				ARRAY(SELECT (s.weekday * 1441 + s.start_minute) * 1441 + s.end_minute FROM availability_slots s
					WHERE s.user_id = u.id ORDER BY s.weekday, s.start_minute))`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	var orphans int
	if err := st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM match_profiles m WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.user_id)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	return n + orphans
}

// match_profiles follows every kind of change to its sources, through the store and through
// plain SQL, single rows and bulk statements.
func TestMatchProfilesFollowTheirSources(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	q := st.Q()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	step := func(name string) {
		t.Helper()
		if n := matchProfilesDrift(t, st); n != 0 {
			t.Fatalf("after %s: %d members differ from their sources", name, n)
		}
	}
	step("migrations (seeded users)")
	a, b := newUser(t, q, "a@example.com"), newUser(t, q, "b@example.com")
	step("new users")
	lat, lon := 48.85661, 2.35222
	if _, err := q.UpsertProfile(ctx, domain.Profile{UserID: a.ID, Languages: []string{"fr", "en"}, TimeZone: "Europe/Paris",
		Latitude: &lat, Longitude: &lon, Mode: domain.ModeInPerson, Visibility: domain.VisibilityMembers, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	step("a profile created")
	if _, err := q.UpsertProfile(ctx, domain.Profile{UserID: a.ID, Languages: []string{"de"}, TimeZone: "Europe/Berlin",
		Mode: domain.ModeOnline, Visibility: domain.VisibilityHidden, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	step("a profile replaced (upsert)")
	if err := q.ReplaceSlots(ctx, a.ID, []domain.AvailabilitySlot{{Weekday: 3, StartMinute: 600, EndMinute: 660}, {Weekday: 1, StartMinute: 60, EndMinute: 90}}); err != nil {
		t.Fatal(err)
	}
	step("slots replaced")
	if err := q.ReplaceSlots(ctx, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	step("slots cleared")
	exec(`INSERT INTO availability_slots (user_id, weekday, start_minute, end_minute) VALUES ($1, 2, 0, 30), ($1, 2, 60, 90), ($2, 7, 0, 1440)`, a.ID, b.ID)
	exec(`UPDATE availability_slots SET end_minute = 45 WHERE user_id = $1 AND start_minute = 0`, a.ID)
	exec(`UPDATE availability_slots SET user_id = $2 WHERE user_id = $1 AND start_minute = 60`, a.ID, b.ID)
	step("slots inserted, updated, moved between members by SQL")
	exec(`UPDATE users SET status = 'SUSPENDED', created_at = created_at - interval '1 day' WHERE id = $1`, b.ID)
	exec(`UPDATE users SET display_name = 'Renamed'`)
	step("a user suspended and backdated, every user renamed")
	exec(`DELETE FROM profiles WHERE user_id = $1`, a.ID)
	step("a profile deleted")
	exec(`WITH u AS (INSERT INTO users (id, email, password_hash, display_name, status)
			SELECT gen_random_uuid(), gen_random_uuid()::text || '@example.com', 'x', 'Bulk', 'ACTIVE' FROM generate_series(1, 50) RETURNING id)
		INSERT INTO profiles (user_id, languages, latitude, longitude, visibility)
		SELECT id, '{es}', 10.123456, -20.987654, 'PUBLIC' FROM u`)
	exec(`INSERT INTO availability_slots (user_id, weekday, start_minute, end_minute)
		SELECT p.user_id, d, 600, 700 FROM profiles p, generate_series(1, 3) d WHERE p.languages = '{es}'`)
	step("bulk users, profiles and slots")
	exec(`DELETE FROM users WHERE id = $1`, b.ID)
	step("a user deleted")
}

// Two transactions changing one member's slots at once: the one that commits last sees the
// other's rows when it rebuilds the list, so nothing is lost.
func TestMatchProfilesConcurrentSlots(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	a := newUser(t, st.Q(), "a@example.com")
	tx1, err := st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback(ctx)
	if _, err := tx1.Exec(ctx, `INSERT INTO availability_slots (user_id, weekday, start_minute, end_minute) VALUES ($1, 1, 60, 120)`, a.ID); err != nil {
		t.Fatal(err)
	}
	conn2, err := st.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Release()
	pid := conn2.Conn().PgConn().PID()
	done := make(chan error, 1)
	go func() {
		done <- pgx.BeginFunc(ctx, conn2, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO availability_slots (user_id, weekday, start_minute, end_minute) VALUES ($1, 2, 60, 120)`, a.ID)
			return err
		})
	}()
	// The second transaction waits for the first one's lock on the member's row: wait until
	// PostgreSQL shows it waiting on a lock, so the first commits while it provably waits.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting bool
		if err := st.Pool().QueryRow(ctx, `SELECT coalesce(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the second transaction ended (%v) without waiting for the first one's lock", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the second transaction never waited for the first one's lock")
		}
	}
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var slots []int32
	if err := st.Pool().QueryRow(ctx, `SELECT slots FROM match_profiles WHERE user_id = $1`, a.ID).Scan(&slots); err != nil {
		t.Fatal(err)
	}
	if len(slots) != 2 || matchProfilesDrift(t, st) != 0 {
		t.Fatalf("slots after two concurrent inserts: %v", slots)
	}
}
