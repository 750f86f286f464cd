package auth_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/relay"
)

const (
	verifyCodeMutation  = `mutation($c: String!) { verifyEmail(input: {code: $c}) { emailVerified user { id emailVerified } } }`
	verifyTokenMutation = `mutation($t: String!) { verifyEmail(input: {token: $t}) { emailVerified } }`
	resendMutation      = `mutation { resendVerificationEmail { sent } }`
	requestResetMut     = `mutation($e: String!) { requestPasswordReset(input: {email: $e}) { accepted } }`
	resetMutation       = `mutation($t: String!, $p: String!) { resetPassword(input: {token: $t, newPassword: $p}) { passwordReset } }`
	changeMutation      = `mutation($c: String!, $p: String!) { changePassword(input: {currentPassword: $c, newPassword: $p}) { revokedSessionCount } }`
	openDirectMutation  = `mutation($u: ID!) { openDirectConversation(input: {userId: $u}) { conversation { id } } }`
	emailVerifiedQuery  = `{ viewer { emailVerified } }`
	publicURL           = "https://app.skillswap.test"
	newPassword         = "violet orchard tram nineteen"
)

var (
	codeRe  = regexp.MustCompile(`\b(\d{6})\b`)
	tokenRe = regexp.MustCompile(`token=([A-Za-z0-9_-]+)`)
)

// uniqueEmail is an address no earlier run used: the SMTP sink's Maildir outlives runs.
func uniqueEmail(tag string) string {
	return fmt.Sprintf("%s-%d-%s@example.com", tag, time.Now().UnixNano(), uuid.NewString()[:8])
}

// recoveryServer runs a server that sends its emails to the SMTP sink.
func recoveryServer(t *testing.T, adjust ...func(*config.Config)) (*apitest.Server, *apitest.Mailbox) {
	t.Helper()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	cfg.PublicURL = publicURL
	for _, f := range adjust {
		f(&cfg)
	}
	return apitest.Start(t, cfg), box
}

func verificationSecrets(t *testing.T, e apitest.Email) (code, token string) {
	t.Helper()
	c, tk := codeRe.FindStringSubmatch(e.Text), tokenRe.FindStringSubmatch(e.Text)
	if c == nil || tk == nil {
		t.Fatalf("verification email lacks a code or a link:\n%s", e.Text)
	}
	if !strings.Contains(e.Text, publicURL+"/verify-email?token=") || !strings.Contains(e.HTML, publicURL+"/verify-email?token=") {
		t.Fatalf("verification link is not built from PUBLIC_URL:\n%s\n%s", e.Text, e.HTML)
	}
	return c[1], tk[1]
}

func expectInvalid(t *testing.T, r *apitest.Response, field string) {
	t.Helper()
	if r.Code() != "BAD_USER_INPUT" || r.Field() != field {
		t.Fatalf("want BAD_USER_INPUT on %s, got %s", field, r.Raw)
	}
}

func emailVerified(t *testing.T, c *apitest.Client) bool {
	t.Helper()
	var v struct{ Viewer struct{ EmailVerified *bool } }
	apitest.Must(t, c.Do(t, emailVerifiedQuery, nil)).Decode(t, &v)
	if v.Viewer.EmailVerified == nil {
		t.Fatal("viewer.emailVerified is null for the viewer")
	}
	return *v.Viewer.EmailVerified
}

func TestEmailVerificationByCode(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	email := uniqueEmail("verify-code")
	tok, c := srv.SignUpUnverified(t, email, "Vera Verify")
	_, other := srv.SignUp(t)
	var o struct{ Viewer struct{ ID string } }
	apitest.Must(t, other.Do(t, `{ viewer { id } }`, nil)).Decode(t, &o)

	if emailVerified(t, c) {
		t.Fatal("a new account is verified before any code")
	}
	// By default an unverified member may neither message nor book, with a coded reason.
	r := c.Do(t, openDirectMutation, map[string]any{"u": o.Viewer.ID})
	if r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != domain.ReasonEmailNotVerified {
		t.Fatalf("unverified openDirectConversation: %s", r.Raw)
	}
	r = c.Do(t, `mutation($in: ProposeSessionInput!) { proposeSession(input: $in) { session { id } } }`, map[string]any{"in": map[string]any{
		"skillId": relay.GlobalID(relay.KindSkill, uuid.New()), "teacherId": o.Viewer.ID, "learnerId": tok.User.ID,
		"startsAt": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "durationMinutes": 60, "mode": "ONLINE",
	}})
	if r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != domain.ReasonEmailNotVerified {
		t.Fatalf("unverified proposeSession: %s", r.Raw)
	}

	code, _ := verificationSecrets(t, box.Next(t, email, "verification code"))
	wrong := fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1_000_000)
	expectInvalid(t, c.Do(t, verifyCodeMutation, map[string]any{"c": wrong}), "input.code")
	expectInvalid(t, c.Do(t, verifyCodeMutation, map[string]any{"c": "12ab"}), "input.code")
	// A code is the signed-in member's own: without sign-in it is refused.
	if r := srv.Client().Do(t, verifyCodeMutation, map[string]any{"c": code}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("code without sign-in: %s", r.Raw)
	}
	// Another member cannot use it either: codes are per account.
	expectInvalid(t, other.Do(t, verifyCodeMutation, map[string]any{"c": code}), "input.code")

	var v struct {
		VerifyEmail struct {
			EmailVerified bool
			User          struct{ EmailVerified *bool }
		}
	}
	apitest.Must(t, c.Do(t, verifyCodeMutation, map[string]any{"c": code})).Decode(t, &v)
	if !v.VerifyEmail.EmailVerified || v.VerifyEmail.User.EmailVerified == nil || !*v.VerifyEmail.User.EmailVerified {
		t.Fatalf("verifyEmail payload %+v", v)
	}
	if !emailVerified(t, c) {
		t.Fatal("viewer.emailVerified still false")
	}
	// Single use.
	expectInvalid(t, c.Do(t, verifyCodeMutation, map[string]any{"c": code}), "input.code")
	// Now the member may message.
	apitest.Must(t, c.Do(t, openDirectMutation, map[string]any{"u": o.Viewer.ID}))
	// And another member never sees whether one is verified.
	var pub struct{ Node struct{ EmailVerified *bool } }
	apitest.Must(t, other.Do(t, `query($id: ID!) { node(id: $id) { ... on User { emailVerified } } }`, map[string]any{"id": tok.User.ID})).Decode(t, &pub)
	if pub.Node.EmailVerified != nil {
		t.Fatal("emailVerified is visible to another member")
	}
	// Resending once verified is a conflict.
	if r := c.Do(t, resendMutation, nil); r.Code() != "CONFLICT" {
		t.Fatalf("resend after verification: %s", r.Raw)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEmailVerificationByLinkInFrench(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	email := uniqueEmail("verify-link")
	c := srv.Client()
	c.Header.Set("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")
	r := c.Do(t, signUpMutation, signUpVars(email, apitest.StrongPassword, "Véra Lien"))
	var su struct{ SignUp apitest.Tokens }
	r.Decode(t, &su)
	member := srv.Client().WithToken(su.SignUp.AccessToken)

	first := box.Next(t, email, "code de vérification")
	if first.Language != "fr" || !strings.Contains(first.Text, "Bonjour Véra Lien") || !strings.Contains(first.HTML, "<p>Bonjour Véra Lien,</p>") {
		t.Fatalf("French email expected, got %q:\n%s\n%s", first.Language, first.Text, first.HTML)
	}
	oldCode, oldToken := verificationSecrets(t, first)

	// A resend replaces the secrets: the first email's code and link stop working.
	apitest.Must(t, member.Do(t, resendMutation, nil))
	_, token := verificationSecrets(t, box.Next(t, email, "code de vérification"))
	expectInvalid(t, member.Do(t, verifyCodeMutation, map[string]any{"c": oldCode}), "input.code")
	expectInvalid(t, srv.Client().Do(t, verifyTokenMutation, map[string]any{"t": oldToken}), "input.token")

	// Opening the link is not confirming: the page calls verifyEmail, signed in or not.
	if emailVerified(t, member) {
		t.Fatal("verified before verifyEmail")
	}
	expectInvalid(t, srv.Client().Do(t, verifyTokenMutation, map[string]any{"t": token + "x"}), "input.token")
	if r := srv.Client().Do(t, `mutation { verifyEmail(input: {}) { emailVerified } }`, nil); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("neither code nor token: %s", r.Raw)
	}
	apitest.Must(t, srv.Client().Do(t, verifyTokenMutation, map[string]any{"t": token}))
	if !emailVerified(t, member) {
		t.Fatal("not verified after the link's token")
	}
	expectInvalid(t, srv.Client().Do(t, verifyTokenMutation, map[string]any{"t": token}), "input.token")
}

func TestEmailVerificationExpires(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	email := uniqueEmail("verify-expired")
	_, c := srv.SignUpUnverified(t, email, "Old Code")
	code, token := verificationSecrets(t, box.Next(t, email, "verification code"))
	if _, err := srv.App.Pool.Exec(context.Background(), `
		UPDATE account_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day'
		WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, c.Do(t, verifyCodeMutation, map[string]any{"c": code}), "input.code")
	expectInvalid(t, srv.Client().Do(t, verifyTokenMutation, map[string]any{"t": token}), "input.token")
	if emailVerified(t, c) {
		t.Fatal("verified with an expired code")
	}
}

func TestVerificationThrottles(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t, func(c *config.Config) {
		c.RateVerificationEmailUser = config.Rate{Tokens: 1, Interval: time.Hour}
	})
	email := uniqueEmail("verify-throttle")
	_, c := srv.SignUpUnverified(t, email, "Throttled")
	box.Next(t, email, "verification code")
	apitest.Must(t, c.Do(t, resendMutation, nil))
	if r := c.Do(t, resendMutation, nil); r.Code() != "RATE_LIMITED" {
		t.Fatalf("second resend within the hour: %s", r.Raw)
	}
	// Code guesses are throttled per member (default: 10 an hour), right code or not.
	var last *apitest.Response
	for range 12 {
		last = c.Do(t, verifyCodeMutation, map[string]any{"c": "000000"})
		if last.Code() == "RATE_LIMITED" {
			break
		}
	}
	if last.Code() != "RATE_LIMITED" {
		t.Fatalf("12 wrong codes were not throttled: %s", last.Raw)
	}
}

func TestPasswordResetDoesNotTellWhetherTheAddressExists(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	email := uniqueEmail("reset-known")
	srv.SignUpAs(t, email, "Known Member")
	known := apitest.Must(t, srv.Client().Do(t, requestResetMut, map[string]any{"e": email}))
	unknown := apitest.Must(t, srv.Client().Do(t, requestResetMut, map[string]any{"e": uniqueEmail("reset-unknown")}))
	if string(known.Data) != string(unknown.Data) || string(known.Data) != `{"requestPasswordReset":{"accepted":true}}` {
		t.Fatalf("answers differ: %s vs %s", known.Data, unknown.Data)
	}
	// The same work: one job either way (the job, not the request, looks the address up).
	var jobs int
	if err := srv.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = 'password_reset_email'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 2 {
		t.Fatalf("%d reset jobs, want one per request", jobs)
	}
	e := box.Next(t, email, "reset your password")
	if !strings.Contains(e.Text, publicURL+"/reset-password?token=") || !strings.Contains(e.Text, "20 minutes") {
		t.Fatalf("reset email:\n%s", e.Text)
	}
	// A malformed address is bad input (that says nothing about accounts).
	expectInvalid(t, srv.Client().Do(t, requestResetMut, map[string]any{"e": "not-an-address"}), "input.email")
}

func TestPasswordResetEndsEverySession(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	email := uniqueEmail("reset")
	tok, c := srv.SignUpAs(t, email, "Forgetful Member")
	ws := srv.Connect(t, "graphql-transport-ws", tok.AccessToken)
	ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)

	apitest.Must(t, srv.Client().Do(t, requestResetMut, map[string]any{"e": strings.ToUpper(email[:1]) + email[1:]}))
	m := tokenRe.FindStringSubmatch(box.Next(t, email, "reset your password").Text)
	if m == nil {
		t.Fatal("no token in the reset email")
	}
	token := m[1]
	anon := srv.Client()
	// Refused passwords leave the token unspent.
	for _, weak := range []string{"short-pass", "passwordpassword", "forgetful member " + email} {
		expectInvalid(t, anon.Do(t, resetMutation, map[string]any{"t": token, "p": weak}), "input.newPassword")
	}
	expectInvalid(t, anon.Do(t, resetMutation, map[string]any{"t": "wrong-" + token, "p": newPassword}), "input.token")

	var out struct{ ResetPassword struct{ PasswordReset bool } }
	apitest.Must(t, anon.Do(t, resetMutation, map[string]any{"t": token, "p": newPassword})).Decode(t, &out)
	if !out.ResetPassword.PasswordReset {
		t.Fatal("resetPassword did not say so")
	}
	// Every session ended, its socket closed, and the reset signed nobody in.
	ws.ExpectClose(4403, 15*time.Second)
	if r := c.Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("old access token after reset: %s", r.Raw)
	}
	if r := anon.Do(t, refreshMutation, map[string]any{"t": tok.RefreshToken}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("old refresh token after reset: %s", r.Raw)
	}
	if r := anon.Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": apitest.StrongPassword}}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("old password after reset: %s", r.Raw)
	}
	apitest.Must(t, anon.Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": newPassword}}))
	// Single use.
	expectInvalid(t, anon.Do(t, resetMutation, map[string]any{"t": token, "p": "another fine passphrase"}), "input.token")
	// The member is told.
	box.Next(t, email, "your password was reset")
}

func TestPasswordResetTokenExpires(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	email := uniqueEmail("reset-expired")
	srv.SignUpAs(t, email, "Late Member")
	apitest.Must(t, srv.Client().Do(t, requestResetMut, map[string]any{"e": email}))
	token := tokenRe.FindStringSubmatch(box.Next(t, email, "reset your password").Text)[1]
	if _, err := srv.App.Pool.Exec(context.Background(), `
		UPDATE account_tokens SET created_at = now() - interval '1 hour', expires_at = now() - interval '40 minutes'
		WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
	expectInvalid(t, srv.Client().Do(t, resetMutation, map[string]any{"t": token, "p": newPassword}), "input.token")
}

func TestPasswordResetThrottles(t *testing.T) {
	t.Parallel()
	srv, _ := recoveryServer(t, func(c *config.Config) {
		c.RatePasswordResetIP = config.Rate{Tokens: 3, Interval: time.Hour}
		c.RatePasswordResetEmail = config.Rate{Tokens: 1, Interval: time.Hour}
	})
	email := uniqueEmail("reset-flood")
	srv.SignUpAs(t, email, "Flooded")
	// Past the per-address limit the answer is the same, and nothing more is queued.
	for range 2 {
		apitest.Must(t, srv.Client().Do(t, requestResetMut, map[string]any{"e": email}))
	}
	var jobs int
	if err := srv.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = 'password_reset_email'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 1 {
		t.Fatalf("%d reset emails queued for one address, want 1", jobs)
	}
	apitest.Must(t, srv.Client().Do(t, requestResetMut, map[string]any{"e": uniqueEmail("x")}))
	if r := srv.Client().Do(t, requestResetMut, map[string]any{"e": uniqueEmail("y")}); r.Code() != "RATE_LIMITED" {
		t.Fatalf("fourth request from one network: %s", r.Raw)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	email := uniqueEmail("change")
	_, c := srv.SignUpAs(t, email, "Careful Member")
	var second struct{ LogIn apitest.Tokens }
	apitest.Must(t, srv.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": apitest.StrongPassword}})).Decode(t, &second)
	other := srv.Client().WithToken(second.LogIn.AccessToken)

	expectInvalid(t, c.Do(t, changeMutation, map[string]any{"c": "not-my-password-at-all", "p": newPassword}), "input.currentPassword")
	for _, weak := range []string{"fourteen-chars", "1234567890123456", "careful member 2026"} {
		expectInvalid(t, c.Do(t, changeMutation, map[string]any{"c": apitest.StrongPassword, "p": weak}), "input.newPassword")
	}
	if r := srv.Client().Do(t, changeMutation, map[string]any{"c": apitest.StrongPassword, "p": newPassword}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("changePassword signed out: %s", r.Raw)
	}
	var out struct {
		ChangePassword struct{ RevokedSessionCount int }
	}
	apitest.Must(t, c.Do(t, changeMutation, map[string]any{"c": apitest.StrongPassword, "p": newPassword})).Decode(t, &out)
	if out.ChangePassword.RevokedSessionCount != 1 {
		t.Fatalf("revoked %d sessions, want the other one", out.ChangePassword.RevokedSessionCount)
	}
	apitest.Must(t, c.Do(t, viewerQuery, nil))
	if r := other.Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("other session after a password change: %s", r.Raw)
	}
	apitest.Must(t, srv.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": newPassword}}))
	box.Next(t, email, "your password was changed")
}

func TestUnverifiedMayIsConfigurable(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	cfg.UnverifiedMay = "message"
	srv := apitest.Start(t, cfg)
	_, c := srv.SignUpUnverified(t, uniqueEmail("may-message"), "Allowed")
	_, other := srv.SignUp(t)
	var o struct{ Viewer struct{ ID string } }
	apitest.Must(t, other.Do(t, `{ viewer { id } }`, nil)).Decode(t, &o)
	apitest.Must(t, c.Do(t, openDirectMutation, map[string]any{"u": o.Viewer.ID}))
}

// With a second factor the password is one of two, and 8 characters suffice (NIST 800-63B-4).
func TestSecondFactorLowersTheMinimumPasswordLength(t *testing.T) {
	t.Parallel()
	e := startMFA(t, nil)
	_, c := e.srv.SignUp(t)
	expectInvalid(t, c.Do(t, changeMutation, map[string]any{"c": apitest.StrongPassword, "p": "plum-riv"}), "input.newPassword")
	e.enrol(t, c)
	expectInvalid(t, c.Do(t, changeMutation, map[string]any{"c": apitest.StrongPassword, "p": "plum-ri"}), "input.newPassword")
	expectInvalid(t, c.Do(t, changeMutation, map[string]any{"c": apitest.StrongPassword, "p": "baseball"}), "input.newPassword")
	apitest.Must(t, c.Do(t, changeMutation, map[string]any{"c": apitest.StrongPassword, "p": "plum-riv"}))
}
