package auth

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/skillswap/skillswap/sealbox"
	"github.com/skillswap/skillswap/store"
)

// BenchmarkTOTPVerify measures the CPU cost of checking one TOTP code, the second step of a
// two-step logIn besides its SQL (ticket lookup, spending the step, opening the session):
// decrypting the secret (AES-256-GCM) and computing the codes of the skew window (HMAC-SHA1).
// The code given is the next step's, the worst case: all three steps are computed.
//
// Run it with: go test -run '^$' -bench TOTPVerify -benchmem ./auth/
func BenchmarkTOTPVerify(b *testing.B) {
	keys, err := sealbox.Ephemeral()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	s := &Service{keys: keys, totpNow: func() time.Time { return now }}
	userID := uuid.New()
	k, err := totp.Generate(totp.GenerateOpts{Issuer: "SkillSwap", AccountName: "bench@example.com", SecretSize: 20})
	if err != nil {
		b.Fatal(err)
	}
	enc, err := s.seal(userID, []byte(k.Secret()))
	if err != nil {
		b.Fatal(err)
	}
	code, err := totp.GenerateCodeCustom(k.Secret(), now.Add(totpPeriod*time.Second), totpOpts)
	if err != nil {
		b.Fatal(err)
	}
	row := store.UserTOTP{UserID: userID, SecretEnc: enc}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := s.matchTOTP(userID, row, code); err != nil || !ok {
			b.Fatalf("match: ok=%v err=%v", ok, err)
		}
	}
}
