package search_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/search"
)

// The Typesense backend against a fake server (httptest) that speaks the part of Typesense's HTTP
// API the backend uses and checks every request against the documented API
// (https://typesense.org/docs/latest/api/): the X-TYPESENSE-API-KEY header; POST /collections
// with a schema of known field types; GET and DELETE /collections/{name}; document import as
// JSONL with action=upsert, each document holding its schema's required fields with their
// types; delete by filter_by; search and multi_search whose query_by, filter_by and sort_by name
// fields of the schema with the documented syntax. The fake does not search: each test answers
// with the hits it wants and checks what the backend built and made of the answer. The shared
// behaviour suite (typesense_test.go) still needs a real server.

const tsKey = "test-api-key"

type tsField struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Facet    *bool  `json:"facet,omitempty"`
	Optional *bool  `json:"optional,omitempty"`
	Sort     *bool  `json:"sort,omitempty"`
	Infix    *bool  `json:"infix,omitempty"`
}

type tsSchema struct {
	Name            string    `json:"name"`
	Fields          []tsField `json:"fields"`
	TokenSeparators []string  `json:"token_separators"`
}

func (s tsSchema) field(name string) (tsField, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return tsField{}, false
}

// tsRequest is one request the fake received.
type tsRequest struct {
	Method, Path string
	Query        map[string][]string
	Body         []byte
}

type fakeTypesense struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	collections map[string]tsSchema
	docs        map[string]map[string]map[string]any // collection → id → document
	requests    []tsRequest
	// search answers a search (its parameters as Typesense receives them) for a collection.
	search func(collection string, params map[string]string) map[string]any
	// failWith, when set, answers every request whose "METHOD path" has this prefix with the
	// status and Typesense's error body {"message": ...}.
	failPrefix  string
	failStatus  int
	failMessage string
	// rejectImport makes the import answer a failure line for documents with this id.
	rejectImport string
}

func newFakeTypesense(t *testing.T) *fakeTypesense {
	f := &fakeTypesense{t: t, collections: map[string]tsSchema{}, docs: map[string]map[string]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// bad reports a request that breaks Typesense's documented API: the test fails, and the backend
// gets the 400 Typesense would send.
func (f *fakeTypesense) bad(w http.ResponseWriter, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f.t.Errorf("request Typesense would refuse: %s", msg)
	writeJSON(w, http.StatusBadRequest, map[string]any{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var (
	reCollection = regexp.MustCompile(`^/collections/([A-Za-z0-9_]+)$`)
	reDocuments  = regexp.MustCompile(`^/collections/([A-Za-z0-9_]+)/documents(/import|/search)?$`)
)

var tsFieldTypes = []string{"string", "string[]", "int32", "int32[]", "int64", "int64[]", "float", "float[]", "bool", "bool[]", "geopoint", "geopoint[]", "object", "object[]", "auto", "string*"}

func (f *fakeTypesense) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, tsRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body})
	if r.Header.Get("X-TYPESENSE-API-KEY") != tsKey {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Forbidden - a valid `x-typesense-api-key` header must be sent."})
		return
	}
	if f.failPrefix != "" && strings.HasPrefix(r.Method+" "+r.URL.Path, f.failPrefix) {
		writeJSON(w, f.failStatus, map[string]any{"message": f.failMessage})
		return
	}
	q := r.URL.Query()
	switch m := reCollection.FindStringSubmatch(r.URL.Path); {
	case r.Method == http.MethodPost && r.URL.Path == "/collections":
		f.createCollection(w, body)
		return
	case m != nil && r.Method == http.MethodGet:
		s, ok := f.collections[m[1]]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
			return
		}
		writeJSON(w, http.StatusOK, s)
		return
	case m != nil && r.Method == http.MethodDelete:
		s, ok := f.collections[m[1]]
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
			return
		}
		delete(f.collections, m[1])
		delete(f.docs, m[1])
		writeJSON(w, http.StatusOK, s)
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/multi_search" {
		f.multiSearch(w, body)
		return
	}
	m := reDocuments.FindStringSubmatch(r.URL.Path)
	if m == nil {
		f.bad(w, "%s %s is no endpoint the backend should call", r.Method, r.URL.Path)
		return
	}
	s, ok := f.collections[m[1]]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		return
	}
	switch {
	case m[2] == "/import" && r.Method == http.MethodPost:
		f.importDocs(w, s, q.Get("action"), body)
	case m[2] == "/search" && r.Method == http.MethodGet:
		params := map[string]string{}
		for k := range q {
			params[k] = q.Get(k)
		}
		if !f.checkSearch(w, s, params) {
			return
		}
		writeJSON(w, http.StatusOK, f.answer(s.Name, params))
	case m[2] == "" && r.Method == http.MethodDelete:
		f.deleteByFilter(w, s, q.Get("filter_by"))
	default:
		f.bad(w, "%s %s is no endpoint the backend should call", r.Method, r.URL.Path)
	}
}

func (f *fakeTypesense) createCollection(w http.ResponseWriter, body []byte) {
	var s tsSchema
	if err := json.Unmarshal(body, &s); err != nil || s.Name == "" || len(s.Fields) == 0 {
		f.bad(w, "collection schema %s (%v)", body, err)
		return
	}
	for _, fl := range s.Fields {
		if fl.Name == "" || !slices.Contains(tsFieldTypes, fl.Type) {
			f.bad(w, "field %+v of %s: unknown type", fl, s.Name)
			return
		}
		if fl.Name == "id" {
			f.bad(w, "%s declares id, which Typesense reserves", s.Name)
			return
		}
	}
	if _, ok := f.collections[s.Name]; ok {
		writeJSON(w, http.StatusConflict, map[string]any{"message": "A collection with name `" + s.Name + "` already exists."})
		return
	}
	f.collections[s.Name] = s
	f.docs[s.Name] = map[string]map[string]any{}
	writeJSON(w, http.StatusCreated, s)
}

// checkValue reports whether v (decoded JSON) has the Typesense type typ.
func checkValue(typ string, v any) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "int64", "int32":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	case "geopoint":
		list, ok := v.([]any)
		if !ok || len(list) != 2 {
			return false
		}
		lat, err1 := list[0].(json.Number).Float64()
		lon, err2 := list[1].(json.Number).Float64()
		return err1 == nil && err2 == nil && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
	case "string[]":
		list, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

func (f *fakeTypesense) importDocs(w http.ResponseWriter, s tsSchema, action string, body []byte) {
	if action != "upsert" {
		f.bad(w, "import into %s with action=%q, want upsert", s.Name, action)
		return
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines := 0
	for sc.Scan() {
		lines++
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			f.bad(w, "import into %s: line %d is not a JSON object: %v", s.Name, lines, err)
			return
		}
		id, _ := doc["id"].(string)
		if id == "" {
			f.bad(w, "import into %s: document without a string id: %s", s.Name, sc.Bytes())
			return
		}
		for _, fl := range s.Fields {
			v, ok := doc[fl.Name]
			if !ok {
				if fl.Optional == nil || !*fl.Optional {
					f.bad(w, "import into %s: document %s lacks the required field %s", s.Name, id, fl.Name)
					return
				}
				continue
			}
			if !checkValue(fl.Type, v) {
				f.bad(w, "import into %s: document %s: %s = %v is not a %s", s.Name, id, fl.Name, v, fl.Type)
				return
			}
		}
		for k := range doc {
			if _, ok := s.field(k); !ok && k != "id" {
				f.bad(w, "import into %s: document %s has %s, which the schema does not index", s.Name, id, k)
				return
			}
		}
		if id == f.rejectImport {
			// One failure line per refused document: the batch itself answers 200.
			out.WriteString(`{"code":400,"document":` + strconv.Quote(sc.Text()) + `,"error":"Field ` + "`display_name`" + ` must be a string.","success":false}` + "\n")
			continue
		}
		f.docs[s.Name][id] = doc
		out.WriteString(`{"success":true}` + "\n")
	}
	if lines == 0 {
		f.bad(w, "import into %s with no document", s.Name)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(bytes.TrimSuffix(out.Bytes(), []byte("\n")))
}

var (
	reIDFilter      = regexp.MustCompile("^id:\\[(`[0-9a-f-]{36}`(,`[0-9a-f-]{36}`)*)\\]$")
	reIndexedBefore = regexp.MustCompile(`^indexed_at:<([0-9]+)$`)
)

func (f *fakeTypesense) deleteByFilter(w http.ResponseWriter, s tsSchema, filter string) {
	deleted := 0
	if m := reIDFilter.FindStringSubmatch(filter); m != nil {
		for _, id := range strings.Split(m[1], ",") {
			id = strings.Trim(id, "`")
			if _, ok := f.docs[s.Name][id]; ok {
				delete(f.docs[s.Name], id)
				deleted++
			}
		}
	} else if m := reIndexedBefore.FindStringSubmatch(filter); m != nil {
		before, _ := strconv.ParseInt(m[1], 10, 64)
		for id, d := range f.docs[s.Name] {
			if at, _ := d["indexed_at"].(json.Number).Int64(); at < before {
				delete(f.docs[s.Name], id)
				deleted++
			}
		}
	} else {
		f.bad(w, "delete from %s with filter_by %q: not a filter the backend should send", s.Name, filter)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"num_deleted": deleted})
}

// Filter clauses of the documented filter_by syntax the backend uses: exact matches on a value
// or a list of backtick-quoted values, negated lists, and a geo radius.
var (
	reExact     = regexp.MustCompile("^([a-z_]+):(=|!=)(`[^`]*`|\\[`[^`]*`(,`[^`]*`)*\\])$")
	reGeoRadius = regexp.MustCompile(`^([a-z_]+):\((-?[0-9.]+), (-?[0-9.]+), ([0-9.]+) km\)$`)
	reGeoSort   = regexp.MustCompile(`^([a-z_]+)\((-?[0-9.]+), (-?[0-9.]+)\):(asc|desc)$`)
	reSort      = regexp.MustCompile(`^([a-z_]+):(asc|desc)$`)
)

// checkSearch checks a search's parameters against the collection's schema; false when it
// answered the request with a 400.
func (f *fakeTypesense) checkSearch(w http.ResponseWriter, s tsSchema, p map[string]string) bool {
	if p["q"] == "" || p["query_by"] == "" {
		f.bad(w, "search of %s without q or query_by: %v", s.Name, p)
		return false
	}
	queryBy := strings.Split(p["query_by"], ",")
	for _, name := range queryBy {
		fl, ok := s.field(name)
		if !ok || (fl.Type != "string" && fl.Type != "string[]") {
			f.bad(w, "query_by %s: not a string field of %s", name, s.Name)
			return false
		}
	}
	// Per-field options hold one value, or one per query_by field.
	for _, k := range []string{"prefix", "infix", "num_typos", "query_by_weights"} {
		if v, ok := p[k]; ok {
			if n := len(strings.Split(v, ",")); n != 1 && n != len(queryBy) {
				f.bad(w, "%s=%q: %d values for %d query_by fields", k, v, n, len(queryBy))
				return false
			}
		}
	}
	if v := p["filter_by"]; v != "" {
		for _, clause := range strings.Split(v, " && ") {
			var field string
			if m := reExact.FindStringSubmatch(clause); m != nil {
				field = m[1]
			} else if m := reGeoRadius.FindStringSubmatch(clause); m != nil {
				field = m[1]
				if fl, _ := s.field(field); fl.Type != "geopoint" {
					f.bad(w, "geo filter on %s, not a geopoint", field)
					return false
				}
			} else {
				f.bad(w, "filter_by clause %q: not Typesense's syntax", clause)
				return false
			}
			if _, ok := s.field(field); !ok {
				f.bad(w, "filter_by on %s: no such field in %s", field, s.Name)
				return false
			}
		}
	}
	if v := p["sort_by"]; v != "" {
		// A geo sort holds a comma inside its parentheses: split on "," outside them.
		var parts []string
		depth, start := 0, 0
		for i, c := range v {
			switch c {
			case '(':
				depth++
			case ')':
				depth--
			case ',':
				if depth == 0 {
					parts = append(parts, v[start:i])
					start = i + 1
				}
			}
		}
		parts = append(parts, v[start:])
		if len(parts) > 3 {
			f.bad(w, "sort_by %q: Typesense sorts on at most 3 fields", v)
			return false
		}
		for _, part := range parts {
			if m := reGeoSort.FindStringSubmatch(part); m != nil {
				if fl, _ := s.field(m[1]); fl.Type != "geopoint" {
					f.bad(w, "geo sort on %s, not a geopoint", m[1])
					return false
				}
				continue
			}
			m := reSort.FindStringSubmatch(part)
			if m == nil {
				f.bad(w, "sort_by part %q: not Typesense's syntax", part)
				return false
			}
			if m[1] == "_text_match" {
				continue
			}
			fl, ok := s.field(m[1])
			if !ok || (fl.Type == "string" && (fl.Sort == nil || !*fl.Sort)) {
				f.bad(w, "sort_by %s: not a sortable field of %s", m[1], s.Name)
				return false
			}
		}
	}
	if v := p["facet_by"]; v != "" {
		for _, name := range strings.Split(v, ",") {
			if fl, ok := s.field(name); !ok || fl.Facet == nil || !*fl.Facet {
				f.bad(w, "facet_by %s: not a facet field of %s", name, s.Name)
				return false
			}
		}
	}
	for _, k := range []string{"offset", "limit", "max_facet_values", "drop_tokens_threshold"} {
		if v, ok := p[k]; ok {
			if n, err := strconv.Atoi(v); err != nil || n < 0 {
				f.bad(w, "%s=%q: not a count", k, v)
				return false
			}
		}
	}
	return true
}

func (f *fakeTypesense) answer(collection string, p map[string]string) map[string]any {
	if f.search == nil {
		return map[string]any{"found": 0, "hits": []any{}, "out_of": len(f.docs[collection]), "page": 1, "search_time_ms": 0}
	}
	return f.search(collection, p)
}

func (f *fakeTypesense) multiSearch(w http.ResponseWriter, body []byte) {
	var req struct {
		Searches []map[string]any `json:"searches"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Searches) == 0 {
		f.bad(w, "multi_search body %s (%v)", body, err)
		return
	}
	var results []any
	for _, sr := range req.Searches {
		p := map[string]string{}
		for k, v := range sr {
			switch v := v.(type) {
			case string:
				p[k] = v
			case float64:
				p[k] = strconv.FormatFloat(v, 'f', -1, 64)
			default:
				f.bad(w, "multi_search parameter %s = %v (%T)", k, v, v)
				return
			}
		}
		s, ok := f.collections[p["collection"]]
		if !ok {
			results = append(results, map[string]any{"code": 404, "error": "Not found."})
			continue
		}
		if !f.checkSearch(w, s, p) {
			return
		}
		results = append(results, f.answer(s.Name, p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (f *fakeTypesense) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

func (f *fakeTypesense) received() []tsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeTypesense) set(fn func(f *fakeTypesense)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func hit(id uuid.UUID, textMatch int64, extra map[string]any) map[string]any {
	h := map[string]any{"document": map[string]any{"id": id.String()}, "text_match": textMatch, "highlights": []any{}}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// TestTypesenseCollections: the backend creates both collections, with the documented field
// types, when they are missing and only then; a collection created concurrently (409) is fine;
// a wrong key or a server error fails the start.
func TestTypesenseCollections(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t, nil)
	ts := newFakeTypesense(t)
	if _, err := search.NewTypesense(t.Context(), search.TypesenseConfig{URL: ts.srv.URL, APIKey: "wrong", CollectionPrefix: "t_"}, st); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("start with a wrong API key: %v, want the 401", err)
	}
	ts.reset()
	if _, err := search.NewTypesense(t.Context(), search.TypesenseConfig{URL: ts.srv.URL, APIKey: tsKey, CollectionPrefix: "t_"}, st); err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, r := range ts.received() {
		if r.Method == http.MethodPost && r.Path == "/collections" {
			var s tsSchema
			_ = json.Unmarshal(r.Body, &s)
			created = append(created, s.Name)
		}
	}
	if !slices.Equal(created, []string{"t_skills", "t_members"}) {
		t.Fatalf("collections created %v", created)
	}
	ts.mu.Lock()
	members := ts.collections["t_members"]
	ts.mu.Unlock()
	for name, typ := range map[string]string{"user_id": "string", "keys": "string[]", "location": "geopoint", "indexed_at": "int64", "offer_text": "string[]"} {
		if fl, ok := members.field(name); !ok || fl.Type != typ {
			t.Errorf("members field %s: %+v, want %s", name, fl, typ)
		}
	}
	if fl, _ := members.field("user_id"); fl.Sort == nil || !*fl.Sort {
		t.Error("user_id must be sortable (string fields are not by default): the member order's tie-break")
	}

	// Present: nothing created.
	ts.reset()
	if _, err := search.NewTypesense(t.Context(), search.TypesenseConfig{URL: ts.srv.URL, APIKey: tsKey, CollectionPrefix: "t_"}, st); err != nil {
		t.Fatal(err)
	}
	for _, r := range ts.received() {
		if r.Method != http.MethodGet {
			t.Errorf("%s %s with both collections present", r.Method, r.Path)
		}
	}

	// Created by another instance between the look-up and the create: the 409 is no error.
	ts.set(func(f *fakeTypesense) {
		f.failPrefix, f.failStatus, f.failMessage = "GET /collections/c_", 404, "Not Found"
		for _, name := range []string{"c_skills", "c_members"} {
			f.collections[name] = tsSchema{Name: name, Fields: []tsField{{Name: "x", Type: "string"}}}
		}
	})
	if _, err := search.NewTypesense(t.Context(), search.TypesenseConfig{URL: ts.srv.URL, APIKey: tsKey, CollectionPrefix: "c_"}, st); err != nil {
		t.Fatalf("collections created concurrently: %v", err)
	}

	// A server error is an error (after the client's retries), not a missing collection.
	ts.set(func(f *fakeTypesense) {
		f.failPrefix, f.failStatus, f.failMessage = "GET /collections/e_", 503, "Not Ready or Lagging"
	})
	if _, err := search.NewTypesense(t.Context(), search.TypesenseConfig{URL: ts.srv.URL, APIKey: tsKey, CollectionPrefix: "e_"}, st); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("start while Typesense answers 503: %v", err)
	}
	for _, r := range ts.received() {
		if r.Method == http.MethodPost && strings.Contains(string(r.Body), `"e_`) {
			t.Fatalf("created a collection although the look-up failed: %s", r.Body)
		}
	}
}

func newTypesenseFixture(t *testing.T) (*fixture, *fakeTypesense, search.Backend) {
	t.Helper()
	fx := loadFixture(t, nil)
	ts := newFakeTypesense(t)
	b, err := search.NewTypesense(t.Context(), search.TypesenseConfig{URL: ts.srv.URL, APIKey: tsKey, CollectionPrefix: "x_", Timeout: 5 * time.Second}, fx.st)
	if err != nil {
		t.Fatal(err)
	}
	return fx, ts, b
}

// TestTypesenseDocuments: a full reindex imports (upsert, JSONL) one document per searchable
// member and approved skill, built from PostgreSQL with the schema's fields and types, deletes
// the others' by id, then prunes what it did not rewrite by indexed_at; a document Typesense
// refuses fails the indexing.
func TestTypesenseDocuments(t *testing.T) {
	t.Parallel()
	fx, ts, b := newTypesenseFixture(t)
	stale := map[string]any{"id": uuid.NewString(), "name_en": "gone", "name_fr": "gone", "category_id": "x", "indexed_at": json.Number("1")}
	ts.set(func(f *fakeTypesense) { f.docs["x_skills"][stale["id"].(string)] = stale })
	if err := search.ReindexAll(t.Context(), fx.st, b); err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	skills, members := ts.docs["x_skills"], ts.docs["x_members"]
	ts.mu.Unlock()
	if _, ok := skills[stale["id"].(string)]; ok {
		t.Error("a skill document the reindex did not rewrite survived the prune")
	}
	var wantSkills []string
	for _, s := range skillSpecs {
		if s.status == domain.SkillApproved {
			wantSkills = append(wantSkills, fx.skills[s.slug].String())
		}
	}
	got := mapKeys(skills)
	slices.Sort(got)
	slices.Sort(wantSkills)
	if !slices.Equal(got, wantSkills) {
		t.Fatalf("skill documents %v, want the approved skills %v", got, wantSkills)
	}
	eg := skills[fx.skills["electric-guitar"].String()]
	if eg["name_fr"] != "guitare electrique" || eg["category_id"] != fx.cats["music"].String() {
		t.Errorf("electric guitar document %v: names folded to lower case without accents", eg)
	}
	for _, m := range fx.specs {
		doc, indexed := members[fx.members[m.key].String()]
		// A member without a profile is searchable with its defaults (by name).
		searchable := !m.suspended && m.effectiveVisibility() != domain.VisibilityHidden
		if indexed != searchable {
			t.Errorf("%s indexed %v, want %v", m.key, indexed, searchable)
		}
		if !indexed {
			continue
		}
		tz := m.tz
		if m.noProfile {
			tz = "UTC"
		}
		if doc["user_id"] != fx.members[m.key].String() || doc["time_zone"] != tz {
			t.Errorf("%s: %v", m.key, doc)
		}
		if _, has := doc["location"]; has != (m.at != nil) {
			t.Errorf("%s: location %v, want one only with a position", m.key, doc["location"])
		}
	}
	alice := members[fx.members["alice"].String()]
	keys := func(d map[string]any) []string {
		var out []string
		for _, k := range d["keys"].([]any) {
			out = append(out, k.(string))
		}
		return out
	}
	for _, k := range []string{"OS:" + fx.skills["guitar"].String(), "OS:" + fx.skills["guitar"].String() + ":4", "WS:" + fx.skills["pastry"].String(), "L:en", "M:ONLINE", "V:PUBLIC"} {
		if !slices.Contains(keys(alice), k) {
			t.Errorf("alice's keys %v lack %s", keys(alice), k)
		}
	}
	if alice["display_name"] != "alice martin" || !slices.Contains(alice["offer_text"].([]any), any("guitare")) {
		t.Errorf("alice's text fields %v / %v", alice["display_name"], alice["offer_text"])
	}
	var pruned bool
	for _, r := range ts.received() {
		if r.Method == http.MethodDelete && strings.HasPrefix(strings.Join(r.Query["filter_by"], ""), "indexed_at:<") {
			pruned = true
		}
	}
	if !pruned {
		t.Error("the reindex never pruned documents older than itself")
	}

	// A member whose profile is hidden is deleted by id.
	if err := execOn(t.Context(), fx, `UPDATE profiles SET visibility = 'HIDDEN' WHERE user_id = $1`, fx.members["alice"]); err != nil {
		t.Fatal(err)
	}
	if err := b.IndexMember(t.Context(), fx.members["alice"]); err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	_, still := ts.docs["x_members"][fx.members["alice"].String()]
	ts.mu.Unlock()
	if still {
		t.Error("a hidden member's document was not deleted")
	}

	// A document Typesense refuses (200 for the batch, a failure line for it) fails the job.
	ts.set(func(f *fakeTypesense) { f.rejectImport = fx.members["bob"].String() })
	if err := b.IndexMember(t.Context(), fx.members["bob"]); err == nil || !strings.Contains(err.Error(), "must be a string") {
		t.Fatalf("a refused document: %v, want Typesense's error", err)
	}
	// A 5xx on import fails it too.
	ts.set(func(f *fakeTypesense) {
		f.rejectImport = ""
		f.failPrefix, f.failStatus, f.failMessage = "POST /collections/x_members/documents/import", 500, "boom"
	})
	if err := b.IndexMember(t.Context(), fx.members["bob"]); err == nil {
		t.Fatal("an import answered 500 did not fail the indexing")
	}
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTypesenseSkillSearch: the search parameters (text folded, weights by locale, category
// filter, one more hit than asked for) and what the backend makes of the answer: the page, its
// cursor, the total and the category facet; a 4xx or 5xx is an error, never an empty result.
func TestTypesenseSkillSearch(t *testing.T) {
	t.Parallel()
	fx, ts, b := newTypesenseFixture(t)
	music := fx.cats["music"]
	var got map[string]string
	ts.set(func(f *fakeTypesense) {
		f.search = func(collection string, p map[string]string) map[string]any {
			got = p
			return map[string]any{
				"found": 3, "out_of": 8, "page": 1, "search_time_ms": 1,
				"hits": []any{
					hit(fx.skills["electric-guitar"], 900, nil), hit(fx.skills["guitar"], 800, nil), hit(fx.skills["bass-guitar"], 700, nil),
				},
				"facet_counts": []any{map[string]any{"field_name": "category_id", "counts": []any{
					map[string]any{"value": music.String(), "count": 3, "highlighted": music.String()},
				}, "stats": map[string]any{"total_values": 1}}},
			}
		}
	})
	first := 2
	page, err := relay.ParsePage[search.Cursor](b.SkillsCursor(), &first, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, counts, err := b.SearchSkills(t.Context(), search.SkillQuery{Text: "  Guitare ÉLECTRIQUE ", Locale: search.LocaleFR, CategoryID: &music}, page)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"q": "guitare electrique", "query_by": "name_en,name_fr,synonyms", "query_by_weights": "2,3,1",
		"filter_by": "category_id:=`" + music.String() + "`", "sort_by": "_text_match:desc",
		"facet_by": "category_id", "offset": "0", "limit": "3", "drop_tokens_threshold": "0", "num_typos": "2,2,2",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	if len(conn.Edges) != 2 || conn.Edges[0].Node.SkillID != fx.skills["electric-guitar"] || conn.Edges[0].Node.Score != 900 ||
		!conn.PageInfo.HasNextPage || counts.Total != 3 || len(counts.Facets) != 1 || counts.Facets[0] != (search.Facet{Value: music.String(), Count: 3}) {
		t.Fatalf("page %+v counts %+v", conn, counts)
	}
	// The next page starts at offset 2.
	after := conn.PageInfo.EndCursor
	page, err = relay.ParsePage[search.Cursor](b.SkillsCursor(), &first, after)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.SearchSkills(t.Context(), search.SkillQuery{Text: "guitar", Locale: search.LocaleEN}, page); err != nil {
		t.Fatal(err)
	}
	if got["offset"] != "2" || got["query_by_weights"] != "3,2,1" || got["filter_by"] != "" {
		t.Errorf("second page: %v", got)
	}

	for _, tc := range []struct {
		status int
		msg    string
	}{{400, "Could not find a field named `name_de` in the schema."}, {503, "Not Ready or Lagging"}} {
		ts.set(func(f *fakeTypesense) {
			f.failPrefix, f.failStatus, f.failMessage = "GET /collections/x_skills/documents/search", tc.status, tc.msg
		})
		_, _, err := b.SearchSkills(t.Context(), search.SkillQuery{Text: "guitar"}, page)
		if err == nil || !strings.Contains(err.Error(), strconv.Itoa(tc.status)) || domain.IsKind(err, domain.KindInvalid) || domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("search answered %d: %v, want an internal error carrying the status", tc.status, err)
		}
	}
}

// TestTypesenseMemberSearch: one multi_search with the main search and, for a skill's level
// facet, four counting searches; filters on keys, the viewer and whom they block, the radius;
// sorted by text match, distance, then user id; hits mapped with their distance, members hidden
// since their last indexing dropped; an error in any search fails the whole.
func TestTypesenseMemberSearch(t *testing.T) {
	t.Parallel()
	fx, ts, b := newTypesenseFixture(t)
	if err := search.ReindexAll(t.Context(), fx.st, b); err != nil {
		t.Fatal(err)
	}
	guitar := fx.skills["guitar"]
	var searches []map[string]string
	ts.set(func(f *fakeTypesense) {
		f.search = func(collection string, p map[string]string) map[string]any {
			searches = append(searches, p)
			if p["limit"] == "0" { // a level count
				// Members at this level or above: as many as the levels in the group, here.
				group := p["filter_by"][strings.LastIndex(p["filter_by"], "keys:=["):]
				return map[string]any{"found": strings.Count(group, "`") / 2, "hits": []any{}, "out_of": 40, "page": 1, "search_time_ms": 0}
			}
			return map[string]any{
				"found": 3, "out_of": 40, "page": 1, "search_time_ms": 1,
				"hits": []any{
					hit(fx.members["alice"], 1000, map[string]any{"geo_distance_meters": map[string]any{"location": 5000}}),
					hit(fx.members["dan"], 900, map[string]any{"geo_distance_meters": map[string]any{"location": 2000}}), // hidden: dropped
					hit(fx.members["gina"], 800, map[string]any{"geo_distance_meters": map[string]any{"location": 3000}}),
				},
				"facet_counts": []any{
					map[string]any{"field_name": "languages", "counts": []any{map[string]any{"value": "fr", "count": 3}, map[string]any{"value": "en", "count": 1}}},
					map[string]any{"field_name": "modes", "counts": []any{map[string]any{"value": "ONLINE", "count": 2}}},
				},
			}
		}
	})
	first := 2
	page, err := relay.ParsePage[search.Cursor](b.MembersCursor(), &first, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, counts, err := b.SearchMembers(t.Context(), actorOf(fx.viewer), search.MemberQuery{
		Text: "Guitare", SkillID: &guitar, Near: &search.GeoFilter{Latitude: parisLat, Longitude: parisLon, RadiusKm: 10},
	}, page)
	if err != nil {
		t.Fatal(err)
	}
	if len(searches) != 5 {
		t.Fatalf("%d searches, want the page and 4 level counts: %v", len(searches), searches)
	}
	main := searches[0]
	exclude := []string{fx.viewer.String(), fx.members["frank"].String(), fx.members["gina"].String()}
	clauses := strings.Split(main["filter_by"], " && ")
	wantClauses := []string{
		"keys:=`OS:" + guitar.String() + "`",
		"location:(48.8566, 2.3522, 10 km)",
	}
	for _, c := range wantClauses {
		if !slices.Contains(clauses, c) {
			t.Errorf("filter_by %q lacks %q", main["filter_by"], c)
		}
	}
	var excluded bool
	for _, c := range clauses {
		if rest, ok := strings.CutPrefix(c, "user_id:!=["); ok {
			var got []string
			for _, id := range strings.Split(strings.TrimSuffix(rest, "]"), ",") {
				got = append(got, strings.Trim(id, "`"))
			}
			excluded = slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(exclude)))
		}
	}
	if !excluded {
		t.Errorf("filter_by %q must exclude the viewer and both sides of their blocks %v", main["filter_by"], exclude)
	}
	for k, want := range map[string]string{
		"collection": "x_members", "q": "guitare", "query_by": "display_name,offer_text",
		"sort_by": "_text_match:desc,location(48.8566, 2.3522):asc,user_id:asc", "limit": "3", "offset": "0",
		"facet_by": "languages,modes,offer_categories,offer_levels",
	} {
		if main[k] != want {
			t.Errorf("%s = %q, want %q", k, main[k], want)
		}
	}
	for i, s := range searches[1:] {
		var group []string
		for l := i + 1; l <= 4; l++ {
			group = append(group, "`OS:"+guitar.String()+":"+strconv.Itoa(l)+"`")
		}
		if !strings.HasSuffix(s["filter_by"], " && keys:=["+strings.Join(group, ",")+"]") || s["limit"] != "0" || s["facet_by"] != "" {
			t.Errorf("level count %d: %v", i+1, s)
		}
	}
	// Dan is hidden (not yet removed from the index): dropped from the page.
	var ids []uuid.UUID
	for _, e := range conn.Edges {
		ids = append(ids, e.Node.UserID)
	}
	if !slices.Equal(ids, []uuid.UUID{fx.members["alice"]}) || conn.Edges[0].Node.DistanceKm == nil || *conn.Edges[0].Node.DistanceKm != 5 ||
		conn.Edges[0].Node.Score != 1000 || !conn.PageInfo.HasNextPage || counts.Total != 3 {
		t.Fatalf("page %+v (total %d)", conn, counts.Total)
	}
	levels := map[string]int{}
	for _, f := range counts.Facets[search.FacetLevel] {
		levels[f.Value] = f.Count
	}
	if levels["BEGINNER"] != 4 || levels["EXPERT"] != 1 || len(counts.Facets[search.FacetLanguage]) != 2 {
		t.Errorf("facets %+v", counts.Facets)
	}

	// One failed search of the request fails the whole (Typesense answers 200 for the batch).
	ts.set(func(f *fakeTypesense) {
		inner := f.search
		f.search = func(collection string, p map[string]string) map[string]any {
			if p["limit"] == "0" {
				return map[string]any{"code": 400, "error": "Could not parse the filter query."}
			}
			return inner(collection, p)
		}
	})
	if _, _, err := b.SearchMembers(t.Context(), actorOf(fx.viewer), search.MemberQuery{SkillID: &guitar}, page); err == nil || !strings.Contains(err.Error(), "Could not parse the filter query") {
		t.Fatalf("a failed count search: %v", err)
	}
	ts.set(func(f *fakeTypesense) { f.failPrefix, f.failStatus, f.failMessage = "POST /multi_search", 500, "boom" })
	if _, _, err := b.SearchMembers(t.Context(), actorOf(fx.viewer), search.MemberQuery{Text: "x"}, page); err == nil {
		t.Fatal("multi_search answered 500 and the search succeeded")
	}
}
