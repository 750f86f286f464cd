package admin_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/app"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/internal/apitest"
	"github.com/skillswap/skillswap/internal/testdb"
)

const (
	forceLogOut = `mutation($id: ID!) { forceLogOut(input: {userId: $id}) { user { id } sessionsEnded } }`
	adjust      = `mutation($id: ID!, $m: Int!, $r: String!) { adjustCredits(input: {userId: $id, minutes: $m, reason: $r}) { user { id } balance } }`
	resendFor   = `mutation($id: ID!) { resendVerificationEmailFor(input: {userId: $id}) { user { id } } }`
	auditLog    = `query($f: AuditLogFilter, $first: Int, $after: String) { auditLog(first: $first, after: $after, filter: $f) {
		edges { cursor node { actor { id } action target targetUser { id } details createdAt } } pageInfo { hasNextPage endCursor } } }`
)

func uniqueEmail(tag string) string {
	return fmt.Sprintf("%s-%d-%s@example.com", tag, time.Now().UnixNano(), uuid.NewString()[:8])
}

// Every new operation × every role: anonymous, MEMBER, SUPPORT, MODERATOR, ADMIN ("" = allowed).
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	clients := map[string]*apitest.Client{"anonymous": srv.Client()}
	for _, role := range []domain.Role{domain.RoleMember, domain.RoleSupport, domain.RoleModerator, domain.RoleAdmin} {
		tok, c := srv.SignUp(t)
		if role != domain.RoleMember {
			srv.SetRoles(t, tok.User.ID, role)
		}
		clients[string(role)] = c
	}
	// A fresh unverified member per call, so an allowed resend is not a CONFLICT.
	target := func() string {
		tok, _ := srv.SignUpUnverified(t, uniqueEmail("target"), "Target Member")
		return tok.User.ID
	}
	ops := []struct {
		name string
		do   func(c *apitest.Client) *apitest.Response
		want map[string]string
	}{
		{"auditLog", func(c *apitest.Client) *apitest.Response { return c.Do(t, auditLog, nil) },
			map[string]string{"SUPPORT": "FORBIDDEN", "MODERATOR": "FORBIDDEN", "ADMIN": ""}},
		{"forceLogOut", func(c *apitest.Client) *apitest.Response { return c.Do(t, forceLogOut, map[string]any{"id": target()}) },
			map[string]string{"SUPPORT": "", "MODERATOR": "FORBIDDEN", "ADMIN": ""}},
		{"adjustCredits", func(c *apitest.Client) *apitest.Response {
			return c.Do(t, adjust, map[string]any{"id": target(), "m": 30, "r": "goodwill"})
		}, map[string]string{"SUPPORT": "FORBIDDEN", "MODERATOR": "FORBIDDEN", "ADMIN": ""}},
		{"resendVerificationEmailFor", func(c *apitest.Client) *apitest.Response { return c.Do(t, resendFor, map[string]any{"id": target()}) },
			map[string]string{"SUPPORT": "", "MODERATOR": "FORBIDDEN", "ADMIN": ""}},
	}
	for _, op := range ops {
		op.want["anonymous"] = "UNAUTHENTICATED"
		op.want["MEMBER"] = "FORBIDDEN"
		for role, want := range op.want {
			t.Run(op.name+"/"+role, func(t *testing.T) {
				r := op.do(clients[role])
				if r.Code() != want || (want == "" && len(r.Errors) > 0) {
					t.Fatalf("code %q, want %q: %s", r.Code(), want, r.Raw)
				}
			})
		}
	}
}

// forceLogOut ends the member's sessions and closes their socket, once, audited; SUPPORT cannot
// end an ADMIN's sessions.
func TestForceLogOut(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	support, supportClient := srv.SignUp(t)
	srv.SetRoles(t, support.User.ID, domain.RoleSupport)
	admin, _ := srv.SignUp(t)
	srv.SetRoles(t, admin.User.ID, domain.RoleAdmin)
	member, memberClient := srv.SignUp(t)
	ws := srv.Connect(t, "graphql-transport-ws", member.AccessToken)
	ws.Subscribe("1", `subscription { viewerUpdated { id } }`, nil)

	var out struct{ ForceLogOut struct{ SessionsEnded int } }
	apitest.Must(t, supportClient.Do(t, forceLogOut, map[string]any{"id": member.User.ID})).Decode(t, &out)
	if out.ForceLogOut.SessionsEnded != 1 {
		t.Fatalf("sessionsEnded = %d", out.ForceLogOut.SessionsEnded)
	}
	ws.ExpectClose(4403, 15*time.Second)
	if r := memberClient.Do(t, `{ viewer { id } }`, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("token after forced log out: %s", r.Raw)
	}
	srv.AssertAudited(t, apitest.AuditTarget(t, "user", member.User.ID), "user.forced_log_out", support.User.ID, `{"sessionsEnded":1}`)

	for _, tt := range []struct {
		name, id, code string
	}{
		{"an ADMIN's account", admin.User.ID, "FORBIDDEN"},
		{"unknown member", "usr_00000000000000000000000000000000", "NOT_FOUND"},
	} {
		if r := supportClient.Do(t, forceLogOut, map[string]any{"id": tt.id}); r.Code() != tt.code {
			t.Errorf("%s: %s", tt.name, r.Raw)
		}
	}
	if n := len(srv.AuditEntries(t, apitest.AuditTarget(t, "user", admin.User.ID))); n != 0 {
		t.Fatalf("a refused action was audited: %d", n)
	}
}

// adjustCredits moves minutes through the ledger with the reason on the member's statement;
// bad input names its field.
func TestAdjustCredits(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	admin, adminClient := srv.SignUp(t)
	srv.SetRoles(t, admin.User.ID, domain.RoleAdmin)
	member, memberClient := srv.SignUp(t)

	var before struct{ CreditBalance struct{ Balance int } }
	apitest.Must(t, memberClient.Do(t, `{ creditBalance { balance } }`, nil)).Decode(t, &before)
	var out struct{ AdjustCredits struct{ Balance int } }
	apitest.Must(t, adminClient.Do(t, adjust, map[string]any{"id": member.User.ID, "m": -45, "r": "  duplicate session paid twice "})).Decode(t, &out)
	if out.AdjustCredits.Balance != before.CreditBalance.Balance-45 {
		t.Fatalf("balance %d, want %d", out.AdjustCredits.Balance, before.CreditBalance.Balance-45)
	}
	var stmt struct {
		CreditTransactions struct {
			Edges []struct{ Node struct{ Kind, Memo string } }
		}
	}
	apitest.Must(t, memberClient.Do(t, `{ creditTransactions(first: 1) { edges { node { kind memo } } } }`, nil)).Decode(t, &stmt)
	if e := stmt.CreditTransactions.Edges; len(e) != 1 || e[0].Node.Kind != "ADJUSTMENT" || e[0].Node.Memo != "duplicate session paid twice" {
		t.Fatalf("statement = %+v", stmt)
	}
	srv.AssertAudited(t, apitest.AuditTarget(t, "user", member.User.ID), "user.credits_adjusted", admin.User.ID,
		fmt.Sprintf(`{"minutes":-45,"reason":"duplicate session paid twice","balanceAfter":%d}`, out.AdjustCredits.Balance))

	for _, tt := range []struct {
		name    string
		id      string
		minutes int
		reason  string
		code    string
		field   string
	}{
		{"zero minutes", member.User.ID, 0, "x", "BAD_USER_INPUT", "input.minutes"},
		{"too many minutes", member.User.ID, 10001, "x", "BAD_USER_INPUT", "input.minutes"},
		{"blank reason", member.User.ID, 10, "  ", "BAD_USER_INPUT", "input.reason"},
		{"long reason", member.User.ID, 10, strings.Repeat("é", 501), "BAD_USER_INPUT", "input.reason"},
		{"unknown member", "usr_00000000000000000000000000000000", 10, "x", "NOT_FOUND", "input.userId"},
		{"not a user id", "nope", 10, "x", "BAD_USER_INPUT", "input.userId"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := adminClient.Do(t, adjust, map[string]any{"id": tt.id, "m": tt.minutes, "r": tt.reason})
			if r.Code() != tt.code || r.Field() != tt.field {
				t.Fatalf("code %q field %q, want %q %q: %s", r.Code(), r.Field(), tt.code, tt.field, r.Raw)
			}
		})
	}
}

// resendVerificationEmailFor sends auth's verification email, audited; a verified address is a
// CONFLICT.
func TestResendVerificationEmailFor(t *testing.T) {
	t.Parallel()
	cfg := apitest.Config(t)
	box := apitest.WithMail(t, &cfg)
	srv := apitest.Start(t, cfg)
	support, supportClient := srv.SignUp(t)
	srv.SetRoles(t, support.User.ID, domain.RoleSupport)
	email := uniqueEmail("lost-code")
	member, _ := srv.SignUpUnverified(t, email, "Lost Code")
	box.Next(t, email, "verification code") // sign-up's
	apitest.Must(t, supportClient.Do(t, resendFor, map[string]any{"id": member.User.ID}))
	box.Next(t, email, "verification code")
	srv.AssertAudited(t, apitest.AuditTarget(t, "user", member.User.ID), "user.verification_email_resent", support.User.ID, `{}`)

	verified, _ := srv.SignUp(t)
	if r := supportClient.Do(t, resendFor, map[string]any{"id": verified.User.ID}); r.Code() != "CONFLICT" {
		t.Fatalf("verified address: %s", r.Raw)
	}
}

// auditLog pages staff actions newest first with each filter, resolving actor and targetUser.
func TestAuditLogQuery(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	admin, adminClient := srv.SignUp(t)
	srv.SetRoles(t, admin.User.ID, domain.RoleAdmin)
	a, _ := srv.SignUp(t)
	b, _ := srv.SignUp(t)
	apitest.Must(t, adminClient.Do(t, adjust, map[string]any{"id": a.User.ID, "m": 10, "r": "one"}))
	apitest.Must(t, adminClient.Do(t, forceLogOut, map[string]any{"id": a.User.ID}))
	apitest.Must(t, adminClient.Do(t, adjust, map[string]any{"id": b.User.ID, "m": 20, "r": "two"}))

	type page struct {
		AuditLog struct {
			Edges []struct {
				Cursor string
				Node   struct {
					Actor      *struct{ ID string }
					Action     string
					Target     string
					TargetUser *struct{ ID string }
					Details    string
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	actions := func(f map[string]any, first int, after *string) (page, string) {
		var p page
		apitest.Must(t, adminClient.Do(t, auditLog, map[string]any{"f": f, "first": first, "after": after})).Decode(t, &p)
		var got []string
		for _, e := range p.AuditLog.Edges {
			got = append(got, e.Node.Action)
		}
		return p, strings.Join(got, ",")
	}
	targetA := apitest.AuditTarget(t, "user", a.User.ID)
	p, got := actions(map[string]any{"target": targetA}, 10, nil)
	if got != "user.forced_log_out,user.credits_adjusted" {
		t.Fatalf("by target: %s", got)
	}
	n := p.AuditLog.Edges[1].Node
	if n.Actor == nil || n.Actor.ID != admin.User.ID || n.TargetUser == nil || n.TargetUser.ID != a.User.ID || n.Target != targetA ||
		!strings.Contains(n.Details, `"reason": "one"`) {
		t.Fatalf("entry = %+v", n)
	}
	if _, got := actions(map[string]any{"action": "user.credits_adjusted", "actorId": admin.User.ID}, 10, nil); got != "user.credits_adjusted,user.credits_adjusted" {
		t.Fatalf("by action and actor: %s", got)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if _, got := actions(map[string]any{"actorId": admin.User.ID, "from": future}, 10, nil); got != "" {
		t.Fatalf("from the future: %s", got)
	}
	p, got = actions(map[string]any{"actorId": admin.User.ID}, 1, nil)
	if got != "user.credits_adjusted" || !p.AuditLog.PageInfo.HasNextPage {
		t.Fatalf("first page: %s %+v", got, p.AuditLog.PageInfo)
	}
	if _, got := actions(map[string]any{"actorId": admin.User.ID}, 10, &p.AuditLog.PageInfo.EndCursor); got != "user.forced_log_out,user.credits_adjusted" {
		t.Fatalf("next page: %s", got)
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	if r := adminClient.Do(t, auditLog, map[string]any{"f": map[string]any{"from": future, "to": past}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "filter.to" {
		t.Fatalf("to before from: %s", r.Raw)
	}
	if r := adminClient.Do(t, auditLog, map[string]any{"f": map[string]any{"actorId": "nope"}}); r.Code() != "BAD_USER_INPUT" || r.Field() != "filter.actorId" {
		t.Fatalf("bad actor id: %s", r.Raw)
	}
}

// Staff find members with Query.users' filter: exact email (any case), name prefix, id.
func TestFindMembers(t *testing.T) {
	t.Parallel()
	srv := apitest.Start(t, apitest.Config(t))
	support, supportClient := srv.SignUp(t)
	srv.SetRoles(t, support.User.ID, domain.RoleSupport)
	email := uniqueEmail("findme")
	name := "Zq" + uuid.NewString()[:6] + " Finder"
	member, _ := srv.SignUpAs(t, email, name)
	srv.SignUpAs(t, uniqueEmail("other"), "Zq"+uuid.NewString()[:6]+" Other")

	const users = `query($f: UserFilter) { users(first: 10, filter: $f) { edges { node { id email } } } }`
	find := func(f map[string]any) []string {
		var out struct {
			Users struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		apitest.Must(t, supportClient.Do(t, users, map[string]any{"f": f})).Decode(t, &out)
		var ids []string
		for _, e := range out.Users.Edges {
			ids = append(ids, e.Node.ID)
		}
		return ids
	}
	for _, tt := range []struct {
		name string
		f    map[string]any
		want int
	}{
		{"email, other case", map[string]any{"email": strings.ToUpper(email)}, 1},
		{"name prefix, other case", map[string]any{"namePrefix": strings.ToLower(name[:8])}, 1},
		{"name prefix is a prefix, not a substring", map[string]any{"namePrefix": name[2:8]}, 0},
		{"a LIKE wildcard is literal", map[string]any{"namePrefix": "Zq%"}, 0},
		{"id", map[string]any{"id": member.User.ID}, 1},
		{"id and another email", map[string]any{"id": member.User.ID, "email": "nobody@example.com"}, 0},
	} {
		got := find(tt.f)
		if len(got) != tt.want || (tt.want == 1 && got[0] != member.User.ID) {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
	for f, field := range map[string]map[string]any{
		"filter.namePrefix": {"namePrefix": "  "},
		"filter.id":         {"id": "nope"},
	} {
		if r := supportClient.Do(t, users, map[string]any{"f": field}); r.Code() != "BAD_USER_INPUT" || r.Field() != f {
			t.Errorf("%s: %s", f, r.Raw)
		}
	}
}

// The staff's view of one member's account in one query (sessions, payments, the cases about
// them with their reports, their sanctions, audit entries with their staff) runs the same number of statements however many entries it shows: no N+1. Only ADMIN reads
// auditEntries; the member themselves cannot.
func TestMemberAccountViewStatements(t *testing.T) {
	t.Parallel()
	counter := &testdb.StatementCounter{}
	cfg := apitest.ForStatementCounts(apitest.Config(t))
	srv := apitest.Start(t, cfg, app.Options{Tracer: counter})
	member, memberClient := srv.SignUp(t)
	var adminClient *apitest.Client
	for range 3 {
		admin, c := srv.SignUp(t)
		srv.SetRoles(t, admin.User.ID, domain.RoleAdmin)
		adminClient = c
		for range 2 {
			apitest.Must(t, c.Do(t, adjust, map[string]any{"id": member.User.ID, "m": 5, "r": "goodwill"}))
		}
		// Each admin also reports the member (one case, three reporters) and warns them.
		apitest.Must(t, c.Do(t, `mutation($id: ID!) { reportContent(input: {targetType: MEMBER, targetId: $id, category: SPAM}) { report { id } } }`,
			map[string]any{"id": member.User.ID}))
		apitest.Must(t, c.Do(t, `mutation($id: ID!) { imposeSanction(input: {userId: $id, kind: WARNING, statementOfReasons: "Spam in messages."}) { sanction { id } } }`,
			map[string]any{"id": member.User.ID}))
	}
	query := func(n int) string {
		return fmt.Sprintf(`query($id: ID!) { node(id: $id) { ... on User { email roles
			sessions(includeRevoked: true) { edges { node { id } } }
			payments { edges { node { id } } }
			moderationCases { edges { node { id state reporterCount reports { reporter { id displayName } category } } } }
			sanctions { id kind active imposedBy { id displayName } appeal { id messages { id } } }
			auditEntries(first: %d) { edges { node { actor { id displayName } targetUser { id } action details createdAt } } pageInfo { hasNextPage } } } } }`, n)
	}
	var page struct {
		Node struct {
			ModerationCases struct {
				Edges []struct {
					Node struct{ Reports []struct{ Category string } }
				}
			}
			Sanctions    []struct{ Kind string }
			AuditEntries struct {
				Edges []struct {
					Node struct{ Actor struct{ ID string } }
				}
			}
		}
	}
	vars := map[string]any{"id": member.User.ID}
	small := counter.Measure(func() { apitest.Must(t, adminClient.Do(t, query(1), vars)) })
	large := counter.Measure(func() { apitest.Must(t, adminClient.Do(t, query(20), vars)).Decode(t, &page) })
	t.Logf("statements: first 1 -> %d, first 20 -> %d", small, large)
	// Six credit adjustments and three warnings.
	if n := len(page.Node.AuditEntries.Edges); n != 9 {
		t.Fatalf("got %d entries, want 9", n)
	}
	if c := page.Node.ModerationCases.Edges; len(c) != 1 || len(c[0].Node.Reports) != 3 || len(page.Node.Sanctions) != 3 {
		t.Fatalf("cases %+v, sanctions %+v: want one case with three reports, three warnings", c, page.Node.Sanctions)
	}
	// The users loader serves the entries' actors, the reports' reporters and the sanctions'
	// moderators, which resolve at different depths: whether they share one batch or take two
	// depends on goroutine timing (one statement either way), while an N+1 over the nine entries
	// would add eight.
	if large > small+1 || small > large+1 {
		t.Fatalf("auditEntries(first: 1) ran %d statements, auditEntries(first: 20) ran %d", small, large)
	}
	if r := memberClient.Do(t, `query($id: ID!) { node(id: $id) { ... on User { auditEntries { edges { cursor } } } } }`, vars); r.Code() != "FORBIDDEN" {
		t.Fatalf("the member reading their audit entries: %s", r.Raw)
	}
}
