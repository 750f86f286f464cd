package accountpages_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/internal/apitest"
)

const publicURL = "https://app.skillswap.test"

var tokenRe = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)

func uniqueEmail(tag string) string {
	return fmt.Sprintf("%s-%d-%s@example.com", tag, time.Now().UnixNano(), uuid.NewString()[:8])
}

func start(t *testing.T) (*apitest.Server, *apitest.Mailbox) {
	t.Helper()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	cfg.PublicURL = publicURL
	return apitest.Start(t, cfg), box
}

// page is one answer of the pages.
type page struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, srv *apitest.Server, path, lang string) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	return send(t, req)
}

// post sends form as a browser on origin would (no Origin header when origin is empty).
func post(t *testing.T, srv *apitest.Server, path, origin string, form url.Values) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) page {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, string(b)}
}

func (p page) expect(t *testing.T, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d:\n%s", p.status, status, p.body)
	}
	for _, c := range contains {
		if !strings.Contains(p.body, c) {
			t.Fatalf("page lacks %q:\n%s", c, p.body)
		}
	}
}

// linkPath returns the path and query of the emailed link to path, checking it is on PUBLIC_URL.
func linkPath(t *testing.T, e apitest.Email, path string) (string, string) {
	t.Helper()
	m := tokenRe.FindStringSubmatch(e.Text)
	if m == nil || !strings.Contains(e.Text, publicURL+path+"?token=") {
		t.Fatalf("no %s link on %s in:\n%s", path, publicURL, e.Text)
	}
	return path + "?token=" + m[1], m[1]
}

func emailVerified(t *testing.T, c *apitest.Client) bool {
	t.Helper()
	var v struct{ Viewer struct{ EmailVerified bool } }
	apitest.Must(t, c.Do(t, `{ viewer { emailVerified } }`, nil)).Decode(t, &v)
	return v.Viewer.EmailVerified
}

func TestVerifyEmailPage(t *testing.T) {
	t.Parallel()
	srv, box := start(t)
	email := uniqueEmail("page-verify")
	_, member := srv.SignUpUnverified(t, email, "Page Verify")
	link, token := linkPath(t, box.Next(t, email, "verification code"), "/verify-email")

	// Opening the link (a mail scanner does) shows a form and spends nothing.
	for range 2 {
		p := get(t, srv, link, "")
		p.expect(t, http.StatusOK, "Confirm your email address", `action="/verify-email"`, `value="`+token+`"`)
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") {
			t.Fatalf("Content-Security-Policy = %q", csp)
		}
		if p.header.Get("Cache-Control") != "no-store" || p.header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("cache or referrer headers: %v", p.header)
		}
	}
	if emailVerified(t, member) {
		t.Fatal("opening the link verified the address")
	}

	// A form on another site cannot spend the link.
	post(t, srv, "/verify-email", "https://evil.example", url.Values{"token": {token}}).expect(t, http.StatusForbidden)
	if emailVerified(t, member) {
		t.Fatal("a cross-site post verified the address")
	}

	post(t, srv, "/verify-email", publicURL, url.Values{"token": {token}}).expect(t, http.StatusOK, "Your email address is confirmed")
	if !emailVerified(t, member) {
		t.Fatal("confirming on the page did not verify the address")
	}
	// The link works once.
	post(t, srv, "/verify-email", "", url.Values{"token": {token}}).expect(t, http.StatusBadRequest, "wrong, expired or already used")
}

func TestPagesRefuseBadInput(t *testing.T) {
	t.Parallel()
	srv, _ := start(t)
	cases := []struct {
		name   string
		do     func() page
		status int
		want   string
	}{
		{"verify link without token", func() page { return get(t, srv, "/verify-email", "") }, http.StatusBadRequest, "incomplete"},
		{"reset link without token", func() page { return get(t, srv, "/reset-password", "") }, http.StatusBadRequest, "incomplete"},
		{"unknown verify token", func() page {
			return post(t, srv, "/verify-email", publicURL, url.Values{"token": {"not-a-token"}})
		}, http.StatusBadRequest, "wrong, expired or already used"},
		{"overlong verify token", func() page {
			return post(t, srv, "/verify-email", publicURL, url.Values{"token": {strings.Repeat("a", 500)}})
		}, http.StatusBadRequest, "wrong, expired or already used"},
		{"unknown reset token", func() page {
			return post(t, srv, "/reset-password", publicURL, url.Values{"token": {"nope"}, "password": {"a long enough pass phrase here"}})
		}, http.StatusBadRequest, "wrong, expired or already used"},
		{"malformed email", func() page {
			return post(t, srv, "/forgot-password", publicURL, url.Values{"email": {"not an email"}})
		}, http.StatusBadRequest, "not a valid email address"},
		{"oversized form", func() page {
			return post(t, srv, "/forgot-password", publicURL, url.Values{"email": {strings.Repeat("x", 20<<10)}})
		}, http.StatusBadRequest, "could not be read"},
		{"French", func() page { return get(t, srv, "/verify-email", "fr-FR,fr;q=0.9,en;q=0.5") }, http.StatusBadRequest, "Ce lien est incomplet"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.do().expect(t, c.status, c.want)
		})
	}
}

func TestForgotAndResetPasswordPages(t *testing.T) {
	t.Parallel()
	srv, box := start(t)
	email := uniqueEmail("page-reset")
	srv.SignUpAs(t, email, "Page Reset")

	get(t, srv, "/forgot-password", "").expect(t, http.StatusOK, `action="/forgot-password"`, `type="email"`)
	// The answer is the same whether or not the address has an account.
	sent := post(t, srv, "/forgot-password", publicURL, url.Values{"email": {email}})
	sent.expect(t, http.StatusOK, "Check your email")
	post(t, srv, "/forgot-password", publicURL, url.Values{"email": {uniqueEmail("nobody")}}).expect(t, http.StatusOK, sent.body)

	link, token := linkPath(t, box.Next(t, email, "reset your password"), "/reset-password")
	get(t, srv, link, "").expect(t, http.StatusOK, `action="/reset-password"`, `autocomplete="new-password"`, `value="`+token+`"`)

	// A password the policy refuses shows the form again, with the link still working.
	post(t, srv, "/reset-password", publicURL, url.Values{"token": {token}, "password": {"short"}}).
		expect(t, http.StatusBadRequest, `role="alert"`, `value="`+token+`"`, `action="/reset-password"`, "must be at least")
	// In French, the policy's message too (from the error catalogue, as the API's).
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/reset-password",
		strings.NewReader(url.Values{"token": {token}, "password": {"short"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", publicURL)
	req.Header.Set("Accept-Language", "fr-FR")
	send(t, req).expect(t, http.StatusBadRequest, `role="alert"`, "doit compter au moins")

	const chosen = "lantern meadow copper violin"
	post(t, srv, "/reset-password", publicURL, url.Values{"token": {token}, "password": {chosen}}).
		expect(t, http.StatusOK, "Your password is changed")
	post(t, srv, "/reset-password", publicURL, url.Values{"token": {token}, "password": {chosen + " again"}}).
		expect(t, http.StatusBadRequest, "wrong, expired or already used")

	r := srv.Client().Do(t, `mutation($in: LogInInput!) { logIn(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"email": email, "password": chosen}})
	apitest.Must(t, r)
}
