// Package resolvers holds the thin GraphQL resolvers: they find out who is asking, map input, call
// a service and map the result. Decisions live in the services.
package resolvers

import (
	"log/slog"
	"time"

	"github.com/skillswap/skillswap/admin"
	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/calendar"
	"github.com/skillswap/skillswap/chat"
	"github.com/skillswap/skillswap/credits"
	"github.com/skillswap/skillswap/erasure"
	"github.com/skillswap/skillswap/exports"
	"github.com/skillswap/skillswap/identities"
	"github.com/skillswap/skillswap/kpis"
	"github.com/skillswap/skillswap/matching"
	"github.com/skillswap/skillswap/moderation"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/passkeys"
	"github.com/skillswap/skillswap/payments"
	"github.com/skillswap/skillswap/profiles"
	"github.com/skillswap/skillswap/reviews"
	"github.com/skillswap/skillswap/search"
	"github.com/skillswap/skillswap/skills"
	"github.com/skillswap/skillswap/skillsessions"
)

// Resolver is the root resolver; its fields are the services resolvers call.
type Resolver struct {
	Auth *auth.Service
	// Identities signs in with OpenID Connect providers and links their accounts.
	Identities *identities.Service
	// Passkeys registers passkeys and signs in with them.
	Passkeys *passkeys.Service
	// Erasure schedules, cancels and runs account deletions.
	Erasure *erasure.Service
	// Exports serves members' data exports.
	Exports  *exports.Service
	Skills   *skills.Service
	Profiles *profiles.Service
	Search   search.Backend
	Matching *matching.Service
	// Chat serves conversations, messages and their live streams.
	Chat *chat.Service
	// Notifications serves the notification feed, preferences and live stream. queryResolver has
	// a method of that name, so resolvers of Query reach it as r.Resolver.Notifications.
	Notifications *notifications.Service
	Log           *slog.Logger

	// Skill sessions, reviews, time credits and calendar feeds.
	SkillSessions *skillsessions.Service
	Reviews       *reviews.Service
	Credits       *credits.Service
	Calendar      *calendar.Service
	// Payments serves paid mentoring: prices, mentor onboarding, payments and refunds.
	Payments *payments.Service
	// Admin runs staff operations on members' accounts and serves the audit log.
	Admin *admin.Service
	// Moderation serves reports, the moderation queue and decisions.
	Moderation *moderation.Service
	// KPIs serves the product KPIs (ADMIN) and the NPS survey.
	KPIs *kpis.Service
	// PublicURL is the API's base URL, to build calendar feed URLs.
	PublicURL string
	// nodes is the registry of Query.node (nodeTypes), built by NewSchema.
	nodes map[string]nodeType
	// Now is the clock of review windows (tests set it with the services'); nil means time.Now.
	Now func() time.Time
}
