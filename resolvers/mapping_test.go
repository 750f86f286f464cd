package resolvers

import (
	"context"
	"testing"

	"github.com/skillswap/skillswap/auth"
)

// TestLoginPayloadRefusesAnEmptyLogin: a zero auth.Login with no error (a bug in the service)
// is an error, never an all-empty AuthPayload a client would take for credentials.
func TestLoginPayloadRefusesAnEmptyLogin(t *testing.T) {
	t.Parallel()
	p, err := loginPayload(context.Background(), auth.Login{})
	if err == nil || p != nil {
		t.Fatalf("payload %+v, error %v", p, err)
	}
}
