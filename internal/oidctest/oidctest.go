// Package oidctest runs a real OpenID provider for tests and benchmarks: an HTTP server serving a
// discovery document and a JWKS, and ID tokens signed with its own RSA key (go-jose). The code
// under test verifies them over HTTP like any provider's, so a test checks the verification, not
// tokens checked by the code that made them.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is its issuer URL (the server's base URL).
	Issuer string
	// KeyID is the id of the key it publishes and signs with.
	KeyID string

	key         *rsa.PrivateKey
	jwksFetches atomic.Int64
}

// Start runs a provider until the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: rsa key: %v", err)
	}
	p := &Provider{key: key, KeyID: "key-" + rand.Text()[:8]}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p.Issuer = srv.URL
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{
			"issuer":                                p.Issuer,
			"authorization_endpoint":                p.Issuer + "/authorize",
			"token_endpoint":                        p.Issuer + "/token",
			"jwks_uri":                              p.Issuer + "/jwks",
			"response_types_supported":              []string{"code", "id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		p.jwksFetches.Add(1)
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
			Key: &p.key.PublicKey, KeyID: p.KeyID, Algorithm: string(jose.RS256), Use: "sig",
		}}})
	})
	return p
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// JWKSFetches counts the key-set requests served so far.
func (p *Provider) JWKSFetches() int64 { return p.jwksFetches.Load() }

// Claims returns the claims of a fresh ID token for audience, subject and nonce, valid for an
// hour; change them before Sign.
func (p *Provider) Claims(audience, subject, nonce string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": p.Issuer, "aud": audience, "sub": subject, "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// Sign signs claims with the provider's key under its key id.
func (p *Provider) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	return p.SignWithKeyID(t, claims, p.KeyID)
}

// SignWithKeyID signs claims with the provider's key but names kid in the header (a key id the
// JWKS may not hold).
func (p *Provider) SignWithKeyID(t testing.TB, claims map[string]any, kid string) string {
	t.Helper()
	return sign(t, p.key, kid, claims)
}

// SignWithForeignKey signs claims with a key the provider does not publish, under its key id
// (a forged signature).
func (p *Provider) SignWithForeignKey(t testing.TB, claims map[string]any) string {
	t.Helper()
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: rsa key: %v", err)
	}
	return sign(t, other, p.KeyID, claims)
}

func sign(t testing.TB, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("oidctest: signer: %v", err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatalf("oidctest: sign: %v", err)
	}
	return raw
}
