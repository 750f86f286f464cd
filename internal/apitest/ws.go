package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// WS is a client connection speaking graphql-transport-ws (or another subprotocol) to the server.
type WS struct {
	t    testing.TB
	Conn *websocket.Conn
}

// Message is one protocol message.
type Message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DialWS opens a WebSocket to /graphql with the given subprotocol.
func (s *Server) DialWS(t testing.TB, subprotocol string) *WS {
	t.Helper()
	return s.DialWSHeader(t, subprotocol, nil)
}

// DialWSHeader is DialWS sending header too (X-Forwarded-For, to come from another address).
func (s *Server) DialWSHeader(t testing.TB, subprotocol string, header http.Header) *WS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/graphql"
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Origin", "http://localhost:8080")
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Subprotocols: []string{subprotocol},
		HTTPHeader:   h,
	})
	if err != nil {
		t.Fatalf("dial websocket: %v", err)
	}
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	if conn.Subprotocol() != subprotocol {
		t.Fatalf("negotiated %q, want %q", conn.Subprotocol(), subprotocol)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &WS{t: t, Conn: conn}
}

// Connect dials with subprotocol, sends connection_init with token and waits for the ack.
func (s *Server) Connect(t testing.TB, subprotocol, token string) *WS {
	t.Helper()
	ws := s.DialWS(t, subprotocol)
	ws.Init(token)
	ws.Expect("connection_ack")
	return ws
}

// Send writes one message.
func (w *WS) Send(m Message) {
	w.t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		w.t.Fatal(err)
	}
	w.SendRaw(b)
}

// SendRaw writes raw bytes as a text frame.
func (w *WS) SendRaw(b []byte) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Conn.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatalf("websocket write: %v", err)
	}
}

// Init sends connection_init with an authorization payload ("" sends none).
func (w *WS) Init(token string) {
	w.t.Helper()
	var payload json.RawMessage
	if token != "" {
		payload, _ = json.Marshal(map[string]string{"authorization": "Bearer " + token})
	}
	w.Send(Message{Type: "connection_init", Payload: payload})
}

// Read returns the next message, or the close error.
func (w *WS) Read(timeout time.Duration) (Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		_, b, err := w.Conn.Read(ctx)
		if err != nil {
			return Message{}, err
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil {
			return Message{}, err
		}
		if m.Type == "ka" || m.Type == "ping" || m.Type == "pong" {
			continue
		}
		return m, nil
	}
}

// Expect reads the next message and checks its type.
func (w *WS) Expect(typ string) Message {
	w.t.Helper()
	m, err := w.Read(5 * time.Second)
	if err != nil {
		w.t.Fatalf("waiting for %s: %v", typ, err)
	}
	if m.Type != typ {
		w.t.Fatalf("got %s (%s), want %s", m.Type, m.Payload, typ)
	}
	return m
}

// ExpectClose reads until the server closes the socket and checks the close code.
func (w *WS) ExpectClose(code int, within time.Duration) {
	w.t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := w.Read(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			if int(ce.Code) != code {
				w.t.Fatalf("closed with %d %q, want %d", ce.Code, ce.Reason, code)
			}
			return
		}
		w.t.Fatalf("want close %d, got %v", code, err)
	}
}

// Subscribe starts a subscription with id.
func (w *WS) Subscribe(id, query string, vars map[string]any) {
	w.t.Helper()
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	w.Send(Message{ID: id, Type: "subscribe", Payload: payload})
}

// UpgradeStatus attempts a WebSocket upgrade with the given Origin and returns the HTTP status.
func (s *Server) UpgradeStatus(t testing.TB, origin string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/graphql"
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader:   http.Header{"Origin": []string{origin}},
	})
	if err == nil {
		_ = conn.CloseNow()
	}
	if resp == nil {
		t.Fatalf("upgrade: %v", err)
	}
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	return resp.StatusCode
}

// WaitSubscribed waits until a subscription of this server listens on the realtime topic (for
// example realtime.NotificationsTopic(userID)), so a test publishes only once it will be heard:
// a subscription registers asynchronously after its subscribe message.
func (s *Server) WaitSubscribed(t testing.TB, topic string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !s.App.Hub.Subscribed(topic) {
		if time.Now().After(deadline) {
			t.Fatalf("no subscription on %s after 15 s", topic)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
