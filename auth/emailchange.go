package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Email change.
//
// requestEmailChange (recent authentication required) records the new address as pending and
// queues a job that emails it a code and a link, made like the verification ones (random, stored
// as digests, single-use, expiring after EMAIL_VERIFICATION_TTL). The account keeps its address
// until confirmEmailChange presents the code (signed in) or the link's token (no sign-in needed):
// opening the link changes nothing. Whether the new address belongs to another account is never
// told by the request (OWASP: no account enumeration): the job sends that address's owner a
// "this address already has an account" email instead of a code, and the request's answer is
// the same either way.
//
// On confirmation the address is replaced and marked verified, secrets sent to the old address
// stop working, and the old address, when it had been verified, gets a notice with an undo link
// valid ACCOUNT_EMAIL_UNDO_WINDOW. Other sessions are kept: the member proved a recent sign-in
// and the new address; ending them would sign out the rightful owner of an account taken over
// through a stolen session, who then could not see the change. Until the window ends the old
// address stays reserved to the member (nobody may sign up with it or move to it), so whoever
// changed it cannot block the undo. undoEmailChange needs no sign-in (the account may be in
// someone else's hands): it puts the old address back, ends every session (their sockets close)
// and half-finished login, and emails a password reset link, since whoever made the change may
// know the password.

// RequestEmailChange records newEmail as the actor's pending address and has a code and a link
// sent to it (see above). It returns the normalised pending address. Errors: BAD_USER_INPUT on
// newEmail (malformed, or the current address), FORBIDDEN RECENT_AUTH_REQUIRED, RATE_LIMITED.
func (s *Service) RequestEmailChange(ctx context.Context, actor domain.Actor, newEmail string) (string, error) {
	if err := s.RequireRecentAuth(ctx, actor); err != nil {
		return "", err
	}
	if err := s.take(ctx, "email:change:user:"+actor.ID().String(), s.cfg.Limits.EmailChangePerUser); err != nil {
		return "", err
	}
	addr, err := NormalizeEmail(newEmail)
	if err != nil {
		if de := asDomainError(err); de != nil {
			de.Field = "newEmail"
		}
		return "", err
	}
	now := s.now()
	u, err := s.userByID(ctx, actor.ID())
	if err != nil {
		return "", fmt.Errorf("request email change: %w", err)
	}
	if strings.EqualFold(addr, u.Email) {
		return "", domain.Invalid("newEmail", "is already your email address")
	}
	// Past the address's budget the request is recorded and answered alike, but sends nothing.
	send := s.take(ctx, "email:change:to:"+emailKey(addr), s.cfg.Limits.EmailChangePerAddress) == nil
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("request email change: %w", err)
	}
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.ReplacePendingEmailChange(ctx, store.EmailChange{
			ID: id, UserID: u.ID, OldEmail: u.Email, OldVerified: u.EmailVerified(), NewEmail: addr,
			RequestedAt: now, ExpiresAt: now.Add(s.cfg.VerificationTTL),
		}); err != nil {
			return err
		}
		// The code and link of an earlier request stop working.
		if err := q.DeleteAccountTokens(ctx, u.ID, store.TokenChangeEmail); err != nil {
			return err
		}
		if !send {
			return nil
		}
		return q.EnqueueJob(ctx, SendEmailChangeArgs{ChangeID: id}, nil)
	})
	if err != nil {
		return "", fmt.Errorf("request email change: %w", err)
	}
	s.publishUserChanged(ctx, u.ID)
	return addr, nil
}

// PendingEmail returns the address the actor asked to move to and has not confirmed yet (nil
// when none, or when the request expired).
func (s *Service) PendingEmail(ctx context.Context, actor domain.Actor) (*string, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	c, err := s.store.Q().PendingEmailChange(ctx, actor.ID(), s.now())
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pending email: %w", err)
	}
	return &c.NewEmail, nil
}

// ConfirmEmailChange makes the pending address the account's, with the code emailed to it (the
// actor's own, so signed in) or the token of its link (no sign-in needed). Exactly one of code
// and token is given. Wrong, expired and used secrets are BAD_USER_INPUT on the field given,
// guesses throttled as verifyEmail's; CONFLICT when another account took the address meanwhile
// (of two accounts confirming one address, one wins). It returns the account.
func (s *Service) ConfirmEmailChange(ctx context.Context, actor domain.Actor, code, token string, c Client) (domain.User, error) {
	now := s.now()
	sec, err := s.readEmailedSecret(ctx, actor, code, token, c, "email:confirm", true)
	if err != nil {
		return domain.User{}, err
	}
	field, tokenHash, userID, codeHs := sec.field, sec.tokenHash, sec.userID, sec.codeHash
	var changed uuid.UUID
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		t, err := q.ClaimAccountToken(ctx, store.TokenChangeEmail, tokenHash, userID, codeHs, now)
		if domain.IsKind(err, domain.KindNotFound) {
			return domain.Invalid(field, "is wrong, expired or already used: ask for a new email if needed")
		}
		if err != nil {
			return err
		}
		if reserved, err := q.EmailReserved(ctx, t.Email, t.UserID, now); err != nil {
			return err
		} else if reserved {
			return domain.Conflict("this address is already used by another account")
		}
		ch, err := q.ConfirmEmailChange(ctx, t.UserID, t.Email, now, now.Add(s.cfg.EmailUndoWindow))
		if domain.IsKind(err, domain.KindNotFound) {
			return domain.Invalid(field, "was for an email change that is no longer pending")
		}
		if err != nil {
			return err
		}
		// A unique violation here is the other account of a race winning: CONFLICT, and this
		// transaction (the token's use included) rolls back.
		if err := q.SetUserEmail(ctx, t.UserID, t.Email, now); err != nil {
			return err
		}
		// Secrets sent to the old address (or for this change) stop working.
		if err := q.DeleteAccountTokens(ctx, t.UserID, store.TokenVerifyEmail, store.TokenResetPassword, store.TokenChangeEmail); err != nil {
			return err
		}
		if ch.UndoUntil != nil {
			if err := q.EnqueueJob(ctx, EmailChangedNoticeArgs{ChangeID: ch.ID}, nil); err != nil {
				return err
			}
		}
		changed = t.UserID
		q.AfterCommit(ctx, func(ctx context.Context) { s.publishUserChanged(ctx, t.UserID) })
		return nil
	})
	if err != nil {
		return domain.User{}, fmt.Errorf("confirm email change: %w", err)
	}
	s.log.InfoContext(ctx, "email changed", "user_id", changed)
	u, err := s.userByID(ctx, changed)
	if err != nil {
		return domain.User{}, fmt.Errorf("confirm email change: %w", err)
	}
	return u, nil
}

// UndoEmailChange puts back the address an email change replaced, with the token of the link
// emailed to that address (no sign-in needed). Every session of the account ends (sockets
// close), half-finished logins too, and a password reset link goes to the restored address.
// BAD_USER_INPUT on token when it is wrong, used or past ACCOUNT_EMAIL_UNDO_WINDOW; CONFLICT when
// another account holds the old address by now; throttled per client network.
func (s *Service) UndoEmailChange(ctx context.Context, token string, c Client) error {
	now := s.now()
	if err := s.take(ctx, "email:undo:ip:"+keyIP(c), s.cfg.Limits.ResetPasswordPerIP); err != nil {
		return err
	}
	errToken := domain.Invalid("token", "is wrong, expired or already used")
	token = strings.TrimSpace(token)
	if token == "" || len(token) > maxTokenLen {
		return errToken
	}
	var (
		userID  uuid.UUID
		revoked []uuid.UUID
	)
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		t, err := q.ClaimAccountToken(ctx, store.TokenUndoEmailChange, hashToken(token), uuid.Nil, nil, now)
		if domain.IsKind(err, domain.KindNotFound) {
			return errToken
		}
		if err != nil {
			return err
		}
		ch, err := q.UndoEmailChanges(ctx, t.UserID, t.Email, now)
		if domain.IsKind(err, domain.KindNotFound) {
			return errToken
		}
		if err != nil {
			return err
		}
		if err := q.SetUserEmail(ctx, t.UserID, ch.OldEmail, now); err != nil {
			if domain.IsKind(err, domain.KindConflict) {
				return domain.Conflict("another account uses this address by now: contact our support")
			}
			return err
		}
		if err := q.DeleteAccountTokens(ctx, t.UserID, store.TokenVerifyEmail, store.TokenResetPassword, store.TokenChangeEmail); err != nil {
			return err
		}
		if revoked, err = q.RevokeUserAuthSessions(ctx, t.UserID, nil, "EMAIL_CHANGE_UNDONE", now); err != nil {
			return err
		}
		if err := q.SpendUserMFATickets(ctx, t.UserID, now); err != nil {
			return err
		}
		if err := q.EnqueueJob(ctx, SendPasswordResetArgs{Email: ch.OldEmail}, nil); err != nil {
			return err
		}
		userID = t.UserID
		q.AfterCommit(ctx, func(ctx context.Context) {
			for _, id := range revoked {
				s.publishSessionRevoked(ctx, id)
			}
			s.publishUserChanged(ctx, t.UserID)
		})
		return nil
	})
	if err != nil {
		return fmt.Errorf("undo email change: %w", err)
	}
	s.log.WarnContext(ctx, "email change undone", "user_id", userID, "sessions_revoked", len(revoked))
	return nil
}

// emailHeld reports whether email is the reserved old address of another member's undoable
// email change (sign-ups treat it as taken).
func (s *Service) emailHeld(ctx context.Context, q *store.Queries, email string, except uuid.UUID) (bool, error) {
	return q.EmailReserved(ctx, email, except, s.now())
}

// issueAccountTokenTo makes and stores (as digests) the secrets of one email sent to email,
// expiring at expires. perEmail keeps the user's tokens of the purpose sent to other addresses
// (undo links of a chain of changes); otherwise they are all replaced.
func (s *Service) issueAccountTokenTo(ctx context.Context, userID uuid.UUID, email, purpose string, expires time.Time, withCode, perEmail bool) (token, code string, err error) {
	now := s.now()
	if token, err = newLinkToken(); err != nil {
		return "", "", err
	}
	t := store.AccountToken{
		TokenHash: hashToken(token), UserID: userID, Purpose: purpose, Email: email,
		CreatedAt: now, ExpiresAt: expires,
	}
	if withCode {
		if code, err = newCode(); err != nil {
			return "", "", err
		}
		t.CodeHash = hashCode(userID, code)
	}
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		if perEmail {
			return q.ReplaceAccountTokenOfEmail(ctx, t)
		}
		return q.ReplaceAccountToken(ctx, t)
	})
	if err != nil {
		return "", "", fmt.Errorf("store %s token: %w", purpose, err)
	}
	return token, code, nil
}

// asDomainError returns err's domain error, if it is one.
func asDomainError(err error) *domain.Error {
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	return nil
}
