package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/store"
)

// Email verification and password recovery.
//
// Every secret sent by email is random (a 32-byte link token; for verification also a 6-digit
// code to type), stored as a SHA-256 digest only, single-use (spent by the statement that
// accepts it), expiring, and replaced by the next one sent. The secrets are made by the River
// job that sends the email, not by the request: their plaintext is never stored, not even in
// the job's arguments, and requestPasswordReset does the same work (one job insert) whether or
// not the address has an account, so neither its answer nor its timing tells.
//
// Links are built from Config.PublicURL, never from request headers, and opening one changes
// nothing: the page it opens (or the app it hands over to) calls verifyEmail or resetPassword.

// verificationCodeDigits is the length of the typed verification code.
const verificationCodeDigits = 6

// maxTokenLen bounds a presented link token (ours are 43 characters).
const maxTokenLen = 128

// newLinkToken returns a random link token.
func newLinkToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("link token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// newCode returns a uniformly random code of verificationCodeDigits digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("verification code: %w", err)
	}
	return fmt.Sprintf("%0*d", verificationCodeDigits, n.Int64()), nil
}

// hashCode digests a code with its user's id, so equal codes of two accounts differ.
func hashCode(userID uuid.UUID, code string) []byte {
	sum := sha256.Sum256(append(userID[:], code...))
	return sum[:]
}

// link builds a link to path on the public site with token in its query.
func (s *Service) link(path, token string) string {
	base := strings.TrimSuffix(s.cfg.PublicURL, "/")
	if token == "" {
		return base + path
	}
	return base + path + "?token=" + url.QueryEscape(token)
}

// ResendVerificationEmail sends the actor a new verification code and link (the previous ones
// stop working). CONFLICT when the email is already verified; throttled per member.
func (s *Service) ResendVerificationEmail(ctx context.Context, actor domain.Actor) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	u, err := s.userByID(ctx, actor.ID())
	if err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	if u.EmailVerified() {
		return domain.Conflict("your email address is already verified")
	}
	if err := s.take(ctx, "verify:resend:user:"+u.ID.String(), s.cfg.Limits.ResendVerificationPerUser); err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		return q.EnqueueJob(ctx, SendVerificationEmailArgs{UserID: u.ID}, nil)
	})
	if err != nil {
		return fmt.Errorf("resend verification: %w", err)
	}
	return nil
}

// VerifyEmail confirms the member's email with the code they typed (the actor's own, so the
// request must be signed in) or with the token of the emailed link (which needs no sign-in: the
// link may be opened on another device). Exactly one of code and token is given. Wrong, expired
// and used secrets are one BAD_USER_INPUT on the field given; guesses are throttled, per member
// for codes and per client network for tokens. It returns the verified account.
func (s *Service) VerifyEmail(ctx context.Context, actor domain.Actor, code, token string, c Client) (domain.User, error) {
	now := s.now()
	sec, err := s.readEmailedSecret(ctx, actor, code, token, c, "verify", false)
	if err != nil {
		return domain.User{}, err
	}
	field, tokenHash, userID, codeHs := sec.field, sec.tokenHash, sec.userID, sec.codeHash
	var verified uuid.UUID
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		t, err := q.ClaimAccountToken(ctx, store.TokenVerifyEmail, tokenHash, userID, codeHs, now)
		if domain.IsKind(err, domain.KindNotFound) {
			return domain.Invalid(field, "is wrong, expired or already used: ask for a new email if needed")
		}
		if err != nil {
			return err
		}
		ok, err := q.MarkEmailVerified(ctx, t.UserID, t.Email, now)
		if err != nil {
			return err
		}
		if !ok {
			return domain.Invalid(field, "was sent to an address this account no longer uses")
		}
		verified = t.UserID
		q.AfterCommit(ctx, func(ctx context.Context) { s.publishUserChanged(ctx, t.UserID) })
		return nil
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("verify email: %w", err)
	}
	u, err := s.userByID(ctx, verified)
	if err != nil {
		return domain.User{}, fmt.Errorf("verify email: %w", err)
	}
	return u, nil
}

// emailedSecret is a code or link token presented to prove an emailed address, digested.
type emailedSecret struct {
	// field is the input field it came in ("code" or "token"), for errors.
	field               string
	tokenHash, codeHash []byte
	// userID is the member a code belongs to (a code is the signed-in actor's); uuid.Nil for a
	// link token, which names its member itself.
	userID uuid.UUID
}

// readEmailedSecret checks that exactly one of code and token is given (a code only by a
// signed-in actor), throttles guesses (codes per member, tokens per client network, under keys
// named by purpose) and digests the secret. toNewAddress says where it was sent, for errors (the
// member's address, or the new address of an email change): one sentence each, so each has its
// translation.
func (s *Service) readEmailedSecret(ctx context.Context, actor domain.Actor, code, token string, c Client, purpose string, toNewAddress bool) (emailedSecret, error) {
	code, token = strings.TrimSpace(code), strings.TrimSpace(token)
	switch {
	case code != "" && token != "":
		return emailedSecret{}, domain.Invalid("code", "give either the code or the link's token, not both")
	case code != "":
		if err := actor.RequireSignedIn(); err != nil {
			return emailedSecret{}, err
		}
		if err := s.take(ctx, purpose+":code:user:"+actor.ID().String(), s.cfg.Limits.VerifyEmailPerUser); err != nil {
			return emailedSecret{}, err
		}
		if len(code) != verificationCodeDigits {
			if toNewAddress {
				return emailedSecret{}, domain.Invalid("code", "must be the %d digits we emailed to your new address", verificationCodeDigits)
			}
			return emailedSecret{}, domain.Invalid("code", "must be the %d digits we emailed you", verificationCodeDigits)
		}
		return emailedSecret{field: "code", codeHash: hashCode(actor.ID(), code), userID: actor.ID()}, nil
	case token != "":
		if err := s.take(ctx, purpose+":token:ip:"+keyIP(c), s.cfg.Limits.VerifyEmailPerIP); err != nil {
			return emailedSecret{}, err
		}
		if len(token) > maxTokenLen {
			return emailedSecret{}, domain.Invalid("token", "is wrong, expired or already used")
		}
		return emailedSecret{field: "token", tokenHash: hashToken(token)}, nil
	}
	if toNewAddress {
		return emailedSecret{}, domain.Invalid("code", "give the code we emailed to your new address or the link's token")
	}
	return emailedSecret{}, domain.Invalid("code", "give the code we emailed you or the link's token")
}

// RequestPasswordReset emails a reset link to email if it belongs to an account. The answer and
// the work done here are the same whether it does or not (one job insert; the job looks the
// address up): nil for any well-formed address. Throttled per client network (RATE_LIMITED,
// which says nothing about the address) and, silently, per address, so nobody can flood a
// mailbox.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, c Client) error {
	if err := s.take(ctx, "reset:ip:"+keyIP(c), s.cfg.Limits.PasswordResetPerIP); err != nil {
		return err
	}
	addr, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	if s.take(ctx, "reset:email:"+emailKey(addr), s.cfg.Limits.PasswordResetPerEmail) != nil {
		return nil // enough links sent to this address for now; the answer must not tell
	}
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		return q.EnqueueJob(ctx, SendPasswordResetArgs{Email: addr}, nil)
	})
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	return nil
}

// ResetPassword sets a new password with the token of a reset link. It ends every session of the
// account (their sockets close), counts as a proof of the email address, emails a notice, and
// signs nobody in: the member logs in with the new password. A wrong, expired or used token is
// BAD_USER_INPUT on field token; attempts are throttled per client network.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string, c Client) error {
	now := s.now()
	if err := s.take(ctx, "reset:use:ip:"+keyIP(c), s.cfg.Limits.ResetPasswordPerIP); err != nil {
		return err
	}
	errToken := domain.Invalid("token", "is wrong, expired or already used: ask for a new link")
	token = strings.TrimSpace(token)
	if token == "" || len(token) > maxTokenLen {
		return errToken
	}
	hash := hashToken(token)
	t, err := s.store.Q().AccountTokenByHash(ctx, store.TokenResetPassword, hash, now)
	if domain.IsKind(err, domain.KindNotFound) {
		return errToken
	}
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	u, err := s.userByID(ctx, t.UserID)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	second, err := s.HasSecondFactor(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	if err := CheckPassword("newPassword", newPassword, second, u.Email, u.DisplayName); err != nil {
		return err
	}
	pwHash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	var revoked []uuid.UUID
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if _, err := q.ClaimAccountToken(ctx, store.TokenResetPassword, hash, uuid.Nil, nil, now); err != nil {
			if domain.IsKind(err, domain.KindNotFound) {
				return errToken // spent meanwhile by a concurrent reset
			}
			return err
		}
		if err := q.SetUserPassword(ctx, u.ID, pwHash, now); err != nil {
			return err
		}
		if revoked, err = q.RevokeUserAuthSessions(ctx, u.ID, nil, "PASSWORD_RESET", now); err != nil {
			return err
		}
		// The link reached the member at this address: that proves it as well as a code.
		if _, err := q.MarkEmailVerified(ctx, u.ID, t.Email, now); err != nil {
			return err
		}
		if err := q.EnqueueJob(ctx, PasswordNoticeArgs{UserID: u.ID, Reset: true}, nil); err != nil {
			return err
		}
		q.AfterCommit(ctx, func(ctx context.Context) {
			for _, id := range revoked {
				s.publishSessionRevoked(ctx, id)
			}
			s.publishUserChanged(ctx, u.ID)
		})
		return nil
	})
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	s.log.InfoContext(ctx, "password reset", "user_id", u.ID, "sessions_revoked", len(revoked))
	return nil
}

// ChangePassword replaces the actor's password, given the current one, and ends their other
// sessions (this one stays signed in); a notice is emailed. A wrong current password is
// BAD_USER_INPUT on field currentPassword, and attempts are throttled per member, so a stolen
// session cannot guess its way to the password.
func (s *Service) ChangePassword(ctx context.Context, actor domain.Actor, current, newPassword string) (int, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return 0, err
	}
	now := s.now()
	if err := s.take(ctx, "password:change:user:"+actor.ID().String(), s.cfg.Limits.ChangePasswordPerUser); err != nil {
		return 0, err
	}
	u, err := s.userByID(ctx, actor.ID())
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	if len(current) > 4*MaxPasswordBytes {
		return 0, domain.Invalid("currentPassword", "is wrong")
	}
	ok, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return 0, fmt.Errorf("change password: verify: %w", err)
	}
	if !ok {
		return 0, domain.Invalid("currentPassword", "is wrong")
	}
	second, err := s.HasSecondFactor(ctx, u.ID)
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	if err := CheckPassword("newPassword", newPassword, second, u.Email, u.DisplayName); err != nil {
		return 0, err
	}
	pwHash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	var revoked []uuid.UUID
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.SetUserPassword(ctx, u.ID, pwHash, now); err != nil {
			return err
		}
		if revoked, err = q.RevokeUserAuthSessions(ctx, u.ID, &actor.SessionID, "PASSWORD_CHANGED", now); err != nil {
			return err
		}
		if err := q.EnqueueJob(ctx, PasswordNoticeArgs{UserID: u.ID}, nil); err != nil {
			return err
		}
		q.AfterCommit(ctx, func(ctx context.Context) {
			for _, id := range revoked {
				s.publishSessionRevoked(ctx, id)
			}
		})
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	return len(revoked), nil
}

// userByID loads an account (NOT_FOUND when it is gone).
func (s *Service) userByID(ctx context.Context, id uuid.UUID) (domain.User, error) {
	users, err := s.store.Q().UsersByIDs(ctx, []uuid.UUID{id})
	if err != nil {
		return domain.User{}, err
	}
	u, ok := users[id]
	if !ok {
		return domain.User{}, domain.NotFound("user")
	}
	return u, nil
}

// publishUserChanged drops the cached account and wakes viewerUpdated.
func (s *Service) publishUserChanged(ctx context.Context, id uuid.UUID) {
	s.invalidate(ctx, "user", id)
	if err := s.pub.Publish(ctx, realtime.UserTopic(id), []byte("updated")); err != nil {
		s.log.WarnContext(ctx, "publish user update", "user_id", id, "err", err)
	}
}

// issueAccountToken makes and stores (as digests) the secrets of one email to the user's
// address, replacing the user's previous ones of that purpose; withCode adds a typed code.
func (s *Service) issueAccountToken(ctx context.Context, u domain.User, purpose string, ttl time.Duration, withCode bool) (token, code string, err error) {
	return s.issueAccountTokenTo(ctx, u.ID, u.Email, purpose, s.now().Add(ttl), withCode, false)
}
