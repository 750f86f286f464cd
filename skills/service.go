// Package skills owns the skill taxonomy: categories, skills, their relations, and members'
// proposals of missing skills with their moderation (approve, merge, reject).
//
// Methods that act for, or read on behalf of, a member take the domain.Actor right after the
// context (the zero Actor for a signed-out reader); none reads the viewer from the context.
package skills

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Indexer is told, inside the transaction of a moderation decision, that a skill's searchable
// data changed (it became searchable, or stopped being so and its members moved); it queues the
// re-indexing job.
type Indexer interface {
	QueueSkillReindex(ctx context.Context, q *store.Queries, skillID uuid.UUID) error
}

// Limits tells whether a member may propose skills (a moderator's LIMIT refuses it, as it
// refuses new conversations and session proposals); moderation.Service implements it.
type Limits interface {
	// RequireNotLimited returns a FORBIDDEN domain error while the member is limited.
	RequireNotLimited(ctx context.Context, userID uuid.UUID) error
}

// Service implements the taxonomy.
type Service struct {
	store  *store.Store
	index  Indexer
	limits Limits
	log    *slog.Logger
	now    func() time.Time
}

// NewService wires the service; limits may be nil (no moderation limits).
func NewService(st *store.Store, index Indexer, limits Limits, log *slog.Logger) *Service {
	return &Service{store: st, index: index, limits: limits, log: log, now: func() time.Time { return time.Now().UTC() }}
}

// BySlug returns an approved skill by slug; moderators, and the member who proposed it, also get
// a skill that is not approved. actor is the zero Actor for a signed-out reader.
func (s *Service) BySlug(ctx context.Context, actor domain.Actor, slug string) (domain.Skill, error) {
	sk, err := s.store.Q().SkillBySlug(ctx, slug)
	if err != nil {
		return domain.Skill{}, err
	}
	if sk.Status != domain.SkillApproved && !canModerate(actor, sk) {
		return domain.Skill{}, domain.NotFound("skill")
	}
	return sk, nil
}

// canModerate reports whether actor may see a non-approved skill: moderators, and the member who
// proposed it.
func canModerate(actor domain.Actor, sk domain.Skill) bool {
	if !actor.SignedIn() {
		return false
	}
	return actor.HasRole(domain.RoleModerator) || (sk.ProposedBy != nil && *sk.ProposedBy == actor.ID())
}

// Proposal is a member's suggestion of a missing skill.
type Proposal struct {
	CategoryID uuid.UUID
	NameEN     string
	NameFR     string
	Synonyms   []string
}

// Propose records a pending skill. An existing skill with the same name (in either language,
// ignoring case and accents) is a CONFLICT naming it, so members find it instead of duplicating.
func (s *Service) Propose(ctx context.Context, actor domain.Actor, p Proposal) (domain.Skill, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Skill{}, err
	}
	if s.limits != nil {
		if err := s.limits.RequireNotLimited(ctx, actor.ID()); err != nil {
			return domain.Skill{}, err
		}
	}
	nameEN, err := cleanName("nameEn", p.NameEN)
	if err != nil {
		return domain.Skill{}, err
	}
	nameFR, err := cleanName("nameFr", p.NameFR)
	if err != nil {
		return domain.Skill{}, err
	}
	if len(p.Synonyms) > 20 {
		return domain.Skill{}, domain.Invalid("synonyms", "at most 20 synonyms")
	}
	var synonyms []string
	for i, syn := range p.Synonyms {
		syn, err := cleanName(fmt.Sprintf("synonyms.%d", i), syn)
		if err != nil {
			return domain.Skill{}, err
		}
		synonyms = append(synonyms, strings.ToLower(syn))
	}
	if synonyms == nil {
		synonyms = []string{}
	}
	q := s.store.Q()
	cats, err := q.SkillCategoriesByIDs(ctx, []uuid.UUID{p.CategoryID})
	if err != nil {
		return domain.Skill{}, fmt.Errorf("propose skill: %w", err)
	}
	if _, ok := cats[p.CategoryID]; !ok {
		e := domain.NotFound("category")
		e.Field = "categoryId"
		return domain.Skill{}, e
	}
	if existing, err := q.SimilarSkill(ctx, nameEN, nameFR); err == nil {
		e := domain.Conflict("this skill already exists: %s", existing.NameEN)
		e.Field = "nameEn"
		e.Details = map[string]any{"existingSkillSlug": existing.Slug}
		return domain.Skill{}, e
	} else if !domain.IsKind(err, domain.KindNotFound) {
		return domain.Skill{}, fmt.Errorf("propose skill: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return domain.Skill{}, fmt.Errorf("propose skill: %w", err)
	}
	sk, err := q.InsertPendingSkill(ctx, store.NewSkill{
		ID: id, Slug: Slugify(nameEN), CategoryID: p.CategoryID, NameEN: nameEN, NameFR: nameFR,
		Synonyms: synonyms, ProposedBy: actor.ID(), CreatedAt: s.now(),
	})
	if err != nil {
		if domain.IsKind(err, domain.KindConflict) {
			e := domain.Conflict("a skill with this name already exists")
			e.Field = "nameEn"
			return domain.Skill{}, e
		}
		return domain.Skill{}, fmt.Errorf("propose skill: %w", err)
	}
	return sk, nil
}

func cleanName(field, raw string) (string, error) {
	name := strings.Join(strings.Fields(raw), " ")
	if name == "" {
		return "", domain.Invalid(field, "is required")
	}
	if len([]rune(name)) > 80 {
		return "", domain.Invalid(field, "must be at most 80 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", domain.Invalid(field, "must not contain control characters")
		}
	}
	return name, nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// Slugify turns a name into a kebab-case slug without accents ("Guitare électrique" ->
// "guitare-electrique").
func Slugify(name string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	plain, _, err := transform.String(t, name)
	if err != nil {
		plain = name
	}
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(plain), "-"), "-")
	if slug == "" {
		slug = "skill"
	}
	return slug
}

// Decision is a moderator's verdict on a proposal.
type Decision string

// Moderation decisions.
const (
	Approve Decision = "APPROVE"
	Reject  Decision = "REJECT"
	Merge   Decision = "MERGE"
)

// Review applies a moderator's decision to a pending skill. MERGE points the proposal at an
// approved skill and moves every member's offer or want to it.
func (s *Service) Review(ctx context.Context, actor domain.Actor, skillID uuid.UUID, d Decision, mergeInto *uuid.UUID) (domain.Skill, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return domain.Skill{}, err
	}
	var out domain.Skill
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		sk, err := q.LockSkill(ctx, skillID)
		if domain.IsKind(err, domain.KindNotFound) {
			e := domain.NotFound("skill")
			e.Field = "skillId"
			return e
		}
		if err != nil {
			return err
		}
		if sk.Status != domain.SkillPending {
			e := domain.Conflict("this skill is %s, not pending", sk.Status)
			e.Details = map[string]any{"status": string(sk.Status)}
			return e
		}
		switch d {
		case Approve:
			out, err = q.SetSkillStatus(ctx, sk.ID, domain.SkillApproved, nil)
		case Reject:
			out, err = q.SetSkillStatus(ctx, sk.ID, domain.SkillRejected, nil)
		case Merge:
			if mergeInto == nil {
				return domain.Invalid("mergeIntoId", "is required to merge")
			}
			target, err := q.LockSkill(ctx, *mergeInto)
			if domain.IsKind(err, domain.KindNotFound) || (err == nil && (target.Status != domain.SkillApproved || target.ID == sk.ID)) {
				return domain.Invalid("mergeIntoId", "must be another approved skill")
			}
			if err != nil {
				return err
			}
			if err := q.MoveMemberSkills(ctx, sk.ID, target.ID); err != nil {
				return err
			}
			if out, err = q.SetSkillStatus(ctx, sk.ID, domain.SkillMerged, &target.ID); err != nil {
				return err
			}
			// The target's members changed too: those who had the proposal now have it.
			if err := s.queueReindex(ctx, q, target.ID); err != nil {
				return err
			}
		default:
			return domain.Invalid("decision", "unknown decision %q", d)
		}
		if err != nil {
			return err
		}
		by := actor.ID()
		details := map[string]any{"decision": string(d), "status": string(out.Status)}
		if d == Merge {
			details["mergedInto"] = mergeInto.String()
		}
		if err := q.InsertAuditLog(ctx, &by, "skill.reviewed", "skill:"+sk.ID.String(), details); err != nil {
			return err
		}
		return s.queueReindex(ctx, q, sk.ID)
	})
	if err != nil {
		return domain.Skill{}, fmt.Errorf("review skill: %w", err)
	}
	s.log.InfoContext(ctx, "skill reviewed", "skill_id", out.ID, "decision", d, "by", actor.ID())
	return out, nil
}

func (s *Service) queueReindex(ctx context.Context, q *store.Queries, skillID uuid.UUID) error {
	if s.index == nil {
		return nil
	}
	return s.index.QueueSkillReindex(ctx, q, skillID)
}

// PendingCursor is the cursor kind of the proposals awaiting review (Query.pendingSkills); clients
// hold such cursors, so it never changes.
const PendingCursor = "pendingSkills"

// Pending pages proposals awaiting review, oldest first (moderators).
func (s *Service) Pending(ctx context.Context, actor domain.Actor, page relay.Page[uuid.UUID]) (relay.Connection[domain.Skill], error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return relay.Connection[domain.Skill]{}, err
	}
	rows, err := s.store.Q().PendingSkills(ctx, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.Skill]{}, fmt.Errorf("pending skills: %w", err)
	}
	return relay.Paginate(PendingCursor, page, rows, func(sk domain.Skill) uuid.UUID { return sk.ID }), nil
}
