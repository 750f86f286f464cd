package calendar_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
)

// TestCalendarFeedOverHTTP: createCalendarFeed returns a secret URL whose GET is a text/calendar
// that parses and lists the member's sessions; rotating or revoking it makes the old URL 404.
// A session's `ics` field is a calendar too.
func TestCalendarFeedOverHTTP(t *testing.T) {
	t.Parallel()
	api := skillsessiontest.StartAPI(t, apitest.Config(t), app.Options{})
	teacher, learner := api.Member(t), api.Member(t)
	start := api.Clock.Now().Add(48 * time.Hour).Truncate(time.Minute)
	s := api.Confirmed(t, teacher, learner, start, 45)

	feedMutation := func(c *apitest.Client, name string) (url, id string) {
		t.Helper()
		var out map[string]struct {
			URL  string
			Feed struct{ ID string }
		}
		apitest.Must(t, c.Do(t, `mutation { `+name+` { url feed { id createdAt } } }`, nil)).Decode(t, &out)
		return out[name].URL, out[name].Feed.ID
	}
	url, feedID := feedMutation(learner.C, "createCalendarFeed")
	if !strings.HasPrefix(url, api.Srv.Config.PublicURL+"/calendar/") || !strings.HasSuffix(url, ".ics") {
		t.Fatalf("feed URL %q", url)
	}
	get := func(url string) (*http.Response, []byte) {
		t.Helper()
		// The URL is built from PUBLIC_URL; the test server listens elsewhere.
		path := strings.TrimPrefix(url, api.Srv.Config.PublicURL)
		resp, err := http.Get(api.Srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	resp, body := get(url)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: HTTP %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cal := parseICS(t, body)
	if len(cal.subs) != 1 || cal.subs[0].name != "VEVENT" {
		t.Fatalf("feed events: %+v", cal.subs)
	}
	if got := cal.subs[0].props["DTSTART"]; len(got) != 1 || got[0] != start.UTC().Format("20060102T150405Z") {
		t.Fatalf("DTSTART %v, want %s", got, start.UTC().Format("20060102T150405Z"))
	}

	// The feed is visible (without its secret) and a node for its owner.
	var q struct {
		CalendarFeed *struct{ ID string }
		Node         *struct{ ID string }
	}
	apitest.Must(t, learner.C.Do(t, `query($id: ID!) { calendarFeed { id } node(id: $id) { id } }`, map[string]any{"id": feedID})).Decode(t, &q)
	if q.CalendarFeed == nil || q.CalendarFeed.ID != feedID || q.Node == nil {
		t.Fatalf("calendarFeed / node: %+v", q)
	}
	apitest.Must(t, teacher.C.Do(t, `query($id: ID!) { calendarFeed { id } node(id: $id) { id } }`, map[string]any{"id": feedID})).Decode(t, &q)
	if q.CalendarFeed != nil || q.Node != nil {
		t.Fatalf("another member sees the feed: %+v", q)
	}

	// Rotation: the old URL is gone, the new one works.
	newURL, _ := feedMutation(learner.C, "rotateCalendarFeed")
	if resp, _ := get(url); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("rotated-out URL: HTTP %d", resp.StatusCode)
	}
	if resp, _ := get(newURL); resp.StatusCode != http.StatusOK {
		t.Fatalf("rotated URL: HTTP %d", resp.StatusCode)
	}
	var rv struct{ RevokeCalendarFeed struct{ Revoked bool } }
	apitest.Must(t, learner.C.Do(t, `mutation { revokeCalendarFeed { revoked } }`, nil)).Decode(t, &rv)
	if !rv.RevokeCalendarFeed.Revoked {
		t.Fatal("revokeCalendarFeed reported nothing revoked")
	}
	if resp, _ := get(newURL); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("revoked URL: HTTP %d", resp.StatusCode)
	}
	if r := learner.C.Do(t, `mutation { rotateCalendarFeed { url } }`, nil); r.Code() != "NOT_FOUND" {
		t.Fatalf("rotating without a feed: %s", r.Raw)
	}
	if resp, _ := get(api.Srv.Config.PublicURL + "/calendar/not-a-token.ics"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown token: HTTP %d", resp.StatusCode)
	}

	// One session as an attachment.
	var one struct{ SkillSession struct{ Ics string } }
	apitest.Must(t, teacher.C.Do(t, `query($id: ID!) { skillSession(id: $id) { ics } }`, map[string]any{"id": s.ID})).Decode(t, &one)
	if ev := parseICS(t, []byte(one.SkillSession.Ics)); len(ev.subs) != 1 {
		t.Fatalf("session ics: %+v", ev)
	}
}
