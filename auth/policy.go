package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nbutton23/zxcvbn-go"

	"github.com/skillswap/skillswap/domain"
)

// Password policy bounds.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 128
	// minPasswordScore is zxcvbn's "safely unguessable: moderate protection from offline
	// slow-hash scenario" level.
	minPasswordScore = 3
)

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

// CheckPassword enforces the password policy: length, no control characters, not common and not
// easy to guess given the user's own email and name.
func CheckPassword(password string, userInputs ...string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return domain.Invalid("password", "must be valid UTF-8 text")
	case n < MinPasswordLength:
		return domain.Invalid("password", "must be at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		return domain.Invalid("password", "must be at most %d characters", MaxPasswordLength)
	}
	for _, r := range password {
		if unicode.IsControl(r) {
			return domain.Invalid("password", "must not contain control characters")
		}
	}
	var inputs []string
	for _, in := range userInputs {
		inputs = append(inputs, strings.FieldsFunc(strings.ToLower(in), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})...)
	}
	strength := zxcvbn.PasswordStrength(password, inputs)
	for _, m := range strength.MatchSequence {
		if m.I == 0 && m.J == len(password)-1 && m.DictionaryName == "passwords" {
			return domain.Invalid("password", "is a commonly used password")
		}
	}
	if strength.Score < minPasswordScore {
		return domain.Invalid("password", "is too easy to guess: use a longer passphrase or mix unrelated words")
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
