package auth

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Sign-in history: every sign-in attempt on a known account (an attempt on an unknown email
// records nothing) is recorded with its method, its outcome, the client's network and
// User-Agent, so the member can spot one that was not theirs (AccountSecurity.recentSignIns).
// A member keeps their MaxSignInEvents newest events, none older than SIGN_IN_HISTORY_RETENTION
// (a retention rule, package retention).
//
// The network, not the address, is kept (IPv4 /24, IPv6 /48): enough to tell "not my
// network", while whoever reads the history with a stolen session learns less about where the
// member lives.

// MaxSignInEvents is how many sign-in events a member keeps (and recentSignIns returns at most).
const MaxSignInEvents = store.MaxSignInEventsPerUser

// RecordSignIn records a sign-in attempt on userID's account: failure is empty for a success.
// It never fails the sign-in it records (an error is logged). LogIn, CompleteMFALogIn and
// the checked sign-ins (SignInAs for providers, SignInWithPasskey) call it.
func (s *Service) RecordSignIn(ctx context.Context, userID uuid.UUID, method domain.SignInEventMethod, failure domain.SignInFailure, c Client) {
	id, err := uuid.NewV7()
	if err != nil {
		s.log.WarnContext(ctx, "record sign-in", "user_id", userID, "err", err)
		return
	}
	ua := c.UserAgent
	if len(ua) > 256 {
		ua = strings.ToValidUTF8(ua[:256], "")
	}
	e := domain.SignInEvent{ID: id, UserID: userID, At: s.now(), Method: method, Failure: failure,
		Network: signInNetwork(c.IP), UserAgent: ua}
	// The attempt happened even if its request was cancelled meanwhile.
	if err := s.store.Q().InsertSignInEvent(context.WithoutCancel(ctx), e); err != nil {
		s.log.WarnContext(ctx, "record sign-in", "user_id", userID, "err", err)
	}
}

// signInNetwork is the coarse network of ip kept in the history: /24 for IPv4, /48 for IPv6.
func signInNetwork(ip netip.Addr) netip.Prefix {
	if !ip.IsValid() {
		return netip.Prefix{}
	}
	ip = ip.Unmap()
	bits := 24
	if ip.Is6() {
		bits = 48
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// RecentSignIns returns the actor's newest sign-in events, newest first: first of them, 1 to
// MaxSignInEvents (BAD_USER_INPUT on first otherwise).
func (s *Service) RecentSignIns(ctx context.Context, actor domain.Actor, first int) ([]domain.SignInEvent, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	if first < 1 || first > MaxSignInEvents {
		return nil, domain.Invalid("first", "must be between 1 and %d", MaxSignInEvents)
	}
	events, err := s.store.Q().RecentSignInEvents(ctx, actor.ID(), first)
	if err != nil {
		return nil, fmt.Errorf("recent sign-ins: %w", err)
	}
	return events, nil
}
