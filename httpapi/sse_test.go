package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
)

func TestSubscriptionOverServerSentEvents(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	admin, adminClient := srv.SignUp(t)
	srv.SetRoles(t, admin.User.ID, domain.RoleAdmin)
	member, _ := srv.SignUp(t)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql",
		strings.NewReader(`{"query":"subscription { viewerUpdated { id roles } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+member.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}

	events := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- data
			}
		}
		close(events)
	}()
	const setRoles = `mutation($id: ID!) { setUserRoles(input: {userId: $id, roles: [MENTOR]}) { user { id } } }`
	for {
		apitest.Must(t, adminClient.Do(t, setRoles, map[string]any{"id": member.User.ID}))
		select {
		case data, ok := <-events:
			if !ok {
				t.Fatal("stream ended without an event")
			}
			if !strings.Contains(data, member.User.ID) || !strings.Contains(data, "MENTOR") {
				t.Fatalf("event %s", data)
			}
			return
		case <-time.After(300 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no event over SSE")
		}
	}
}
