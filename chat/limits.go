package chat

import (
	"context"
	"errors"
	"time"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/ratelimit"
)

// ConversationLimits bound how many conversations a member opens (issue 16 item 4): a new
// direct conversation or group spends one; reopening an existing direct conversation is free.
// Accounts younger than NewAccountAge get the stricter NewAccountRate, since spam and scam
// accounts are new accounts and a genuine newcomer rarely starts more than a few a day.
type ConversationLimits struct {
	// Rate is the budget of established accounts (zero: no limit).
	Rate ratelimit.Rate
	// NewAccountRate is the budget of accounts younger than NewAccountAge (zero: Rate).
	NewAccountRate ratelimit.Rate
	// NewAccountAge is how long an account counts as new (zero: never).
	NewAccountAge time.Duration
}

// conversationKey is the rate-limit key of the conversations a member opens. One key for both
// budgets: an account growing out of "new" keeps what it spent. LimitKeys lists it for erasure.
func conversationKey(actor domain.Actor) string { return "conversation:user:" + actor.ID().String() }

// conversationRate is the budget that applies to actor now.
func (s *Service) conversationRate(actor domain.Actor) ratelimit.Rate {
	l := s.convLimits
	if l.NewAccountAge > 0 && l.NewAccountRate.Valid() && s.now().Sub(actor.User.CreatedAt) < l.NewAccountAge {
		return l.NewAccountRate
	}
	return l.Rate
}

// takeConversation spends one conversation of actor's budget: RATE_LIMITED (field userId for a
// direct conversation, memberIds for a group, and retryAfterSeconds) when it is spent. It runs
// before the transaction that creates the conversation (never holding one open across a Redis
// round trip); giveBack returns the conversation when that transaction creates none after all.
func (s *Service) takeConversation(ctx context.Context, actor domain.Actor, field string) (giveBack func(), err error) {
	rate := s.conversationRate(actor)
	if err := ratelimit.Take(ctx, s.limiter, conversationKey(actor), rate, 1); err != nil {
		var de *domain.Error
		if errors.As(err, &de) && de.Kind == domain.KindRateLimited {
			de.Field = field
			de.WithText("you opened too many conversations today, try again later")
		}
		return nil, err
	}
	return func() { ratelimit.Give(context.WithoutCancel(ctx), s.limiter, conversationKey(actor), rate, 1) }, nil
}
