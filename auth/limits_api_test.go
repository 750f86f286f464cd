package auth_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestLogInLockoutSparesTheOwner is the scenario failed-log-in throttling must survive: attackers
// who know a member's email hammer it from other networks, through two instances sharing Redis,
// and the member still signs in from the network they use. Meanwhile each attacker network is
// held to the per-(email, network) limit over both instances together, and once the email's
// overall limit is spent, strangers' networks are refused outright.
func TestLogInLockoutSparesTheOwner(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RedisURL = apitest.RedisURL(t)
	cfg.TrustProxyHeaders = true
	cfg.RateLogInAccountIP.Tokens, cfg.RateLogInAccountIP.Interval = 3, time.Hour
	cfg.RateLogInAccount.Tokens, cfg.RateLogInAccount.Interval = 5, time.Hour
	a := apitest.Start(t, cfg)
	cfgB := a.Config
	cfgB.MigrateOnStart = false
	b := apitest.Start(t, cfgB)
	instances := []*apitest.Server{a, b}
	from := func(s *apitest.Server, ip string) *apitest.Client {
		c := s.Client()
		c.Header.Set("X-Forwarded-For", ip)
		return c
	}
	const home = "198.51.100.7"
	email := fmt.Sprintf("owner-%d@example.com", time.Now().UnixNano())
	apitest.Must(t, from(a, home).Do(t, signUpMutation, signUpVars(email, apitest.StrongPassword, "Owner")))
	logIn := func(c *apitest.Client, password string) *apitest.Response {
		return c.Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": password}})
	}

	// One attacker network, alternating instances: three failures in all, not three on each.
	for i := range 3 {
		if r := logIn(from(instances[i%2], "203.0.113.1"), "guess-guess-guess"); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("attacker 1, attempt %d: %s", i+1, r.Raw)
		}
	}
	for i, s := range instances {
		r := logIn(from(s, "203.0.113.1"), "guess-guess-guess")
		if r.Code() != "RATE_LIMITED" {
			t.Fatalf("attacker 1 on instance %d after 3 failures: %s (the limit must hold across instances)", i, r.Raw)
		}
		if s, ok := r.Errors[0].Extensions["retryAfterSeconds"].(float64); !ok || s < 1 {
			t.Fatalf("retryAfterSeconds missing: %s", r.Raw)
		}
	}
	// A second network brings the email's failures to 5, its overall limit...
	for i := range 2 {
		if r := logIn(from(instances[i%2], "203.0.113.2"), "guess-guess-guess"); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("attacker 2, attempt %d: %s", i+1, r.Raw)
		}
	}
	// ...after which fresh networks are refused from their first attempt, right password or not
	// (nothing tells an attacker whether a guess was right).
	for _, ip := range []string{"203.0.113.3", "2001:db8:bad::1"} {
		if r := logIn(from(b, ip), "guess-guess-guess"); r.Code() != "RATE_LIMITED" {
			t.Fatalf("stranger %s while the email is under attack: %s", ip, r.Raw)
		}
	}
	if r := logIn(from(a, "192.0.2.99"), apitest.StrongPassword); r.Code() != "RATE_LIMITED" {
		t.Fatalf("a network the account never used, under attack: %s", r.Raw)
	}

	// The owner, at home, is not locked out: a typo is an ordinary failure, and the right
	// password signs in, on either instance, repeatedly.
	if r := logIn(from(a, home), "typo-typo-typo"); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("owner's typo: %s", r.Raw)
	}
	for i := range 4 {
		apitest.Must(t, logIn(from(instances[i%2], home), apitest.StrongPassword))
	}
	// Attacker 1 is still held.
	if r := logIn(from(b, "203.0.113.1"), apitest.StrongPassword); r.Code() != "RATE_LIMITED" {
		t.Fatalf("attacker 1 after the owner signed in: %s", r.Raw)
	}
}

// TestLogInPairLimitIsPerNetwork: without Redis (limits in memory), the tight limit is per
// email and network: another network, or another email from the same network, is unaffected,
// and a right password neither spends nor is blocked by what is left.
func TestLogInPairLimitIsPerNetwork(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.TrustProxyHeaders = true
	cfg.RateLogInAccountIP.Tokens, cfg.RateLogInAccountIP.Interval = 2, time.Hour
	srv := apitest.Start(t, cfg)
	good, _ := srv.SignUp(t)
	email := good.User.Email
	for _, tc := range []struct {
		ip, email, password, want string
	}{
		{"203.0.113.10", email, "guess-guess-guess", "UNAUTHENTICATED"},
		{"203.0.113.10", email, apitest.StrongPassword, ""}, // 1 failure left: the right one passes
		{"203.0.113.10", email, apitest.StrongPassword, ""}, // and spends nothing
		{"203.0.113.10", email, "guess-guess-guess", "UNAUTHENTICATED"},
		{"203.0.113.10", email, "guess-guess-guess", "RATE_LIMITED"},
		{"203.0.113.10", email, apitest.StrongPassword, "RATE_LIMITED"}, // spent: even the right one waits
		{"203.0.113.11", email, apitest.StrongPassword, ""},             // another network
		{"203.0.113.10", "someone-else@example.com", "guess-guess-guess", "UNAUTHENTICATED"},
	} {
		c := srv.Client()
		c.Header.Set("X-Forwarded-For", tc.ip)
		r := c.Do(t, logInMutation, map[string]any{"in": map[string]any{"email": tc.email, "password": tc.password}})
		if r.Code() != tc.want {
			t.Fatalf("%s %s: got %q, want %q: %s", tc.ip, tc.email, r.Code(), tc.want, r.Raw)
		}
	}
}
