package resolvers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/skillswap/skillswap/auth"
	"github.com/skillswap/skillswap/dataloaders"
	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/gqlexec"
	"github.com/skillswap/skillswap/graph/model"
	"github.com/skillswap/skillswap/profiles"
)

// visibleProfile loads a member's profile and tells whether the caller may see it.
func visibleProfile(ctx context.Context, userID uuid.UUID) (domain.Profile, bool, error) {
	l := dataloaders.For(ctx)
	p, err := l.Profiles.Load(ctx, userID)
	if err != nil {
		return domain.Profile{}, false, fmt.Errorf("load profile: %w", err)
	}
	actor := auth.ActorFrom(ctx)
	ok, err := profiles.CanSeeProfile(actor, p, func() (bool, error) {
		set, err := l.Blocks.Load(ctx, actor.ID())
		return set[userID], err
	})
	return p, ok, err
}

// memberSkills returns a member's skills of one kind, when the caller may see their profile.
func memberSkills(ctx context.Context, userID uuid.UUID, kind domain.SkillKind) ([]domain.MemberSkill, error) {
	// Staff and the member see the skills whatever the profile says: their pages (the staff's
	// member lists) skip the profile query.
	if !profiles.SeesProfileOf(auth.ActorFrom(ctx), userID) {
		if _, ok, err := visibleProfile(ctx, userID); err != nil || !ok {
			return []domain.MemberSkill{}, err
		}
	}
	list, err := dataloaders.For(ctx).MemberSkills.Load(ctx, domain.MemberSkillsOf{UserID: userID, Kind: kind})
	if err != nil {
		return nil, fmt.Errorf("load member skills: %w", err)
	}
	return list, nil
}

// prefetchMembers primes the profile and skill loaders for the members a field returns, with
// what the operation asks of them under path (below the field; e.g. "edges", "node" for a
// connection), so those fields resolve without waiting for a batching window. Profiles are read
// for the profile field, and for the visibility check before the skills of members the caller
// does not always see (memberSkills). When path starts with a list (a connection's edges), the
// list learns that those fields no longer wait (gqlexec.Prime), so it resolves its members in
// turn instead of one goroutine each.
func prefetchMembers(ctx context.Context, ids []uuid.UUID, path ...string) error {
	asked := func(field string) bool {
		return selectionPath(ctx, append(slices.Clip(path), field)...) != nil // Clip: never write into the caller's path
	}
	want := dataloaders.MemberPrefetch{Profiles: asked("profile"), OfferedSkills: asked("offeredSkills"), WantedSkills: asked("wantedSkills")}
	if (want.OfferedSkills || want.WantedSkills) && !want.Profiles {
		actor := auth.ActorFrom(ctx)
		for _, id := range ids {
			if !profiles.SeesProfileOf(actor, id) {
				want.Profiles = true
				break
			}
		}
	}
	done, err := dataloaders.PrefetchMembers(ctx, ids, want)
	if err != nil {
		return err
	}
	var primed []string
	if done.Profiles {
		primed = append(primed, "profile")
	}
	if done.OfferedSkills {
		primed = append(primed, "offeredSkills")
	}
	if done.WantedSkills {
		primed = append(primed, "wantedSkills")
	}
	if len(path) > 0 && len(primed) > 0 {
		if fc := graphql.GetFieldContext(ctx); fc != nil {
			for _, list := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, nil) {
				if list.Name == path[0] {
					gqlexec.Prime(ctx, list.Field, path[1:], primed...)
				}
			}
		}
	}
	return nil
}

func formatMinute(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// parseClock reads "HH:MM" (00:00 to 24:00) into minutes since midnight.
func parseClock(field, s string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); err != nil || n != 2 || len(strings.TrimSpace(s)) != 5 ||
		h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, domain.Invalid(field, "must be a time of day HH:MM")
	}
	return h*60 + m, nil
}

func toProfileUpdate(in model.UpdateProfileInput) (profiles.ProfileUpdate, error) {
	u := profiles.ProfileUpdate{
		Bio: in.Bio, AvatarURL: in.AvatarURL, TimeZone: in.TimeZone, City: in.City, Country: in.Country,
		Mode: in.Mode, Visibility: in.Visibility,
	}
	if in.Languages != nil {
		u.Languages, u.SetLanguages = in.Languages, true
	}
	if in.Location != nil {
		u.Location = &profiles.Coordinates{Latitude: in.Location.Latitude, Longitude: in.Location.Longitude}
	}
	u.ClearPlace = in.ClearPlace != nil && *in.ClearPlace
	if in.Availability != nil {
		u.SetSlots = true
		u.Availability = []domain.AvailabilitySlot{}
		for i, s := range in.Availability {
			start, err := parseClock(fmt.Sprintf("availability.%d.start", i), s.Start)
			if err != nil {
				return u, err
			}
			end, err := parseClock(fmt.Sprintf("availability.%d.end", i), s.End)
			if err != nil {
				return u, err
			}
			u.Availability = append(u.Availability, domain.AvailabilitySlot{Weekday: s.Weekday, StartMinute: start, EndMinute: end})
		}
	}
	return u, nil
}

func (r *Resolver) blockPayload(ctx context.Context, actor domain.Actor, memberID uuid.UUID) (*model.BlockMemberPayload, error) {
	member, err := dataloaders.User(ctx, memberID)
	if err != nil {
		return nil, err
	}
	ids, err := r.Profiles.Blocked(ctx, actor)
	if err != nil {
		return nil, err
	}
	blocked, err := dataloaders.For(ctx).Users.LoadAll(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load blocked members: %w", err)
	}
	return &model.BlockMemberPayload{Member: &member, BlockedMembers: blocked}, nil
}

// memberSkillPayload answers a change to the actor's skills with the actor's account, whose skill
// lists must be read again.
func memberSkillPayload(ctx context.Context, actor domain.Actor, m domain.MemberSkill) *model.MemberSkillPayload {
	dataloaders.For(ctx).ForgetMemberSkills(actor.ID())
	return &model.MemberSkillPayload{MemberSkill: &m, User: &actor.User}
}
