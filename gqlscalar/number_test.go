package gqlscalar

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/skillswap/skillswap/domain"
)

func TestNumberScalarsRefuseWhatIsOutOfRange(t *testing.T) {
	t.Parallel()
	ints := []struct {
		in   any
		want int
		ok   bool
	}{
		{json.Number("2147483647"), 2147483647, true},
		{json.Number("-2147483648"), -2147483648, true},
		{int64(12), 12, true},
		{json.Number("2147483648"), 0, false},
		{int64(-2147483649), 0, false},
		{json.Number("9223372036854775808"), 0, false},
		{"twelve", 0, false},
	}
	for _, tt := range ints {
		got, err := UnmarshalInt(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("UnmarshalInt(%v) = %d, %v", tt.in, got, err)
		}
		if err != nil && !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("UnmarshalInt(%v): %v is not BAD_USER_INPUT", tt.in, err)
		}
	}
	floats := []struct {
		in   any
		want float64
		ok   bool
	}{
		{json.Number("48.85"), 48.85, true},
		{json.Number("1e-320"), 0, true},
		{json.Number("-1e-13"), 0, true},
		{1e-9, 1e-9, true},
		{"NaN", 0, false},
		{"Infinity", 0, false},
		{"-Inf", 0, false},
		{json.Number("1e400"), 0, false},
	}
	for _, tt := range floats {
		got, err := UnmarshalFloatContext(context.Background(), tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("UnmarshalFloatContext(%v) = %g, %v", tt.in, got, err)
		}
	}
	dates := []struct {
		in string
		ok bool
	}{
		{"1970-01-01T00:00:00Z", true},
		{"9999-12-31T23:59:59Z", true},
		{"1970-01-01T00:59:59+01:00", false},
		{"9999-12-31T23:59:59-00:01", false},
		{"0000-01-01T00:00:00Z", false},
	}
	for _, tt := range dates {
		if _, err := UnmarshalDateTime(tt.in); tt.ok != (err == nil) {
			t.Errorf("UnmarshalDateTime(%s): %v", tt.in, err)
		}
	}
}
