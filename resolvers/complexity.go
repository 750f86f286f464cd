package resolvers

import (
	"context"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/exports"
	"github.com/skillswap/skillswap/identities"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/passkeys"
	"github.com/skillswap/skillswap/relay"
)

// listBounds is the declared upper size of every plain list field (a list not paged by `first`):
// the complexity limit charges such a field 1 + bound × its selection, so nested lists multiply.
// Where the bound is enforced the constant is named; elsewhere it is a pricing assumption,
// deliberately above what the demo and bench populations hold, and MAX_RESPONSE_BYTES bounds a
// real list that outgrows it. TestEveryListFieldIsPriced fails when a list field of the schema is
// missing here (and has no complexity function of its own), so a new one cannot be forgotten.
var listBounds = map[string]listBound{
	// Enforced by validation.
	"Profile.languages":         {n: 20},  // domain.ValidateLanguages: at most 20
	"Profile.availability":      {n: 100}, // domain.NormalizeSlots: at most 100
	"Skill.synonyms":            {n: 20},  // skills.Service: at most 20
	"Review.tags":               {n: domain.MaxReviewTags},
	"Conversation.participants": {n: domain.MaxGroupMembers},
	"SwapCircle.members":        {n: 3}, // a circle is three members (matching.Circle)
	"SwapCircle.edges":          {n: 3},
	"User.roles":                {enum: "Role"},
	"MemberSearchFacets.levels": {enum: "SkillLevel"},
	"MemberSearchFacets.modes":  {enum: "MeetingMode"},
	// One preference per notification type, one reason per reason code at most.
	"Query.notificationPreferences":   {enum: "NotificationType"},
	"Match.reasons":                   {enum: "MatchReasonCode"},
	"ScheduleSessionPayload.warnings": {enum: "SessionWarningCode"},
	"AccountSecurity.methods":         {enum: "SignInMethod"},
	// auth.RecoveryCodeCount codes are made at once.
	"ConfirmTotpEnrollmentPayload.recoveryCodes":   {n: auth.RecoveryCodeCount},
	"RegenerateRecoveryCodesPayload.recoveryCodes": {n: auth.RecoveryCodeCount},
	// A member keeps auth.MaxSignInEvents sign-in events (the insert deletes older ones), and
	// `first` is refused above it.
	"AccountSecurity.recentSignIns": {n: auth.MaxSignInEvents},
	// One per configured provider at most (UNIQUE (user_id, provider); OIDC_PROVIDERS holds at
	// most identities.MaxProviders).
	"Query.signInProviders":                 {n: identities.MaxProviders},
	"LinkProviderPayload.linkedProviders":   {n: identities.MaxProviders},
	"UnlinkProviderPayload.linkedProviders": {n: identities.MaxProviders},
	"AccountSecurity.passkeys":              {n: passkeys.MaxPasskeys},
	// notifications.Service keeps at most PUSH_MAX_DEVICES per member (default 10; priced at 20).
	"Query.pushDevices": {n: 2 * notifications.DefaultMaxPushDevices},
	// A passkey's transports: the five of WebAuthn Level 3 (usb, nfc, ble, smart-card, hybrid,
	// internal), as the client reported them.
	"Passkey.transports": {n: 6},
	// Bounded by their `first` argument's maximum.
	"User.consentRequired": {enum: "LegalDocument"},
	"User.consents":        {n: auth.MaxConsentsListed},
	"User.dataExports":     {n: exports.MaxListed},
	// kpis.Service.Cohorts refuses a longer range of weeks.
	"ProductKpis.cohorts": {n: domain.MaxKPIWeeks},

	// Not enforced: pricing assumptions (the bench population has 6.9 skills per member).
	"User.offeredSkills":                {n: 50},
	"User.wantedSkills":                 {n: 50},
	"Match.theyTeach":                   {n: 50},
	"Match.youTeach":                    {n: 50},
	"User.blockedMembers":               {n: 100},
	"BlockMemberPayload.blockedMembers": {n: 100},
	"Skill.relatedSkills":               {n: 10}, // curated by staff; the largest in the demo catalogue has 9
	// The catalogue: categories × their skills is every skill once, so the whole catalogue is
	// priced by SkillCategory.skills at the catalogue's size (400 skills in the demo data) and the
	// categories' own fields once.
	"Query.skillCategories":                {n: 1},
	"SkillCategory.skills":                 {n: 500},
	"MemberSearchFacets.categories":        {n: 50},
	"MemberSearchFacets.languages":         {n: 50},
	"SkillSearchConnection.categoryFacets": {n: 50},
	"Payment.refunds":                      {n: 20},
	// A case's reports (one per distinct reporter) and staff notes: most cases hold one to three,
	// a heavily reported one more. Priced at 20 so the admin panel's queue page (20 cases, each
	// report with its reporter and snapshot, each note with its author, ids included) fits the
	// complexity limit; at 50 it cost 13,364 points and was refused.
	"ModerationCase.reports": {n: 20},
	"ModerationCase.notes":   {n: 20},
	// User.sanctions is cut at 100 (its resolver); an appeal's thread is a short exchange.
	"User.sanctions":          {n: 100},
	"SanctionAppeal.messages": {n: 50},
}

// listBound is a list's declared size: n, or the number of values of an enum the list holds at
// most one item per value of.
type listBound struct {
	n    int
	enum string
}

func (b listBound) size(schema *ast.Schema) int {
	if b.enum == "" {
		return b.n
	}
	if def := schema.Types[b.enum]; def != nil && len(def.EnumValues) > 0 {
		return len(def.EnumValues)
	}
	return undeclaredListBound
}

// undeclaredListBound prices a list field missing from listBounds at run time (the test fails
// first): expensive on purpose, so forgetting one errs on the side of refusing.
const undeclaredListBound = relay.MaxPageSize

// pricedSchema completes the generated complexity functions: a field without one is priced by
// its type. A plain list costs its declared bound × its selection; the `edges` of a connection
// cost their selection once, since the field returning the connection already multiplied it by
// the page size; a connection reached by a field without its own function (all have one, the
// test checks) costs a full page. Everything else keeps gqlgen's default, 1 + its selection.
type pricedSchema struct {
	graphql.ExecutableSchema
}

// Complexity implements graphql.ExecutableSchema.
func (s pricedSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if c, ok := s.ExecutableSchema.Complexity(ctx, typeName, field, child, args); ok {
		return c, true
	}
	def := s.Schema().Types[typeName]
	if def == nil {
		return 0, false
	}
	f := def.Fields.ForName(field)
	if f == nil {
		return 0, false
	}
	switch listKind(typeName, f) {
	case plainList:
		bound := undeclaredListBound
		if b, ok := listBounds[typeName+"."+field]; ok {
			bound = b.size(s.Schema())
		}
		return itemsCost(bound, child), true
	case connection:
		return itemsCost(relay.MaxPageSize, child), true
	}
	return 0, false
}

type kind int

const (
	notList kind = iota
	plainList
	edges      // a connection's page, priced by the field returning the connection
	connection // a paged list
)

func listKind(typeName string, f *ast.FieldDefinition) kind {
	switch {
	case f.Type.Elem != nil && f.Name == "edges" && isConnection(typeName):
		return edges
	case f.Type.Elem != nil:
		return plainList
	case isConnection(f.Type.Name()):
		return connection
	}
	return notList
}

func isConnection(typeName string) bool { return strings.HasSuffix(typeName, "Connection") }

// itemsCost is 1 + n × child, saturating at math.MaxInt: a product overflowing to a negative
// number would be ignored by the complexity sum, letting the most expensive documents through.
func itemsCost(n, child int) int {
	if child < 0 || (child > 0 && n > (math.MaxInt-1)/child) {
		return math.MaxInt
	}
	return 1 + n*child
}
