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

// The range of DateTime inputs, in UTC. RFC 3339 allows years 0000 to 9999 with any offset, so
// `9999-12-31T23:59:59-23:59` is in year 10000 once in UTC: Go cannot write that back as JSON (a
// notification payload failed with INTERNAL_SERVER_ERROR) and PostgreSQL's range differs from
// Go's. Nothing in SkillSwap happens before the Unix epoch, and services that add durations to an
// input bound it much closer to now (a session starts within a year).
var (
	minDateTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDateTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

// UnmarshalDateTime reads an RFC 3339 date-time with an offset and returns it in UTC, refusing
// instants outside 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z with BAD_USER_INPUT.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, domain.Invalid("", "DateTime must be an RFC 3339 string such as 2026-11-21T09:30:00Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, domain.Invalid("", "DateTime must be an RFC 3339 string such as 2026-11-21T09:30:00Z")
	}
	t = t.UTC()
	if t.Before(minDateTime) || t.After(maxDateTime) {
		return time.Time{}, domain.Invalid("", "DateTime must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
	}
	return t, nil
}
