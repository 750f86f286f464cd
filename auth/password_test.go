package auth

import (
	"context"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/domain"
)

func TestHasherRoundTrip(t *testing.T) {
	h, err := NewHasher(Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q does not record its parameters", hash)
	}
	again, _ := h.Hash(ctx, "correct horse")
	if again == hash {
		t.Fatal("two hashes of one password must differ (random salt)")
	}
	if ok, err := h.Verify(ctx, "correct horse", hash); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, err := h.Verify(ctx, "correct horsE", hash); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
	// A hash made with other parameters still verifies: raising the cost locks nobody out.
	stronger, _ := NewHasher(OWASPArgon2)
	if ok, err := stronger.Verify(ctx, "correct horse", hash); !ok || err != nil {
		t.Fatalf("verify with other parameters: %v %v", ok, err)
	}
	for _, bad := range []string{"", "$2a$12$abc", "$argon2id$v=19$m=x$a$b", "$argon2id$v=18$m=1,t=1,p=1$YQ$YQ"} {
		if _, err := h.Verify(ctx, "x", bad); err == nil {
			t.Errorf("Verify accepted malformed hash %q", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		password  string
		secondFac bool
		inputs    []string
		ok        bool
	}{
		{"passphrase", "correct-horse-battery-staple-42", false, nil, true},
		{"no composition needed", "plum river jacket lantern", false, nil, true},
		{"random", "Zebra!Quantum#Lamp7Tundra", false, nil, true},
		{"64 characters", strings.Repeat("tundra lamp quantum zebra ", 3)[:64], false, nil, true},
		{"non-Latin, 64 runes", nonLatin64(), false, nil, true},
		{"14 characters alone", "plum-river-jac", false, nil, false},
		{"8 characters with a second factor", "plum-riv", true, nil, true},
		{"7 characters with a second factor", "plum-ri", true, nil, false},
		{"over 256 bytes", strings.Repeat("plum river ", 24), false, nil, false},
		{"common, lower-cased", "PASSWORDPASSWORD", false, nil, false},
		{"common with digits added", "iloveyouiloveyou2024!", false, nil, false},
		{"common with a second factor", "baseball", true, nil, false},
		{"common passphrase", "correct horse battery staple", false, nil, false},
		{"repetition", "abcabcabcabcabcabc", false, nil, false},
		{"one character", "zzzzzzzzzzzzzzzz", false, nil, false},
		{"counting", "1234567890123456", false, nil, false},
		{"keyboard row", "qwertyuiopasdfghj", false, nil, false},
		{"single dictionary word with a second factor", "elephant", true, nil, false},
		{"own email and name", "marie.dupont@example.com", false, []string{"marie.dupont@example.com", "Marie Dupont"}, false},
		{"name and service", "MarieDupont-SkillSwap", false, []string{"marie@example.com", "Marie Dupont"}, false},
		{"control character", "tab\there-is-control-char", false, nil, false},
	}
	for _, tt := range tests {
		err := CheckPassword("newPassword", tt.password, tt.secondFac, tt.inputs...)
		if (err == nil) != tt.ok {
			t.Errorf("%s: CheckPassword(%q) = %v, want ok=%v", tt.name, tt.password, err, tt.ok)
		}
		if err != nil && (!domain.IsKind(err, domain.KindInvalid) || err.(*domain.Error).Field != "newPassword") {
			t.Errorf("%s: CheckPassword(%q) error %v is not an invalid newPassword field", tt.name, tt.password, err)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a@example.com", "a@example.com"},
		{"  First.Last+tag@Example.ORG ", "First.Last+tag@example.org"},
		{"no-at-sign", ""},
		{"a@b", ""},
		{"a@.example.com", ""},
		{"a@example.com.", ""},
		{"Name <a@example.com>", ""},
		{"a b@example.com", ""},
		{strings.Repeat("a", 250) + "@example.com", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeEmail(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

// nonLatin64 is 64 CJK characters (192 bytes), none repeated in a row or in sequence.
func nonLatin64() string {
	var b strings.Builder
	for i := range 64 {
		b.WriteRune(rune(0x4E00 + i*37))
	}
	return b.String()
}
