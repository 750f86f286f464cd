package dataloaders

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/taxonomy"
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
// loaders with it, in one round trip (store's PrefetchMembers), and returns what it primed. Left
// to the fields, the same statements would run only after the batching window (DefaultWait): a
// window that nothing else fills when the members are all known already (the viewer, a page of
// members), and that is most of the latency of the app's first screen. Their skills show names
// and categories from the taxonomy, so its version travels in the same round trip (TaxonomyOf),
// unless the response has read it already.
func PrefetchMembers(ctx context.Context, ids []uuid.UUID, want MemberPrefetch) (MemberPrefetch, error) {
	l := For(ctx)
	if len(ids) == 0 || l.src == nil { // loaders made by WithLoaders without a source: the fields load as usual
		return MemberPrefetch{}, nil
	}
	var profilesOf []uuid.UUID
	if want.Profiles {
		profilesOf = ids
	}
	kinds := want.kinds()
	lists := make([]domain.MemberSkillsOf, 0, len(ids)*len(kinds))
	for _, id := range ids {
		for _, k := range kinds {
			lists = append(lists, domain.MemberSkillsOf{UserID: id, Kind: k})
		}
	}
	if len(profilesOf) == 0 && len(lists) == 0 {
		return want, nil
	}
	withTaxonomy := len(lists) > 0 && l.taxonomy != nil && !l.taxonomyRead.Load()
	profiles, skills, version, err := l.src.PrefetchMembers(ctx, profilesOf, lists, withTaxonomy)
	if err != nil {
		return MemberPrefetch{}, fmt.Errorf("prefetch members: %w", err)
	}
	for _, id := range profilesOf {
		p, ok := profiles[id]
		if !ok {
			p = domain.DefaultProfile(id)
		}
		l.Profiles.Prime(id, p)
	}
	for _, list := range lists {
		ms, ok := skills[list]
		if !ok {
			ms = []domain.MemberSkill{}
		}
		l.MemberSkills.Prime(list, ms)
	}
	if withTaxonomy {
		l.readTaxonomy(func() (*taxonomy.Snapshot, error) { return l.taxonomy.At(ctx, version) })
	}
	return want, nil
}

// ForgetMemberSkills drops what the loaders hold of a member's skills, both lists, once they
// changed.
func (l *Loaders) ForgetMemberSkills(userID uuid.UUID) {
	l.MemberSkills.Clear(domain.MemberSkillsOf{UserID: userID, Kind: domain.Offer})
	l.MemberSkills.Clear(domain.MemberSkillsOf{UserID: userID, Kind: domain.Want})
}
