package dataloaders

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// MemberPrefetch says what a field's members will read of each member.
type MemberPrefetch struct {
	// Profiles: their profiles (the profile field, or the visibility check before their skills).
	Profiles bool
	// Skills: their offered and wanted skills.
	Skills bool
}

// PrefetchMembers reads at once what the members a field returns will show, and primes the
// loaders with it, in one statement each, and returns what it primed. Left to the fields, the
// same statements would run only after the batching window (DefaultWait): a window that nothing
// else fills when the members are all known already (the viewer, a page of members), and that
// is most of the latency of the app's first screen.
func PrefetchMembers(ctx context.Context, ids []uuid.UUID, want MemberPrefetch) (MemberPrefetch, error) {
	l := For(ctx)
	if len(ids) == 0 || l.src == nil { // loaders made by WithLoaders without a source: the fields load as usual
		return MemberPrefetch{}, nil
	}
	if want.Profiles {
		found, err := orDefaultProfile(l.src.ProfilesByUserIDs)(ctx, ids)
		if err != nil {
			return MemberPrefetch{}, fmt.Errorf("prefetch profiles: %w", err)
		}
		for id, p := range found {
			l.Profiles.Prime(id, p)
		}
	}
	if want.Skills {
		found, err := orEmpty(l.src.MemberSkillsByUserIDs)(ctx, ids)
		if err != nil {
			return MemberPrefetch{}, fmt.Errorf("prefetch member skills: %w", err)
		}
		for id, ms := range found {
			l.MemberSkills.Prime(id, ms)
		}
	}
	return want, nil
}
