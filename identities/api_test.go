package identities_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/oidctest"
	"github.com/skillswap/skillswap/internal/webauthntest"
)

const (
	signInMutation = `mutation($in: SignInWithProviderInput!) { signInWithProvider(input: $in) { ` + apitest.AuthFields + ` } }`
	linkMutation   = `mutation($in: LinkProviderInput!) { linkProvider(input: $in) { linkedProviders { provider email linkedAt lastUsedAt } } }`
	unlinkMutation = `mutation($p: String!) { unlinkProvider(input: {provider: $p}) { linkedProviders { provider email } } }`
	logInMutation  = `mutation($in: LogInInput!) { logIn(input: $in) { ` + apitest.AuthFields + ` } }`

	acmeClient  = "acme-ios"
	appleClient = "com.example.skillswap"
)

// env is a server with two providers: "acme" (a generic OpenID provider accepting two client
// ids) and "apple" (hashed nonces, as Sign in with Apple).
type env struct {
	srv   *apitest.Server
	acme  *oidctest.Provider
	apple *oidctest.Provider
}

func start(t *testing.T, adjust ...func(*config.Config)) env {
	t.Helper()
	acme, apple := oidctest.Start(t), oidctest.Start(t)
	cfg := apitest.Config(t)
	for _, f := range adjust {
		f(&cfg)
	}
	hashed := true
	cfg.OIDCProviders = config.OIDCProviders{
		{Name: "acme", Issuer: acme.Issuer, ClientIDs: []string{"acme-web", acmeClient}},
		{Name: "apple", Issuer: apple.Issuer, ClientIDs: []string{appleClient}, HashedNonce: &hashed},
	}
	// Deterministic flood accounting: one key-set fetch per hour at most.
	cfg.OIDCJWKSMinInterval = time.Hour
	return env{srv: apitest.Start(t, cfg), acme: acme, apple: apple}
}

func nonce() string { return rand.Text() }

func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%s@example.com", prefix, rand.Text()[:10])
}

func signInVars(provider, idToken, nonce string) map[string]any {
	return map[string]any{"in": map[string]any{"provider": provider, "idToken": idToken, "nonce": nonce}}
}

func (e env) signIn(t *testing.T, provider, idToken, nonce string) apitest.Tokens {
	t.Helper()
	var out struct{ SignInWithProvider apitest.Tokens }
	e.srv.Client().Do(t, signInMutation, signInVars(provider, idToken, nonce)).Decode(t, &out)
	return out.SignInWithProvider
}

// acmeToken is a valid acme ID token for subject and email (verified or not) with its nonce.
func (e env) acmeToken(t *testing.T, subject, email string, verified bool) (string, string) {
	n := nonce()
	c := e.acme.Claims(acmeClient, subject, n)
	c["email"], c["email_verified"], c["name"] = email, verified, "Ada Lovelace"
	return e.acme.Sign(t, c), n
}

func (e env) verifyLocalEmail(t *testing.T, email string) {
	t.Helper()
	if _, err := e.srv.App.Pool.Exec(context.Background(), `UPDATE users SET email_verified_at = now() WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
}

func (e env) localEmailVerified(t *testing.T, email string) bool {
	t.Helper()
	var v bool
	if err := e.srv.App.Pool.QueryRow(context.Background(), `SELECT email_verified_at IS NOT NULL FROM users WHERE email = $1`, email).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
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
		t.Fatalf("refused sign-in returned data: %s", r.Raw)
	}
}

func TestNewMemberThenSignInAgain(t *testing.T) {
	t.Parallel()
	e := start(t)
	var providers struct{ SignInProviders []string }
	e.srv.Client().Do(t, `{ signInProviders }`, nil).Decode(t, &providers)
	if fmt.Sprint(providers.SignInProviders) != "[acme apple]" {
		t.Fatalf("signInProviders = %v", providers.SignInProviders)
	}

	email := uniqueEmail("ada")
	tok, n := e.acmeToken(t, "sub-ada", email, true)
	first := e.signIn(t, "acme", tok, n)
	if first.User.Email != email || first.User.DisplayName != "Ada Lovelace" {
		t.Fatalf("new member = %+v", first.User)
	}
	if !e.localEmailVerified(t, email) {
		t.Fatal("the provider verified the email: the new account's email must be verified")
	}
	var v struct{ Viewer struct{ ID string } }
	e.srv.Client().WithToken(first.AccessToken).Do(t, `{ viewer { id } }`, nil).Decode(t, &v)
	if v.Viewer.ID != first.User.ID {
		t.Fatalf("viewer %s, want %s", v.Viewer.ID, first.User.ID)
	}

	// The same provider account signs into the same member, in a new session; a token without
	// a name or email (the provider may omit them later) still works.
	n2 := nonce()
	again := e.signIn(t, "acme", e.acme.Sign(t, e.acme.Claims("acme-web", "sub-ada", n2)), n2)
	if again.User.ID != first.User.ID || again.Session.ID == first.Session.ID {
		t.Fatalf("sign-in again: user %s session %s (first %s %s)", again.User.ID, again.Session.ID, first.User.ID, first.Session.ID)
	}

	// The account has no password: logIn refuses every password the same way.
	r := e.srv.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": ""}})
	expectError(t, r, "UNAUTHENTICATED", "", "")

	// Unverified email and no name: created, unverified, named after the email's local part.
	email2 := uniqueEmail("grace")
	n3 := nonce()
	c := e.acme.Claims(acmeClient, "sub-grace", n3)
	c["email"] = email2
	u := e.signIn(t, "acme", e.acme.Sign(t, c), n3)
	if u.User.DisplayName != email2[:len("grace-")+10] || e.localEmailVerified(t, email2) {
		t.Fatalf("unverified member = %+v (verified %v)", u.User, e.localEmailVerified(t, email2))
	}
}

func TestLinkingToAnExistingAccount(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, tc := range []struct {
		name                          string
		localVerified, providerVerify bool
	}{
		{"neither verified", false, false},
		{"only the local email verified", true, false},
		{"only the provider's email verified", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			email := uniqueEmail("bob")
			e.srv.SignUpUnverified(t, email, "Bob")
			if tc.localVerified {
				e.verifyLocalEmail(t, email)
			}
			tok, n := e.acmeToken(t, "sub-"+email, email, tc.providerVerify)
			r := e.srv.Client().Do(t, signInMutation, signInVars("acme", tok, n))
			expectError(t, r, "CONFLICT", "input.idToken", "ACCOUNT_EXISTS_LINK_REQUIRED")
		})
	}

	// Both verified: the identity is linked to the existing account.
	email := uniqueEmail("carol")
	carol, _ := e.srv.SignUpUnverified(t, email, "Carol")
	e.verifyLocalEmail(t, email)
	tok, n := e.acmeToken(t, "sub-carol", email, true)
	if got := e.signIn(t, "acme", tok, n); got.User.ID != carol.User.ID {
		t.Fatalf("linked sign-in into %s, want %s", got.User.ID, carol.User.ID)
	}

	// Refused to link by email, the member signs in and links explicitly; then the provider
	// signs them in.
	email = uniqueEmail("dave")
	dave, daveClient := e.srv.SignUpUnverified(t, email, "Dave")
	tok, n = e.acmeToken(t, "sub-dave", email, false)
	expectError(t, e.srv.Client().Do(t, signInMutation, signInVars("acme", tok, n)), "CONFLICT", "", "ACCOUNT_EXISTS_LINK_REQUIRED")
	// Anonymous linking is refused.
	expectError(t, e.srv.Client().Do(t, linkMutation, signInVars("acme", tok, n)), "UNAUTHENTICATED", "", "")
	var linked struct {
		LinkProvider struct {
			LinkedProviders []struct{ Provider, Email string }
		}
	}
	daveClient.Do(t, linkMutation, signInVars("acme", tok, n)).Decode(t, &linked)
	if l := linked.LinkProvider.LinkedProviders; len(l) != 1 || l[0].Provider != "acme" || l[0].Email != email {
		t.Fatalf("linked providers = %+v", l)
	}
	tok, n = e.acmeToken(t, "sub-dave", email, false)
	if got := e.signIn(t, "acme", tok, n); got.User.ID != dave.User.ID {
		t.Fatalf("sign-in after linking into %s, want %s", got.User.ID, dave.User.ID)
	}

	// That provider account cannot be linked to another member.
	_, eveClient := e.srv.SignUp(t)
	tok, n = e.acmeToken(t, "sub-dave", email, false)
	expectError(t, eveClient.Do(t, linkMutation, signInVars("acme", tok, n)), "CONFLICT", "input.idToken", "")
}

func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	e := start(t)
	stranger := oidctest.Start(t) // a conformant provider that is not configured
	n := nonce()
	valid := func() map[string]any {
		c := e.acme.Claims(acmeClient, "sub-x", n)
		c["email"], c["email_verified"] = uniqueEmail("x"), true
		return c
	}
	with := func(k string, v any) map[string]any { c := valid(); c[k] = v; return c }
	hashed := sha256.Sum256([]byte(n))
	for _, tc := range []struct {
		name, provider, token, nonce string
		code, field                  string
	}{
		{"unknown issuer", "acme", stranger.Sign(t, stranger.Claims(acmeClient, "sub-x", n)), n, "UNAUTHENTICATED", "input.idToken"},
		{"another provider's token", "apple", e.acme.Sign(t, valid()), n, "UNAUTHENTICATED", "input.idToken"},
		{"issuer claim of another", "acme", e.acme.Sign(t, with("iss", stranger.Issuer)), n, "UNAUTHENTICATED", "input.idToken"},
		{"wrong audience", "acme", e.acme.Sign(t, with("aud", "someone-else")), n, "UNAUTHENTICATED", "input.idToken"},
		{"expired", "acme", e.acme.Sign(t, with("exp", time.Now().Add(-time.Minute).Unix())), n, "UNAUTHENTICATED", "input.idToken"},
		{"forged signature", "acme", e.acme.SignWithForeignKey(t, valid()), n, "UNAUTHENTICATED", "input.idToken"},
		{"bad nonce", "acme", e.acme.Sign(t, valid()), nonce(), "UNAUTHENTICATED", "input.idToken"},
		{"no nonce claim", "acme", e.acme.Sign(t, with("nonce", "")), n, "UNAUTHENTICATED", "input.idToken"},
		{"hashed nonce where not accepted", "acme", e.acme.Sign(t, with("nonce", hex.EncodeToString(hashed[:]))), n, "UNAUTHENTICATED", "input.idToken"},
		{"not a JWT", "acme", "not.a.jwt", n, "UNAUTHENTICATED", "input.idToken"},
		{"missing nonce", "acme", e.acme.Sign(t, valid()), "", "BAD_USER_INPUT", "input.nonce"},
		{"unknown provider", "nobody", e.acme.Sign(t, valid()), n, "BAD_USER_INPUT", "input.provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.srv.Client().Do(t, signInMutation, signInVars(tc.provider, tc.token, tc.nonce))
			expectError(t, r, tc.code, tc.field, "")
		})
	}
	// The valid token itself is accepted: the cases above fail for their one difference.
	e.signIn(t, "acme", e.acme.Sign(t, valid()), n)
}

func TestUnknownKeyIDFloodIsLimited(t *testing.T) {
	t.Parallel()
	e := start(t)
	tok, n := e.acmeToken(t, "sub-warm", uniqueEmail("warm"), true)
	e.signIn(t, "acme", tok, n) // warms the key set: one fetch
	if got := e.acme.JWKSFetches(); got != 1 {
		t.Fatalf("JWKS fetches after the first sign-in = %d, want 1", got)
	}
	for i := range 40 {
		c := e.acme.Claims(acmeClient, "sub-warm", n)
		r := e.srv.Client().Do(t, signInMutation, signInVars("acme", e.acme.SignWithKeyID(t, c, fmt.Sprintf("random-%d-%s", i, rand.Text())), n))
		expectError(t, r, "UNAUTHENTICATED", "input.idToken", "")
	}
	if got := e.acme.JWKSFetches(); got != 1 {
		t.Fatalf("40 tokens with unknown key ids made %d JWKS fetches in all, want 1 (the refetch is limited)", got)
	}
	// Tokens signed with the cached key still verify.
	tok, n = e.acmeToken(t, "sub-warm", "", false)
	e.signIn(t, "acme", tok, n)
}

func TestUnlink(t *testing.T) {
	t.Parallel()
	e := start(t)
	email := uniqueEmail("erin")
	tok, n := e.acmeToken(t, "sub-erin", email, true)
	erin := e.signIn(t, "acme", tok, n)
	c := e.srv.Client().WithToken(erin.AccessToken)

	// Erin has no password and one provider: unlinking it would lock her out.
	expectError(t, c.Do(t, unlinkMutation, map[string]any{"p": "acme"}), "CONFLICT", "input.provider", "LAST_SIGN_IN_METHOD")
	expectError(t, c.Do(t, unlinkMutation, map[string]any{"p": "apple"}), "NOT_FOUND", "input.provider", "")

	// With a second provider linked, either can go, but not both.
	an := nonce()
	ac := e.apple.Claims(appleClient, "apple-erin", hexSHA256(an))
	c.Do(t, linkMutation, signInVars("apple", e.apple.Sign(t, ac), an)).Decode(t, &struct{}{})
	var out struct {
		UnlinkProvider struct{ LinkedProviders []struct{ Provider string } }
	}
	c.Do(t, unlinkMutation, map[string]any{"p": "acme"}).Decode(t, &out)
	if l := out.UnlinkProvider.LinkedProviders; len(l) != 1 || l[0].Provider != "apple" {
		t.Fatalf("after unlinking acme: %+v", l)
	}
	expectError(t, c.Do(t, unlinkMutation, map[string]any{"p": "apple"}), "CONFLICT", "input.provider", "LAST_SIGN_IN_METHOD")

	// A passkey counts as a way to sign in: with one, the last provider can go; then the passkey
	// is the last way and cannot.
	cer := struct {
		StartPasskeyRegistration struct{ CeremonyID, Options string }
	}{}
	c.Do(t, `mutation { startPasskeyRegistration { ceremonyId options } }`, nil).Decode(t, &cer)
	key := webauthntest.New(t)
	var reg struct {
		FinishPasskeyRegistration struct{ Passkey struct{ ID string } }
	}
	c.Do(t, `mutation($in: FinishPasskeyRegistrationInput!) { finishPasskeyRegistration(input: $in) { passkey { id } } }`,
		map[string]any{"in": map[string]any{"ceremonyId": cer.StartPasskeyRegistration.CeremonyID,
			"credential": key.Register(t, cer.StartPasskeyRegistration.Options, webauthntest.Ceremony{Origin: "http://localhost:8080"})}}).Decode(t, &reg)
	c.Do(t, unlinkMutation, map[string]any{"p": "apple"}).Decode(t, &out)
	if len(out.UnlinkProvider.LinkedProviders) != 0 {
		t.Fatalf("apple still linked: %+v", out.UnlinkProvider.LinkedProviders)
	}
	expectError(t, c.Do(t, `mutation($id: ID!) { removePasskey(input: {id: $id}) { removedPasskeyId } }`,
		map[string]any{"id": reg.FinishPasskeyRegistration.Passkey.ID}), "CONFLICT", "input.id", "LAST_SIGN_IN_METHOD")

	// A member with a password may unlink their only provider.
	frank, fc := e.srv.SignUp(t)
	fn := nonce()
	fc.Do(t, linkMutation, signInVars("acme", e.acme.Sign(t, e.acme.Claims(acmeClient, "sub-frank", fn)), fn)).Decode(t, &struct{}{})
	fc.Do(t, unlinkMutation, map[string]any{"p": "acme"}).Decode(t, &out)
	if len(out.UnlinkProvider.LinkedProviders) != 0 {
		t.Fatalf("%s still has %+v", frank.User.ID, out.UnlinkProvider.LinkedProviders)
	}
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Sign in with Apple: the nonce claim is the SHA-256 of the app's nonce, email_verified is a
// string, the email comes only with the first sign-in and may be a private relay address.
func TestApple(t *testing.T) {
	t.Parallel()
	e := start(t)
	relay := rand.Text()[:12] + "@privaterelay.appleid.com"
	n := nonce()
	c := e.apple.Claims(appleClient, "001234.apple-sub", hexSHA256(n))
	c["email"], c["email_verified"], c["is_private_email"] = relay, "true", "true"
	first := e.signIn(t, "apple", e.apple.Sign(t, c), n)
	if first.User.Email != relay || !e.localEmailVerified(t, relay) {
		t.Fatalf("apple member = %+v (verified %v)", first.User, e.localEmailVerified(t, relay))
	}

	// Later sign-ins carry no email; the raw nonce in the claim is accepted too.
	n = nonce()
	again := e.signIn(t, "apple", e.apple.Sign(t, e.apple.Claims(appleClient, "001234.apple-sub", n)), n)
	if again.User.ID != first.User.ID {
		t.Fatalf("apple sign-in again into %s, want %s", again.User.ID, first.User.ID)
	}
	// The email from the first sign-in is kept on the identity.
	n = nonce()
	var linked struct {
		LinkProvider struct {
			LinkedProviders []struct{ Provider, Email string }
		}
	}
	e.srv.Client().WithToken(again.AccessToken).Do(t, linkMutation,
		signInVars("apple", e.apple.Sign(t, e.apple.Claims(appleClient, "001234.apple-sub", hexSHA256(n))), n)).Decode(t, &linked)
	if l := linked.LinkProvider.LinkedProviders; len(l) != 1 || l[0].Email != relay {
		t.Fatalf("apple identity = %+v, want email %s kept", l, relay)
	}

	// "false" as a string is not verified: a matching local account is not linked.
	email := uniqueEmail("gina")
	e.srv.SignUpAs(t, email, "Gina")
	e.verifyLocalEmail(t, email)
	n = nonce()
	c = e.apple.Claims(appleClient, "apple-gina", hexSHA256(n))
	c["email"], c["email_verified"] = email, "false"
	expectError(t, e.srv.Client().Do(t, signInMutation, signInVars("apple", e.apple.Sign(t, c), n)), "CONFLICT", "", "ACCOUNT_EXISTS_LINK_REQUIRED")

	// A first sign-in without an email cannot make an account.
	n = nonce()
	r := e.srv.Client().Do(t, signInMutation, signInVars("apple", e.apple.Sign(t, e.apple.Claims(appleClient, "apple-new", hexSHA256(n))), n))
	expectError(t, r, "BAD_USER_INPUT", "input.idToken", "PROVIDER_EMAIL_MISSING")
}

func TestSignInAttemptsShareTheLogInBudget(t *testing.T) {
	t.Parallel()
	acme := oidctest.Start(t)
	cfg := apitest.Config(t)
	cfg.OIDCProviders = config.OIDCProviders{{Name: "acme", Issuer: acme.Issuer, ClientIDs: []string{acmeClient}}}
	cfg.RateLogInIP = config.Rate{Tokens: 3, Interval: time.Hour}
	srv := apitest.Start(t, cfg)
	e := env{srv: srv, acme: acme}
	// An odd name from the provider (control characters) falls back to the email's local part.
	n := nonce()
	c := acme.Claims(acmeClient, "sub-odd", n)
	email := uniqueEmail("odd")
	c["email"], c["name"] = email, "\x01\x02"
	if got := e.signIn(t, "acme", acme.Sign(t, c), n); got.User.DisplayName != email[:len("odd-")+10] {
		t.Fatalf("display name %q", got.User.DisplayName)
	}
	for range 2 {
		expectError(t, srv.Client().Do(t, signInMutation, signInVars("acme", "not.a.jwt", n)), "UNAUTHENTICATED", "", "")
	}
	expectError(t, srv.Client().Do(t, signInMutation, signInVars("acme", "not.a.jwt", n)), "RATE_LIMITED", "", "")
}

// The nonce is the app's, so a stolen token and nonce would be indistinguishable from the app's
// call: each token is accepted once. A refused sign-in does not spend it.
func TestTokenReplay(t *testing.T) {
	t.Parallel()
	e := start(t)
	email := uniqueEmail("hana")
	tok, n := e.acmeToken(t, "sub-hana", email, true)
	first := e.signIn(t, "acme", tok, n)
	r := e.srv.Client().Do(t, signInMutation, signInVars("acme", tok, n))
	expectError(t, r, "UNAUTHENTICATED", "input.idToken", "")
	// Nor can it be replayed to link the provider account elsewhere.
	_, other := e.srv.SignUp(t)
	expectError(t, other.Do(t, linkMutation, signInVars("acme", tok, n)), "UNAUTHENTICATED", "input.idToken", "")
	// A fresh token works.
	tok, n = e.acmeToken(t, "sub-hana", email, true)
	if got := e.signIn(t, "acme", tok, n); got.User.ID != first.User.ID {
		t.Fatalf("fresh token signed into %s, want %s", got.User.ID, first.User.ID)
	}

	// Refused for linking (the local email is unverified), then accepted once it is verified.
	email = uniqueEmail("ivan")
	ivan, _ := e.srv.SignUpUnverified(t, email, "Ivan")
	tok, n = e.acmeToken(t, "sub-ivan", email, true)
	expectError(t, e.srv.Client().Do(t, signInMutation, signInVars("acme", tok, n)), "CONFLICT", "", "ACCOUNT_EXISTS_LINK_REQUIRED")
	e.verifyLocalEmail(t, email)
	if got := e.signIn(t, "acme", tok, n); got.User.ID != ivan.User.ID {
		t.Fatalf("signed into %s, want %s", got.User.ID, ivan.User.ID)
	}

	// Uses of expired tokens are purged; the others are kept.
	ctx := context.Background()
	if _, err := e.srv.App.Pool.Exec(ctx, `INSERT INTO oidc_token_uses (token_hash, expires_at) VALUES (sha256('old'), now() - interval '1 minute')`); err != nil {
		t.Fatal(err)
	}
	var before int
	if err := e.srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM oidc_token_uses`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	done, err := e.srv.App.Retention.Run(ctx)
	if purged := done["used OpenID Connect ID tokens"]; err != nil || purged != 1 {
		t.Fatalf("purged %d, %v; want 1", purged, err)
	}
	var after int
	if err := e.srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM oidc_token_uses`).Scan(&after); err != nil || after != before-1 || after == 0 {
		t.Fatalf("%d uses left of %d (%v)", after, before, err)
	}
}

// TestLinkingNeedsARecentSignIn: linking and unlinking change how the account can be entered, so
// a session signed in long ago must reauthenticate first; and the account's sign-in methods say
// which it has (a provider-made account has no password).
func TestLinkingNeedsARecentSignIn(t *testing.T) {
	t.Parallel()
	e := start(t)
	email := uniqueEmail("gus")
	tok, n := e.acmeToken(t, "sub-gus", email, true)
	gus := e.signIn(t, "acme", tok, n)
	c := e.srv.Client().WithToken(gus.AccessToken)
	var sec struct {
		Viewer struct{ Security struct{ Methods []string } }
	}
	c.Do(t, `{ viewer { security { methods } } }`, nil).Decode(t, &sec)
	if fmt.Sprint(sec.Viewer.Security.Methods) != "[PROVIDER]" {
		t.Fatalf("a provider-made account's methods: %v", sec.Viewer.Security.Methods)
	}

	if _, err := e.srv.App.Pool.Exec(context.Background(),
		`UPDATE auth_sessions SET authenticated_at = authenticated_at - interval '1 hour' WHERE user_id = (SELECT id FROM users WHERE email = $1)`, email); err != nil {
		t.Fatal(err)
	}
	an := nonce()
	appleToken := e.apple.Sign(t, e.apple.Claims(appleClient, "apple-gus", hexSHA256(an)))
	expectError(t, c.Do(t, linkMutation, signInVars("apple", appleToken, an)), "FORBIDDEN", "", "RECENT_AUTH_REQUIRED")
	expectError(t, c.Do(t, unlinkMutation, map[string]any{"p": "acme"}), "FORBIDDEN", "", "RECENT_AUTH_REQUIRED")

	// Signing in again with the provider is a fresh authentication.
	tok, n = e.acmeToken(t, "sub-gus", email, true)
	c = e.srv.Client().WithToken(e.signIn(t, "acme", tok, n).AccessToken)
	c.Do(t, linkMutation, signInVars("apple", appleToken, an)).Decode(t, &struct{}{})
	c.Do(t, `{ viewer { security { methods } } }`, nil).Decode(t, &sec)
	if fmt.Sprint(sec.Viewer.Security.Methods) != "[PROVIDER]" {
		t.Fatalf("methods after linking a second provider: %v", sec.Viewer.Security.Methods)
	}
}

// TestUnverifiedProviderEmailIsVerifiedByMail: an account a provider creates without vouching for
// its email gets the verification email a password sign-up gets; one it vouches for does not.
func TestUnverifiedProviderEmailIsVerifiedByMail(t *testing.T) {
	t.Parallel()
	e := start(t)
	jobs := func(email string) int {
		var n int
		if err := e.srv.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job
			WHERE kind = 'verification_email' AND (args->>'user_id')::uuid = (SELECT id FROM users WHERE email = $1)`, email).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, verified := range []bool{false, true} {
		email := uniqueEmail(fmt.Sprintf("jo-%t", verified))
		tok, n := e.acmeToken(t, "sub-"+email, email, verified)
		e.signIn(t, "acme", tok, n)
		want := 1
		if verified {
			want = 0
		}
		if got := jobs(email); got != want || e.localEmailVerified(t, email) != verified {
			t.Errorf("provider verified=%t: %d verification emails queued (want %d), account verified=%t",
				verified, got, want, e.localEmailVerified(t, email))
		}
	}
}
