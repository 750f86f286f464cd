package dataloaders

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
)

// MemberPrefetch says what a field's members will read of each member.
type MemberPrefetch struct {
	// Profiles: their profiles (the profile field, or the visibility check before their skills).
	Profiles bool
	// OfferedSkills, WantedSkills: their offers, their wants.
	OfferedSkills, WantedSkills bool
}

// kinds are the lists of skills p reads.
func (p MemberPrefetch) kinds() []domain.SkillKind {
	var kinds []domain.SkillKind
	if p.OfferedSkills {
		kinds = append(kinds, domain.Offer)
	}
	if p.WantedSkills {
		kinds = append(kinds, domain.Want)
	}
	return kinds
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
	if kinds := want.kinds(); len(kinds) > 0 {
		lists := make([]domain.MemberSkillsOf, 0, len(ids)*len(kinds))
		for _, id := range ids {
			for _, k := range kinds {
				lists = append(lists, domain.MemberSkillsOf{UserID: id, Kind: k})
			}
		}
		found, err := orEmpty(l.src.MemberSkillsOf)(ctx, lists)
		if err != nil {
			return MemberPrefetch{}, fmt.Errorf("prefetch member skills: %w", err)
		}
		for list, ms := range found {
			l.MemberSkills.Prime(list, ms)
		}
	}
	return want, nil
}

// ForgetMemberSkills drops what the loaders hold of a member's skills, both lists, once they
// changed.
func (l *Loaders) ForgetMemberSkills(userID uuid.UUID) {
	l.MemberSkills.Clear(domain.MemberSkillsOf{UserID: userID, Kind: domain.Offer})
	l.MemberSkills.Clear(domain.MemberSkillsOf{UserID: userID, Kind: domain.Want})
}
