// Command sessions measures the skill-session API over real HTTP on the population of
// bench/population/members.sql + sessions.sql:
//
//   - upcomingSessions(first: 50) with partner profile, rating, skill and review state: one
//     client, a warm-up round, then -n measured requests cycling through the viewers
//     bench1..bench<viewers>; p50/p95/p99/max.
//   - confirmSessionCompleted throughput: both participants of every ended session of the
//     -grid square confirm it, -workers requests in flight at once (a session's two
//     confirmations are queued next to each other, so they usually race); confirmations and
//     completions per second, latency percentiles, and a check that every session completed.
//
// Every response is checked: a GraphQL error or a short page aborts the run.
//
//	go run ./bench/sessions -url http://127.0.0.1:18391/graphql -n 400 -grid 40 -workers 8
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18391/graphql", "GraphQL endpoint")
	n := flag.Int("n", 400, "measured upcomingSessions requests")
	warm := flag.Int("warmup", 50, "warm-up requests")
	viewers := flag.Int("viewers", 20, "members whose upcoming sessions are read (bench1..N)")
	grid := flag.Int("grid", 40, "side of the square of ended sessions (sessions.sql -v grid)")
	workers := flag.Int("workers", 8, "concurrent confirmSessionCompleted requests")
	password := flag.String("password", "swap-skills-2026!", "password of the synthetic members")
	only := flag.String("only", "", "upcoming or confirm: run one part only")
	flag.Parse()
	c := &client{url: *url, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	if *only == "" || *only == "upcoming" {
		if err := upcoming(c, *n, *warm, *viewers, *password); err != nil {
			fmt.Fprintln(os.Stderr, "sessions: upcoming:", err)
			os.Exit(1)
		}
	}
	if *only == "" || *only == "confirm" {
		if err := confirm(c, *grid, *workers, *password); err != nil {
			fmt.Fprintln(os.Stderr, "sessions: confirm:", err)
			os.Exit(1)
		}
	}
}

type client struct {
	url  string
	http *http.Client
}

func (c *client) do(token, query string, vars map[string]any, out any) (time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return 0, err
	}
	var r struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) > 0 || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return 0, err
		}
	}
	return elapsed, nil
}

func (c *client) logIn(n int, password string) (string, error) {
	var out struct{ LogIn struct{ AccessToken string } }
	_, err := c.do("", `mutation($in: LogInInput!) { logIn(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"email": fmt.Sprintf("bench%d@bench.skillswap.local", n), "password": password}}, &out)
	if err != nil {
		return "", fmt.Errorf("log in bench%d: %w", n, err)
	}
	return out.LogIn.AccessToken, nil
}

// logInAll signs members in, a few at a time (argon2 makes each login cost ~30 ms of CPU).
func (c *client) logInAll(ns []int, password string) (map[int]string, error) {
	var mu sync.Mutex
	var firstErr error
	tokens := make(map[int]string, len(ns))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for n := range work {
				tok, err := c.logIn(n, password)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				tokens[n] = tok
				mu.Unlock()
			}
		})
	}
	for _, n := range ns {
		work <- n
	}
	close(work)
	wg.Wait()
	return tokens, firstErr
}

const upcomingQuery = `{ upcomingSessions(first: 50) { edges { cursor node { id state startsAt endsAt
	partner { id displayName profile { timeZone } rating { count mean bayesian } }
	skill { name } reviewState { viewerReviewed partnerReviewed revealed } } } pageInfo { hasNextPage endCursor } } }`

type upcomingPage struct {
	UpcomingSessions struct {
		Edges []struct {
			Node struct {
				Partner struct {
					Profile *struct{ TimeZone string }
					Rating  struct{ Count int }
				}
			}
		}
	}
}

func upcoming(c *client, n, warm, viewers int, password string) error {
	ns := make([]int, viewers)
	for i := range ns {
		ns[i] = i + 1
	}
	tokens, err := c.logInAll(ns, password)
	if err != nil {
		return err
	}
	lat := make([]time.Duration, 0, n)
	for i := range warm + n {
		var page upcomingPage
		d, err := c.do(tokens[1+i%viewers], upcomingQuery, nil, &page)
		if err != nil {
			return err
		}
		edges := page.UpcomingSessions.Edges
		if len(edges) != 50 {
			return fmt.Errorf("bench%d: %d upcoming sessions, want 50", 1+i%viewers, len(edges))
		}
		for _, e := range edges {
			// (Profile may be null: every 97th member's profile is HIDDEN.)
			if e.Node.Partner.Rating.Count == 0 {
				return errors.New("a partner without a rating: is sessions.sql loaded?")
			}
		}
		if i >= warm {
			lat = append(lat, d)
		}
	}
	slices.Sort(lat)
	fmt.Println("| scenario | requests | p50 ms | p95 ms | p99 ms | max ms |")
	fmt.Println("|---|---|---|---|---|---|")
	fmt.Printf("| `upcomingSessions(first: 50)` with partner profile + rating, skill, review state | %d | %s | %s | %s | %s |\n",
		n, ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)), ms(lat[len(lat)-1]))
	return nil
}

type task struct {
	token, session string
}

func confirm(c *client, grid, workers int, password string) error {
	var ns []int
	for i := range grid {
		ns = append(ns, 5001+i, 6001+i)
	}
	tokens, err := c.logInAll(ns, password)
	if err != nil {
		return err
	}
	// Each teacher lists their ended sessions; the learner's token comes from the learner's id.
	learnerToken := map[string]string{}
	for j := range grid {
		var v struct{ Viewer struct{ ID string } }
		if _, err := c.do(tokens[6001+j], `{ viewer { id } }`, nil, &v); err != nil {
			return err
		}
		learnerToken[v.Viewer.ID] = tokens[6001+j]
	}
	var tasks []task
	var sessions []string
	for i := range grid {
		var page struct {
			PastSessions struct {
				Edges []struct {
					Node struct {
						ID, State string
						Learner   struct{ ID string }
					}
				}
			}
		}
		if _, err := c.do(tokens[5001+i], `{ pastSessions(first: 100) { edges { node { id state learner { id } } } } }`, nil, &page); err != nil {
			return err
		}
		for _, e := range page.PastSessions.Edges {
			if e.Node.State != "CONFIRMED" {
				continue
			}
			lt, ok := learnerToken[e.Node.Learner.ID]
			if !ok {
				return fmt.Errorf("session %s: unknown learner", e.Node.ID)
			}
			sessions = append(sessions, e.Node.ID)
			tasks = append(tasks, task{tokens[5001+i], e.Node.ID}, task{lt, e.Node.ID})
		}
	}
	if len(sessions) != grid*grid {
		return fmt.Errorf("found %d confirmed ended sessions, want %d (reload sessions.sql: they are completed once measured)", len(sessions), grid*grid)
	}
	const mutation = `mutation($in: ConfirmSessionCompletedInput!) { confirmSessionCompleted(input: $in) {
		session { id state } creditBalance { balance } } }`
	work := make(chan task)
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for t := range work {
				d, err := c.do(t.token, mutation, map[string]any{"in": map[string]any{"sessionId": t.session}}, nil)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	for _, t := range tasks {
		work <- t
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return firstErr
	}
	// Every session must have completed (both confirmations applied, credits moved once).
	done := 0
	for i := range grid {
		var page struct {
			PastSessions struct {
				Edges []struct{ Node struct{ State string } }
			}
		}
		if _, err := c.do(tokens[5001+i], `{ pastSessions(first: 100) { edges { node { state } } } }`, nil, &page); err != nil {
			return err
		}
		for _, e := range page.PastSessions.Edges {
			if e.Node.State == "COMPLETED" {
				done++
			}
		}
	}
	if done != grid*grid {
		return fmt.Errorf("%d of %d sessions completed", done, grid*grid)
	}
	slices.Sort(lat)
	fmt.Println()
	fmt.Println("| scenario | requests | workers | elapsed s | confirmations/s | completions/s | p50 ms | p95 ms | p99 ms | max ms |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	fmt.Printf("| `confirmSessionCompleted`, both sides of %d ended sessions | %d | %d | %.2f | %.0f | %.0f | %s | %s | %s | %s |\n",
		len(sessions), len(tasks), workers, elapsed.Seconds(), float64(len(tasks))/elapsed.Seconds(), float64(len(sessions))/elapsed.Seconds(),
		ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)), ms(lat[len(lat)-1]))
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
