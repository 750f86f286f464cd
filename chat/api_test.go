package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/relay"
)

// These tests drive the GraphQL API of chat through real servers: HTTP for queries and
// mutations, real WebSockets speaking graphql-transport-ws for subscriptions. The protocol's
// close codes (4408 init timeout, 4429 second init, 4401 subscribe before ack, 4409 duplicate id,
// 4403 bad token) are covered once for every subscription by httpapi's
// TestWebSocketProtocolCloseCodes; here they are checked with messageAdded only where chat adds
// something (access checks, replay, fan-out across instances).

const transportWS = "graphql-transport-ws"

const (
	opOpenDirect = `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id kind } } }`
	opSend       = `mutation($c: ID!, $k: String!, $b: String!, $a: String) {
		sendMessage(input: {conversationId: $c, clientId: $k, body: $b, attachmentUrl: $a}) {
			message { id seq body clientId sender { id } }
			conversation { id lastSeq }
		}
	}`
	opMessageAdded = `subscription($c: ID!, $after: Int) {
		messageAdded(conversationId: $c, afterSeq: $after) { id seq body sender { id } }
	}`
)

// apiMember is a signed-up member with an HTTP client.
type apiMember struct {
	tok    apitest.Tokens
	client *apitest.Client
}

func signUp(t *testing.T, srv *apitest.Server) apiMember {
	t.Helper()
	tok, c := srv.SignUp(t)
	return apiMember{tok: tok, client: c}
}

// on returns the member's client for another server sharing the database (tokens are valid on
// every instance).
func (m apiMember) on(srv *apitest.Server) *apitest.Client {
	return srv.Client().WithToken(m.tok.AccessToken)
}

func openDirect(t *testing.T, c *apitest.Client, other apiMember) string {
	t.Helper()
	var out struct {
		OpenDirectConversation struct {
			Conversation struct{ ID string }
		}
	}
	apitest.Must(t, c.Do(t, opOpenDirect, map[string]any{"u": other.tok.User.ID})).Decode(t, &out)
	return out.OpenDirectConversation.Conversation.ID
}

type sentMessage struct {
	ID   string
	Seq  int
	Body string
}

var clientIDs atomic.Int64

func sendMsg(t *testing.T, c *apitest.Client, conv, body string) sentMessage {
	t.Helper()
	return sendWithID(t, c, conv, fmt.Sprintf("c-%d", clientIDs.Add(1)), body)
}

func sendWithID(t *testing.T, c *apitest.Client, conv, clientID, body string) sentMessage {
	t.Helper()
	var out struct {
		SendMessage struct{ Message sentMessage }
	}
	apitest.Must(t, c.Do(t, opSend, map[string]any{"c": conv, "k": clientID, "b": body})).Decode(t, &out)
	return out.SendMessage.Message
}

// subscribeMessages opens a socket as token and subscribes to messageAdded.
func subscribeMessages(t *testing.T, srv *apitest.Server, token, conv string, afterSeq *int) *apitest.WS {
	t.Helper()
	ws := srv.Connect(t, transportWS, token)
	vars := map[string]any{"c": conv}
	if afterSeq != nil {
		vars["after"] = *afterSeq
	}
	ws.Subscribe("m", opMessageAdded, vars)
	return ws
}

// readSeqs reads n messageAdded events and returns their seqs, failing on anything else.
func readSeqs(t *testing.T, ws *apitest.WS, n int) []int {
	t.Helper()
	out := make([]int, 0, n)
	for len(out) < n {
		m, err := ws.Read(10 * time.Second)
		if err != nil {
			t.Fatalf("after %d of %d messages: %v", len(out), n, err)
		}
		if m.Type != "next" {
			t.Fatalf("got %s %s, want next", m.Type, m.Payload)
		}
		var p struct {
			Data struct {
				MessageAdded struct{ Seq int }
			}
			Errors []any
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
			t.Fatalf("payload %s (%v)", m.Payload, err)
		}
		out = append(out, p.Data.MessageAdded.Seq)
	}
	return out
}

func wantRange(t *testing.T, got []int, from, to int) {
	t.Helper()
	if len(got) != to-from+1 {
		t.Fatalf("got seqs %v, want %d..%d", got, from, to)
	}
	for i, s := range got {
		if s != from+i {
			t.Fatalf("got seqs %v, want %d..%d in order", got, from, to)
		}
	}
}

// nothingMore checks that no further event arrives for a while (no duplicate).
func nothingMore(t *testing.T, ws *apitest.WS) {
	t.Helper()
	if m, err := ws.Read(300 * time.Millisecond); err == nil {
		t.Fatalf("unexpected %s %s", m.Type, m.Payload)
	}
}

func TestAPIMessagesReachAnotherInstanceAndSurviveRedisRestart(t *testing.T) {
	t.Parallel()
	redis := apitest.StartRedis(t)
	cfg := apitest.Config(t)
	cfg.RedisURL = redis.URL()
	// Streams re-read PostgreSQL this often: a wake-up lost while Redis restarts delays a
	// message by at most this much, even for a subscription that outlived the restart.
	cfg.ChatResyncInterval = 500 * time.Millisecond
	a := apitest.Start(t, cfg)
	b := apitest.Start(t, cfg) // same database, same Redis: a second instance

	alice, bob := signUp(t, a), signUp(t, a)
	conv := openDirect(t, alice.client, bob)

	// A message sent through instance A reaches a subscriber on instance B, in order.
	zero := 0
	ws := subscribeMessages(t, b, bob.tok.AccessToken, conv, &zero)
	const n = 20
	for i := range n {
		sendMsg(t, alice.client, conv, fmt.Sprintf("hello %d", i))
	}
	wantRange(t, readSeqs(t, ws, n), 1, n)

	// Disconnect abruptly; messages are sent meanwhile; resubscribing with afterSeq gets
	// exactly the missed ones, then live ones.
	_ = ws.Conn.CloseNow()
	for i := range 5 {
		sendMsg(t, alice.on(b), conv, fmt.Sprintf("missed %d", i))
	}
	last := n
	ws = subscribeMessages(t, b, bob.tok.AccessToken, conv, &last)
	wantRange(t, readSeqs(t, ws, 5), n+1, n+5)
	sendMsg(t, alice.client, conv, "live")
	wantRange(t, readSeqs(t, ws, 1), n+6, n+6)
	nothingMore(t, ws)

	// Redis restarts: sends are acknowledged meanwhile (PostgreSQL is the truth); after the
	// clients resubscribe with afterSeq, none is missing and none is repeated.
	// A subscription that stays across the restart: its replay of the last message proves it is
	// running (subscribed to Redis) before Redis goes away.
	last = n + 5
	live := subscribeMessages(t, a, bob.tok.AccessToken, conv, &last)
	wantRange(t, readSeqs(t, live, 1), n+6, n+6)
	redis.Stop()
	_ = ws.Conn.CloseNow()
	acked := map[int]bool{}
	for i := range 5 {
		m := sendMsg(t, alice.client, conv, fmt.Sprintf("during restart %d", i))
		acked[m.Seq] = true
	}
	redis.Start()
	last = n + 6
	ws = subscribeMessages(t, b, bob.tok.AccessToken, conv, &last)
	got := readSeqs(t, ws, 5)
	wantRange(t, got, n+7, n+11)
	for _, s := range got {
		delete(acked, s)
	}
	if len(acked) != 0 {
		t.Fatalf("acknowledged messages lost: %v", acked)
	}
	for i := range 3 {
		sendMsg(t, alice.client, conv, fmt.Sprintf("after restart %d", i))
	}
	wantRange(t, readSeqs(t, ws, 3), n+12, n+14)
	nothingMore(t, ws)
	// The subscription that lived through the restart also ends up with everything, in order.
	wantRange(t, readSeqs(t, live, 8), n+7, n+14)
}

func TestAPIRetriedSendCreatesOneMessage(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	alice, bob := signUp(t, srv), signUp(t, srv)
	conv := openDirect(t, alice.client, bob)

	first := sendWithID(t, alice.client, conv, "retry-1", "once")
	// Retries, sequential and concurrent, return the same message.
	var wg sync.WaitGroup
	ids := make([]string, 5)
	for i := range ids {
		wg.Go(func() { ids[i] = sendWithID(t, alice.client, conv, "retry-1", "once").ID })
	}
	wg.Wait()
	for _, id := range ids {
		if id != first.ID {
			t.Fatalf("retry returned %s, first send %s", id, first.ID)
		}
	}
	var out struct {
		Messages struct {
			Edges []struct{ Node struct{ ID, ClientID string } }
		}
	}
	apitest.Must(t, bob.client.Do(t, `query($c: ID!) { messages(conversationId: $c) { edges { node { id clientId } } } }`,
		map[string]any{"c": conv})).Decode(t, &out)
	if len(out.Messages.Edges) != 1 || out.Messages.Edges[0].Node.ID != first.ID {
		t.Fatalf("messages %+v, want the one message %s", out.Messages.Edges, first.ID)
	}

	// The payload's conversation, when asked for, already shows the new last message.
	var payload struct {
		SendMessage struct {
			Conversation struct {
				ID          string
				LastSeq     int
				LastMessage struct{ Body string }
			}
		}
	}
	apitest.Must(t, alice.client.Do(t, `mutation($c: ID!) { sendMessage(input: {conversationId: $c, clientId: "second", body: "twice"}) {
		conversation { id lastSeq lastMessage { body } } } }`, map[string]any{"c": conv})).Decode(t, &payload)
	if c := payload.SendMessage.Conversation; c.ID != conv || c.LastSeq != 2 || c.LastMessage.Body != "twice" {
		t.Fatalf("payload conversation %+v", c)
	}
}

func TestAPINonParticipantCannotSubscribeOrRead(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	alice, bob, carol := signUp(t, srv), signUp(t, srv), signUp(t, srv)
	conv := openDirect(t, alice.client, bob)
	msg := sendMsg(t, alice.client, conv, "private")

	ws := subscribeMessages(t, srv, carol.tok.AccessToken, conv, nil)
	expectRefused(t, ws, "m")
	// The socket stays usable and the id is free again.
	ws.Subscribe("m", `subscription($c: ID!) { typing(conversationId: $c) { at } }`, map[string]any{"c": conv})
	expectRefused(t, ws, "m")

	for _, q := range []struct {
		query string
		vars  map[string]any
	}{
		{`query($c: ID!) { messages(conversationId: $c) { edges { node { id } } } }`, map[string]any{"c": conv}},
		{`query($c: ID!) { conversation(id: $c) { id } }`, map[string]any{"c": conv}},
	} {
		if r := carol.client.Do(t, q.query, q.vars); r.Code() != "NOT_FOUND" {
			t.Fatalf("%s: %s", q.query, r.Raw)
		}
	}
	// node() hides what the caller may not see.
	for _, id := range []string{conv, msg.ID} {
		var out struct{ Node *struct{ ID string } }
		apitest.Must(t, carol.client.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})).Decode(t, &out)
		if out.Node != nil {
			t.Fatalf("node(%s) visible to a non-participant", id)
		}
		apitest.Must(t, bob.client.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})).Decode(t, &out)
		if out.Node == nil || out.Node.ID != id {
			t.Fatalf("node(%s) for a participant: %+v", id, out.Node)
		}
	}
}

// expectRefused reads the refusal of subscription id: gqlgen reports an error of the resolver
// that starts a subscription as a `next` carrying only errors followed by `complete` (what
// graphql-ws and Apollo hand to the observer's error path); an `error` message is accepted too.
func expectRefused(t *testing.T, ws *apitest.WS, id string) {
	t.Helper()
	m, err := ws.Read(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var errs []apitest.Error
	switch m.Type {
	case "error":
		_ = json.Unmarshal(m.Payload, &errs)
	case "next":
		var p struct {
			Data   json.RawMessage
			Errors []apitest.Error
		}
		_ = json.Unmarshal(m.Payload, &p)
		if string(p.Data) != "null" && len(p.Data) > 0 {
			t.Fatalf("refused subscription delivered data: %s", m.Payload)
		}
		errs = p.Errors
		ws.Expect("complete")
	default:
		t.Fatalf("got %s %s", m.Type, m.Payload)
	}
	if m.ID != id || len(errs) == 0 || errs[0].Extensions["code"] != "NOT_FOUND" {
		t.Fatalf("want NOT_FOUND for %s, got %s %s", id, m.Type, m.Payload)
	}
}

func TestAPIBadInputsNameTheirField(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	alice, bob, carol := signUp(t, srv), signUp(t, srv), signUp(t, srv)
	conv := openDirect(t, alice.client, bob)
	mine := sendMsg(t, alice.client, conv, "mine")
	old := sendMsg(t, alice.client, conv, "old")
	oldID, _ := relay.ParseID(relay.KindMessage, old.ID, "id")
	if _, err := srv.App.Pool.Exec(context.Background(),
		`UPDATE messages SET created_at = created_at - interval '16 minutes' WHERE id = $1`, oldID); err != nil {
		t.Fatal(err)
	}
	const edit = `mutation($m: ID!, $b: String!) { editMessage(input: {messageId: $m, body: $b}) { message { id } } }`
	send := func(c *apitest.Client, clientID, body string, att any) *apitest.Response {
		return c.Do(t, opSend, map[string]any{"c": conv, "k": clientID, "b": body, "a": att})
	}

	tests := []struct {
		name        string
		do          func() *apitest.Response
		code, field string
	}{
		{"empty body", func() *apitest.Response { return send(alice.client, "k1", "   ", nil) }, "BAD_USER_INPUT", "input.body"},
		{"4001 characters", func() *apitest.Response { return send(alice.client, "k2", strings.Repeat("é", 4001), nil) }, "BAD_USER_INPUT", "input.body"},
		{"plain http attachment", func() *apitest.Response { return send(alice.client, "k3", "see", "http://files.example/a.png") }, "BAD_USER_INPUT", "input.attachmentUrl"},
		{"attachment that is no URL", func() *apitest.Response { return send(alice.client, "k4", "see", "not a url") }, "BAD_USER_INPUT", "input.attachmentUrl"},
		{"empty client id", func() *apitest.Response { return send(alice.client, "", "hi", nil) }, "BAD_USER_INPUT", "input.clientId"},
		{"bad conversation id", func() *apitest.Response {
			return alice.client.Do(t, opSend, map[string]any{"c": "usr_nope", "k": "k5", "b": "hi"})
		}, "BAD_USER_INPUT", "input.conversationId"},
		{"editing after 15 minutes", func() *apitest.Response {
			return alice.client.Do(t, edit, map[string]any{"m": old.ID, "b": "too late"})
		}, "CONFLICT", "input.messageId"},
		{"editing someone else's message", func() *apitest.Response {
			return bob.client.Do(t, edit, map[string]any{"m": mine.ID, "b": "hijack"})
		}, "FORBIDDEN", "input.messageId"},
		{"edit to 4001 characters", func() *apitest.Response {
			return alice.client.Do(t, edit, map[string]any{"m": mine.ID, "b": strings.Repeat("x", 4001)})
		}, "BAD_USER_INPUT", "input.body"},
		{"deleting someone else's message", func() *apitest.Response {
			return bob.client.Do(t, `mutation($m: ID!) { deleteMessage(input: {messageId: $m}) { message { id } } }`, map[string]any{"m": mine.ID})
		}, "FORBIDDEN", "input.messageId"},
		{"non-participant sends", func() *apitest.Response { return send(carol.client, "k6", "hi", nil) }, "NOT_FOUND", "input.conversationId"},
		{"messages page too large", func() *apitest.Response {
			return alice.client.Do(t, `query($c: ID!) { messages(conversationId: $c, first: 101) { edges { cursor } } }`, map[string]any{"c": conv})
		}, "BAD_USER_INPUT", "first"},
		{"conversation with oneself", func() *apitest.Response {
			return alice.client.Do(t, opOpenDirect, map[string]any{"u": alice.tok.User.ID})
		}, "BAD_USER_INPUT", "input.userId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.do()
			if r.Code() != tt.code || r.Field() != tt.field {
				t.Fatalf("got code %q field %q, want %q %q: %s", r.Code(), r.Field(), tt.code, tt.field, r.Raw)
			}
		})
	}

	// A block stops a direct conversation both ways, and opening a new one.
	apitest.Must(t, bob.client.Do(t, `mutation($m: ID!) { blockMember(input: {memberId: $m}) { member { id } } }`,
		map[string]any{"m": alice.tok.User.ID}))
	for name, r := range map[string]*apitest.Response{
		"blocked member sends":    send(alice.client, "k7", "still there?", nil),
		"blocking member sends":   bob.client.Do(t, opSend, map[string]any{"c": conv, "k": "k8", "b": "hi"}),
		"blocked member reopens":  alice.client.Do(t, opOpenDirect, map[string]any{"u": bob.tok.User.ID}),
		"blocking member reopens": bob.client.Do(t, opOpenDirect, map[string]any{"u": alice.tok.User.ID}),
	} {
		want := "input.conversationId"
		if strings.HasSuffix(name, "reopens") {
			want = "input.userId"
		}
		if r.Code() != "FORBIDDEN" || r.Field() != want {
			t.Errorf("%s: got %q %q: %s", name, r.Code(), r.Field(), r.Raw)
		}
	}
}

func TestAPIConversationListAndReadPosition(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	alice, bob, carol := signUp(t, srv), signUp(t, srv), signUp(t, srv)
	withBob := openDirect(t, alice.client, bob)
	withCarol := openDirect(t, alice.client, carol)
	sendMsg(t, bob.client, withBob, "one")
	sendMsg(t, bob.client, withBob, "two")
	sendMsg(t, carol.client, withCarol, "latest")

	const list = `query($after: String) { conversations(first: 1, after: $after) {
		edges { cursor node { id kind unreadCount lastSeq lastMessage { body sender { id } } participants { user { id } role } } }
		pageInfo { hasNextPage endCursor }
	} }`
	type page struct {
		Conversations struct {
			Edges []struct {
				Node struct {
					ID, Kind     string
					UnreadCount  int
					LastSeq      int
					LastMessage  struct{ Body string }
					Participants []struct{ Role string }
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	var p1, p2 page
	apitest.Must(t, alice.client.Do(t, list, nil)).Decode(t, &p1)
	e := p1.Conversations.Edges
	if len(e) != 1 || e[0].Node.ID != withCarol || e[0].Node.UnreadCount != 1 || e[0].Node.LastMessage.Body != "latest" ||
		e[0].Node.Kind != "DIRECT" || len(e[0].Node.Participants) != 2 || !p1.Conversations.PageInfo.HasNextPage {
		t.Fatalf("first page %+v", p1)
	}
	apitest.Must(t, alice.client.Do(t, list, map[string]any{"after": p1.Conversations.PageInfo.EndCursor})).Decode(t, &p2)
	e = p2.Conversations.Edges
	if len(e) != 1 || e[0].Node.ID != withBob || e[0].Node.UnreadCount != 2 || e[0].Node.LastSeq != 2 || p2.Conversations.PageInfo.HasNextPage {
		t.Fatalf("second page %+v", p2)
	}

	var read struct {
		MarkConversationRead struct {
			Conversation struct {
				UnreadCount       int
				ViewerLastReadSeq int
			}
		}
	}
	apitest.Must(t, alice.client.Do(t, `mutation($c: ID!) { markConversationRead(input: {conversationId: $c, seq: 1}) { conversation { unreadCount viewerLastReadSeq } } }`,
		map[string]any{"c": withBob})).Decode(t, &read)
	if c := read.MarkConversationRead.Conversation; c.UnreadCount != 1 || c.ViewerLastReadSeq != 1 {
		t.Fatalf("after reading seq 1: %+v", c)
	}
	apitest.Must(t, alice.client.Do(t, `mutation($c: ID!) { markConversationRead(input: {conversationId: $c}) { conversation { unreadCount viewerLastReadSeq } } }`,
		map[string]any{"c": withBob})).Decode(t, &read)
	if c := read.MarkConversationRead.Conversation; c.UnreadCount != 0 || c.ViewerLastReadSeq != 2 {
		t.Fatalf("after reading everything: %+v", c)
	}

	var muted struct {
		MuteConversation struct {
			Conversation struct {
				Muted      bool
				MutedUntil *string
			}
		}
	}
	apitest.Must(t, alice.client.Do(t, `mutation($c: ID!, $u: DateTime) { muteConversation(input: {conversationId: $c, muted: true, until: $u}) { conversation { muted mutedUntil } } }`,
		map[string]any{"c": withBob, "u": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})).Decode(t, &muted)
	if c := muted.MuteConversation.Conversation; !c.Muted || c.MutedUntil == nil {
		t.Fatalf("mute: %+v", c)
	}

	// Keyset pages of messages, oldest first, going back with `before`.
	for i := range 5 {
		sendMsg(t, bob.client, withBob, fmt.Sprintf("m%d", i))
	}
	const msgs = `query($c: ID!, $before: String) { messages(conversationId: $c, first: 3, before: $before) {
		edges { node { seq } } pageInfo { hasPreviousPage startCursor }
	} }`
	var mp struct {
		Messages struct {
			Edges    []struct{ Node struct{ Seq int } }
			PageInfo struct {
				HasPreviousPage bool
				StartCursor     string
			}
		}
	}
	var seqs []int
	var before any
	for {
		apitest.Must(t, alice.client.Do(t, msgs, map[string]any{"c": withBob, "before": before})).Decode(t, &mp)
		page := []int{}
		for _, e := range mp.Messages.Edges {
			page = append(page, e.Node.Seq)
		}
		seqs = append(page, seqs...)
		if !mp.Messages.PageInfo.HasPreviousPage {
			break
		}
		before = mp.Messages.PageInfo.StartCursor
	}
	wantRange(t, seqs, 1, 7)
}

// TestAPISubscribeDisconnectCyclesLeaveNoLeak opens a socket, subscribes to messageAdded, waits
// for the replayed message (so the stream is running on the server) and drops the TCP connection
// without a close handshake, many times; goroutines, heap and hub topics must come back to
// their baseline.
func TestAPISubscribeDisconnectCyclesLeaveNoLeak(t *testing.T) {
	cfg := apitest.Config(t)
	cfg.RedisURL = apitest.RedisURL(t)
	srv := apitest.Start(t, cfg)
	alice, bob := signUp(t, srv), signUp(t, srv)
	conv := openDirect(t, alice.client, bob)
	sendMsg(t, alice.client, conv, "replayed on every cycle")

	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/graphql"
	init, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]string{"authorization": "Bearer " + bob.tok.AccessToken}})
	sub, _ := json.Marshal(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": opMessageAdded, "variables": map[string]any{"c": conv, "after": 0},
	}})
	cycle := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
			Subprotocols: []string{transportWS},
			HTTPHeader:   http.Header{"Origin": []string{"http://localhost:8080"}},
		})
		if err != nil {
			return fmt.Errorf("dial: %w", err)
		}
		if resp.Body != nil {
			_ = resp.Body.Close()
		}
		defer conn.CloseNow() // abrupt: no close handshake, no complete
		for _, b := range [][]byte{init, sub} {
			if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
				return fmt.Errorf("write: %w", err)
			}
		}
		for _, want := range []string{"connection_ack", "next"} {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return fmt.Errorf("read %s: %w", want, err)
			}
			var m apitest.Message
			if err := json.Unmarshal(b, &m); err != nil || m.Type != want {
				return fmt.Errorf("got %s, want %s", b, want)
			}
		}
		return nil
	}
	run := func(n int) {
		t.Helper()
		const workers = 4
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					if err := cycle(); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	settled := func() (goroutines int, heap uint64) {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapInuse
	}
	http.DefaultClient.CloseIdleConnections()

	run(100) // warm pools, caches and the hub before the baseline
	time.Sleep(500 * time.Millisecond)
	baseG, baseHeap := settled()
	baseTopics := srv.App.Hub.Topics() // the server's own watchers (session invalidations)

	n := leakCycles
	start := time.Now()
	run(n)
	t.Logf("%d subscribe/abrupt-disconnect cycles in %s", n, time.Since(start).Round(time.Millisecond))

	const goroutineSlack = 10
	const heapSlack = 8 << 20 // a leak of one connection per cycle would be hundreds of MiB
	deadline := time.Now().Add(15 * time.Second)
	var g int
	var heap uint64
	for {
		g, heap = settled()
		if (g <= baseG+goroutineSlack && heap <= baseHeap+heapSlack && srv.App.Hub.Topics() == baseTopics) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("goroutines %d -> %d, heap in use %.1f -> %.1f MiB", baseG, g, float64(baseHeap)/(1<<20), float64(heap)/(1<<20))
	if g > baseG+goroutineSlack {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines %d -> %d after %d cycles\n%s", baseG, g, n, buf[:runtime.Stack(buf, true)])
	}
	if heap > baseHeap+heapSlack {
		t.Fatalf("heap in use grew from %d to %d bytes after %d cycles", baseHeap, heap, n)
	}
	if topics := srv.App.Hub.Topics(); topics != baseTopics {
		t.Fatalf("hub holds %d topics, %d at baseline", topics, baseTopics)
	}
}

// TestAPIIdleSubscriptionsHoldNoGoroutine checks what makes idle sockets cheap: between
// messages, a connection with a messageAdded subscription is one goroutine (its reader), and
// neither the stream nor gqlgen's response handler parks one.
func TestAPIIdleSubscriptionsHoldNoGoroutine(t *testing.T) {
	srv := apitest.Start(t, apitest.Config(t))
	alice, bob := signUp(t, srv), signUp(t, srv)
	conv := openDirect(t, alice.client, bob)
	sendMsg(t, alice.client, conv, "replayed")

	const sockets = 40
	conns := make([]*apitest.WS, sockets)
	for i := range conns {
		ws := srv.Connect(t, transportWS, bob.tok.AccessToken)
		ws.Subscribe("1", opMessageAdded, map[string]any{"c": conv, "after": 0})
		ws.Expect("next")
		conns[i] = ws
	}
	live := sendMsg(t, alice.client, conv, "live")
	for _, ws := range conns {
		if m := ws.Expect("next"); !strings.Contains(string(m.Payload), live.ID) {
			t.Fatalf("live message: %s", m.Payload)
		}
	}

	count := func() (readers, parked int, dump string) {
		buf := make([]byte, 8<<20)
		dump = string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(dump, "\n\n") {
			switch {
			case strings.Contains(g, "gqlws.(*conn).readLoop"):
				readers++
			case strings.Contains(g, "skillswap/chat."), strings.Contains(g, "gqlgen/graphql"), strings.Contains(g, "gqlws."):
				parked++
			}
		}
		return readers, parked, dump
	}
	// Goroutines that just sent the live message may still be winding down.
	deadline := time.Now().Add(5 * time.Second)
	for {
		readers, parked, dump := count()
		if readers == sockets && parked == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d readers (want %d) and %d other transport or stream goroutines (want 0)\n%s", readers, sockets, parked, dump)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
