package dataloaders

import (
	"bytes"
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/skillswap/skillswap/domain"
)

// ModerationSource is what the moderation loaders read; *store.Queries implements it.
type ModerationSource interface {
	ModerationCasesByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.ModerationCase, error)
	ReportsByCaseIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.ModerationReport, error)
	NotesByCaseIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.ModerationNote, error)
	ModerationCasesOfSubjects(ctx context.Context, subjects []uuid.UUID, after *uuid.UUID, limit int) (map[uuid.UUID][]domain.ModerationCase, error)
}

// SubjectCasesKey asks for a page of the cases about a member: up to Limit, newest first,
// strictly older than After (uuid.Nil: from the newest).
type SubjectCasesKey struct {
	Subject uuid.UUID
	After   uuid.UUID
	Limit   int
}

// ModerationLoaders are the request-scoped loaders of the moderation queue and the staff's
// view of a member (no access checks: resolvers require MODERATOR first).
type ModerationLoaders struct {
	// Cases loads cases by id.
	Cases *dataloadgen.Loader[uuid.UUID, domain.ModerationCase]
	// Reports loads cases' reports, oldest first; none is an empty list.
	Reports *dataloadgen.Loader[uuid.UUID, []domain.ModerationReport]
	// Notes loads cases' internal notes, oldest first; none is an empty list.
	Notes *dataloadgen.Loader[uuid.UUID, []domain.ModerationNote]
	// SubjectCases loads pages of the cases about members; none is an empty list.
	SubjectCases *dataloadgen.Loader[SubjectCasesKey, []domain.ModerationCase]
}

func newModerationLoaders(src ModerationSource, wait dataloadgen.Option) *ModerationLoaders {
	return &ModerationLoaders{
		Cases:   dataloadgen.NewMappedLoader(src.ModerationCasesByIDs, wait),
		Reports: dataloadgen.NewMappedLoader(orEmpty(src.ReportsByCaseIDs), wait),
		Notes:   dataloadgen.NewMappedLoader(orEmpty(src.NotesByCaseIDs), wait),
		SubjectCases: dataloadgen.NewMappedLoader(func(ctx context.Context, keys []SubjectCasesKey) (map[SubjectCasesKey][]domain.ModerationCase, error) {
			// One statement per distinct page (after, limit): a request asking the same page of
			// every member of a list runs one.
			type page struct {
				after uuid.UUID
				limit int
			}
			pages := map[page][]uuid.UUID{}
			for _, k := range keys {
				p := page{k.After, k.Limit}
				pages[p] = append(pages[p], k.Subject)
			}
			out := make(map[SubjectCasesKey][]domain.ModerationCase, len(keys))
			for p, subjects := range pages {
				var after *uuid.UUID
				if p.after != uuid.Nil {
					after = &p.after
				}
				found, err := src.ModerationCasesOfSubjects(ctx, subjects, after, p.limit)
				if err != nil {
					return nil, err
				}
				for _, s := range subjects {
					cases := found[s]
					if cases == nil {
						cases = []domain.ModerationCase{}
					}
					out[SubjectCasesKey{Subject: s, After: p.after, Limit: p.limit}] = cases
				}
			}
			return out, nil
		}, wait),
	}
}

// ModerationCase loads one case (no access check).
func ModerationCase(ctx context.Context, id uuid.UUID) (domain.ModerationCase, error) {
	c, err := For(ctx).Moderation.Cases.Load(ctx, id)
	if isNotFound(err) {
		return domain.ModerationCase{}, domain.NotFound("moderation case")
	}
	return c, err
}

// CasePrefetch says what a page of cases will read of each case.
type CasePrefetch struct {
	Reports, Notes bool
	// People: the members the page shows (subjects, assignees, and with Reports and Notes the
	// reporters and note authors).
	People bool
}

// PrefetchCases reads at once what a page of cases shows and primes the loaders with it: the
// reports and notes of every case, then every member they name, in one statement each. Left
// to the fields, the same statements would run in two rounds, each waiting for the batching
// window (a moderation queue page is a staff member's working screen: latency counts).
func PrefetchCases(ctx context.Context, cases []domain.ModerationCase, want CasePrefetch) error {
	if len(cases) == 0 {
		return nil
	}
	l := For(ctx)
	if l.src == nil { // loaders made by WithLoaders without a source: the fields load as usual
		return nil
	}
	ids := make([]uuid.UUID, len(cases))
	var people []uuid.UUID
	for i, c := range cases {
		ids[i] = c.ID
		if c.SubjectID != nil {
			people = append(people, *c.SubjectID)
		}
		if c.AssigneeID != nil {
			people = append(people, *c.AssigneeID)
		}
	}
	if want.Reports {
		found, err := l.src.ReportsByCaseIDs(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			rs := found[id]
			if rs == nil {
				rs = []domain.ModerationReport{}
			}
			l.Moderation.Reports.Prime(id, rs)
			for _, r := range rs {
				people = append(people, r.ReporterID)
			}
		}
	}
	if want.Notes {
		found, err := l.src.NotesByCaseIDs(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			ns := found[id]
			if ns == nil {
				ns = []domain.ModerationNote{}
			}
			l.Moderation.Notes.Prime(id, ns)
			for _, n := range ns {
				people = append(people, n.AuthorID)
			}
		}
	}
	if !want.People || len(people) == 0 {
		return nil
	}
	slices.SortFunc(people, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	users, err := l.src.UsersByIDs(ctx, slices.Compact(people))
	if err != nil {
		return err
	}
	for id, u := range users {
		l.Users.Prime(id, u)
	}
	return nil
}
