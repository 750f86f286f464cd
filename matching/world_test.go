package matching_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/testdb"
	"github.com/skillswap/skillswap/matching"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// world is a hand-built population in a fresh database. Skills and their category are created
// by the test itself (no dependency on the seeded taxonomy).
type world struct {
	t       *testing.T
	ctx     context.Context
	st      *store.Store
	counter *testdb.StatementCounter
	cat     uuid.UUID
	now     time.Time
	seq     atomic.Int64
	names   map[uuid.UUID]string
}

func newWorld(t *testing.T, now time.Time) *world {
	t.Helper()
	ctx := context.Background()
	counter := &testdb.StatementCounter{}
	pool, err := store.OpenPool(ctx, testdb.New(t), store.PoolConfig{MaxConns: 4, StatementTimeout: 10 * time.Second, Tracer: counter})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w := &world{t: t, ctx: ctx, st: store.New(pool, nil, slog.New(slog.DiscardHandler)), counter: counter, now: now, names: map[uuid.UUID]string{}}
	w.cat = uuid.Must(uuid.NewV7())
	w.exec(`INSERT INTO skill_categories (id, slug, name_en, name_fr) VALUES ($1, $2, 'Matching tests', 'Tests de matching')`,
		w.cat, "matching-test-"+strings.ReplaceAll(w.cat.String(), "-", "")[:12])
	return w
}

func (w *world) service() *matching.Service {
	return matching.NewService(w.st, nil, func() time.Time { return w.now })
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	if _, err := w.st.Pool().Exec(w.ctx, sql, args...); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
}

// skill creates an approved skill named name.
func (w *world) skill(name string) uuid.UUID {
	w.t.Helper()
	id := uuid.Must(uuid.NewV7())
	slug := fmt.Sprintf("mt-%s-%d", strings.ToLower(strings.ReplaceAll(name, " ", "-")), w.seq.Add(1))
	w.exec(`INSERT INTO skills (id, slug, category_id, name_en, name_fr) VALUES ($1, $2, $3, $4, $4)`, id, slug, w.cat, name)
	w.names[id] = name
	return id
}

// relate links two skills (stored both ways, as the taxonomy does).
func (w *world) relate(a, b uuid.UUID) {
	w.exec(`INSERT INTO skill_relations (skill_id, related_id) VALUES ($1, $2), ($2, $1)`, a, b)
}

// memberOpts describe a member; the zero value is an active member speaking English, in UTC,
// meeting either way, visible to members, with no location and no availability.
type memberOpts struct {
	languages  []string
	zone       string
	mode       domain.Mode
	visibility domain.Visibility
	suspended  bool
	lat, lon   *float64
	noProfile  bool
}

type opt func(*memberOpts)

func langs(l ...string) opt              { return func(o *memberOpts) { o.languages = append([]string{}, l...) } }
func zone(z string) opt                  { return func(o *memberOpts) { o.zone = z } }
func mode(m domain.Mode) opt             { return func(o *memberOpts) { o.mode = m } }
func visibility(v domain.Visibility) opt { return func(o *memberOpts) { o.visibility = v } }
func suspended() opt                     { return func(o *memberOpts) { o.suspended = true } }
func noProfile() opt                     { return func(o *memberOpts) { o.noProfile = true } }
func at(lat, lon float64) opt            { return func(o *memberOpts) { o.lat, o.lon = &lat, &lon } }

func (w *world) member(opts ...opt) uuid.UUID {
	w.t.Helper()
	o := memberOpts{languages: []string{"en"}, zone: "UTC", mode: domain.ModeBoth, visibility: domain.VisibilityMembers}
	for _, f := range opts {
		f(&o)
	}
	id := uuid.Must(uuid.NewV7())
	status := domain.UserActive
	if o.suspended {
		status = domain.UserSuspended
	}
	w.exec(`INSERT INTO users (id, email, password_hash, display_name, status, created_at) VALUES ($1, $2, 'x', 'Member', $3, $4)`,
		id, id.String()+"@example.com", status, w.now.Add(-24*time.Hour))
	if !o.noProfile {
		w.exec(`INSERT INTO profiles (user_id, languages, time_zone, latitude, longitude, mode, visibility) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, o.languages, o.zone, o.lat, o.lon, o.mode, o.visibility)
	}
	return id
}

func (w *world) has(user, skill uuid.UUID, kind domain.SkillKind, level domain.Level) {
	w.exec(`INSERT INTO member_skills (user_id, skill_id, kind, level) VALUES ($1, $2, $3, $4)`, user, skill, kind, level)
}

func (w *world) offers(user, skill uuid.UUID, level domain.Level) {
	w.has(user, skill, domain.Offer, level)
}
func (w *world) wants(user, skill uuid.UUID, level domain.Level) {
	w.has(user, skill, domain.Want, level)
}

func (w *world) block(blocker, blocked uuid.UUID) {
	w.exec(`INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2)`, blocker, blocked)
}

// slot adds weekly availability in the member's own zone: weekday ISO, "HH:MM" times.
func (w *world) slot(user uuid.UUID, weekday int, start, end string) {
	w.exec(`INSERT INTO availability_slots (user_id, weekday, start_minute, end_minute) VALUES ($1, $2, $3, $4)`,
		user, weekday, minutes(w.t, start), minutes(w.t, end))
}

func minutes(t *testing.T, hhmm string) int {
	var h, m int
	if _, err := fmt.Sscanf(hhmm, "%d:%d", &h, &m); err != nil {
		t.Fatalf("bad time %q", hhmm)
	}
	return h*60 + m
}

// activeAt records a login session last used at when.
func (w *world) activeAt(user uuid.UUID, when time.Time) {
	w.exec(`INSERT INTO auth_sessions (id, user_id, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
		uuid.Must(uuid.NewV7()), user, when, when.Add(30*24*time.Hour))
}

// as is the member id acting, as the resolvers hand it over once signed in.
func as(id uuid.UUID) domain.Actor { return domain.Actor{User: domain.User{ID: id}} }

// matchPage is what the tests read of a page of Matches.
type matchPage struct {
	Matches     []matching.Match
	EndCursor   *string
	HasNextPage bool
}

// matches asks svc for viewer's page of first matches after the cursor after, decoded as
// relay.ParsePage decodes the resolver's argument.
func (w *world) matches(svc *matching.Service, viewer uuid.UUID, first int, after *string, f matching.Filter) (matchPage, error) {
	page := relay.Page[matching.MatchKey]{First: first}
	if after != nil {
		k, err := relay.DecodeCursor[matching.MatchKey](matching.MatchesCursor, *after)
		if err != nil {
			return matchPage{}, err
		}
		page.After = &k
	}
	conn, err := svc.Matches(w.ctx, as(viewer), f, page)
	p := matchPage{EndCursor: conn.PageInfo.EndCursor, HasNextPage: conn.PageInfo.HasNextPage}
	for _, e := range conn.Edges {
		p.Matches = append(p.Matches, e.Node)
	}
	return p, err
}

// cursorOf is m's cursor, as its edge in Matches carries it.
func cursorOf(m matching.Match) string {
	return relay.Cursor(matching.MatchesCursor, matching.MatchKey{Score: m.Score, ID: m.UserID})
}

// all pages through every match with page size n.
func (w *world) all(svc *matching.Service, viewer uuid.UUID, n int, f matching.Filter) []matching.Match {
	w.t.Helper()
	var out []matching.Match
	var after *string
	for range 1000 {
		p, err := w.matches(svc, viewer, n, after, f)
		if err != nil {
			w.t.Fatal(err)
		}
		out = append(out, p.Matches...)
		if !p.HasNextPage {
			return out
		}
		after = p.EndCursor
	}
	w.t.Fatal("pagination does not end")
	return nil
}

func ids(ms []matching.Match) []uuid.UUID {
	out := make([]uuid.UUID, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

func codes(m matching.Match) []matching.ReasonCode {
	out := make([]matching.ReasonCode, len(m.Reasons))
	for i, r := range m.Reasons {
		out[i] = r.Code
	}
	return out
}

func reason(m matching.Match, code matching.ReasonCode) (matching.Reason, bool) {
	for _, r := range m.Reasons {
		if r.Code == code {
			return r, true
		}
	}
	return matching.Reason{}, false
}

func find(ms []matching.Match, id uuid.UUID) (matching.Match, bool) {
	for _, m := range ms {
		if m.UserID == id {
			return m, true
		}
	}
	return matching.Match{}, false
}
