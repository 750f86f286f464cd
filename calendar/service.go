// Package calendar publishes members' skill sessions as RFC 5545 (ICS) calendars: a feed per
// member behind a secret, revocable URL token (stored only as a SHA-256), and one event as an
// attachment. Handler serves `/calendar/{token}.ics`.
//
// Methods that act for a member take the domain.Actor right after the context (the service
// never reads the viewer from the context); the feed itself (FeedICS, Handler) acts for nobody:
// its secret token is the credential.
package calendar

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/store"
)

// Config tunes the feeds.
type Config struct {
	// Past and Future bound the sessions a feed lists around now (defaults 90 days and 1 year).
	Past, Future time.Duration
	// MaxEvents caps a feed's length (default 500).
	MaxEvents int
	// Domain ends event UIDs (default skillswap.app).
	Domain string
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
}

// Service manages feed tokens and renders calendars.
type Service struct {
	store *store.Store
	cfg   Config
	log   *slog.Logger
}

// NewService wires the service.
func NewService(st *store.Store, cfg Config, log *slog.Logger) *Service {
	if cfg.Past == 0 {
		cfg.Past = 90 * 24 * time.Hour
	}
	if cfg.Future == 0 {
		cfg.Future = 365 * 24 * time.Hour
	}
	if cfg.MaxEvents == 0 {
		cfg.MaxEvents = 500
	}
	if cfg.Domain == "" {
		cfg.Domain = "skillswap.app"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: st, cfg: cfg, log: log}
}

// FeedPath is the path of a feed URL for token, relative to the API's public base URL.
func FeedPath(token string) string { return "/calendar/" + token + ".ics" }

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("feed token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateFeed issues the actor a new secret feed token, revoking any previous one (a token is
// shown only once, so asking again means a new one). The token goes in the URL of FeedPath.
func (s *Service) CreateFeed(ctx context.Context, actor domain.Actor) (string, domain.CalendarFeed, error) {
	return s.issue(ctx, actor, false)
}

// RotateFeed replaces the actor's active feed token (NOT_FOUND when they have none): the old
// URL stops working at once.
func (s *Service) RotateFeed(ctx context.Context, actor domain.Actor) (string, domain.CalendarFeed, error) {
	return s.issue(ctx, actor, true)
}

func (s *Service) issue(ctx context.Context, actor domain.Actor, mustExist bool) (string, domain.CalendarFeed, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return "", domain.CalendarFeed{}, err
	}
	token, err := newToken()
	if err != nil {
		return "", domain.CalendarFeed{}, err
	}
	var feed domain.CalendarFeed
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		now := s.cfg.Now().UTC()
		revoked, err := q.RevokeCalendarFeeds(ctx, actor.ID(), now)
		if err != nil {
			return err
		}
		if mustExist && !revoked {
			return domain.NotFound("calendar feed")
		}
		feed, err = q.InsertCalendarFeed(ctx, domain.CalendarFeed{ID: uuid.Must(uuid.NewV7()), UserID: actor.ID(), CreatedAt: now}, hashToken(token))
		return err
	})
	if err != nil {
		return "", domain.CalendarFeed{}, fmt.Errorf("issue calendar feed: %w", err)
	}
	return token, feed, nil
}

// RevokeFeed turns the actor's feed URL off; it reports whether there was one.
func (s *Service) RevokeFeed(ctx context.Context, actor domain.Actor) (bool, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return false, err
	}
	ok, err := s.store.Q().RevokeCalendarFeeds(ctx, actor.ID(), s.cfg.Now().UTC())
	if err != nil {
		return false, fmt.Errorf("revoke calendar feed: %w", err)
	}
	return ok, nil
}

// Feed returns the actor's active feed (without its token), or nil.
func (s *Service) Feed(ctx context.Context, actor domain.Actor) (*domain.CalendarFeed, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	f, err := s.store.Q().ActiveCalendarFeed(ctx, actor.ID())
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("calendar feed: %w", err)
	}
	return &f, nil
}

// FeedICS renders the calendar behind a feed token; an unknown or revoked token is NOT_FOUND.
// The token is the credential: it acts for nobody.
func (s *Service) FeedICS(ctx context.Context, token string) ([]byte, error) {
	if token == "" || len(token) > 100 {
		return nil, domain.NotFound("calendar feed")
	}
	q := s.store.Q()
	feed, err := q.CalendarFeedByTokenHash(ctx, hashToken(token))
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			return nil, domain.NotFound("calendar feed")
		}
		return nil, fmt.Errorf("calendar feed: %w", err)
	}
	now := s.cfg.Now().UTC()
	events, err := q.CalendarEvents(ctx, feed.UserID, now.Add(-s.cfg.Past), now.Add(s.cfg.Future), s.cfg.MaxEvents)
	if err != nil {
		return nil, fmt.Errorf("calendar feed: %w", err)
	}
	cal := Calendar{Name: "SkillSwap sessions"}
	for _, e := range events {
		cal.Events = append(cal.Events, s.event(feed.UserID, e))
	}
	return Encode(cal), nil
}

// SessionICS renders one of the actor's sessions as a calendar attachment.
func (s *Service) SessionICS(ctx context.Context, actor domain.Actor, sessionID uuid.UUID) ([]byte, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	e, err := s.store.Q().CalendarEventByID(ctx, actor.ID(), sessionID)
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			return nil, domain.NotFound("session")
		}
		return nil, fmt.Errorf("session calendar: %w", err)
	}
	return Encode(Calendar{Events: []Event{s.event(actor.ID(), e)}}), nil
}

// event describes a session from the point of view of member.
func (s *Service) event(member uuid.UUID, e store.CalendarEvent) Event {
	summary := fmt.Sprintf("Learning %s with %s", e.SkillName, e.PartnerName)
	if e.TeacherID == member {
		summary = fmt.Sprintf("Teaching %s to %s", e.SkillName, e.PartnerName)
	}
	status := "CONFIRMED"
	switch e.State {
	case domain.SessionProposed:
		status = "TENTATIVE"
		summary += " (proposed)"
	case domain.SessionCancelled:
		status = "CANCELLED"
	}
	ev := Event{
		UID: e.ID.String() + "@" + s.cfg.Domain, Stamp: e.UpdatedAt, Start: e.StartsAt, End: e.EndsAt,
		Sequence: e.Version, Status: status, Summary: summary, Description: e.Note,
	}
	if e.Place != nil {
		ev.Location = *e.Place
	}
	if e.Link != nil {
		ev.Location = *e.Link
		ev.URL = *e.Link
	}
	return ev
}

// Handler serves GET (and HEAD) `.../{token}.ics`: the feed's calendar, or 404 for an unknown
// or revoked token. It reads the token from the last path segment, so it works wherever the
// wiring mounts it (`/calendar/`).
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// The token is a secret: keep it out of Referer headers of anything the client opens.
		w.Header().Set("Referrer-Policy", "no-referrer")
		name := path.Base(r.URL.Path)
		token, ok := strings.CutSuffix(name, ".ics")
		if !ok {
			http.NotFound(w, r)
			return
		}
		body, err := s.FeedICS(r.Context(), token)
		if err != nil {
			var de *domain.Error
			if errors.As(err, &de) && de.Kind == domain.KindNotFound {
				http.NotFound(w, r)
				return
			}
			s.log.ErrorContext(r.Context(), "calendar feed", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("Content-Disposition", `inline; filename="skillswap.ics"`)
		w.Header().Set("Cache-Control", "private, max-age=300")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}
