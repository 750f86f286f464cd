package chat_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/chat"
	"github.com/skillswap/skillswap/relay"
)

// Clients hold cursors: those made before ConversationKey (domain.ConversationCursor's JSON) and
// message cursors (a seq) still read, and new ones are the same strings.
func TestCursorsClientsHoldStillRead(t *testing.T) {
	old := base64.RawURLEncoding.EncodeToString([]byte(`{"k":"conversations","v":{"a":"2025-03-01T10:00:00Z","i":"0192f0c5-3c1e-7a3b-8c4d-5e6f7a8b9c0d"}}`))
	want := chat.ConversationKey{ActivityAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), ID: uuid.MustParse("0192f0c5-3c1e-7a3b-8c4d-5e6f7a8b9c0d")}
	page, err := relay.ParsePage[chat.ConversationKey](chat.ConversationsCursor, nil, &old)
	if err != nil || page.After == nil || !page.After.ActivityAt.Equal(want.ActivityAt) || page.After.ID != want.ID {
		t.Fatalf("old conversation cursor reads as %+v, %v", page.After, err)
	}
	if got := relay.Cursor(chat.ConversationsCursor, want); got != old {
		t.Fatalf("conversation cursor %s, want %s", got, old)
	}
	seq := base64.RawURLEncoding.EncodeToString([]byte(`{"k":"messages","v":16}`))
	mp, err := relay.ParsePageBefore[int64](chat.MessagesCursor, 30, nil, &seq, nil)
	if err != nil || mp.Before == nil || *mp.Before != 16 || mp.First != 30 {
		t.Fatalf("message cursor reads as %+v, %v", mp, err)
	}
}
