// Package gqlscalar implements the schema's custom scalars.
package gqlscalar

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/skillswap/skillswap/domain"
)

// MarshalDateTime writes t as an RFC 3339 date-time in UTC, whatever its location.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.UTC().Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads an RFC 3339 date-time with an offset and returns it in UTC.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, domain.Invalid("", "DateTime must be an RFC 3339 string such as 2026-11-21T09:30:00Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, domain.Invalid("", "DateTime must be an RFC 3339 string such as 2026-11-21T09:30:00Z")
	}
	return t.UTC(), nil
}
