// Package webauthntest is a software WebAuthn authenticator and client for tests: it answers the
// options the server sends with what a browser or a mobile platform would send back, built by
// hand from the specification (clientDataJSON, authenticator data with the relying-party id
// hash, flags and signature counter, a "none" attestation object with an ES256 COSE key, and
// ECDSA P-256 assertion signatures), not with the verifying library's own helpers.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator flags (WebAuthn §6.1 authenticator data).
const (
	FlagUserPresent    byte = 0x01
	FlagUserVerified   byte = 0x04
	FlagBackupEligible byte = 0x08
	FlagBackupState    byte = 0x10
	FlagAttestedData   byte = 0x40
)

// Authenticator holds one discoverable credential (a passkey): an ECDSA P-256 key, its id and,
// once registered, the user handle the server gave it.
type Authenticator struct {
	Key          *ecdsa.PrivateKey
	CredentialID []byte
	UserHandle   []byte
	// Counter is the signature counter: each assertion increments it first (tests set it back to
	// play a cloned authenticator). Zero-counter authenticators (synced passkeys) keep it at 0
	// with ZeroCounter.
	Counter     uint32
	ZeroCounter bool
	// Flags are added to UP and UV (for example FlagBackupEligible|FlagBackupState).
	Flags byte
	// Transports are reported at registration.
	Transports []string
}

// New makes an authenticator with a fresh key and a random 32-byte credential id.
func New(t testing.TB) *Authenticator {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	return &Authenticator{Key: key, CredentialID: id, Transports: []string{"internal", "hybrid"}}
}

// Ceremony overrides what a well-behaved client would put in a response (tests of refusals).
type Ceremony struct {
	// Origin is the client's origin (clientDataJSON.origin): a web origin or an Android
	// android:apk-key-hash: origin.
	Origin string
	// RPID, when set, replaces the relying-party id of the options in the authenticator data's
	// hash (a credential made for another site).
	RPID string
	// Type, when set, replaces clientDataJSON.type.
	Type string
	// NoUserVerification leaves the UV flag out: the member was present but not verified (no
	// biometrics or PIN).
	NoUserVerification bool
}

// flags are the authenticator data flags of a ceremony: UP, UV unless left out, and extra.
func (c Ceremony) flags(extra byte) byte {
	f := FlagUserPresent | extra
	if !c.NoUserVerification {
		f |= FlagUserVerified
	}
	return f
}

var b64 = base64.RawURLEncoding

// creationOptions is what the authenticator reads of PublicKeyCredentialCreationOptionsJSON.
type creationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	AuthenticatorSelection struct {
		UserVerification string `json:"userVerification"`
		ResidentKey      string `json:"residentKey"`
	} `json:"authenticatorSelection"`
}

// requestOptions is what the authenticator reads of PublicKeyCredentialRequestOptionsJSON.
type requestOptions struct {
	Challenge        string `json:"challenge"`
	RPID             string `json:"rpId"`
	UserVerification string `json:"userVerification"`
}

func clientData(t testing.TB, typ, challenge string, c Ceremony) []byte {
	t.Helper()
	if c.Type != "" {
		typ = c.Type
	}
	b, err := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": c.Origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (a *Authenticator) authData(rpID string, flags byte, counter uint32, attested []byte) []byte {
	rpHash := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, rpHash[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, counter)
	return append(out, attested...)
}

// coseKey is the credential public key as a COSE_Key (RFC 9052): EC2, ES256, P-256.
func (a *Authenticator) coseKey(t testing.TB) []byte {
	t.Helper()
	pub, err := a.Key.PublicKey.Bytes() // uncompressed: 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	k, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:65]})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Register answers registration options (the JSON string startPasskeyRegistration returns)
// with a RegistrationResponseJSON string, keeping the user handle for sign-ins.
func (a *Authenticator) Register(t testing.TB, options string, c Ceremony) string {
	t.Helper()
	var o creationOptions
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		t.Fatalf("registration options: %v\n%s", err, options)
	}
	if o.Challenge == "" || o.RP.ID == "" || o.User.ID == "" {
		t.Fatalf("registration options lack challenge, rp.id or user.id: %s", options)
	}
	handle, err := b64.DecodeString(o.User.ID)
	if err != nil {
		t.Fatalf("user.id is not base64url: %v", err)
	}
	a.UserHandle = handle
	rpID := o.RP.ID
	if c.RPID != "" {
		rpID = c.RPID
	}
	attested := make([]byte, 16) // AAGUID: zeros ("none" attestation)
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(a.CredentialID)))
	attested = append(attested, a.CredentialID...)
	attested = append(attested, a.coseKey(t)...)
	authData := a.authData(rpID, c.flags(FlagAttestedData|a.Flags), a.Counter, attested)
	attObj, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		t.Fatal(err)
	}
	cd := clientData(t, "webauthn.create", o.Challenge, c)
	return a.response(t, map[string]any{
		"clientDataJSON":    b64.EncodeToString(cd),
		"attestationObject": b64.EncodeToString(attObj),
		"transports":        a.Transports,
	})
}

// SignIn answers sign-in options (the JSON string startPasskeySignIn returns) with an
// AuthenticationResponseJSON string: a signed assertion with the next counter value.
func (a *Authenticator) SignIn(t testing.TB, options string, c Ceremony) string {
	t.Helper()
	var o requestOptions
	if err := json.Unmarshal([]byte(options), &o); err != nil {
		t.Fatalf("sign-in options: %v\n%s", err, options)
	}
	if o.Challenge == "" || o.RPID == "" {
		t.Fatalf("sign-in options lack challenge or rpId: %s", options)
	}
	rpID := o.RPID
	if c.RPID != "" {
		rpID = c.RPID
	}
	if !a.ZeroCounter {
		a.Counter++
	}
	authData := a.authData(rpID, c.flags(a.Flags), a.Counter, nil)
	cd := clientData(t, "webauthn.get", o.Challenge, c)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, authData...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.Key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return a.response(t, map[string]any{
		"clientDataJSON":    b64.EncodeToString(cd),
		"authenticatorData": b64.EncodeToString(authData),
		"signature":         b64.EncodeToString(sig),
		"userHandle":        b64.EncodeToString(a.UserHandle),
	})
}

func (a *Authenticator) response(t testing.TB, resp map[string]any) string {
	t.Helper()
	id := b64.EncodeToString(a.CredentialID)
	b, err := json.Marshal(map[string]any{
		"id": id, "rawId": id, "type": "public-key", "response": resp,
		"clientExtensionResults": map[string]any{}, "authenticatorAttachment": "platform",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// AndroidOrigin is the origin an Android app signed with a certificate of this SHA-256 conveys.
func AndroidOrigin(certSHA256 []byte) string {
	return "android:apk-key-hash:" + b64.EncodeToString(certSHA256)
}
