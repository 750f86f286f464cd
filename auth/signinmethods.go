package auth

import (
	"context"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// ReasonLastSignInMethod is extensions.reason of the CONFLICT answered when removing a way to
// sign in (unlinking a provider, removing a passkey) would leave the member none.
const ReasonLastSignInMethod = "LAST_SIGN_IN_METHOD"

// RequireAnotherSignInMethod is the one check before a way to sign in is removed: it locks the
// member's sign-in methods in q's transaction (concurrent removals then run one after the other)
// and is CONFLICT (reason LAST_SIGN_IN_METHOD, on field) unless the member keeps at least one
// other way to sign in: a password, a linked provider or a passkey. Call it, then remove, in
// one transaction.
func RequireAnotherSignInMethod(ctx context.Context, q *store.Queries, userID uuid.UUID, field string) error {
	m, err := q.LockUserSignInMethods(ctx, userID)
	if err != nil {
		return err
	}
	if m.Total() <= 1 {
		e := domain.Conflict("this is your only way to sign in: set a password, link a provider or add a passkey first")
		e.Field = field
		e.Details = map[string]any{"reason": ReasonLastSignInMethod}
		return e
	}
	return nil
}
