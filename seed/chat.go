package seed

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Messenger opens conversations and sends messages (chat.Service implements it).
type Messenger interface {
	OpenDirect(ctx context.Context, actor domain.Actor, other uuid.UUID) (domain.Conversation, error)
	Send(ctx context.Context, actor domain.Actor, convID uuid.UUID, clientID, body string, attachmentURL *string) (domain.Message, error)
}

// demoChat is the conversation the playground shows first: Camille and Kenji, each other's
// mutual match, arranging a French-for-Japanese swap.
var demoChat = []struct{ from, body string }{
	{"camille@demo.skillswap.local", "Bonjour Kenji! I saw we could swap French for Japanese. Interested?"},
	{"kenji@demo.skillswap.local", "Yes! I would love to practise my French. Tuesday evening works for me (Tokyo time is tricky, though)."},
	{"camille@demo.skillswap.local", "Tuesday at 12:00 Paris is 20:00 for you: shall I propose a session?"},
}

// Chat writes the demo conversation. Sends carry fixed client ids, so running it again changes
// nothing (sends are idempotent on them).
func Chat(ctx context.Context, st *store.Store, chat Messenger) error {
	// The demo members write as themselves, as if signed in.
	members := map[string]domain.Actor{}
	for _, email := range []string{"camille@demo.skillswap.local", "kenji@demo.skillswap.local"} {
		u, err := st.Q().UserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("seed chat: %s: %w", email, err)
		}
		members[email] = domain.Actor{User: u}
	}
	conv, err := chat.OpenDirect(ctx, members["camille@demo.skillswap.local"], members["kenji@demo.skillswap.local"].ID())
	if err != nil {
		return fmt.Errorf("seed chat: open: %w", err)
	}
	for i, m := range demoChat {
		if _, err := chat.Send(ctx, members[m.from], conv.ID, fmt.Sprintf("demo-%d", i+1), m.body, nil); err != nil {
			return fmt.Errorf("seed chat: send: %w", err)
		}
	}
	return nil
}
