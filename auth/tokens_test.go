package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestVerifyRemembersValidTokensButNotPastTheirExpiry(t *testing.T) {
	key, err := RandomSigningKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	toks, err := NewTokens(TokenConfig{Issuer: "iss", Audience: "aud", TTL: time.Minute, Keys: []SigningKey{key}, ActiveKeyID: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	toks.now = func() time.Time { return clock }
	user, session := uuid.New(), uuid.New()
	raw, exp, err := toks.Issue(user, session, clock)
	if err != nil {
		t.Fatal(err)
	}

	for i := range 2 { // the second answer comes from memory
		v, err := toks.Verify(raw)
		if err != nil || v.UserID != user || v.AuthSessionID != session || !v.ExpiresAt.Equal(exp.Truncate(time.Second)) {
			t.Fatalf("verify %d: %+v, %v", i, v, err)
		}
	}
	if len(toks.verified) != 1 {
		t.Fatalf("%d tokens remembered, want 1", len(toks.verified))
	}

	// A tampered token is never taken for the remembered one, and failures are not remembered.
	tampered := raw[:len(raw)-2] + strings.Map(func(r rune) rune { return 'A' + (r-'A'+1)%26 }, raw[len(raw)-2:])
	if _, err := toks.Verify(tampered); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("tampered token: %v", err)
	}
	if len(toks.verified) != 1 {
		t.Fatalf("a failure was remembered")
	}

	// Within the leeway after exp it is still accepted, then expired, remembered or not.
	clock = exp.Add(leeway - time.Second)
	if _, err := toks.Verify(raw); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	clock = exp.Add(leeway)
	if _, err := toks.Verify(raw); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("remembered token after expiry: %v", err)
	}
	clear(toks.verified)
	if _, err := toks.Verify(raw); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("token after expiry: %v", err)
	}
}
