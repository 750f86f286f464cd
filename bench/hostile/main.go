// Command hostile measures what the cost limits of issue 13 leave to an attacker: viewer's
// latency while 4 clients send the most expensive documents the limits accept, the server's
// memory under a flood of distinct large documents, and the CPU one accepted document costs.
// bench/hostile.sh builds, seeds and starts the server, then runs it.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	url      = flag.String("url", "http://127.0.0.1:18392/graphql", "GraphQL endpoint")
	pid      = flag.Int("pid", 0, "server process id (for CPU time and RSS)")
	email    = flag.String("email", "camille@demo.skillswap.local", "member to sign in as")
	password = flag.String("password", "swap-skills-2026!", "their password")
	duration = flag.Duration("duration", 15*time.Second, "length of each phase")
	perShape = flag.Int("n", 20, "requests per shape when measuring CPU per document")
)

var httpClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

type result struct {
	status int
	code   string
}

func send(token, query string, vars map[string]any) (result, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
		Data json.RawMessage
	}
	_ = json.Unmarshal(raw, &out)
	r := result{status: resp.StatusCode}
	if len(out.Errors) > 0 {
		r.code = out.Errors[0].Extensions.Code
	}
	return r, nil
}

var seq atomic.Int64

// hostile are the most expensive documents found that the limits still accept (or that reach
// validation), each made distinct per request so that no cache helps.
var hostile = []struct {
	name  string
	build func() string
}{
	{"100 conflicting fields (preflight maximum, fails validation)", func() string {
		n := seq.Add(1)
		var b strings.Builder
		b.WriteString("{")
		for i := range 100 {
			fmt.Fprintf(&b, ` skill(slug: "s%d-%d") { id }`, n, i)
		}
		b.WriteString(" }")
		return b.String()
	}},
	{"catalogue with related skills (complexity ~7,000)", func() string {
		return fmt.Sprintf(`query Q%d { skillCategories { id slug name nameEn skills { id slug nameEn nameFr synonyms relatedSkills { slug } } } }`, seq.Add(1))
	}},
	{"full introspection", func() string {
		return fmt.Sprintf(`query Q%d { __schema { types { name kind description fields { name description args { name description type { name kind ofType { name kind } } } type { name kind ofType { name kind ofType { name kind } } } } } } }`, seq.Add(1))
	}},
	{"same fragment spread 100 times", func() string {
		return fmt.Sprintf("query Q%d {", seq.Add(1)) + strings.Repeat(" ...F", 100) + " } fragment F on Query { skillCategories { id slug skills { id slug } } }"
	}},
}

// largeDocument is a valid document of about size bytes (a comment pads it), distinct per call.
func largeDocument(size int) string {
	return fmt.Sprintf("# %d %s\n{ __typename }", seq.Add(1), strings.Repeat("x", size))
}

func cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", *pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

func rssMiB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", *pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// run starts clients goroutines calling do until d has passed and returns their latencies.
func run(clients int, d time.Duration, do func() error) ([]time.Duration, int) {
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				start := time.Now()
				if err := do(); err != nil {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	return lat, int(failed.Load())
}

func pct(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
}

func main() {
	flag.Parse()
	var login struct {
		Data struct{ LogIn struct{ AccessToken string } }
	}
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($in: LogInInput!) { logIn(input: $in) { accessToken } }`,
		"variables": map[string]any{"in": map[string]any{"email": *email, "password": *password}},
	})
	resp, err := http.Post(*url, "application/json", bytes.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()
	token := login.Data.LogIn.AccessToken
	if token == "" {
		log.Fatal("log in failed")
	}
	viewer := func() error {
		r, err := send(token, `{ viewer { id displayName } }`, nil)
		if err == nil && (r.status != 200 || r.code != "") {
			err = fmt.Errorf("viewer: %d %s", r.status, r.code)
		}
		return err
	}

	fmt.Println("## CPU per document (one client, distinct documents, server CPU time / requests)")
	fmt.Println()
	fmt.Println("| document | answer | server CPU ms per request |")
	fmt.Println("|---|---|---|")
	for _, h := range hostile {
		var last result
		before := cpuSeconds()
		for range *perShape {
			last, err = send("", h.build(), nil)
			if err != nil {
				log.Fatal(err)
			}
		}
		answer := strconv.Itoa(last.status) + " " + last.code
		fmt.Printf("| %s | %s | %.1f |\n", h.name, strings.TrimSpace(answer), (cpuSeconds()-before)*1000/float64(*perShape))
	}
	fmt.Println()

	quiet, qf := run(8, *duration, viewer)
	var hostileDone, hostileRefused atomic.Int64
	stop := make(chan struct{})
	var hw sync.WaitGroup
	for i := range 4 {
		hw.Go(func() {
			for k := i; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				if r, err := send("", hostile[k%len(hostile)].build(), nil); err == nil {
					if r.code == "RATE_LIMITED" || r.code == "SERVICE_UNAVAILABLE" {
						hostileRefused.Add(1)
					} else {
						hostileDone.Add(1)
					}
				}
			}
		})
	}
	loaded, lf := run(8, *duration, viewer)
	close(stop)
	hw.Wait()
	fmt.Println("## viewer: 8 clients, quiet and with 4 hostile clients")
	fmt.Println()
	fmt.Println("| phase | requests | failed | p50 ms | p99 ms |")
	fmt.Println("|---|---|---|---|---|")
	fmt.Printf("| quiet | %d | %d | %.2f | %.2f |\n", len(quiet), qf, pct(quiet, .5), pct(quiet, .99))
	fmt.Printf("| 4 hostile clients (%d hostile requests answered, %d refused by budget or lane) | %d | %d | %.2f | %.2f |\n",
		hostileDone.Load(), hostileRefused.Load(), len(loaded), lf, pct(loaded, .5), pct(loaded, .99))
	fmt.Printf("\nviewer p99 under hostile load / quiet: %.2fx (target ≤ 2x)\n\n", pct(loaded, .99)/max(pct(quiet, .99), 0.001))

	// Two floods: documents just under MAX_QUERY_BYTES (accepted: parsed, validated, cached)
	// and ones just under MAX_BODY_BYTES but over MAX_QUERY_BYTES (read, then refused). Larger
	// bodies are cut off at MAX_BODY_BYTES (413) before they are kept.
	for _, f := range []struct {
		name   string
		size   int
		answer string
	}{
		{"distinct ~127 KB documents (accepted, under MAX_QUERY_BYTES)", 127_000, ""},
		{"distinct ~250 KB documents (refused: over MAX_QUERY_BYTES, under MAX_BODY_BYTES)", 250_000, "QUERY_TOO_COMPLEX"},
	} {
		rss0, peak := rssMiB(), 0.0
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-done:
					return
				case <-time.After(100 * time.Millisecond):
					peak = max(peak, rssMiB())
				}
			}
		}()
		flood, ff := run(4, *duration, func() error {
			r, err := send("", largeDocument(f.size), nil)
			if err == nil && (r.status != 200 || r.code != f.answer) {
				err = fmt.Errorf("large document: %d %s", r.status, r.code)
			}
			return err
		})
		close(done)
		fmt.Printf("## flood of %s, 4 clients\n\n", f.name)
		fmt.Printf("%d documents (%d failed), RSS %.0f MiB before, peak %.0f MiB: +%.0f MiB (target ≤ +100 MiB)\n\n",
			len(flood), ff, rss0, peak, peak-rss0)
	}
}
