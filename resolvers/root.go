package resolvers

import "github.com/skillswap/skillswap/graph"

// root is the graph.ResolverRoot the schema runs with. gqlgen calls the root once per resolved
// field to reach the type's resolver, and the generated accessors of *Resolver allocate a new
// one each time (`return &skillResolver{r}`): for the types of the pages read all day (members,
// their skills, the taxonomy), root hands out one built at start instead. A nested page of 20
// members with their skills and categories made about 500 such allocations (issue 18).
type root struct {
	*Resolver
	query         graph.QueryResolver
	user          graph.UserResolver
	profile       graph.ProfileResolver
	memberSkill   graph.MemberSkillResolver
	skill         graph.SkillResolver
	skillCategory graph.SkillCategoryResolver
}

func newRoot(r *Resolver) *root {
	return &root{Resolver: r, query: r.Query(), user: r.User(), profile: r.Profile(),
		memberSkill: r.MemberSkill(), skill: r.Skill(), skillCategory: r.SkillCategory()}
}

// Query implements graph.ResolverRoot.
func (r *root) Query() graph.QueryResolver { return r.query }

// User implements graph.ResolverRoot.
func (r *root) User() graph.UserResolver { return r.user }

// Profile implements graph.ResolverRoot.
func (r *root) Profile() graph.ProfileResolver { return r.profile }

// MemberSkill implements graph.ResolverRoot.
func (r *root) MemberSkill() graph.MemberSkillResolver { return r.memberSkill }

// Skill implements graph.ResolverRoot.
func (r *root) Skill() graph.SkillResolver { return r.skill }

// SkillCategory implements graph.ResolverRoot.
func (r *root) SkillCategory() graph.SkillCategoryResolver { return r.skillCategory }
