package resolvers

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/payments"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/sessions"
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
	v, ok := auth.ViewerFrom(ctx)
	if !ok || (v.User.ID != u.ID && !v.User.IsStaff()) {
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
func sessionPayment(ctx context.Context, s *domain.Session) (*domain.Payment, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok || !s.Paid() || (!s.IsParticipant(v.User.ID) && !v.User.IsStaff()) {
		return nil, nil
	}
	p, found, err := dataloaders.SessionPayment(ctx, s.ID)
	if err != nil || !found {
		return nil, err
	}
	p = payments.ForViewer(v.User, p)
	return &p, nil
}

// paymentClientSecret re-applies the payer-only rule at the field, whatever the entry point.
func paymentClientSecret(ctx context.Context, p *domain.Payment) *string {
	v, ok := auth.ViewerFrom(ctx)
	if !ok {
		return nil
	}
	return payments.ForViewer(v.User, *p).ClientSecret
}

func paymentViewerRole(ctx context.Context, p *domain.Payment) *model.PaymentRole {
	me := viewerID(ctx)
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

func (r *Resolver) memberPayments(ctx context.Context, u *domain.User, first *int, after *string) (*model.PaymentConnection, error) {
	page, err := relay.ParsePage[uuid.UUID]("payments", first, after)
	if err != nil {
		return nil, err
	}
	list, err := r.Payments.MemberPayments(ctx, u.ID, page.Limit(), page.After)
	if err != nil {
		return nil, err
	}
	edges, info := relay.Slice("payments", page, list, func(p domain.Payment) uuid.UUID { return p.ID })
	out := &model.PaymentConnection{PageInfo: toPageInfo(info), Edges: make([]model.PaymentEdge, len(edges))}
	l := dataloaders.For(ctx).Payments.BySession
	for i := range edges {
		l.Prime(edges[i].Node.SessionID, edges[i].Node)
		out.Edges[i] = model.PaymentEdge{Cursor: edges[i].Cursor, Node: &edges[i].Node}
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

func (r *Resolver) setSkillPrice(ctx context.Context, input model.SetSkillPriceInput) (*model.SetSkillPricePayload, error) {
	skillID, err := relay.ParseID(relay.KindSkill, input.SkillID, "skillId")
	if err != nil {
		return nil, err
	}
	if input.HourlyPrice == nil {
		err = r.Payments.RemovePrice(ctx, skillID)
	} else {
		_, err = r.Payments.SetPrice(ctx, skillID, int64(input.HourlyPrice.AmountMinor), input.HourlyPrice.Currency)
	}
	if err != nil {
		return nil, priceField(err)
	}
	me := viewerID(ctx)
	skills, err := r.Store.Q().MemberSkillsByUserIDs(ctx, []uuid.UUID{me})
	if err != nil {
		return nil, fmt.Errorf("set skill price: %w", err)
	}
	for _, ms := range skills[me] {
		if ms.SkillID == skillID && ms.Kind == domain.Offer {
			return &model.SetSkillPricePayload{MemberSkill: &ms}, nil
		}
	}
	return nil, domain.NotFound("offered skill")
}

func (r *Resolver) startMentorOnboarding(ctx context.Context) (*model.StartMentorOnboardingPayload, error) {
	url, err := r.Payments.StartMentorOnboarding(ctx)
	if err != nil {
		return nil, err
	}
	acct, ok, err := r.Payments.MentorAccount(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("start mentor onboarding: no account after onboarding started")
	}
	return &model.StartMentorOnboardingPayload{URL: url, Account: &acct}, nil
}

// proposeSession proposes a session and, for a paid one the caller learns in, opens its
// payment. The session is saved even when Stripe cannot be reached: the error is then reported
// next to the data, and payForSession resumes.
func (r *Resolver) proposeSession(ctx context.Context, in model.ProposeSessionInput) (*model.ScheduleSessionPayload, error) {
	skillID, err := relay.ParseID(relay.KindSkill, in.SkillID, "skillId")
	if err != nil {
		return nil, err
	}
	teacherID, err := relay.ParseID(relay.KindUser, in.TeacherID, "teacherId")
	if err != nil {
		return nil, err
	}
	learnerID, err := relay.ParseID(relay.KindUser, in.LearnerID, "learnerId")
	if err != nil {
		return nil, err
	}
	paid := in.Paid != nil && *in.Paid
	res, err := r.Sessions.Propose(ctx, sessions.ProposeInput{
		SkillID: skillID, TeacherID: teacherID, LearnerID: learnerID, StartsAt: in.StartsAt,
		DurationMinutes: in.DurationMinutes, Mode: in.Mode, Link: deref(in.MeetingURL),
		Place: deref(in.Place), Note: deref(in.Note), Paid: paid,
	})
	if err != nil {
		return nil, renameFields(err)
	}
	out := scheduled(res)
	if paid && viewerID(ctx) == learnerID {
		ps, err := r.Payments.StartPayment(ctx, res.Session.ID)
		if err != nil {
			graphql.AddError(ctx, err)
			return out, nil
		}
		out.ClientSecret = &ps.ClientSecret
	}
	return out, nil
}

func (r *Resolver) payForSession(ctx context.Context, input model.PayForSessionInput) (*model.PayForSessionPayload, error) {
	id, err := parseSessionID(input.SessionID)
	if err != nil {
		return nil, err
	}
	ps, err := r.Payments.StartPayment(ctx, id)
	if err != nil {
		return nil, withoutField(err)
	}
	return &model.PayForSessionPayload{Payment: &ps.Payment, ClientSecret: ps.ClientSecret}, nil
}

func (r *Resolver) refundPayment(ctx context.Context, input model.RefundPaymentInput) (*model.RefundPaymentPayload, error) {
	id, err := relay.ParseID(relay.KindPayment, input.PaymentID, "paymentId")
	if err != nil {
		return nil, err
	}
	requestID, err := uuid.Parse(input.RequestID)
	if err != nil {
		return nil, domain.Invalid("requestId", "must be a UUID generated once per refund")
	}
	var amount int64
	if input.AmountMinor != nil {
		if amount = int64(*input.AmountMinor); amount <= 0 {
			return nil, domain.Invalid("amountMinor", "must be at least 1 (or null to refund everything left)")
		}
	}
	p, err := r.Payments.RefundPayment(ctx, payments.RefundInput{PaymentID: id, AmountMinor: amount, Reason: input.Reason, RequestID: requestID})
	if err != nil {
		return nil, err
	}
	return &model.RefundPaymentPayload{Payment: &p}, nil
}

// paymentNode resolves node(id:) for a payment: nil when the caller may not see it.
func (r *Resolver) paymentNode(ctx context.Context, id uuid.UUID) (relay.Node, error) {
	p, err := r.Payments.Payment(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// sessionDispute returns the no-show dispute of a paid session for its participants and staff;
// nil otherwise.
func sessionDispute(ctx context.Context, s *domain.Session) (*domain.NoShowDispute, error) {
	v, ok := auth.ViewerFrom(ctx)
	if !ok || !s.Paid() || (!s.IsParticipant(v.User.ID) && !v.User.IsStaff()) {
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
	out := &model.Chargeback{Status: *p.DisputeStatus, Closed: domain.DisputeClosed(*p.DisputeStatus)}
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

func (r *Resolver) noShowDisputes(ctx context.Context, status *domain.NoShowDisputeStatus, first *int, after *string) (*model.NoShowDisputeConnection, error) {
	page, err := relay.ParsePage[uuid.UUID]("noShowDisputes", first, after)
	if err != nil {
		return nil, err
	}
	var st *string
	if status != nil {
		x := string(*status)
		st = &x
	}
	list, err := r.Payments.NoShowDisputes(ctx, st, page.Limit(), page.After)
	if err != nil {
		return nil, err
	}
	edges, info := relay.Slice("noShowDisputes", page, list, func(d domain.NoShowDispute) uuid.UUID { return d.SessionID })
	out := &model.NoShowDisputeConnection{PageInfo: toPageInfo(info), Edges: make([]model.NoShowDisputeEdge, len(edges))}
	for i := range edges {
		out.Edges[i] = model.NoShowDisputeEdge{Cursor: edges[i].Cursor, Node: &edges[i].Node}
	}
	return out, nil
}

func disputePayload(d domain.NoShowDispute, err error) (*model.NoShowDisputePayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.NoShowDisputePayload{Dispute: &d}, nil
}
