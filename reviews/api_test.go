package reviews_test

import (
	"testing"
	"time"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
)

// TestReviewReportsAPI: a hidden review cannot be reported; a visible one can, once, by anyone
// but its author; moderators see the queue, members are FORBIDDEN. Workers run, so the jobs the
// lifecycle queues (notification emails) are worked alongside.
func TestReviewReportsAPI(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.RunWorkers = true
	api := skillsessiontest.StartAPI(t, cfg, app.Options{})
	teacher, learner, outsider, moderator := api.Member(t), api.Member(t), api.Member(t), api.Member(t)
	api.Srv.SetRoles(t, moderator.ID, domain.RoleModerator)
	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	s := api.Confirmed(t, teacher, learner, start, 30)
	api.Clock.Set(start.Add(time.Hour))
	api.MustAct(t, teacher, "confirmSessionCompleted", s.ID, nil)
	if got := api.MustAct(t, learner, "confirmSessionCompleted", s.ID, nil); got.State != "COMPLETED" {
		t.Fatalf("not completed: %+v", got)
	}

	submit := func(m skillsessiontest.Member, rating int, comment string) string {
		t.Helper()
		var out struct {
			SubmitReview struct{ Review struct{ ID string } }
		}
		apitest.Must(t, m.C.Do(t, `mutation($in: SubmitReviewInput!) { submitReview(input: $in) { review { id } } }`,
			map[string]any{"in": map[string]any{"sessionId": s.ID, "rating": rating, "comment": comment}})).Decode(t, &out)
		return out.SubmitReview.Review.ID
	}
	report := func(m skillsessiontest.Member, reviewID string) *apitest.Response {
		t.Helper()
		return m.C.Do(t, `mutation($in: ReportReviewInput!) { reportReview(input: $in) { report { id reason note status review { id } reporter { id } } } }`,
			map[string]any{"in": map[string]any{"reviewId": reviewID, "reason": "ABUSIVE", "note": "rude"}})
	}
	if r := learner.C.Do(t, `mutation($in: SubmitReviewInput!) { submitReview(input: $in) { review { id } } }`,
		map[string]any{"in": map[string]any{"sessionId": s.ID, "rating": 6}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.rating" {
		t.Fatalf("rating 6: %s", r.Raw)
	}
	hidden := submit(learner, 2, "Late and rude")
	if r := report(teacher, hidden); r.Code() != "NOT_FOUND" || r.Field() != "input.reviewId" {
		t.Fatalf("reporting a hidden review: %s", r.Raw)
	}
	submit(teacher, 5, "Lovely learner")
	if r := report(learner, hidden); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("reporting one's own review: %s", r.Raw)
	}
	apitest.Must(t, report(teacher, hidden))
	if r := report(teacher, hidden); r.Code() != "CONFLICT" {
		t.Fatalf("reporting twice: %s", r.Raw)
	}
	apitest.Must(t, report(outsider, hidden))

	query := `{ reviewReports(first: 10) { edges { node { id reason note status
		review { id rating comment reviewer { id } reviewee { id } session { id } } reporter { id } } } pageInfo { hasNextPage } } }`
	if r := outsider.C.Do(t, query, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("member reading the moderation queue: %s", r.Raw)
	}
	var out struct {
		ReviewReports struct {
			Edges []struct {
				Node struct {
					ID, Reason, Status string
					Review             struct {
						ID       string
						Rating   int
						Reviewee struct{ ID string }
						Session  *struct{ ID string }
					}
					Reporter struct{ ID string }
				}
			}
		}
	}
	apitest.Must(t, moderator.C.Do(t, query, nil)).Decode(t, &out)
	e := out.ReviewReports.Edges
	if len(e) != 2 || e[0].Node.Reporter.ID != teacher.ID || e[1].Node.Reporter.ID != outsider.ID || e[0].Node.Review.ID != hidden ||
		e[0].Node.Review.Rating != 2 || e[0].Node.Review.Reviewee.ID != teacher.ID || e[0].Node.Status != "OPEN" || e[0].Node.Reason != "ABUSIVE" ||
		e[0].Node.Review.Session == nil {
		t.Fatalf("moderation queue: %+v", e)
	}
	var node struct{ Node *struct{ ID string } }
	apitest.Must(t, moderator.C.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": e[0].Node.ID})).Decode(t, &node)
	if node.Node == nil {
		t.Fatal("moderator cannot fetch a report by id")
	}
	apitest.Must(t, outsider.C.Do(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": e[0].Node.ID})).Decode(t, &node)
	if node.Node != nil {
		t.Fatal("member fetches a report by id")
	}
}
