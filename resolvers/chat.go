package resolvers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/chat"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/relay"
)

// Cursor kinds of the chat connections.
const (
	cursorConversations = "conversations"
	cursorMessages      = "messages"
)

// viewerParticipant finds the viewer's participation in a conversation through the loader, so a
// list of conversations asking for `muted` costs one statement, not one per row.
func viewerParticipant(ctx context.Context, convID uuid.UUID) (*domain.Participant, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := dataloaders.For(ctx).Participants.Load(ctx, convID)
	if err != nil {
		return nil, fmt.Errorf("load participants: %w", err)
	}
	for i := range ps {
		if ps[i].UserID == v.User.ID {
			return &ps[i], nil
		}
	}
	return nil, nil
}

// visibleConversation loads a conversation the viewer takes part in; nil when it is gone or they
// do not (a notification about a conversation they have since left).
func visibleConversation(ctx context.Context, convID uuid.UUID) (*domain.Conversation, error) {
	p, err := viewerParticipant(ctx, convID)
	if err != nil || p == nil {
		return nil, err
	}
	c, err := dataloaders.Conversation(ctx, convID)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// visibleMessage loads a message whose conversation the viewer takes part in; nil otherwise.
func visibleMessage(ctx context.Context, id uuid.UUID) (*domain.Message, error) {
	m, err := dataloaders.Message(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if p, err := viewerParticipant(ctx, m.ConversationID); err != nil || p == nil {
		return nil, err
	}
	return &m, nil
}

func (r *queryResolver) conversations(ctx context.Context, first *int, after *string) (*model.ConversationConnection, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	page, err := relay.ParsePage[domain.ConversationCursor](cursorConversations, first, after)
	if err != nil {
		return nil, err
	}
	items, err := r.Chat.Conversations(ctx, v.User.ID, page.After, page.Limit())
	if err != nil {
		return nil, err
	}
	edges, info := relay.Slice(cursorConversations, page, items, func(it domain.ConversationItem) domain.ConversationCursor {
		return it.Conversation.Cursor()
	})
	// The service read unread counts and last messages in batch: prime the loaders so the
	// fields below resolve without another statement.
	l := dataloaders.For(ctx)
	out := &model.ConversationConnection{PageInfo: toPageInfo(info), Edges: make([]model.ConversationEdge, len(edges))}
	for i, e := range edges {
		c := e.Node.Conversation
		l.Conversations.Prime(c.ID, c)
		l.UnreadCounts.Prime(dataloaders.ViewerKey{Viewer: v.User.ID, ID: c.ID}, e.Node.UnreadCount)
		if e.Node.LastMessage != nil {
			l.LastMessages.Prime(c.ID, *e.Node.LastMessage)
		}
		out.Edges[i] = model.ConversationEdge{Cursor: e.Cursor, Node: &c}
	}
	if err := prefetchConversationUsers(ctx, edges); err != nil {
		return nil, err
	}
	return out, nil
}

// prefetchConversationUsers loads, in one users batch, the members a page of conversations
// shows: the senders of the last messages (known now) and the participants (one participants
// batch first). Left to the fields, the senders would be loaded in one round and the
// participants' accounts in the next, and whether the two rounds merge would depend on timing.
func prefetchConversationUsers(ctx context.Context, edges []relay.Edge[domain.ConversationItem]) error {
	senders := selectionPath(ctx, "edges", "node", "lastMessage", "sender") != nil
	members := selectionPath(ctx, "edges", "node", "participants", "user") != nil
	if (!senders && !members) || len(edges) == 0 {
		return nil
	}
	l := dataloaders.For(ctx)
	var users []uuid.UUID
	if senders {
		for _, e := range edges {
			if m := e.Node.LastMessage; m != nil {
				users = append(users, m.SenderID)
			}
		}
	}
	if members {
		ids := make([]uuid.UUID, len(edges))
		for i, e := range edges {
			ids[i] = e.Node.Conversation.ID
		}
		parts, err := dataloaders.Found(ctx, l.Participants, ids)
		if err != nil {
			return fmt.Errorf("load participants: %w", err)
		}
		for _, ps := range parts {
			for _, p := range ps {
				users = append(users, p.UserID)
			}
		}
	}
	l.Users.LoadAllThunk(ctx, users)
	return nil
}

func (r *queryResolver) conversation(ctx context.Context, id string) (*domain.Conversation, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	cid, err := relay.ParseID(relay.KindConversation, id, "id")
	if err != nil {
		return nil, err
	}
	c, err := r.Chat.Conversation(ctx, v.User.ID, cid)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// seqCursor decodes a message cursor; arg names the argument for the error.
func seqCursor(s *string, arg string) (*int64, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	seq, err := relay.DecodeCursor[int64](cursorMessages, *s)
	if err != nil {
		return nil, domain.Invalid(arg, "is not a valid cursor for this list")
	}
	return &seq, nil
}

func (r *queryResolver) messages(ctx context.Context, conversationID string, first *int, before, after *string) (*model.MessageConnection, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	cid, err := relay.ParseID(relay.KindConversation, conversationID, "conversationId")
	if err != nil {
		return nil, err
	}
	n, err := pageSize(first, 30)
	if err != nil {
		return nil, err
	}
	q := chat.MessageQuery{Limit: n}
	if q.Before, err = seqCursor(before, "before"); err != nil {
		return nil, err
	}
	if q.After, err = seqCursor(after, "after"); err != nil {
		return nil, err
	}
	page, err := r.Chat.Messages(ctx, v.User.ID, cid, q)
	if err != nil {
		return nil, err
	}
	out := &model.MessageConnection{Edges: make([]model.MessageEdge, len(page.Messages)), PageInfo: &model.PageInfo{}}
	for i := range page.Messages {
		m := &page.Messages[i]
		dataloaders.For(ctx).Messages.Prime(m.ID, *m)
		out.Edges[i] = model.MessageEdge{Cursor: relay.Cursor(cursorMessages, m.Seq), Node: m}
	}
	if q.After != nil {
		out.PageInfo.HasNextPage = page.HasMore
		out.PageInfo.HasPreviousPage = *q.After > 0
	} else {
		out.PageInfo.HasPreviousPage = page.HasMore
		out.PageInfo.HasNextPage = q.Before != nil
	}
	if len(out.Edges) > 0 {
		out.PageInfo.StartCursor = &out.Edges[0].Cursor
		out.PageInfo.EndCursor = &out.Edges[len(out.Edges)-1].Cursor
	}
	return out, nil
}

func (r *mutationResolver) openDirectConversation(ctx context.Context, in model.OpenDirectConversationInput) (*model.OpenDirectConversationPayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	other, err := relay.ParseID(relay.KindUser, in.UserID, "userId")
	if err != nil {
		return nil, err
	}
	c, err := r.Chat.OpenDirect(ctx, v.User.ID, other)
	if err != nil {
		return nil, blame(err, "userId")
	}
	return &model.OpenDirectConversationPayload{Conversation: &c}, nil
}

func (r *mutationResolver) sendMessage(ctx context.Context, in model.SendMessageInput) (*model.SendMessagePayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	cid, err := relay.ParseID(relay.KindConversation, in.ConversationID, "conversationId")
	if err != nil {
		return nil, err
	}
	m, err := r.Chat.Send(ctx, v.User.ID, cid, in.ClientID, in.Body, in.AttachmentURL)
	if err != nil {
		return nil, blame(err, "conversationId")
	}
	out := &model.SendMessagePayload{Message: &m}
	// Sending is the hot path: read the conversation back only when the client asked for it
	// (and only then make the request's loaders).
	if selects(ctx, "conversation") {
		c, err := r.Chat.Conversation(ctx, v.User.ID, cid)
		if err != nil {
			return nil, err
		}
		dataloaders.For(ctx).Conversations.Prime(c.ID, c)
		out.Conversation = &c
	}
	return out, nil
}

func (r *mutationResolver) editMessage(ctx context.Context, in model.EditMessageInput) (*model.EditMessagePayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	id, err := relay.ParseID(relay.KindMessage, in.MessageID, "messageId")
	if err != nil {
		return nil, err
	}
	m, err := r.Chat.Edit(ctx, v.User.ID, id, in.Body)
	if err != nil {
		return nil, blame(err, "messageId")
	}
	return &model.EditMessagePayload{Message: &m}, nil
}

func (r *mutationResolver) deleteMessage(ctx context.Context, in model.DeleteMessageInput) (*model.DeleteMessagePayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	id, err := relay.ParseID(relay.KindMessage, in.MessageID, "messageId")
	if err != nil {
		return nil, err
	}
	m, err := r.Chat.Delete(ctx, v.User.ID, id)
	if err != nil {
		return nil, blame(err, "messageId")
	}
	return &model.DeleteMessagePayload{Message: &m}, nil
}

func (r *mutationResolver) markConversationRead(ctx context.Context, in model.MarkConversationReadInput) (*model.MarkConversationReadPayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	cid, err := relay.ParseID(relay.KindConversation, in.ConversationID, "conversationId")
	if err != nil {
		return nil, err
	}
	// Omitted: everything; the store caps the position at the last message.
	seq := int64(math.MaxInt64)
	if in.Seq != nil {
		seq = int64(*in.Seq)
	}
	if _, err := r.Chat.MarkRead(ctx, v.User.ID, cid, seq); err != nil {
		return nil, err
	}
	return r.conversationPayload(ctx, v.User.ID, cid)
}

func (r *mutationResolver) muteConversation(ctx context.Context, in model.MuteConversationInput) (*model.MuteConversationPayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	cid, err := relay.ParseID(relay.KindConversation, in.ConversationID, "conversationId")
	if err != nil {
		return nil, err
	}
	if _, err := r.Chat.Mute(ctx, v.User.ID, cid, in.Muted, in.Until); err != nil {
		return nil, err
	}
	p, err := r.conversationPayload(ctx, v.User.ID, cid)
	if err != nil {
		return nil, err
	}
	return &model.MuteConversationPayload{Conversation: p.Conversation}, nil
}

// conversationPayload reloads a conversation after a change to the viewer's participation.
func (r *mutationResolver) conversationPayload(ctx context.Context, viewer, cid uuid.UUID) (*model.MarkConversationReadPayload, error) {
	c, err := r.Chat.Conversation(ctx, viewer, cid)
	if err != nil {
		return nil, err
	}
	return &model.MarkConversationReadPayload{Conversation: &c}, nil
}

func (r *mutationResolver) setTyping(ctx context.Context, in model.SetTypingInput) (*model.SetTypingPayload, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	cid, err := relay.ParseID(relay.KindConversation, in.ConversationID, "conversationId")
	if err != nil {
		return nil, err
	}
	if err := r.Chat.Typing(ctx, v.User.ID, cid); err != nil {
		return nil, err
	}
	c, err := dataloaders.Conversation(ctx, cid)
	if err != nil {
		return nil, err
	}
	return &model.SetTypingPayload{Conversation: &c}, nil
}

func (r *subscriptionResolver) messageAdded(ctx context.Context, conversationID string, afterSeq *int) (<-chan *domain.Message, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	cid, err := relay.ParseID(relay.KindConversation, conversationID, "conversationId")
	if err != nil {
		return nil, err
	}
	var after *int64
	if afterSeq != nil {
		a := int64(*afterSeq)
		after = &a
	}
	ch, err := r.Chat.Stream(ctx, v.User.ID, cid, after)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

func (r *subscriptionResolver) conversationUpdated(ctx context.Context) (<-chan *domain.ConversationEvent, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := r.Chat.ConversationUpdated(ctx, v.User.ID)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

func (r *subscriptionResolver) typing(ctx context.Context, conversationID string) (<-chan *domain.TypingEvent, error) {
	v, err := auth.RequireViewer(ctx)
	if err != nil {
		return nil, err
	}
	cid, err := relay.ParseID(relay.KindConversation, conversationID, "conversationId")
	if err != nil {
		return nil, err
	}
	ch, err := r.Chat.TypingStream(ctx, v.User.ID, cid)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// int64Field converts a seq for GraphQL's 32-bit Int; a conversation would need two billion
// messages to overflow it, which the API treats as an internal error rather than wrapping.
func int64Field(v int64) (int, error) {
	if v > math.MaxInt32 || v < math.MinInt32 {
		return 0, fmt.Errorf("value %d does not fit a GraphQL Int", v)
	}
	return int(v), nil
}

// mutedUntil is the viewer's mute end, nil when not muted or muted indefinitely.
func mutedUntil(p *domain.Participant, now time.Time) *time.Time {
	if p == nil || !p.IsMuted(now) {
		return nil
	}
	return p.MutedUntil
}

// blame names the input field a domain error without one is about (the message a FORBIDDEN or
// CONFLICT refers to), so every refused chat mutation carries extensions.field and a client can
// attach the error to what it submitted.
func blame(err error, field string) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Field != "" {
		return err
	}
	cp := *de
	cp.Field = field
	return &cp
}
