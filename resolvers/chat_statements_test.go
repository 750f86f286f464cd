package resolvers_test

import (
	"fmt"
	"testing"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/testdb"
)

// TestConversationListStatementCountDoesNotGrow: a page of 2 and a page of 12 conversations,
// with participants, last messages, unread counts, senders and the viewer's mute, run the same
// number of SQL statements (the service batches, the loaders are primed or batched).
func TestConversationListStatementCountDoesNotGrow(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	cfg := apitest.Config(t)
	cfg = apitest.ForStatementCounts(cfg)
	srv := apitest.Start(t, cfg, app.Options{Tracer: counter})
	_, c := srv.SignUp(t)
	for i := range 12 {
		other, oc := srv.SignUp(t)
		var out struct {
			OpenDirectConversation struct{ Conversation struct{ ID string } }
		}
		apitest.Must(t, c.Do(t, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
			map[string]any{"u": other.User.ID})).Decode(t, &out)
		apitest.Must(t, oc.Do(t, `mutation($c: ID!, $k: String!) { sendMessage(input: {conversationId: $c, clientId: $k, body: "hi"}) { message { id } } }`,
			map[string]any{"c": out.OpenDirectConversation.Conversation.ID, "k": fmt.Sprint(i)}))
	}
	query := func(n int) string {
		return fmt.Sprintf(`{ conversations(first: %d) { edges { node { id kind unreadCount muted viewerLastReadSeq
			lastMessage { body sender { displayName } conversation { id } }
			participants { role user { displayName } } } } pageInfo { hasNextPage } } }`, n)
	}
	small := counter.Measure(func() { apitest.Must(t, c.Do(t, query(2), nil)) })
	smallSQL := counter.Last()
	large := counter.Measure(func() { apitest.Must(t, c.Do(t, query(12), nil)) })
	t.Logf("statements: first 2 -> %d, first 12 -> %d", small, large)
	if small != large {
		t.Fatalf("conversations(first: 2) ran %d statements %q, conversations(first: 12) ran %d %q", small, smallSQL, large, counter.Last())
	}
}

// TestSendMessageRoundTrips pins what a message costs PostgreSQL. In a live conversation (no one
// to notify) a send is one statement, one round trip, with no BEGIN or COMMIT. A send that
// notifies someone is a transaction that also creates the notification.
func TestSendMessageRoundTrips(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	cfg := apitest.ForStatementCounts(apitest.Config(t))
	srv := apitest.Start(t, cfg, app.Options{Tracer: counter})
	_, alice := srv.SignUp(t)
	bob, _ := srv.SignUp(t)
	var out struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, alice.Do(t, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": bob.User.ID})).Decode(t, &out)
	conv := out.OpenDirectConversation.Conversation.ID
	send := func(clientID string) (statements, roundTrips int64, sql []string) {
		statements = counter.Measure(func() {
			apitest.Must(t, alice.Do(t, `mutation($c: ID!, $k: String!) { sendMessage(input: {conversationId: $c, clientId: $k, body: "hi"}) { message { seq } } }`,
				map[string]any{"c": conv, "k": clientID}))
		})
		return statements, counter.LastRoundTrips(), counter.Last()
	}
	hasTx := func(sql []string) bool {
		for _, s := range sql {
			if s == "begin" || s == "commit" {
				return true
			}
		}
		return false
	}

	// Bob has never read the conversation: the first message notifies him, in its transaction.
	_, _, sql := send("first")
	if !hasTx(sql) {
		t.Fatalf("a send that notifies ran no transaction: %q", sql)
	}
	// His unread notification absorbs the next ones: nothing to notify, the fast path.
	// (One more round trip looks the caller's session up: the session cache is off here.)
	statements, roundTrips, sql := send("second")
	t.Logf("live send: %d statements in %d round trips: %q", statements, roundTrips, sql)
	if hasTx(sql) || roundTrips != 1+1 || statements != 1+1 {
		t.Fatalf("live send ran %d statements in %d round trips, want 2 in 2: %q", statements, roundTrips, sql)
	}
	// A retry is refused by the unique client id, then found by the reading batch; nothing is
	// written.
	statements, roundTrips, sql = send("second")
	if hasTx(sql) || roundTrips != 1+2 || statements != 1+4 {
		t.Fatalf("retried send ran %d statements in %d round trips, want 5 in 3: %q", statements, roundTrips, sql)
	}
}
