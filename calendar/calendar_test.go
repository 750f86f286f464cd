package calendar_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/calendar"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/skillsessiontest"
)

// component is a parsed BEGIN/END block.
type component struct {
	name  string
	props map[string][]string // name -> raw values (still escaped)
	subs  []*component
}

var (
	contentLine = regexp.MustCompile(`^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=[^:;]*)*):(.*)$`)
	utcDateTime = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
)

// parseICS is a strict RFC 5545 reader for tests: CRLF everywhere, physical lines of at most 75
// octets that are valid UTF-8, folding by CRLF + one space, well-formed content lines, balanced
// components, and the properties a calendar and its events require.
func parseICS(t *testing.T, body []byte) *component {
	t.Helper()
	s := string(body)
	if !strings.HasSuffix(s, "\r\n") {
		t.Fatal("calendar does not end with CRLF")
	}
	physical := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	var logical []string
	for i, l := range physical {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Fatalf("line %d is %d octets: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Fatalf("line %d splits a UTF-8 sequence: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			if len(logical) == 0 {
				t.Fatal("continuation line first")
			}
			logical[len(logical)-1] += l[1:]
			continue
		}
		logical = append(logical, l)
	}
	root := &component{name: "ROOT"}
	stack := []*component{root}
	for _, l := range logical {
		m := contentLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("malformed content line %q", l)
		}
		name, value := strings.ToUpper(m[1]), m[3]
		top := stack[len(stack)-1]
		switch name {
		case "BEGIN":
			c := &component{name: value, props: map[string][]string{}}
			top.subs = append(top.subs, c)
			stack = append(stack, c)
		case "END":
			if top.name != value || len(stack) == 1 {
				t.Fatalf("END:%s closes %s", value, top.name)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 1 {
				t.Fatalf("property %s outside a component", name)
			}
			top.props[name] = append(top.props[name], value)
		}
	}
	if len(stack) != 1 || len(root.subs) != 1 || root.subs[0].name != "VCALENDAR" {
		t.Fatalf("not one balanced VCALENDAR")
	}
	cal := root.subs[0]
	if one(t, cal, "VERSION") != "2.0" || one(t, cal, "PRODID") == "" {
		t.Fatal("VCALENDAR lacks VERSION:2.0 or PRODID")
	}
	for _, ev := range cal.subs {
		if ev.name != "VEVENT" {
			continue
		}
		one(t, ev, "UID")
		for _, p := range []string{"DTSTAMP", "DTSTART", "DTEND"} {
			if v := one(t, ev, p); !utcDateTime.MatchString(v) {
				t.Fatalf("%s %q is not a UTC date-time", p, v)
			}
		}
	}
	return cal
}

func one(t *testing.T, c *component, prop string) string {
	t.Helper()
	if len(c.props[prop]) != 1 {
		t.Fatalf("%s has %d %s properties", c.name, len(c.props[prop]), prop)
	}
	return c.props[prop][0]
}

// unescape reverses TEXT escaping; a lone backslash before anything else is a failure.
func unescape(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			if s[i] == ';' || s[i] == ',' {
				t.Fatalf("unescaped %q in TEXT %q", s[i], s)
			}
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			t.Fatalf("trailing backslash in %q", s)
		}
		switch s[i] {
		case '\\', ';', ',':
			b.WriteByte(s[i])
		case 'n', 'N':
			b.WriteByte('\n')
		default:
			t.Fatalf("bad escape \\%c in %q", s[i], s)
		}
	}
	return b.String()
}

func TestEncodeFoldsAndEscapes(t *testing.T) {
	t.Parallel()
	desc := strings.Repeat("Apprendre la guitare, ça se fait pas à pas; 🎸 \\ ", 8) + "\nLine two\r\nLine three"
	start := time.Date(2026, 3, 29, 0, 30, 0, 0, time.FixedZone("CET", 3600))
	body := calendar.Encode(calendar.Calendar{Name: "Mes sessions, SkillSwap", Events: []calendar.Event{{
		UID: "abc@skillswap.app", Stamp: start, Start: start, End: start.Add(time.Hour), Sequence: 3,
		Status: "CONFIRMED", Summary: "Teaching Guitar to Zoë", Description: desc, Location: "Café; 2nd floor, Paris",
		URL: "https://meet.example.com/a?b=c,d",
	}}})
	cal := parseICS(t, body)
	if len(cal.subs) != 1 {
		t.Fatalf("events %d", len(cal.subs))
	}
	ev := cal.subs[0]
	if got := unescape(t, one(t, ev, "DESCRIPTION")); got != strings.ReplaceAll(desc, "\r\n", "\n") {
		t.Fatalf("description round trip:\n%q\n%q", got, desc)
	}
	if got := unescape(t, one(t, ev, "LOCATION")); got != "Café; 2nd floor, Paris" {
		t.Fatalf("location %q", got)
	}
	if one(t, ev, "DTSTART") != "20260328T233000Z" || one(t, ev, "SEQUENCE") != "3" {
		t.Fatalf("DTSTART %s", one(t, ev, "DTSTART"))
	}
	if unescape(t, one(t, cal, "X-WR-CALNAME")) != "Mes sessions, SkillSwap" {
		t.Fatal("calendar name")
	}
}

func TestFeedAndSessionICS(t *testing.T) {
	t.Parallel()
	e := skillsessiontest.New(t)
	log := slog.New(slog.DiscardHandler)
	svc := calendar.NewService(e.Store, calendar.Config{Now: e.Clock.Now}, log)
	teacher, learner, stranger := e.User(t, "Zoë, the teacher"), e.User(t, "Léo"), e.User(t, "S")
	start := skillsessiontest.Start.Add(72 * time.Hour)
	confirmed := e.Confirmed(t, teacher, learner, start, 60)
	proposed := e.Propose(t, teacher, learner, start.Add(4*time.Hour), 30)
	cancelled := e.Confirmed(t, teacher, learner, start.Add(8*time.Hour), 30)
	if _, err := e.SkillSessions.Cancel(context.Background(), as(learner), cancelled.ID, ""); err != nil {
		t.Fatal(err)
	}

	if f, err := svc.Feed(context.Background(), as(learner)); err != nil || f != nil {
		t.Fatalf("feed before creation: %v %v", f, err)
	}
	token, feed, err := svc.CreateFeed(context.Background(), as(learner))
	if err != nil || len(token) < 40 || feed.UserID != learner.ID {
		t.Fatalf("create feed %q %+v %v", token, feed, err)
	}
	var stored int
	_ = e.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM calendar_feeds WHERE token_hash = convert_to($1, 'UTF8')`, token).Scan(&stored)
	if stored != 0 {
		t.Fatal("token stored in clear")
	}

	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()
	get := func(tok string) (int, string, []byte) {
		resp, err := http.Get(srv.URL + calendar.FeedPath(tok))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	code, ctype, body := get(token)
	if code != 200 || !strings.HasPrefix(ctype, "text/calendar") {
		t.Fatalf("feed: %d %s %s", code, ctype, body)
	}
	cal := parseICS(t, body)
	status := map[string]string{}
	for _, ev := range cal.subs {
		status[one(t, ev, "UID")] = one(t, ev, "STATUS")
	}
	uid := func(id uuid.UUID) string { return id.String() + "@skillswap.app" }
	if len(status) != 3 || status[uid(confirmed.ID)] != "CONFIRMED" || status[uid(proposed.ID)] != "TENTATIVE" || status[uid(cancelled.ID)] != "CANCELLED" {
		t.Fatalf("events %v", status)
	}
	if got := unescape(t, one(t, cal.subs[0], "SUMMARY")); got != "Learning "+skillName(t, e)+" with Zoë, the teacher" {
		t.Fatalf("summary %q", got)
	}

	// Rotating kills the old URL at once; revoking kills the new one.
	newToken, _, err := svc.RotateFeed(context.Background(), as(learner))
	if err != nil || newToken == token {
		t.Fatalf("rotate %v", err)
	}
	if code, _, _ := get(token); code != 404 {
		t.Fatalf("old token: %d", code)
	}
	if code, _, _ := get(newToken); code != 200 {
		t.Fatalf("new token: %d", code)
	}
	if ok, err := svc.RevokeFeed(context.Background(), as(learner)); !ok || err != nil {
		t.Fatalf("revoke %v %v", ok, err)
	}
	if code, _, _ := get(newToken); code != 404 {
		t.Fatalf("revoked token: %d", code)
	}
	if _, _, err := svc.RotateFeed(context.Background(), as(learner)); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("rotate without feed: %v", err)
	}
	if code, _, _ := get("nope"); code != 404 {
		t.Fatalf("unknown token: %d", code)
	}
	resp, err := http.Post(srv.URL+calendar.FeedPath(newToken), "text/plain", nil)
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()

	// One session as an attachment, for its participants only.
	one1, err := svc.SessionICS(context.Background(), as(teacher), confirmed.ID)
	if err != nil {
		t.Fatal(err)
	}
	c1 := parseICS(t, one1)
	if len(c1.subs) != 1 || !strings.HasPrefix(unescape(t, one(t, c1.subs[0], "SUMMARY")), "Teaching ") ||
		one(t, c1.subs[0], "DTSTART") != start.UTC().Format("20060102T150405Z") || one(t, c1.subs[0], "URL") != skillsessiontest.Online {
		t.Fatalf("session ics %s", one1)
	}
	if _, err := svc.SessionICS(context.Background(), as(stranger), confirmed.ID); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("stranger: %v", err)
	}
}

var as = skillsessiontest.As

func skillName(t *testing.T, e *skillsessiontest.Env) string {
	t.Helper()
	skills, err := e.Store.Q().SkillsByIDs(context.Background(), []uuid.UUID{e.SkillID})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(skills[e.SkillID].NameEN)
}
