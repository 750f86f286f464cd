package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/skillswap/skillswap/internal/apitest"
)

// errorCode returns extensions.code of the first error of an error message's payload.
func errorCode(t *testing.T, m apitest.Message) string {
	t.Helper()
	var errs []struct {
		Message    string
		Extensions struct{ Code string }
	}
	if err := json.Unmarshal(m.Payload, &errs); err != nil || len(errs) == 0 {
		t.Fatalf("error payload %s: %v", m.Payload, err)
	}
	return errs[0].Extensions.Code
}

func TestWebSocketLimits(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.WSReadLimitBytes = 1024
	cfg.WSMaxSubsPerConn = 1
	cfg.WSMaxMsgPerMinute = 5
	srv := apitest.Start(t, cfg)
	tok, _ := srv.SignUp(t)

	t.Run("a message over the read limit closes with 1009", func(t *testing.T) {
		ws := srv.Connect(t, transportWS, tok.AccessToken)
		ws.Subscribe("big", `subscription { viewerUpdated { id } }`+strings.Repeat(" ", 2048), nil)
		ws.ExpectClose(1009, 5*time.Second)
	})
	t.Run("a binary frame closes with 4400", func(t *testing.T) {
		ws := srv.DialWS(t, transportWS)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ws.Conn.Write(ctx, websocket.MessageBinary, []byte(`{"type":"connection_init"}`)); err != nil {
			t.Fatal(err)
		}
		ws.ExpectClose(4400, 5*time.Second)
	})
	t.Run("more operations than the cap get RATE_LIMITED, the first keeps running", func(t *testing.T) {
		ws := srv.Connect(t, transportWS, tok.AccessToken)
		ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)
		ws.Subscribe("2", `subscription { viewerUpdated { id } }`, nil)
		m := ws.Expect("error")
		if m.ID != "2" || errorCode(t, m) != "RATE_LIMITED" {
			t.Fatalf("got %s %s", m.ID, m.Payload)
		}
		// Completing the first frees its slot, and its id.
		ws.Send(apitest.Message{ID: "1", Type: "complete"})
		ws.Subscribe("1", `query { viewer { id } }`, nil)
		if m := ws.Expect("next"); m.ID != "1" || !strings.Contains(string(m.Payload), tok.User.ID) {
			t.Fatalf("got %s %s", m.ID, m.Payload)
		}
		if m := ws.Expect("complete"); m.ID != "1" {
			t.Fatalf("complete for %q", m.ID)
		}
	})
	t.Run("more messages than the per-minute cap close with 1008", func(t *testing.T) {
		ws := srv.Connect(t, transportWS, tok.AccessToken)
		for range 5 {
			ws.Send(apitest.Message{Type: "ping"})
		}
		ws.ExpectClose(1008, 5*time.Second)
	})
}

func TestWebSocketOperations(t *testing.T) {
	t.Parallel()
	srv := wsServer(t)
	tok, _ := srv.SignUp(t)
	ws := srv.Connect(t, transportWS, tok.AccessToken)

	ws.Subscribe("m", `mutation { logOut { sessionId } }`, nil)
	m := ws.Expect("error")
	if m.ID != "m" || errorCode(t, m) != "BAD_REQUEST" {
		t.Fatalf("mutation over WebSocket: %s %s", m.ID, m.Payload)
	}
	// Validation errors are an error message, as graphql-transport-ws says; no complete follows.
	ws.Subscribe("v", `subscription { viewerUpdated { nope } }`, nil)
	m = ws.Expect("error")
	if m.ID != "v" || errorCode(t, m) != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("invalid subscription: %s %s", m.ID, m.Payload)
	}
	ws.Send(apitest.Message{Type: "ping", Payload: json.RawMessage(`{"n":1}`)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := ws.Conn.Read(ctx)
	if err != nil || string(b) != `{"type":"pong","payload":{"n":1}}` {
		t.Fatalf("pong: %s %v", b, err)
	}
	// The session is still usable: the mutation was refused, not run.
	ws.Subscribe("q", `{ viewer { id } }`, nil)
	if m := ws.Expect("next"); !strings.Contains(string(m.Payload), tok.User.ID) {
		t.Fatalf("viewer after refused logOut: %s", m.Payload)
	}
}

func TestWebSocketServerPingsAndDropsSilentClients(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.WSPingInterval = 200 * time.Millisecond
	srv := apitest.Start(t, cfg)
	tok, _ := srv.SignUp(t)

	read := func(ws *apitest.WS) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, b, err := ws.Conn.Read(ctx)
		var m apitest.Message
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		return m.Type, err
	}

	answering := srv.Connect(t, transportWS, tok.AccessToken)
	for i := range 6 {
		typ, err := read(answering)
		if err != nil || typ != "ping" {
			t.Fatalf("read %d: %q %v", i, typ, err)
		}
		answering.Send(apitest.Message{Type: "pong"})
	}

	silent := srv.Connect(t, transportWS, tok.AccessToken)
	silent.ExpectClose(1001, 3*time.Second)
}

func TestWebSocketLegacyProtocol(t *testing.T) {
	t.Parallel()
	srv := wsServer(t)
	tok, _ := srv.SignUp(t)

	ws := srv.DialWS(t, "graphql-ws")
	payload, _ := json.Marshal(map[string]any{"query": `{ viewer { id } }`})
	ws.Init(tok.AccessToken)
	ws.Expect("connection_ack")
	ws.Send(apitest.Message{ID: "1", Type: "start", Payload: payload})
	if m := ws.Expect("data"); m.ID != "1" || !strings.Contains(string(m.Payload), tok.User.ID) {
		t.Fatalf("data: %s %s", m.ID, m.Payload)
	}
	ws.Expect("complete")
	ws.Send(apitest.Message{Type: "connection_terminate"})
	ws.ExpectClose(1000, 5*time.Second)

	refused := srv.DialWS(t, "graphql-ws")
	refused.Init("not-a-token")
	if m := refused.Expect("connection_error"); !strings.Contains(string(m.Payload), "message") {
		t.Fatalf("connection_error payload %s", m.Payload)
	}
	refused.ExpectClose(4403, 5*time.Second)
}
