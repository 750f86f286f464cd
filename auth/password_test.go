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
	tests := []struct {
		password string
		inputs   []string
		ok       bool
	}{
		{"correct-horse-battery-staple-42", nil, true},
		{"Zebra!Quantum#Lamp7Tundra", nil, true},
		{"short1!", nil, false},
		{"password123", nil, false},
		{"1234567890", nil, false},
		{"qwertyuiopasdf", nil, false},
		{"dupont.marie1990", []string{"marie.dupont@example.com", "Marie Dupont"}, false},
		{"tab\there-is-control", nil, false},
		{strings.Repeat("Ab1!", 33), nil, false},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.password, tt.inputs...)
		if (err == nil) != tt.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", tt.password, err, tt.ok)
		}
		if err != nil && (!domain.IsKind(err, domain.KindInvalid) || err.(*domain.Error).Field != "password") {
			t.Errorf("CheckPassword(%q) error %v is not an invalid password field", tt.password, err)
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
