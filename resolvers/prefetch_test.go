package resolvers_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
)

// TestMembersAreReadWithoutTheBatchingWindow: the viewer and a page of members come with their
// profiles and skills read at once (prefetchMembers), so with a batching window far longer than
// any request, those pages still answer long before it ends, and with the right data.
func TestMembersAreReadWithoutTheBatchingWindow(t *testing.T) {
	t.Parallel()
	const window = 5 * time.Second
	cfg := apitest.Config(t)
	cfg.DataloaderWait = window
	srv := apitest.Start(t, cfg, app.Options{})
	cat := srv.Category(t, "t-prefetch", "Prefetch", "Préchargement")
	skill := srv.Skill(t, cat, "t-prefetch-skill", "Fetching", "Rapporter")
	owner, c := srv.SignUp(t)
	apitest.Must(t, c.Do(t, `mutation($id: ID!) { addMemberSkill(input: {skillId: $id, kind: OFFER, level: EXPERT}) { user { id } } }`, map[string]any{"id": skill}))
	apitest.Must(t, c.Do(t, `mutation { updateProfile(input: {timeZone: "Europe/Paris"}) { user { id } } }`, nil))
	staff, staffClient := srv.SignUp(t)
	srv.SetRoles(t, staff.User.ID, domain.RoleSupport)
	_, fresh := srv.SignUp(t) // no profile row, no skills: the defaults, without a wait either

	type member struct {
		ID            string
		Profile       struct{ TimeZone string }
		OfferedSkills []struct {
			Level string
			Skill struct{ Name string }
		}
		WantedSkills []struct{ Level string }
	}
	const fields = `id profile { timeZone } offeredSkills { level skill { name } } wantedSkills { level }`
	timed := func(t *testing.T, c *apitest.Client, query string, out any) time.Duration {
		t.Helper()
		start := time.Now()
		r := c.Do(t, query, nil)
		took := time.Since(start)
		apitest.Must(t, r)
		r.Decode(t, out)
		if took >= window/2 {
			t.Fatalf("%s took %v: it waited for the batching window (%v)", query, took, window)
		}
		return took
	}

	t.Run("viewer", func(t *testing.T) {
		var got struct{ Viewer member }
		timed(t, c, `{ viewer { `+fields+` } }`, &got)
		v := got.Viewer
		if v.ID != owner.User.ID || v.Profile.TimeZone != "Europe/Paris" || len(v.OfferedSkills) != 1 ||
			v.OfferedSkills[0].Level != "EXPERT" || v.OfferedSkills[0].Skill.Name != "Fetching" || len(v.WantedSkills) != 0 {
			t.Fatalf("viewer = %+v", v)
		}
	})
	t.Run("viewer without a profile or skills", func(t *testing.T) {
		var got struct{ Viewer member }
		timed(t, fresh, `{ viewer { `+fields+` } }`, &got)
		if got.Viewer.Profile.TimeZone != domain.DefaultProfile(uuid.Nil).TimeZone || len(got.Viewer.OfferedSkills) != 0 {
			t.Fatalf("viewer = %+v", got.Viewer)
		}
	})
	t.Run("a page of members", func(t *testing.T) {
		var got struct {
			Users struct{ Edges []struct{ Node member } }
		}
		// Parallel tests add members: the page is the member's own (filter by id).
		timed(t, staffClient, fmt.Sprintf(`{ users(first: 10, filter: {id: %q}) { edges { node { %s } } } }`, owner.User.ID, fields), &got)
		var found bool
		for _, e := range got.Users.Edges {
			if e.Node.ID == owner.User.ID {
				found = true
				if e.Node.Profile.TimeZone != "Europe/Paris" || len(e.Node.OfferedSkills) != 1 || e.Node.OfferedSkills[0].Skill.Name != "Fetching" {
					t.Fatalf("member on the page = %+v", e.Node)
				}
			}
		}
		if !found {
			t.Fatalf("the member is not on the page: %+v", got.Users.Edges)
		}
	})
}
