package auth_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
)

const (
	consentViewer = `{ viewer { id consentRequired marketingConsent consents(first: 10) { id document version granted source at } } }`
	acceptMut     = `mutation($in: AcceptPoliciesInput!) { acceptPolicies(input: $in) { user { consentRequired } } }`
	openDirectMut = `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`
)

type consentView struct {
	Viewer struct {
		ID               string
		ConsentRequired  []string
		MarketingConsent *bool
		Consents         []struct {
			ID, Document, Source string
			Version              *string
			Granted              bool
		}
	}
}

func readConsent(t *testing.T, c *apitest.Client) consentView {
	t.Helper()
	var v consentView
	apitest.Must(t, c.Do(t, consentViewer, nil)).Decode(t, &v)
	return v
}

// expectReason checks a refusal's code and extensions.reason.
func expectReason(t *testing.T, r *apitest.Response, code, reason string) {
	t.Helper()
	if r.Code() != code || (reason != "" && r.Errors[0].Extensions["reason"] != reason) {
		t.Fatalf("want %s (reason %q), got %s", code, reason, r.Raw)
	}
}

// signUpWith signs up with the given extra input fields and returns an authenticated client.
func signUpWith(t *testing.T, srv *apitest.Server, tag string, extra map[string]any) (apitest.Tokens, *apitest.Client, *apitest.Response) {
	t.Helper()
	in := map[string]any{"email": uniqueEmail(tag), "password": apitest.StrongPassword, "displayName": "Consent " + tag}
	for k, v := range extra {
		in[k] = v
	}
	r := srv.Client().Do(t, signUpMutation, map[string]any{"in": in})
	var out struct{ SignUp apitest.Tokens }
	if r.Code() == "" {
		r.Decode(t, &out)
		// Verified, so only consent stands in the way of the gated actions.
		if _, err := srv.App.Pool.Exec(context.Background(), `UPDATE users SET email_verified_at = now() WHERE email = $1`,
			in["email"]); err != nil {
			t.Fatal(err)
		}
	}
	return out.SignUp, srv.Client().WithToken(out.SignUp.AccessToken), r
}

// TestConsentAtSignUpAndLater: a sign-up that accepts the current versions may message at once;
// one that does not is created (older clients keep working) but consentRequired lists both
// documents and messaging answers CONSENT_REQUIRED until acceptPolicies; versions that are not
// the current ones are BAD_USER_INPUT; marketing consent is apart and has a history.
func TestConsentAtSignUpAndLater(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	terms, privacy := srv.Config.TermsVersion, srv.Config.PrivacyPolicyVersion
	if terms == "" || privacy == "" {
		t.Fatal("the default configuration must require the terms and the privacy policy")
	}
	var docs struct {
		LegalDocuments struct{ TermsVersion, PrivacyPolicyVersion string }
	}
	apitest.Must(t, srv.Client().Do(t, `{ legalDocuments { termsVersion privacyPolicyVersion } }`, nil)).Decode(t, &docs)
	if docs.LegalDocuments.TermsVersion != terms || docs.LegalDocuments.PrivacyPolicyVersion != privacy {
		t.Fatalf("legalDocuments = %+v", docs.LegalDocuments)
	}
	other, _ := srv.SignUp(t)

	// Accepted on the form.
	_, accepted, r := signUpWith(t, srv, "consent-yes", map[string]any{
		"termsVersion": terms, "privacyPolicyVersion": privacy, "marketingConsent": false})
	apitest.Must(t, r)
	v := readConsent(t, accepted)
	if len(v.Viewer.ConsentRequired) != 0 || v.Viewer.MarketingConsent == nil || *v.Viewer.MarketingConsent ||
		len(v.Viewer.Consents) != 3 {
		t.Fatalf("after an accepting sign-up: %+v", v.Viewer)
	}
	for _, c := range v.Viewer.Consents {
		if c.Source != "SIGN_UP" || (c.Document == "MARKETING") == c.Granted {
			t.Fatalf("sign-up consent %+v", c)
		}
	}
	apitest.Must(t, accepted.Do(t, openDirectMut, map[string]any{"u": other.User.ID}))

	// Wrong versions are refused, naming the field; nothing is created.
	_, _, r = signUpWith(t, srv, "consent-old", map[string]any{"termsVersion": "1999-01-01", "privacyPolicyVersion": privacy})
	if r.Code() != "BAD_USER_INPUT" || r.Field() != "input.termsVersion" || r.Errors[0].Extensions["currentVersion"] != terms {
		t.Fatalf("old terms version: %s", r.Raw)
	}

	// Not accepted: created, gated.
	_, later, r := signUpWith(t, srv, "consent-later", nil)
	apitest.Must(t, r)
	v = readConsent(t, later)
	if !slices.Equal(v.Viewer.ConsentRequired, []string{"TERMS", "PRIVACY_POLICY"}) || len(v.Viewer.Consents) != 0 {
		t.Fatalf("after a sign-up without consent: %+v", v.Viewer)
	}
	expectReason(t, later.Do(t, openDirectMut, map[string]any{"u": other.User.ID}), "FORBIDDEN", "CONSENT_REQUIRED")

	r = later.Do(t, acceptMut, map[string]any{"in": map[string]any{}})
	if r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("accepting nothing: %s", r.Raw)
	}
	r = later.Do(t, acceptMut, map[string]any{"in": map[string]any{"privacyPolicyVersion": "nope"}})
	if r.Code() != "BAD_USER_INPUT" || r.Field() != "input.privacyPolicyVersion" {
		t.Fatalf("accepting a wrong version: %s", r.Raw)
	}
	r = later.Do(t, acceptMut, map[string]any{"in": map[string]any{"termsVersion": terms, "source": "SIGN_UP"}})
	if r.Code() != "BAD_USER_INPUT" || r.Field() != "input.source" {
		t.Fatalf("claiming a sign-up source: %s", r.Raw)
	}
	// One document at a time: still gated until both.
	var acc struct {
		AcceptPolicies struct {
			User struct{ ConsentRequired []string }
		}
	}
	apitest.Must(t, later.Do(t, acceptMut, map[string]any{"in": map[string]any{"termsVersion": terms, "source": "SETTINGS"}})).Decode(t, &acc)
	if !slices.Equal(acc.AcceptPolicies.User.ConsentRequired, []string{"PRIVACY_POLICY"}) {
		t.Fatalf("after accepting the terms: %+v", acc)
	}
	expectReason(t, later.Do(t, openDirectMut, map[string]any{"u": other.User.ID}), "FORBIDDEN", "CONSENT_REQUIRED")
	apitest.Must(t, later.Do(t, acceptMut, map[string]any{"in": map[string]any{"privacyPolicyVersion": privacy}})).Decode(t, &acc)
	if len(acc.AcceptPolicies.User.ConsentRequired) != 0 {
		t.Fatalf("after accepting both: %+v", acc)
	}
	apitest.Must(t, later.Do(t, openDirectMut, map[string]any{"u": other.User.ID}))

	// Marketing: granted then withdrawn, each recorded; it gates nothing.
	const marketing = `mutation($g: Boolean!) { setMarketingConsent(input: {granted: $g}) { user { marketingConsent } } }`
	apitest.Must(t, later.Do(t, marketing, map[string]any{"g": true}))
	apitest.Must(t, later.Do(t, marketing, map[string]any{"g": false}))
	v = readConsent(t, later)
	got := []string{}
	for _, c := range v.Viewer.Consents {
		ver := ""
		if c.Version != nil {
			ver = *c.Version
		}
		got = append(got, fmt.Sprintf("%s:%s:%v:%s", c.Document, ver, c.Granted, c.Source))
	}
	want := []string{"MARKETING::false:API", "MARKETING::true:API", "PRIVACY_POLICY:" + privacy + ":true:API", "TERMS:" + terms + ":true:SETTINGS"}
	if !slices.Equal(got, want) || *v.Viewer.MarketingConsent {
		t.Fatalf("history = %v, want %v (marketing %v)", got, want, *v.Viewer.MarketingConsent)
	}

	// Others see none of it.
	var seen struct {
		Node struct {
			ConsentRequired  []string
			MarketingConsent *bool
		}
	}
	apitest.Must(t, accepted.Do(t, `query($id: ID!) { node(id: $id) { ... on User { consentRequired marketingConsent } } }`,
		map[string]any{"id": v.Viewer.ID})).Decode(t, &seen)
	if seen.Node.ConsentRequired != nil || seen.Node.MarketingConsent != nil {
		t.Fatalf("another member sees %+v", seen.Node)
	}
	expectReason(t, accepted.Do(t, `query($id: ID!) { node(id: $id) { ... on User { consents { id } } } }`,
		map[string]any{"id": v.Viewer.ID}), "FORBIDDEN", "")
}

// TestNewTermsVersionGatesEveryone: when the server publishes a new terms version, members who
// accepted the old one are asked again (consentRequired, CONSENT_REQUIRED) until they accept it;
// consent comes before email verification in the one gate.
func TestNewTermsVersionGatesEveryone(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	old := apitest.Start(t, cfg)
	alice, _ := old.SignUp(t)
	bob, _ := old.SignUp(t)
	_, unverified := old.SignUpUnverified(t, uniqueEmail("consent-unverified"), "Unverified")

	cfg.TermsVersion = "2027-01-01"
	srv := apitest.Start(t, cfg) // the same database, the new terms
	c := srv.Client().WithToken(alice.AccessToken)
	v := readConsent(t, c)
	if !slices.Equal(v.Viewer.ConsentRequired, []string{"TERMS"}) {
		t.Fatalf("after a new terms version: %+v", v.Viewer)
	}
	expectReason(t, c.Do(t, openDirectMut, map[string]any{"u": bob.User.ID}), "FORBIDDEN", "CONSENT_REQUIRED")
	// The old version is not enough any more.
	if r := c.Do(t, acceptMut, map[string]any{"in": map[string]any{"termsVersion": old.Config.TermsVersion}}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("accepting the old version: %s", r.Raw)
	}
	apitest.Must(t, c.Do(t, acceptMut, map[string]any{"in": map[string]any{"termsVersion": "2027-01-01"}}))
	apitest.Must(t, c.Do(t, openDirectMut, map[string]any{"u": bob.User.ID}))

	// An unverified member without the new consent hears about consent first, then about email.
	u := srv.Client().WithToken(unverified.Token)
	expectReason(t, u.Do(t, openDirectMut, map[string]any{"u": bob.User.ID}), "FORBIDDEN", "CONSENT_REQUIRED")
	apitest.Must(t, u.Do(t, acceptMut, map[string]any{"in": map[string]any{"termsVersion": "2027-01-01"}}))
	expectReason(t, u.Do(t, openDirectMut, map[string]any{"u": bob.User.ID}), "FORBIDDEN", "EMAIL_NOT_VERIFIED")
}
