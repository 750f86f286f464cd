// Package profiles owns what members say about themselves: profile, weekly availability, the
// skills they offer and want, and whom they block.
//
// Every method acts for the member given as its domain.Actor (right after the context); none reads
// the viewer from the context.
package profiles

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Indexer is told, inside the transaction of a change, that a member's searchable data changed;
// it queues the re-indexing job.
type Indexer interface {
	QueueReindex(ctx context.Context, q *store.Queries, userID uuid.UUID) error
}

// MatchNotifier creates notifications inside the caller's transaction, at most one unread per
// member and group key (notifications.Service implements it).
type MatchNotifier interface {
	NotifyOnce(ctx context.Context, q *store.Queries, userIDs []uuid.UUID, typ domain.NotificationType, groupKey string, payload any) ([]domain.Notification, error)
}

// ZoneFollower is told, inside the transaction of a profile change, that a member's time zone
// changed, so what is scheduled in local time follows at once (notifications.Service moves
// their next digest).
type ZoneFollower interface {
	TimeZoneChanged(ctx context.Context, q *store.Queries, userID uuid.UUID, zone string) error
}

// Service implements profiles, member skills and blocks.
type Service struct {
	store *store.Store
	index Indexer
	notes MatchNotifier
	zones ZoneFollower
	log   *slog.Logger
	now   func() time.Time
}

// NewService wires the service; index may be nil when no search index is kept, notes nil when
// no one is told about new mutual matches, zones nil when nothing follows time zone changes.
func NewService(st *store.Store, index Indexer, notes MatchNotifier, zones ZoneFollower, log *slog.Logger) *Service {
	return &Service{store: st, index: index, notes: notes, zones: zones, log: log, now: func() time.Time { return time.Now().UTC() }}
}

// maxMatchNotifications caps the partners told about one new skill: a member who adds a very
// popular skill must not fan out thousands of notifications in one transaction.
const maxMatchNotifications = 20

// notifyNewMutualMatches tells both sides when adding a skill made the member a mutual match
// with someone they were not mutual with before; it runs in the transaction that added it.
func (s *Service) notifyNewMutualMatches(ctx context.Context, q *store.Queries, userID, skillID uuid.UUID, kind domain.SkillKind) error {
	if s.notes == nil {
		return nil
	}
	partners, err := q.NewMutualPartners(ctx, userID, skillID, kind, maxMatchNotifications)
	if err != nil || len(partners) == 0 {
		return err
	}
	// Each partner gets one unread notification per member who matched them.
	if _, err := s.notes.NotifyOnce(ctx, q, partners, domain.NotificationNewMutualMatch,
		"mutual-match:"+userID.String(), map[string]any{"partnerId": userID, "skillId": skillID}); err != nil {
		return err
	}
	// The member gets one notification naming the first partner and how many there are (their
	// matches list shows them all), not one per partner.
	_, err = s.notes.NotifyOnce(ctx, q, []uuid.UUID{userID}, domain.NotificationNewMutualMatch,
		"mutual-matches:"+userID.String(), map[string]any{"partnerId": partners[0], "skillId": skillID, "partners": len(partners)})
	return err
}

// ProfileUpdate holds the fields to change; nil leaves a field as it is. Clear* empties optional
// fields.
type ProfileUpdate struct {
	Bio          *string
	AvatarURL    *string
	Languages    []string
	SetLanguages bool
	TimeZone     *string
	City         *string
	Country      *string
	Location     *Coordinates
	ClearPlace   bool
	Mode         *domain.Mode
	Visibility   *domain.Visibility
	Availability []domain.AvailabilitySlot
	SetSlots     bool
}

// Coordinates are a point on Earth.
type Coordinates struct {
	Latitude, Longitude float64
}

// UpdateProfile validates and applies a change to the actor's profile, re-indexing them in the
// same transaction. Every bad field is a BAD_USER_INPUT naming it; nothing is written then.
func (s *Service) UpdateProfile(ctx context.Context, actor domain.Actor, in ProfileUpdate) (domain.Profile, []domain.AvailabilitySlot, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Profile{}, nil, err
	}
	me := actor.ID()
	var (
		prof  domain.Profile
		slots []domain.AvailabilitySlot
	)
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		current, err := q.ProfilesByUserIDs(ctx, []uuid.UUID{me})
		if err != nil {
			return err
		}
		p, ok := current[me]
		if !ok {
			p = domain.DefaultProfile(me)
		}
		zone := p.TimeZone
		if err := apply(&p, in); err != nil {
			return err
		}
		p.UpdatedAt = s.now()
		if prof, err = q.UpsertProfile(ctx, p); err != nil {
			return err
		}
		if s.zones != nil && prof.TimeZone != zone {
			if err := s.zones.TimeZoneChanged(ctx, q, me, prof.TimeZone); err != nil {
				return err
			}
		}
		if in.SetSlots {
			if slots, err = domain.NormalizeSlots("availability", in.Availability); err != nil {
				return err
			}
			if err := q.ReplaceSlots(ctx, me, slots); err != nil {
				return err
			}
		} else {
			all, err := q.SlotsByUserIDs(ctx, []uuid.UUID{me})
			if err != nil {
				return err
			}
			slots = all[me]
		}
		return s.reindex(ctx, q, me)
	})
	if err != nil {
		return domain.Profile{}, nil, fmt.Errorf("update profile: %w", err)
	}
	return prof, slots, nil
}

func apply(p *domain.Profile, in ProfileUpdate) error {
	if in.Bio != nil {
		bio, err := domain.ValidateText("bio", *in.Bio, 2000)
		if err != nil {
			return err
		}
		p.Bio = bio
	}
	if in.AvatarURL != nil {
		if *in.AvatarURL == "" {
			p.AvatarURL = nil
		} else {
			if err := domain.ValidateAvatarURL("avatarUrl", *in.AvatarURL); err != nil {
				return err
			}
			u := *in.AvatarURL
			p.AvatarURL = &u
		}
	}
	if in.SetLanguages {
		langs, err := domain.ValidateLanguages("languages", in.Languages)
		if err != nil {
			return err
		}
		p.Languages = langs
	}
	if in.TimeZone != nil {
		if _, err := domain.ValidateTimeZone("timeZone", *in.TimeZone); err != nil {
			return err
		}
		p.TimeZone = *in.TimeZone
	}
	if in.ClearPlace {
		p.City, p.Country, p.Latitude, p.Longitude = nil, nil, nil, nil
	}
	if in.City != nil {
		city, err := domain.ValidateText("city", *in.City, 100)
		if err != nil {
			return err
		}
		p.City = &city
		if city == "" {
			p.City = nil
		}
	}
	if in.Country != nil {
		c, err := domain.ValidateCountry("country", *in.Country)
		if err != nil {
			return err
		}
		p.Country = &c
	}
	if in.Location != nil {
		lat, lon := in.Location.Latitude, in.Location.Longitude
		if lat < -90 || lat > 90 {
			return domain.Invalid("location.latitude", "must be between -90 and 90")
		}
		if lon < -180 || lon > 180 {
			return domain.Invalid("location.longitude", "must be between -180 and 180")
		}
		p.Latitude, p.Longitude = &lat, &lon
	}
	if in.Mode != nil {
		switch *in.Mode {
		case domain.ModeOnline, domain.ModeInPerson, domain.ModeBoth:
			p.Mode = *in.Mode
		default:
			return domain.Invalid("mode", "unknown mode")
		}
	}
	if in.Visibility != nil {
		switch *in.Visibility {
		case domain.VisibilityPublic, domain.VisibilityMembers, domain.VisibilityHidden:
			p.Visibility = *in.Visibility
		default:
			return domain.Invalid("visibility", "unknown visibility")
		}
	}
	return nil
}

// SkillInput is an offer or a want to add or change.
type SkillInput struct {
	SkillID         uuid.UUID
	Kind            domain.SkillKind
	Level           domain.Level
	YearsOfPractice *int
	Description     string
}

func validateSkillInput(in *SkillInput) error {
	if in.Level.Rank() == 0 {
		return domain.Invalid("level", "unknown level")
	}
	if in.YearsOfPractice != nil {
		if in.Kind == domain.Want {
			return domain.Invalid("yearsOfPractice", "only applies to skills you offer")
		}
		if *in.YearsOfPractice < 0 || *in.YearsOfPractice > 80 {
			return domain.Invalid("yearsOfPractice", "must be between 0 and 80")
		}
	}
	desc, err := domain.ValidateText("description", in.Description, 1000)
	if err != nil {
		return err
	}
	in.Description = desc
	return nil
}

// AddSkill adds an offer or a want of an approved skill. Offering and wanting one skill at once is
// a CONFLICT (the database enforces it too).
func (s *Service) AddSkill(ctx context.Context, actor domain.Actor, in SkillInput) (domain.MemberSkill, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.MemberSkill{}, err
	}
	me := actor.ID()
	if in.Kind != domain.Offer && in.Kind != domain.Want {
		return domain.MemberSkill{}, domain.Invalid("kind", "must be OFFER or WANT")
	}
	if err := validateSkillInput(&in); err != nil {
		return domain.MemberSkill{}, err
	}
	var out domain.MemberSkill
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		skills, err := q.SkillsByIDs(ctx, []uuid.UUID{in.SkillID})
		if err != nil {
			return err
		}
		sk, ok := skills[in.SkillID]
		if !ok || sk.Status != domain.SkillApproved {
			e := domain.NotFound("skill")
			e.Field = "skillId"
			return e
		}
		if existing, err := q.MemberSkill(ctx, me, in.SkillID); err == nil {
			if existing.Kind == in.Kind {
				e := domain.Conflict("you already want this skill; update it instead")
				if in.Kind == domain.Offer {
					e = domain.Conflict("you already offer this skill; update it instead")
				}
				e.Field = "skillId"
				return e
			}
			e := domain.Conflict("you cannot offer and want the same skill; remove the wish first")
			if existing.Kind == domain.Offer {
				e = domain.Conflict("you cannot offer and want the same skill; remove the offer first")
			}
			e.Field = "skillId"
			return e
		} else if !domain.IsKind(err, domain.KindNotFound) {
			return err
		}
		now := s.now()
		out, err = q.InsertMemberSkill(ctx, domain.MemberSkill{
			UserID: me, SkillID: in.SkillID, Kind: in.Kind, Level: in.Level,
			YearsOfPractice: in.YearsOfPractice, Description: in.Description, CreatedAt: now,
		})
		if err != nil {
			return err
		}
		if err := s.notifyNewMutualMatches(ctx, q, me, in.SkillID, in.Kind); err != nil {
			return err
		}
		return s.reindex(ctx, q, me)
	})
	if err != nil {
		return domain.MemberSkill{}, fmt.Errorf("add skill: %w", err)
	}
	return out, nil
}

// UpdateSkill changes level, years and description of one of the actor's skills.
func (s *Service) UpdateSkill(ctx context.Context, actor domain.Actor, in SkillInput) (domain.MemberSkill, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.MemberSkill{}, err
	}
	me := actor.ID()
	var out domain.MemberSkill
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		existing, err := q.MemberSkill(ctx, me, in.SkillID)
		if domain.IsKind(err, domain.KindNotFound) {
			e := domain.NotFound("member skill")
			e.Field = "skillId"
			return e
		}
		if err != nil {
			return err
		}
		in.Kind = existing.Kind
		if err := validateSkillInput(&in); err != nil {
			return err
		}
		existing.Level, existing.YearsOfPractice, existing.Description = in.Level, in.YearsOfPractice, in.Description
		if out, err = q.UpdateMemberSkill(ctx, existing, s.now()); err != nil {
			return err
		}
		return s.reindex(ctx, q, me)
	})
	if err != nil {
		return domain.MemberSkill{}, fmt.Errorf("update skill: %w", err)
	}
	return out, nil
}

// RemoveSkill removes one of the actor's offers or wants.
func (s *Service) RemoveSkill(ctx context.Context, actor domain.Actor, skillID uuid.UUID) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	me := actor.ID()
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		removed, err := q.DeleteMemberSkill(ctx, me, skillID)
		if err != nil {
			return err
		}
		if !removed {
			e := domain.NotFound("member skill")
			e.Field = "skillId"
			return e
		}
		return s.reindex(ctx, q, me)
	})
	if err != nil {
		return fmt.Errorf("remove skill: %w", err)
	}
	return nil
}

// Block hides the actor and the member from each other in search and matches.
func (s *Service) Block(ctx context.Context, actor domain.Actor, memberID uuid.UUID) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	me := actor.ID()
	if memberID == me {
		return domain.Invalid("memberId", "you cannot block yourself")
	}
	q := s.store.Q()
	users, err := q.UsersByIDs(ctx, []uuid.UUID{memberID})
	if err != nil {
		return fmt.Errorf("block: %w", err)
	}
	if _, ok := users[memberID]; !ok {
		e := domain.NotFound("member")
		e.Field = "memberId"
		return e
	}
	if err := q.Block(ctx, me, memberID, s.now()); err != nil {
		return fmt.Errorf("block: %w", err)
	}
	return nil
}

// Unblock lifts the actor's block of a member (idempotent).
func (s *Service) Unblock(ctx context.Context, actor domain.Actor, memberID uuid.UUID) error {
	if err := actor.RequireSignedIn(); err != nil {
		return err
	}
	me := actor.ID()
	if err := s.store.Q().Unblock(ctx, me, memberID); err != nil {
		return fmt.Errorf("unblock: %w", err)
	}
	return nil
}

// Blocked returns the members the actor blocked.
func (s *Service) Blocked(ctx context.Context, actor domain.Actor) ([]uuid.UUID, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	me := actor.ID()
	ids, err := s.store.Q().BlockedByViewer(ctx, me)
	if err != nil {
		return nil, fmt.Errorf("blocked members: %w", err)
	}
	return ids, nil
}

// SeesProfileOf reports whether actor sees member's profile whatever it holds: the member
// themselves and staff. Callers that only need the yes or no skip loading the profile then.
func SeesProfileOf(actor domain.Actor, member uuid.UUID) bool {
	return actor.SignedIn() && (actor.ID() == member || actor.User.IsStaff())
}

// CanSeeProfile reports whether actor (the zero Actor when signed out) may see a member's profile:
// themselves and staff always; others per visibility, and never across a block. blocked is asked
// only for a signed-in actor, so a signed-out read costs no lookup.
func CanSeeProfile(actor domain.Actor, p domain.Profile, blocked func() (bool, error)) (bool, error) {
	ok := actor.SignedIn()
	if SeesProfileOf(actor, p.UserID) {
		return true, nil
	}
	switch p.Visibility {
	case domain.VisibilityHidden:
		return false, nil
	case domain.VisibilityMembers:
		if !ok {
			return false, nil
		}
	}
	if ok && blocked != nil {
		b, err := blocked()
		if err != nil {
			return false, err
		}
		return !b, nil
	}
	return true, nil
}

func (s *Service) reindex(ctx context.Context, q *store.Queries, userID uuid.UUID) error {
	if s.index == nil {
		return nil
	}
	return s.index.QueueReindex(ctx, q, userID)
}
