package auth

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
)

// Viewer is the authenticated caller of a request or WebSocket connection.
type Viewer struct {
	User domain.User
	// AuthSessionID is the login session the caller authenticated with; named so it is never
	// taken for a skill session's id.
	AuthSessionID uuid.UUID
	// TokenExpiresAt is when the access token that authenticated the caller expires.
	TokenExpiresAt time.Time
	// SecondFactorMissing: staff roles require a second factor the member does not have.
	SecondFactorMissing bool
}

type viewerKey struct{}

// viewerBox is mutable so that a mutation that signs in (signUp, logIn, refreshSession) makes the
// rest of its request authenticated: the payload's `user { email }` is then visible to its owner.
type viewerBox struct {
	mu     sync.RWMutex
	viewer *Viewer
	err    error
}

func box(ctx context.Context) *viewerBox {
	b, _ := ctx.Value(viewerKey{}).(*viewerBox)
	return b
}

// WithViewer returns ctx carrying the authenticated viewer.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, &viewerBox{viewer: &v})
}

// WithAuthError returns ctx recording that the caller sent a credential that was refused, so
// fields needing a viewer explain why (expired vs invalid) instead of "sign in".
func WithAuthError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, viewerKey{}, &viewerBox{err: err})
}

// WithAnonymous returns ctx ready to adopt a viewer later in the request (see Adopt).
func WithAnonymous(ctx context.Context) context.Context {
	return context.WithValue(ctx, viewerKey{}, &viewerBox{})
}

// Adopt makes v the viewer for the rest of the request, after it proved its credentials.
func Adopt(ctx context.Context, v Viewer) {
	if b := box(ctx); b != nil {
		b.mu.Lock()
		b.viewer, b.err = &v, nil
		b.mu.Unlock()
	}
}

// viewerFrom returns the authenticated viewer, if any. Callers outside the transport use ActorFrom.
func viewerFrom(ctx context.Context) (Viewer, bool) {
	b := box(ctx)
	if b == nil {
		return Viewer{}, false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.viewer == nil {
		return Viewer{}, false
	}
	return *b.viewer, true
}

// requireViewer returns the viewer or an UNAUTHENTICATED error saying why there is none.
func requireViewer(ctx context.Context) (Viewer, error) {
	if v, ok := viewerFrom(ctx); ok {
		return v, nil
	}
	if b := box(ctx); b != nil {
		b.mu.RLock()
		err := b.err
		b.mu.RUnlock()
		if err != nil {
			return Viewer{}, err
		}
	}
	return Viewer{}, domain.ErrAuthenticationRequired()
}

// Actor is the viewer as the services' domain.Actor.
func (v Viewer) Actor() domain.Actor {
	a := domain.Actor{User: v.User, SessionID: v.AuthSessionID}
	if v.SecondFactorMissing {
		// The staff roles wait for a second factor: every role check sees a plain member.
		kept := make([]domain.Role, 0, len(v.User.Roles))
		for _, r := range v.User.Roles {
			if r.Staff() {
				a.WithheldRoles = append(a.WithheldRoles, r)
			} else {
				kept = append(kept, r)
			}
		}
		a.User.Roles = kept
	}
	return a
}

// ActorFrom returns the request's actor: the zero domain.Actor when signed out. For the reads
// that serve signed-out callers too; everything else uses RequireActor.
func ActorFrom(ctx context.Context) domain.Actor {
	v, _ := viewerFrom(ctx)
	return v.Actor()
}

// RequireActor returns the request's actor, or UNAUTHENTICATED saying why there is none.
func RequireActor(ctx context.Context) (domain.Actor, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return domain.Actor{}, err
	}
	return v.Actor(), nil
}

type clientKey struct{}

// WithClient returns ctx carrying where the request comes from (IP, user agent).
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns where the request comes from; zero when unknown.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}
