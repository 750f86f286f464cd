package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const consentColumns = `id, user_id, document, version, granted, source, ip, created_at`

// RecordConsents appends consents to the history and copies them onto the account (the accepted
// versions, the marketing choice) in the same statement, so the two never disagree. It returns
// the account as it is now.
func (q *Queries) RecordConsents(ctx context.Context, userID uuid.UUID, cs []domain.Consent) (domain.User, error) {
	ids := make([]uuid.UUID, len(cs))
	docs := make([]string, len(cs))
	versions := make([]string, len(cs))
	granted := make([]bool, len(cs))
	sources := make([]string, len(cs))
	ips := make([]*string, len(cs))
	ats := make([]time.Time, len(cs))
	for i, c := range cs {
		ids[i], docs[i], versions[i], granted[i], sources[i], ats[i] =
			c.ID, string(c.Document), c.Version, c.Granted, string(c.Source), c.CreatedAt
		if c.IP != nil && c.IP.IsValid() {
			s := c.IP.String()
			ips[i] = &s
		}
	}
	rows, err := q.db.Query(ctx, `
		WITH c AS (
			INSERT INTO consents (id, user_id, document, version, granted, source, ip, created_at)
			SELECT i, $1, d, v, g, s, ip::inet, a
			FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::text[], $8::timestamptz[])
			     AS x(i, d, v, g, s, ip, a)
			RETURNING document, version, granted, created_at, id
		), last AS (
			SELECT DISTINCT ON (document) document, version, granted FROM c ORDER BY document, created_at DESC, id DESC
		)
		UPDATE users u SET
			terms_version = COALESCE((SELECT version FROM last WHERE document = 'TERMS' AND granted), u.terms_version),
			privacy_version = COALESCE((SELECT version FROM last WHERE document = 'PRIVACY_POLICY' AND granted), u.privacy_version),
			marketing_consent = COALESCE((SELECT granted FROM last WHERE document = 'MARKETING'), u.marketing_consent),
			updated_at = GREATEST(u.updated_at, (SELECT max(created_at) FROM c))
		WHERE u.id = $1
		RETURNING `+userColumns,
		userID, ids, docs, versions, granted, sources, ips, ats)
	if err != nil {
		return domain.User{}, mapErr(err, "insert consents", "user", "")
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.User])
	return u, mapErr(err, "insert consents", "user", "")
}

// ListConsents returns a member's consent history, newest first, at most limit rows.
func (q *Queries) ListConsents(ctx context.Context, userID uuid.UUID, limit int) ([]domain.Consent, error) {
	rows, err := q.db.Query(ctx, `SELECT `+consentColumns+` FROM consents WHERE user_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, mapErr(err, "select consents", "consent", "")
	}
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Consent])
	return cs, mapErr(err, "select consents", "consent", "")
}
