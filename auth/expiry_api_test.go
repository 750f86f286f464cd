package auth_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/relay"
)

// Expiry paths of login sessions, driven by a movable clock given to the auth service and the
// access tokens (app.Options.AuthNow): nothing waits for real time to pass.

const (
	msgRefreshRefused = "refresh token is invalid, expired or revoked; log in again"
	msgSessionEnded   = "session ended; log in again"
	msgTokenExpired   = "access token expired; refresh it"
)

// startWithClock starts a server whose auth clock the test moves. The session cache is off so
// every request asks PostgreSQL at the clock's instant (the cache's own bound is its TTL).
func startWithClock(t *testing.T, adjust func(*config.Config)) (*apitest.Server, *skillsessiontest.Clock) {
	t.Helper()
	cfg := apitest.Config(t)
	cfg.SessionCacheTTL = 0
	if adjust != nil {
		adjust(&cfg)
	}
	clock := skillsessiontest.NewClock(time.Now().UTC().Truncate(time.Second))
	return apitest.Start(t, cfg, app.Options{AuthNow: clock.Now}), clock
}

// refused checks r failed with code and message.
func refused(t *testing.T, what string, r *apitest.Response, code, message string) {
	t.Helper()
	if r.Code() != code || len(r.Errors) != 1 || r.Errors[0].Message != message {
		t.Fatalf("%s: got %s, want %s %q", what, r.Raw, code, message)
	}
}

func rotated(t *testing.T, c *apitest.Client, token string) apitest.Tokens {
	t.Helper()
	var out struct{ RefreshSession apitest.Tokens }
	refresh(t, c, token).Decode(t, &out)
	if out.RefreshSession.RefreshToken == "" || out.RefreshSession.RefreshToken == token {
		t.Fatalf("refresh did not rotate: %+v", out.RefreshSession)
	}
	return out.RefreshSession
}

// A refresh token unused for REFRESH_TOKEN_TTL is refused (the session was idle too long), one
// second earlier it still works, and using it restarts the idle timeout. A refused token is not
// spent: presenting it again is refused the same way, not treated as theft.
func TestRefreshTokenIdleExpiry(t *testing.T) {
	t.Parallel()
	const idle = 24 * time.Hour
	srv, clock := startWithClock(t, func(c *config.Config) {
		c.RefreshTokenTTL = idle
		c.SessionMaxAge = 30 * 24 * time.Hour
	})
	tok, _ := srv.SignUp(t)
	c := srv.Client()

	// Used just before its idle timeout, twice in a row: activity keeps the session going past
	// one idle period from sign-in.
	clock.Advance(idle - time.Second)
	next := rotated(t, c, tok.RefreshToken)
	clock.Advance(idle - time.Second)
	next = rotated(t, c, next.RefreshToken)
	if next.Session.ID != tok.Session.ID {
		t.Fatalf("refresh moved to session %s, want %s", next.Session.ID, tok.Session.ID)
	}

	// Unused for exactly the idle timeout: refused, as UNAUTHENTICATED with the refresh message.
	clock.Advance(idle)
	for range 2 {
		refused(t, "idle refresh token", refresh(t, c, next.RefreshToken), "UNAUTHENTICATED", msgRefreshRefused)
	}
	// Its access token (15 minutes) expired long ago and says so.
	refused(t, "access token of the idle session", c.WithToken(next.AccessToken).Do(t, viewerQuery, nil),
		"UNAUTHENTICATED", msgTokenExpired)
	// The refusals did not revoke the session as a stolen token would have: it simply lapsed.
	var revoked *time.Time
	sid, err := relay.ParseID(relay.KindAuthSession, tok.Session.ID, "id")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Pool.QueryRow(t.Context(), `SELECT revoked_at FROM auth_sessions WHERE id = $1`, sid).Scan(&revoked); err != nil || revoked != nil {
		t.Fatalf("idle session revoked at %v (%v), want it left to lapse", revoked, err)
	}
	// Signing in again works (a new session).
	if r := logIn(t, srv, tok.User.Email, apitest.StrongPassword); len(r.Errors) > 0 {
		t.Fatalf("log in after the idle expiry: %s", r.Raw)
	}
}

// However active, a session ends SESSION_MAX_AGE after sign-in: the last refresh token issued
// before then expires with the session, and its access token stops at the same instant.
func TestSessionMaxAge(t *testing.T) {
	t.Parallel()
	const maxAge = 48 * time.Hour
	srv, clock := startWithClock(t, func(c *config.Config) {
		c.RefreshTokenTTL = 24 * time.Hour
		c.SessionMaxAge = maxAge
	})
	tok, _ := srv.SignUp(t)
	c := srv.Client()

	next := tok
	for _, step := range []time.Duration{20 * time.Hour, 20 * time.Hour, 8*time.Hour - time.Second} {
		clock.Advance(step)
		next = rotated(t, c, next.RefreshToken)
	}
	// One second before the maximum age the fresh access token works...
	apitest.Must(t, c.WithToken(next.AccessToken).Do(t, viewerQuery, nil))
	// ...and at the maximum age, although both tokens are a second old, the session is over.
	clock.Advance(time.Second)
	refused(t, "refresh at SESSION_MAX_AGE", refresh(t, c, next.RefreshToken), "UNAUTHENTICATED", msgRefreshRefused)
	refused(t, "access token at SESSION_MAX_AGE", c.WithToken(next.AccessToken).Do(t, viewerQuery, nil),
		"UNAUTHENTICATED", msgSessionEnded)
}

// A suspended member's session stops at once, even before (or without) its revocation: the
// refresh token is refused like an ended session's, the access token too, and logging in with the
// right password answers FORBIDDEN (recorded as a SUSPENDED sign-in), not a password error.
func TestSuspendedMemberCannotRefreshOrLogIn(t *testing.T) {
	t.Parallel()
	srv, _ := startWithClock(t, nil)
	tok, member := srv.SignUp(t)
	uid, err := relay.ParseID(relay.KindUser, tok.User.ID, "id")
	if err != nil {
		t.Fatal(err)
	}
	apitest.Must(t, member.Do(t, viewerQuery, nil))
	// Only the status changes here: what a sanction does besides (revoking every session) is
	// tested with moderation's; this proves the status alone refuses.
	if _, err := srv.App.Pool.Exec(t.Context(), `UPDATE users SET status = $2 WHERE id = $1`, uid, domain.UserSuspended); err != nil {
		t.Fatal(err)
	}
	refused(t, "refresh while suspended", refresh(t, srv.Client(), tok.RefreshToken), "UNAUTHENTICATED", msgRefreshRefused)
	refused(t, "access token while suspended", member.Do(t, viewerQuery, nil), "UNAUTHENTICATED", msgSessionEnded)
	refused(t, "log in while suspended", logIn(t, srv, tok.User.Email, apitest.StrongPassword), "FORBIDDEN", "this account is suspended")
	// A wrong password still gets the one answer to bad credentials: it tells nothing.
	refused(t, "wrong password while suspended", logIn(t, srv, tok.User.Email, apitest.StrongPassword+"x"),
		"UNAUTHENTICATED", "invalid email or password")
	var reasons []string
	if err := srv.App.Pool.QueryRow(t.Context(), `SELECT coalesce(array_agg(coalesce(failure_reason, 'ok') ORDER BY at, id), '{}') FROM sign_in_events WHERE user_id = $1`, uid).Scan(&reasons); err != nil {
		t.Fatal(err)
	}
	if want := []string{string(domain.SignInSuspended), string(domain.SignInWrongPassword)}; !slices.Equal(reasons, want) {
		t.Fatalf("sign-in events %v, want %v", reasons, want)
	}
}

// wsClosed reads until the server closes the socket and returns the close code and reason.
func wsClosed(t *testing.T, ws *apitest.WS, within time.Duration) (int, string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := ws.Read(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("want the server to close the socket, got %v", err)
		}
		return int(ce.Code), ce.Reason
	}
}

// wsQuery runs a query over the socket and returns its one result's errors' codes; messages
// of other operations (viewerUpdated events) are skipped.
func wsQuery(t *testing.T, ws *apitest.WS, id, query string) []string {
	t.Helper()
	ws.Subscribe(id, query, nil)
	expect := func(typ string) apitest.Message {
		t.Helper()
		for {
			m, err := ws.Read(10 * time.Second)
			if err != nil {
				t.Fatalf("waiting for %s of %s: %v", typ, id, err)
			}
			if m.ID != id {
				continue
			}
			if m.Type != typ {
				t.Fatalf("%s of %s (%s), want %s", m.Type, id, m.Payload, typ)
			}
			return m
		}
	}
	m := expect("next")
	var p struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		t.Fatal(err)
	}
	expect("complete")
	var codes []string
	for _, e := range p.Errors {
		codes = append(codes, e.Extensions.Code)
	}
	return codes
}

// A socket runs with the roles its member had at connection_init. When an ADMIN removes one
// of them, the socket closes with 4403 (as when the session ends), so staff-only operations
// stop there; reconnected, the member runs with the roles they have now. A role granted closes
// nothing.
func TestRoleRemovedClosesOpenSockets(t *testing.T) {
	t.Parallel()
	srv, _ := startWithClock(t, func(c *config.Config) { c.StaffRequireMFA = false })
	admin, adminClient := srv.SignUp(t)
	srv.SetRoles(t, admin.User.ID, domain.RoleAdmin)
	staff, _ := srv.SignUp(t)
	srv.SetRoles(t, staff.User.ID, domain.RoleSupport)
	const users = `{ users(first: 1) { edges { node { id } } } }`
	const setRoles = `mutation($id: ID!, $roles: [Role!]!) { setUserRoles(input: {userId: $id, roles: $roles}) { user { id } } }`

	ws := srv.Connect(t, "graphql-transport-ws", staff.AccessToken)
	if codes := wsQuery(t, ws, "1", users); len(codes) != 0 {
		t.Fatalf("SUPPORT listing users over the socket: %v", codes)
	}
	ws.Subscribe("v", `subscription { viewerUpdated { roles } }`, nil)

	// Granting a role: the account update reaches the socket, which stays open. The
	// subscription registers asynchronously (and the socket's own watch of the account already
	// holds the topic), so the grant is repeated until the update is heard; a read that times
	// out would close the socket, hence one long read on its own goroutine.
	type read struct {
		m   apitest.Message
		err error
	}
	got := make(chan read, 1)
	go func() {
		m, err := ws.Read(30 * time.Second)
		got <- read{m, err}
	}()
	var r read
wait:
	for {
		apitest.Must(t, adminClient.Do(t, setRoles, map[string]any{"id": staff.User.ID, "roles": []string{"SUPPORT", "MENTOR"}}))
		select {
		case r = <-got:
			break wait
		case <-time.After(300 * time.Millisecond):
		}
	}
	if r.err != nil || r.m.Type != "next" || r.m.ID != "v" {
		t.Fatalf("after a role was granted: %+v %v, want the viewerUpdated event on an open socket", r.m, r.err)
	}
	if codes := wsQuery(t, ws, "2", users); len(codes) != 0 {
		t.Fatalf("after a role was granted: %v", codes)
	}

	// Removing SUPPORT closes the socket with 4403.
	apitest.Must(t, adminClient.Do(t, setRoles, map[string]any{"id": staff.User.ID, "roles": []string{"MENTOR"}}))
	if code, reason := wsClosed(t, ws, 15*time.Second); code != 4403 || reason != "Forbidden: roles changed; reconnect" {
		t.Fatalf("socket closed with %d %q, want 4403 for the removed role", code, reason)
	}
	// The same token reconnects, now without the staff role.
	ws = srv.Connect(t, "graphql-transport-ws", staff.AccessToken)
	if codes := wsQuery(t, ws, "3", users); len(codes) != 1 || codes[0] != "FORBIDDEN" {
		t.Fatalf("listing users after losing SUPPORT: %v, want FORBIDDEN", codes)
	}
}
