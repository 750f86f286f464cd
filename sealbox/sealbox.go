// Package sealbox encrypts the few database values that must not be readable from a dump or a
// backup (TOTP secrets today): AES-256-GCM under a keyring from configuration, each value
// carrying the id of the key that sealed it, and bound to its table, column and row, so a value
// copied into another row or column does not open.
//
// A sealed value (format 2) is
//
//	0x02 | len(kid) | kid | 12-byte nonce | ciphertext and tag
//
// and its associated data is that header plus the binding (table, column, row key), so neither
// the key id nor the place can be changed without the value failing to open.
//
// Format 1 is what auth wrote before this package, under MFA_ENCRYPTION_KEY alone:
// 0x01 | nonce | ciphertext, the row key (the user id) as associated data. The keyring opens it
// with the key named LegacyKeyID, for bindings that allow it (Binding.LegacyV1); rotation
// (Keyring.Reseal) rewrites it in format 2.
package sealbox

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"sort"
)

// KeySize is the size of every key: AES-256.
const KeySize = 32

// LegacyKeyID names the key of MFA_ENCRYPTION_KEY in the keyring: format-1 values were sealed
// with it, and a deployment with no other key seals new values with it (in format 2).
const LegacyKeyID = "legacy"

// EphemeralKeyID names the random key of a keyring made by Ephemeral (development without any
// configured key): values sealed with it do not survive the process.
const EphemeralKeyID = "ephemeral"

const (
	formatLegacy = 1
	formatKeyed  = 2
	nonceSize    = 12
	maxKeyIDLen  = 32
)

// Errors a caller may tell apart (with errors.Is).
var (
	// ErrUnknownKey: the value was sealed with a key id the keyring does not hold (a key was
	// removed from DATA_ENCRYPTION_KEYS before every value was re-encrypted).
	ErrUnknownKey = errors.New("sealbox: unknown key id")
	// ErrCorrupt: the value was altered, or belongs to another row or column, or its key id
	// names a different key than the one that sealed it.
	ErrCorrupt = errors.New("sealbox: value does not open (tampered, moved to another row or column, or wrong key)")
	// ErrFormat: not a sealed value.
	ErrFormat = errors.New("sealbox: not a sealed value")
)

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// ValidKeyID reports whether id may name a key: 1 to 32 characters among letters, digits and
// ". _ -".
func ValidKeyID(id string) bool { return keyIDPattern.MatchString(id) }

// Binding is where a sealed value lives: the associated data that ties it to its place.
type Binding struct {
	Table, Column string
	// Row is the row's key (for a uuid key, its 16 bytes).
	Row []byte
	// LegacyV1 lets Open accept format-1 values (sealed before this package, bound to Row
	// alone): only user_totp.secret_enc may hold them.
	LegacyV1 bool
}

func (b Binding) aad(header []byte) []byte {
	out := make([]byte, 0, len(header)+len(b.Table)+len(b.Column)+len(b.Row)+16)
	out = append(out, "sealbox\x00"...)
	out = append(out, header...)
	out = append(out, 0)
	out = append(out, b.Table...)
	out = append(out, 0)
	out = append(out, b.Column...)
	out = append(out, 0)
	return append(out, b.Row...)
}

// Keyring holds the keys that may open values, by id, and the primary one that seals.
type Keyring struct {
	aeads      map[string]cipher.AEAD
	primary    string
	primaryKey []byte
	header     []byte
}

// NewKeyring returns a keyring of keys (id to 32-byte key) sealing with primary.
func NewKeyring(primary string, keys map[string][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sealbox: no key")
	}
	k := &Keyring{aeads: make(map[string]cipher.AEAD, len(keys)), primary: primary}
	for id, key := range keys {
		if !ValidKeyID(id) {
			return nil, fmt.Errorf("sealbox: key id %q: use 1 to 32 letters, digits, '.', '_' or '-'", id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("sealbox: key %q has %d bytes, want %d", id, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("sealbox: key %q: %w", id, err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sealbox: key %q: %w", id, err)
		}
		k.aeads[id] = gcm
		if id == primary {
			k.primaryKey = bytes.Clone(key)
		}
	}
	if _, ok := k.aeads[primary]; !ok {
		return nil, fmt.Errorf("sealbox: the primary key %q is not among the keys (%v)", primary, k.KeyIDs())
	}
	k.header = Header(primary)
	return k, nil
}

// Ephemeral returns a keyring of one random key (EphemeralKeyID), for development without a
// configured key: what it seals is lost with the process.
func Ephemeral() (*Keyring, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sealbox: ephemeral key: %w", err)
	}
	return NewKeyring(EphemeralKeyID, map[string][]byte{EphemeralKeyID: key})
}

// Derive returns a 32-byte key for another purpose than sealing columns (label names it, so two
// purposes never share a key): HMAC-SHA256 of label under the primary key, so deployments
// manage no extra secret. It changes when the primary does: what it signed stops verifying.
func (k *Keyring) Derive(label string) []byte {
	h := hmac.New(sha256.New, k.primaryKey)
	h.Write([]byte(label))
	return h.Sum(nil)
}

// Primary is the id of the key that seals.
func (k *Keyring) Primary() string { return k.primary }

// KeyIDs lists the ids of the keys held, sorted.
func (k *Keyring) KeyIDs() []string {
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Header is the prefix of every value sealed with key id: a value starts with the primary's
// header exactly when it needs no re-encryption (the rotation job selects the others in SQL).
func Header(keyID string) []byte {
	return append([]byte{formatKeyed, byte(len(keyID))}, keyID...)
}

// Seal encrypts plain for the place b under the primary key.
func (k *Keyring) Seal(b Binding, plain []byte) ([]byte, error) {
	gcm := k.aeads[k.primary]
	out := make([]byte, len(k.header), len(k.header)+nonceSize+len(plain)+gcm.Overhead())
	copy(out, k.header)
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("sealbox: nonce: %w", err)
	}
	out = append(out, nonce...)
	return gcm.Seal(out, nonce, plain, b.aad(k.header)), nil
}

// KeyID returns the id of the key that sealed a value (LegacyKeyID for format 1).
func KeyID(sealed []byte) (string, error) {
	kid, _, _, err := parse(sealed)
	return kid, err
}

// parse splits a sealed value into key id, header (nil for format 1), nonce and ciphertext.
func parse(sealed []byte) (kid string, header []byte, rest []byte, err error) {
	if len(sealed) == 0 {
		return "", nil, nil, ErrFormat
	}
	switch sealed[0] {
	case formatLegacy:
		if len(sealed) < 1+nonceSize+16 {
			return "", nil, nil, ErrFormat
		}
		return LegacyKeyID, nil, sealed[1:], nil
	case formatKeyed:
		if len(sealed) < 2 {
			return "", nil, nil, ErrFormat
		}
		n := int(sealed[1])
		if n == 0 || n > maxKeyIDLen || len(sealed) < 2+n+nonceSize+16 {
			return "", nil, nil, ErrFormat
		}
		return string(sealed[2 : 2+n]), sealed[:2+n], sealed[2+n:], nil
	}
	return "", nil, nil, fmt.Errorf("%w (format %d)", ErrFormat, sealed[0])
}

// Open decrypts a value sealed for the place b by any key of the keyring.
func (k *Keyring) Open(b Binding, sealed []byte) ([]byte, error) {
	kid, header, rest, err := parse(sealed)
	if err != nil {
		return nil, err
	}
	if header == nil && !b.LegacyV1 {
		return nil, fmt.Errorf("%w (format 1 is not allowed in %s.%s)", ErrFormat, b.Table, b.Column)
	}
	gcm, ok := k.aeads[kid]
	if !ok {
		return nil, fmt.Errorf("%w %q in %s.%s: the keyring holds %v; put the key back in DATA_ENCRYPTION_KEYS (or MFA_ENCRYPTION_KEY for %q) until `skillswap rekey` re-encrypted every value",
			ErrUnknownKey, kid, b.Table, b.Column, k.KeyIDs(), LegacyKeyID)
	}
	aad := b.Row
	if header != nil {
		aad = b.aad(header)
	}
	plain, err := gcm.Open(nil, rest[:nonceSize], rest[nonceSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: %s.%s under key %q", ErrCorrupt, b.Table, b.Column, kid)
	}
	return plain, nil
}

// Current reports whether a value is sealed with the primary key in the current format, i.e.
// needs no re-encryption.
func (k *Keyring) Current(sealed []byte) bool { return bytes.HasPrefix(sealed, k.header) }

// Reseal re-encrypts a value under the primary key when it was sealed with another key or in
// format 1; it returns the value unchanged and false when it is current already.
func (k *Keyring) Reseal(b Binding, sealed []byte) ([]byte, bool, error) {
	if k.Current(sealed) {
		return sealed, false, nil
	}
	plain, err := k.Open(b, sealed)
	if err != nil {
		return nil, false, err
	}
	out, err := k.Seal(b, plain)
	clear(plain)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}
