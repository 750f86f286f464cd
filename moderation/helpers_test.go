package moderation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
)

type uuidT = uuid.UUID

func domainOpts() app.Options { return app.Options{} }

func parseUUID(t *testing.T, gid string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(uuidOf(t, gid))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func fmtTypes[E any](edges []E) string { return fmt.Sprint(edges) }

func sanctionOf(t *testing.T, api *skillsessiontest.API, gid string) domain.Sanction {
	t.Helper()
	s, err := api.Srv.App.Store.Q().SanctionByID(context.Background(), parseUUID(t, gid), false)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signIn logs m in again with their password (after a suspension revoked their sessions) and
// returns them with the new client; a refusal fails the test.
func signIn(t *testing.T, api *skillsessiontest.API, m skillsessiontest.Member) skillsessiontest.Member {
	t.Helper()
	r := logIn(t, api, m)
	var out struct {
		LogIn apitest.Tokens `json:"logIn"`
	}
	apitest.Must(t, r).Decode(t, &out)
	m.C = api.Srv.Client().WithToken(out.LogIn.AccessToken)
	return m
}

// logIn tries m's email and password.
func logIn(t *testing.T, api *skillsessiontest.API, m skillsessiontest.Member) *apitest.Response {
	t.Helper()
	users, err := api.Srv.App.Store.Q().UsersByIDs(context.Background(), []uuid.UUID{parseUUID(t, m.ID)})
	if err != nil {
		t.Fatal(err)
	}
	return api.Srv.Client().Do(t, `mutation($in: LogInInput!) { logIn(input: $in) { `+apitest.AuthFields+` } }`,
		map[string]any{"in": map[string]any{"email": users[parseUUID(t, m.ID)].Email, "password": apitest.StrongPassword}})
}

// assertAuditedWith is apitest.AssertAudited for a target with several entries of one action
// (a member sanctioned twice): exactly one of them has these details, by that actor.
func assertAuditedWith(t *testing.T, api *skillsessiontest.API, target, action, actorGID, wantDetails string) {
	t.Helper()
	var want any
	if err := json.Unmarshal([]byte(wantDetails), &want); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range api.Srv.AuditEntries(t, target) {
		var got any
		if err := json.Unmarshal(e.Details, &got); err != nil {
			t.Fatal(err)
		}
		if e.Action == action && reflect.DeepEqual(got, want) && e.ActorID != nil && e.ActorID.String() == uuidOf(t, actorGID) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("audit entries %s on %s with %s = %d, want 1", action, target, wantDetails, n)
	}
}

func sanctionAppeal(t *testing.T, api *skillsessiontest.API, sanctionGID string) domain.Appeal {
	t.Helper()
	got, err := api.Srv.App.Store.Q().AppealsBySanctionIDs(context.Background(), []uuid.UUID{parseUUID(t, sanctionGID)})
	if err != nil || len(got) != 1 {
		t.Fatalf("appeal of %s: %v %v", sanctionGID, got, err)
	}
	return got[parseUUID(t, sanctionGID)]
}

func sanctionsOf(t *testing.T, api *skillsessiontest.API, m skillsessiontest.Member) []domain.Sanction {
	t.Helper()
	out, err := api.Srv.App.Store.Q().SanctionsOf(context.Background(), parseUUID(t, m.ID), nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
