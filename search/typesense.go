package search

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/typesense/typesense-go/v3/typesense"
	"github.com/typesense/typesense-go/v3/typesense/api"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Typesense searches a Typesense cluster (typesense-go/v3). Documents are built from PostgreSQL
// (the source of truth) by the same code as the PostgreSQL backend's rows, so both run the same
// filters: every filter is a test on the member's keys (keys.go), availability included — the
// instant is turned into each zone's local week minute in Go, and the zones in use are read from
// PostgreSQL (member_search_zones, which IndexMember fills for both backends).
//
// Text: Typesense's own typo tolerance (num_typos 2), prefix and infix matching, over text folded
// to lower case without accents in Go (so "guitare electrique" finds "Guitare électrique" whatever
// the server's normalisation), no dropping of query words (like PostgreSQL: every word must match).
//
// Pagination is by offset (the cursor holds it): relevance order cannot be keyset-paginated in
// Typesense. Facets are Typesense facets over fields that hold, per member, every value a
// refinement would match (modes: BOTH counts as ONLINE and IN_PERSON; levels and categories up to
// the member's best level), so counts equal the PostgreSQL backend's; the level facet of one skill
// is counted by four extra searches in the same multi_search request.
//
// Blocks come from PostgreSQL at query time (a filter on user_id); suspended accounts and hidden
// profiles are removed from the index by their reindex job and, until it has run, dropped from
// the page by a PostgreSQL check of the page's ids.
type Typesense struct {
	client  *typesense.Client
	st      *store.Store
	skills  string
	members string
}

var _ Backend = (*Typesense)(nil)

// TypesenseConfig configures the Typesense backend.
type TypesenseConfig struct {
	// URL of the cluster (https://xyz.a1.typesense.net:443 or http://127.0.0.1:8108).
	URL string
	// APIKey needs the documents:* and collections:* actions on both collections.
	APIKey string
	// CollectionPrefix is prepended to the collection names "skills" and "members" (tests).
	CollectionPrefix string
	// Timeout of one HTTP request (default 10 s).
	Timeout time.Duration
}

// NewTypesense connects to Typesense and creates the skills and members collections when missing.
// It reads source data from PostgreSQL through st.
func NewTypesense(ctx context.Context, cfg TypesenseConfig, st *store.Store) (*Typesense, error) {
	if cfg.URL == "" {
		return nil, errors.New("typesense: URL is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	t := &Typesense{
		client: typesense.NewClient(
			typesense.WithServer(cfg.URL),
			typesense.WithAPIKey(cfg.APIKey),
			typesense.WithConnectionTimeout(cfg.Timeout),
			typesense.WithNumRetries(2),
			typesense.WithRetryInterval(100*time.Millisecond),
			typesense.WithCircuitBreakerName("typesense-search"),
		),
		st:      st,
		skills:  cfg.CollectionPrefix + "skills",
		members: cfg.CollectionPrefix + "members",
	}
	for _, schema := range []*api.CollectionSchema{t.skillsSchema(), t.membersSchema()} {
		if err := t.ensureCollection(ctx, schema); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func yes() *bool { b := true; return &b }

func str(s string) *string { return &s }

func num(n int) *int { return &n }

func (t *Typesense) skillsSchema() *api.CollectionSchema {
	return &api.CollectionSchema{
		Name: t.skills,
		Fields: []api.Field{
			{Name: "name_en", Type: "string", Infix: yes()},
			{Name: "name_fr", Type: "string", Infix: yes()},
			{Name: "synonyms", Type: "string[]", Infix: yes(), Optional: yes()},
			{Name: "category_id", Type: "string", Facet: yes()},
			{Name: "indexed_at", Type: "int64"},
		},
		TokenSeparators: &[]string{"-", "'", "/"},
	}
}

func (t *Typesense) membersSchema() *api.CollectionSchema {
	return &api.CollectionSchema{
		Name: t.members,
		Fields: []api.Field{
			{Name: "user_id", Type: "string", Sort: yes()},
			{Name: "display_name", Type: "string"},
			{Name: "offer_text", Type: "string[]", Optional: yes()},
			{Name: "want_text", Type: "string[]", Optional: yes()},
			{Name: "keys", Type: "string[]", Optional: yes()},
			{Name: "languages", Type: "string[]", Facet: yes(), Optional: yes()},
			{Name: "modes", Type: "string[]", Facet: yes()},
			{Name: "offer_categories", Type: "string[]", Facet: yes(), Optional: yes()},
			{Name: "want_categories", Type: "string[]", Facet: yes(), Optional: yes()},
			{Name: "offer_levels", Type: "string[]", Facet: yes(), Optional: yes()},
			{Name: "want_levels", Type: "string[]", Facet: yes(), Optional: yes()},
			{Name: "time_zone", Type: "string", Facet: yes()},
			{Name: "location", Type: "geopoint", Optional: yes()},
			{Name: "indexed_at", Type: "int64"},
		},
		TokenSeparators: &[]string{"-", "'", "/"},
	}
}

func isNotFound(err error) bool {
	var he *typesense.HTTPError
	return errors.As(err, &he) && he.Status == http.StatusNotFound
}

func (t *Typesense) ensureCollection(ctx context.Context, schema *api.CollectionSchema) error {
	_, err := t.client.Collection(schema.Name).Retrieve(ctx)
	if err == nil {
		return nil
	}
	if !isNotFound(err) {
		return fmt.Errorf("typesense: look up collection %s: %w", schema.Name, err)
	}
	if _, err := t.client.Collections().Create(ctx, schema); err != nil {
		var he *typesense.HTTPError
		if errors.As(err, &he) && he.Status == http.StatusConflict {
			return nil // created concurrently by another instance
		}
		return fmt.Errorf("typesense: create collection %s: %w", schema.Name, err)
	}
	return nil
}

// DropCollections deletes both collections (tests, or before a rebuild with a new schema).
func (t *Typesense) DropCollections(ctx context.Context) error {
	for _, name := range []string{t.skills, t.members} {
		if _, err := t.client.Collection(name).Delete(ctx); err != nil && !isNotFound(err) {
			return fmt.Errorf("typesense: drop %s: %w", name, err)
		}
	}
	return nil
}

// SkillsCursor implements Backend.
func (t *Typesense) SkillsCursor() string { return cursorSkillsTS }

// MembersCursor implements Backend.
func (t *Typesense) MembersCursor() string { return cursorMembersTS }

type tsCursor struct {
	Offset int `json:"o"`
}

// tsAt is the cursor of the hit at offset (0-based) in the results: the next page starts after it.
func tsAt(offset int) Cursor { return cursorAt(tsCursor{Offset: offset + 1}) }

// quote makes a filter_by value literal.
func quote(s string) string { return "`" + strings.ReplaceAll(s, "`", "") + "`" }

func quoteAll(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ",") + "]"
}

// offsetOf is where a page starts in the results.
func offsetOf(page relay.Page[Cursor]) (int, error) {
	c, err := keyAfter[tsCursor](page)
	if err != nil || c == nil {
		return 0, err
	}
	if c.Offset < 0 || c.Offset > maxCursorOffset {
		return 0, domain.Invalid("after", "is not a valid cursor for this list")
	}
	return c.Offset, nil
}

// SearchSkills implements Backend.
func (t *Typesense) SearchSkills(ctx context.Context, q SkillQuery, page relay.Page[Cursor]) (relay.Connection[SkillHit], SkillCounts, error) {
	v, err := q.validate(page)
	if err != nil {
		return relay.Connection[SkillHit]{}, SkillCounts{}, err
	}
	page.First = v.first
	offset, err := offsetOf(page)
	if err != nil {
		return relay.Connection[SkillHit]{}, SkillCounts{}, err
	}
	weights := "2,2,1"
	switch v.locale {
	case LocaleEN:
		weights = "3,2,1"
	case LocaleFR:
		weights = "2,3,1"
	}
	params := &api.SearchCollectionParams{
		Q:                   str(fold(v.text)),
		QueryBy:             str("name_en,name_fr,synonyms"),
		QueryByWeights:      str(weights),
		Prefix:              str("true,true,true"),
		Infix:               str("fallback,fallback,fallback"),
		NumTypos:            str("2,2,2"),
		DropTokensThreshold: num(0),
		FacetBy:             str("category_id"),
		MaxFacetValues:      num(500),
		SortBy:              str("_text_match:desc"),
		IncludeFields:       str("id"),
		Offset:              num(offset),
		Limit:               num(v.first + 1),
	}
	if v.categoryID != nil {
		params.FilterBy = str("category_id:=" + quote(v.categoryID.String()))
	}
	res, err := t.client.Collection(t.skills).Documents().Search(ctx, params)
	if err != nil {
		return relay.Connection[SkillHit]{}, SkillCounts{}, fmt.Errorf("typesense: search skills: %w", err)
	}
	counts := SkillCounts{Facets: []Facet{}}
	if res.Found != nil {
		counts.Total = *res.Found
	}
	var hits []SkillHit
	if res.Hits != nil {
		for i, h := range *res.Hits {
			// A document without a usable id keeps its place (and so the offsets) until paginated.
			id, _ := docID(h)
			hits = append(hits, SkillHit{SkillID: id, Score: textMatch(h), at: tsAt(offset + i)})
		}
	}
	conn := relay.Paginate(cursorSkillsTS, page, hits, skillAt)
	dropEdges(&conn, func(h SkillHit) bool { return h.SkillID == uuid.Nil })
	for _, fc := range facetCounts(res.FacetCounts) {
		if fc.field == "category_id" {
			counts.Facets = append(counts.Facets, Facet{Value: fc.value, Count: fc.count})
		}
	}
	sortFacetList(counts.Facets)
	return conn, counts, nil
}

func docID(h api.SearchResultHit) (uuid.UUID, bool) {
	if h.Document == nil {
		return uuid.Nil, false
	}
	s, _ := (*h.Document)["id"].(string)
	id, err := uuid.Parse(s)
	return id, err == nil
}

func textMatch(h api.SearchResultHit) float64 {
	if h.TextMatch == nil {
		return 0
	}
	return float64(*h.TextMatch)
}

type facetValue struct {
	field, value string
	count        int
}

func facetCounts(list *[]api.FacetCounts) []facetValue {
	if list == nil {
		return nil
	}
	var out []facetValue
	for _, f := range *list {
		if f.FieldName == nil || f.Counts == nil {
			continue
		}
		for _, c := range *f.Counts {
			if c.Value != nil && c.Count != nil && *c.Count > 0 {
				out = append(out, facetValue{field: *f.FieldName, value: *c.Value, count: *c.Count})
			}
		}
	}
	return out
}

// SearchMembers implements Backend.
func (t *Typesense) SearchMembers(ctx context.Context, actor domain.Actor, q MemberQuery, page relay.Page[Cursor]) (relay.Connection[MemberHit], MemberCounts, error) {
	plan, err := q.plan(actor, page)
	if err != nil {
		return relay.Connection[MemberHit]{}, MemberCounts{}, err
	}
	page.First = plan.first
	offset, err := offsetOf(page)
	if err != nil {
		return relay.Connection[MemberHit]{}, MemberCounts{}, err
	}
	if plan.availAt != nil {
		zones, err := t.st.Q().MemberSearchZones(ctx)
		if err != nil {
			return relay.Connection[MemberHit]{}, MemberCounts{}, fmt.Errorf("search members: %w", err)
		}
		plan.withAvailability(zones)
	}
	var filters []string
	for _, k := range plan.allKeys {
		filters = append(filters, "keys:="+quote(k))
	}
	for _, g := range plan.anyKeys {
		if len(g) == 0 {
			// Nothing can match (no member has a zone yet).
			return relay.Paginate(cursorMembersTS, page, nil, memberAt), emptyMemberCounts(plan), nil
		}
		filters = append(filters, "keys:="+quoteAll(g))
	}
	if plan.viewer != uuid.Nil {
		exclude := []string{plan.viewer.String()}
		blocked, err := t.st.Q().BlockedIDs(ctx, plan.viewer)
		if err != nil {
			return relay.Connection[MemberHit]{}, MemberCounts{}, fmt.Errorf("search members: %w", err)
		}
		for _, id := range blocked {
			exclude = append(exclude, id.String())
		}
		filters = append(filters, "user_id:!="+quoteAll(exclude))
	}
	var sortBy []string
	if plan.text != "" {
		sortBy = append(sortBy, "_text_match:desc")
	}
	if n := plan.near; n != nil {
		point := strconv.FormatFloat(n.Latitude, 'f', -1, 64) + ", " + strconv.FormatFloat(n.Longitude, 'f', -1, 64)
		filters = append(filters, "location:("+point+", "+strconv.FormatFloat(n.RadiusKm, 'f', -1, 64)+" km)")
		sortBy = append(sortBy, "location("+point+"):asc")
	}
	sortBy = append(sortBy, "user_id:asc")
	kind := "offer"
	if plan.kind == domain.Want {
		kind = "want"
	}
	text := "*"
	if plan.text != "" {
		text = fold(plan.text)
	}
	filter := strings.Join(filters, " && ")
	main := api.MultiSearchCollectionParameters{
		Collection:          str(t.members),
		Q:                   str(text),
		QueryBy:             str("display_name," + kind + "_text"),
		Prefix:              str("true,true"),
		NumTypos:            str("2,2"),
		DropTokensThreshold: num(0),
		SortBy:              str(strings.Join(sortBy, ",")),
		IncludeFields:       str("id"),
		Offset:              num(offset),
		Limit:               num(plan.first + 1),
	}
	if filter != "" {
		main.FilterBy = str(filter)
	}
	searches := []api.MultiSearchCollectionParameters{main}
	if plan.facets {
		main.FacetBy = str("languages,modes," + kind + "_categories," + kind + "_levels")
		main.MaxFacetValues = num(1000)
		searches[0] = main
		if plan.skillID != nil {
			// Level facet of one skill: members with it at each level or above.
			for r := 1; r <= 4; r++ {
				var group []string
				for l := r; l <= 4; l++ {
					group = append(group, skillRankKey(plan.kind, *plan.skillID, l))
				}
				count := main
				count.FacetBy, count.MaxFacetValues, count.Offset = nil, nil, nil
				count.Limit = num(0)
				count.FilterBy = str(strings.Join(append(slices.Clone(filters), "keys:="+quoteAll(group)), " && "))
				searches = append(searches, count)
			}
		}
	}
	res, err := t.client.MultiSearch.Perform(ctx, &api.MultiSearchParams{}, api.MultiSearchSearchesParameter{Searches: searches})
	if err != nil {
		return relay.Connection[MemberHit]{}, MemberCounts{}, fmt.Errorf("typesense: search members: %w", err)
	}
	if len(res.Results) != len(searches) {
		return relay.Connection[MemberHit]{}, MemberCounts{}, fmt.Errorf("typesense: search members: %d results for %d searches", len(res.Results), len(searches))
	}
	for _, r := range res.Results {
		if r.Error != nil {
			return relay.Connection[MemberHit]{}, MemberCounts{}, fmt.Errorf("typesense: search members: %s", *r.Error)
		}
	}
	r := res.Results[0]
	counts := MemberCounts{}
	if r.Found != nil {
		counts.Total = *r.Found
	}
	var hits []MemberHit
	if r.Hits != nil {
		for i, h := range *r.Hits {
			// A document without a usable id keeps its place (and so the offsets) until paginated.
			id, _ := docID(h)
			hit := MemberHit{UserID: id, at: tsAt(offset + i)}
			if plan.text != "" {
				hit.Score = textMatch(h)
			}
			if plan.near != nil && h.GeoDistanceMeters != nil {
				if m, ok := (*h.GeoDistanceMeters)["location"]; ok {
					km := float64(m) / 1000
					hit.DistanceKm = &km
				}
			}
			hits = append(hits, hit)
		}
	}
	conn := relay.Paginate(cursorMembersTS, page, hits, memberAt)
	ids := make([]uuid.UUID, 0, len(conn.Edges))
	for _, e := range conn.Edges {
		if e.Node.UserID != uuid.Nil {
			ids = append(ids, e.Node.UserID)
		}
	}
	hidden, err := t.st.Q().UnsearchableMembers(ctx, ids)
	if err != nil {
		return relay.Connection[MemberHit]{}, MemberCounts{}, fmt.Errorf("search members: %w", err)
	}
	dropEdges(&conn, func(h MemberHit) bool { return h.UserID == uuid.Nil || slices.Contains(hidden, h.UserID) })
	if plan.facets {
		counts.Facets = emptyMemberFacets()
		catSuffix := ":" + strconv.Itoa(plan.catRank)
		for _, fc := range facetCounts(r.FacetCounts) {
			switch fc.field {
			case "languages":
				counts.Facets[FacetLanguage] = append(counts.Facets[FacetLanguage], Facet{Value: fc.value, Count: fc.count})
			case "modes":
				counts.Facets[FacetMode] = append(counts.Facets[FacetMode], Facet{Value: fc.value, Count: fc.count})
			case kind + "_categories":
				cat, rank, _ := strings.Cut(fc.value, ":")
				if strings.HasSuffix(fc.value, catSuffix) {
					counts.Facets[FacetCategory] = append(counts.Facets[FacetCategory], Facet{Value: cat, Count: fc.count})
				}
				if plan.skillID == nil && plan.catID != nil && cat == plan.catID.String() {
					counts.Facets[FacetLevel] = append(counts.Facets[FacetLevel], Facet{Value: levelNames[rank], Count: fc.count})
				}
			case kind + "_levels":
				if plan.skillID == nil && plan.catID == nil {
					counts.Facets[FacetLevel] = append(counts.Facets[FacetLevel], Facet{Value: levelNames[fc.value], Count: fc.count})
				}
			}
		}
		if plan.skillID != nil {
			for i, r := range res.Results[1:] {
				if r.Found != nil && *r.Found > 0 {
					counts.Facets[FacetLevel] = append(counts.Facets[FacetLevel], Facet{Value: levelNames[strconv.Itoa(i+1)], Count: *r.Found})
				}
			}
		}
		sortFacets(counts.Facets)
	}
	return conn, counts, nil
}

func emptyMemberCounts(plan memberPlan) MemberCounts {
	c := MemberCounts{}
	if plan.facets {
		c.Facets = emptyMemberFacets()
	}
	return c
}

// IndexMember implements Backend.
func (t *Typesense) IndexMember(ctx context.Context, userID uuid.UUID) error {
	return t.indexMembers(ctx, []uuid.UUID{userID})
}

// memberDocument is the Typesense document of a member.
func memberDocument(d memberDoc, indexedAt int64) map[string]any {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	id := d.row.UserID.String()
	doc := map[string]any{
		"id": id, "user_id": id, "display_name": fold(d.row.DisplayName),
		"offer_text": foldAll(d.offerText), "want_text": foldAll(d.wantText), "keys": nonNil(d.keys),
		"languages": nonNil(d.row.Languages), "modes": nonNil(d.modes),
		"offer_categories": nonNil(d.offerCats), "want_categories": nonNil(d.wantCats),
		"offer_levels": nonNil(d.offerLevels), "want_levels": nonNil(d.wantLevels),
		"time_zone": d.row.TimeZone, "indexed_at": indexedAt,
	}
	if d.row.Latitude != nil && d.row.Longitude != nil {
		doc["location"] = []float64{*d.row.Latitude, *d.row.Longitude}
	}
	return doc
}

// indexMembers upserts the searchable members' documents and deletes the others', under the
// members' indexing locks (the Typesense calls happen outside any transaction).
func (t *Typesense) indexMembers(ctx context.Context, ids []uuid.UUID) error {
	err := t.st.WithMemberIndexLocks(ctx, ids, func(q *store.Queries) error {
		docs, remove, err := loadMemberDocs(ctx, q, ids, true)
		if err != nil {
			return err
		}
		now := time.Now().UnixMilli()
		var zones []string
		batch := make([]any, 0, len(docs))
		for _, d := range docs {
			zones = append(zones, d.row.TimeZone)
			batch = append(batch, memberDocument(d, now))
		}
		if len(zones) > 0 {
			if err := q.AddMemberSearchZones(ctx, zones); err != nil {
				return err
			}
		}
		if err := t.importDocs(ctx, t.members, batch); err != nil {
			return err
		}
		return t.deleteDocs(ctx, t.members, remove)
	})
	if err != nil {
		return fmt.Errorf("typesense: index members: %w", err)
	}
	return nil
}

func (t *Typesense) importDocs(ctx context.Context, collection string, docs []any) error {
	if len(docs) == 0 {
		return nil
	}
	action := api.Upsert
	results, err := t.client.Collection(collection).Documents().Import(ctx, docs, &api.ImportDocumentsParams{Action: &action, BatchSize: num(200)})
	if err != nil {
		return fmt.Errorf("import into %s: %w", collection, err)
	}
	for _, r := range results {
		if r != nil && !r.Success {
			return fmt.Errorf("import into %s: %s", collection, r.Error)
		}
	}
	return nil
}

func (t *Typesense) deleteDocs(ctx context.Context, collection string, ids []uuid.UUID) error {
	for batch := range slices.Chunk(ids, 50) {
		list := make([]string, len(batch))
		for i, id := range batch {
			list[i] = id.String()
		}
		if _, err := t.client.Collection(collection).Documents().Delete(ctx, &api.DeleteDocumentsParams{
			FilterBy: str("id:" + quoteAll(list)), IgnoreNotFound: yes(),
		}); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete from %s: %w", collection, err)
		}
	}
	return nil
}

func skillDocument(s store.SkillSearchSource, indexedAt int64) map[string]any {
	syn := foldAll(s.Synonyms)
	return map[string]any{
		"id": s.ID.String(), "name_en": fold(s.NameEN), "name_fr": fold(s.NameFR), "synonyms": syn,
		"category_id": s.CategoryID.String(), "indexed_at": indexedAt,
	}
}

// IndexSkill implements Backend.
func (t *Typesense) IndexSkill(ctx context.Context, skillID uuid.UUID) error {
	src, err := t.st.Q().SkillSearchSource(ctx, skillID)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		err = t.deleteDocs(ctx, t.skills, []uuid.UUID{skillID})
	case err != nil:
	case src.Status == domain.SkillApproved:
		err = t.importDocs(ctx, t.skills, []any{skillDocument(src, time.Now().UnixMilli())})
	default:
		err = t.deleteDocs(ctx, t.skills, []uuid.UUID{skillID})
	}
	if err != nil {
		return fmt.Errorf("typesense: index skill: %w", err)
	}
	return reindexSkillMembers(ctx, t.st, skillID, t.indexMembers)
}

// reindexSkills rewrites every skill document (ReindexAll).
func (t *Typesense) reindexSkills(ctx context.Context) error {
	now := time.Now().UnixMilli()
	var after uuid.UUID
	for {
		srcs, err := t.st.Q().SkillSearchSources(ctx, after, reindexBatch)
		if err != nil {
			return err
		}
		if len(srcs) == 0 {
			return nil
		}
		var docs []any
		var remove []uuid.UUID
		for _, s := range srcs {
			if s.Status == domain.SkillApproved {
				docs = append(docs, skillDocument(s, now))
			} else {
				remove = append(remove, s.ID)
			}
		}
		if err := t.importDocs(ctx, t.skills, docs); err != nil {
			return err
		}
		if err := t.deleteDocs(ctx, t.skills, remove); err != nil {
			return err
		}
		after = srcs[len(srcs)-1].ID
	}
}

// pruneIndexedBefore deletes documents a full reindex did not rewrite (their source is gone).
func (t *Typesense) pruneIndexedBefore(ctx context.Context, unixMillis int64) error {
	for _, c := range []string{t.skills, t.members} {
		if _, err := t.client.Collection(c).Documents().Delete(ctx, &api.DeleteDocumentsParams{
			FilterBy: str("indexed_at:<" + strconv.FormatInt(unixMillis, 10)), IgnoreNotFound: yes(),
		}); err != nil && !isNotFound(err) {
			return fmt.Errorf("typesense: prune %s: %w", c, err)
		}
	}
	return nil
}
