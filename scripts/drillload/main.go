// Command drillload is the traffic of the failover drill (scripts/drill.sh): two members, one
// sending chat messages and one proposing skill sessions (bookings) through the GraphQL API, each
// write retried never and counted when acknowledged. When the time is up it checks, on whichever
// PostgreSQL is the primary then, that every acknowledged write is there, and prints a JSON
// report: acknowledged writes, failed attempts, writes lost, the outage (last acknowledged write
// before the first failure to the first one after the last failure) and the longest time without
// any acknowledged write over the whole run (which a loaded machine's pauses also set).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/relay"
)

func main() {
	api := flag.String("url", "http://127.0.0.1:18080/graphql", "GraphQL endpoint")
	dbURL := flag.String("db", "", "PostgreSQL URL reaching the primary after the failover (multi-host)")
	duration := flag.Duration("duration", 40*time.Second, "how long to send")
	flag.Parse()
	if err := run(*api, *dbURL, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "drillload:", err)
		os.Exit(1)
	}
}

type client struct {
	url   string
	token string
	http  *http.Client
}

// do runs one operation; an error means "not acknowledged".
func (c *client) do(query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("http %d: %w", resp.StatusCode, err)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("%v %s", r.Errors[0].Extensions["code"], r.Errors[0].Message)
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

type write struct {
	kind string    // message or session
	id   uuid.UUID // zero when not acknowledged
	at   time.Time // when the answer came
	err  string
}

func signUp(api, email, name string) (*client, string, error) {
	c := &client{url: api, http: &http.Client{Timeout: 15 * time.Second}}
	var out struct {
		SignUp struct {
			AccessToken string
			User        struct{ ID string }
		}
	}
	err := c.do(`mutation($in: SignUpInput!) { signUp(input: $in) { accessToken user { id } } }`, map[string]any{"in": map[string]any{
		"email": email, "password": "drill-failover-2026!", "displayName": name,
		"termsVersion": os.Getenv("TERMS_VERSION"), "privacyPolicyVersion": os.Getenv("PRIVACY_POLICY_VERSION"),
	}}, &out)
	if err != nil {
		return nil, "", fmt.Errorf("sign up %s: %w", email, err)
	}
	c.token = out.SignUp.AccessToken
	return c, out.SignUp.User.ID, nil
}

func run(api, dbURL string, duration time.Duration) error {
	stamp := time.Now().UnixNano()
	alice, aliceID, err := signUp(api, fmt.Sprintf("alice-%d@drill.local", stamp), "Alice")
	if err != nil {
		return err
	}
	bob, bobID, err := signUp(api, fmt.Sprintf("bob-%d@drill.local", stamp), "Bob")
	if err != nil {
		return err
	}
	var skill struct{ Skill struct{ ID string } }
	if err := alice.do(`{ skill(slug: "guitar") { id } }`, nil, &skill); err != nil {
		return fmt.Errorf("skill: %w", err)
	}
	if err := bob.do(`mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { user { id } } }`,
		map[string]any{"in": map[string]any{"skillId": skill.Skill.ID, "kind": "OFFER", "level": "EXPERT"}}, nil); err != nil {
		return fmt.Errorf("offer a skill: %w", err)
	}
	var conv struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	if err := alice.do(`mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": bobID}, &conv); err != nil {
		return fmt.Errorf("open a conversation: %w", err)
	}

	start := time.Now()
	deadline := start.Add(duration)
	var mu sync.Mutex
	var writes []write
	record := func(w write) {
		mu.Lock()
		writes = append(writes, w)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	wg.Go(func() { // chat
		for i := 0; time.Now().Before(deadline); i++ {
			var out struct {
				SendMessage struct{ Message struct{ ID string } }
			}
			err := alice.do(`mutation($c: ID!, $k: String!, $b: String!) { sendMessage(input: {conversationId: $c, clientId: $k, body: $b}) { message { id } } }`,
				map[string]any{"c": conv.OpenDirectConversation.Conversation.ID, "k": fmt.Sprintf("drill-%d-%d", stamp, i), "b": fmt.Sprintf("message %d", i)}, &out)
			record(result("message", out.SendMessage.Message.ID, err))
			if err != nil {
				time.Sleep(50 * time.Millisecond)
			}
		}
	})
	wg.Go(func() { // bookings: one hour each, two hours apart, starting tomorrow (a year holds 4,000)
		base := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
		for i := 0; time.Now().Before(deadline); i++ {
			var out struct {
				ProposeSession struct{ Session struct{ ID string } }
			}
			err := alice.do(`mutation($in: ProposeSessionInput!) { proposeSession(input: $in) { session { id } } }`, map[string]any{"in": map[string]any{
				"skillId": skill.Skill.ID, "teacherId": bobID, "learnerId": aliceID,
				"startsAt": base.Add(time.Duration(i) * 2 * time.Hour).UTC().Format(time.RFC3339), "durationMinutes": 60,
				"mode": "ONLINE", "meetingUrl": "https://meet.example.com/drill",
			}}, &out)
			record(result("session", out.ProposeSession.Session.ID, err))
			if err != nil {
				time.Sleep(50 * time.Millisecond)
			}
		}
	})
	wg.Wait()

	sort.Slice(writes, func(i, j int) bool { return writes[i].at.Before(writes[j].at) })
	rep := report{}
	var acked = map[string][]uuid.UUID{}
	last := start
	firstErr, lastErr := time.Time{}, time.Time{}
	for _, w := range writes {
		if w.err != "" {
			rep.Failed++
			if firstErr.IsZero() {
				firstErr = w.at
				rep.FirstError = w.err
			}
			lastErr = w.at
			continue
		}
		rep.Acknowledged++
		acked[w.kind] = append(acked[w.kind], w.id)
		if gap := w.at.Sub(last).Seconds(); gap > rep.UnavailableSeconds {
			rep.UnavailableSeconds = gap
			rep.GapEndedAt = w.at.UTC().Format(time.RFC3339Nano)
		}
		last = w.at
	}
	if !firstErr.IsZero() {
		rep.ErrorsFrom, rep.ErrorsUntil = firstErr.UTC().Format(time.RFC3339Nano), lastErr.UTC().Format(time.RFC3339Nano)
	}
	rep.AckedMessages, rep.AckedSessions = len(acked["message"]), len(acked["session"])
	// The outage: from the last acknowledged write before the first failure to the first one
	// after the last failure.
	if !firstErr.IsZero() {
		before, after := start, time.Time{}
		for _, w := range writes {
			if w.err == "" && !w.at.After(firstErr) {
				before = w.at
			}
			if w.err == "" && w.at.After(lastErr) && after.IsZero() {
				after = w.at
			}
		}
		if !after.IsZero() {
			rep.OutageSeconds = after.Sub(before).Seconds()
		}
	}
	if !lastErr.IsZero() {
		for _, w := range writes {
			if w.err == "" && w.at.After(lastErr) {
				rep.AckedAfterErrors++
			}
		}
	}

	// Every acknowledged write must be on the primary now.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect to the primary after the drill: %w", err)
	}
	defer conn.Close(context.Background())
	for kind, table := range map[string]string{"message": "messages", "session": "skill_sessions"} {
		var found int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id = ANY($1)`, acked[kind]).Scan(&found); err != nil {
			return fmt.Errorf("count %s: %w", table, err)
		}
		rep.Lost += len(acked[kind]) - found
	}
	_ = conn.QueryRow(ctx, `SELECT inet_server_port()`).Scan(&rep.PrimaryPortAfter)
	return json.NewEncoder(os.Stdout).Encode(rep)
}

func result(kind, gid string, err error) write {
	w := write{kind: kind, at: time.Now()}
	if err != nil {
		w.err = err.Error()
		return w
	}
	_, id, ok := relay.ParseGlobalID(gid)
	if !ok {
		w.err = "unparseable id " + gid
		return w
	}
	w.id = id
	return w
}

type report struct {
	Acknowledged       int     `json:"acknowledged"`
	AckedMessages      int     `json:"acknowledged_messages"`
	AckedSessions      int     `json:"acknowledged_sessions"`
	Failed             int     `json:"failed_attempts"`
	FirstError         string  `json:"first_error,omitempty"`
	ErrorsFrom         string  `json:"errors_from,omitempty"`
	ErrorsUntil        string  `json:"errors_until,omitempty"`
	AckedAfterErrors   int     `json:"acknowledged_after_last_error"`
	OutageSeconds      float64 `json:"outage_seconds"`
	UnavailableSeconds float64 `json:"longest_gap_seconds"`
	GapEndedAt         string  `json:"gap_ended_at,omitempty"`
	Lost               int     `json:"acknowledged_lost"`
	PrimaryPortAfter   int     `json:"primary_port_after"`
}
