package gqlscalar

import (
	"testing"

	"github.com/skillswap/skillswap/domain"
)

func TestUnmarshalStringRefusesWhatCannotBeStored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		ok   bool
	}{
		{"plain text", "Guitare électrique", true},
		{"tab, line feed and carriage return", "a\tb\nc\r\nd", true},
		{"emoji and CJK", "日本語 🎸", true},
		{"a real replacement character", "bad \ufffd byte", true},
		{"the last character before the noncharacters", "\ufffd\ufffc", true},
		{"empty", "", true},
		{"NUL", "a\x00b", false},
		{"a C0 control", "bell\x07", false},
		{"escape", "\x1b[31mred", false},
		{"DEL", "a\x7fb", false},
		{"a C1 control", "a\u0085b", false},
		{"invalid UTF-8", "caf\xe9", false},
		{"a truncated sequence", "\xe2\x82", false},
		{"U+FFFE", "a\ufffeb", false},
		{"U+FFFF", "a\uffffb", false},
		{"a noncharacter of the FDD0 block", "a\ufdd0b", false},
		{"a plane-16 noncharacter", "a\U0010ffffb", false},
	}
	for _, tt := range tests {
		got, err := UnmarshalString(tt.in)
		if tt.ok {
			if err != nil || got != tt.in {
				t.Errorf("%s: got %q, %v; want the text back", tt.name, got, err)
			}
			continue
		}
		if !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("%s: err = %v, want BAD_USER_INPUT", tt.name, err)
		}
	}
}
