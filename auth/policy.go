package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nbutton23/zxcvbn-go"

	"github.com/skillswap/skillswap/domain"
)

// Password policy bounds (NIST SP 800-63B-4 §3.1.1.2): length is what counts, so there are no
// composition rules (no "one digit, one symbol"); passphrases of 64 characters and more are
// accepted; a blocklist of common, breached and context-specific passwords refuses the rest.
const (
	// MinPasswordLength applies when the password is the only factor.
	MinPasswordLength = 15
	// MinPasswordLengthWithSecondFactor applies when the account has a second factor (TOTP,
	// passkey): the password is then one of two.
	MinPasswordLengthWithSecondFactor = 8
	// MaxPasswordBytes bounds what is hashed (UTF-8 bytes): 256 bytes hold 64 characters of any
	// script and far more in Latin ones, and keep one argon2id input small.
	MaxPasswordBytes = 256
	// minPasswordRest is how many characters must remain once the member's name, email and the
	// service's name are taken out: fewer means the password is built from what an attacker
	// knows first.
	minPasswordRest = 6
)

// MinPasswordLengthFor is the minimum length for an account with or without a second factor.
func MinPasswordLengthFor(hasSecondFactor bool) int {
	if hasSecondFactor {
		return MinPasswordLengthWithSecondFactor
	}
	return MinPasswordLength
}

// NormalizeEmail validates an email address and returns its canonical form (trimmed, lower-case
// domain). Errors name the field "email".
func NormalizeEmail(raw string) (string, error) {
	email := strings.TrimSpace(raw)
	if email == "" {
		return "", domain.Invalid("email", "is required")
	}
	if len(email) > 254 {
		return "", domain.Invalid("email", "must be at most 254 characters")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", domain.Invalid("email", "is not a valid email address")
	}
	local, host, ok := strings.Cut(email, "@")
	if !ok || local == "" || !strings.Contains(host, ".") || strings.HasPrefix(host, ".") ||
		strings.HasSuffix(host, ".") || strings.ContainsAny(host, " []") {
		return "", domain.Invalid("email", "is not a valid email address")
	}
	return local + "@" + strings.ToLower(host), nil
}

// CheckPassword enforces the password policy on a new password given in the input field named
// field ("password", "newPassword"): its length (MinPasswordLengthFor hasSecondFactor characters
// at least, MaxPasswordBytes at most), no control characters, and not blocklisted: a common or
// breached password (the shipped list, case-insensitive, also with a number or symbols added at
// either end), a single dictionary word or name, a repetition or a keyboard or counting sequence,
// or a password built from the member's own email and name (userInputs) or the service's name.
func CheckPassword(field, password string, hasSecondFactor bool, userInputs ...string) error {
	minLen := MinPasswordLengthFor(hasSecondFactor)
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return domain.Invalid(field, "must be valid UTF-8 text")
	case n < minLen:
		return domain.Invalid(field, "must be at least %d characters", minLen)
	case len(password) > MaxPasswordBytes:
		return domain.Invalid(field, "must be at most %d bytes (64 characters of any script fit)", MaxPasswordBytes)
	}
	for _, r := range password {
		if unicode.IsControl(r) {
			return domain.Invalid(field, "must not contain control characters")
		}
	}
	if blocklisted(password) {
		return domain.Invalid(field, "is a commonly used password: choose a longer passphrase of unrelated words")
	}
	if repetitive(password) {
		return domain.Invalid(field, "is a repetition or a sequence: choose a passphrase of unrelated words")
	}
	if builtFromContext(password, userInputs) {
		return domain.Invalid(field, "is built from your name, your email or the service's name")
	}
	// A single dictionary word, name or listed password, however long, is among the first guesses.
	strength := zxcvbn.PasswordStrength(password, nil)
	if len(strength.MatchSequence) == 1 {
		m := strength.MatchSequence[0]
		if m.I == 0 && m.J == len(password)-1 && m.DictionaryName != "" {
			return domain.Invalid(field, "is a single dictionary word: choose a passphrase of unrelated words")
		}
	}
	return nil
}

// NormalizeDisplayName trims and validates a public display name.
func NormalizeDisplayName(raw string) (string, error) {
	name := strings.Join(strings.Fields(raw), " ")
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return "", domain.Invalid("displayName", "is required")
	}
	if n > 60 {
		return "", domain.Invalid("displayName", "must be at most 60 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			return "", domain.Invalid("displayName", "must not contain control or invisible characters")
		}
	}
	return name, nil
}
