package auth_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
)

const (
	beginLogInMutation = `mutation($in: LogInInput!) { beginLogIn(input: $in) {
		auth { ` + apitest.AuthFields + ` } mfaRequired mfaTicket mfaTicketExpiresAt } }`
	completeMfaMutation = `mutation($in: CompleteMfaLogInInput!) { completeMfaLogIn(input: $in) { ` + apitest.AuthFields + ` } }`
	startTotpMutation   = `mutation { startTotpEnrollment { otpauthUri secret } }`
	confirmTotpMutation = `mutation($code: String!) { confirmTotpEnrollment(input: {code: $code}) {
		recoveryCodes security { methods totpEnabled recoveryCodesLeft } } }`
	reauthMutation   = `mutation($in: ReauthenticateInput!) { reauthenticate(input: $in) { recentAuthUntil } }`
	securityQuery    = `{ viewer { security { methods totpEnabled recoveryCodesLeft } } }`
	regenerateCodes  = `mutation { regenerateRecoveryCodes { recoveryCodes } }`
	disableTotpQuery = `mutation { disableTotp { security { methods totpEnabled recoveryCodesLeft } } }`
)

// totpClock is the server's clock of TOTP codes: each code a test makes moves it one 30-second
// step on, so every code is fresh (a code is accepted once per step).
type totpClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTOTPClock() *totpClock { return &totpClock{t: time.Now().Truncate(30 * time.Second)} }

func (c *totpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// next moves the clock one step on and returns the code of the new step.
func (c *totpClock) next(t *testing.T, secret string) string {
	t.Helper()
	c.mu.Lock()
	c.t = c.t.Add(30 * time.Second)
	now := c.t
	c.mu.Unlock()
	return codeAt(t, secret, now)
}

// current returns the code of the clock's step, without moving it.
func (c *totpClock) current(t *testing.T, secret string) string {
	t.Helper()
	return codeAt(t, secret, c.Now())
}

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wrongCode is a well-formed code that is not clock's current one nor its neighbours'.
func wrongCode(t *testing.T, c *totpClock, secret string) string {
	t.Helper()
	now := c.Now()
	avoid := map[string]bool{}
	for d := -1; d <= 1; d++ {
		avoid[codeAt(t, secret, now.Add(time.Duration(d)*30*time.Second))] = true
	}
	for _, w := range []string{"000000", "111111", "222222", "333333"} {
		if !avoid[w] {
			return w
		}
	}
	t.Fatal("no wrong code")
	return ""
}

type mfaEnv struct {
	srv   *apitest.Server
	clock *totpClock
}

func startMFA(t *testing.T, adjust func(*config.Config)) mfaEnv {
	t.Helper()
	cfg := apitest.Config(t)
	cfg.SessionCacheTTL = 0 // role and factor changes made in the database apply at once
	if adjust != nil {
		adjust(&cfg)
	}
	clock := newTOTPClock()
	return mfaEnv{srv: apitest.Start(t, cfg, app.Options{TOTPNow: clock.Now}), clock: clock}
}

// enrol turns TOTP on for the client's member and returns the secret and recovery codes.
func (e mfaEnv) enrol(t *testing.T, c *apitest.Client) (string, []string) {
	t.Helper()
	var st struct {
		StartTotpEnrollment struct{ OtpauthURI, Secret string }
	}
	apitest.Must(t, c.Do(t, startTotpMutation, nil)).Decode(t, &st)
	var cf struct {
		ConfirmTotpEnrollment struct{ RecoveryCodes []string }
	}
	apitest.Must(t, c.Do(t, confirmTotpMutation, map[string]any{"code": e.clock.next(t, st.StartTotpEnrollment.Secret)})).Decode(t, &cf)
	return st.StartTotpEnrollment.Secret, cf.ConfirmTotpEnrollment.RecoveryCodes
}

type beginResult struct {
	Auth               *apitest.Tokens
	MfaRequired        bool
	MfaTicket          *string
	MfaTicketExpiresAt *string
}

func beginLogIn(t *testing.T, srv *apitest.Server, email string) beginResult {
	t.Helper()
	var out struct{ BeginLogIn beginResult }
	apitest.Must(t, srv.Client().Do(t, beginLogInMutation, map[string]any{"in": map[string]any{"email": email, "password": apitest.StrongPassword}})).Decode(t, &out)
	return out.BeginLogIn
}

func complete(t *testing.T, srv *apitest.Server, ticket, field, code string) *apitest.Response {
	t.Helper()
	return srv.Client().Do(t, completeMfaMutation, map[string]any{"in": map[string]any{"ticket": ticket, field: code}})
}

func TestTOTPEnrolmentAndTwoStepLogIn(t *testing.T) {
	t.Parallel()
	e := startMFA(t, func(c *config.Config) { c.RateMFACodesUser = config.Rate{Tokens: 100, Interval: time.Hour} })
	tok, c := e.srv.SignUp(t)
	email := tok.User.Email

	// Before: a password only; logIn and beginLogIn sign in at once.
	var sec struct {
		Viewer struct {
			Security struct {
				Methods           []string
				TotpEnabled       bool
				RecoveryCodesLeft int
			}
		}
	}
	apitest.Must(t, c.Do(t, securityQuery, nil)).Decode(t, &sec)
	if s := sec.Viewer.Security; len(s.Methods) != 1 || s.Methods[0] != "PASSWORD" || s.TotpEnabled || s.RecoveryCodesLeft != 0 {
		t.Fatalf("security before = %+v", s)
	}
	if b := beginLogIn(t, e.srv, email); b.MfaRequired || b.Auth == nil || b.Auth.AccessToken == "" || b.MfaTicket != nil {
		t.Fatalf("beginLogIn without MFA = %+v", b)
	}

	// Enrolment: the URI is an otpauth URI for the member; a wrong code is refused.
	var st struct {
		StartTotpEnrollment struct{ OtpauthURI, Secret string }
	}
	apitest.Must(t, c.Do(t, startTotpMutation, nil)).Decode(t, &st)
	u, err := url.Parse(st.StartTotpEnrollment.OtpauthURI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != st.StartTotpEnrollment.Secret ||
		u.Query().Get("issuer") != "SkillSwap" || !strings.Contains(u.Path, email) {
		t.Fatalf("otpauth URI %q (%v)", st.StartTotpEnrollment.OtpauthURI, err)
	}
	secret := st.StartTotpEnrollment.Secret
	r := c.Do(t, confirmTotpMutation, map[string]any{"code": wrongCode(t, e.clock, secret)})
	if r.Code() != "BAD_USER_INPUT" || r.Field() != "input.code" {
		t.Fatalf("wrong enrolment code: %s", r.Raw)
	}
	var cf struct {
		ConfirmTotpEnrollment struct {
			RecoveryCodes []string
			Security      struct {
				Methods           []string
				TotpEnabled       bool
				RecoveryCodesLeft int
			}
		}
	}
	first := e.clock.next(t, secret)
	apitest.Must(t, c.Do(t, confirmTotpMutation, map[string]any{"code": first})).Decode(t, &cf)
	codes := cf.ConfirmTotpEnrollment.RecoveryCodes
	if len(codes) != 10 || !cf.ConfirmTotpEnrollment.Security.TotpEnabled || cf.ConfirmTotpEnrollment.Security.RecoveryCodesLeft != 10 {
		t.Fatalf("confirm = %+v", cf.ConfirmTotpEnrollment)
	}
	// Confirming again: already enabled.
	if r := c.Do(t, confirmTotpMutation, map[string]any{"code": first}); r.Code() != "CONFLICT" {
		t.Fatalf("second confirm: %s", r.Raw)
	}

	// logIn answers with the ticket in the error; beginLogIn with typed data.
	r = e.srv.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": apitest.StrongPassword}})
	if r.Code() != "UNAUTHENTICATED" || r.Errors[0].Extensions["reason"] != "MFA_REQUIRED" || r.Errors[0].Extensions["mfaTicket"] == "" {
		t.Fatalf("logIn with MFA: %s", r.Raw)
	}
	b := beginLogIn(t, e.srv, email)
	if !b.MfaRequired || b.Auth != nil || b.MfaTicket == nil || b.MfaTicketExpiresAt == nil {
		t.Fatalf("beginLogIn with MFA = %+v", b)
	}
	ticket := *b.MfaTicket

	// The code accepted at enrolment is never accepted again (replay), nor is a wrong one.
	if r := complete(t, e.srv, ticket, "code", first); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.code" {
		t.Fatalf("replayed code: %s", r.Raw)
	}
	if r := complete(t, e.srv, ticket, "code", wrongCode(t, e.clock, secret)); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("wrong code: %s", r.Raw)
	}
	if r := complete(t, e.srv, ticket, "code", ""); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("no code: %s", r.Raw)
	}
	code := e.clock.next(t, secret)
	var done struct{ CompleteMfaLogIn apitest.Tokens }
	apitest.Must(t, complete(t, e.srv, ticket, "code", code)).Decode(t, &done)
	if done.CompleteMfaLogIn.AccessToken == "" || done.CompleteMfaLogIn.User.ID != tok.User.ID {
		t.Fatalf("completeMfaLogIn = %+v", done.CompleteMfaLogIn)
	}
	// The ticket is single-use, and the code too (on a new ticket).
	if r := complete(t, e.srv, ticket, "code", e.clock.current(t, secret)); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("reused ticket: %s", r.Raw)
	}
	b = beginLogIn(t, e.srv, email)
	if r := complete(t, e.srv, *b.MfaTicket, "code", e.clock.current(t, secret)); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("code of an already used step: %s", r.Raw)
	}

	// A recovery code works once, in any case and with or without dashes.
	rc := strings.ToUpper(strings.ReplaceAll(codes[0], "-", ""))
	apitest.Must(t, complete(t, e.srv, *b.MfaTicket, "recoveryCode", rc))
	b = beginLogIn(t, e.srv, email)
	if r := complete(t, e.srv, *b.MfaTicket, "recoveryCode", codes[0]); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.recoveryCode" {
		t.Fatalf("reused recovery code: %s", r.Raw)
	}
	apitest.Must(t, c.Do(t, securityQuery, nil)).Decode(t, &sec)
	if s := sec.Viewer.Security; len(s.Methods) != 2 || s.Methods[1] != "TOTP" || !s.TotpEnabled || s.RecoveryCodesLeft != 9 {
		t.Fatalf("security after = %+v", s)
	}

	// Regenerated codes replace the old ones.
	var rg struct {
		RegenerateRecoveryCodes struct{ RecoveryCodes []string }
	}
	apitest.Must(t, c.Do(t, regenerateCodes, nil)).Decode(t, &rg)
	if len(rg.RegenerateRecoveryCodes.RecoveryCodes) != 10 {
		t.Fatalf("regenerated %v", rg.RegenerateRecoveryCodes.RecoveryCodes)
	}
	if r := complete(t, e.srv, *b.MfaTicket, "recoveryCode", codes[1]); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("old recovery code after regeneration: %s", r.Raw)
	}
	apitest.Must(t, complete(t, e.srv, *b.MfaTicket, "recoveryCode", rg.RegenerateRecoveryCodes.RecoveryCodes[0]))

	// Another member's security is not readable.
	other, _ := e.srv.SignUp(t)
	r = c.Do(t, `query($id: ID!) { node(id: $id) { ... on User { security { totpEnabled } } } }`, map[string]any{"id": other.User.ID})
	if r.Code() != "FORBIDDEN" {
		t.Fatalf("another member's security: %s", r.Raw)
	}

	// Disabling: logIn is one step again.
	var dis struct {
		DisableTotp struct{ Security struct{ TotpEnabled bool } }
	}
	apitest.Must(t, c.Do(t, disableTotpQuery, nil)).Decode(t, &dis)
	if dis.DisableTotp.Security.TotpEnabled {
		t.Fatal("still enabled after disableTotp")
	}
	if b := beginLogIn(t, e.srv, email); b.MfaRequired || b.Auth == nil {
		t.Fatalf("beginLogIn after disabling = %+v", b)
	}
	if r := c.Do(t, disableTotpQuery, nil); r.Code() != "NOT_FOUND" {
		t.Fatalf("disabling twice: %s", r.Raw)
	}
}

func TestMFATicketExpiresAndLockoutEndsLogIn(t *testing.T) {
	t.Parallel()
	e := startMFA(t, func(c *config.Config) {
		c.RateMFACodesUser = config.Rate{Tokens: 3, Interval: time.Hour}
	})
	tok, c := e.srv.SignUp(t)
	secret, _ := e.enrol(t, c)

	// An expired ticket is refused, even with the right code.
	b := beginLogIn(t, e.srv, tok.User.Email)
	if _, err := e.srv.App.Pool.Exec(context.Background(),
		`UPDATE mfa_tickets SET expires_at = created_at + interval '1 millisecond'`); err != nil {
		t.Fatal(err)
	}
	if r := complete(t, e.srv, *b.MfaTicket, "code", e.clock.next(t, secret)); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("expired ticket: %s", r.Raw)
	}

	// Three wrong codes spend the budget; the next attempt is refused and ends the login: even
	// the right code on that ticket no longer works once the limit lifts.
	b = beginLogIn(t, e.srv, tok.User.Email)
	ticket := *b.MfaTicket
	for i := range 3 {
		if r := complete(t, e.srv, ticket, "code", wrongCode(t, e.clock, secret)); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("wrong code %d: %s", i, r.Raw)
		}
	}
	r := complete(t, e.srv, ticket, "code", e.clock.next(t, secret))
	if r.Code() != "RATE_LIMITED" {
		t.Fatalf("after the budget: %s", r.Raw)
	}
	var n int
	if err := e.srv.App.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM mfa_tickets WHERE used_at IS NULL`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("live tickets after the lockout: %d (%v)", n, err)
	}
	// The password is throttled separately: beginLogIn still answers with a new ticket.
	if b := beginLogIn(t, e.srv, tok.User.Email); !b.MfaRequired {
		t.Fatalf("beginLogIn after the lockout = %+v", b)
	}
}

func TestRecentAuthentication(t *testing.T) {
	t.Parallel()
	e := startMFA(t, nil)
	tok, c := e.srv.SignUp(t)

	// A sign-in long ago: sensitive operations ask for a fresh one.
	age := func() {
		t.Helper()
		if _, err := e.srv.App.Pool.Exec(context.Background(),
			`UPDATE auth_sessions SET authenticated_at = authenticated_at - interval '11 minutes'`); err != nil {
			t.Fatal(err)
		}
	}
	age()
	r := c.Do(t, startTotpMutation, nil)
	if r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "RECENT_AUTH_REQUIRED" {
		t.Fatalf("stale session: %s", r.Raw)
	}
	if r := c.Do(t, reauthMutation, map[string]any{"in": map[string]any{"password": "not-the-password-at-all"}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.password" {
		t.Fatalf("wrong password: %s", r.Raw)
	}
	if r := c.Do(t, reauthMutation, map[string]any{"in": map[string]any{}}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("no proof: %s", r.Raw)
	}
	var ra struct {
		Reauthenticate struct{ RecentAuthUntil time.Time }
	}
	apitest.Must(t, c.Do(t, reauthMutation, map[string]any{"in": map[string]any{"password": apitest.StrongPassword}})).Decode(t, &ra)
	if until := time.Until(ra.Reauthenticate.RecentAuthUntil); until < 5*time.Minute || until > 11*time.Minute {
		t.Fatalf("recentAuthUntil in %v", until)
	}
	secret, _ := e.enrol(t, c)

	// With TOTP on, a code reauthenticates too (and is single-use like any code).
	age()
	if r := c.Do(t, regenerateCodes, nil); r.Errors == nil || r.Errors[0].Extensions["reason"] != "RECENT_AUTH_REQUIRED" {
		t.Fatalf("stale session: %s", r.Raw)
	}
	code := e.clock.next(t, secret)
	apitest.Must(t, c.Do(t, reauthMutation, map[string]any{"in": map[string]any{"code": code}}))
	apitest.Must(t, c.Do(t, regenerateCodes, nil))
	age()
	if r := c.Do(t, reauthMutation, map[string]any{"in": map[string]any{"code": code}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "input.code" {
		t.Fatalf("replayed reauthentication code: %s", r.Raw)
	}
	if r := c.Do(t, disableTotpQuery, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("disable on a stale session: %s", r.Raw)
	}
	_ = tok
}

func TestStaffNeedSecondFactor(t *testing.T) {
	t.Parallel()
	e := startMFA(t, func(c *config.Config) { c.StaffRequireMFA = true })
	tok, _ := e.srv.SignUp(t)
	e.srv.SetRoles(t, tok.User.ID, domain.RoleAdmin)
	var li struct{ LogIn apitest.Tokens }
	apitest.Must(t, e.srv.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": tok.User.Email, "password": apitest.StrongPassword}})).Decode(t, &li)
	c := e.srv.Client().WithToken(li.LogIn.AccessToken)

	const staffQuery = `{ users(first: 1) { edges { node { id } } } }`
	r := c.Do(t, staffQuery, nil)
	if r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "SECOND_FACTOR_REQUIRED" {
		t.Fatalf("staff query without a second factor: %s", r.Raw)
	}
	if r := c.Do(t, `mutation($id: ID!) { setUserRoles(input: {userId: $id, roles: [MEMBER, ADMIN]}) { user { id } } }`,
		map[string]any{"id": tok.User.ID}); r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "SECOND_FACTOR_REQUIRED" {
		t.Fatalf("staff mutation without a second factor: %s", r.Raw)
	}
	// The viewer still sees the roles held (the app can prompt for two-factor sign-in).
	var vr struct{ Viewer struct{ Roles []string } }
	apitest.Must(t, c.Do(t, `{ viewer { roles } }`, nil)).Decode(t, &vr)
	if len(vr.Viewer.Roles) == 0 || vr.Viewer.Roles[len(vr.Viewer.Roles)-1] != "ADMIN" {
		t.Fatalf("viewer roles = %v", vr.Viewer.Roles)
	}
	// Staff reads outside @hasRole too: another member's email stays private.
	member, _ := e.srv.SignUp(t)
	const emailQuery = `query($id: ID!) { node(id: $id) { ... on User { email } } }`
	var em struct{ Node struct{ Email *string } }
	apitest.Must(t, c.Do(t, emailQuery, map[string]any{"id": member.User.ID})).Decode(t, &em)
	if em.Node.Email != nil {
		t.Fatalf("staff without a second factor read a member's email %q", *em.Node.Email)
	}
	// Member operations still work, so the admin can enrol.
	secret, _ := e.enrol(t, c)
	apitest.Must(t, c.Do(t, staffQuery, nil))
	apitest.Must(t, c.Do(t, emailQuery, map[string]any{"id": member.User.ID})).Decode(t, &em)
	if em.Node.Email == nil || *em.Node.Email != member.User.Email {
		t.Fatalf("staff with a second factor read email %v", em.Node.Email)
	}

	// A new sign-in, through the second step, keeps the staff role working.
	b := beginLogIn(t, e.srv, tok.User.Email)
	var done struct{ CompleteMfaLogIn apitest.Tokens }
	apitest.Must(t, complete(t, e.srv, *b.MfaTicket, "code", e.clock.next(t, secret))).Decode(t, &done)
	apitest.Must(t, e.srv.Client().WithToken(done.CompleteMfaLogIn.AccessToken).Do(t, staffQuery, nil))
}
