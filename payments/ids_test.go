package payments_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
	"github.com/skillswap/skillswap/relay"
)

// paidIDs are the ids of the objects of one paid session, as one member reads them.
type paidIDs struct {
	Payment    string
	Refunds    []string
	Chargeback string
	Dispute    string
}

// readPaidIDs reads the ids of a paid session's payment, refunds, chargeback and dispute as m.
func readPaidIDs(t *testing.T, m skillsessiontest.Member, sessionID string) paidIDs {
	t.Helper()
	var out struct {
		SkillSession struct {
			Payment struct {
				ID         string
				Refunds    []struct{ ID string }
				Chargeback *struct{ ID string }
			}
			NoShow *struct{ Dispute *struct{ ID string } }
		}
	}
	apitest.Must(t, m.C.Do(t, `query($id: ID!) { skillSession(id: $id) {
		payment { id refunds { id } chargeback { id } } noShow { dispute { id } } } }`,
		map[string]any{"id": sessionID})).Decode(t, &out)
	s := out.SkillSession
	if s.Payment.Chargeback == nil || s.NoShow == nil || s.NoShow.Dispute == nil {
		t.Fatalf("%s reads no chargeback or dispute: %+v", m.Name, s)
	}
	ids := paidIDs{Payment: s.Payment.ID, Chargeback: s.Payment.Chargeback.ID, Dispute: s.NoShow.Dispute.ID}
	for _, r := range s.Payment.Refunds {
		ids.Refunds = append(ids.Refunds, r.ID)
	}
	return ids
}

// TestPaidObjectIDs: refunds, chargebacks, no-show disputes and mentor accounts have ids that
// are the same on every read and for every reader, distinct between objects, and opaque
// (prefixed, no raw row id). A dispute and a mentor account are Nodes: node(id:) gives them
// back to those who may see them, and null to anyone else, exactly as for an id that does
// not exist.
func TestPaidObjectIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	api := skillsessiontest.StartAPI(t, paidConfig(t), app.Options{})
	mentor, learner, support, outsider := api.Member(t), api.Member(t), api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, support.ID, domain.RoleSupport)
	id := confirmedPaidSession(t, api, mentor, learner)
	s := api.Get(t, learner, id)
	api.Clock.Set(s.StartsAt.Add(20 * time.Minute))
	api.MustAct(t, learner, "reportNoShow", id, nil)

	// Two refunds and a chargeback as Stripe's flows leave them (those flows are tested on
	// their own; only the ids are under test here).
	sessUUID, _ := relay.ParseID(relay.KindSkillSession, id, "id")
	pay, err := api.Srv.App.Store.Q().PaymentBySession(ctx, sessUUID)
	if err != nil {
		t.Fatal(err)
	}
	pool := api.Srv.App.Store.Pool()
	for _, amount := range []int{500, 700} {
		if _, err := pool.Exec(ctx, `INSERT INTO refunds (id, payment_id, amount_minor, reason) VALUES ($1, $2, $3, 'ids test')`,
			uuid.Must(uuid.NewV7()), pay.ID, amount); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE payments SET stripe_dispute_id = 'dp_ids_'||id, dispute_status = 'needs_response',
		disputed_amount_minor = 1000, disputed_at = now() WHERE id = $1`, pay.ID); err != nil {
		t.Fatal(err)
	}

	first := readPaidIDs(t, learner, id)
	for _, again := range []paidIDs{readPaidIDs(t, learner, id), readPaidIDs(t, mentor, id), readPaidIDs(t, support, id)} {
		if again.Chargeback != first.Chargeback || again.Dispute != first.Dispute || strings.Join(again.Refunds, ",") != strings.Join(first.Refunds, ",") {
			t.Fatalf("ids changed between reads: %+v then %+v", first, again)
		}
	}
	if len(first.Refunds) != 2 {
		t.Fatalf("refunds: %v", first.Refunds)
	}
	seen := map[string]bool{}
	for _, c := range []struct{ prefix, id string }{
		{"pay_", first.Payment}, {"rfd_", first.Refunds[0]}, {"rfd_", first.Refunds[1]}, {"chb_", first.Chargeback}, {"nsd_", first.Dispute},
	} {
		if !strings.HasPrefix(c.id, c.prefix) || seen[c.id] {
			t.Errorf("id %q: want a %s… id distinct from the others (%+v)", c.id, c.prefix, first)
		}
		seen[c.id] = true
		if strings.Contains(c.id, "-") || strings.Contains(c.id, sessUUID.String()) || strings.Contains(c.id, pay.ID.String()) {
			t.Errorf("id %q shows a raw uuid", c.id)
		}
	}

	var viewer struct {
		Viewer struct{ MentorAccount *struct{ ID string } }
	}
	apitest.Must(t, mentor.C.Do(t, `{ viewer { mentorAccount { id } } }`, nil)).Decode(t, &viewer)
	if viewer.Viewer.MentorAccount == nil || !strings.HasPrefix(viewer.Viewer.MentorAccount.ID, "mac_") {
		t.Fatalf("mentor account: %+v", viewer)
	}
	accountID := viewer.Viewer.MentorAccount.ID

	nodeQuery := `query($id: ID!) { node(id: $id) { id __typename } }`
	for _, c := range []struct {
		name    string
		id      string
		typ     string
		readers []skillsessiontest.Member
		others  []skillsessiontest.Member
	}{
		{"dispute", first.Dispute, "NoShowDispute", []skillsessiontest.Member{learner, mentor, support}, []skillsessiontest.Member{outsider}},
		{"mentor account", accountID, "MentorAccount", []skillsessiontest.Member{mentor, support}, []skillsessiontest.Member{learner, outsider}},
	} {
		for _, m := range c.readers {
			var out struct {
				Node *struct {
					ID       string
					Typename string `json:"__typename"`
				}
			}
			apitest.Must(t, m.C.Do(t, nodeQuery, map[string]any{"id": c.id})).Decode(t, &out)
			if out.Node == nil || out.Node.ID != c.id || out.Node.Typename != c.typ {
				t.Errorf("%s: node(id:) as %s: %+v", c.name, m.Name, out.Node)
			}
		}
		// An id of the same kind that names nothing: what a stranger must get for a real one.
		kind, _, _ := relay.ParseGlobalID(c.id)
		missing := apitest.Must(t, outsider.C.Do(t, nodeQuery, map[string]any{"id": relay.GlobalID(kind, uuid.New())}))
		for _, m := range c.others {
			r := apitest.Must(t, m.C.Do(t, nodeQuery, map[string]any{"id": c.id}))
			if !bytes.Equal(r.Raw, missing.Raw) || !bytes.Contains(r.Raw, []byte(`"node":null`)) {
				t.Errorf("%s: node(id:) as %s answers %s, for a missing id %s", c.name, m.Name, r.Raw, missing.Raw)
			}
		}
	}
	// The dispute read through node(id:) is the one the session shows, with its fields.
	var viaNode struct {
		Node struct {
			Status  string
			Session struct{ ID string }
		}
	}
	apitest.Must(t, mentor.C.Do(t, `query($id: ID!) { node(id: $id) { ... on NoShowDispute { status session { id } } } }`,
		map[string]any{"id": first.Dispute})).Decode(t, &viaNode)
	if viaNode.Node.Status != "PENDING" || viaNode.Node.Session.ID != id {
		t.Fatalf("dispute through node(id:): %+v", viaNode)
	}
}
