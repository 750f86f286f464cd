package gqlscalar

import (
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/skillswap/skillswap/domain"
)

// MarshalString writes s as a GraphQL String.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString reads every String input of the schema, so text that cannot be stored or shown
// is refused in this one place: invalid UTF-8, NUL and the other control characters but tab,
// line feed and carriage return, and Unicode noncharacters. Without it a NUL reached PostgreSQL,
// which refuses it in text, and the client got INTERNAL_SERVER_ERROR instead of the field at
// fault. The error names no field: the error presenter adds the argument's path.
func UnmarshalString(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", domain.Invalid("", "must be a string")
	}
	if err := CheckText(s); err != nil {
		return "", err
	}
	return s, nil
}

// CheckText is BAD_USER_INPUT when s holds what UnmarshalString refuses.
func CheckText(s string) error {
	if !utf8.ValidString(s) {
		return domain.Invalid("", "is not valid UTF-8 text")
	}
	for _, r := range s {
		switch {
		case r == 0:
			return domain.Invalid("", "must not contain NUL characters")
		case (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f):
			return domain.Invalid("", "must not contain control characters (U+%04X)", r)
		case (r >= 0xfdd0 && r <= 0xfdef) || r&0xfffe == 0xfffe:
			return domain.Invalid("", "must not contain Unicode noncharacters (U+%04X)", r)
		}
	}
	return nil
}
