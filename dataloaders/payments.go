package dataloaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/skillswap/skillswap/domain"
)

// PaymentSource is what the paid-mentoring loaders read; *store.Queries implements it.
type PaymentSource interface {
	PaymentsBySessionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Payment, error)
	RefundsByPaymentIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.Refund, error)
	MentorPricesByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.MentorPrice, error)
	MentorAccountsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.MentorAccount, error)
	NoShowDisputesBySessionIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.NoShowDispute, error)
}

// PaymentLoaders are the request-scoped loaders of payments, prices and mentor accounts (no
// access checks: resolvers apply them).
type PaymentLoaders struct {
	// BySession loads the payment of paid sessions by session id; an unpaid session is not found.
	BySession *dataloadgen.Loader[uuid.UUID, domain.Payment]
	// Refunds loads payments' refunds, oldest first; none is an empty list.
	Refunds *dataloadgen.Loader[uuid.UUID, []domain.Refund]
	// Prices loads members' hourly prices by member id; none is an empty list.
	Prices *dataloadgen.Loader[uuid.UUID, []domain.MentorPrice]
	// Accounts loads mentors' connected accounts by member id; a member without one is not found.
	Accounts *dataloadgen.Loader[uuid.UUID, domain.MentorAccount]
	// NoShowDisputes loads paid sessions' no-show disputes by session id; none is not found.
	NoShowDisputes *dataloadgen.Loader[uuid.UUID, domain.NoShowDispute]
}

func newPaymentLoaders(src PaymentSource, wait dataloadgen.Option) *PaymentLoaders {
	return &PaymentLoaders{
		BySession:      dataloadgen.NewMappedLoader(src.PaymentsBySessionIDs, wait),
		Refunds:        dataloadgen.NewMappedLoader(orEmpty(src.RefundsByPaymentIDs), wait),
		Prices:         dataloadgen.NewMappedLoader(orEmpty(src.MentorPricesByUserIDs), wait),
		Accounts:       dataloadgen.NewMappedLoader(src.MentorAccountsByUserIDs, wait),
		NoShowDisputes: dataloadgen.NewMappedLoader(src.NoShowDisputesBySessionIDs, wait),
	}
}

// SessionPayment loads the payment of a session; ok is false for an unpaid session.
func SessionPayment(ctx context.Context, sessionID uuid.UUID) (p domain.Payment, ok bool, err error) {
	p, err = For(ctx).Payments.BySession.Load(ctx, sessionID)
	if isNotFound(err) {
		return domain.Payment{}, false, nil
	}
	return p, err == nil, err
}

// MentorAccount loads a member's connected account; ok is false when they have none.
func MentorAccount(ctx context.Context, userID uuid.UUID) (a domain.MentorAccount, ok bool, err error) {
	a, err = For(ctx).Payments.Accounts.Load(ctx, userID)
	if isNotFound(err) {
		return domain.MentorAccount{}, false, nil
	}
	return a, err == nil, err
}

// NoShowDispute loads a session's no-show dispute; ok is false when it has none.
func NoShowDispute(ctx context.Context, sessionID uuid.UUID) (d domain.NoShowDispute, ok bool, err error) {
	d, err = For(ctx).Payments.NoShowDisputes.Load(ctx, sessionID)
	if isNotFound(err) {
		return domain.NoShowDispute{}, false, nil
	}
	return d, err == nil, err
}
