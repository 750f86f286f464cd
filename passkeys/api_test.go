package passkeys_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/webauthntest"
)

const (
	startRegistration  = `mutation { startPasskeyRegistration { ceremonyId options expiresAt } }`
	finishRegistration = `mutation($in: FinishPasskeyRegistrationInput!) { finishPasskeyRegistration(input: $in) {
		passkey { id name createdAt lastUsedAt transports synced } security { methods } } }`
	startSignIn  = `mutation { startPasskeySignIn { ceremonyId options expiresAt } }`
	finishSignIn = `mutation($in: FinishPasskeySignInInput!) { finishPasskeySignIn(input: $in) { ` + apitest.AuthFields + ` } }`
	renameQuery  = `mutation($id: ID!, $name: String!) { renamePasskey(input: {id: $id, name: $name}) { passkey { id name } } }`
	removeQuery  = `mutation($id: ID!) { removePasskey(input: {id: $id}) { removedPasskeyId security { methods passkeys { id } } } }`
	securityQ    = `{ viewer { security { methods passkeys { id name createdAt lastUsedAt transports synced } } } }`

	// webOrigin is the origin of the default test configuration (PUBLIC_URL http://localhost:8080).
	webOrigin = "http://localhost:8080"
)

type ceremony struct {
	CeremonyID string
	Options    string
	ExpiresAt  time.Time
}

type passkey struct {
	ID         string
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	Transports []string
	Synced     bool
}

func web() webauthntest.Ceremony { return webauthntest.Ceremony{Origin: webOrigin} }

func startReg(t *testing.T, c *apitest.Client) ceremony {
	t.Helper()
	var out struct{ StartPasskeyRegistration ceremony }
	apitest.Must(t, c.Do(t, startRegistration, nil)).Decode(t, &out)
	return out.StartPasskeyRegistration
}

func finishRegVars(id, credential, name string) map[string]any {
	return map[string]any{"in": map[string]any{"ceremonyId": id, "credential": credential, "name": name}}
}

// register adds a passkey held by a to c's member and returns it.
func register(t *testing.T, c *apitest.Client, a *webauthntest.Authenticator, name string) passkey {
	t.Helper()
	cer := startReg(t, c)
	var out struct {
		FinishPasskeyRegistration struct {
			Passkey  passkey
			Security struct{ Methods []string }
		}
	}
	c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, a.Register(t, cer.Options, web()), name)).Decode(t, &out)
	if !contains(out.FinishPasskeyRegistration.Security.Methods, "PASSKEY") {
		t.Fatalf("methods after registration: %v", out.FinishPasskeyRegistration.Security.Methods)
	}
	return out.FinishPasskeyRegistration.Passkey
}

func startSign(t *testing.T, srv *apitest.Server) ceremony {
	t.Helper()
	var out struct{ StartPasskeySignIn ceremony }
	apitest.Must(t, srv.Client().Do(t, startSignIn, nil)).Decode(t, &out)
	return out.StartPasskeySignIn
}

func signInVars(id, credential string) map[string]any {
	return map[string]any{"in": map[string]any{"ceremonyId": id, "credential": credential}}
}

// signIn signs in with a's passkey and returns the tokens.
func signIn(t *testing.T, srv *apitest.Server, a *webauthntest.Authenticator, c webauthntest.Ceremony) apitest.Tokens {
	t.Helper()
	cer := startSign(t, srv)
	var out struct{ FinishPasskeySignIn apitest.Tokens }
	srv.Client().Do(t, finishSignIn, signInVars(cer.CeremonyID, a.SignIn(t, cer.Options, c))).Decode(t, &out)
	return out.FinishPasskeySignIn
}

func expectError(t *testing.T, r *apitest.Response, code, field, reason string) {
	t.Helper()
	if r.Code() != code || (field != "" && r.Field() != field) {
		t.Fatalf("want %s (field %q), got %s", code, field, r.Raw)
	}
	if reason != "" && r.Errors[0].Extensions["reason"] != reason {
		t.Fatalf("want reason %s, got %s", reason, r.Raw)
	}
	if r.HasData && string(r.Data) != "null" {
		t.Fatalf("refused operation returned data: %s", r.Raw)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func exec(t *testing.T, srv *apitest.Server, sql string, args ...any) {
	t.Helper()
	if _, err := srv.App.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func security(t *testing.T, c *apitest.Client) (methods []string, keys []passkey) {
	t.Helper()
	var out struct {
		Viewer struct {
			Security struct {
				Methods  []string
				Passkeys []passkey
			}
		}
	}
	c.Do(t, securityQ, nil).Decode(t, &out)
	return out.Viewer.Security.Methods, out.Viewer.Security.Passkeys
}

func TestRegisterListSignInRenameRemove(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	srv := apitest.Start(t, cfg)
	email := fmt.Sprintf("passkey-%d@example.com", time.Now().UnixNano())
	tok, c := srv.SignUpAs(t, email, "Ada Passkey")

	if methods, keys := security(t, c); contains(methods, "PASSKEY") || len(keys) != 0 {
		t.Fatalf("before: methods %v, passkeys %v", methods, keys)
	}
	a := webauthntest.New(t)
	a.Flags = webauthntest.FlagBackupEligible | webauthntest.FlagBackupState
	// The client's list is kept to the transports WebAuthn defines, once each.
	a.Transports = []string{"internal", "hybrid", "internal", "warp-drive"}
	cer := startReg(t, c)
	if !cer.ExpiresAt.After(time.Now()) || !strings.Contains(cer.Options, `"rp":{"name":"SkillSwap","id":"localhost"}`) ||
		!strings.Contains(cer.Options, `"residentKey":"required"`) || !strings.Contains(cer.Options, `"userVerification":"required"`) {
		t.Fatalf("registration options: %+v", cer)
	}
	var reg struct {
		FinishPasskeyRegistration struct{ Passkey passkey }
	}
	c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, a.Register(t, cer.Options, web()), "  Pixel 9  ")).Decode(t, &reg)
	pk := reg.FinishPasskeyRegistration.Passkey
	if !strings.HasPrefix(pk.ID, "psk_") || pk.Name != "Pixel 9" || pk.LastUsedAt != nil || !pk.Synced ||
		strings.Join(pk.Transports, ",") != "internal,hybrid" {
		t.Fatalf("registered passkey: %+v", pk)
	}
	added := box.Next(t, email, "passkey was added")
	if !strings.Contains(added.Text, `"Pixel 9"`) || !strings.Contains(added.HTML, "Pixel 9") {
		t.Fatalf("notice: %+v", added)
	}
	methods, keys := security(t, c)
	if !contains(methods, "PASSKEY") || !contains(methods, "PASSWORD") || len(keys) != 1 || keys[0].ID != pk.ID {
		t.Fatalf("after registration: methods %v, passkeys %+v", methods, keys)
	}
	// Registering the same authenticator again is refused by the authenticator's exclusion list
	// in real clients; here, the server answers CONFLICT.
	cer = startReg(t, c)
	if !strings.Contains(cer.Options, `"excludeCredentials":[{"type":"public-key","id":"`) {
		t.Fatalf("registration options do not exclude the registered passkey: %s", cer.Options)
	}
	expectError(t, c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, a.Register(t, cer.Options, web()), "again")),
		"CONFLICT", "input.credential", "")

	// Sign in without a password or an email.
	signed := signIn(t, srv, a, web())
	if signed.User.ID != tok.User.ID || signed.AccessToken == "" || signed.Session.ID == tok.Session.ID {
		t.Fatalf("signed in as %+v, want a new session of %s", signed, tok.User.ID)
	}
	pc := srv.Client().WithToken(signed.AccessToken)
	_, keys = security(t, pc)
	if len(keys) != 1 || keys[0].LastUsedAt == nil {
		t.Fatalf("passkey after sign-in: %+v", keys)
	}
	// The passkey session is freshly authenticated: sensitive operations work at once.
	second := webauthntest.New(t)
	pk2 := register(t, pc, second, "")
	if pk2.Name != "Passkey" || pk2.Synced {
		t.Fatalf("default name and a device-bound key: %+v", pk2)
	}
	box.Next(t, email, "passkey was added")
	if got := signIn(t, srv, second, web()); got.User.ID != tok.User.ID {
		t.Fatalf("second passkey signed in as %s", got.User.ID)
	}

	var rn struct{ RenamePasskey struct{ Passkey passkey } }
	c.Do(t, renameQuery, map[string]any{"id": pk.ID, "name": "Work phone"}).Decode(t, &rn)
	if rn.RenamePasskey.Passkey.ID != pk.ID || rn.RenamePasskey.Passkey.Name != "Work phone" {
		t.Fatalf("renamed: %+v", rn.RenamePasskey.Passkey)
	}
	expectError(t, c.Do(t, renameQuery, map[string]any{"id": pk.ID, "name": strings.Repeat("x", 61)}), "BAD_USER_INPUT", "input.name", "")

	var rm struct {
		RemovePasskey struct {
			RemovedPasskeyID string
			Security         struct {
				Methods  []string
				Passkeys []struct{ ID string }
			}
		}
	}
	c.Do(t, removeQuery, map[string]any{"id": pk.ID}).Decode(t, &rm)
	if rm.RemovePasskey.RemovedPasskeyID != pk.ID || len(rm.RemovePasskey.Security.Passkeys) != 1 || rm.RemovePasskey.Security.Passkeys[0].ID != pk2.ID {
		t.Fatalf("removed: %+v", rm.RemovePasskey)
	}
	removed := box.Next(t, email, "passkey was removed")
	if !strings.Contains(removed.Text, `"Work phone"`) {
		t.Fatalf("removal notice: %+v", removed)
	}
	// A removed passkey no longer signs in.
	cer = startSign(t, srv)
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(cer.CeremonyID, a.SignIn(t, cer.Options, web()))), "UNAUTHENTICATED", "input.credential", "")
	c.Do(t, removeQuery, map[string]any{"id": pk2.ID}).Decode(t, &rm)
	if methods, _ := security(t, c); contains(methods, "PASSKEY") {
		t.Fatalf("methods after removing every passkey: %v", methods)
	}
}

func TestFrenchNotice(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	srv := apitest.Start(t, cfg)
	email := fmt.Sprintf("cle-%d@example.com", time.Now().UnixNano())
	r := srv.Client().Do(t, `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"email": email, "password": apitest.StrongPassword, "displayName": "Zoé", "locale": "FR"}})
	var out struct{ SignUp struct{ AccessToken string } }
	r.Decode(t, &out)
	register(t, srv.Client().WithToken(out.SignUp.AccessToken), webauthntest.New(t), "Téléphone")
	e := box.Next(t, email, "une clé d'accès a été ajoutée")
	if e.Language != "fr" || !strings.Contains(e.Text, "« Téléphone »") {
		t.Fatalf("French notice: %+v", e)
	}
}

func TestCeremonyRefusals(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, c := srv.SignUp(t)
	_, other := srv.SignUp(t)
	a := webauthntest.New(t)

	// Unknown and malformed ids.
	for _, id := range []string{"not-a-uuid", "0195b3c0-0000-7000-8000-000000000000"} {
		expectError(t, c.Do(t, finishRegistration, finishRegVars(id, "{}", "x")), "BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_INVALID")
		expectError(t, srv.Client().Do(t, finishSignIn, signInVars(id, "{}")), "BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_INVALID")
	}
	// Another member's registration ceremony is unknown to this one (and is spent).
	cer := startReg(t, other)
	expectError(t, c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, a.Register(t, cer.Options, web()), "x")),
		"BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_INVALID")
	// A sign-in ceremony does not finish a registration, nor the reverse.
	sc := startSign(t, srv)
	expectError(t, c.Do(t, finishRegistration, finishRegVars(sc.CeremonyID, "{}", "x")), "BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_INVALID")
	cer = startReg(t, c)
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(cer.CeremonyID, "{}")), "BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_INVALID")

	// A used ceremony does not work twice.
	cer = startReg(t, c)
	cred := a.Register(t, cer.Options, web())
	apitest.Must(t, c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, cred, "x")))
	expectError(t, c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, cred, "x")), "BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_INVALID")
	sc = startSign(t, srv)
	assertion := a.SignIn(t, sc.Options, web())
	apitest.Must(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, assertion)))
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, assertion)), "BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_INVALID")
	// A replayed assertion in a new ceremony has the old challenge.
	sc = startSign(t, srv)
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, assertion)), "UNAUTHENTICATED", "input.credential", "")

	// An expired ceremony is refused as such.
	cer = startReg(t, c)
	sc = startSign(t, srv)
	exec(t, srv, `UPDATE webauthn_ceremonies SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`,
		[]string{cer.CeremonyID, sc.CeremonyID})
	expectError(t, c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, webauthntest.New(t).Register(t, cer.Options, web()), "x")),
		"BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_EXPIRED")
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, a.SignIn(t, sc.Options, web()))),
		"BAD_USER_INPUT", "input.ceremonyId", "CEREMONY_EXPIRED")

	// A malformed response.
	cer = startReg(t, c)
	expectError(t, c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, `{"id": 1}`, "x")), "BAD_USER_INPUT", "input.credential", "PASSKEY_REFUSED")
	sc = startSign(t, srv)
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, "not json")), "UNAUTHENTICATED", "input.credential", "")
	// A passkey never registered here.
	sc = startSign(t, srv)
	stranger := webauthntest.New(t)
	stranger.UserHandle = []byte("0123456789abcdef0123456789abcdef")
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, stranger.SignIn(t, sc.Options, web()))), "UNAUTHENTICATED", "input.credential", "")
}

func TestWrongOriginOrRelyingParty(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, c := srv.SignUp(t)
	bad := []struct {
		name string
		c    webauthntest.Ceremony
	}{
		{"another site's origin", webauthntest.Ceremony{Origin: "https://evil.example"}},
		{"another port", webauthntest.Ceremony{Origin: "http://localhost:9999"}},
		{"an Android app not configured", webauthntest.Ceremony{Origin: webauthntest.AndroidOrigin(make([]byte, 32))}},
		{"another relying party id", webauthntest.Ceremony{Origin: webOrigin, RPID: "evil.example"}},
		{"a sign-in's client data", webauthntest.Ceremony{Origin: webOrigin, Type: "webauthn.get"}},
		// User verification is required: a passkey then stands for two factors.
		{"no user verification", webauthntest.Ceremony{Origin: webOrigin, NoUserVerification: true}},
	}
	for _, tc := range bad {
		cer := startReg(t, c)
		r := c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, webauthntest.New(t).Register(t, cer.Options, tc.c), "x"))
		if r.Code() != "BAD_USER_INPUT" || r.Field() != "input.credential" || r.Errors[0].Extensions["reason"] != "PASSKEY_REFUSED" {
			t.Errorf("registration with %s: %s", tc.name, r.Raw)
		}
	}
	a := webauthntest.New(t)
	register(t, c, a, "ok")
	bad[4].c.Type = "webauthn.create"
	for _, tc := range bad {
		sc := startSign(t, srv)
		r := srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, a.SignIn(t, sc.Options, tc.c)))
		if r.Code() != "UNAUTHENTICATED" || r.Field() != "input.credential" {
			t.Errorf("sign-in with %s: %s", tc.name, r.Raw)
		}
	}
	// The passkey itself is fine.
	signIn(t, srv, a, web())
}

func TestAndroidAppOrigin(t *testing.T) {
	t.Parallel()
	cert := sha256.Sum256([]byte("the app's signing certificate"))
	android := webauthntest.AndroidOrigin(cert[:])
	cfg := apitest.Config(t)
	cfg.WebAuthnOrigins = append(cfg.WebAuthnOrigins, android)
	srv := apitest.Start(t, cfg)
	tok, c := srv.SignUp(t)
	a := webauthntest.New(t)
	cer := startReg(t, c)
	apitest.Must(t, c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, a.Register(t, cer.Options, webauthntest.Ceremony{Origin: android}), "Android")))
	if got := signIn(t, srv, a, webauthntest.Ceremony{Origin: android}); got.User.ID != tok.User.ID {
		t.Fatalf("android sign-in as %s", got.User.ID)
	}
	// The same passkey works from the web origin too (one relying party).
	signIn(t, srv, a, web())
	// Another app's hash is still refused.
	otherCert := sha256.Sum256([]byte("another app"))
	sc := startSign(t, srv)
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, a.SignIn(t, sc.Options, webauthntest.Ceremony{Origin: webauthntest.AndroidOrigin(otherCert[:])}))),
		"UNAUTHENTICATED", "input.credential", "")
}

func TestCounterRegressionRefused(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, c := srv.SignUp(t)
	a := webauthntest.New(t)
	register(t, c, a, "key")
	signIn(t, srv, a, web())
	signIn(t, srv, a, web()) // counter 2
	a.Counter = 1            // a clone that signed less often: next is 2 again
	sc := startSign(t, srv)
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, a.SignIn(t, sc.Options, web()))),
		"UNAUTHENTICATED", "input.credential", "PASSKEY_CLONE_SUSPECTED")
	var warned bool
	if err := srv.App.Pool.QueryRow(context.Background(), `SELECT clone_warning FROM passkeys WHERE credential_id = $1`, a.CredentialID).Scan(&warned); err != nil || !warned {
		t.Fatalf("clone_warning = %v, %v", warned, err)
	}
	// The genuine authenticator, ahead of the stored counter, still signs in.
	a.Counter = 10
	signIn(t, srv, a, web())

	// Synced passkeys send a zero counter every time: never a clone warning.
	z := webauthntest.New(t)
	z.ZeroCounter = true
	register(t, c, z, "synced")
	for range 3 {
		signIn(t, srv, z, web())
	}
}

func TestSomeoneElsesPasskey(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	_, owner := srv.SignUp(t)
	_, intruder := srv.SignUp(t)
	pk := register(t, owner, webauthntest.New(t), "mine")
	expectError(t, intruder.Do(t, renameQuery, map[string]any{"id": pk.ID, "name": "ours"}), "NOT_FOUND", "input.id", "")
	expectError(t, intruder.Do(t, removeQuery, map[string]any{"id": pk.ID}), "NOT_FOUND", "input.id", "")
	// A malformed id, or one of another kind, is bad input.
	expectError(t, intruder.Do(t, removeQuery, map[string]any{"id": "usr_0195b3c0000070008000000000000000"}), "BAD_USER_INPUT", "input.id", "")
	if _, keys := security(t, owner); len(keys) != 1 || keys[0].Name != "mine" {
		t.Fatalf("owner's passkeys: %+v", keys)
	}
	// Signed out, nothing.
	expectError(t, srv.Client().Do(t, startRegistration, nil), "UNAUTHENTICATED", "", "")
}

func TestLastSignInMethodKept(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, c := srv.SignUp(t)
	first := register(t, c, webauthntest.New(t), "one")
	second := register(t, c, webauthntest.New(t), "two")
	// As an account made by a provider sign-in and later unlinked: no password.
	exec(t, srv, `UPDATE users SET password_hash = '' WHERE email = $1`, tok.User.Email)
	if methods, _ := security(t, c); contains(methods, "PASSWORD") {
		t.Fatalf("methods: %v", methods)
	}
	apitest.Must(t, c.Do(t, removeQuery, map[string]any{"id": first.ID}))
	expectError(t, c.Do(t, removeQuery, map[string]any{"id": second.ID}), "CONFLICT", "input.id", "LAST_SIGN_IN_METHOD")
	if _, keys := security(t, c); len(keys) != 1 {
		t.Fatalf("the last passkey was removed: %+v", keys)
	}
}

func TestRecentAuthRequired(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, c := srv.SignUp(t)
	pk := register(t, c, webauthntest.New(t), "key")
	exec(t, srv, `UPDATE auth_sessions SET authenticated_at = authenticated_at - interval '1 hour' WHERE user_id = (SELECT id FROM users WHERE email = $1)`, tok.User.Email)
	expectError(t, c.Do(t, startRegistration, nil), "FORBIDDEN", "", "RECENT_AUTH_REQUIRED")
	expectError(t, c.Do(t, removeQuery, map[string]any{"id": pk.ID}), "FORBIDDEN", "", "RECENT_AUTH_REQUIRED")
	// Renaming is not sensitive.
	apitest.Must(t, c.Do(t, renameQuery, map[string]any{"id": pk.ID, "name": "renamed"}))
	// reauthenticate opens the window again.
	apitest.Must(t, c.Do(t, `mutation($p: String) { reauthenticate(input: {password: $p}) { recentAuthUntil } }`, map[string]any{"p": apitest.StrongPassword}))
	apitest.Must(t, c.Do(t, removeQuery, map[string]any{"id": pk.ID}))
}

func TestPasskeySessionCountsAsSecondFactorForStaff(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.StaffRequireMFA = true
	srv := apitest.Start(t, cfg)
	tok, c := srv.SignUp(t)
	srv.SetRoles(t, tok.User.ID, domain.RoleMember, domain.RoleSupport)
	a := webauthntest.New(t)
	pk := register(t, c, a, "key")

	const staffQuery = `{ users(first: 1) { edges { node { id } } } }`
	var li struct{ LogIn apitest.Tokens }
	apitest.Must(t, srv.Client().Do(t, `mutation($in: LogInInput!) { logIn(input: $in) { `+apitest.AuthFields+` } }`,
		map[string]any{"in": map[string]any{"email": tok.User.Email, "password": apitest.StrongPassword}})).Decode(t, &li)
	pw := srv.Client().WithToken(li.LogIn.AccessToken)
	expectError(t, pw.Do(t, staffQuery, nil), "FORBIDDEN", "", "SECOND_FACTOR_REQUIRED")

	signed := signIn(t, srv, a, web())
	pc := srv.Client().WithToken(signed.AccessToken)
	apitest.Must(t, pc.Do(t, staffQuery, nil))
	// The password session still lacks it; a refreshed passkey session keeps it.
	expectError(t, pw.Do(t, staffQuery, nil), "FORBIDDEN", "", "SECOND_FACTOR_REQUIRED")
	var rf struct{ RefreshSession apitest.Tokens }
	apitest.Must(t, srv.Client().Do(t, `mutation($t: String!) { refreshSession(input: {refreshToken: $t}) { `+apitest.AuthFields+` } }`,
		map[string]any{"t": signed.RefreshToken})).Decode(t, &rf)
	pc = srv.Client().WithToken(rf.RefreshSession.AccessToken)
	apitest.Must(t, pc.Do(t, staffQuery, nil))

	// Removing the passkey takes the second factor from the sessions it opened.
	apitest.Must(t, pc.Do(t, removeQuery, map[string]any{"id": pk.ID}))
	expectError(t, pc.Do(t, staffQuery, nil), "FORBIDDEN", "", "SECOND_FACTOR_REQUIRED")
}

func TestSuspendedMemberRefused(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	tok, c := srv.SignUp(t)
	a := webauthntest.New(t)
	register(t, c, a, "key")
	exec(t, srv, `UPDATE users SET status = 'SUSPENDED' WHERE email = $1`, tok.User.Email)
	sc := startSign(t, srv)
	expectError(t, srv.Client().Do(t, finishSignIn, signInVars(sc.CeremonyID, a.SignIn(t, sc.Options, web()))), "FORBIDDEN", "", "")
}

func TestSignInAttemptsThrottledPerNetwork(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RateLogInIP = config.Rate{Tokens: 3, Interval: time.Hour}
	srv := apitest.Start(t, cfg)
	for range 3 {
		startSign(t, srv)
	}
	expectError(t, srv.Client().Do(t, startSignIn, nil), "RATE_LIMITED", "", "")
}

func TestAbandonedCeremoniesPurged(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	old, fresh := startSign(t, srv), startSign(t, srv)
	exec(t, srv, `UPDATE webauthn_ceremonies SET expires_at = now() - interval '1 minute' WHERE id = $1`, old.CeremonyID)
	done, err := srv.App.Retention.Run(context.Background())
	if n := done["abandoned passkey ceremonies"]; err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want the expired one", n, err)
	}
	var left int
	if err := srv.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM webauthn_ceremonies WHERE id = $1`, fresh.CeremonyID).Scan(&left); err != nil || left != 1 {
		t.Fatalf("the live ceremony: %d, %v", left, err)
	}
}

// TestAndroidAppsShareOrigin: an app of ANDROID_APPS (served in assetlinks.json) is accepted as a
// passkey origin without repeating it in WEBAUTHN_ORIGINS.
func TestAndroidAppsShareOrigin(t *testing.T) {
	t.Parallel()
	cert := sha256.Sum256([]byte("the store build's certificate"))
	hexes := make([]string, len(cert))
	for i, b := range cert {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	cfg := apitest.Config(t)
	cfg.AndroidApps = []string{"com.example.skillswap=" + strings.Join(hexes, ":")}
	srv := apitest.Start(t, cfg)
	_, c := srv.SignUp(t)
	a := webauthntest.New(t)
	android := webauthntest.Ceremony{Origin: webauthntest.AndroidOrigin(cert[:])}
	cer := startReg(t, c)
	apitest.Must(t, c.Do(t, finishRegistration, finishRegVars(cer.CeremonyID, a.Register(t, cer.Options, android), "Android")))
	signIn(t, srv, a, android)
}

// TestIPAddressServerRunsWithoutPasskeys: a development server on an IP address (PUBLIC_URL
// http://127.0.0.1:...) starts; passkey ceremonies answer SERVICE_UNAVAILABLE, since browsers
// bind passkeys to a domain.
func TestIPAddressServerRunsWithoutPasskeys(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.WebAuthnRPID, cfg.WebAuthnOrigins = "127.0.0.1", []string{"http://127.0.0.1:8080"}
	srv := apitest.Start(t, cfg)
	expectError(t, srv.Client().Do(t, startSignIn, nil), "SERVICE_UNAVAILABLE", "", "")
	_, c := srv.SignUp(t)
	expectError(t, c.Do(t, startRegistration, nil), "SERVICE_UNAVAILABLE", "", "")
	var out struct {
		Viewer struct{ Security struct{ Passkeys []passkey } }
	}
	apitest.Must(t, c.Do(t, `{ viewer { security { passkeys { id } } } }`, nil)).Decode(t, &out)
}
