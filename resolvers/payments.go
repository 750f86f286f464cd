package resolvers

import (
	"context"
	"errors"
	"fmt"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/payments"
	"github.com/skillswap/skillswap/relay"
)

// Paid mentoring: helpers of the thin resolvers in schema.resolvers.go. Entry points (the
// payment query, node, session.payment, user.payments) return only payments the caller may
// see; field resolvers still drop what only the payer may see (the client secret).

func money(amount int64, currency string) *domain.Money {
	return &domain.Money{AmountMinor: amount, Currency: currency}
}

// offerPrice returns a member's hourly price for an offered skill; nil for wants and unpriced
// offers.
func offerPrice(ctx context.Context, ms *domain.MemberSkill) (*domain.Money, error) {
	if ms.Kind != domain.Offer {
		return nil, nil
	}
	prices, err := dataloaders.For(ctx).Payments.Prices.Load(ctx, ms.UserID)
	if err != nil {
		return nil, fmt.Errorf("load prices: %w", err)
	}
	for _, p := range prices {
		if p.SkillID == ms.SkillID {
			return money(p.AmountMinor, p.Currency), nil
		}
	}
	return nil, nil
}

// acceptsPaidSessions: a MENTOR whose connected account Stripe pays out.
func acceptsPaidSessions(ctx context.Context, u *domain.User) (bool, error) {
	if !u.HasRole(domain.RoleMentor) {
		return false, nil
	}
	acct, ok, err := dataloaders.MentorAccount(ctx, u.ID)
	if err != nil {
		return false, fmt.Errorf("load mentor account: %w", err)
	}
	return ok && acct.Bookable(), nil
}

// mentorAccountOf returns a member's connected account for the member themselves and staff;
// nil for anyone else and when there is none.
func mentorAccountOf(ctx context.Context, u *domain.User) (*domain.MentorAccount, error) {
	actor := auth.ActorFrom(ctx)
	if !actor.SignedIn() || (actor.ID() != u.ID && !actor.User.IsStaff()) {
		return nil, nil
	}
	acct, found, err := dataloaders.MentorAccount(ctx, u.ID)
	if err != nil || !found {
		return nil, err
	}
	return &acct, nil
}

// sessionPayment returns a session's payment for its participants and staff; nil for an
// unpaid session and for anyone else.
func sessionPayment(ctx context.Context, s *domain.SkillSession) (*domain.Payment, error) {
	actor := auth.ActorFrom(ctx)
	if !actor.SignedIn() || !s.Paid() || (!s.IsParticipant(actor.ID()) && !actor.User.IsStaff()) {
		return nil, nil
	}
	p, found, err := dataloaders.SessionPayment(ctx, s.ID)
	if err != nil || !found {
		return nil, err
	}
	p = payments.ForViewer(actor.User, p)
	return &p, nil
}

// paymentClientSecret re-applies the payer-only rule at the field, whatever the entry point.
func paymentClientSecret(ctx context.Context, p *domain.Payment) *string {
	actor := auth.ActorFrom(ctx)
	if !actor.SignedIn() {
		return nil
	}
	return payments.ForViewer(actor.User, *p).ClientSecret
}

func paymentViewerRole(ctx context.Context, p *domain.Payment) *model.PaymentRole {
	me := auth.ActorFrom(ctx).ID()
	role := model.PaymentRolePayer
	switch me {
	case p.PayerID:
	case p.PayeeID:
		role = model.PaymentRolePayee
	default:
		return nil
	}
	return &role
}

func paymentRefunds(ctx context.Context, p *domain.Payment) ([]domain.Refund, error) {
	list, err := dataloaders.For(ctx).Payments.Refunds.Load(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("load refunds: %w", err)
	}
	out := make([]domain.Refund, len(list))
	for i, r := range list {
		r.Currency = p.Currency
		out[i] = r
	}
	return out, nil
}

// priceField points a price error at the input's nested field (`hourlyPrice.amountMinor`).
func priceField(err error) error {
	var de *domain.Error
	if errors.As(err, &de) && (de.Field == "amountMinor" || de.Field == "currency") {
		de.Field = "hourlyPrice." + de.Field
	}
	return err
}

// sessionDispute returns the no-show dispute of a paid session for its participants and staff;
// nil otherwise.
func sessionDispute(ctx context.Context, s *domain.SkillSession) (*domain.NoShowDispute, error) {
	actor := auth.ActorFrom(ctx)
	if !actor.SignedIn() || !s.Paid() || (!s.IsParticipant(actor.ID()) && !actor.User.IsStaff()) {
		return nil, nil
	}
	d, found, err := dataloaders.NoShowDispute(ctx, s.ID)
	if err != nil || !found {
		return nil, err
	}
	return &d, nil
}

func chargeback(p *domain.Payment) *model.Chargeback {
	if p.StripeDisputeID == nil || p.DisputeStatus == nil {
		return nil
	}
	out := &model.Chargeback{ID: relay.GlobalID(relay.KindChargeback, p.ID), Status: *p.DisputeStatus, Closed: domain.DisputeClosed(*p.DisputeStatus)}
	if p.DisputedAmountMinor != nil {
		out.Amount = money(*p.DisputedAmountMinor, p.Currency)
	} else {
		out.Amount = money(p.AmountMinor, p.Currency)
	}
	if p.DisputedAt != nil {
		out.OpenedAt = *p.DisputedAt
	}
	return out
}

func disputePayload(d domain.NoShowDispute, err error) (*model.NoShowDisputePayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.NoShowDisputePayload{Dispute: &d}, nil
}
