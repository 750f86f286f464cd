package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/relay"
)

// TestExpensiveWorkHasItsOwnLane fills the lane of expensive work with one operation held in
// PostgreSQL, then checks what waits for the lane (a document not seen before, a heavy operation)
// and what does not (a cheap operation whose document is cached).
func TestExpensiveWorkHasItsOwnLane(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.HeavyOperationSlots = 1
	cfg.HeavyOperationQueue = 0 // no waiting: a full lane refuses at once
	cfg.HeavyOperationWait = time.Second
	cfg.HeavyOperationComplexity = 2 // `{ __typename }` (1) is cheap, any search is heavy
	cfg.HeavyOperationBytes = 1      // and stays heavy once answered (see the next test)
	srv := apitest.Start(t, cfg)
	c := srv.Client()

	const heavy = `{ searchSkills(text: "guitar") { edges { cursor } } }`
	const cheap = `{ __typename }`
	apitest.Must(t, c.Do(t, heavy, nil)) // both documents are cached from now on
	apitest.Must(t, c.Do(t, cheap, nil))

	release, waiting := lockTable(t, cfg.DatabaseURL, "skills")
	held := c.Go(t, heavy, nil)
	waitFor(t, "the heavy operation to wait for the lock, holding the lane", waiting)

	for _, tc := range []struct {
		name, query string
		busy        bool
	}{
		{"cheap operation, cached document", cheap, false},
		{"heavy operation, cached document", heavy, true},
		{"new document (parsed and validated in the lane)", `{ a: __typename }`, true},
		{"new heavy document", `{ searchSkills(text: "piano") { edges { cursor } } }`, true},
	} {
		r := c.Do(t, tc.query, nil)
		if !tc.busy {
			if r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Errorf("%s: %d %s, want an answer while the lane is full", tc.name, r.Status, r.Raw)
			}
			continue
		}
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") != "1" || r.Code() != "SERVICE_UNAVAILABLE" ||
			r.Errors[0].Extensions["retryAfterSeconds"] != float64(1) || r.HasData {
			t.Errorf("%s: %d Retry-After=%q %s, want 503, Retry-After 1, SERVICE_UNAVAILABLE with retryAfterSeconds and no data",
				tc.name, r.Status, r.Header.Get("Retry-After"), r.Raw)
		}
	}

	release()
	if r := <-held; r == nil {
		t.FailNow() // reported by Go
	} else if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("the operation holding the lane: %d %s", r.Status, r.Raw)
	}
	// Its slot came back with its response: the next heavy operation runs.
	apitest.Must(t, c.Do(t, `{ searchSkills(text: "piano") { edges { cursor } } }`, nil))
}

// TestAnsweredCheapDocumentsLeaveTheLane: an operation its complexity calls expensive runs
// outside the lane once its document's answers showed it cheap (HEAVY_OPERATION_BYTES); a
// document never answered, one whose answers are large, and one that was cheap until an answer
// was stopped for its size (even once the data is small again) stay in the lane.
func TestAnsweredCheapDocumentsLeaveTheLane(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := apitest.Config(t)
	cfg.HeavyOperationSlots = 1
	cfg.HeavyOperationQueue = 0 // no waiting: a full lane refuses at once
	cfg.HeavyOperationWait = time.Second
	cfg.HeavyOperationComplexity = 2 // every document below is over it
	cfg.HeavyOperationBytes = 4096
	cfg.MaxResponseBytes = 32 << 10
	srv := apitest.Start(t, cfg)
	_, c := srv.SignUp(t) // node() is for members
	db, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	cat := uuid.New()
	if _, err := db.Exec(ctx, `INSERT INTO skill_categories (id, slug, name_en, name_fr) VALUES ($1, 't-lane', 'Lane', 'Voie')`, cat); err != nil {
		t.Fatal(err)
	}
	const (
		small  = `{ skillCategories { id } }`                            // 20 categories: ~1 kB
		large  = `{ skillCategories { id skills { id } } }`              // 400 skills: ~20 kB
		unseen = `{ skillCategories { id name } }`                       // never answered
		holder = `{ searchSkills(text: "guitar") { edges { cursor } } }` // never answered
	)
	grown := `{ node(id: "` + relay.GlobalID(relay.KindSkillCategory, cat) + `") { ... on SkillCategory { skills { id slug nameEn nameFr } } } }`
	answer := func(q string) {
		t.Helper()
		r := c.Do(t, q, nil)
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("%s: %d %.300s", q, r.Status, r.Raw)
		}
		t.Logf("%s answered %d bytes", q, len(r.Raw))
	}
	answer(small)
	answer(large)
	answer(grown) // the category is empty: cheap
	if _, err := db.Exec(ctx, `INSERT INTO skills (slug, category_id, name_en, name_fr, synonyms)
		SELECT 't-lane-' || g, $1, repeat('long name ', 7) || g, repeat('nom long ', 8) || g, '{}' FROM generate_series(1, 200) g`, cat); err != nil {
		t.Fatal(err)
	}
	if r := c.Do(t, grown, nil); r.Code() != "RESPONSE_TOO_LARGE" {
		t.Fatalf("%s with 200 long skills: %d %.300s, want RESPONSE_TOO_LARGE", grown, r.Status, r.Raw)
	}
	if _, err := db.Exec(ctx, `DELETE FROM skills WHERE category_id = $1`, cat); err != nil {
		t.Fatal(err)
	}
	answer(small) // the server rereads the taxonomy before the skills table is locked below

	release, waiting := lockTable(t, cfg.DatabaseURL, "skills")
	held := c.Go(t, holder, nil)
	waitFor(t, "an operation never answered to wait for the lock, holding the lane", waiting)
	for _, tc := range []struct {
		name, query string
		busy        bool
	}{
		{"answered, cheap", small, false},
		{"answered, large", large, true},
		{"cheap until an answer was stopped for its size", grown, true},
		{"never answered", unseen, true},
	} {
		r := c.Do(t, tc.query, nil)
		switch {
		case !tc.busy && (r.Status != http.StatusOK || len(r.Errors) > 0):
			t.Errorf("%s: %d %.300s, want an answer while the lane is full", tc.name, r.Status, r.Raw)
		case tc.busy && (r.Status != http.StatusServiceUnavailable || r.Code() != "SERVICE_UNAVAILABLE"):
			t.Errorf("%s: %d %.300s, want 503 SERVICE_UNAVAILABLE: the lane is full", tc.name, r.Status, r.Raw)
		}
	}
	release()
	if r := <-held; r == nil {
		t.FailNow() // reported by Go
	} else if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("the operation holding the lane: %d %s", r.Status, r.Raw)
	}
}

// TestDocumentAndBodySizeLimits: a document longer than MAX_QUERY_BYTES is refused before it is
// parsed, a body over MAX_BODY_BYTES before it is kept; a document just under both is served.
func TestDocumentAndBodySizeLimits(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.MaxQueryBytes = 4096
	cfg.MaxBodyBytes = 8192
	srv := apitest.Start(t, cfg)
	c := srv.Client()
	padded := func(n int) string { return "# " + strings.Repeat("x", n) + "\n{ __typename }" }

	apitest.Must(t, c.Do(t, padded(4000), nil))

	r := c.Do(t, padded(5000), nil)
	if r.Code() != "QUERY_TOO_COMPLEX" || r.Errors[0].Extensions["maxBytes"] != float64(4096) {
		t.Errorf("document over MAX_QUERY_BYTES: %d %s", r.Status, r.Raw)
	}
	r = c.Do(t, padded(9000), nil)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("body over MAX_BODY_BYTES: %d %s", r.Status, r.Raw)
	}
}

// TestIntrospectionIsPriced: `__schema` costs what its CPU does (5,000 points), not 1, so budgets
// stop a client that loops on the full introspection query.
func TestIntrospectionIsPriced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		maxComplexity int
		want          string
	}{{4999, "COMPLEXITY_LIMIT_EXCEEDED"}, {5001, ""}} {
		cfg := apitest.Config(t)
		cfg.MaxComplexity = tc.maxComplexity
		srv := apitest.Start(t, cfg)
		if r := srv.Client().Do(t, `{ __schema { queryType { name } } }`, nil); r.Code() != tc.want {
			t.Errorf("MAX_COMPLEXITY %d: %s, want %q", tc.maxComplexity, r.Raw, tc.want)
		}
	}
}
