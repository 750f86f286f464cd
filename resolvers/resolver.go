// Package resolvers holds the thin GraphQL resolvers: they find out who is asking, map input, call
// a service and map the result. Decisions live in the services.
package resolvers

import (
	"log/slog"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/chat"
	"github.com/skillswap/skillswap/matching"
	"github.com/skillswap/skillswap/notifications"
	"github.com/skillswap/skillswap/profiles"
	"github.com/skillswap/skillswap/realtime"
	"github.com/skillswap/skillswap/search"
	"github.com/skillswap/skillswap/skills"
	"github.com/skillswap/skillswap/store"
)

// Resolver is the root resolver; its fields are the services resolvers call.
type Resolver struct {
	Auth     *auth.Service
	Skills   *skills.Service
	Profiles *profiles.Service
	Search   search.Backend
	Matching *matching.Service
	// Chat serves conversations, messages and their live streams.
	Chat *chat.Service
	// Notifications serves the notification feed, preferences and live stream. queryResolver has
	// a method of that name, so resolvers of Query reach it as r.Resolver.Notifications.
	Notifications *notifications.Service
	Store         *store.Store
	Hub           *realtime.Hub
	Log           *slog.Logger
}
