package bench

import (
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/oidctest"
)

// BenchmarkOIDCSignIn measures signInWithProvider end to end over HTTP for a member whose
// provider identity is already linked, with the provider's key set cached (warm JWKS): GraphQL
// parsing and validation, the ID token's verification by go-oidc (RS256 signature, issuer,
// expiry), the audience and nonce checks, the identity lookup and the transaction that records
// the sign-in (the token's single use, the identity) and opens a session (session row, refresh
// token, access token). No password hash is involved. It needs the test database (TEST_DATABASE_URL, as the integration tests).
//
// It reports p50 and p99 of the request latency (token signing, done by the in-test provider,
// is outside the measured span). Issue 14's target: p99 ≤ 10 ms.
//
// Run it with: go test -run '^$' -bench OIDCSignIn -benchtime 2000x ./bench/
func BenchmarkOIDCSignIn(b *testing.B) {
	op := oidctest.Start(b)
	cfg := apitest.Config(b)
	cfg.OIDCProviders = config.OIDCProviders{{Name: "acme", Issuer: op.Issuer, ClientIDs: []string{"bench-app"}}}
	srv := apitest.Start(b, cfg)
	c := srv.Client()
	const mutation = `mutation($in: SignInWithProviderInput!) { signInWithProvider(input: $in) { accessToken refreshToken user { id } session { id } } }`

	// Each ID token is accepted once, so every sign-in gets its own, signed before timing starts.
	type signed struct{ token, nonce string }
	sign := func(count int) []signed {
		out := make([]signed, count)
		for i := range out {
			n := rand.Text()
			claims := op.Claims("bench-app", "bench-subject", n)
			claims["email"], claims["email_verified"] = "bench-oidc@example.com", true
			out[i] = signed{op.Sign(b, claims), n}
		}
		return out
	}
	signIn := func(s signed) {
		r := c.Do(b, mutation, map[string]any{"in": map[string]any{"provider": "acme", "idToken": s.token, "nonce": s.nonce}})
		if len(r.Errors) > 0 {
			b.Fatalf("sign-in failed: %s", r.Raw)
		}
	}
	// The first sign-in creates the member and fetches the key set; then warm up.
	for _, s := range sign(20) {
		signIn(s)
	}
	if got := op.JWKSFetches(); got != 1 {
		b.Fatalf("JWKS fetched %d times while warming, want 1", got)
	}

	tokens := sign(b.N)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		signIn(tokens[i])
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	if got := op.JWKSFetches(); got != 1 {
		b.Fatalf("JWKS fetched %d times, want 1 (the cache must stay warm)", got)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat)), "samples")
}
