package payments_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

// The server mounts POST /webhooks/stripe: signed events are accepted, bad signatures refused,
// and without a webhook secret it answers 503.
func TestWebhookMountedInServer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		secret   string
		sign     string
		wantCode int
	}{
		{webhookSecret, webhookSecret, http.StatusOK},
		{webhookSecret, "whsec_wrong", http.StatusBadRequest},
		{"", webhookSecret, http.StatusServiceUnavailable},
	} {
		cfg := apitest.Config(t)
		cfg.StripeWebhookSecret = tc.secret
		srv := apitest.Start(t, cfg)
		req := event(t, "evt_mount", "account.updated", map[string]any{"id": "acct_x", "object": "account"}, time.Now(), tc.sign)
		hreq, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/webhooks/stripe", req.Body)
		if err != nil {
			t.Fatal(err)
		}
		hreq.Header.Set("Stripe-Signature", req.Header.Get("Stripe-Signature"))
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.wantCode {
			t.Errorf("secret %q signed with %q: status %d, want %d", tc.secret, tc.sign, resp.StatusCode, tc.wantCode)
		}
	}
}
