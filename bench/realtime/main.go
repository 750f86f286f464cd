// Command realtime drives the real-time benchmarks over real HTTP and WebSocket connections
// speaking graphql-transport-ws, against servers loaded with bench/population/chat.sql.
//
//	fanout: members of GROUP conversations subscribe to messageAdded, spread over the given
//	        instances; messages are sent over HTTP at a fixed rate for a duration (after an
//	        unmeasured warm-up at the same rate), alternating instances. Every subscriber must
//	        receive every message of its conversation exactly once and in order (checked by
//	        seq); latency is send start to receipt (the body holds the send time; one machine,
//	        one clock).
//	idle:   N authenticated connections with one subscription each on one instance; reports the
//	        server's RSS growth per connection (read from /proc/PID/status).
//
// bench/realtime.sh runs both and the rate sweep; results go to bench/README.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

func main() {
	mode := flag.String("mode", "fanout", "fanout or idle")
	urls := flag.String("urls", "http://127.0.0.1:18183", "comma-separated server base URLs (instances)")
	groups := flag.Int("groups", 200, "conversations (as loaded by chat.sql)")
	size := flag.Int("size", 10, "members per conversation (as loaded by chat.sql)")
	rate := flag.Int("rate", 1000, "fanout: messages per second")
	duration := flag.Duration("duration", 60*time.Second, "fanout: sending time")
	warmup := flag.Duration("warmup", 5*time.Second, "fanout: unmeasured sending at the same rate first")
	senders := flag.Int("senders", 64, "fanout: concurrent HTTP senders")
	conns := flag.Int("connections", 10000, "idle: connections to open")
	pid := flag.Int("pid", 0, "idle: server process id (RSS is read from /proc)")
	password := flag.String("password", "swap-skills-2026!", "password of the chat members")
	profile := flag.String("cpuprofile", "", "fanout: write a CPU profile of this tool's send phase to the file")
	flag.Parse()
	b := &bench{urls: strings.Split(*urls, ","), groups: *groups, size: *size, password: *password, profile: *profile,
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	var err error
	switch *mode {
	case "fanout":
		err = b.fanout(*rate, *duration, *warmup, *senders)
	case "idle":
		err = b.idle(*conns, *pid)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "realtime:", err)
		os.Exit(1)
	}
}

type bench struct {
	urls         []string
	groups, size int
	password     string
	profile      string
	http         *http.Client
}

func (b *bench) gql(url, token, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) > 0 || resp.StatusCode != 200 {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

// member is one chat member: their token and their conversation's global id.
type member struct {
	n            int
	token        string
	conversation string
}

// members logs in every member (a few at a time: argon2id is the cost) and finds their group.
func (b *bench) members(count int) ([]member, error) {
	out := make([]member, count)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range max(2, runtime.NumCPU()*2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= count {
					return
				}
				m, err := b.member(i)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
				out[i] = m
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
		return out, nil
	}
}

func (b *bench) member(n int) (member, error) {
	url := b.urls[0]
	var login struct{ LogIn struct{ AccessToken string } }
	err := b.gql(url, "", `mutation($in: LogInInput!) { logIn(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"email": fmt.Sprintf("chat%d@bench.skillswap.local", n), "password": b.password}}, &login)
	if err != nil {
		return member{}, fmt.Errorf("log in chat%d: %w", n, err)
	}
	var convs struct {
		Conversations struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	if err := b.gql(url, login.LogIn.AccessToken, `{ conversations(first: 1) { edges { node { id } } } }`, nil, &convs); err != nil {
		return member{}, fmt.Errorf("conversations of chat%d: %w", n, err)
	}
	if len(convs.Conversations.Edges) != 1 {
		return member{}, fmt.Errorf("chat%d has %d conversations, want 1 (load bench/population/chat.sql)", n, len(convs.Conversations.Edges))
	}
	return member{n: n, token: login.LogIn.AccessToken, conversation: convs.Conversations.Edges[0].Node.ID}, nil
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribe opens a graphql-transport-ws connection, initialises it and subscribes to
// messageAdded on the member's conversation; handle receives each message's seq and body.
//
// The client is kept lean because it shares the machine with what it measures: one goroutine
// per connection reading through a small buffer, and one JSON decode per frame.
func subscribe(ctx context.Context, url string, m member, handle func(seq int64, body string)) (net.Conn, error) {
	wsURL := "ws" + strings.TrimPrefix(url, "http") + "/graphql"
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	dialer := ws.Dialer{
		Protocols: []string{"graphql-transport-ws"},
		Header:    ws.HandshakeHeaderHTTP(http.Header{"Origin": []string{"http://localhost:8080"}}),
	}
	conn, br, _, err := dialer.Dial(dctx, wsURL)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	var wmu sync.Mutex // the reader answers pings while the caller may still be writing
	send := func(v wsMessage) error {
		raw, _ := json.Marshal(v)
		wmu.Lock()
		defer wmu.Unlock()
		return wsutil.WriteClientText(conn, raw)
	}
	var rd io.Reader = conn
	if br != nil { // bytes the server sent right after the handshake
		rd = io.MultiReader(br, conn)
	}
	rw := struct {
		io.Reader
		io.Writer
	}{bufio.NewReaderSize(rd, 2048), conn}
	fail := func(err error) (net.Conn, error) {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	init, _ := json.Marshal(map[string]string{"authorization": "Bearer " + m.token})
	if err := send(wsMessage{Type: "connection_init", Payload: init}); err != nil {
		return fail(err)
	}
	raw, _, err := wsutil.ReadServerData(rw)
	if err != nil {
		return fail(fmt.Errorf("await ack: %w", err))
	}
	var ack wsMessage
	if json.Unmarshal(raw, &ack) != nil || ack.Type != "connection_ack" {
		return fail(fmt.Errorf("no ack: %s", raw))
	}
	sub, _ := json.Marshal(map[string]any{
		"query":     `subscription($c: ID!) { messageAdded(conversationId: $c) { seq body } }`,
		"variables": map[string]any{"c": m.conversation},
	})
	if err := send(wsMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		return fail(err)
	}
	_ = conn.SetDeadline(time.Time{})
	go func() {
		defer conn.Close()
		context.AfterFunc(ctx, func() { conn.Close() })
		for {
			raw, _, err := wsutil.ReadServerData(rw)
			if err != nil {
				return
			}
			if seq, body, ok := parseNext(raw); ok {
				handle(seq, body)
				continue
			}
			var msg struct {
				Type    string `json:"type"`
				Payload struct {
					Data struct {
						MessageAdded struct {
							Seq  int64  `json:"seq"`
							Body string `json:"body"`
						} `json:"messageAdded"`
					} `json:"data"`
				} `json:"payload"`
			}
			if json.Unmarshal(raw, &msg) != nil {
				fmt.Fprintf(os.Stderr, "chat%d: unexpected frame %s\n", m.n, raw)
				continue
			}
			switch msg.Type {
			case "ping":
				_ = send(wsMessage{Type: "pong"})
			case "next":
				handle(msg.Payload.Data.MessageAdded.Seq, msg.Payload.Data.MessageAdded.Body)
			case "error", "complete":
				fmt.Fprintf(os.Stderr, "subscription of chat%d ended: %s\n", m.n, raw)
				return
			}
		}
	}()
	return conn, nil
}

// nextPrefix and nextSuffix frame the one message this tool subscribes to, as the server writes
// it; parseNext reads such a frame without a JSON decoder, which would be most of the tool's CPU.
var (
	nextPrefix = []byte(`{"type":"next","id":"1","payload":{"data":{"messageAdded":{"seq":`)
	nextBody   = []byte(`,"body":"`)
	nextSuffix = []byte(`"}}}}`)
)

// parseNext returns the seq and body of a next frame of exactly the expected shape, and false
// for anything else (the caller then decodes it as JSON).
func parseNext(raw []byte) (seq int64, body string, ok bool) {
	rest, ok := bytes.CutPrefix(raw, nextPrefix)
	if !ok {
		return 0, "", false
	}
	i := bytes.Index(rest, nextBody)
	if i <= 0 {
		return 0, "", false
	}
	seq, err := strconv.ParseInt(string(rest[:i]), 10, 64)
	rest, ok = bytes.CutSuffix(rest[i+len(nextBody):], nextSuffix)
	if err != nil || !ok || bytes.ContainsAny(rest, `"\`) {
		return 0, "", false
	}
	return seq, string(rest), true
}

// subscriber records what one member received.
type subscriber struct {
	member
	mu       sync.Mutex
	seqs     []int64
	lat      []time.Duration
	sentAt   []int64 // send time of each delivery, unix ns
	received atomic.Int64
}

// timeline buckets latencies by the second of the send phase they were sent in, to tell a tail
// made of stalls (a few bad seconds) from one made of queueing (spread over the run).
type timeline struct {
	start   time.Time
	mu      sync.Mutex
	buckets map[int]*bucket
	// cpu holds, by second, the clock ticks each kind of process used in it (sampleCPU).
	cpu map[int]map[string]int64
}

// sampleCPU records the CPU each kind of process uses in each second until stop is closed, so a
// slow second can be told apart as the system's own work or another process's (autovacuum, a
// checkpoint, anything else on the machine).
func (t *timeline) sampleCPU(stop <-chan struct{}) {
	kinds := map[int]string{}
	prev := cpuByProcess()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for sec := 0; ; sec++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		cur := cpuByProcess()
		used := map[string]int64{}
		for pid, p := range cur {
			if dt := p.ticks - prev[pid].ticks; dt > 0 {
				k, ok := kinds[pid]
				if !ok {
					k = processKind(pid, p.name)
					kinds[pid] = k
				}
				used[k] += dt
			}
		}
		prev = cur
		t.mu.Lock()
		t.cpu[sec] = used
		t.mu.Unlock()
	}
}

// processKind names a process for the per-second CPU report: its command name, and for
// PostgreSQL's background processes which one it is.
func processKind(pid int, name string) string {
	if name != "postgres" {
		return name
	}
	cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	for _, bg := range []string{"autovacuum", "checkpointer", "walwriter", "background writer", "logical replication"} {
		if bytes.Contains(cmd, []byte(bg)) {
			return "postgres " + bg
		}
	}
	return name
}

// cpuOf describes the CPU used in second sec: the busiest kinds of process, in cores.
func (t *timeline) cpuOf(sec int) string {
	t.mu.Lock()
	used := t.cpu[sec]
	t.mu.Unlock()
	if used == nil {
		return ""
	}
	kinds := make([]string, 0, len(used))
	var total int64
	for k, v := range used {
		kinds = append(kinds, k)
		total += v
	}
	slices.SortFunc(kinds, func(a, b string) int { return int(used[b] - used[a]) })
	parts := []string{fmt.Sprintf("%.2f cores", float64(total)/100)}
	for _, k := range kinds[:min(len(kinds), 4)] {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(used[k])/100))
	}
	return "; CPU " + strings.Join(parts, ", ")
}

type bucket struct {
	deliveries, slowDeliveries int
	maxDelivery                time.Duration
	sends, slowSends           int
	maxSend                    time.Duration
}

func (t *timeline) at(sent time.Time) *bucket {
	sec := int(sent.Sub(t.start) / time.Second)
	b := t.buckets[sec]
	if b == nil {
		b = &bucket{}
		t.buckets[sec] = b
	}
	return b
}

// print writes, to stderr, every second in which more than 1 % of deliveries took over slow.
func (t *timeline) print(slow time.Duration) {
	secs := make([]int, 0, len(t.buckets))
	for sec := range t.buckets {
		secs = append(secs, sec)
	}
	slices.Sort(secs)
	var bad int
	for _, sec := range secs {
		b := t.buckets[sec]
		if b.slowDeliveries*100 > b.deliveries {
			bad++
			fmt.Fprintf(os.Stderr, "second %d: %d of %d deliveries over %s (max %s); sendMessage: %d of %d over %s (max %s)%s\n",
				sec, b.slowDeliveries, b.deliveries, slow, b.maxDelivery.Round(time.Millisecond),
				b.slowSends, b.sends, slow, b.maxSend.Round(time.Millisecond), t.cpuOf(sec))
		}
	}
	fmt.Fprintf(os.Stderr, "%d of %d seconds had more than 1 %% of deliveries over %s\n", bad, len(secs), slow)
}

func (b *bench) fanout(rate int, duration, warmup time.Duration, senders int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	total := b.groups * b.size
	start := time.Now()
	ms, err := b.members(total)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "logged in %d members in %s\n", total, time.Since(start).Round(time.Millisecond))
	subs := make([]*subscriber, total)
	byConv := map[string][]*subscriber{}
	var opened sync.WaitGroup
	errs := make(chan error, total)
	sem := make(chan struct{}, 32)
	for i, m := range ms {
		s := &subscriber{member: m}
		subs[i] = s
		byConv[m.conversation] = append(byConv[m.conversation], s)
		opened.Add(1)
		sem <- struct{}{}
		go func() {
			defer opened.Done()
			defer func() { <-sem }()
			_, err := subscribe(ctx, b.urls[i%len(b.urls)], m, func(seq int64, body string) {
				sent, _ := strconv.ParseInt(strings.TrimPrefix(body, "t="), 10, 64)
				d := time.Since(time.Unix(0, sent))
				s.mu.Lock()
				s.seqs = append(s.seqs, seq)
				s.lat = append(s.lat, d)
				s.sentAt = append(s.sentAt, sent)
				s.mu.Unlock()
				s.received.Add(1)
			})
			if err != nil {
				errs <- fmt.Errorf("subscribe chat%d: %w", m.n, err)
			}
		}()
	}
	opened.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	convs := make([]string, 0, len(byConv))
	for c := range byConv {
		convs = append(convs, c)
	}
	slices.Sort(convs)
	sender := map[string]member{}
	for _, c := range convs {
		sender[c] = byConv[c][0].member
	}
	// Warm-up under load: sending at the measured rate for a few seconds opens the servers'
	// PostgreSQL connections and prepares their statements, which would otherwise stall the
	// first seconds of the measurement. Not measured.
	if warmup > 0 {
		fmt.Fprintf(os.Stderr, "warming up: %d msg/s for %s\n", rate, warmup)
		jobs := make(chan int, rate)
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				for k := range jobs {
					c := convs[k%len(convs)]
					_, _ = b.send(b.urls[k%len(b.urls)], sender[c], c, fmt.Sprintf("warm-load-%d-%d", k, time.Now().UnixNano()), time.Now())
				}
			})
		}
		interval := time.Second / time.Duration(rate)
		k, begin := 0, time.Now()
		for next := begin; time.Since(begin) < warmup; next = next.Add(interval) {
			time.Sleep(time.Until(next))
			select {
			case jobs <- k:
			default:
			}
			k++
		}
		close(jobs)
		wg.Wait()
	}
	// Then one message per conversation, until every subscriber has it: this proves every
	// subscription live and, deliveries being in order, that nothing earlier is still on its way
	// before the clock starts.
	var seq0 sync.Map
	for i, c := range convs {
		last, err := b.send(b.urls[i%len(b.urls)], sender[c], c, fmt.Sprintf("warm-%d-%d", i, time.Now().UnixNano()), time.Now())
		if err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		seq0.Store(c, last)
	}
	if err := waitFor(30*time.Second, func() bool {
		for _, s := range subs {
			v, _ := seq0.Load(s.conversation)
			s.mu.Lock()
			got := len(s.seqs) > 0 && s.seqs[len(s.seqs)-1] >= v.(int64)
			s.mu.Unlock()
			if !got {
				return false
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("warm-up deliveries: %w", err)
	}
	for _, s := range subs {
		s.mu.Lock()
		s.seqs, s.lat, s.sentAt = s.seqs[:0], s.lat[:0], s.sentAt[:0]
		s.mu.Unlock()
		s.received.Store(0)
	}
	fmt.Fprintf(os.Stderr, "%d subscribers live on %d instance(s); sending %d msg/s for %s\n", total, len(b.urls), rate, duration)

	// Sending: a ticker spreads `rate` sends per second over the conversations round robin.
	type job struct {
		k    int
		conv string
		at   time.Time
	}
	jobs := make(chan job, rate)
	var sent, failed, lagged atomic.Int64
	lastSeq := make(map[string]*atomic.Int64, len(convs))
	for _, c := range convs {
		v, _ := seq0.Load(c)
		a := &atomic.Int64{}
		a.Store(v.(int64))
		lastSeq[c] = a
	}
	const slow = 100 * time.Millisecond
	tl := &timeline{buckets: map[int]*bucket{}, cpu: map[int]map[string]int64{}}
	var sendWG sync.WaitGroup
	for range senders {
		sendWG.Add(1)
		go func() {
			defer sendWG.Done()
			for j := range jobs {
				seq, err := b.send(b.urls[j.k%len(b.urls)], sender[j.conv], j.conv, fmt.Sprintf("bench-%d-%d", j.k, j.at.UnixNano()), j.at)
				took := time.Since(j.at)
				tl.mu.Lock()
				bk := tl.at(j.at)
				bk.sends++
				if took > slow {
					bk.slowSends++
				}
				bk.maxSend = max(bk.maxSend, took)
				tl.mu.Unlock()
				if err != nil {
					if failed.Add(1) <= 3 {
						fmt.Fprintln(os.Stderr, "send:", err)
					}
					continue
				}
				sent.Add(1)
				for {
					cur := lastSeq[j.conv].Load()
					if seq <= cur || lastSeq[j.conv].CompareAndSwap(cur, seq) {
						break
					}
				}
			}
		}()
	}
	if b.profile != "" {
		f, err := os.Create(b.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpuBefore := cpuByProcess()
	sendStart := time.Now()
	tl.start = sendStart
	stopSampling := make(chan struct{})
	go tl.sampleCPU(stopSampling)
	interval := time.Second / time.Duration(rate)
	k := 0
	for next := sendStart; time.Since(sendStart) < duration; next = next.Add(interval) {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		select {
		case jobs <- job{k: k, conv: convs[k%len(convs)], at: time.Now()}:
		default:
			lagged.Add(1) // all senders busy and the queue full: the server cannot keep up
		}
		k++
	}
	close(jobs)
	sendWG.Wait()
	close(stopSampling)
	sendTime := time.Since(sendStart)
	cpuAfter := cpuByProcess()
	if b.profile != "" {
		pprof.StopCPUProfile()
	}

	// Delivery: wait until every subscriber has every acknowledged message (or 30 s).
	expected := func(s *subscriber) int64 {
		v, _ := seq0.Load(s.conversation)
		return lastSeq[s.conversation].Load() - v.(int64)
	}
	_ = waitFor(30*time.Second, func() bool {
		for _, s := range subs {
			if s.received.Load() < expected(s) {
				return false
			}
		}
		return true
	})
	drain := time.Since(sendStart) - sendTime

	var all []time.Duration
	var lost, dup, disorder, deliveries int64
	for _, s := range subs {
		s.mu.Lock()
		v, _ := seq0.Load(s.conversation)
		from, to := v.(int64)+1, lastSeq[s.conversation].Load()
		seen := map[int64]bool{}
		prev := int64(0)
		for _, q := range s.seqs {
			if seen[q] {
				dup++
			}
			if q < prev {
				disorder++
			}
			seen[q], prev = true, q
		}
		for q := from; q <= to; q++ {
			if !seen[q] {
				lost++
			}
		}
		deliveries += int64(len(s.seqs))
		all = append(all, s.lat...)
		for i, d := range s.lat {
			bk := tl.at(time.Unix(0, s.sentAt[i]))
			bk.deliveries++
			if d > slow {
				bk.slowDeliveries++
			}
			bk.maxDelivery = max(bk.maxDelivery, d)
		}
		s.mu.Unlock()
	}
	tl.print(slow)
	slices.Sort(all)
	pct := func(p int) string {
		if len(all) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", float64(all[min(len(all)-1, len(all)*p/100)].Microseconds())/1000)
	}
	fmt.Println("| instances | subscribers | target msg/s | sent msg/s | send errors | sends skipped (queue full) | deliveries/s | latency p50 ms | p99 ms | max ms | lost | duplicated | out of order | drain s |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	fmt.Printf("| %d | %d | %d | %.0f | %d | %d | %.0f | %s | %s | %s | %d | %d | %d | %.1f |\n",
		len(b.urls), total, rate, float64(sent.Load())/sendTime.Seconds(), failed.Load(), lagged.Load(),
		float64(deliveries)/sendTime.Seconds(), pct(50), pct(99), pct(100), lost, dup, disorder, drain.Seconds())
	printCPU(cpuBefore, cpuAfter, sendTime, sent.Load())
	if lost > 0 || dup > 0 || disorder > 0 {
		return errors.New("deliveries were lost, duplicated or out of order")
	}
	return nil
}

// procCPU is a process's command name and CPU time so far, in clock ticks.
type procCPU struct {
	name  string
	ticks int64
}

// cpuByProcess returns the CPU time used so far by every process of the machine, by pid: where
// the machine's two cores went during the send phase.
func cpuByProcess() map[int]procCPU {
	out := map[int]procCPU{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ... utime stime: fields 14 and 15, counted after the ")".
		i := strings.LastIndexByte(string(raw), ')')
		j := strings.IndexByte(string(raw), '(')
		if i < 0 || j < 0 {
			continue
		}
		f := strings.Fields(string(raw[i+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = procCPU{name: string(raw[j+1 : i]), ticks: u + k}
	}
	return out
}

// printCPU prints the cores each kind of process used during the send phase and its CPU time per
// message sent (USER_HZ is 100 on Linux).
func printCPU(before, after map[int]procCPU, d time.Duration, sent int64) {
	const hz = 100
	byName := map[string]int64{}
	var total int64
	for pid, p := range after {
		// A process that exited during the phase took its time with it; one that started counts
		// from zero.
		if dt := p.ticks - before[pid].ticks; dt > 0 {
			byName[p.name] += dt
			total += dt
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return int(byName[b] - byName[a]) })
	fmt.Println()
	fmt.Println("| process (send phase) | cores | CPU ms per message sent |")
	fmt.Println("|---|---|---|")
	row := func(name string, ticks int64) {
		fmt.Printf("| %s | %.2f | %.2f |\n", name, float64(ticks)/hz/d.Seconds(), float64(ticks)*1000/hz/float64(max(sent, 1)))
	}
	for _, n := range names[:min(len(names), 5)] {
		row(n, byName[n])
	}
	row("all processes", total)
}

// send posts one message and returns its seq. The body carries the intended send time.
func (b *bench) send(url string, m member, conv, clientID string, at time.Time) (int64, error) {
	// The request is written by hand and the usual answer read without a JSON decoder: the tool
	// shares the machine with the servers, so its CPU is kept small. conv and clientID need no
	// escaping (base64 ids, ASCII ids of this tool).
	body := make([]byte, 0, 256)
	body = append(body, `{"query":"mutation($in: SendMessageInput!) { sendMessage(input: $in) { message { seq } } }","variables":{"in":{"conversationId":"`...)
	body = append(body, conv...)
	body = append(body, `","clientId":"`...)
	body = append(body, clientID...)
	body = append(body, `","body":"t=`...)
	body = strconv.AppendInt(body, at.UnixNano(), 10)
	body = append(body, `"}}}`...)
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m.token)
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode == http.StatusOK {
		if rest, ok := bytes.CutPrefix(raw, sendPrefix); ok {
			if digits, ok := bytes.CutSuffix(rest, sendSuffix); ok {
				if seq, err := strconv.ParseInt(string(digits), 10, 64); err == nil {
					return seq, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
}

// sendPrefix and sendSuffix frame the only successful answer to send's mutation.
var (
	sendPrefix = []byte(`{"data":{"sendMessage":{"message":{"seq":`)
	sendSuffix = []byte(`}}}}`)
)

func waitFor(limit time.Duration, done func() bool) error {
	deadline := time.Now().Add(limit)
	for !done() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %s", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func rssKiB(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

// idle opens n connections, each authenticated with one subscription, on the first instance,
// and reports the server's RSS growth per connection once they are all open and settled.
func (b *bench) idle(n, pid int) error {
	if pid == 0 {
		return errors.New("-pid is required")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	users := min(b.groups*b.size, 100)
	ms, err := b.members(users)
	if err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	before, err := rssKiB(pid)
	if err != nil {
		return err
	}
	start := time.Now()
	conns := make([]net.Conn, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := subscribe(ctx, b.urls[0], ms[i%len(ms)], func(int64, string) {})
			if err != nil {
				if failed.Add(1) <= 3 {
					fmt.Fprintln(os.Stderr, "connection:", err)
				}
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		return fmt.Errorf("%d connections failed", failed.Load())
	}
	opened := time.Since(start)
	// Let the server settle (its subscriptions start, GC runs) before reading RSS.
	time.Sleep(10 * time.Second)
	after, err := rssKiB(pid)
	if err != nil {
		return err
	}
	fmt.Println("| connections | open time s | server RSS before MiB | after MiB | RSS per connection KiB |")
	fmt.Println("|---|---|---|---|---|")
	fmt.Printf("| %d | %.1f | %.1f | %.1f | %.1f |\n", n, opened.Seconds(), float64(before)/1024, float64(after)/1024, float64(after-before)/float64(n))
	for _, c := range conns {
		_ = c.Close()
	}
	return nil
}
