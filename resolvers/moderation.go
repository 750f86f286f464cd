package resolvers

import (
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
)

// targetKinds maps a report target type to the global id kind of its targets.
var targetKinds = map[domain.ReportTargetType]string{
	domain.TargetMember:        relay.KindUser,
	domain.TargetMessage:       relay.KindMessage,
	domain.TargetReview:        relay.KindReview,
	domain.TargetSkillProposal: relay.KindSkill,
}

// targetGlobalID is the global id of a case's target.
func targetGlobalID(c *domain.ModerationCase) string {
	return relay.GlobalID(targetKinds[c.TargetType], c.TargetID)
}
