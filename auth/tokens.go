package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// SigningKey is one HMAC key of the access-token key set.
type SigningKey struct {
	// ID goes in the token's `kid` header.
	ID string
	// Secret is at least 32 random bytes.
	Secret []byte
}

// TokenConfig configures access tokens.
type TokenConfig struct {
	Issuer   string
	Audience string
	TTL      time.Duration
	// Keys verify tokens; ActiveKeyID names the one that signs new tokens. Rotation: add a new key,
	// make it active, and remove the old one once every token it signed has expired (after TTL).
	Keys        []SigningKey
	ActiveKeyID string
	// Now is the clock of expiry checks (exp, iat, nbf); nil: time.Now. Tests that move the
	// auth service's clock (Config.Now) give it here too.
	Now func() time.Time
}

// Tokens issues and verifies access tokens: HS256 JWTs with a pinned algorithm, required exp,
// iss and aud, and a kid from a fixed key set.
type Tokens struct {
	cfg    TokenConfig
	keys   map[string][]byte
	active SigningKey
	parser *jwt.Parser
	now    func() time.Time // the clock of expiry checks (tests move it)

	// verified remembers tokens that passed Verify, so that a client's requests with the same
	// token skip the HMAC and the decoding of its claims: 5 % of a server's CPU in the real-time
	// benchmark. Only successes are kept, and a remembered token still expires on time.
	mu       sync.Mutex
	verified map[string]VerifiedToken
}

// verifiedCap bounds the remembered tokens (about 4 MiB); when full they are all forgotten,
// which costs one verification per active client.
const verifiedCap = 10000

// leeway is the clock skew tolerated on exp, iat and nbf.
const leeway = 5 * time.Second

// AccessClaims are the claims of an access token.
type AccessClaims struct {
	jwt.RegisteredClaims
	// AuthSessionID is the login session (refresh-token family) the token belongs to.
	AuthSessionID string `json:"sid"`
}

// NewTokens validates cfg and returns an issuer/verifier.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("tokens: issuer and audience are required")
	}
	if cfg.TTL <= 0 {
		return nil, errors.New("tokens: TTL must be positive")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	t := &Tokens{cfg: cfg, keys: map[string][]byte{}, now: now, verified: map[string]VerifiedToken{}}
	for _, k := range cfg.Keys {
		if k.ID == "" || len(k.Secret) < 32 {
			return nil, fmt.Errorf("tokens: key %q needs an id and at least 32 bytes of secret", k.ID)
		}
		if _, dup := t.keys[k.ID]; dup {
			return nil, fmt.Errorf("tokens: duplicate key id %q", k.ID)
		}
		t.keys[k.ID] = k.Secret
		if k.ID == cfg.ActiveKeyID {
			t.active = k
		}
	}
	if t.active.ID == "" {
		return nil, fmt.Errorf("tokens: active key %q is not in the key set", cfg.ActiveKeyID)
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return t.now() }),
	)
	return t, nil
}

// RandomSigningKey returns a fresh key (for development, when no key set is configured).
func RandomSigningKey(id string) (SigningKey, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return SigningKey{}, fmt.Errorf("random signing key: %w", err)
	}
	return SigningKey{ID: id, Secret: secret}, nil
}

// Issue signs an access token for a user's session; it returns the token and its expiry.
func (t *Tokens) Issue(userID, authSessionID uuid.UUID, now time.Time) (string, time.Time, error) {
	exp := now.Add(t.cfg.TTL)
	claims := AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.cfg.Issuer,
			Subject:   userID.String(),
			Audience:  jwt.ClaimStrings{t.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
		AuthSessionID: authSessionID.String(),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["kid"] = t.active.ID
	signed, err := tok.SignedString(t.active.Secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, exp, nil
}

// VerifiedToken is what a valid access token says.
type VerifiedToken struct {
	UserID        uuid.UUID
	AuthSessionID uuid.UUID
	ExpiresAt     time.Time
}

// Errors of Verify; their text is safe to show.
var (
	ErrTokenExpired = errors.New("access token expired")
	ErrTokenInvalid = errors.New("access token invalid")
)

// Verify checks signature, algorithm, key id, issuer, audience and expiry.
func (t *Tokens) Verify(raw string) (VerifiedToken, error) {
	t.mu.Lock()
	v, ok := t.verified[raw]
	t.mu.Unlock()
	if ok {
		// Verified before: only time can have changed the answer, and only through exp (iat and
		// nbf only become truer).
		if !t.now().Before(v.ExpiresAt.Add(leeway)) {
			return VerifiedToken{}, ErrTokenExpired
		}
		return v, nil
	}
	var claims AccessClaims
	_, err := t.parser.ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		secret, ok := t.keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return secret, nil
	})
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return VerifiedToken{}, ErrTokenExpired
		}
		return VerifiedToken{}, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	uid, err1 := uuid.Parse(claims.Subject)
	sid, err2 := uuid.Parse(claims.AuthSessionID)
	if err1 != nil || err2 != nil {
		return VerifiedToken{}, fmt.Errorf("%w: bad subject or session", ErrTokenInvalid)
	}
	v = VerifiedToken{UserID: uid, AuthSessionID: sid, ExpiresAt: claims.ExpiresAt.Time}
	t.mu.Lock()
	if len(t.verified) >= verifiedCap {
		clear(t.verified)
	}
	t.verified[raw] = v
	t.mu.Unlock()
	return v, nil
}
