package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/ratelimit"
	"github.com/skillswap/skillswap/sealbox"
	"github.com/skillswap/skillswap/store"
)

// Second factor (TOTP, RFC 6238), recovery codes, two-step login and recent authentication.
//
// TOTP parameters are the ones every authenticator app supports: SHA-1, 6 digits, 30-second
// steps; a code of the previous or next step is accepted too (clock drift), and a step is
// accepted at most once per member (user_totp.last_step), so a code seen over a shoulder or
// phished cannot be replayed. Secrets are encrypted at rest by package sealbox (AES-256-GCM under
// Config.Keys), bound to the user id so a ciphertext cannot be moved to another account.

const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpSkew   = 1
	// RecoveryCodeCount is how many recovery codes a member gets at once.
	RecoveryCodeCount = 10
)

// ReasonRecentAuthRequired is extensions.reason of the FORBIDDEN answered to a sensitive
// operation when the session's last authentication is older than RECENT_AUTH_MAX_AGE: the app
// asks for the password (or a code) again, calls reauthenticate, and retries.
const ReasonRecentAuthRequired = "RECENT_AUTH_REQUIRED"

// ReasonMFARequired is extensions.reason of the error logIn answers for an account with
// two-factor sign-in, with extensions.mfaTicket (see beginLogIn for the typed way).
const ReasonMFARequired = "MFA_REQUIRED"

var errCodeInvalid = domain.Invalid("code", "the code is wrong or was already used")

// totpOpts are the validation options of every code.
var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// RequireRecentAuth is nil when the actor's login session authenticated (log-in or
// reauthenticate) within Config.RecentAuthMaxAge, FORBIDDEN with reason RECENT_AUTH_REQUIRED
// otherwise. Every sensitive operation (second factor, password, email, passkeys, provider
// unlinking, account deletion, payout settings) calls it first.
func (s *Service) RequireRecentAuth(ctx context.Context, actor domain.Actor) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	at, err := s.store.Q().AuthSessionAuthenticatedAt(ctx, actor.SessionID)
	if err != nil {
		return fmt.Errorf("recent auth: %w", err)
	}
	if s.now().Sub(at) > s.cfg.RecentAuthMaxAge {
		e := domain.Forbidden("this operation needs a recent sign-in: confirm your password or a code with reauthenticate, then retry")
		e.Details = map[string]any{"reason": ReasonRecentAuthRequired}
		return e
	}
	return nil
}

// Reauthenticate proves again that the actor is who they are, with their password or (when
// enabled) a TOTP or recovery code, and marks the login session freshly authenticated. Wrong
// passwords and wrong codes are throttled like logIn's and completeMfaLogIn's. It returns until
// when sensitive operations are allowed.
func (s *Service) Reauthenticate(ctx context.Context, actor domain.Actor, password, code string) (time.Time, error) {
	if err := s.reauthenticate(ctx, actor, password, code); err != nil {
		return time.Time{}, err
	}
	now := s.now()
	if err := s.store.Q().MarkAuthSessionAuthenticated(ctx, actor.SessionID, now); err != nil {
		return time.Time{}, fmt.Errorf("reauthenticate: %w", err)
	}
	return now.Add(s.cfg.RecentAuthMaxAge), nil
}

func (s *Service) reauthenticate(ctx context.Context, actor domain.Actor, password, code string) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	switch {
	case password != "" && code == "":
		key := "reauth:fail:user:" + actor.ID().String()
		rate := s.cfg.Limits.LogInFailuresPerAccountIP
		if err := s.take(ctx, key, rate); err != nil {
			return err
		}
		u, err := userByID(ctx, s.store.Q(), actor.ID())
		if err != nil {
			return fmt.Errorf("reauthenticate: %w", err)
		}
		if len(password) > 4*MaxPasswordBytes {
			return domain.Invalid("password", "the password is wrong")
		}
		ok, err := s.hasher.Verify(ctx, password, u.PasswordHash)
		if err != nil {
			return fmt.Errorf("reauthenticate: %w", err)
		}
		if !ok {
			return domain.Invalid("password", "the password is wrong")
		}
		ratelimit.Give(context.WithoutCancel(ctx), s.limiter, key, rate, 1)
	case code != "" && password == "":
		if err := s.checkSecondFactor(ctx, actor.ID(), code, "code"); err != nil {
			return err
		}
	default:
		return domain.Invalid("password", "give either your password or a code")
	}
	return nil
}

// HasSecondFactor reports whether the member has a second factor enabled (today: TOTP). The
// password policy may accept shorter passwords then.
func (s *Service) HasSecondFactor(ctx context.Context, userID uuid.UUID) (bool, error) {
	ok, err := s.store.Q().UserHasTOTP(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("has second factor: %w", err)
	}
	return ok, nil
}

// TOTPEnrollment is a pending authenticator: the app shows URI as a QR code (and Secret for
// typing), then confirms with a first code.
type TOTPEnrollment struct {
	Secret string
	URI    string
}

// StartTOTPEnrollment creates (or replaces) the actor's pending authenticator. Recent
// authentication required; CONFLICT when two-factor sign-in is already enabled.
func (s *Service) StartTOTPEnrollment(ctx context.Context, actor domain.Actor) (TOTPEnrollment, error) {
	if err := s.RequireRecentAuth(ctx, actor); err != nil {
		return TOTPEnrollment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: s.cfg.MFAIssuer, AccountName: actor.User.Email, Period: totpPeriod, SecretSize: 20,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("start totp: %w", err)
	}
	enc, err := s.seal(actor.ID(), []byte(key.Secret()))
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if err := s.store.Q().StartUserTOTP(ctx, actor.ID(), enc, s.now()); err != nil {
		return TOTPEnrollment{}, fmt.Errorf("start totp: %w", err)
	}
	return TOTPEnrollment{Secret: key.Secret(), URI: key.URL()}, nil
}

// ConfirmTOTPEnrollment enables the pending authenticator with its first code and returns fresh
// recovery codes, shown this once. Recent authentication required.
func (s *Service) ConfirmTOTPEnrollment(ctx context.Context, actor domain.Actor, code string) ([]string, error) {
	if err := s.RequireRecentAuth(ctx, actor); err != nil {
		return nil, err
	}
	t, err := s.store.Q().UserTOTPByUser(ctx, actor.ID())
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, domain.Conflict("no enrolment in progress: call startTotpEnrollment first")
	}
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	if t.EnabledAt != nil {
		return nil, domain.Conflict("two-factor sign-in is already enabled")
	}
	var codes []string
	err = s.throttledCode(ctx, actor.ID(), func() (bool, error) {
		step, ok, err := s.matchTOTP(actor.ID(), t, code)
		if err != nil || !ok {
			return false, err
		}
		return true, s.store.InTx(ctx, func(q *store.Queries) error {
			used, err := q.UseTOTPStep(ctx, actor.ID(), step, s.now())
			if err != nil {
				return err
			}
			if !used {
				return errCodeInvalid
			}
			if codes, err = s.newRecoveryCodes(ctx, q, actor.ID()); err != nil {
				return err
			}
			return q.EnqueueJob(ctx, SecurityNoticeArgs{UserID: actor.ID(), Notice: NoticeTOTPEnabled}, nil)
		})
	})
	if err != nil {
		return nil, err
	}
	s.invalidate(ctx, "user", actor.ID())
	return codes, nil
}

// DisableTOTP removes the actor's authenticator and recovery codes. Recent authentication
// required; NOT_FOUND when none is set up.
func (s *Service) DisableTOTP(ctx context.Context, actor domain.Actor) error {
	if err := s.RequireRecentAuth(ctx, actor); err != nil {
		return err
	}
	var existed bool
	err := s.store.InTx(ctx, func(q *store.Queries) (err error) {
		if existed, err = q.DeleteUserTOTP(ctx, actor.ID()); err != nil || !existed {
			return err
		}
		return q.EnqueueJob(ctx, SecurityNoticeArgs{UserID: actor.ID(), Notice: NoticeTOTPDisabled}, nil)
	})
	if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	if !existed {
		return domain.NotFound("authenticator")
	}
	s.invalidate(ctx, "user", actor.ID())
	return nil
}

// RegenerateRecoveryCodes replaces the actor's recovery codes (the old ones stop working).
// Recent authentication required; CONFLICT without two-factor sign-in.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, actor domain.Actor) ([]string, error) {
	if err := s.RequireRecentAuth(ctx, actor); err != nil {
		return nil, err
	}
	on, err := s.HasSecondFactor(ctx, actor.ID())
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, domain.Conflict("two-factor sign-in is not enabled")
	}
	var codes []string
	err = s.store.InTx(ctx, func(q *store.Queries) (err error) {
		if codes, err = s.newRecoveryCodes(ctx, q, actor.ID()); err != nil {
			return err
		}
		return q.EnqueueJob(ctx, SecurityNoticeArgs{UserID: actor.ID(), Notice: NoticeRecoveryCodesRenewed}, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("regenerate recovery codes: %w", err)
	}
	return codes, nil
}

// Security describes how a member signs in (viewer.security).
type Security struct {
	// Methods in use: "PASSWORD", "PROVIDER", "PASSKEY", "TOTP".
	Methods           []string
	RecoveryCodesLeft int
}

// Security returns how the actor signs in.
func (s *Service) Security(ctx context.Context, actor domain.Actor) (Security, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return Security{}, err
	}
	var out Security
	u, err := s.store.Q().UserByID(ctx, actor.ID())
	if err != nil {
		return Security{}, fmt.Errorf("security: %w", err)
	}
	if u.PasswordHash != "" { // accounts made by a provider sign-in have none
		out.Methods = append(out.Methods, "PASSWORD")
	}
	idents, err := s.store.Q().IdentitiesOfUser(ctx, actor.ID())
	if err != nil {
		return Security{}, fmt.Errorf("security: %w", err)
	}
	if len(idents) > 0 {
		out.Methods = append(out.Methods, "PROVIDER")
	}
	passkeys, err := s.store.Q().UserHasPasskeys(ctx, actor.ID())
	if err != nil {
		return Security{}, fmt.Errorf("security: %w", err)
	}
	if passkeys {
		out.Methods = append(out.Methods, "PASSKEY")
	}
	on, err := s.HasSecondFactor(ctx, actor.ID())
	if err != nil {
		return Security{}, err
	}
	if on {
		out.Methods = append(out.Methods, "TOTP")
		if out.RecoveryCodesLeft, err = s.store.Q().RecoveryCodesLeft(ctx, actor.ID()); err != nil {
			return Security{}, fmt.Errorf("security: %w", err)
		}
	}
	return out, nil
}

// MFAChallenge is the half-finished login of a member with a second factor: LogIn returns it
// instead of tokens, CompleteMFALogIn finishes it.
type MFAChallenge struct {
	Ticket    string
	ExpiresAt time.Time
}

// startMFA issues a ticket for a member whose password was right.
func (s *Service) startMFA(ctx context.Context, userID uuid.UUID, now time.Time) (*MFAChallenge, error) {
	ticket, err := randomToken()
	if err != nil {
		return nil, err
	}
	exp := now.Add(s.cfg.MFATicketTTL)
	if err := s.store.Q().InsertMFATicket(ctx, store.MFATicket{
		TicketHash: hashToken(ticket), UserID: userID, CreatedAt: now, ExpiresAt: exp,
	}); err != nil {
		return nil, fmt.Errorf("log in: %w", err)
	}
	return &MFAChallenge{Ticket: ticket, ExpiresAt: exp}, nil
}

var errTicketInvalid = domain.Unauthenticated("the sign-in ticket is invalid, expired or already used; log in again")

// CompleteMFALogIn finishes a two-step login with a TOTP code or a recovery code (exactly one)
// and opens the session. Wrong codes are throttled per member (Limits.MFACodeFailuresPerUser);
// past the limit every half-finished login of the member ends, so the password step must be
// passed again.
func (s *Service) CompleteMFALogIn(ctx context.Context, ticket, code, recoveryCode string, c Client) (Login, error) {
	now := s.now()
	if err := s.take(ctx, keyLogInIP(c), s.cfg.Limits.LogInPerIP); err != nil {
		return Login{}, err
	}
	if ticket == "" || len(ticket) > 128 {
		return Login{}, errTicketInvalid
	}
	if (code == "") == (recoveryCode == "") {
		return Login{}, domain.Invalid("code", "give either a code or a recovery code")
	}
	t, err := s.store.Q().LiveMFATicket(ctx, hashToken(ticket), now)
	if domain.IsKind(err, domain.KindNotFound) {
		return Login{}, errTicketInvalid
	}
	if err != nil {
		return Login{}, fmt.Errorf("complete log in: %w", err)
	}
	field := "code"
	if recoveryCode != "" {
		field = "recoveryCode"
	}
	var out Login
	err = s.throttledCode(ctx, t.UserID, func() (bool, error) {
		var ok bool
		err := s.store.InTx(ctx, func(q *store.Queries) error {
			// Lock the ticket: two attempts with one ticket run one after the other.
			if _, err := q.LiveMFATicket(ctx, t.TicketHash, now); err != nil {
				if domain.IsKind(err, domain.KindNotFound) {
					return errTicketInvalid
				}
				return err
			}
			var err error
			if ok, err = s.verifyFactor(ctx, q, t.UserID, code, recoveryCode); err != nil || !ok {
				return err
			}
			if err := q.SpendMFATicket(ctx, t.TicketHash, now); err != nil {
				return err
			}
			u, err := userByID(ctx, q, t.UserID)
			if err != nil {
				return err
			}
			if u.Status != domain.UserActive {
				return domain.Forbidden("this account is suspended")
			}
			out, err = s.startSession(ctx, q, u, c, now)
			return err
		})
		return ok, err
	})
	method := domain.SignInPasswordTOTP
	if recoveryCode != "" {
		method = domain.SignInRecoveryCode
	}
	if err != nil {
		de := (*domain.Error)(nil)
		errors.As(err, &de)
		switch {
		case de != nil && de.Kind == domain.KindInvalid:
			de.Field = field
			s.RecordSignIn(ctx, t.UserID, method, domain.SignInWrongCode, c)
		case de != nil && de.Kind == domain.KindRateLimited:
			s.RecordSignIn(ctx, t.UserID, method, domain.SignInLocked, c)
		case de != nil && de.Kind == domain.KindForbidden:
			s.RecordSignIn(ctx, t.UserID, method, domain.SignInSuspended, c)
		}
		return Login{}, err
	}
	s.RecordSignIn(ctx, t.UserID, method, "", c)
	return out, nil
}

// throttledCode runs check (a code verification reporting whether the code was right) within
// the member's budget of wrong codes. A wrong code is errCodeInvalid; past the budget, every
// half-finished login of the member ends and the answer is RATE_LIMITED.
func (s *Service) throttledCode(ctx context.Context, userID uuid.UUID, check func() (bool, error)) error {
	key := "mfa:fail:user:" + userID.String()
	rate := s.cfg.Limits.MFACodeFailuresPerUser
	if err := s.take(ctx, key, rate); err != nil {
		if domain.IsKind(err, domain.KindRateLimited) {
			if err := s.store.Q().SpendUserMFATickets(context.WithoutCancel(ctx), userID, s.now()); err != nil {
				s.log.WarnContext(ctx, "end half-finished logins", "user_id", userID, "err", err)
			}
		}
		return err
	}
	ok, err := check()
	if err != nil && !errors.Is(err, errCodeInvalid) {
		ratelimit.Give(context.WithoutCancel(ctx), s.limiter, key, rate, 1) // not a guess
		return err
	}
	if !ok || err != nil {
		return domain.Invalid("code", "the code is wrong or was already used")
	}
	ratelimit.Give(context.WithoutCancel(ctx), s.limiter, key, rate, 1)
	return nil
}

// checkSecondFactor verifies a TOTP or recovery code of an enabled authenticator (reauthenticate).
func (s *Service) checkSecondFactor(ctx context.Context, userID uuid.UUID, code, field string) error {
	err := s.throttledCode(ctx, userID, func() (ok bool, err error) {
		err = s.store.InTx(ctx, func(q *store.Queries) error {
			ok, err = s.verifyFactor(ctx, q, userID, code, "")
			if err == nil && !ok {
				// A recovery code works wherever a code does.
				ok, err = s.verifyFactor(ctx, q, userID, "", code)
			}
			return err
		})
		return ok, err
	})
	if de := (*domain.Error)(nil); errors.As(err, &de) && de.Kind == domain.KindInvalid {
		de.Field = field
	}
	return err
}

// verifyFactor checks a TOTP code (spending its step) or a recovery code (spending it) of the
// member's enabled authenticator.
func (s *Service) verifyFactor(ctx context.Context, q *store.Queries, userID uuid.UUID, code, recoveryCode string) (bool, error) {
	t, err := q.UserTOTPByUser(ctx, userID)
	if domain.IsKind(err, domain.KindNotFound) || (err == nil && t.EnabledAt == nil) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if recoveryCode != "" {
		norm := normalizeRecoveryCode(recoveryCode)
		if norm == "" {
			return false, nil
		}
		return q.UseRecoveryCode(ctx, userID, hashToken(norm), s.now())
	}
	step, ok, err := s.matchTOTP(userID, t, code)
	if err != nil || !ok {
		return false, err
	}
	return q.UseTOTPStep(ctx, userID, step, s.now())
}

// matchTOTP finds the time step (within the skew) whose code is code, later than the last one
// accepted.
func (s *Service) matchTOTP(userID uuid.UUID, t store.UserTOTP, code string) (int64, bool, error) {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits.Length() {
		return 0, false, nil
	}
	secret, err := s.open(userID, t.SecretEnc)
	if err != nil {
		return 0, false, err
	}
	now := s.totpNow()
	cur := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := cur + d
		if step <= t.LastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false, fmt.Errorf("totp code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true, nil
		}
	}
	return 0, false, nil
}

// newRecoveryCodes replaces the member's recovery codes and returns them in clear.
func (s *Service) newRecoveryCodes(ctx context.Context, q *store.Queries, userID uuid.UUID) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	for i := range codes {
		raw := make([]byte, 8)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("recovery code: %w", err)
		}
		// 12 base32 characters: 60 random bits, shown as xxxx-xxxx-xxxx.
		c := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))[:12]
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:]
		hashes[i] = hashToken(c)
	}
	if err := q.ReplaceRecoveryCodes(ctx, userID, hashes, s.now()); err != nil {
		return nil, err
	}
	return codes, nil
}

// normalizeRecoveryCode drops separators and case, so "ABCD-efgh-1234" and "abcdefgh1234" match.
func normalizeRecoveryCode(c string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(c) {
		switch {
		case r == '-' || r == ' ':
		case (r >= 'a' && r <= 'z') || (r >= '2' && r <= '7'):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != 12 {
		return ""
	}
	return b.String()
}

// TOTPSecretBinding is where a TOTP secret lives: sealed values are bound to their member, so
// a secret copied to another account's row does not open. Values sealed before keyrings
// (format 1, MFA_ENCRYPTION_KEY) are accepted here.
func TOTPSecretBinding(userID uuid.UUID) sealbox.Binding {
	return sealbox.Binding{Table: "user_totp", Column: "secret_enc", Row: userID[:], LegacyV1: true}
}

// seal encrypts a TOTP secret for userID under the primary data key.
func (s *Service) seal(userID uuid.UUID, plain []byte) ([]byte, error) {
	out, err := s.keys.Seal(TOTPSecretBinding(userID), plain)
	if err != nil {
		return nil, fmt.Errorf("totp secret: %w", err)
	}
	return out, nil
}

// open decrypts what seal encrypted (under any key of the keyring).
func (s *Service) open(userID uuid.UUID, sealed []byte) ([]byte, error) {
	plain, err := s.keys.Open(TOTPSecretBinding(userID), sealed)
	if err != nil {
		return nil, fmt.Errorf("totp secret: %w", err)
	}
	return plain, nil
}

// userByID loads one account (NOT_FOUND when it does not exist).
func userByID(ctx context.Context, q *store.Queries, id uuid.UUID) (domain.User, error) {
	users, err := q.UsersByIDs(ctx, []uuid.UUID{id})
	if err != nil {
		return domain.User{}, err
	}
	u, ok := users[id]
	if !ok {
		return domain.User{}, domain.NotFound("user")
	}
	return u, nil
}

// randomToken is 32 random bytes, base64url.
func randomToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}
