package fuzzapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph"
	"github.com/skillswap/skillswap/internal/apitest"
)

// leaks are fragments of internal error text that must never reach a client: driver and SQL
// errors, Go runtime errors, source positions and Go type names. A fragment the request itself
// contains is not counted (validation messages quote what they refuse).
var leaks = []string{"pgx", "pgconn", "SQLSTATE", "sql:", "runtime error", "panic", "goroutine", "nil pointer",
	"invalid memory", ".go:", "strconv.", "json: ", "*domain.", "*model.", "domain.", "model.", "interface {}",
	"map[string]", "reflect.", "context deadline", "context canceled", "dial tcp", "redis:", "river:", "stripe",
	"time.Time", "int64", "float64", "uuid:"}

// target is the running server and the identities the fuzzer sends requests as.
type target struct {
	srv    *apitest.Server
	tokens []string // "" (signed out), a member's, an admin's
	ids    []string
}

// setUp starts the real server once for the whole fuzz run (once per fuzzing worker process) on
// a throwaway database and seeds a few members, a skill, a session and a conversation.
func setUp(f *testing.F) *target {
	cfg := apitest.Config(f)
	srv := apitest.Start(f, cfg)
	cat := srv.Category(f, "fuzz", "Fuzz", "Fuzz")
	skill := srv.Skill(f, cat, "fuzz-pottery", "Pottery", "Poterie")
	admin, adminC := srv.SignUp(f)
	member, memberC := srv.SignUp(f)
	other, _ := srv.SignUp(f)
	srv.SetRoles(f, admin.User.ID, domain.RoleAdmin)
	for _, c := range []*apitest.Client{adminC, memberC} {
		apitest.Must(f, c.Do(f, `mutation($s: ID!) { addMemberSkill(input: {skillId: $s, kind: OFFER, level: EXPERT}) { memberSkill { id } } }`,
			map[string]any{"s": skill}))
		apitest.Must(f, c.Do(f, `mutation { updateProfile(input: {location: {latitude: 48.85, longitude: 2.35}, timeZone: "Europe/Paris",
			availability: [{weekday: 1, start: "09:00", end: "18:00"}]}) { user { id } } }`, nil))
	}
	var conv struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(f, memberC.Do(f, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": admin.User.ID})).Decode(f, &conv)
	var msg struct {
		SendMessage struct{ Message struct{ ID string } }
	}
	apitest.Must(f, memberC.Do(f, `mutation($c: ID!) { sendMessage(input: {conversationId: $c, body: "hello", clientId: "0190a0a0-0000-7000-8000-00000000000a"}) { message { id } } }`,
		map[string]any{"c": conv.OpenDirectConversation.Conversation.ID})).Decode(f, &msg)
	var sess struct {
		ProposeSession struct{ Session struct{ ID string } }
	}
	apitest.Must(f, memberC.Do(f, `mutation($in: ProposeSessionInput!) { proposeSession(input: $in) { session { id } } }`,
		map[string]any{"in": map[string]any{"skillId": skill, "teacherId": admin.User.ID, "learnerId": member.User.ID,
			"startsAt": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "durationMinutes": 30,
			"mode": "ONLINE", "meetingUrl": "https://meet.example.com/fuzz"}})).Decode(f, &sess)
	return &target{
		srv:    srv,
		tokens: []string{"", member.AccessToken, admin.AccessToken},
		ids: []string{admin.User.ID, member.User.ID, other.User.ID, skill, cat, admin.Session.ID,
			conv.OpenDirectConversation.Conversation.ID, msg.SendMessage.Message.ID, sess.ProposeSession.Session.ID},
	}
}

// FuzzGraphQL: whatever document and variables a client sends, signed in or out, the server
// answers with a coded error or data: never INTERNAL_SERVER_ERROR, never a 5xx, never raw error
// text. mode picks the identity (bits 0-1), raw or generated documents (bit 2) and GET or POST
// (bit 3); doc is a raw document; data seeds the generator, or holds raw JSON variables.
func FuzzGraphQL(f *testing.F) {
	tg := setUp(f)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, s := range seeds {
		f.Add(s.mode, s.doc, []byte(s.data))
	}
	f.Fuzz(func(t *testing.T, mode uint8, doc string, data []byte) {
		token := tg.tokens[int(mode&3)%len(tg.tokens)]
		var vars json.RawMessage
		if mode&4 != 0 {
			g := &gen{schema: schema, data: data, ids: tg.ids, signedIn: token != ""}
			var v map[string]any
			doc, v = g.document()
			vars, _ = json.Marshal(v)
		} else if json.Valid(data) {
			vars = data
		}
		if token != "" {
			for _, m := range sessionEnders {
				if strings.Contains(doc, m) {
					token = "" // a raw document must not revoke the fuzzer's session either
				}
			}
		}
		req := tg.request(t, doc, vars, mode&8 != 0)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		check(t, doc+string(vars), req)
	})
}

func (tg *target) request(t *testing.T, doc string, vars json.RawMessage, get bool) *http.Request {
	var req *http.Request
	var err error
	if get {
		q := url.Values{"query": {doc}}
		if len(vars) > 0 {
			q.Set("variables", string(vars))
		}
		req, err = http.NewRequest(http.MethodGet, tg.srv.URL+"/graphql?"+q.Encode(), nil)
	} else {
		body := map[string]any{"query": doc}
		if len(vars) > 0 {
			body["variables"] = vars
		}
		b, merr := json.Marshal(body)
		if merr != nil {
			t.Skip("not representable as JSON")
		}
		req, err = http.NewRequest(http.MethodPost, tg.srv.URL+"/graphql", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	if err != nil {
		t.Skip("not a valid request")
	}
	req.Header.Set("Accept", "application/graphql-response+json, application/json;q=0.9")
	return req
}

// check sends req and asserts the property.
func check(t *testing.T, sent string, req *http.Request) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("HTTP %d for %q: %s", resp.StatusCode, sent, raw)
	}
	var body struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("HTTP %d, not a JSON response for %q: %s", resp.StatusCode, sent, raw)
	}
	for _, e := range body.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" || code == "INTERNAL_SERVER_ERROR" {
			t.Fatalf("code %q for %q: %s", code, sent, raw)
		}
		for _, l := range leaks {
			if strings.Contains(e.Message, l) && !strings.Contains(sent, l) {
				t.Fatalf("raw error text %q in %q for %q", l, e.Message, sent)
			}
		}
	}
}
