package identities_test

import (
	"strings"
	"testing"

	"github.com/skillswap/skillswap/config"
	"github.com/skillswap/skillswap/internal/apitest"
)

// Linking and unlinking a provider are emailed to the member; signing in with it is recorded in
// their sign-in history.
func TestProviderNoticesAndHistory(t *testing.T) {
	t.Parallel()
	var box *apitest.Mailbox
	e := start(t, func(c *config.Config) { box = apitest.WithMail(t, c) })
	email := uniqueEmail("grace")
	_, c := e.srv.SignUpAs(t, email, "Grace Hopper")

	n := nonce()
	apitest.Must(t, c.Do(t, linkMutation, signInVars("acme", e.acme.Sign(t, e.acme.Claims(acmeClient, "sub-grace", n)), n)))
	linked := box.Next(t, email, "acme was linked to your account")
	if !strings.Contains(linked.Text, "Hello Grace Hopper") || !strings.Contains(linked.Text, "Your acme account can now be used") {
		t.Fatalf("link notice:\n%s", linked.Text)
	}

	n = nonce()
	e.signIn(t, "acme", e.acme.Sign(t, e.acme.Claims(acmeClient, "sub-grace", n)), n)
	var v struct {
		Viewer struct {
			Security struct {
				RecentSignIns []struct {
					Method    string
					Succeeded bool
				}
			}
		}
	}
	apitest.Must(t, c.Do(t, `{ viewer { security { recentSignIns(first: 1) { method succeeded } } } }`, nil)).Decode(t, &v)
	if s := v.Viewer.Security.RecentSignIns; len(s) != 1 || s[0].Method != "PROVIDER" || !s[0].Succeeded {
		t.Fatalf("history after a provider sign-in: %+v", s)
	}

	apitest.Must(t, c.Do(t, unlinkMutation, map[string]any{"p": "acme"}))
	box.Next(t, email, "acme was unlinked from your account")
}
