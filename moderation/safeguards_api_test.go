package moderation_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/relay"
)

// member is a signed-up member of a safeguards test.
type member struct {
	gid   string
	id    uuid.UUID
	token string
	c     *apitest.Client
}

func signUpMember(t *testing.T, srv *apitest.Server) member {
	t.Helper()
	tok, c := srv.SignUp(t)
	id, err := relay.ParseID(relay.KindUser, tok.User.ID, "id")
	if err != nil {
		t.Fatal(err)
	}
	return member{gid: tok.User.ID, id: id, token: tok.AccessToken, c: c}
}

// shownMessage is a message as one viewer reads it.
type shownMessage struct {
	ID, Body, Visibility string
	AttachmentURL        *string
}

const shownFields = `id body attachmentUrl visibility`

// history reads a conversation's messages as m.
func history(t *testing.T, m member, conv string) map[string]shownMessage {
	t.Helper()
	var out struct {
		Messages struct{ Edges []struct{ Node shownMessage } }
	}
	apitest.Must(t, m.c.Do(t, `query($c: ID!) { messages(conversationId: $c) { edges { node { `+shownFields+` } } } }`,
		map[string]any{"c": conv})).Decode(t, &out)
	byID := map[string]shownMessage{}
	for _, e := range out.Messages.Edges {
		byID[e.Node.ID] = e.Node
	}
	return byID
}

// preview reads the last message of m's first conversation (the conversation list's preview).
func preview(t *testing.T, m member) shownMessage {
	t.Helper()
	var out struct {
		Conversations struct {
			Edges []struct {
				Node struct{ LastMessage shownMessage }
			}
		}
	}
	apitest.Must(t, m.c.Do(t, `{ conversations(first: 1) { edges { node { lastMessage { `+shownFields+` } } } } }`, nil)).Decode(t, &out)
	if len(out.Conversations.Edges) != 1 {
		t.Fatalf("no conversation for %s", m.gid)
	}
	return out.Conversations.Edges[0].Node.LastMessage
}

// byNode reads a message through node(id:) as m.
func byNode(t *testing.T, m member, id string) shownMessage {
	t.Helper()
	var out struct{ Node shownMessage }
	apitest.Must(t, m.c.Do(t, `query($id: ID!) { node(id: $id) { ... on Message { `+shownFields+` } } }`,
		map[string]any{"id": id})).Decode(t, &out)
	return out.Node
}

// nextEvent reads conversationUpdated events on ws until one of kind about message id.
func nextEvent(t *testing.T, ws *apitest.WS, kind, id string) shownMessage {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		m, err := ws.Read(time.Until(deadline))
		if err != nil {
			t.Fatalf("waiting for %s of %s: %v", kind, id, err)
		}
		if m.Type != "next" {
			t.Fatalf("got %s %s, want next", m.Type, m.Payload)
		}
		var p struct {
			Data struct {
				ConversationUpdated struct {
					Kind    string
					Message *shownMessage
				}
			}
			Errors []any
		}
		if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
			t.Fatalf("payload %s (%v)", m.Payload, err)
		}
		ev := p.Data.ConversationUpdated
		if ev.Kind == kind && ev.Message != nil && ev.Message.ID == id {
			return *ev.Message
		}
	}
	t.Fatalf("no %s event for %s", kind, id)
	return shownMessage{}
}

func wantShown(t *testing.T, who string, got shownMessage, body, visibility string) {
	t.Helper()
	if got.Body != body || got.Visibility != visibility {
		t.Fatalf("%s sees body %q visibility %s, want %q %s", who, got.Body, got.Visibility, body, visibility)
	}
	if body == "" && got.AttachmentURL != nil {
		t.Fatalf("%s sees the attachment of a hidden message: %s", who, *got.AttachmentURL)
	}
}

// TestMessageHiddenPendingReview: two reports leave a message visible; the third distinct
// reporter hides it, in the report's transaction, from the other participants (history,
// conversation preview, node, the conversationUpdated event) but not from its sender, and the
// moderator reads it in the case's snapshots; NO_ACTION shows it again, ACTION_TAKEN keeps it
// hidden.
func TestMessageHiddenPendingReview(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	ctx := context.Background()
	sender, bystander, mod := signUpMember(t, srv), signUpMember(t, srv), signUpMember(t, srv)
	reporters := []member{signUpMember(t, srv), signUpMember(t, srv), signUpMember(t, srv)}
	srv.SetRoles(t, mod.gid, domain.RoleModerator)
	ids := []uuid.UUID{bystander.id}
	for _, r := range reporters {
		ids = append(ids, r.id)
	}
	users, err := srv.App.Store.Q().UsersByIDs(ctx, []uuid.UUID{sender.id})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := srv.App.Chat.CreateGroup(ctx, domain.Actor{User: users[sender.id]}, "Market", ids)
	if err != nil {
		t.Fatal(err)
	}
	convID := relay.GlobalID(relay.KindConversation, conv.ID)
	send := func(key, body string) string {
		var out struct {
			SendMessage struct{ Message struct{ ID string } }
		}
		apitest.Must(t, sender.c.Do(t, `mutation($in: SendMessageInput!) { sendMessage(input: $in) { message { id } } }`,
			map[string]any{"in": map[string]any{"conversationId": convID, "clientId": key, "body": body,
				"attachmentUrl": "https://example.com/" + key + ".png"}})).Decode(t, &out)
		return out.SendMessage.Message.ID
	}

	ws := srv.Connect(t, "graphql-transport-ws", bystander.token)
	ws.Subscribe("u", `subscription { conversationUpdated { kind message { `+shownFields+` } } }`, nil)
	// The subscription is live once it delivers a message sent after it.
	deadline := time.Now().Add(20 * time.Second)
	var msg string
	for live := false; !live; {
		if time.Now().After(deadline) {
			t.Fatal("conversationUpdated never delivered")
		}
		msg = send(uuid.NewString(), "send the deposit to my private account")
		if m, err := ws.Read(3 * time.Second); err == nil && m.Type == "next" && strings.Contains(string(m.Payload), msg) {
			live = true
		}
	}
	const body = "send the deposit to my private account"

	for _, r := range reporters[:2] {
		apitest.Must(t, r.c.Do(t, reportMutation, map[string]any{"in": map[string]any{
			"targetType": "MESSAGE", "targetId": msg, "category": "SCAM"}}))
	}
	wantShown(t, "bystander after two reports", history(t, bystander, convID)[msg], body, "VISIBLE")

	apitest.Must(t, reporters[2].c.Do(t, reportMutation, map[string]any{"in": map[string]any{
		"targetType": "MESSAGE", "targetId": msg, "category": "SCAM"}}))
	wantShown(t, "the conversationUpdated event", nextEvent(t, ws, "MESSAGE_EDITED", msg), "", "HIDDEN_PENDING_REVIEW")
	wantShown(t, "bystander's history", history(t, bystander, convID)[msg], "", "HIDDEN_PENDING_REVIEW")
	wantShown(t, "bystander's conversation preview", preview(t, bystander), "", "HIDDEN_PENDING_REVIEW")
	wantShown(t, "bystander through node", byNode(t, bystander, msg), "", "HIDDEN_PENDING_REVIEW")
	wantShown(t, "a reporter", history(t, reporters[0], convID)[msg], "", "HIDDEN_PENDING_REVIEW")
	wantShown(t, "the sender", history(t, sender, convID)[msg], body, "HIDDEN_PENDING_REVIEW")
	wantShown(t, "the sender's preview", preview(t, sender), body, "HIDDEN_PENDING_REVIEW")

	// The moderator, who takes no part in the conversation, reads it in the snapshots.
	caseOf := func(target string) caseNode {
		var out struct {
			ModerationCases struct{ Edges []struct{ Node caseNode } }
		}
		apitest.Must(t, mod.c.Do(t, `{ moderationCases(first: 5, filter: {targetType: MESSAGE}) { edges { node { `+caseFields+` } } } }`, nil)).Decode(t, &out)
		for _, e := range out.ModerationCases.Edges {
			if e.Node.TargetID == target {
				return e.Node
			}
		}
		t.Fatalf("no open case about %s", target)
		return caseNode{}
	}
	c := caseOf(msg)
	if c.ReporterCount != 3 || len(c.Reports) != 3 || !strings.Contains(c.Reports[2].Snapshot, body) {
		t.Fatalf("case: %+v", c)
	}

	decide := func(caseID, decision string) {
		apitest.Must(t, mod.c.Do(t, `mutation($in: DecideModerationCaseInput!) { decideModerationCase(input: $in) { case { state } } }`,
			map[string]any{"in": map[string]any{"caseId": caseID, "decision": decision, "statementOfReasons": "Reviewed."}}))
	}
	decide(c.ID, "NO_ACTION")
	wantShown(t, "the event after NO_ACTION", nextEvent(t, ws, "MESSAGE_EDITED", msg), body, "VISIBLE")
	wantShown(t, "bystander after NO_ACTION", history(t, bystander, convID)[msg], body, "VISIBLE")
	wantShown(t, "bystander's preview after NO_ACTION", preview(t, bystander), body, "VISIBLE")

	// ACTION_TAKEN keeps it hidden (the sanction then removes it).
	other := send("second", "a second scam")
	for _, r := range reporters {
		apitest.Must(t, r.c.Do(t, reportMutation, map[string]any{"in": map[string]any{
			"targetType": "MESSAGE", "targetId": other, "category": "SPAM"}}))
	}
	wantShown(t, "bystander, second message", history(t, bystander, convID)[other], "", "HIDDEN_PENDING_REVIEW")
	decide(caseOf(other).ID, "ACTION_TAKEN")
	wantShown(t, "bystander after ACTION_TAKEN", history(t, bystander, convID)[other], "", "HIDDEN_PENDING_REVIEW")
	wantShown(t, "the first message stays visible", history(t, bystander, convID)[msg], body, "VISIBLE")
}
