package profiles_test

import (
	"testing"

	"github.com/skillswap/skillswap/internal/apitest"
)

// TestNewMutualMatchNotifies: the skill that makes two members a mutual match notifies both, in
// the transaction that adds it; a skill that adds nothing new (already mutual), or a pair with a
// block, notifies no one.
func TestNewMutualMatchNotifies(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	skill := func(slug string) string {
		var out struct{ Skill struct{ ID string } }
		srv.Client().Do(t, `query($s: String!) { skill(slug: $s) { id } }`, map[string]any{"s": slug}).Decode(t, &out)
		return out.Skill.ID
	}
	guitar, spanish, piano, chess := skill("guitar"), skill("spanish"), skill("piano"), skill("chess")
	add := func(c *apitest.Client, id, kind string) {
		t.Helper()
		apitest.Must(t, c.Do(t, `mutation($in: AddMemberSkillInput!) { addMemberSkill(input: $in) { user { id } } }`,
			map[string]any{"in": map[string]any{"skillId": id, "kind": kind, "level": "ADVANCED"}}))
	}
	matches := func(c *apitest.Client) []string {
		t.Helper()
		var out struct {
			Notifications struct {
				Edges []struct {
					Node struct {
						Type  string
						Actor *struct{ ID string }
					}
				}
			}
		}
		c.Do(t, `{ notifications(first: 50) { edges { node { type actor { id } } } } }`, nil).Decode(t, &out)
		var actors []string
		for _, e := range out.Notifications.Edges {
			if e.Node.Type == "NEW_MUTUAL_MATCH" && e.Node.Actor != nil {
				actors = append(actors, e.Node.Actor.ID)
			}
		}
		return actors
	}

	ana, a := srv.SignUp(t)
	ben, b := srv.SignUp(t)
	add(a, guitar, "OFFER")
	add(a, spanish, "WANT")
	add(b, spanish, "OFFER")
	if n := matches(a); len(n) != 0 {
		t.Fatalf("a one-way match notified Ana: %v", n)
	}
	add(b, guitar, "WANT") // now Ben teaches Ana Spanish and Ana teaches Ben guitar
	if n := matches(a); len(n) != 1 || n[0] != ben.User.ID {
		t.Fatalf("Ana's mutual-match notifications %v, want one about Ben", n)
	}
	if n := matches(b); len(n) != 1 || n[0] != ana.User.ID {
		t.Fatalf("Ben's mutual-match notifications %v, want one about Ana", n)
	}
	// Already mutual: another skill in the same direction is not a new match.
	add(a, piano, "OFFER")
	add(b, piano, "WANT")
	if n := matches(b); len(n) != 1 {
		t.Fatalf("an already mutual pair was notified again: %v", n)
	}

	// A block either way keeps the pair from being told.
	_, c := srv.SignUp(t)
	dan, d := srv.SignUp(t)
	apitest.Must(t, c.Do(t, `mutation($id: ID!) { blockMember(input: {memberId: $id}) { member { id } } }`, map[string]any{"id": dan.User.ID}))
	add(c, chess, "OFFER")
	add(c, piano, "WANT")
	add(d, piano, "OFFER")
	add(d, chess, "WANT")
	if n, m := matches(c), matches(d); len(n)+len(m) != 0 {
		t.Fatalf("blocked pair notified: %v / %v", n, m)
	}
}
