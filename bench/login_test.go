package bench

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
)

// The demo password of bench/run.sh's seeded members; any password of that length costs the same.
const benchPassword = "swap-skills-2026!"

// BenchmarkLogIn measures the CPU cost of the password check of one logIn call: argon2id
// verification with the production parameters (auth.OWASPArgon2: m=19 MiB, t=2, p=1, which are
// also config's PASSWORD_HASH_* defaults). It is the dominant cost of logIn; the rest (one user
// lookup, one transaction inserting a session and a refresh token, signing a JWT) is measured
// end to end over HTTP by bench/run.sh.
//
//   - serial:   one verification at a time: the latency floor of a logIn.
//   - parallel: GOMAXPROCS verifications at once (b.RunParallel): ns/op is wall time divided by
//     the number of verifications, so 1e9/ns_per_op is the machine's verification ceiling in
//     logins/s.
//   - oversubscribed: 2 x GOMAXPROCS at once, as many as the server's Hasher lets run together.
//
// Run it with: go test -run '^$' -bench LogIn -benchmem -benchtime 50x ./bench/
func BenchmarkLogIn(b *testing.B) {
	ctx := context.Background()
	hasher, err := auth.NewHasher(auth.OWASPArgon2)
	if err != nil {
		b.Fatal(err)
	}
	encoded, err := hasher.Hash(ctx, benchPassword)
	if err != nil {
		b.Fatal(err)
	}
	// Sanity: the benchmark must measure successful verifications, not early rejections.
	if ok, err := hasher.Verify(ctx, benchPassword, encoded); err != nil || !ok {
		b.Fatalf("verify of the right password: ok=%v err=%v", ok, err)
	}

	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ok, err := hasher.Verify(ctx, benchPassword, encoded)
			if err != nil || !ok {
				b.Fatalf("verify: ok=%v err=%v", ok, err)
			}
		}
	})
	// parallel: one verification per P at a time; oversubscribed: two per P, the most the
	// server's Hasher admits at once (2 x GOMAXPROCS slots), which is what a burst of logins gets.
	for _, c := range []struct {
		name        string
		parallelism int
	}{{"parallel", 1}, {"oversubscribed", 2}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(c.parallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ok, err := hasher.Verify(ctx, benchPassword, encoded)
					if err != nil || !ok {
						b.Errorf("verify: ok=%v err=%v", ok, err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAccessTokenVerify measures the CPU cost of checking the bearer token of one
// authenticated request (HS256 JWT parse and verify with the server's parser options), the
// part of `viewer` authentication that happens before the session lookup in SQL.
func BenchmarkAccessTokenVerify(b *testing.B) {
	key, err := auth.RandomSigningKey("bench")
	if err != nil {
		b.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{
		Issuer: "skillswap", Audience: "skillswap-api", TTL: 15 * time.Minute,
		Keys: []auth.SigningKey{key}, ActiveKeyID: key.ID,
	})
	if err != nil {
		b.Fatal(err)
	}
	raw, _, err := tokens.Issue(uuid.New(), uuid.New(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(raw); err != nil {
			b.Fatal(err)
		}
	}
}
