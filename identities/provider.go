package identities

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/time/rate"
)

// AppleIssuer is Sign in with Apple's issuer: its tokens carry the SHA-256 of the app's nonce.
const AppleIssuer = "https://appleid.apple.com"

// Provider is one configured OpenID Connect provider.
type Provider struct {
	// Name is what the app sends as `provider`.
	Name string
	// Issuer is the provider's issuer URL (discovery at <Issuer>/.well-known/openid-configuration).
	Issuer string
	// ClientIDs are the accepted audiences (one per app platform).
	ClientIDs []string
	// HashedNonce also accepts a nonce claim equal to the hex SHA-256 of the app's nonce.
	HashedNonce bool
}

// claims is what we read from a verified ID token.
type claims struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// Expiry is the token's exp; TokenHash its SHA-256 (to accept each token once).
	Expiry    time.Time
	TokenHash []byte
}

// rawClaims decodes the claims we use. Apple sends email_verified as a string ("true"), others
// as a boolean.
type rawClaims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	Name          string   `json:"name"`
	Nonce         string   `json:"nonce"`
}

// flexBool is a JSON boolean that may also come as the string "true" or "false" (Apple).
type flexBool bool

// UnmarshalJSON accepts true, false, "true" and "false"; anything else is false.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.ToLower(strings.Trim(string(data), `"`)) {
	case "true":
		*b = true
	default:
		*b = false
	}
	return nil
}

// oidcProvider verifies the ID tokens of one provider through go-oidc. Discovery happens at the
// first use (a provider down at start-up must not stop the server) and is retried at most once
// per retryDiscovery after a failure.
type oidcProvider struct {
	cfg    Provider
	client *http.Client

	mu         sync.Mutex
	verifier   *oidc.IDTokenVerifier
	failedAt   time.Time
	failure    error
	retryAfter time.Duration
}

func newOIDCProvider(cfg Provider, base http.RoundTripper, jwksMinInterval time.Duration) *oidcProvider {
	return &oidcProvider{
		cfg: cfg,
		client: &http.Client{
			Timeout:   10 * time.Second,
			Transport: &jwksGate{next: base, discovery: discoveryURL(cfg.Issuer), limiter: rate.NewLimiter(rate.Every(jwksMinInterval), 1)},
		},
		retryAfter: 10 * time.Second,
	}
}

func discoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// errVerifierUnavailable means the provider's discovery document could not be read.
var errVerifierUnavailable = errors.New("provider discovery failed")

// idTokenVerifier returns the provider's verifier, discovering it first when needed.
func (p *oidcProvider) idTokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil {
		return p.verifier, nil
	}
	if p.failure != nil && time.Since(p.failedAt) < p.retryAfter {
		return nil, fmt.Errorf("%w: %w", errVerifierUnavailable, p.failure)
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	// The client in the context is also the one go-oidc's key set fetches the JWKS with.
	prov, err := oidc.NewProvider(oidc.ClientContext(dctx, p.client), p.cfg.Issuer)
	if err != nil {
		p.failure, p.failedAt = err, time.Now()
		return nil, fmt.Errorf("%w: %w", errVerifierUnavailable, err)
	}
	// Several client ids may be accepted (one per app platform) and go-oidc checks one: the
	// audience is checked against the allow-list right after Verify (checkAudience). Signature
	// (through the JWKS of the discovery document), issuer and expiry are go-oidc's checks.
	p.verifier = prov.Verifier(&oidc.Config{SkipClientIDCheck: true})
	p.failure = nil
	return p.verifier, nil
}

// verify checks an ID token and the nonce the app sent with it, and returns its claims.
func (p *oidcProvider) verify(ctx context.Context, rawToken, nonce string) (claims, error) {
	v, err := p.idTokenVerifier(ctx)
	if err != nil {
		return claims{}, err
	}
	tok, err := v.Verify(ctx, rawToken)
	if err != nil {
		return claims{}, fmt.Errorf("verify id token: %w", err)
	}
	if !slices.ContainsFunc(tok.Audience, func(aud string) bool { return slices.Contains(p.cfg.ClientIDs, aud) }) {
		return claims{}, fmt.Errorf("verify id token: audience %q not accepted", tok.Audience)
	}
	var rc rawClaims
	if err := tok.Claims(&rc); err != nil {
		return claims{}, fmt.Errorf("verify id token: claims: %w", err)
	}
	if !p.nonceMatches(rc.Nonce, nonce) {
		return claims{}, errors.New("verify id token: nonce does not match")
	}
	sum := sha256.Sum256([]byte(rawToken))
	return claims{
		Issuer: tok.Issuer, Subject: tok.Subject,
		Email: strings.TrimSpace(rc.Email), EmailVerified: bool(rc.EmailVerified), Name: strings.TrimSpace(rc.Name),
		Expiry: tok.Expiry, TokenHash: sum[:],
	}, nil
}

// nonceMatches compares the token's nonce claim with the nonce the app sent: equal, or (for
// providers that hash it, such as Apple) the hex SHA-256 of it. An empty claim never matches.
func (p *oidcProvider) nonceMatches(claim, nonce string) bool {
	if claim == "" || nonce == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(claim), []byte(nonce)) == 1 {
		return true
	}
	if !p.cfg.HashedNonce {
		return false
	}
	sum := sha256.Sum256([]byte(nonce))
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(claim)), []byte(hex.EncodeToString(sum[:]))) == 1
}

// errJWKSThrottled refuses a key-set fetch asked for too soon after the last one.
var errJWKSThrottled = errors.New("jwks refetch throttled")

// jwksGate lets at most one key-set fetch through per interval (burst 1). go-oidc refetches the
// key set whenever a token names a key id it does not hold, so without it every forged token with
// a random "kid" would cost the provider a request; with it a flood costs one per interval, and
// tokens signed by cached keys are unaffected. Discovery requests pass (they are made once, and
// retried at most every few seconds after a failure).
type jwksGate struct {
	next      http.RoundTripper
	discovery string
	limiter   *rate.Limiter
}

// RoundTrip implements http.RoundTripper.
func (g *jwksGate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.String() != g.discovery && !g.limiter.Allow() {
		return nil, errJWKSThrottled
	}
	next := g.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}
