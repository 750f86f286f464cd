package domain

import (
	"net/netip"
	"time"

	"github.com/google/uuid"
)

// SignInEventMethod is how a sign-in was attempted (sign_in_events.method).
type SignInEventMethod string

// Sign-in methods recorded in a member's sign-in history.
const (
	SignInPassword     SignInEventMethod = "PASSWORD"
	SignInPasswordTOTP SignInEventMethod = "PASSWORD_TOTP"
	SignInRecoveryCode SignInEventMethod = "RECOVERY_CODE"
	SignInProvider     SignInEventMethod = "PROVIDER"
	SignInPasskey      SignInEventMethod = "PASSKEY"
)

// SignInFailure is why a sign-in of a known account failed (sign_in_events.failure_reason).
type SignInFailure string

// Reasons a sign-in failed.
const (
	SignInWrongPassword SignInFailure = "WRONG_PASSWORD"
	SignInWrongCode     SignInFailure = "WRONG_CODE"
	// SignInLocked: refused by the throttles (too many failures) before the credential was checked.
	SignInLocked    SignInFailure = "LOCKED"
	SignInSuspended SignInFailure = "SUSPENDED"
)

// SignInEvent is one sign-in attempt on a member's account.
type SignInEvent struct {
	ID     uuid.UUID         `db:"id"`
	UserID uuid.UUID         `db:"user_id"`
	At     time.Time         `db:"at"`
	Method SignInEventMethod `db:"method"`
	// Failure is empty for a successful sign-in.
	Failure SignInFailure `db:"failure_reason"`
	// Network is the client's network (IPv4 /24, IPv6 /48), not its exact address; invalid when
	// unknown.
	Network netip.Prefix `db:"ip"`
	// UserAgent is the client's User-Agent, truncated to 256 bytes; empty when unknown.
	UserAgent string `db:"user_agent"`
}

// Succeeded reports whether the attempt signed in (or passed its first step).
func (e SignInEvent) Succeeded() bool { return e.Failure == "" }
