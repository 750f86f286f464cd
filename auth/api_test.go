package auth_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
)

const (
	signUpMutation  = `mutation($in: SignUpInput!) { signUp(input: $in) { ` + apitest.AuthFields + ` } }`
	logInMutation   = `mutation($in: LogInInput!) { logIn(input: $in) { ` + apitest.AuthFields + ` } }`
	refreshMutation = `mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { ` + apitest.AuthFields + ` } }`
	viewerQuery     = `{ viewer { id displayName email roles } }`
)

func signUpVars(email, password, name string) map[string]any {
	return map[string]any{"in": map[string]any{"email": email, "password": password, "displayName": name}}
}

func TestSignUpLogInViewer(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	c := srv.Client()

	r := c.Do(t, signUpMutation, signUpVars("  Alice@Example.COM ", apitest.StrongPassword, "  Alice   Liddell "))
	var su struct{ SignUp apitest.Tokens }
	r.Decode(t, &su)
	if su.SignUp.User.Email != "Alice@example.com" || su.SignUp.User.DisplayName != "Alice Liddell" {
		t.Fatalf("sign-up normalised to %q / %q", su.SignUp.User.Email, su.SignUp.User.DisplayName)
	}
	if !strings.HasPrefix(su.SignUp.User.ID, "usr_") || !strings.HasPrefix(su.SignUp.Session.ID, "ses_") {
		t.Fatalf("unexpected ids %+v", su.SignUp)
	}

	// Log in with a different case of the email: emails are case-insensitive.
	r = c.Do(t, logInMutation, map[string]any{"in": map[string]any{"email": "alice@EXAMPLE.com", "password": apitest.StrongPassword}})
	var li struct{ LogIn apitest.Tokens }
	r.Decode(t, &li)
	if li.LogIn.User.ID != su.SignUp.User.ID || li.LogIn.Session.ID == su.SignUp.Session.ID {
		t.Fatalf("log-in: user %s session %s", li.LogIn.User.ID, li.LogIn.Session.ID)
	}

	r = c.WithToken(li.LogIn.AccessToken).Do(t, viewerQuery, nil)
	var v struct {
		Viewer struct {
			ID, DisplayName, Email string
			Roles                  []string
		}
	}
	r.Decode(t, &v)
	if v.Viewer.ID != su.SignUp.User.ID || v.Viewer.Email != "Alice@example.com" || len(v.Viewer.Roles) != 1 || v.Viewer.Roles[0] != "MEMBER" {
		t.Fatalf("viewer = %+v", v.Viewer)
	}

	// Both sessions are listed, the current one flagged.
	r = c.WithToken(li.LogIn.AccessToken).Do(t, `{ viewer { sessions { edges { node { id current } } } } }`, nil)
	var ss struct {
		Viewer struct {
			Sessions struct {
				Edges []struct {
					Node struct {
						ID      string
						Current bool
					}
				}
			}
		}
	}
	r.Decode(t, &ss)
	edges := ss.Viewer.Sessions.Edges
	if len(edges) != 2 || edges[0].Node.ID != li.LogIn.Session.ID || !edges[0].Node.Current || edges[1].Node.Current {
		t.Fatalf("sessions = %+v", edges)
	}
}

func TestSignUpRejectsBadInput(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	c := srv.Client()
	apitest.Must(t, c.Do(t, signUpMutation, signUpVars("taken@example.com", apitest.StrongPassword, "First")))

	tests := []struct {
		name, email, password, display string
		code, field                    string
	}{
		{"malformed email", "not-an-email", apitest.StrongPassword, "X", "BAD_USER_INPUT", "input.email"},
		{"email without domain dot", "a@localhost", apitest.StrongPassword, "X", "BAD_USER_INPUT", "input.email"},
		{"email with display name", "Bob <bob@example.com>", apitest.StrongPassword, "X", "BAD_USER_INPUT", "input.email"},
		{"empty email", "", apitest.StrongPassword, "X", "BAD_USER_INPUT", "input.email"},
		{"short password", "a1@example.com", "Sh0rt!", "X", "BAD_USER_INPUT", "input.password"},
		{"common password", "a2@example.com", "qwertyuiop", "X", "BAD_USER_INPUT", "input.password"},
		{"guessable password", "a3@example.com", "aaaaaaaaaaaa", "X", "BAD_USER_INPUT", "input.password"},
		{"password from own email", "rosalind.franklin@example.com", "rosalindfranklin", "X", "BAD_USER_INPUT", "input.password"},
		{"too long password", "a4@example.com", tooLongPassword(), "X", "BAD_USER_INPUT", "input.password"},
		{"14 characters", "a6@example.com", "plum-river-jac", "X", "BAD_USER_INPUT", "input.password"},
		{"blank display name", "a5@example.com", apitest.StrongPassword, "   ", "BAD_USER_INPUT", "input.displayName"},
		{"long display name", "a6@example.com", apitest.StrongPassword, strings.Repeat("n", 61), "BAD_USER_INPUT", "input.displayName"},
		{"duplicate email, other case", "TAKEN@example.com", apitest.StrongPassword, "Second", "CONFLICT", "input.email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Do(t, signUpMutation, signUpVars(tt.email, tt.password, tt.display))
			if r.Code() != tt.code || r.Field() != tt.field {
				t.Fatalf("code %q field %q, want %q %q: %s", r.Code(), r.Field(), tt.code, tt.field, r.Raw)
			}
			if r.Status != 200 || string(r.Data) != "null" {
				t.Fatalf("status %d data %s", r.Status, r.Data)
			}
		})
	}
	// Nothing was written by the refused sign-ups.
	var n int
	if err := srv.App.Pool.QueryRow(t.Context(), "SELECT count(*) FROM users").Scan(&n); err != nil || n != 1 {
		t.Fatalf("users = %d (%v), want 1", n, err)
	}
}

func TestLogInFailuresLookAlike(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, _ := srv.SignUp(t)
	c := srv.Client()
	var email string
	r := srv.Client().WithToken(tok.AccessToken).Do(t, viewerQuery, nil)
	var v struct{ Viewer struct{ Email string } }
	r.Decode(t, &v)
	email = v.Viewer.Email

	wrong := c.Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": "wrong-password-123"}})
	unknown := c.Do(t, logInMutation, map[string]any{"in": map[string]any{"email": "nobody@example.com", "password": "wrong-password-123"}})
	for _, r := range []*apitest.Response{wrong, unknown} {
		if r.Code() != "UNAUTHENTICATED" || r.Errors[0].Message != "invalid email or password" {
			t.Fatalf("log-in failure: %s", r.Raw)
		}
	}
}

func TestLogInRateLimitedPerAccount(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RateLogInAccount.Tokens, cfg.RateLogInAccount.Interval = 3, time.Hour
	srv := apitest.Start(t, cfg)
	c := srv.Client()
	vars := map[string]any{"in": map[string]any{"email": "victim@example.com", "password": "guess-guess-guess"}}
	for i := range 3 {
		if r := c.Do(t, logInMutation, vars); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("attempt %d: %s", i+1, r.Raw)
		}
	}
	r := c.Do(t, logInMutation, vars)
	if r.Code() != "RATE_LIMITED" {
		t.Fatalf("4th attempt: %s", r.Raw)
	}
	if s, ok := r.Errors[0].Extensions["retryAfterSeconds"].(float64); !ok || s < 1 {
		t.Fatalf("retryAfterSeconds missing: %s", r.Raw)
	}
	// Successful log-ins do not spend the per-account budget (only failures do).
	good, _ := srv.SignUp(t)
	for range 5 {
		apitest.Must(t, c.Do(t, logInMutation, map[string]any{"in": map[string]any{"email": good.User.Email, "password": apitest.StrongPassword}}))
	}
	// Another account from the same IP is not affected by this account's bucket.
	other := map[string]any{"in": map[string]any{"email": "other@example.com", "password": "guess-guess-guess"}}
	if r := c.Do(t, logInMutation, other); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("other account: %s", r.Raw)
	}
}

func TestSignUpRateLimitedPerIP(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RateSignUpIP.Tokens, cfg.RateSignUpIP.Interval = 2, time.Hour
	srv := apitest.Start(t, cfg)
	srv.SignUp(t)
	srv.SignUp(t)
	r := srv.Client().Do(t, signUpMutation, signUpVars("third@example.com", apitest.StrongPassword, "Third"))
	if r.Code() != "RATE_LIMITED" {
		t.Fatalf("third sign-up from one IP: %s", r.Raw)
	}
}

func refresh(t *testing.T, c *apitest.Client, token string) *apitest.Response {
	t.Helper()
	return c.Do(t, refreshMutation, map[string]any{"t": token})
}

func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, _ := srv.SignUp(t)
	c := srv.Client()

	r := refresh(t, c, tok.RefreshToken)
	var out struct{ RefreshSession apitest.Tokens }
	r.Decode(t, &out)
	next := out.RefreshSession
	if next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken || next.Session.ID != tok.Session.ID {
		t.Fatalf("refresh did not rotate within the session: %+v", next)
	}
	if next.User.Email == "" {
		t.Fatalf("the refreshed member should see their own email: %s", r.Raw)
	}
	// The new access token works; the new refresh token works once more.
	apitest.Must(t, c.WithToken(next.AccessToken).Do(t, viewerQuery, nil))
	apitest.Must(t, refresh(t, c, next.RefreshToken))

	for _, bad := range []string{"", "garbage", strings.Repeat("x", 300)} {
		if r := refresh(t, c, bad); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("refresh(%q): %s", bad, r.Raw)
		}
	}
}

func TestConcurrentRefreshOneWins(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, _ := srv.SignUp(t)
	c := srv.Client()

	const n = 12
	results := make([]*apitest.Response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = refresh(t, c, tok.RefreshToken)
		})
	}
	close(start)
	wg.Wait()

	var winner string
	for _, r := range results {
		switch r.Code() {
		case "":
			var out struct{ RefreshSession apitest.Tokens }
			r.Decode(t, &out)
			if winner != "" {
				t.Fatal("two concurrent refreshes with one token both succeeded")
			}
			winner = out.RefreshSession.RefreshToken
		case "CONFLICT":
		default:
			t.Fatalf("loser got %s", r.Raw)
		}
	}
	if winner == "" {
		t.Fatal("no refresh succeeded")
	}
	// Losing the race did not revoke the session: the winner's token keeps working.
	apitest.Must(t, refresh(t, c, winner))
}

func TestRefreshTokenReuseRevokesFamily(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RefreshGrace = 0
	srv := apitest.Start(t, cfg)
	tok, member := srv.SignUp(t)
	other, otherClient := srv.SignUp(t)
	c := srv.Client()

	var out struct{ RefreshSession apitest.Tokens }
	refresh(t, c, tok.RefreshToken).Decode(t, &out)
	rotated := out.RefreshSession

	// The old token comes back (stolen copy): rejected, and the whole session is revoked.
	if r := refresh(t, c, tok.RefreshToken); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("reuse: %s", r.Raw)
	}
	if r := refresh(t, c, rotated.RefreshToken); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("the rotated token must die with its family: %s", r.Raw)
	}
	for _, access := range []string{tok.AccessToken, rotated.AccessToken} {
		if r := member.WithToken(access).Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("access token of a revoked session still works: %s", r.Raw)
		}
	}
	// Other members' sessions are untouched.
	apitest.Must(t, otherClient.Do(t, viewerQuery, nil))
	apitest.Must(t, refresh(t, c, other.RefreshToken))
}

func TestLogOut(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, member := srv.SignUp(t)

	r := member.Do(t, `mutation { logOut { sessionId } }`, nil)
	var out struct{ LogOut struct{ SessionID string } }
	r.Decode(t, &out)
	if out.LogOut.SessionID != tok.Session.ID {
		t.Fatalf("logged out %s, want %s", out.LogOut.SessionID, tok.Session.ID)
	}
	if r := member.Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("access token after logout: %s", r.Raw)
	}
	if r := refresh(t, srv.Client(), tok.RefreshToken); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("refresh after logout: %s", r.Raw)
	}

	// Logging out with only the refresh token (the access token has expired) works too.
	tok2, member2 := srv.SignUp(t)
	apitest.Must(t, srv.Client().Do(t, `mutation($t: String) { logOut(input: {refreshToken: $t}) { sessionId } }`, map[string]any{"t": tok2.RefreshToken}))
	if r := member2.Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("access token after refresh-token logout: %s", r.Raw)
	}
	// Anonymous logout without a token is refused.
	if r := srv.Client().Do(t, `mutation { logOut { sessionId } }`, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous logout: %s", r.Raw)
	}
}

func TestLogOutEverywhere(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, first := srv.SignUp(t)
	var li struct{ LogIn apitest.Tokens }
	srv.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": tok.User.Email, "password": apitest.StrongPassword}}).Decode(t, &li)
	second := srv.Client().WithToken(li.LogIn.AccessToken)
	srv.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": tok.User.Email, "password": apitest.StrongPassword}})

	r := second.Do(t, `mutation { logOutEverywhere(input: {keepCurrent: true}) { revokedSessionCount } }`, nil)
	var out struct {
		LogOutEverywhere struct{ RevokedSessionCount int }
	}
	r.Decode(t, &out)
	if out.LogOutEverywhere.RevokedSessionCount != 2 {
		t.Fatalf("revoked %d, want 2", out.LogOutEverywhere.RevokedSessionCount)
	}
	if r := first.Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("other device still signed in: %s", r.Raw)
	}
	apitest.Must(t, second.Do(t, viewerQuery, nil))

	r = second.Do(t, `mutation { logOutEverywhere { revokedSessionCount } }`, nil)
	r.Decode(t, &out)
	if out.LogOutEverywhere.RevokedSessionCount != 1 {
		t.Fatalf("revoked %d, want 1", out.LogOutEverywhere.RevokedSessionCount)
	}
	if r := second.Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("current device still signed in: %s", r.Raw)
	}
}

func TestRevokeSessionOnlyOwn(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	mine, me := srv.SignUp(t)
	theirs, _ := srv.SignUp(t)
	const m = `mutation($id: ID!) { revokeSession(input: {sessionId: $id}) { session { id revokedAt } } }`
	if r := me.Do(t, m, map[string]any{"id": theirs.Session.ID}); r.Code() != "NOT_FOUND" || r.Field() != "input.sessionId" {
		t.Fatalf("revoking someone else's session: %s", r.Raw)
	}
	if r := me.Do(t, m, map[string]any{"id": mine.User.ID}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.sessionId" {
		t.Fatalf("a user id as session id: %s", r.Raw)
	}
	var out struct {
		RevokeSession struct{ Session struct{ RevokedAt *string } }
	}
	me.Do(t, m, map[string]any{"id": mine.Session.ID}).Decode(t, &out)
	if out.RevokeSession.Session.RevokedAt == nil {
		t.Fatal("revokedAt not set")
	}
}

// forge signs claims with key (nil: the test key) and method.
func forge(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccessTokenValidation(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, _ := srv.SignUp(t)
	// Claims of a real, active session, so only the property under test is wrong.
	parsed, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	base := parsed.Claims.(jwt.MapClaims)
	with := func(changes map[string]any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range base {
			c[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	key := apitest.TestSigningKey
	now := time.Now()
	valid := forge(t, jwt.SigningMethodHS256, key.ID, key.Secret, with(nil))
	noneTok := forge(t, jwt.SigningMethodNone, key.ID, jwt.UnsafeAllowNoneSignatureType, with(nil))

	tests := []struct {
		name, token, wantCode, wantMsg string
	}{
		{"re-signed valid token", valid, "", ""},
		{"expired", forge(t, jwt.SigningMethodHS256, key.ID, key.Secret, with(map[string]any{"exp": now.Add(-time.Minute).Unix(), "iat": now.Add(-20 * time.Minute).Unix()})), "UNAUTHENTICATED", "access token expired; refresh it"},
		{"forged with another secret", forge(t, jwt.SigningMethodHS256, key.ID, []byte("another-secret-another-secret-000"), with(nil)), "UNAUTHENTICATED", "access token invalid"},
		{"alg none", noneTok, "UNAUTHENTICATED", "access token invalid"},
		{"HS512 instead of the pinned HS256", forge(t, jwt.SigningMethodHS512, key.ID, key.Secret, with(nil)), "UNAUTHENTICATED", "access token invalid"},
		{"wrong audience", forge(t, jwt.SigningMethodHS256, key.ID, key.Secret, with(map[string]any{"aud": "someone-else"})), "UNAUTHENTICATED", "access token invalid"},
		{"wrong issuer", forge(t, jwt.SigningMethodHS256, key.ID, key.Secret, with(map[string]any{"iss": "evil"})), "UNAUTHENTICATED", "access token invalid"},
		{"no exp", forge(t, jwt.SigningMethodHS256, key.ID, key.Secret, with(map[string]any{"exp": nil})), "UNAUTHENTICATED", "access token invalid"},
		{"unknown key id", forge(t, jwt.SigningMethodHS256, "old-key", key.Secret, with(nil)), "UNAUTHENTICATED", "access token invalid"},
		{"unknown session", forge(t, jwt.SigningMethodHS256, key.ID, key.Secret, with(map[string]any{"sid": uuid.NewString()})), "UNAUTHENTICATED", "session ended; log in again"},
		{"not a jwt", "abc.def", "UNAUTHENTICATED", "access token invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.Client().WithToken(tt.token).Do(t, viewerQuery, nil)
			if r.Code() != tt.wantCode {
				t.Fatalf("code %q, want %q: %s", r.Code(), tt.wantCode, r.Raw)
			}
			if tt.wantMsg != "" && r.Errors[0].Message != tt.wantMsg {
				t.Fatalf("message %q, want %q", r.Errors[0].Message, tt.wantMsg)
			}
		})
	}

	// A refused token does not break public mutations: an app refreshing with a stale token
	// attached still gets new tokens.
	expired := tests[1].token
	r := srv.Client().WithToken(expired).Do(t, refreshMutation, map[string]any{"t": tok.RefreshToken})
	apitest.Must(t, r)
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	srv := apitest.Start(t, cfg)
	tok, _ := srv.SignUp(t)

	// Add a new key and make it active; tokens signed with the old key stay valid.
	cfg2 := srv.Config
	cfg2.MigrateOnStart = false
	cfg2.JWTKeys = cfg.JWTKeys + ",k2:" + "bmV3LXNpZ25pbmcta2V5LTAxMjM0NTY3ODlhYmNkZWYtMDEyMzQ="
	cfg2.JWTActiveKeyID = "k2"
	srv2 := apitest.Start(t, cfg2)
	apitest.Must(t, srv2.Client().WithToken(tok.AccessToken).Do(t, viewerQuery, nil))
	var li struct{ LogIn apitest.Tokens }
	srv2.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": tok.User.Email, "password": apitest.StrongPassword}}).Decode(t, &li)
	parsed, _, err := jwt.NewParser().ParseUnverified(li.LogIn.AccessToken, jwt.MapClaims{})
	if err != nil || parsed.Header["kid"] != "k2" {
		t.Fatalf("new tokens should be signed with k2, got %v (%v)", parsed.Header["kid"], err)
	}
	// The first server does not know k2 yet: it refuses the new token.
	if r := srv.Client().WithToken(li.LogIn.AccessToken).Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("unknown kid accepted: %s", r.Raw)
	}
}

func TestRolesAndPrivacy(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	admin, adminClient := srv.SignUp(t)
	srv.SetRoles(t, admin.User.ID, domain.RoleAdmin)
	member, memberClient := srv.SignUp(t)
	support, supportClient := srv.SignUp(t)
	srv.SetRoles(t, support.User.ID, domain.RoleSupport)

	const setRoles = `mutation($id: ID!, $roles: [Role!]!) { setUserRoles(input: {userId: $id, roles: $roles}) { user { id roles } } }`
	if r := memberClient.Do(t, setRoles, map[string]any{"id": member.User.ID, "roles": []string{"ADMIN"}}); r.Code() != "FORBIDDEN" {
		t.Fatalf("member granting themselves ADMIN: %s", r.Raw)
	}
	if r := srv.Client().Do(t, setRoles, map[string]any{"id": member.User.ID, "roles": []string{"ADMIN"}}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous: %s", r.Raw)
	}
	if r := adminClient.Do(t, setRoles, map[string]any{"id": admin.User.ID, "roles": []string{"MEMBER"}}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("admin dropping own ADMIN: %s", r.Raw)
	}
	if r := adminClient.Do(t, setRoles, map[string]any{"id": "usr_00000000000000000000000000000000", "roles": []string{"MENTOR"}}); r.Code() != "NOT_FOUND" {
		t.Fatalf("unknown user: %s", r.Raw)
	}
	var out struct {
		SetUserRoles struct{ User struct{ Roles []string } }
	}
	adminClient.Do(t, setRoles, map[string]any{"id": member.User.ID, "roles": []string{"MENTOR", "MENTOR"}}).Decode(t, &out)
	if got := strings.Join(out.SetUserRoles.User.Roles, ","); got != "MEMBER,MENTOR" {
		t.Fatalf("roles = %s", got)
	}
	srv.AssertAudited(t, apitest.AuditTarget(t, "user", member.User.ID), "user.roles_changed", admin.User.ID,
		`{"from":["MEMBER"],"to":["MEMBER","MENTOR"]}`)

	// Staff see emails; members see only their own.
	const lookup = `query($id: ID!) { node(id: $id) { ... on User { displayName email roles } } }`
	var n struct {
		Node struct {
			Email *string
			Roles []string
		}
	}
	memberClient.Do(t, lookup, map[string]any{"id": support.User.ID}).Decode(t, &n)
	if n.Node.Email != nil || n.Node.Roles != nil {
		t.Fatalf("a member sees another member's private fields: %+v", n.Node)
	}
	supportClient.Do(t, lookup, map[string]any{"id": member.User.ID}).Decode(t, &n)
	if n.Node.Email == nil || *n.Node.Email != member.User.Email {
		t.Fatalf("support cannot see email: %+v", n.Node)
	}

	// Member directory: staff only, paginated.
	if r := memberClient.Do(t, `{ users { edges { node { id } } } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("member listing users: %s", r.Raw)
	}
	var page struct {
		Users struct {
			Edges    []struct{ Node struct{ ID string } }
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	supportClient.Do(t, `{ users(first: 2) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, nil).Decode(t, &page)
	if len(page.Users.Edges) != 2 || !page.Users.PageInfo.HasNextPage || page.Users.Edges[0].Node.ID != support.User.ID {
		t.Fatalf("first page = %+v", page.Users)
	}
	supportClient.Do(t, `query($a: String) { users(first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
		map[string]any{"a": page.Users.PageInfo.EndCursor}).Decode(t, &page)
	if len(page.Users.Edges) != 1 || page.Users.PageInfo.HasNextPage || page.Users.Edges[0].Node.ID != admin.User.ID {
		t.Fatalf("second page = %+v", page.Users)
	}
	if r := supportClient.Do(t, `{ users(first: 101) { edges { cursor } } }`, nil); r.Code() != "BAD_USER_INPUT" || r.Field() != "first" {
		t.Fatalf("first: 101: %s", r.Raw)
	}
	if r := supportClient.Do(t, `{ users(after: "bm9wZQ") { edges { cursor } } }`, nil); r.Code() != "BAD_USER_INPUT" || r.Field() != "after" {
		t.Fatalf("bad cursor: %s", r.Raw)
	}
}

// TestRevocationReachesOtherInstances runs two servers on one database and one Redis: a logout
// on one must stop the session's access token on the other at once, although the other had the
// session in its cache.
func TestRevocationReachesOtherInstances(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RedisURL = apitest.RedisURL(t)
	cfg.SessionCacheTTL = time.Hour // only the broker message can evict it in time
	a := apitest.Start(t, cfg)
	cfgB := a.Config
	cfgB.MigrateOnStart = false
	b := apitest.Start(t, cfgB)

	tok, onA := a.SignUp(t)
	onB := b.Client().WithToken(tok.AccessToken)
	apitest.Must(t, onB.Do(t, viewerQuery, nil)) // B caches the session
	apitest.Must(t, onA.Do(t, `mutation { logOut { sessionId } }`, nil))

	deadline := time.Now().Add(5 * time.Second)
	for {
		r := onB.Do(t, viewerQuery, nil)
		if r.Code() == "UNAUTHENTICATED" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance B still accepts a session logged out on A: %s", r.Raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tooLongPassword is a passphrase of more than MaxPasswordBytes that nothing else refuses.
func tooLongPassword() string {
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "plum%d river ", i*7)
	}
	return b.String()
}
