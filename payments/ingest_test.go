package payments_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillswap/skillswap/payments"
)

// ingest posts n signed account.updated events, every fifth one a redelivery of the one before,
// concurrently to the webhook endpoint over HTTP, then runs the queued jobs concurrently (each
// twice). Events are created one second apart (Stripe's resolution), the newest now. It returns how many distinct events were sent.
func ingest(t *testing.T, x *env, n int) int {
	srv := httptest.NewServer(x.hook)
	defer srv.Close()
	type delivery struct{ body, sig string }
	var list []delivery
	base := time.Now()
	distinct := 0
	for i := range n {
		id := i
		if i%5 == 4 {
			id = i - 1 // a duplicate of the previous event
		} else {
			distinct++
		}
		req := event(t, fmt.Sprintf("evt_%d", id), "account.updated",
			map[string]any{"id": "acct_mentor", "object": "account", "charges_enabled": true, "payouts_enabled": id%2 == 0},
			base.Add(-time.Duration(n-id)*time.Second), webhookSecret)
		buf, err := io.ReadAll(req.Body)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, delivery{body: string(buf), sig: req.Header.Get("Stripe-Signature")})
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for _, d := range list {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(d.body))
			req.Header.Set("Stripe-Signature", d.sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	jobs := x.Jobs(t, "stripe_event")
	var jwg sync.WaitGroup
	jerrs := make(chan error, 2*len(jobs))
	for _, j := range jobs {
		var a payments.EventArgs
		if err := json.Unmarshal(j.Args, &a); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			jwg.Add(1)
			sem <- struct{}{}
			go func() {
				defer jwg.Done()
				defer func() { <-sem }()
				if err := x.svc.ApplyEvent(context.Background(), a); err != nil {
					jerrs <- err
				}
			}()
		}
	}
	jwg.Wait()
	close(jerrs)
	for err := range jerrs {
		t.Fatal(err)
	}
	return distinct
}

// 20% duplicates posted concurrently: every distinct event is recorded, queued and processed
// exactly once, and the account ends in the state of the newest event.
func TestConcurrentWebhooksProcessedOnce(t *testing.T) {
	x := newEnv(t)
	distinct := ingest(t, x, 200)
	if n := len(x.Jobs(t, "stripe_event")); n != distinct {
		t.Fatalf("%d jobs queued, want %d", n, distinct)
	}
	if n := x.countRows(t, `SELECT count(*) FROM stripe_events WHERE processed_at IS NOT NULL`); n != distinct {
		t.Fatalf("%d events processed, want %d", n, distinct)
	}
	a, err := x.Store.Q().MentorAccount(context.Background(), x.mentor.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The newest distinct event is evt_198 (even: payouts enabled).
	if !a.PayoutsEnabled {
		t.Fatalf("account %+v does not reflect the newest event", a)
	}
}
