// Package exports builds members' data exports (GDPR arts. 15 and 20: access and portability).
//
// requestDataExport (recent authentication, at most once per MinInterval) records a PENDING
// export and enqueues its build job in one transaction. The job writes a zip of JSON files (one
// per kind of data, store.ExportFiles) from one read-only snapshot, streaming rows from
// PostgreSQL into the zip so that no file is held in memory whole, stores the archive in
// PostgreSQL (any instance can serve it) and queues an email with a signed link. The link,
// served by Handler at GET /exports/{id}?token=..., needs no sign-in (it may be opened on a
// computer): its token is an HMAC over the export, its member and its expiry, checked in
// constant time before anything is read. Expired archives are deleted by a periodic job.
package exports

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
	"github.com/skillswap/skillswap/mail"
	"github.com/skillswap/skillswap/store"
)

// Accounts is what exports needs of auth.
type Accounts interface {
	// RequireRecentAuth refuses unless the actor authenticated recently (RECENT_AUTH_REQUIRED).
	RequireRecentAuth(ctx context.Context, actor domain.Actor) error
	// DataExportEmail renders the email carrying the link to an export.
	DataExportEmail(u domain.User, link string, hours int) (mail.Email, error)
}

// Config tunes exports.
type Config struct {
	// LinkTTL is how long an archive can be downloaded after it is ready (EXPORT_LINK_TTL); it
	// is deleted then.
	LinkTTL time.Duration
	// MinInterval is the least time between two exports of a member (GDPR allows refusing
	// manifestly excessive requests; a week is generous).
	MinInterval time.Duration
	// LinkKey signs download links (at least 32 bytes).
	LinkKey []byte
	// PublicURL is where links point (PUBLIC_URL), never a request's Host.
	PublicURL string
	// Now is the clock (tests move it); nil: time.Now.
	Now func() time.Time
}

// DefaultConfig holds the defaults.
var DefaultConfig = Config{LinkTTL: 72 * time.Hour, MinInterval: 7 * 24 * time.Hour, PublicURL: "http://localhost:8080"}

// MaxListed bounds User.dataExports.
const MaxListed = 20

// Service implements data exports.
type Service struct {
	store    *store.Store
	accounts Accounts
	cfg      Config
	log      *slog.Logger
}

// NewService wires the service.
func NewService(st *store.Store, accounts Accounts, cfg Config, log *slog.Logger) (*Service, error) {
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = DefaultConfig.LinkTTL
	}
	if cfg.MinInterval <= 0 {
		cfg.MinInterval = DefaultConfig.MinInterval
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = DefaultConfig.PublicURL
	}
	if len(cfg.LinkKey) < 32 {
		return nil, fmt.Errorf("exports: the link key must be at least 32 bytes, not %d", len(cfg.LinkKey))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{store: st, accounts: accounts, cfg: cfg, log: log}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Request starts an export of the actor's data. It needs a recent sign-in, and is RATE_LIMITED
// (with the time to wait) when the last export that did not fail was asked for less than
// MinInterval ago.
func (s *Service) Request(ctx context.Context, actor domain.Actor) (domain.DataExport, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return domain.DataExport{}, err
	}
	if err := s.accounts.RequireRecentAuth(ctx, actor); err != nil {
		return domain.DataExport{}, err
	}
	now := s.now()
	e := domain.DataExport{ID: uuid.Must(uuid.NewV7()), UserID: actor.ID(), State: domain.ExportPending, RequestedAt: now}
	err := s.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.LockDataExports(ctx, actor.ID()); err != nil {
			return err
		}
		last, err := q.LatestDataExport(ctx, actor.ID())
		switch {
		case err == nil:
			if next := last.RequestedAt.Add(s.cfg.MinInterval); now.Before(next) {
				rl := domain.RateLimited(next.Sub(now)).WithText("you can ask for one data export a week; the last one is listed in viewer.dataExports")
				rl.Details = map[string]any{"retryAt": next.Format(time.RFC3339)}
				return rl
			}
		case !domain.IsKind(err, domain.KindNotFound):
			return err
		}
		if err := q.InsertDataExport(ctx, e); err != nil {
			return err
		}
		return q.EnqueueJob(ctx, BuildArgs{ExportID: e.ID}, nil)
	})
	if err != nil {
		return domain.DataExport{}, fmt.Errorf("request data export: %w", err)
	}
	return e, nil
}

// List returns a member's exports, newest first; only the member themselves may read them.
func (s *Service) List(ctx context.Context, actor domain.Actor, userID uuid.UUID, limit int) ([]domain.DataExport, error) {
	if err := actor.RequireSignedIn(); err != nil {
		return nil, err
	}
	if actor.ID() != userID {
		return nil, domain.Forbidden("only the member themselves can see their data exports")
	}
	if limit < 1 || limit > MaxListed {
		return nil, domain.Invalid("first", "must be between 1 and %d", MaxListed)
	}
	es, err := s.store.Q().ListDataExports(ctx, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list data exports: %w", err)
	}
	return es, nil
}

// Now is the service's clock, for resolvers showing states (domain.DataExport.StateAt).
func (s *Service) Now() time.Time { return s.now() }

// readme opens every archive.
const readme = `This archive holds the personal data SkillSwap keeps about you, as JSON files (UTF-8), one
per kind of data: each is an array with one object per record, with the column names of our
database. Times are in UTC (RFC 3339). Ids of other members appear where you dealt with them
(conversations, sessions, reviews, payments); nothing else of theirs is included. Secrets
(password and token digests, second-factor secrets, payment client secrets) are never exported.
`

// Build writes the archive of a PENDING export, stores it and queues the email with its link.
// An export that is not PENDING any more (a retried job after a success) is left alone.
func (s *Service) Build(ctx context.Context, id uuid.UUID) error {
	e, err := s.store.Q().DataExportByID(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("build data export: %w", err)
	}
	if e.State != domain.ExportPending {
		return nil
	}
	var buf bytes.Buffer
	if err := s.WriteArchive(ctx, &buf, e.UserID); err != nil {
		return fmt.Errorf("build data export %s: %w", id, err)
	}
	now := s.now()
	err = s.store.InTx(ctx, func(q *store.Queries) error {
		ok, err := q.SetDataExportReady(ctx, id, buf.Bytes(), now, now.Add(s.cfg.LinkTTL))
		if err != nil || !ok {
			return err
		}
		return q.EnqueueJob(ctx, EmailArgs{ExportID: id}, nil)
	})
	if err != nil {
		return fmt.Errorf("build data export %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "data export ready", "export_id", id, "user_id", e.UserID, "bytes", buf.Len())
	return nil
}

// WriteArchive writes the zip of userID's data to w, every file from one snapshot; rows are
// copied from PostgreSQL into the zip one at a time.
func (s *Service) WriteArchive(ctx context.Context, w interface{ Write([]byte) (int, error) }, userID uuid.UUID) error {
	zw := zip.NewWriter(w)
	modified := s.now()
	create := func(name string) (interface{ Write([]byte) (int, error) }, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	}
	f, err := create("README.txt")
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(readme)); err != nil {
		return err
	}
	err = s.store.InReadOnlySnapshot(ctx, func(q *store.Queries) error {
		for _, file := range store.ExportFiles {
			f, err := create(file.Name)
			if err != nil {
				return err
			}
			if _, err := f.Write([]byte("[")); err != nil {
				return err
			}
			sep := []byte("\n")
			err = q.StreamExportFile(ctx, file, userID, func(row []byte) error {
				if _, err := f.Write(sep); err != nil {
					return err
				}
				sep = []byte(",\n")
				_, err := f.Write(row)
				return err
			})
			if err != nil {
				return err
			}
			if _, err := f.Write([]byte("\n]\n")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return zw.Close()
}

// Fail marks an export FAILED (its build job gave up); the member may ask again at once.
func (s *Service) Fail(ctx context.Context, id uuid.UUID) error {
	return s.store.Q().SetDataExportFailed(ctx, id)
}

// Expire deletes the archives whose link expired; it returns how many.
func (s *Service) Expire(ctx context.Context) (int64, error) {
	n, err := s.store.Q().ExpireDataExports(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("expire data exports: %w", err)
	}
	return n, nil
}

// tokenLen is the decoded size of a link token: member id, expiry (Unix seconds) and MAC.
const tokenLen = 16 + 8 + sha256.Size

// mac signs an export's link: the export, its member and the link's expiry.
func (s *Service) mac(exportID, userID uuid.UUID, expires int64) []byte {
	h := hmac.New(sha256.New, s.cfg.LinkKey)
	h.Write([]byte("skillswap data export link v1\x00"))
	h.Write(exportID[:])
	h.Write(userID[:])
	_ = binary.Write(h, binary.BigEndian, expires)
	return h.Sum(nil)
}

// Link returns the signed download link of a READY export.
func (s *Service) Link(e domain.DataExport) string {
	expires := e.ExpiresAt.Unix()
	tok := make([]byte, 0, tokenLen)
	tok = append(tok, e.UserID[:]...)
	tok = binary.BigEndian.AppendUint64(tok, uint64(expires))
	tok = append(tok, s.mac(e.ID, e.UserID, expires)...)
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/exports/" + e.ID.String() +
		"?token=" + url.QueryEscape(base64.RawURLEncoding.EncodeToString(tok))
}

// errLinkExpired is answered to a genuine link past its expiry (403): the member asks again.
var errLinkExpired = domain.Forbidden("this link has expired: ask for a new export in the app")

// Download checks a link's token and returns the archive. A token that is not ours (malformed,
// tampered, for another export) and an export that is gone are one NOT_FOUND; a genuine but
// expired link is FORBIDDEN.
func (s *Service) Download(ctx context.Context, exportID, token string) ([]byte, domain.DataExport, error) {
	notFound := domain.NotFound("data export")
	id, err := uuid.Parse(exportID)
	if err != nil || len(token) > 2*tokenLen {
		return nil, domain.DataExport{}, notFound
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != tokenLen {
		return nil, domain.DataExport{}, notFound
	}
	userID := uuid.UUID(raw[:16])
	expires := int64(binary.BigEndian.Uint64(raw[16:24]))
	if !hmac.Equal(raw[24:], s.mac(id, userID, expires)) {
		return nil, domain.DataExport{}, notFound
	}
	now := s.now()
	if now.Unix() >= expires {
		return nil, domain.DataExport{}, errLinkExpired
	}
	archive, err := s.store.Q().DataExportArchive(ctx, id, userID, now)
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			return nil, domain.DataExport{}, notFound
		}
		return nil, domain.DataExport{}, fmt.Errorf("download data export: %w", err)
	}
	return archive, domain.DataExport{ID: id, UserID: userID}, nil
}

// sendEmail emails the member the link of a READY export.
func (s *Service) sendEmail(ctx context.Context, mailer Mailer, id uuid.UUID) error {
	e, err := s.store.Q().DataExportByID(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data export email: %w", err)
	}
	if e.StateAt(s.now()) != domain.ExportReady {
		return nil
	}
	users, err := s.store.Q().UsersByIDs(ctx, []uuid.UUID{e.UserID})
	if err != nil {
		return fmt.Errorf("data export email: %w", err)
	}
	u, ok := users[e.UserID]
	if !ok {
		return nil
	}
	msg, err := s.accounts.DataExportEmail(u, s.Link(e), int(s.cfg.LinkTTL.Hours()))
	if err != nil {
		return err
	}
	return mailer.Send(ctx, msg)
}
