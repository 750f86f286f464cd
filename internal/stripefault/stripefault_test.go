package stripefault_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/skillswap/skillswap/internal/stripefault"
)

// The Nth matching request fails as asked; the others, and requests that do not match, pass
// through; every request is recorded with its key and form, and Delivered tells what reached
// the server.
func TestFailNth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode       stripefault.Mode
		wantStatus int // 0: a transport error
		wantHits   int64
	}{
		{stripefault.BeforeSend, 0, 2},
		{stripefault.AfterSend, http.StatusInternalServerError, 3},
		{stripefault.Refuse, http.StatusBadRequest, 2},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				_, _ = io.WriteString(w, `{"id":"x"}`)
			}))
			t.Cleanup(srv.Close)
			tr := stripefault.New(nil)
			tr.FailNth(http.MethodPost, "/v1/payment_intents/*/capture", 2, tc.mode)
			c := &http.Client{Transport: tr}
			post := func(path, key string) (*http.Response, error) {
				req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(url.Values{"amount": {"100"}}.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Idempotency-Key", key)
				return c.Do(req)
			}
			for i, key := range []string{"k1", "k2", "k3"} {
				resp, err := post("/v1/payment_intents/pi_1/capture", key)
				if i != 1 {
					if err != nil || resp.StatusCode != http.StatusOK {
						t.Fatalf("request %d: %v %v", i, resp, err)
					}
					resp.Body.Close()
					continue
				}
				switch {
				case tc.wantStatus == 0:
					if !errors.Is(err, stripefault.ErrInjected) {
						t.Fatalf("request %d: %v, want the injected connection error", i, err)
					}
				case err != nil || resp.StatusCode != tc.wantStatus:
					t.Fatalf("request %d: %v %v, want status %d", i, resp, err, tc.wantStatus)
				default:
					resp.Body.Close()
				}
			}
			if hits.Load() != tc.wantHits {
				t.Fatalf("server saw %d requests, want %d", hits.Load(), tc.wantHits)
			}
			reqs := tr.Posts("/v1/payment_intents/*/capture")
			if len(reqs) != 3 || reqs[1].IdempotencyKey != "k2" || reqs[1].Failed != tc.mode || reqs[0].Form.Get("amount") != "100" {
				t.Fatalf("recorded %+v", reqs)
			}
			if n := int64(len(tr.Delivered("/v1/payment_intents/*/capture"))); n != tc.wantHits {
				t.Fatalf("%d delivered, want %d", n, tc.wantHits)
			}
			if n := len(tr.Posts("/v1/refunds")); n != 0 {
				t.Fatalf("%d refunds recorded", n)
			}
		})
	}
}
