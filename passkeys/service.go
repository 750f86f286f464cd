// Package passkeys lets members register passkeys (WebAuthn credentials, verified with
// go-webauthn) and sign in with them without a password or even an email (discoverable
// credentials), and list, rename and remove them. auth still owns accounts and sessions: a
// verified passkey sign-in opens its session through auth.Service.SignInWithPasskey.
//
// Ceremonies: start* returns the options the app passes to navigator.credentials.create/get (or
// react-native-passkey) and a ceremony id; finish* takes the id and the authenticator's response.
// What go-webauthn must remember in between (the challenge, chiefly) is kept in PostgreSQL
// (webauthn_ceremonies) for a few minutes, so any instance can finish what another started, and
// finishing claims it with DELETE ... RETURNING whatever the outcome: a ceremony works once.
//
// Policy: user verification (biometrics or the device PIN) is required at registration and
// sign-in, resident keys are required (usernameless sign-in), attestation is not asked for
// ("none": consumer passkeys, no authenticator allow-list). A passkey sign-in therefore proves
// possession of a phishing-resistant authenticator plus the member's biometrics or PIN: it is
// multi-factor by itself, so the session counts as having a second factor (staff roles work with
// STAFF_REQUIRE_MFA) and members with TOTP are not asked for a code. A signature counter that
// does not grow (a possibly cloned authenticator; synced passkeys send 0 every time and are not
// affected) refuses the sign-in and marks the passkey (clone_warning).
package passkeys

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Accounts opens sessions and guards sensitive operations (auth.Service).
type Accounts interface {
	// SignInWithPasskey opens a session for a member whose passkey was verified; before runs
	// first in the same transaction.
	SignInWithPasskey(ctx context.Context, userID, passkeyID uuid.UUID, c auth.Client, before func(ctx context.Context, q *store.Queries) error) (auth.Login, error)
	// TakeLogInAttempt counts a sign-in attempt against the client network's log-in budget.
	TakeLogInAttempt(ctx context.Context, c auth.Client) error
	// RequireRecentAuth refuses adding or removing a passkey unless the actor signed in lately.
	RequireRecentAuth(ctx context.Context, actor domain.Actor) error
	// ForgetCachedAuthSessions makes a removed passkey's sessions lose their second factor now.
	ForgetCachedAuthSessions(ctx context.Context, userID uuid.UUID)
}

// MaxPasskeys bounds a member's passkeys (the API prices its lists with it).
const MaxPasskeys = 20

// MaxNameLength bounds a passkey's name, in characters.
const MaxNameLength = 60

// maxCredentialBytes bounds an authenticator response: real ones are well under 4 KiB, even with
// an attestation certificate chain.
const maxCredentialBytes = 32 << 10

// Config names the relying party.
type Config struct {
	// RPID is the relying-party id (WEBAUTHN_RP_ID), a domain.
	RPID string
	// RPName is shown by authenticators (WEBAUTHN_RP_NAME).
	RPName string
	// Origins are the accepted origins of ceremonies (WEBAUTHN_ORIGINS): web origins and opaque
	// ones such as android:apk-key-hash:<hash>.
	Origins []string
	// CeremonyTTL is how long a started ceremony can be finished (default 5 minutes).
	CeremonyTTL time.Duration
}

// Service registers passkeys and signs in with them.
type Service struct {
	store    *store.Store
	accounts Accounts
	wa       *webauthn.WebAuthn
	rpID     string
	ttl      time.Duration
	log      *slog.Logger
	now      func() time.Time
}

// New wires the service; a relying-party id or origin go-webauthn refuses is an error (the
// server does not start).
func New(st *store.Store, accounts Accounts, cfg Config, log *slog.Logger) (*Service, error) {
	var web, opaque []string
	for _, o := range cfg.Origins {
		if protocol.IsOpaqueOrigin(o) {
			opaque = append(opaque, o)
		} else {
			web = append(web, o)
		}
	}
	ttl := cfg.CeremonyTTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	svc := &Service{store: st, accounts: accounts, rpID: cfg.RPID, ttl: ttl, log: log,
		now: func() time.Time { return time.Now().UTC() }}
	if net.ParseIP(cfg.RPID) != nil {
		// A development PUBLIC_URL such as http://127.0.0.1:8080 (config refuses an IP given as
		// WEBAUTHN_RP_ID itself): browsers bind passkeys to a domain only, so the server runs
		// without them rather than not at all.
		log.Warn("passkeys disabled: the relying party id is an IP address; use a domain (localhost for local work) in PUBLIC_URL or WEBAUTHN_RP_ID", "rp_id", cfg.RPID)
		return svc, nil
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: cfg.RPID, RPDisplayName: cfg.RPName, RPOrigins: web, RPOpaqueOrigins: opaque,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		},
		// The timeout the client is told; the server enforces the ceremony's expiry itself.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ttl, TimeoutUVD: ttl},
			Registration: webauthn.TimeoutConfig{Timeout: ttl, TimeoutUVD: ttl},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: WEBAUTHN_RP_ID %q / WEBAUTHN_ORIGINS %q: %w", cfg.RPID, cfg.Origins, err)
	}
	svc.wa = wa
	return svc, nil
}

// errDisabled answers passkey ceremonies on a server whose relying party id is an IP address.
var errDisabled = domain.Unavailable("passkeys are not available on this server: its address is not a domain (WEBAUTHN_RP_ID)")

// ceremoniesWork is errDisabled when passkeys cannot work here; listing, renaming and removing
// passkeys still work.
func (s *Service) ceremoniesWork() error {
	if s.wa == nil {
		return errDisabled
	}
	return nil
}

// Passkey is one of a member's passkeys, as they see it.
type Passkey struct {
	ID         uuid.UUID
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	// Transports are how the client reached the authenticator at registration ("internal",
	// "hybrid", "usb", "nfc", "ble"), as the client reported them.
	Transports []string
	// Synced is true for a passkey that may be copied between the member's devices (backup
	// eligible), false for one bound to a device or security key.
	Synced bool
}

func toPasskey(p store.Passkey) Passkey {
	return Passkey{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt,
		Transports: p.Transports, Synced: p.BackupEligible}
}

// Ceremony is a started registration or sign-in: the app passes Options to the platform's
// passkey API and sends its response, with ID, to the matching finish call before ExpiresAt.
type Ceremony struct {
	ID uuid.UUID
	// Options is the JSON of PublicKeyCredentialCreationOptions (registration) or
	// PublicKeyCredentialRequestOptions (sign-in), binary fields in base64url: the form
	// PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON and
	// react-native-passkey take.
	Options   string
	ExpiresAt time.Time
}

// waUser is a member as go-webauthn sees them.
type waUser struct {
	handle      []byte
	name        string
	displayName string
	creds       []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.handle }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.displayName }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// credentials decodes the stored credential records.
func credentials(rows []store.Passkey) ([]webauthn.Credential, error) {
	out := make([]webauthn.Credential, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal(r.Credential, &out[i]); err != nil {
			return nil, fmt.Errorf("passkey %s: decode credential: %w", r.ID, err)
		}
	}
	return out, nil
}

// transportNames are the transports of WebAuthn Level 3 (§5.8.4).
var transportNames = []protocol.AuthenticatorTransport{protocol.USB, protocol.NFC, protocol.BLE, protocol.SmartCard, protocol.Hybrid, protocol.Internal}

// knownTransports keeps the transports a client reported that WebAuthn defines, once each, in
// the client's order: the client chooses the list, so it is not stored as sent.
func knownTransports(reported []protocol.AuthenticatorTransport) []string {
	out := []string{}
	for _, t := range reported {
		if slices.Contains(transportNames, t) && !slices.Contains(out, string(t)) {
			out = append(out, string(t))
		}
	}
	return out
}

// normalizeName trims a passkey's name and checks its length.
func normalizeName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Passkey"
	}
	if utf8.RuneCountInString(name) > MaxNameLength {
		return "", domain.Invalid("name", "a passkey's name has at most %d characters", MaxNameLength)
	}
	return name, nil
}

// detail is go-webauthn's explanation of a refusal, for the log (never for the client).
func detail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Details + " " + pe.DevInfo
	}
	return ""
}

// errCeremony answers a ceremony id that is unknown, already finished or of another member.
func errCeremony() *domain.Error {
	e := domain.Invalid("ceremonyId", "unknown or already used ceremony: start again")
	e.Details = map[string]any{"reason": "CEREMONY_INVALID"}
	return e
}

// claim takes a ceremony of a kind out of the table: it works once, whether the response then
// verifies or not. It is its own statement (not in the caller's transaction) so that a refused
// response spends it too.
func (s *Service) claim(ctx context.Context, ceremonyID, kind string) (store.WebAuthnCeremony, webauthn.SessionData, error) {
	id, err := uuid.Parse(strings.TrimSpace(ceremonyID))
	if err != nil {
		return store.WebAuthnCeremony{}, webauthn.SessionData{}, errCeremony()
	}
	c, err := s.store.Q().ClaimWebAuthnCeremony(ctx, id, kind)
	if domain.IsKind(err, domain.KindNotFound) {
		return store.WebAuthnCeremony{}, webauthn.SessionData{}, errCeremony()
	}
	if err != nil {
		return store.WebAuthnCeremony{}, webauthn.SessionData{}, fmt.Errorf("claim ceremony: %w", err)
	}
	if !s.now().Before(c.ExpiresAt) {
		e := domain.Invalid("ceremonyId", "this ceremony expired: start again")
		e.Details = map[string]any{"reason": "CEREMONY_EXPIRED"}
		return store.WebAuthnCeremony{}, webauthn.SessionData{}, e
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(c.Session, &session); err != nil {
		return store.WebAuthnCeremony{}, webauthn.SessionData{}, fmt.Errorf("claim ceremony: decode session: %w", err)
	}
	return c, session, nil
}

// begin stores a ceremony's session data and returns its options for the app.
func (s *Service) begin(ctx context.Context, q *store.Queries, kind string, userID *uuid.UUID, options any, session *webauthn.SessionData) (Ceremony, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return Ceremony{}, fmt.Errorf("encode options: %w", err)
	}
	sess, err := json.Marshal(session)
	if err != nil {
		return Ceremony{}, fmt.Errorf("encode session: %w", err)
	}
	now := s.now()
	c := store.WebAuthnCeremony{ID: uuid.New(), Kind: kind, UserID: userID, Session: sess, CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
	if err := q.InsertWebAuthnCeremony(ctx, c); err != nil {
		return Ceremony{}, err
	}
	return Ceremony{ID: c.ID, Options: string(opts), ExpiresAt: c.ExpiresAt}, nil
}

// member loads the actor's go-webauthn user: their user handle (made at their first passkey)
// and their passkeys of this relying party.
func (s *Service) member(ctx context.Context, q *store.Queries, actor domain.Actor) (*waUser, []store.Passkey, error) {
	handle := make([]byte, 32)
	if _, err := rand.Read(handle); err != nil {
		return nil, nil, fmt.Errorf("user handle: %w", err)
	}
	handle, err := q.EnsureWebAuthnUserHandle(ctx, actor.ID(), handle, s.now())
	if err != nil {
		return nil, nil, err
	}
	rows, err := q.PasskeysOfUser(ctx, actor.ID(), s.rpID)
	if err != nil {
		return nil, nil, err
	}
	creds, err := credentials(rows)
	if err != nil {
		return nil, nil, err
	}
	return &waUser{handle: handle, name: actor.User.Email, displayName: actor.User.DisplayName, creds: creds}, rows, nil
}

// StartRegistration starts adding a passkey to the actor's account (recent authentication
// required). A new start replaces the actor's pending one.
func (s *Service) StartRegistration(ctx context.Context, actor domain.Actor) (Ceremony, error) {
	if err := s.ceremoniesWork(); err != nil {
		return Ceremony{}, err
	}
	if err := s.accounts.RequireRecentAuth(ctx, actor); err != nil {
		return Ceremony{}, err
	}
	var out Ceremony
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		user, rows, err := s.member(ctx, q, actor)
		if err != nil {
			return err
		}
		if len(rows) >= MaxPasskeys {
			return domain.Conflict("you have %d passkeys, the most an account may have: remove one first", MaxPasskeys)
		}
		exclude := make([]protocol.CredentialDescriptor, len(user.creds))
		for i := range user.creds {
			exclude[i] = user.creds[i].Descriptor()
		}
		creation, session, err := s.wa.BeginRegistration(user, webauthn.WithExclusions(exclude))
		if err != nil {
			return fmt.Errorf("begin registration: %w", err)
		}
		if err := q.DeleteUserWebAuthnCeremonies(ctx, actor.ID(), store.CeremonyRegister); err != nil {
			return err
		}
		userID := actor.ID()
		out, err = s.begin(ctx, q, store.CeremonyRegister, &userID, creation.Response, session)
		return err
	})
	if err != nil {
		return Ceremony{}, fmt.Errorf("start passkey registration: %w", err)
	}
	return out, nil
}

// FinishRegistration verifies the authenticator's response to a registration the actor started
// and stores the passkey under name ("Passkey" when empty); the member is emailed a notice.
func (s *Service) FinishRegistration(ctx context.Context, actor domain.Actor, ceremonyID, credential, name string) (Passkey, error) {
	if err := s.ceremoniesWork(); err != nil {
		return Passkey{}, err
	}
	if err := actor.RequireSignedIn(); err != nil {
		return Passkey{}, err
	}
	name, err := normalizeName(name)
	if err != nil {
		return Passkey{}, err
	}
	c, session, err := s.claim(ctx, ceremonyID, store.CeremonyRegister)
	if err != nil {
		return Passkey{}, err
	}
	if c.UserID == nil || *c.UserID != actor.ID() {
		return Passkey{}, errCeremony() // another member's: as if unknown
	}
	refused := func(err error) error {
		s.log.InfoContext(ctx, "passkey registration refused", "user_id", actor.ID(), "err", err, "detail", detail(err))
		e := domain.Invalid("credential", "the passkey could not be verified (wrong origin or relying party, or a malformed response): start again")
		e.Details = map[string]any{"reason": "PASSKEY_REFUSED"}
		e.Err = err
		return e
	}
	if len(credential) > maxCredentialBytes {
		return Passkey{}, refused(errors.New("response too large"))
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(credential))
	if err != nil {
		return Passkey{}, refused(err)
	}
	var out store.Passkey
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		user, rows, err := s.member(ctx, q, actor)
		if err != nil {
			return err
		}
		if len(rows) >= MaxPasskeys {
			return domain.Conflict("you have %d passkeys, the most an account may have: remove one first", MaxPasskeys)
		}
		cred, err := s.wa.CreateCredential(user, session, parsed)
		if err != nil {
			return refused(err)
		}
		record, err := json.Marshal(cred)
		if err != nil {
			return fmt.Errorf("encode credential: %w", err)
		}
		transports := knownTransports(cred.Transport)
		out, err = q.InsertPasskey(ctx, store.Passkey{
			ID: uuid.Must(uuid.NewV7()), UserID: actor.ID(), RPID: s.rpID, CredentialID: cred.ID, Credential: record,
			Name: name, Transports: transports, BackupEligible: cred.Flags.BackupEligible, CreatedAt: s.now(),
		})
		if err != nil {
			if de := (*domain.Error)(nil); errors.As(err, &de) && de.Kind == domain.KindConflict {
				de.Field = "credential"
			}
			return err
		}
		return q.EnqueueJob(ctx, auth.SecurityNoticeArgs{UserID: actor.ID(), Notice: auth.NoticePasskeyAdded, Passkey: name}, nil)
	})
	if err != nil {
		return Passkey{}, fmt.Errorf("finish passkey registration: %w", err)
	}
	s.log.InfoContext(ctx, "passkey added", "user_id", actor.ID(), "passkey_id", out.ID)
	return toPasskey(out), nil
}

// StartSignIn starts a sign-in with any passkey of this site (the member is not named: the
// authenticator offers its passkeys). Attempts count against the client network's log-in budget
// (RATE_LOGIN_PER_IP) here: each ceremony can be finished once, so this bounds the attempts.
func (s *Service) StartSignIn(ctx context.Context, c auth.Client) (Ceremony, error) {
	if err := s.ceremoniesWork(); err != nil {
		return Ceremony{}, err
	}
	if err := s.accounts.TakeLogInAttempt(ctx, c); err != nil {
		return Ceremony{}, err
	}
	assertion, session, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Ceremony{}, fmt.Errorf("start passkey sign-in: %w", err)
	}
	var out Ceremony
	err = s.store.InTx(ctx, func(q *store.Queries) (err error) {
		out, err = s.begin(ctx, q, store.CeremonySignIn, nil, assertion.Response, session)
		return err
	})
	if err != nil {
		return Ceremony{}, fmt.Errorf("start passkey sign-in: %w", err)
	}
	return out, nil
}

// ReasonCloneSuspected is extensions.reason of a passkey sign-in refused because the
// authenticator's signature counter did not grow: two copies of the key may exist.
const ReasonCloneSuspected = "PASSKEY_CLONE_SUSPECTED"

// errCloned is returned from inside the sign-in transaction, which it rolls back.
var errCloned = errors.New("signature counter did not grow")

// FinishSignIn verifies an assertion for a sign-in ceremony and opens a session for the
// passkey's member, through auth like every sign-in: a suspended member is refused.
func (s *Service) FinishSignIn(ctx context.Context, ceremonyID, credential string, c auth.Client) (auth.Login, error) {
	if err := s.ceremoniesWork(); err != nil {
		return auth.Login{}, err
	}
	_, session, err := s.claim(ctx, ceremonyID, store.CeremonySignIn)
	if err != nil {
		return auth.Login{}, err
	}
	refused := func(err error) error {
		s.log.InfoContext(ctx, "passkey sign-in refused", "err", err, "detail", detail(err))
		e := domain.Unauthenticated("the passkey could not be verified, or is not registered here: start again or sign in another way")
		e.Field = "credential"
		e.Err = err
		return e
	}
	if len(credential) > maxCredentialBytes {
		return auth.Login{}, refused(errors.New("response too large"))
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(credential))
	if err != nil {
		return auth.Login{}, refused(err)
	}
	var userID uuid.UUID
	var lookupErr error
	_, cred, err := s.wa.ValidatePasskeyLogin(func(_, userHandle []byte) (webauthn.User, error) {
		q := s.store.Q()
		userID, lookupErr = q.UserIDByWebAuthnHandle(ctx, userHandle)
		if lookupErr != nil {
			return nil, lookupErr
		}
		rows, err := q.PasskeysOfUser(ctx, userID, s.rpID)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		creds, err := credentials(rows)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		return &waUser{handle: userHandle, creds: creds}, nil
	}, session, parsed)
	if lookupErr != nil && !domain.IsKind(lookupErr, domain.KindNotFound) {
		return auth.Login{}, fmt.Errorf("passkey sign-in: %w", lookupErr)
	}
	if err != nil {
		return auth.Login{}, refused(err)
	}
	row, err := s.store.Q().PasskeyByCredentialID(ctx, s.rpID, cred.ID)
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) { // removed meanwhile
			return auth.Login{}, refused(err)
		}
		return auth.Login{}, fmt.Errorf("passkey sign-in: %w", err)
	}
	if row.UserID != userID {
		return auth.Login{}, refused(errors.New("credential of another member"))
	}
	return s.completeSignIn(ctx, row, cred, c, refused)
}

// completeSignIn opens the session of a verified passkey sign-in: the counter check and the
// record of the use run in the session's transaction, on the locked passkey row, so two
// sign-ins with one assertion's counter cannot both pass.
//
// Sign-in history seam: this is the one place a passkey sign-in succeeds. A history that
// records sign-ins by method records it in the `before` hook below (same transaction as the
// session; login.AuthSession is not known yet there, row.ID and c are) or right after
// SignInWithPasskey returns without error (login.AuthSession.ID known). Sessions opened here
// also carry auth_sessions.passkey_id.
func (s *Service) completeSignIn(ctx context.Context, row store.Passkey, cred *webauthn.Credential, c auth.Client, refused func(error) error) (auth.Login, error) {
	login, err := s.accounts.SignInWithPasskey(ctx, row.UserID, row.ID, c, func(ctx context.Context, q *store.Queries) error {
		locked, err := q.PasskeyByCredentialID(ctx, s.rpID, cred.ID)
		if err != nil {
			return err
		}
		var stored webauthn.Credential
		if err := json.Unmarshal(locked.Credential, &stored); err != nil {
			return fmt.Errorf("decode credential: %w", err)
		}
		stored.Authenticator.UpdateCounter(cred.Authenticator.SignCount)
		if stored.Authenticator.CloneWarning {
			return errCloned
		}
		stored.Flags = cred.Flags // backup state and user verification as last seen
		record, err := json.Marshal(stored)
		if err != nil {
			return fmt.Errorf("encode credential: %w", err)
		}
		return q.RecordPasskeyUse(ctx, locked.ID, record, s.now())
	})
	if errors.Is(err, errCloned) {
		if err := s.store.Q().MarkPasskeyCloneWarning(context.WithoutCancel(ctx), row.ID); err != nil {
			s.log.WarnContext(ctx, "mark passkey clone warning", "passkey_id", row.ID, "err", err)
		}
		s.log.WarnContext(ctx, "passkey sign-in refused: signature counter did not grow (cloned authenticator?)",
			"user_id", row.UserID, "passkey_id", row.ID, "counter", cred.Authenticator.SignCount)
		e := refused(err).(*domain.Error)
		e.Details = map[string]any{"reason": ReasonCloneSuspected}
		return auth.Login{}, e
	}
	if err != nil {
		return auth.Login{}, fmt.Errorf("passkey sign-in: %w", err)
	}
	s.log.InfoContext(ctx, "signed in with a passkey", "user_id", row.UserID, "passkey_id", row.ID)
	return login, nil
}

// List returns the actor's passkeys, oldest first.
func (s *Service) List(ctx context.Context, actor domain.Actor) ([]Passkey, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	rows, err := s.store.Q().PasskeysOfUser(ctx, actor.ID(), s.rpID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	out := make([]Passkey, len(rows))
	for i, r := range rows {
		out[i] = toPasskey(r)
	}
	return out, nil
}

// errNotYours answers a passkey id that is not one of the actor's (whether it exists or not).
func errNotYours() error {
	e := domain.NotFound("passkey")
	e.Field = "id"
	return e
}

// Rename renames one of the actor's passkeys (NOT_FOUND for anyone else's).
func (s *Service) Rename(ctx context.Context, actor domain.Actor, id uuid.UUID, name string) (Passkey, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return Passkey{}, err
	}
	name, err := normalizeName(name)
	if err != nil {
		return Passkey{}, err
	}
	p, err := s.store.Q().RenamePasskey(ctx, actor.ID(), id, name)
	if domain.IsKind(err, domain.KindNotFound) {
		return Passkey{}, errNotYours()
	}
	if err != nil {
		return Passkey{}, fmt.Errorf("rename passkey: %w", err)
	}
	return toPasskey(p), nil
}

// Remove removes one of the actor's passkeys (recent authentication required; NOT_FOUND for
// anyone else's), unless it is their last way to sign in; the member is emailed a notice.
// Sessions opened with it stop counting as having a second factor.
func (s *Service) Remove(ctx context.Context, actor domain.Actor, id uuid.UUID) (Passkey, error) {
	if err := s.accounts.RequireRecentAuth(ctx, actor); err != nil {
		return Passkey{}, err
	}
	var removed store.Passkey
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		rows, err := q.PasskeysOfUser(ctx, actor.ID(), s.rpID)
		if err != nil {
			return err
		}
		found := false
		for _, r := range rows {
			found = found || r.ID == id
		}
		if !found {
			return errNotYours()
		}
		if err := auth.RequireAnotherSignInMethod(ctx, q, actor.ID(), "id"); err != nil {
			return err
		}
		removed, err = q.DeletePasskey(ctx, actor.ID(), id)
		if domain.IsKind(err, domain.KindNotFound) {
			return errNotYours() // removed concurrently
		}
		if err != nil {
			return err
		}
		return q.EnqueueJob(ctx, auth.SecurityNoticeArgs{UserID: actor.ID(), Notice: auth.NoticePasskeyRemoved, Passkey: removed.Name}, nil)
	})
	if err != nil {
		return Passkey{}, fmt.Errorf("remove passkey: %w", err)
	}
	s.accounts.ForgetCachedAuthSessions(ctx, actor.ID())
	s.log.InfoContext(ctx, "passkey removed", "user_id", actor.ID(), "passkey_id", id)
	return toPasskey(removed), nil
}
