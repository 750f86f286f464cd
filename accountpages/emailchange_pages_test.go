package accountpages_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/skillswap/skillswap/internal/apitest"
)

func viewerEmail(t *testing.T, c *apitest.Client) string {
	t.Helper()
	var v struct{ Viewer struct{ Email string } }
	apitest.Must(t, c.Do(t, `{ viewer { email } }`, nil)).Decode(t, &v)
	return v.Viewer.Email
}

// An email change confirmed on the page its link opens, then undone from the notice's link.
func TestEmailChangePages(t *testing.T) {
	t.Parallel()
	srv, box := start(t)
	oldAddr, newAddr := uniqueEmail("page-change-old"), uniqueEmail("page-change-new")
	tok, member := srv.SignUpAs(t, oldAddr, "Page Change")
	apitest.Must(t, member.Do(t, `mutation($e: String!) { requestEmailChange(input: {newEmail: $e}) { pendingEmail } }`, map[string]any{"e": newAddr}))

	link, token := linkPath(t, box.Next(t, newAddr, "change your email address"), "/confirm-email-change")
	// Opening the link shows a form and changes nothing; another site's form cannot spend it.
	get(t, srv, link, "").expect(t, http.StatusOK, "Confirm your new email address", `action="/confirm-email-change"`, `value="`+token+`"`)
	post(t, srv, "/confirm-email-change", "https://evil.example", url.Values{"token": {token}}).expect(t, http.StatusForbidden)
	if got := viewerEmail(t, member); got != oldAddr {
		t.Fatalf("email %s before the form was sent", got)
	}
	post(t, srv, "/confirm-email-change", publicURL, url.Values{"token": {token}}).expect(t, http.StatusOK, "Your email address is changed")
	if got := viewerEmail(t, member); got != newAddr {
		t.Fatalf("email %s after confirming on the page", got)
	}
	post(t, srv, "/confirm-email-change", publicURL, url.Values{"token": {token}}).expect(t, http.StatusBadRequest, "wrong, expired or already used")

	link, token = linkPath(t, box.Next(t, oldAddr, "your email address was changed"), "/undo-email-change")
	get(t, srv, link, "fr").expect(t, http.StatusOK, "Annuler le changement", `action="/undo-email-change"`)
	ws := srv.Connect(t, "graphql-transport-ws", tok.AccessToken)
	ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)
	post(t, srv, "/undo-email-change", publicURL, url.Values{"token": {token}}).expect(t, http.StatusOK, "Your email address is back")
	ws.ExpectClose(4403, 15*time.Second)
	if r := member.Do(t, `{ viewer { email } }`, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("session after the undo: %s", r.Raw)
	}
	linkPath(t, box.Next(t, oldAddr, "reset your password"), "/reset-password")
	get(t, srv, "/undo-email-change", "").expect(t, http.StatusBadRequest, "incomplete")
}
