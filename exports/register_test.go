package exports_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/skillswap/skillswap/privacy"
	"github.com/skillswap/skillswap/store"
)

// notExported are the member's tables with personal data that the archive leaves out, each with
// why: secrets, throwaway state, and copies rebuilt from what is exported.
var notExported = map[string]string{
	"refresh_tokens":          "token digests (secrets); the sessions they belong to are exported",
	"mfa_tickets":             "a two-step sign-in in progress, minutes long",
	"webauthn_users":          "a random handle given to authenticators instead of the member's id",
	"webauthn_ceremonies":     "a passkey ceremony in progress, minutes long",
	"oidc_token_uses":         "digests of used ID tokens, tied to no member",
	"member_search":           "a copy of the profile and skills for search, rebuilt from them",
	"member_search_zones":     "a copy of the profile's coarse location for search, rebuilt from it",
	"search_reindex_requests": "a queue of search documents to rebuild",
	"session_bookings":        "the paid booking of a session, exported with skill_sessions.json and payments.json",
	"payment_steps":           "the payment saga's internal steps; the payment and its refunds are exported",
	"stripe_events":           "Stripe event ids, tied to no member",
	"erasures":                "ids of erased accounts only",
	"push_outbox":             "pushes waiting to be sent, minutes (a day at most); the notifications are exported",
	"push_tickets":            "Expo's receipt ids of sent pushes, kept until the receipt is read (two days at most)",
}

// TestExportCoversTheRegister: every table of the personal-data register with personal columns
// is read by some file of the archive, or listed in notExported with why. A table added with
// personal data must be exported or consciously left out.
func TestExportCoversTheRegister(t *testing.T) {
	t.Parallel()
	read := func(table string) bool {
		re := regexp.MustCompile(`(?i)\b(FROM|JOIN)\s+` + regexp.QuoteMeta(table) + `\b`)
		return slices.ContainsFunc(store.ExportFiles, func(f store.ExportFile) bool { return re.MatchString(f.SQL) })
	}
	for name, table := range privacy.Tables() {
		personal := false
		for _, c := range table.Columns {
			personal = personal || c.Class.Personal()
		}
		_, excused := notExported[name]
		switch {
		case personal && !read(name) && !excused:
			t.Errorf("%s holds personal data (the register says so) but no export file reads it: add one to store.ExportFiles or say why in notExported", name)
		case excused && read(name):
			t.Errorf("%s is exported; drop it from notExported", name)
		}
	}
	for name, why := range notExported {
		if _, ok := privacy.Tables()[name]; !ok || strings.TrimSpace(why) == "" {
			t.Errorf("notExported names %s, which the register does not have (or gives no reason)", name)
		}
	}
}
