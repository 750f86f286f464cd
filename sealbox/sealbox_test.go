package sealbox_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/sealbox"
)

func key(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, sealbox.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func ring(t *testing.T, primary string, keys map[string][]byte) *sealbox.Keyring {
	t.Helper()
	k, err := sealbox.NewKeyring(primary, keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func place(row uuid.UUID) sealbox.Binding {
	return sealbox.Binding{Table: "user_totp", Column: "secret_enc", Row: row[:], LegacyV1: true}
}

// legacySeal is what auth/mfa.go wrote before sealbox: format 1, the user id as associated data.
func legacySeal(t *testing.T, key []byte, userID uuid.UUID, plain []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	return gcm.Seal(append([]byte{1}, nonce...), nonce, plain, userID[:])
}

func TestRotationWithTwoKeys(t *testing.T) {
	t.Parallel()
	k1, k2 := key(t), key(t)
	before := ring(t, "k1", map[string][]byte{"k1": k1})
	row := uuid.New()
	sealed, err := before.Seal(place(row), []byte("JBSWY3DPEHPK3PXP"))
	if err != nil {
		t.Fatal(err)
	}
	if kid, err := sealbox.KeyID(sealed); err != nil || kid != "k1" {
		t.Fatalf("KeyID = %q, %v; want k1", kid, err)
	}

	// k2 becomes primary; k1 stays to open what it sealed.
	after := ring(t, "k2", map[string][]byte{"k1": k1, "k2": k2})
	if after.Current(sealed) {
		t.Fatal("a k1 value is current under primary k2")
	}
	plain, err := after.Open(place(row), sealed)
	if err != nil || string(plain) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open old value: %q, %v", plain, err)
	}
	resealed, changed, err := after.Reseal(place(row), sealed)
	if err != nil || !changed {
		t.Fatalf("reseal: changed %v, %v", changed, err)
	}
	if kid, _ := sealbox.KeyID(resealed); kid != "k2" || !after.Current(resealed) {
		t.Fatalf("resealed under %q, want k2", kid)
	}
	again, changed, err := after.Reseal(place(row), resealed)
	if err != nil || changed || !bytes.Equal(again, resealed) {
		t.Fatalf("a second reseal changed the value (%v, %v)", changed, err)
	}
	// Once everything is under k2, k1 can go.
	only2 := ring(t, "k2", map[string][]byte{"k2": k2})
	if plain, err := only2.Open(place(row), resealed); err != nil || string(plain) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open with k2 alone: %q, %v", plain, err)
	}
	_, err = only2.Open(place(row), sealed)
	if !errors.Is(err, sealbox.ErrUnknownKey) || !strings.Contains(err.Error(), `"k1"`) ||
		!strings.Contains(err.Error(), "user_totp.secret_enc") {
		t.Fatalf("open a k1 value without k1: %v; want ErrUnknownKey naming k1 and the column", err)
	}
}

func TestLegacyValuesOpenAndUpgrade(t *testing.T) {
	t.Parallel()
	mfa := key(t)
	row := uuid.New()
	old := legacySeal(t, mfa, row, []byte("secret"))

	legacyOnly := ring(t, sealbox.LegacyKeyID, map[string][]byte{sealbox.LegacyKeyID: mfa})
	if plain, err := legacyOnly.Open(place(row), old); err != nil || string(plain) != "secret" {
		t.Fatalf("open format 1: %q, %v", plain, err)
	}
	// Format 1 is not current even when the legacy key is primary: rotation rewrites it.
	up, changed, err := legacyOnly.Reseal(place(row), old)
	if err != nil || !changed || up[0] != 2 {
		t.Fatalf("upgrade: changed %v, %v", changed, err)
	}
	if kid, _ := sealbox.KeyID(up); kid != sealbox.LegacyKeyID {
		t.Fatalf("upgraded under %q", kid)
	}
	// Format 1 only where allowed, and only to its own row.
	other := sealbox.Binding{Table: "payments", Column: "client_secret", Row: row[:]}
	if _, err := legacyOnly.Open(other, old); !errors.Is(err, sealbox.ErrFormat) {
		t.Fatalf("format 1 in another column: %v, want ErrFormat", err)
	}
	stranger := uuid.New()
	if _, err := legacyOnly.Open(place(stranger), old); !errors.Is(err, sealbox.ErrCorrupt) {
		t.Fatalf("format 1 moved to another row: %v, want ErrCorrupt", err)
	}
}

func TestTamperingAndMovesAreDetected(t *testing.T) {
	t.Parallel()
	k1, k2 := key(t), key(t)
	kr := ring(t, "k1", map[string][]byte{"k1": k1, "k2": k2})
	row := uuid.New()
	sealed, err := kr.Seal(place(row), []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 1
		return c
	}
	other := uuid.New()
	relabelled := append(sealbox.Header("k2"), sealed[len(sealbox.Header("k1")):]...)
	for _, tc := range []struct {
		name string
		b    sealbox.Binding
		v    []byte
		want error
	}{
		{"ciphertext bit flipped", place(row), flip(len(sealed) - 1), sealbox.ErrCorrupt},
		{"nonce bit flipped", place(row), flip(5), sealbox.ErrCorrupt},
		{"another row", place(other), sealed, sealbox.ErrCorrupt},
		{"another column", sealbox.Binding{Table: "user_totp", Column: "other", Row: row[:]}, sealed, sealbox.ErrCorrupt},
		{"another table", sealbox.Binding{Table: "payments", Column: "secret_enc", Row: row[:]}, sealed, sealbox.ErrCorrupt},
		{"key id rewritten", place(row), relabelled, sealbox.ErrCorrupt},
		{"truncated", place(row), sealed[:10], sealbox.ErrFormat},
		{"unknown format", place(row), append([]byte{9}, sealed[1:]...), sealbox.ErrFormat},
		{"empty", place(row), nil, sealbox.ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := kr.Open(tc.b, tc.v); !errors.Is(err, tc.want) {
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewKeyringRefusesBadKeys(t *testing.T) {
	t.Parallel()
	good := key(t)
	for _, tc := range []struct {
		name    string
		primary string
		keys    map[string][]byte
		want    string
	}{
		{"no key", "k1", nil, "no key"},
		{"short key", "k1", map[string][]byte{"k1": good[:16]}, "16 bytes"},
		{"bad id", "k 1", map[string][]byte{"k 1": good}, "key id"},
		{"primary missing", "k2", map[string][]byte{"k1": good}, `primary key "k2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sealbox.NewKeyring(tc.primary, tc.keys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewKeyring = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
