package httpapi

import (
	"context"
	"testing"
	"time"
)

// A field refused because its operation was stopped says why: the answer was too large, the
// deadline passed, or the client went away (CLIENT_CLOSED_REQUEST, not a timeout: the lane of
// expensive work learns from the difference).
func TestStoppedErrorSaysWhy(t *testing.T) {
	t.Parallel()
	tooLarge, cancelTooLarge := context.WithCancelCause(context.Background())
	cancelTooLarge(errResponseTooLarge)
	child, stopChild := context.WithCancel(tooLarge)
	defer stopChild()
	late, stop := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer stop()
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"answer too large", tooLarge, CodeResponseTooLarge},
		{"answer too large, seen from a field", child, CodeResponseTooLarge},
		{"deadline passed", late, CodeOperationTimeout},
		{"client went away", gone, CodeClientClosed},
	} {
		if got := stoppedError(tc.ctx).Extensions["code"]; got != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}
