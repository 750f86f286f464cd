package bench

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/apitest"
)

// stepClock is the server's TOTP clock in the benchmark: each sign-in moves it one 30-second step
// on, because a code is accepted once per step and the benchmark signs one member in many times.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// next moves the clock one step on and returns the code of the new step for secret.
func (c *stepClock) next(b *testing.B, secret string) string {
	c.mu.Lock()
	c.t = c.t.Add(30 * time.Second)
	now := c.t
	c.mu.Unlock()
	code, err := totp.GenerateCodeCustom(secret, now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		b.Fatal(err)
	}
	return code
}

// BenchmarkLogInTOTP measures a two-step sign-in end to end over HTTP with the production
// password hash (argon2id, PASSWORD_HASH_* defaults): `beginLogIn` (rate limits, user lookup,
// argon2id verification, the MFA ticket) then `completeMfaLogIn` (ticket lookup, TOTP check with
// the decrypted secret, spending the step, opening the session and signing the tokens). Sign-ins
// run one at a time, so the numbers are latencies, not the machine's capacity (BenchmarkLogIn
// gives the argon2id ceiling). It needs the test database (TEST_DATABASE_URL).
//
// Run it with: go test -run '^$' -bench LogInTOTP -benchtime 200x -count 3 ./bench/
func BenchmarkLogInTOTP(b *testing.B) {
	cfg := apitest.Config(b)
	defaults := config.Defaults()
	cfg.PasswordMemKiB, cfg.PasswordIters = defaults.PasswordMemKiB, defaults.PasswordIters
	clock := &stepClock{t: time.Now().Truncate(30 * time.Second)}
	srv := apitest.Start(b, cfg, app.Options{TOTPNow: clock.Now})

	email := "bench-totp@example.com"
	_, member := srv.SignUpAs(b, email, "Bench TOTP")
	var st struct {
		StartTotpEnrollment struct{ Secret string }
	}
	apitest.Must(b, member.Do(b, `mutation { startTotpEnrollment { secret } }`, nil)).Decode(b, &st)
	secret := st.StartTotpEnrollment.Secret
	apitest.Must(b, member.Do(b, `mutation($code: String!) { confirmTotpEnrollment(input: {code: $code}) { recoveryCodes } }`,
		map[string]any{"code": clock.next(b, secret)}))

	const begin = `mutation($in: LogInInput!) { beginLogIn(input: $in) { mfaRequired mfaTicket } }`
	const complete = `mutation($in: CompleteMfaLogInInput!) { completeMfaLogIn(input: $in) { accessToken refreshToken } }`
	c := srv.Client()
	signIn := func() (first, second time.Duration) {
		start := time.Now()
		var out struct {
			BeginLogIn struct {
				MfaRequired bool
				MfaTicket   string
			}
		}
		apitest.Must(b, c.Do(b, begin, map[string]any{"in": map[string]any{"email": email, "password": apitest.StrongPassword}})).Decode(b, &out)
		if !out.BeginLogIn.MfaRequired || out.BeginLogIn.MfaTicket == "" {
			b.Fatalf("beginLogIn did not ask for the second factor: %+v", out.BeginLogIn)
		}
		first = time.Since(start)
		code := clock.next(b, secret) // outside the measured span: the app computes it, not the server
		start = time.Now()
		var done struct {
			CompleteMfaLogIn struct{ AccessToken string }
		}
		apitest.Must(b, c.Do(b, complete, map[string]any{"in": map[string]any{"ticket": out.BeginLogIn.MfaTicket, "code": code}})).Decode(b, &done)
		if done.CompleteMfaLogIn.AccessToken == "" {
			b.Fatal("completeMfaLogIn gave no access token")
		}
		return first, time.Since(start)
	}
	for range 5 { // warm up: connections, prepared statements, caches
		signIn()
	}

	passwordStep := make([]time.Duration, 0, b.N)
	codeStep := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		p, s := signIn()
		passwordStep, codeStep = append(passwordStep, p), append(codeStep, s)
	}
	b.StopTimer()
	pct := func(lat []time.Duration, p float64) float64 {
		slices.Sort(lat)
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(passwordStep, 0.50), "begin-p50-ms")
	b.ReportMetric(pct(passwordStep, 0.99), "begin-p99-ms")
	b.ReportMetric(pct(codeStep, 0.50), "complete-p50-ms")
	b.ReportMetric(pct(codeStep, 0.99), "complete-p99-ms")
}
