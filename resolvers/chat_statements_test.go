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
