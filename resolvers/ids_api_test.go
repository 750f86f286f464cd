package resolvers_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
)

// distinctIDs fails unless every id has the prefix and no two are equal.
func distinctIDs(t *testing.T, what, prefix string, ids []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		if !strings.HasPrefix(id, prefix) || seen[id] || strings.Contains(id, "-") {
			t.Errorf("%s: id %q is not a distinct opaque %s… id (all: %v)", what, id, prefix, ids)
		}
		seen[id] = true
	}
}

// TestObjectIDsAreStable: the objects an app caches inside others but that change in place or
// appear in several places (a member's skills, a session's proposals, a conversation's
// participants, the credit balance, notification preferences) have ids that are the same on
// every read and for every reader, distinct between objects, and the same in a mutation's
// payload as in the query the app cached (so the payload updates that entry).
func TestObjectIDsAreStable(t *testing.T) {
	t.Parallel()
	api := skillsessiontest.StartAPI(t, apitest.Config(t), app.Options{})
	teacher, learner := api.Member(t), api.Member(t)
	cat := api.Srv.Category(t, "t-ids", "Ids", "Ids")
	second := api.Srv.Skill(t, cat, "t-ids-skill", "Weaving", "Tissage")

	// Member skills: one id per (member, skill), the same for the member and for others.
	for _, skill := range []string{api.Skill, second} {
		apitest.Must(t, teacher.C.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: EXPERT}) { memberSkill { id } } }`,
			map[string]any{"id": skill}))
	}
	memberSkills := func(m skillsessiontest.Member) []string {
		var out struct {
			Node struct{ OfferedSkills []struct{ ID string } }
		}
		apitest.Must(t, m.C.Do(t, `query($id: ID!) { node(id: $id) { ... on User { offeredSkills { id } } } }`,
			map[string]any{"id": teacher.ID})).Decode(t, &out)
		var ids []string
		for _, s := range out.Node.OfferedSkills {
			ids = append(ids, s.ID)
		}
		return ids
	}
	skills := memberSkills(teacher)
	if len(skills) != 2 || !slices.Equal(memberSkills(teacher), skills) || !slices.Equal(memberSkills(learner), skills) {
		t.Fatalf("member skill ids: %v, then %v, for the partner %v", skills, memberSkills(teacher), memberSkills(learner))
	}
	distinctIDs(t, "member skills", "msk_", skills)

	// Proposals: a proposal and a counter-proposal keep their ids for both participants.
	start := api.Clock.Now().Add(72 * time.Hour).Truncate(time.Minute)
	s := api.Propose(t, learner, teacher, learner, start, 60)
	api.MustAct(t, teacher, "proposeNewTime", s.ID, map[string]any{"startsAt": start.Add(time.Hour).Format(time.RFC3339), "durationMinutes": 60})
	proposals := func(m skillsessiontest.Member) []string {
		var out struct {
			SkillSession struct{ Proposals []struct{ ID string } }
		}
		apitest.Must(t, m.C.Do(t, `query($id: ID!) { skillSession(id: $id) { proposals { id } } }`, map[string]any{"id": s.ID})).Decode(t, &out)
		var ids []string
		for _, p := range out.SkillSession.Proposals {
			ids = append(ids, p.ID)
		}
		return ids
	}
	props := proposals(learner)
	if len(props) != 2 || !slices.Equal(proposals(learner), props) || !slices.Equal(proposals(teacher), props) {
		t.Fatalf("proposal ids: %v, then %v, for the teacher %v", props, proposals(learner), proposals(teacher))
	}
	distinctIDs(t, "proposals", "spp_", props)

	// Participants: the same id for both members' reads and across a change of read position.
	var opened struct {
		OpenDirectConversation struct{ Conversation struct{ ID string } }
	}
	apitest.Must(t, teacher.C.Do(t, `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`,
		map[string]any{"u": learner.ID})).Decode(t, &opened)
	conv := opened.OpenDirectConversation.Conversation.ID
	type participant struct {
		ID          string
		LastReadSeq int
		User        struct{ ID string }
	}
	participants := func(m skillsessiontest.Member) []participant {
		var out struct {
			Conversation struct{ Participants []participant }
		}
		apitest.Must(t, m.C.Do(t, `query($id: ID!) { conversation(id: $id) { participants { id lastReadSeq user { id } } } }`,
			map[string]any{"id": conv})).Decode(t, &out)
		return out.Conversation.Participants
	}
	ids := func(ps []participant) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	before := participants(teacher)
	apitest.Must(t, teacher.C.Do(t, `mutation($c: ID!) { sendMessage(input: {conversationId: $c, clientId: "ids-1", body: "hello"}) { message { id } } }`,
		map[string]any{"c": conv}))
	apitest.Must(t, learner.C.Do(t, `mutation($c: ID!) { markConversationRead(input: {conversationId: $c}) { conversation { id } } }`,
		map[string]any{"c": conv}))
	after := participants(learner)
	if len(before) != 2 || !slices.Equal(ids(before), ids(after)) || !slices.Equal(ids(participants(teacher)), ids(before)) {
		t.Fatalf("participant ids changed: %+v then %+v", before, after)
	}
	moved := false
	for _, p := range after {
		moved = moved || (p.User.ID == learner.ID && p.LastReadSeq == 1)
	}
	if !moved {
		t.Fatalf("the learner's read position did not move: %+v", after)
	}
	distinctIDs(t, "participants", "cpt_", ids(before))

	// Credit balance: one id per member, the same in confirmSessionCompleted's payload as in
	// creditBalance.
	balanceID := func(m skillsessiontest.Member) string {
		var out struct{ CreditBalance struct{ ID string } }
		apitest.Must(t, m.C.Do(t, `{ creditBalance { id } }`, nil)).Decode(t, &out)
		return out.CreditBalance.ID
	}
	tb, lb := balanceID(teacher), balanceID(learner)
	if tb != balanceID(teacher) {
		t.Fatalf("balance id changed between reads")
	}
	distinctIDs(t, "balances", "crb_", []string{tb, lb})
	done := api.Confirmed(t, teacher, learner, start.Add(24*time.Hour), 30)
	api.Clock.Set(done.EndsAt.Add(time.Minute))
	var confirmed struct {
		ConfirmSessionCompleted struct{ CreditBalance struct{ ID string } }
	}
	apitest.Must(t, learner.C.Do(t, `mutation($id: ID!) { confirmSessionCompleted(input: {sessionId: $id}) { creditBalance { id } } }`,
		map[string]any{"id": done.ID})).Decode(t, &confirmed)
	if got := confirmed.ConfirmSessionCompleted.CreditBalance.ID; got != lb {
		t.Fatalf("confirmSessionCompleted's balance is %q, creditBalance's %q", got, lb)
	}

	// Notification preferences: one id per (member, type); setNotificationPreference returns
	// the id the list has for that type.
	prefs := func(m skillsessiontest.Member) map[string]string {
		var out struct {
			NotificationPreferences []struct{ ID, Type string }
		}
		apitest.Must(t, m.C.Do(t, `{ notificationPreferences { id type } }`, nil)).Decode(t, &out)
		byType := map[string]string{}
		for _, p := range out.NotificationPreferences {
			byType[p.Type] = p.ID
		}
		return byType
	}
	mine, theirs := prefs(teacher), prefs(learner)
	var all []string
	for typ, id := range mine {
		all = append(all, id, theirs[typ])
	}
	if len(mine) < 2 {
		t.Fatalf("preferences: %v", mine)
	}
	distinctIDs(t, "preferences", "npf_", all)
	var set struct {
		SetNotificationPreference struct{ Preference struct{ ID string } }
	}
	apitest.Must(t, teacher.C.Do(t, `mutation { setNotificationPreference(input: {type: NEW_MESSAGE, inApp: true, email: true}) { preference { id } } }`, nil)).Decode(t, &set)
	if got := set.SetNotificationPreference.Preference.ID; got != mine["NEW_MESSAGE"] || prefs(teacher)["NEW_MESSAGE"] != got {
		t.Fatalf("setNotificationPreference returned %q, the list has %q", got, mine["NEW_MESSAGE"])
	}
}
