package httpapi_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/relay"
)

const transportWS = "graphql-transport-ws"

func wsServer(t *testing.T) *apitest.Server {
	cfg := apitest.Config(t)
	cfg.WSInitTimeout = 300 * time.Millisecond
	return apitest.Start(t, cfg)
}

func TestWebSocketProtocolCloseCodes(t *testing.T) {
	t.Parallel()
	srv := wsServer(t)
	tok, _ := srv.SignUp(t)

	tests := []struct {
		name string
		run  func(ws *apitest.WS)
		code int
	}{
		{"no connection_init within the timeout", func(*apitest.WS) {}, 4408},
		{"bad token", func(ws *apitest.WS) { ws.Init("not-a-token") }, 4403},
		{"no token", func(ws *apitest.WS) { ws.Init("") }, 4403},
		{"subscribe before connection_init", func(ws *apitest.WS) {
			ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)
		}, 4401},
		{"second connection_init", func(ws *apitest.WS) {
			ws.Init(tok.AccessToken)
			ws.Expect("connection_ack")
			ws.Init(tok.AccessToken)
		}, 4429},
		{"duplicate subscription id", func(ws *apitest.WS) {
			ws.Init(tok.AccessToken)
			ws.Expect("connection_ack")
			ws.Subscribe("dup", `subscription { viewerUpdated { id } }`, nil)
			ws.Subscribe("dup", `subscription { viewerUpdated { id } }`, nil)
		}, 4409},
		{"invalid JSON", func(ws *apitest.WS) { ws.SendRaw([]byte("{nope")) }, 4400},
		{"unknown message type", func(ws *apitest.WS) {
			ws.Init(tok.AccessToken)
			ws.Expect("connection_ack")
			ws.Send(apitest.Message{Type: "next", ID: "1"})
		}, 4400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := srv.DialWS(t, transportWS)
			tt.run(ws)
			ws.ExpectClose(tt.code, 5*time.Second)
		})
	}
}

func TestWebSocketSubscriptionDeliversUpdates(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{transportWS, "graphql-ws"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			srv := wsServer(t)
			admin, adminClient := srv.SignUp(t)
			srv.SetRoles(t, admin.User.ID, domain.RoleAdmin)
			member, _ := srv.SignUp(t)

			ws := srv.Connect(t, proto, member.AccessToken)
			start, data := "subscribe", "next"
			if proto == "graphql-ws" {
				start, data = "start", "data"
			}
			payload, _ := json.Marshal(map[string]any{"query": `subscription { viewerUpdated { id roles } }`})
			ws.Send(apitest.Message{ID: "s1", Type: start, Payload: payload})

			// The subscription registers asynchronously; repeat the change until it is seen. One
			// read waits the whole time: a read that times out closes the socket.
			type read struct {
				m   apitest.Message
				err error
			}
			got := make(chan read, 1)
			go func() {
				m, err := ws.Read(10 * time.Second)
				got <- read{m, err}
			}()
			const setRoles = `mutation($id: ID!) { setUserRoles(input: {userId: $id, roles: [MENTOR]}) { user { id } } }`
			var r read
		wait:
			for {
				apitest.Must(t, adminClient.Do(t, setRoles, map[string]any{"id": member.User.ID}))
				select {
				case r = <-got:
					break wait
				case <-time.After(300 * time.Millisecond):
				}
			}
			if r.err != nil {
				t.Fatalf("no update received: %v", r.err)
			}
			m := r.m
			if m.Type != data || m.ID != "s1" {
				t.Fatalf("got %s %s", m.Type, m.Payload)
			}
			var p struct {
				Data struct {
					ViewerUpdated struct {
						ID    string
						Roles []string
					}
				}
			}
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Data.ViewerUpdated.ID != member.User.ID || len(p.Data.ViewerUpdated.Roles) != 2 {
				t.Fatalf("payload %s", m.Payload)
			}
		})
	}
}

func TestWebSocketClosesWhenSessionEnds(t *testing.T) {
	t.Parallel()
	srv := wsServer(t)
	tok, member := srv.SignUp(t)
	ws := srv.Connect(t, transportWS, member.Token)
	ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)
	// The socket watches its session from connection_init on; wait for the watch, not a while.
	sid, err := relay.ParseID(relay.KindAuthSession, tok.Session.ID, "id")
	if err != nil {
		t.Fatal(err)
	}
	srv.WaitSubscribed(t, realtime.SessionTopic(sid))
	apitest.Must(t, member.Do(t, `mutation { logOut { sessionId } }`, nil))
	ws.ExpectClose(4403, 5*time.Second)
}

func TestWebSocketClosesWhenTokenExpires(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.AccessTokenTTL = 1500 * time.Millisecond
	srv := apitest.Start(t, cfg)
	tok, _ := srv.SignUp(t)
	ws := srv.Connect(t, transportWS, tok.AccessToken)
	ws.ExpectClose(4403, 5*time.Second)
}

func TestWebSocketDrainingClosesWithGoingAway(t *testing.T) {
	t.Parallel()
	srv := wsServer(t)
	tok, _ := srv.SignUp(t)
	ws := srv.Connect(t, transportWS, tok.AccessToken)
	srv.App.HTTP.StartDraining()
	ws.ExpectClose(1001, 5*time.Second)
}

func TestWebSocketRefusesForeignOrigin(t *testing.T) {
	t.Parallel()
	srv := wsServer(t)
	if got := srv.UpgradeStatus(t, "https://evil.example"); got != 403 {
		t.Fatalf("foreign origin upgrade status %d, want 403", got)
	}
	if got := srv.UpgradeStatus(t, "http://localhost:8080"); got != 101 {
		t.Fatalf("allowed origin upgrade status %d, want 101", got)
	}
}
