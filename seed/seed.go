// Package seed loads demo data for `make run`, so the playground shows something on first run.
// It is idempotent: members that already exist are left alone.
package seed

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// DemoPassword is the password of every demo member (printed by `make run`).
const DemoPassword = "swap-skills-2026!"

type member struct {
	email, name string
	roles       []domain.Role
}

var members = []member{
	{"admin@demo.skillswap.local", "Ada Admin", []domain.Role{domain.RoleAdmin}},
	{"moderator@demo.skillswap.local", "Moe Moderator", []domain.Role{domain.RoleModerator}},
	{"support@demo.skillswap.local", "Sam Support", []domain.Role{domain.RoleSupport}},
	{"camille@demo.skillswap.local", "Camille Laurent", []domain.Role{domain.RoleMentor}},
	{"lucas@demo.skillswap.local", "Lucas Martin", nil},
	{"amina@demo.skillswap.local", "Amina Diallo", nil},
	{"kenji@demo.skillswap.local", "Kenji Sato", []domain.Role{domain.RoleMentor}},
	{"sofia@demo.skillswap.local", "Sofía García", nil},
	{"noah@demo.skillswap.local", "Noah Schmidt", nil},
	{"ines@demo.skillswap.local", "Inès Moreau", nil},
	{"olu@demo.skillswap.local", "Olúwáseun Adébáyọ̀", nil},
	{"maya@demo.skillswap.local", "Maya Cohen", nil},
}

// Run creates the demo members that do not exist yet and returns how many it created.
func Run(ctx context.Context, st *store.Store, hasher *auth.Hasher, log *slog.Logger) (int, error) {
	hash, err := hasher.Hash(ctx, DemoPassword)
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	created := 0
	for i, m := range members {
		_, err := st.Q().UserByEmail(ctx, m.email)
		if err == nil {
			continue
		}
		if !domain.IsKind(err, domain.KindNotFound) {
			return created, fmt.Errorf("seed: look up %s: %w", m.email, err)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return created, fmt.Errorf("seed: id: %w", err)
		}
		_, err = st.Q().CreateUser(ctx, domain.User{
			ID: id, Email: m.email, PasswordHash: hash, DisplayName: m.name,
			Roles: domain.NormalizeRoles(m.roles), Status: domain.UserActive,
			CreatedAt: time.Now().UTC().Add(time.Duration(i) * time.Millisecond),
		})
		if err != nil && !domain.IsKind(err, domain.KindConflict) {
			return created, fmt.Errorf("seed: create %s: %w", m.email, err)
		}
		created++
	}
	log.Info("demo data loaded", "members_created", created, "members_total", len(members))
	return created, nil
}
