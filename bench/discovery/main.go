// Command discovery measures search and matching latency over real HTTP, one client at a time
// (the protocol: single client, warm). It signs in as a few members of the synthetic
// population (bench/population/members.sql), then for each scenario sends a warm-up round and
// -n measured requests, cycling through varied inputs, and prints p50/p95/p99 as a Markdown
// table. Every response is checked: a GraphQL error or an empty page where results are expected
// aborts the run, so a fast failure can never pass for a fast answer.
//
//	go run ./bench/discovery -url http://127.0.0.1:18182/graphql -n 400
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18182/graphql", "GraphQL endpoint")
	n := flag.Int("n", 400, "measured requests per scenario")
	warm := flag.Int("warmup", 50, "warm-up requests per scenario")
	viewers := flag.Int("viewers", 20, "members whose matches are measured (bench1..N)")
	password := flag.String("password", "swap-skills-2026!", "password of the synthetic members")
	only := flag.String("only", "", "run only scenarios whose name contains this")
	flag.Parse()
	c := &client{url: *url, http: &http.Client{Timeout: 30 * time.Second}}
	if err := run(c, *n, *warm, *viewers, *password, *only); err != nil {
		fmt.Fprintln(os.Stderr, "discovery:", err)
		os.Exit(1)
	}
}

type client struct {
	url  string
	http *http.Client
}

type gqlResponse struct {
	Data   json.RawMessage   `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}

func (c *client) do(token, query string, vars map[string]any) (json.RawMessage, time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return nil, 0, err
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	if len(r.Errors) > 0 || resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	return r.Data, elapsed, nil
}

// scenario is one measured query with the inputs it cycles through.
type scenario struct {
	name  string
	query string
	// inputs yields the i-th request's token and variables.
	inputs func(i int) (string, map[string]any)
	// check validates a response (non-empty results where the input guarantees some).
	check func(data json.RawMessage) error
}

func run(c *client, n, warm, viewers int, password, only string) error {
	tokens := make([]string, 0, viewers)
	for i := 1; i <= viewers; i++ {
		data, _, err := c.do("", `mutation($in: LogInInput!) { logIn(input: $in) { accessToken } }`,
			map[string]any{"in": map[string]any{"email": fmt.Sprintf("bench%d@bench.skillswap.local", i*37), "password": password}})
		if err != nil {
			return fmt.Errorf("log in: %w", err)
		}
		var out struct{ LogIn struct{ AccessToken string } }
		if err := json.Unmarshal(data, &out); err != nil {
			return err
		}
		tokens = append(tokens, out.LogIn.AccessToken)
	}
	ids, err := lookups(c, tokens[0])
	if err != nil {
		return err
	}
	var table []string
	for _, s := range scenarios(tokens, ids) {
		if only != "" && !strings.Contains(s.name, only) {
			continue
		}
		for i := range warm {
			tok, vars := s.inputs(i)
			if _, _, err := c.do(tok, s.query, vars); err != nil {
				return fmt.Errorf("%s warm-up: %w", s.name, err)
			}
		}
		lat := make([]time.Duration, 0, n)
		for i := range n {
			tok, vars := s.inputs(i)
			data, d, err := c.do(tok, s.query, vars)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			if err := s.check(data); err != nil {
				return fmt.Errorf("%s (vars %v): %w", s.name, vars, err)
			}
			lat = append(lat, d)
		}
		slices.Sort(lat)
		row := fmt.Sprintf("| %s | %d | %s | %s | %s | %s |", s.name, n, ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)), ms(lat[len(lat)-1]))
		fmt.Fprintln(os.Stderr, row)
		table = append(table, row)
	}
	fmt.Println("| scenario | requests | p50 ms | p95 ms | p99 ms | max ms |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range table {
		fmt.Println(r)
	}
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

type refs struct {
	skills     map[string]string // slug -> global id
	categories map[string]string // slug -> global id
	// popular are the skills the population draws most (it skews towards the first slugs).
	popular []string
}

func lookups(c *client, token string) (refs, error) {
	r := refs{skills: map[string]string{}, categories: map[string]string{}}
	data, _, err := c.do(token, `{ skillCategories { id slug skills { id slug } } }`, nil)
	if err != nil {
		return r, err
	}
	var out struct {
		SkillCategories []struct {
			ID, Slug string
			Skills   []struct{ ID, Slug string }
		}
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return r, err
	}
	for _, cat := range out.SkillCategories {
		r.categories[cat.Slug] = cat.ID
		for _, s := range cat.Skills {
			r.skills[s.Slug] = s.ID
			r.popular = append(r.popular, s.Slug)
		}
	}
	slices.Sort(r.popular)
	r.popular = r.popular[:min(8, len(r.popular))]
	return r, nil
}

func nonEmpty(path ...string) func(json.RawMessage) error {
	return func(data json.RawMessage) error {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("no %s in %s", p, data)
			}
			v = m[p]
		}
		if list, ok := v.([]any); !ok || len(list) == 0 {
			return fmt.Errorf("empty %s: %.300s", strings.Join(path, "."), data)
		}
		return nil
	}
}

func scenarios(tokens []string, r refs) []scenario {
	token := func(i int) string { return tokens[i%len(tokens)] }
	texts := []string{"guit", "guitare electrique", "piano", "espagnol", "cuisine", "photo", "guittar", "pâtisserie", "yoga", "python", "dessin", "japonais"}
	popular := r.popular
	const memberFields = `edges { cursor score distanceKm node { id displayName } } totalCount pageInfo { hasNextPage endCursor }`
	const facets = ` facets { categories { category { slug } count } levels { level count } languages { language count } modes { mode count } }`
	memberQuery := func(withFacets bool) string {
		f := ""
		if withFacets {
			f = facets
		}
		return `query($filter: MemberSearchFilter) { searchMembers(filter: $filter, first: 20) { ` + memberFields + f + ` } }`
	}
	// Two-filter searches a member would run, cycling through skills, languages and places.
	filterPairs := []func(i int) map[string]any{
		func(i int) map[string]any {
			return map[string]any{"skillId": r.skills[popular[i%len(popular)]], "language": "fr"}
		},
		func(i int) map[string]any {
			return map[string]any{"skillId": r.skills[popular[i%len(popular)]], "minLevel": "ADVANCED"}
		},
		func(i int) map[string]any {
			return map[string]any{"skillId": r.skills[popular[i%len(popular)]], "near": map[string]any{"latitude": 48.8566, "longitude": 2.3522, "radiusKm": 50}}
		},
		func(i int) map[string]any {
			return map[string]any{"categoryId": r.categories[[]string{"music", "languages", "programming", "sport"}[i%4]], "mode": "IN_PERSON"}
		},
		func(i int) map[string]any {
			return map[string]any{"language": []string{"fr", "en", "es", "de"}[i%4], "mode": "ONLINE"}
		},
	}
	member := func(name string, pairs []int, withFacets bool) scenario {
		return scenario{
			name:  name,
			query: memberQuery(withFacets),
			inputs: func(i int) (string, map[string]any) {
				return token(i), map[string]any{"filter": filterPairs[pairs[i%len(pairs)]](i / len(pairs))}
			},
			check: nonEmpty("searchMembers", "edges"),
		}
	}
	return []scenario{
		{
			name:   "matches(first: 20)",
			query:  `{ matches(first: 20) { edges { cursor node { score mutual user { id displayName } reasons { code text } } } pageInfo { hasNextPage } } }`,
			inputs: func(i int) (string, map[string]any) { return token(i), nil },
			check:  nonEmpty("matches", "edges"),
		},
		{
			name:  "searchSkills(text, first: 20)",
			query: `query($t: String!) { searchSkills(text: $t, first: 20) { edges { cursor score node { id slug name } } totalCount categoryFacets { category { slug } count } } }`,
			inputs: func(i int) (string, map[string]any) {
				return token(i), map[string]any{"t": texts[i%len(texts)]}
			},
			check: nonEmpty("searchSkills", "edges"),
		},
		member("searchMembers, two filters, all pairs mixed, no facets", []int{0, 1, 2, 3, 4}, false),
		member("searchMembers, two filters, all pairs mixed, with facets", []int{0, 1, 2, 3, 4}, true),
		member("searchMembers skill + language", []int{0}, false),
		member("searchMembers skill + min level", []int{1}, false),
		member("searchMembers skill + within 50 km", []int{2}, false),
		member("searchMembers category + mode", []int{3}, false),
		member("searchMembers language + mode (broadest)", []int{4}, false),
		member("searchMembers language + mode (broadest), with facets", []int{4}, true),
	}
}
