package identities_test

import (
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestProviderSignUpRecordsConsent: a provider sign-up that carries the accepted versions records
// them (source PROVIDER_SIGN_UP) and may message at once; one without them is created but gated
// (CONSENT_REQUIRED); a wrong version refuses the sign-up; signing in again ignores the fields.
func TestProviderSignUpRecordsConsent(t *testing.T) {
	t.Parallel()
	e := start(t)
	terms, privacy := e.srv.Config.TermsVersion, e.srv.Config.PrivacyPolicyVersion
	const viewer = `{ viewer { consentRequired marketingConsent consents { document source granted } } }`
	type view struct {
		Viewer struct {
			ConsentRequired  []string
			MarketingConsent bool
			Consents         []struct {
				Document, Source string
				Granted          bool
			}
		}
	}
	other, _ := e.srv.SignUp(t)
	const open = `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`

	tok, n := e.acmeToken(t, "sub-consent-yes", uniqueEmail("consent-yes"), true)
	vars := signInVars("acme", tok, n)
	in := vars["in"].(map[string]any)
	in["termsVersion"], in["privacyPolicyVersion"], in["marketingConsent"] = terms, privacy, true
	var out struct{ SignInWithProvider apitest.Tokens }
	apitest.Must(t, e.srv.Client().Do(t, signInMutation, vars)).Decode(t, &out)
	c := e.srv.Client().WithToken(out.SignInWithProvider.AccessToken)
	var v view
	apitest.Must(t, c.Do(t, viewer, nil)).Decode(t, &v)
	if len(v.Viewer.ConsentRequired) != 0 || !v.Viewer.MarketingConsent || len(v.Viewer.Consents) != 3 {
		t.Fatalf("provider sign-up with consent: %+v", v.Viewer)
	}
	for _, cs := range v.Viewer.Consents {
		if cs.Source != "PROVIDER_SIGN_UP" || !cs.Granted {
			t.Fatalf("consent %+v", cs)
		}
	}
	apitest.Must(t, c.Do(t, open, map[string]any{"u": other.User.ID}))

	// Without the versions: created (the provider verified the email), gated by consent only.
	tok, n = e.acmeToken(t, "sub-consent-no", uniqueEmail("consent-no"), true)
	no := e.signIn(t, "acme", tok, n)
	c = e.srv.Client().WithToken(no.AccessToken)
	v = view{}
	apitest.Must(t, c.Do(t, viewer, nil)).Decode(t, &v)
	if len(v.Viewer.ConsentRequired) != 2 || len(v.Viewer.Consents) != 0 {
		t.Fatalf("provider sign-up without consent: %+v", v.Viewer)
	}
	r := c.Do(t, open, map[string]any{"u": other.User.ID})
	if r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "CONSENT_REQUIRED" {
		t.Fatalf("gated action: %s", r.Raw)
	}

	// A wrong version refuses the sign-up: no account is made.
	email := uniqueEmail("consent-old")
	tok, n = e.acmeToken(t, "sub-consent-old", email, true)
	vars = signInVars("acme", tok, n)
	vars["in"].(map[string]any)["termsVersion"] = "1999-01-01"
	expectError(t, e.srv.Client().Do(t, signInMutation, vars), "BAD_USER_INPUT", "input.termsVersion", "")
	var exists bool
	if err := e.srv.App.Pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)`, email).Scan(&exists); err != nil || exists {
		t.Fatalf("refused sign-up created an account (%v)", err)
	}
}
