package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/ratelimit"
)

// RateLimits configures throttling of credential endpoints. Every limit is enforced through
// Config.Limiter, so with Redis it holds across instances.
//
// Failed log-ins are limited twice, so that knowing an email is not enough to keep its owner
// out: per (email, client network), tightly, which stops one attacker; and per email over all
// networks, loosely, which stops a distributed one, and then refuses only networks the account
// has not signed in from in KnownNetworkAge, so the owner at home or on their phone still gets
// in while strangers are refused.
type RateLimits struct {
	// LogInPerIP bounds log-in attempts, failed or not, per client network.
	LogInPerIP ratelimit.Rate
	// LogInFailuresPerAccountIP bounds failed log-ins per email and client network.
	LogInFailuresPerAccountIP ratelimit.Rate
	// LogInFailuresPerAccount bounds failed log-ins per email from all networks; past it, only
	// networks the account recently signed in from may keep trying.
	LogInFailuresPerAccount ratelimit.Rate
	// KnownNetworkAge is how recently a login session must have been used from a network for
	// that network to count as the account's own.
	KnownNetworkAge time.Duration
	SignUpPerIP     ratelimit.Rate
	RefreshPerIP    ratelimit.Rate
	// ResendVerificationPerUser bounds verification emails a member may ask for.
	ResendVerificationPerUser ratelimit.Rate
	// VerifyEmailPerUser bounds verification codes a member may try (a 6-digit code must not
	// be guessable within its lifetime).
	VerifyEmailPerUser ratelimit.Rate
	// VerifyEmailPerIP bounds verification link tokens tried per client network.
	VerifyEmailPerIP ratelimit.Rate
	// PasswordResetPerIP bounds requestPasswordReset per client network (RATE_LIMITED).
	PasswordResetPerIP ratelimit.Rate
	// PasswordResetPerEmail bounds reset emails sent to one address; past it requests are
	// answered as usual but send nothing, so the answer never tells.
	PasswordResetPerEmail ratelimit.Rate
	// ResetPasswordPerIP bounds resetPassword attempts per client network.
	ResetPasswordPerIP ratelimit.Rate
	// ChangePasswordPerUser bounds changePassword attempts (current password guesses) per member.
	ChangePasswordPerUser ratelimit.Rate
	// MFACodeFailuresPerUser bounds wrong second-factor codes per member (completeMfaLogIn,
	// confirmTotpEnrollment, reauthenticate); past it, half-finished logins end.
	MFACodeFailuresPerUser ratelimit.Rate
	// EmailChangePerUser bounds requestEmailChange per member (RATE_LIMITED).
	EmailChangePerUser ratelimit.Rate
	// EmailChangePerAddress bounds the emails sent to one new address by email change requests
	// of any member; past it requests are answered as usual but send nothing, so nobody floods a
	// stranger's mailbox and the answer never tells.
	EmailChangePerAddress ratelimit.Rate
}

// DefaultRateLimits are the production defaults.
var DefaultRateLimits = RateLimits{
	LogInPerIP:                ratelimit.Rate{Events: 100, Period: 15 * time.Minute},
	LogInFailuresPerAccountIP: ratelimit.Rate{Events: 10, Period: 15 * time.Minute},
	LogInFailuresPerAccount:   ratelimit.Rate{Events: 50, Period: 15 * time.Minute},
	KnownNetworkAge:           90 * 24 * time.Hour,
	SignUpPerIP:               ratelimit.Rate{Events: 20, Period: time.Hour},
	RefreshPerIP:              ratelimit.Rate{Events: 600, Period: time.Hour},
	ResendVerificationPerUser: ratelimit.Rate{Events: 5, Period: time.Hour},
	VerifyEmailPerUser:        ratelimit.Rate{Events: 10, Period: time.Hour},
	VerifyEmailPerIP:          ratelimit.Rate{Events: 30, Period: time.Hour},
	PasswordResetPerIP:        ratelimit.Rate{Events: 20, Period: time.Hour},
	PasswordResetPerEmail:     ratelimit.Rate{Events: 3, Period: time.Hour},
	ResetPasswordPerIP:        ratelimit.Rate{Events: 30, Period: time.Hour},
	ChangePasswordPerUser:     ratelimit.Rate{Events: 10, Period: time.Hour},
	MFACodeFailuresPerUser:    ratelimit.Rate{Events: 5, Period: 15 * time.Minute},
	EmailChangePerUser:        ratelimit.Rate{Events: 5, Period: time.Hour},
	EmailChangePerAddress:     ratelimit.Rate{Events: 3, Period: time.Hour},
}

// Rate-limit keys. The email is hashed: it is the caller's text, of any length.
func keyLogInIP(c Client) string   { return "login:ip:" + ratelimit.IPKey(c.IP) }
func keySignUpIP(c Client) string  { return "signup:ip:" + ratelimit.IPKey(c.IP) }
func keyRefreshIP(c Client) string { return "refresh:ip:" + ratelimit.IPKey(c.IP) }
func keyIP(c Client) string        { return ratelimit.IPKey(c.IP) }
func keyLogInAccount(email string) string {
	return "login:fail:acct:" + emailKey(email)
}
func keyLogInAccountIP(email string, c Client) string {
	return "login:fail:acct-ip:" + emailKey(email) + ":" + ratelimit.IPKey(c.IP)
}

func emailKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:16])
}

// clientNetwork is the network IPKey names: the address for IPv4, its /64 for IPv6.
func clientNetwork(ip netip.Addr) (netip.Prefix, bool) {
	if !ip.IsValid() {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// take spends one event of key under rate, or returns RATE_LIMITED.
func (s *Service) take(ctx context.Context, key string, rate ratelimit.Rate) error {
	return ratelimit.Take(ctx, s.limiter, key, rate, 1)
}

// LimitKeys are the rate-limit keys auth keeps about one member (by id and by a digest of their
// email), for erasure to forget. Keys that also name a client network (failures per account and
// network) cannot be listed; they expire within LogInFailuresPerAccountIP's period.
func LimitKeys(userID uuid.UUID, email string) []string {
	id := userID.String()
	keys := []string{
		"verify:resend:user:" + id, "verify:code:user:" + id, "password:change:user:" + id, "mfa:fail:user:" + id,
	}
	if email != "" {
		keys = append(keys, keyLogInAccount(email), "reset:email:"+emailKey(email))
	}
	return keys
}
