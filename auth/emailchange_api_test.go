package auth_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/apitest"
)

const (
	requestChangeMutation = `mutation($e: String!) { requestEmailChange(input: {newEmail: $e}) { pendingEmail } }`
	confirmCodeMutation   = `mutation($c: String!) { confirmEmailChange(input: {code: $c}) { user { email emailVerified pendingEmail } } }`
	confirmTokenMutation  = `mutation($t: String!) { confirmEmailChange(input: {token: $t}) { user { id } } }`
	undoChangeMutation    = `mutation($t: String!) { undoEmailChange(input: {token: $t}) { emailRestored } }`
	emailStateQuery       = `{ viewer { email emailVerified pendingEmail } }`
)

type emailState struct {
	Email         string
	EmailVerified bool
	PendingEmail  *string
}

func viewerEmail(t *testing.T, c *apitest.Client) emailState {
	t.Helper()
	var v struct{ Viewer emailState }
	apitest.Must(t, c.Do(t, emailStateQuery, nil)).Decode(t, &v)
	return v.Viewer
}

// changeSecrets reads the code and link token of an email change email, checking the link is
// built from PUBLIC_URL.
func changeSecrets(t *testing.T, e apitest.Email) (code, token string) {
	t.Helper()
	c, tk := codeRe.FindStringSubmatch(e.Text), tokenRe.FindStringSubmatch(e.Text)
	if c == nil || tk == nil {
		t.Fatalf("email change email lacks a code or a link:\n%s", e.Text)
	}
	if !strings.Contains(e.Text, publicURL+"/confirm-email-change?token=") || !strings.Contains(e.HTML, publicURL+"/confirm-email-change?token=") {
		t.Fatalf("confirmation link is not built from PUBLIC_URL:\n%s\n%s", e.Text, e.HTML)
	}
	return c[1], tk[1]
}

// undoToken reads the undo link's token of an "email changed" notice.
func undoToken(t *testing.T, e apitest.Email) string {
	t.Helper()
	if !strings.Contains(e.Text, publicURL+"/undo-email-change?token=") || !strings.Contains(e.HTML, publicURL+"/undo-email-change?token=") {
		t.Fatalf("no undo link built from PUBLIC_URL:\n%s\n%s", e.Text, e.HTML)
	}
	return tokenRe.FindStringSubmatch(e.Text)[1]
}

func logIn(t *testing.T, srv *apitest.Server, email, password string) *apitest.Response {
	t.Helper()
	return srv.Client().Do(t, logInMutation, map[string]any{"in": map[string]any{"email": email, "password": password}})
}

func TestEmailChangeConfirmedByCodeThenUndone(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	oldAddr, newAddr := uniqueEmail("change-old"), uniqueEmail("change-new")
	tok, c := srv.SignUpAs(t, oldAddr, "Mover Member")
	var li struct{ LogIn apitest.Tokens }
	apitest.Must(t, logIn(t, srv, oldAddr, apitest.StrongPassword)).Decode(t, &li)
	other := srv.Client().WithToken(li.LogIn.AccessToken)
	_, stranger := srv.SignUp(t)

	// Bad inputs.
	expectInvalid(t, c.Do(t, requestChangeMutation, map[string]any{"e": "not-an-address"}), "input.newEmail")
	expectInvalid(t, c.Do(t, requestChangeMutation, map[string]any{"e": strings.ToUpper(oldAddr)}), "input.newEmail")
	if r := srv.Client().Do(t, requestChangeMutation, map[string]any{"e": newAddr}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("requestEmailChange signed out: %s", r.Raw)
	}

	var req struct{ RequestEmailChange struct{ PendingEmail string } }
	apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": "  " + newAddr + " "})).Decode(t, &req)
	if req.RequestEmailChange.PendingEmail != newAddr {
		t.Fatalf("pendingEmail %q, want %q", req.RequestEmailChange.PendingEmail, newAddr)
	}
	// Nothing changes until confirmed.
	if st := viewerEmail(t, c); st.Email != oldAddr || st.PendingEmail == nil || *st.PendingEmail != newAddr {
		t.Fatalf("before confirmation: %+v", st)
	}
	// The pending address is the member's own business.
	var pub struct {
		Node struct{ PendingEmail *string }
	}
	apitest.Must(t, stranger.Do(t, `query($id: ID!) { node(id: $id) { ... on User { pendingEmail } } }`, map[string]any{"id": tok.User.ID})).Decode(t, &pub)
	if pub.Node.PendingEmail != nil {
		t.Fatal("pendingEmail is visible to another member")
	}

	code, token := changeSecrets(t, box.Next(t, newAddr, "change your email address"))
	wrong := fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1_000_000)
	expectInvalid(t, c.Do(t, confirmCodeMutation, map[string]any{"c": wrong}), "input.code")
	expectInvalid(t, c.Do(t, confirmCodeMutation, map[string]any{"c": "12ab"}), "input.code")
	expectInvalid(t, stranger.Do(t, confirmCodeMutation, map[string]any{"c": code}), "input.code")
	expectInvalid(t, srv.Client().Do(t, confirmTokenMutation, map[string]any{"t": token + "x"}), "input.token")
	if r := srv.Client().Do(t, confirmCodeMutation, map[string]any{"c": code}); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("code without sign-in: %s", r.Raw)
	}
	if r := c.Do(t, `mutation { confirmEmailChange(input: {}) { user { id } } }`, nil); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("neither code nor token: %s", r.Raw)
	}

	var conf struct{ ConfirmEmailChange struct{ User emailState } }
	apitest.Must(t, c.Do(t, confirmCodeMutation, map[string]any{"c": code})).Decode(t, &conf)
	if u := conf.ConfirmEmailChange.User; u.Email != newAddr || !u.EmailVerified || u.PendingEmail != nil {
		t.Fatalf("after confirmation: %+v", u)
	}
	// Used: neither the code nor the link works again.
	expectInvalid(t, c.Do(t, confirmCodeMutation, map[string]any{"c": code}), "input.code")
	expectInvalid(t, srv.Client().Do(t, confirmTokenMutation, map[string]any{"t": token}), "input.token")
	// Sessions are kept.
	if st := viewerEmail(t, other); st.Email != newAddr {
		t.Fatalf("other session after the change: %+v", st)
	}
	apitest.Must(t, logIn(t, srv, newAddr, apitest.StrongPassword))
	if r := logIn(t, srv, oldAddr, apitest.StrongPassword); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("log in with the old address: %s", r.Raw)
	}
	// The old address stays reserved while the change can be undone.
	if r := srv.Client().Do(t, signUpMutation, signUpVars(oldAddr, apitest.StrongPassword, "Squatter")); r.Code() != "CONFLICT" {
		t.Fatalf("sign-up with the reserved old address: %s", r.Raw)
	}

	notice := box.Next(t, oldAddr, "your email address was changed")
	if !strings.Contains(notice.Text, newAddr) || !strings.Contains(notice.Text, "72 hours") {
		t.Fatalf("notice to the old address:\n%s", notice.Text)
	}
	undo := undoToken(t, notice)

	// Undo, signed out: the old address is back, every session ends, a reset link is sent.
	ws := srv.Connect(t, "graphql-transport-ws", tok.AccessToken)
	ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)
	expectInvalid(t, srv.Client().Do(t, undoChangeMutation, map[string]any{"t": "wrong-" + undo}), "input.token")
	var out struct{ UndoEmailChange struct{ EmailRestored bool } }
	apitest.Must(t, srv.Client().Do(t, undoChangeMutation, map[string]any{"t": undo})).Decode(t, &out)
	if !out.UndoEmailChange.EmailRestored {
		t.Fatal("undoEmailChange did not say so")
	}
	ws.ExpectClose(4403, 15*time.Second)
	for _, s := range []*apitest.Client{c, other} {
		if r := s.Do(t, viewerQuery, nil); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("session after undo: %s", r.Raw)
		}
	}
	box.Next(t, oldAddr, "reset your password")
	var li2 struct{ LogIn apitest.Tokens }
	apitest.Must(t, logIn(t, srv, oldAddr, apitest.StrongPassword)).Decode(t, &li2)
	if st := viewerEmail(t, srv.Client().WithToken(li2.LogIn.AccessToken)); st.Email != oldAddr || !st.EmailVerified {
		t.Fatalf("after undo: %+v", st)
	}
	expectInvalid(t, srv.Client().Do(t, undoChangeMutation, map[string]any{"t": undo}), "input.token")
}

func TestEmailChangeByLinkInFrench(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	oldAddr, newAddr := uniqueEmail("change-fr-old"), uniqueEmail("change-fr-new")
	c := srv.Client()
	c.Header.Set("Accept-Language", "fr")
	var su struct{ SignUp apitest.Tokens }
	apitest.Must(t, c.Do(t, signUpMutation, signUpVars(oldAddr, apitest.StrongPassword, "Zoé Départ"))).Decode(t, &su)
	box.Next(t, oldAddr, "code de vérification")
	member := srv.Client().WithToken(su.SignUp.AccessToken)
	// Verified, so that the old address is offered an undo link.
	if _, err := srv.App.Pool.Exec(context.Background(), `UPDATE users SET email_verified_at = now() WHERE email = $1`, oldAddr); err != nil {
		t.Fatal(err)
	}
	apitest.Must(t, member.Do(t, requestChangeMutation, map[string]any{"e": newAddr}))
	e := box.Next(t, newAddr, "changer d'adresse")
	if e.Language != "fr" || !strings.Contains(e.Text, "Bonjour Zoé Départ") {
		t.Fatalf("French email expected, got %q:\n%s", e.Language, e.Text)
	}
	_, token := changeSecrets(t, e)
	// Opening the link changes nothing; its page confirms, signed in or not.
	if st := viewerEmail(t, member); st.Email != oldAddr {
		t.Fatalf("changed before confirmation: %+v", st)
	}
	apitest.Must(t, srv.Client().Do(t, confirmTokenMutation, map[string]any{"t": token}))
	if st := viewerEmail(t, member); st.Email != newAddr || !st.EmailVerified {
		t.Fatalf("after the link: %+v", st)
	}
	notice := box.Next(t, oldAddr, "adresse e-mail a été modifiée")
	if notice.Language != "fr" || !strings.Contains(notice.Text, newAddr) || !strings.Contains(notice.HTML, "Annuler ce changement") {
		t.Fatalf("French notice expected:\n%s\n%s", notice.Text, notice.HTML)
	}
}

func TestEmailChangeToATakenAddressDoesNotTell(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	takenAddr, freeAddr := uniqueEmail("taken"), uniqueEmail("free")
	srv.SignUpAs(t, takenAddr, "Owner Member")
	_, c := srv.SignUp(t)

	taken := apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": takenAddr}))
	// The owner of the taken address is told instead of being sent a code.
	e := box.Next(t, takenAddr, "this address already has an account")
	if codeRe.MatchString(e.Text) || !strings.Contains(e.Text, "Hello Owner Member") {
		t.Fatalf("in-use email:\n%s", e.Text)
	}
	// The requester sees a pending change like any other.
	if st := viewerEmail(t, c); st.PendingEmail == nil || *st.PendingEmail != takenAddr {
		t.Fatalf("pending: %+v", st)
	}
	free := apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": freeAddr}))
	if strings.Replace(string(taken.Data), takenAddr, "X", 1) != strings.Replace(string(free.Data), freeAddr, "X", 1) {
		t.Fatalf("answers differ: %s vs %s", taken.Data, free.Data)
	}
	// The later request replaced the first: the pending address is the free one.
	if st := viewerEmail(t, c); st.PendingEmail == nil || *st.PendingEmail != freeAddr {
		t.Fatalf("pending: %+v", st)
	}
	changeSecrets(t, box.Next(t, freeAddr, "change your email address"))
}

// Two accounts confirming the same new address: one wins, the other gets CONFLICT, and the
// address belongs to exactly one account.
func TestEmailChangeRaceForOneAddress(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t)
	target := uniqueEmail("contested")
	_, alice := srv.SignUpAs(t, uniqueEmail("alice"), "Alice Racer")
	_, bob := srv.SignUpAs(t, uniqueEmail("bob"), "Bob Racer")
	apitest.Must(t, alice.Do(t, requestChangeMutation, map[string]any{"e": target}))
	apitest.Must(t, bob.Do(t, requestChangeMutation, map[string]any{"e": target}))
	codes := map[string]string{}
	for range 2 {
		e := box.Next(t, target, "change your email address")
		code, _ := changeSecrets(t, e)
		if strings.Contains(e.Text, "Alice Racer") {
			codes["alice"] = code
		} else {
			codes["bob"] = code
		}
	}
	if len(codes) != 2 {
		t.Fatalf("codes %v", codes)
	}
	var wg sync.WaitGroup
	results := map[string]*apitest.Response{}
	var mu sync.Mutex
	for name, cl := range map[string]*apitest.Client{"alice": alice, "bob": bob} {
		wg.Go(func() {
			r := cl.Do(t, confirmCodeMutation, map[string]any{"c": codes[name]})
			mu.Lock()
			results[name] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	won, lost := 0, 0
	for name, r := range results {
		switch {
		case len(r.Errors) == 0:
			won++
		case r.Code() == "CONFLICT":
			lost++
		default:
			t.Fatalf("%s: %s", name, r.Raw)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("won %d, lost %d: %v", won, lost, results)
	}
	var n int
	if err := srv.App.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE email = $1`, target).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d accounts hold the address", n)
	}
}

func TestEmailChangeRefusals(t *testing.T) {
	t.Parallel()
	srv, box := recoveryServer(t, func(c *config.Config) {
		c.RateEmailChangeUser = config.Rate{Tokens: 3, Interval: time.Hour}
		c.RateEmailChangeAddress = config.Rate{Tokens: 1, Interval: time.Hour}
	})
	ctx := context.Background()

	t.Run("expired code and link", func(t *testing.T) {
		newAddr := uniqueEmail("late-new")
		_, c := srv.SignUp(t)
		apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": newAddr}))
		code, token := changeSecrets(t, box.Next(t, newAddr, "change your email address"))
		if _, err := srv.App.Pool.Exec(ctx, `UPDATE account_tokens SET created_at = now() - interval '2 days',
			expires_at = now() - interval '1 day' WHERE email = $1`, newAddr); err != nil {
			t.Fatal(err)
		}
		expectInvalid(t, c.Do(t, confirmCodeMutation, map[string]any{"c": code}), "input.code")
		expectInvalid(t, srv.Client().Do(t, confirmTokenMutation, map[string]any{"t": token}), "input.token")
	})

	t.Run("a new request voids the previous code", func(t *testing.T) {
		first, second := uniqueEmail("first"), uniqueEmail("second")
		_, c := srv.SignUp(t)
		apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": first}))
		code, _ := changeSecrets(t, box.Next(t, first, "change your email address"))
		apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": second}))
		box.Next(t, second, "change your email address")
		expectInvalid(t, c.Do(t, confirmCodeMutation, map[string]any{"c": code}), "input.code")
	})

	t.Run("recent sign-in required", func(t *testing.T) {
		email := uniqueEmail("stale")
		_, c := srv.SignUpAs(t, email, "Stale Member")
		if _, err := srv.App.Pool.Exec(ctx, `UPDATE auth_sessions SET authenticated_at = authenticated_at - interval '11 minutes'
			WHERE user_id = (SELECT id FROM users WHERE email = $1)`, email); err != nil {
			t.Fatal(err)
		}
		r := c.Do(t, requestChangeMutation, map[string]any{"e": uniqueEmail("stale-new")})
		if r.Code() != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "RECENT_AUTH_REQUIRED" {
			t.Fatalf("stale session: %s", r.Raw)
		}
	})

	t.Run("throttled per member and per address", func(t *testing.T) {
		flooded := uniqueEmail("flooded")
		_, c := srv.SignUp(t)
		jobs := func() int {
			var n int
			if err := srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'email_change_email'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := jobs()
		for range 3 {
			apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": flooded}))
		}
		if r := c.Do(t, requestChangeMutation, map[string]any{"e": flooded}); r.Code() != "RATE_LIMITED" {
			t.Fatalf("fourth request within the hour: %s", r.Raw)
		}
		// One email to the address (RATE_EMAIL_CHANGE_PER_ADDRESS), however many requests.
		if n := jobs() - before; n != 1 {
			t.Fatalf("%d emails queued for one address, want 1", n)
		}
	})

	t.Run("an unverified old address gets no undo link", func(t *testing.T) {
		oldAddr, newAddr := uniqueEmail("unverified-old"), uniqueEmail("unverified-new")
		_, c := srv.SignUpUnverified(t, oldAddr, "Typo Member")
		apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": newAddr}))
		code, _ := changeSecrets(t, box.Next(t, newAddr, "change your email address"))
		apitest.Must(t, c.Do(t, confirmCodeMutation, map[string]any{"c": code}))
		var notices, undoable int
		if err := srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'email_changed_notice_email'
			AND (args->>'change_id')::uuid IN (SELECT id FROM email_changes WHERE new_email = $1)`, newAddr).Scan(&notices); err != nil {
			t.Fatal(err)
		}
		if err := srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM email_changes WHERE new_email = $1 AND undo_until IS NOT NULL`, newAddr).Scan(&undoable); err != nil {
			t.Fatal(err)
		}
		if notices != 0 || undoable != 0 {
			t.Fatalf("%d notices, %d undoable changes for an unverified old address", notices, undoable)
		}
		// And the old address is not reserved.
		apitest.Must(t, srv.Client().Do(t, signUpMutation, signUpVars(oldAddr, apitest.StrongPassword, "Real Owner")))
	})

	t.Run("undo window over", func(t *testing.T) {
		oldAddr, newAddr := uniqueEmail("window-old"), uniqueEmail("window-new")
		_, c := srv.SignUpAs(t, oldAddr, "Window Member")
		apitest.Must(t, c.Do(t, requestChangeMutation, map[string]any{"e": newAddr}))
		code, _ := changeSecrets(t, box.Next(t, newAddr, "change your email address"))
		apitest.Must(t, c.Do(t, confirmCodeMutation, map[string]any{"c": code}))
		undo := undoToken(t, box.Next(t, oldAddr, "your email address was changed"))
		if _, err := srv.App.Pool.Exec(ctx, `UPDATE email_changes SET undo_until = now() - interval '1 minute' WHERE new_email = $1`, newAddr); err != nil {
			t.Fatal(err)
		}
		expectInvalid(t, srv.Client().Do(t, undoChangeMutation, map[string]any{"t": undo}), "input.token")
		if st := viewerEmail(t, c); st.Email != newAddr {
			t.Fatalf("after a late undo: %+v", st)
		}
		// Past the window the old address is free again, and the purge forgets the change.
		apitest.Must(t, srv.Client().Do(t, signUpMutation, signUpVars(oldAddr, apitest.StrongPassword, "Next Owner")))
		if _, err := srv.App.Retention.Run(ctx); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := srv.App.Pool.QueryRow(ctx, `SELECT count(*) FROM email_changes WHERE new_email = $1`, newAddr).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Fatalf("%d spent email changes left after the purge", left)
		}
	})
}
