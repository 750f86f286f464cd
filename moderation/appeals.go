package moderation

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/relay"
	"github.com/skillswap/skillswap/store"
)

// Appeal challenges one of the actor's sanctions (once, within domain.AppealWindow of it).
// Errors: NOT_FOUND on sanctionId (unknown or someone else's); FORBIDDEN on sanctionId with
// reason APPEAL_WINDOW_CLOSED and appealableUntil past the window; CONFLICT on sanctionId for a
// second appeal; BAD_USER_INPUT on text (1 to 5,000 characters).
func (s *Service) Appeal(ctx context.Context, actor domain.Actor, sanctionID uuid.UUID, text string) (domain.Appeal, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.Appeal{}, err
	}
	return s.appeal(ctx, actor.ID(), sanctionID, text)
}

// AppealWithLink is Appeal for a member who cannot sign in (suspended, banned): the signed link
// of a sanction email stands for them. Once the sanction is appealed, the same link writes in
// the open appeal's thread instead (added reports true), so a suspended member can answer the
// moderator. An invalid or expired link is NOT_FOUND on token; a decided appeal CONFLICT.
func (s *Service) AppealWithLink(ctx context.Context, token, text string) (a domain.Appeal, added bool, err error) {
	id, ok := s.parseAppealToken(token)
	if !ok {
		return domain.Appeal{}, false, fieldNotFound("appeal link", "token")
	}
	sn, err := s.store.Q().SanctionByID(ctx, id, false)
	if err != nil {
		return domain.Appeal{}, false, fieldNotFound("appeal link", "token")
	}
	a, err = s.appeal(ctx, sn.UserID, id, text)
	if !domain.IsKind(err, domain.KindConflict) {
		return a, false, err
	}
	appeals, err := s.store.Q().AppealsBySanctionIDs(ctx, []uuid.UUID{id})
	if err != nil {
		return domain.Appeal{}, false, fmt.Errorf("appeal with link: %w", err)
	}
	a = appeals[id]
	member := domain.Actor{User: domain.User{ID: sn.UserID, Roles: []domain.Role{domain.RoleMember}}}
	if _, err := s.AddAppealMessage(ctx, member, a.ID, text); err != nil {
		return domain.Appeal{}, false, err
	}
	return a, true, nil
}

func (s *Service) appeal(ctx context.Context, userID, sanctionID uuid.UUID, text string) (domain.Appeal, error) {
	body, err := requiredText("text", text)
	if err != nil {
		return domain.Appeal{}, err
	}
	var out domain.Appeal
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		sn, err := q.SanctionByID(ctx, sanctionID, true)
		if domain.IsKind(err, domain.KindNotFound) || err == nil && sn.UserID != userID {
			return fieldNotFound("sanction", "sanctionId")
		}
		if err != nil {
			return err
		}
		now := s.now()
		if until := sn.AppealableUntil(); !now.Before(until) {
			e := domain.Forbidden("a sanction can be appealed within %d days; this one could be until %s",
				int(domain.AppealWindow.Hours()/24), until.Format(time.RFC3339))
			e.Field = "sanctionId"
			e.Details = map[string]any{"reason": domain.ReasonAppealWindowClosed, "appealableUntil": until.Format(time.RFC3339)}
			return e
		}
		out, err = q.InsertAppeal(ctx, domain.Appeal{ID: uuid.Must(uuid.NewV7()), SanctionID: sn.ID, UserID: userID, Text: body, CreatedAt: now})
		if domain.IsKind(err, domain.KindConflict) {
			e := domain.Conflict("this sanction was already appealed: write in its appeal instead")
			e.Field = "sanctionId"
			return e
		}
		return err
	})
	if err != nil {
		return domain.Appeal{}, fmt.Errorf("appeal sanction: %w", err)
	}
	return out, nil
}

// appealOf loads an appeal and its sanction for the actor: the appellant, or a MODERATOR.
// Anyone else gets NOT_FOUND on field, exactly as for an unknown id.
func (s *Service) appealOf(ctx context.Context, q *store.Queries, actor domain.Actor, id uuid.UUID, field string, lock bool) (domain.Appeal, domain.Sanction, error) {
	a, err := q.AppealByID(ctx, id, lock)
	if domain.IsKind(err, domain.KindNotFound) || err == nil && a.UserID != actor.ID() && !actor.HasRole(domain.RoleModerator) {
		return domain.Appeal{}, domain.Sanction{}, fieldNotFound("appeal", field)
	}
	if err != nil {
		return domain.Appeal{}, domain.Sanction{}, err
	}
	sn, err := q.SanctionByID(ctx, a.SanctionID, lock)
	return a, sn, err
}

// AddAppealMessage writes in an open appeal's thread: its member, or a moderator other than the
// one who imposed the sanction (FORBIDDEN for them: they do not judge their own decision).
// A moderator's message notifies the member and is audited. NOT_FOUND on appealId for anyone
// else; CONFLICT once decided; BAD_USER_INPUT on text.
func (s *Service) AddAppealMessage(ctx context.Context, actor domain.Actor, appealID uuid.UUID, text string) (domain.AppealMessage, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.AppealMessage{}, err
	}
	body, err := requiredText("text", text)
	if err != nil {
		return domain.AppealMessage{}, err
	}
	var out domain.AppealMessage
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		a, sn, err := s.appealOf(ctx, q, actor, appealID, "appealId", true)
		if err != nil {
			return err
		}
		staff := a.UserID != actor.ID()
		if staff && sn.ImposedBy == actor.ID() {
			return domain.Forbidden("another moderator than the one who imposed the sanction handles its appeal")
		}
		if a.State != domain.AppealOpen {
			return domain.Conflict("this appeal is already decided")
		}
		out, err = q.InsertAppealMessage(ctx, domain.AppealMessage{ID: uuid.Must(uuid.NewV7()), AppealID: a.ID,
			AuthorID: actor.ID(), Body: body, CreatedAt: s.now()})
		if err != nil || !staff {
			return err
		}
		if err := s.auditUser(ctx, q, actor, ActionAppealMessage, a.UserID, map[string]any{"appeal": a.ID, "message": out.ID}); err != nil {
			return err
		}
		return s.tellMessage(ctx, q, sn, a, out)
	})
	if err != nil {
		return domain.AppealMessage{}, fmt.Errorf("appeal message: %w", err)
	}
	return out, nil
}

// DecideAppealInput is a moderator's decision on an appeal.
type DecideAppealInput struct {
	AppealID uuid.UUID
	Decision domain.AppealState
	Reasons  string
}

// DecideAppeal upholds or overturns a sanction on appeal (MODERATOR other than the one who
// imposed it: FORBIDDEN for them). OVERTURNED lifts a sanction still in force (a suspended
// account becomes ACTIVE) and shows a removed review again (a removed message's text is gone
// for good: chat's tombstone erases it). The member is notified; audited. NOT_FOUND on
// appealId; CONFLICT once decided; BAD_USER_INPUT on decision or reasons.
func (s *Service) DecideAppeal(ctx context.Context, actor domain.Actor, in DecideAppealInput) (domain.Appeal, error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return domain.Appeal{}, err
	}
	if in.Decision != domain.AppealUpheld && in.Decision != domain.AppealOverturned {
		return domain.Appeal{}, domain.Invalid("decision", "UPHELD or OVERTURNED")
	}
	reasons, err := requiredText("reasons", in.Reasons)
	if err != nil {
		return domain.Appeal{}, err
	}
	var out domain.Appeal
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		a, sn, err := s.appealOf(ctx, q, actor, in.AppealID, "appealId", true)
		if err != nil {
			return err
		}
		if sn.ImposedBy == actor.ID() {
			return domain.Forbidden("another moderator than the one who imposed the sanction decides its appeal")
		}
		if a.State != domain.AppealOpen {
			return domain.Conflict("this appeal is already decided")
		}
		now := s.now()
		if out, err = q.DecideAppeal(ctx, a.ID, actor.ID(), in.Decision, reasons, now); err != nil {
			return err
		}
		if in.Decision == domain.AppealOverturned {
			if sn.ActiveAt(now) {
				if sn, err = s.lift(ctx, q, actor, sn, "Overturned on appeal: "+reasons, now); err != nil {
					return err
				}
			}
			if sn.Kind == domain.SanctionContentRemoval && sn.ContentType != nil && *sn.ContentType == domain.TargetReview {
				if _, _, err := q.SetReviewHidden(ctx, *sn.ContentID, false, now); err != nil {
					return err
				}
			}
		}
		if err := s.auditUser(ctx, q, actor, ActionAppealDecide, a.UserID,
			map[string]any{"appeal": a.ID, "sanction": sn.ID, "decision": in.Decision}); err != nil {
			return err
		}
		return s.tell(ctx, q, a.UserID, domain.NotificationModerationAppealDecided, sn, &out, SanctionEmailAppealDecided)
	})
	if err != nil {
		return domain.Appeal{}, fmt.Errorf("decide appeal: %w", err)
	}
	return out, nil
}

// AppealsCursor is the cursor kind of moderationAppeals.
const AppealsCursor = "moderationAppeals"

// OpenAppeals pages through the open appeals, oldest first (MODERATOR).
func (s *Service) OpenAppeals(ctx context.Context, actor domain.Actor, page relay.Page[store.AppealKey]) (relay.Connection[domain.Appeal], error) {
	if err := actor.RequireRole(domain.RoleModerator); err != nil {
		return relay.Connection[domain.Appeal]{}, err
	}
	rows, err := s.store.Q().OpenAppeals(ctx, page.After, page.Limit())
	if err != nil {
		return relay.Connection[domain.Appeal]{}, fmt.Errorf("open appeals: %w", err)
	}
	return relay.Paginate(AppealsCursor, page, rows, store.KeyOfAppeal), nil
}

// CanReadAppeal says whether actor may read an appeal and its sanction: its member or a
// MODERATOR (FORBIDDEN otherwise).
func (s *Service) CanReadAppeal(actor domain.Actor, a domain.Appeal) error {
	if a.UserID == actor.ID() {
		return nil
	}
	return actor.RequireRole(domain.RoleModerator)
}

// AppealKey is the queue position a cursor of moderationAppeals holds.
type AppealKey = store.AppealKey

// appealToken is the signed single-purpose link of a sanction email: the sanction id, when the
// link dies and an HMAC-SHA256 of both under the link key. It lets its holder appeal that one
// sanction (within its window, checked apart) and write in that appeal's thread while it is
// open, nothing else: no sign-in, no read.
func (s *Service) appealToken(sn domain.Sanction, until time.Time) string {
	if len(s.linkKey) == 0 {
		return ""
	}
	msg := make([]byte, 24)
	copy(msg, sn.ID[:])
	binary.BigEndian.PutUint64(msg[16:], uint64(until.Unix()))
	return base64.RawURLEncoding.EncodeToString(append(msg, s.mac(msg)...))
}

func (s *Service) mac(msg []byte) []byte {
	h := hmac.New(sha256.New, s.linkKey)
	h.Write([]byte("sanction appeal v1\x00"))
	h.Write(msg)
	return h.Sum(nil)
}

func (s *Service) parseAppealToken(tok string) (uuid.UUID, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if len(s.linkKey) == 0 || err != nil || len(raw) != 24+sha256.Size {
		return uuid.Nil, false
	}
	msg, sum := raw[:24], raw[24:]
	if !hmac.Equal(sum, s.mac(msg)) {
		return uuid.Nil, false
	}
	if s.now().Unix() >= int64(binary.BigEndian.Uint64(msg[16:])) {
		return uuid.Nil, false
	}
	id, err := uuid.FromBytes(msg[:16])
	return id, err == nil
}

// AppealLink is the URL of the page where the member of sn appeals it without signing in, valid
// for its appeal window ("" when no link key is configured).
func (s *Service) AppealLink(sn domain.Sanction) string {
	return s.appealLink(sn, sn.AppealableUntil())
}

// ReplyLinkTTL is how long the link of an email telling of a moderator's message in an appeal
// lets the member answer.
const ReplyLinkTTL = 14 * 24 * time.Hour

func (s *Service) appealLink(sn domain.Sanction, until time.Time) string {
	tok := s.appealToken(sn, until)
	if tok == "" {
		return ""
	}
	return s.baseURL + AppealPagePath + "?token=" + tok
}

// AppealPagePath is the path of the appeal page (package accountpages serves it as
// accountpages.AppealPath).
const AppealPagePath = "/appeal-sanction"
