package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

const reviewColumns = `id, session_id, reviewer_id, reviewee_id, rating, comment, tags, created_at, visible_at, hidden_at`

// InsertReview stores a review; a second review of one session by one reviewer is a CONFLICT
// (reviews_session_reviewer_key).
func (q *Queries) InsertReview(ctx context.Context, r domain.Review) (domain.Review, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO reviews (id, session_id, reviewer_id, reviewee_id, rating, comment, tags, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING `+reviewColumns,
		r.ID, r.SessionID, r.ReviewerID, r.RevieweeID, r.Rating, r.Comment, r.Tags, r.CreatedAt)
	if err != nil {
		return domain.Review{}, mapErr(err, "insert review", "review", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Review])
	return out, mapErr(err, "insert review", "review", "you already reviewed this session")
}

// ReviewByID loads one review, visible or not (callers apply visibility).
func (q *Queries) ReviewByID(ctx context.Context, id uuid.UUID) (domain.Review, error) {
	rows, err := q.db.Query(ctx, `SELECT `+reviewColumns+` FROM reviews WHERE id = $1`, id)
	if err != nil {
		return domain.Review{}, mapErr(err, "select review", "review", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Review])
	return out, mapErr(err, "select review", "review", "")
}

// ReviewsByIDs loads reviews, visible or not (callers apply visibility); missing ids are absent
// (dataloader source).
func (q *Queries) ReviewsByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Review, error) {
	return keyedRows(ctx, q.db, "select reviews", "review",
		func(r domain.Review) uuid.UUID { return r.ID },
		`SELECT `+reviewColumns+` FROM reviews WHERE id = ANY($1)`, uuidArgs(ids))
}

// CountSessionReviews returns how many reviews a session has.
func (q *Queries) CountSessionReviews(ctx context.Context, sessionID uuid.UUID) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, `SELECT count(*) FROM reviews WHERE session_id = $1`, sessionID).Scan(&n)
	return n, mapErr(err, "count reviews", "review", "")
}

// RevealSessionReviews makes a session's hidden reviews visible at now and returns those it
// revealed (none when already revealed, so revealing twice changes nothing).
func (q *Queries) RevealSessionReviews(ctx context.Context, sessionID uuid.UUID, now time.Time) ([]domain.Review, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE reviews SET visible_at = $2 WHERE session_id = $1 AND visible_at IS NULL
		RETURNING `+reviewColumns, sessionID, now)
	if err != nil {
		return nil, mapErr(err, "reveal reviews", "review", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Review])
	return out, mapErr(err, "reveal reviews", "review", "")
}

// AddRating adds one visible review's rating to the reviewee's aggregate, recomputing the
// Bayesian score with the domain priors in the same statement.
func (q *Queries) AddRating(ctx context.Context, userID uuid.UUID, rating int, now time.Time) error {
	_, err := q.db.Exec(ctx, `
		INSERT INTO member_ratings AS m (user_id, count, sum, bayesian, updated_at)
		VALUES ($1, 1, $2::bigint, ($3::float8 * $4::float8 + $2::bigint) / ($4::float8 + 1), $5)
		ON CONFLICT (user_id) DO UPDATE SET
			count = m.count + 1, sum = m.sum + $2::bigint,
			bayesian = ($3::float8 * $4::float8 + m.sum + $2::bigint) / ($4::float8 + m.count + 1),
			updated_at = $5`,
		userID, int64(rating), domain.RatingPriorMean, domain.RatingPriorWeight, now)
	return mapErr(err, "update member rating", "rating", "")
}

// RatingsByUserIDs loads rating aggregates; members never reviewed are absent (dataloader
// source; callers use domain.EmptyRating for them).
func (q *Queries) RatingsByUserIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.MemberRating, error) {
	return keyedRows(ctx, q.db, "select ratings", "rating",
		func(r domain.MemberRating) uuid.UUID { return r.UserID }, `
		SELECT user_id, count, sum, mean, bayesian, updated_at FROM member_ratings WHERE user_id = ANY($1)`, uuidArgs(ids))
}

// ReviewsBySessionIDs loads the reviews of sessions that viewer may read: visible ones and
// viewer's own (dataloader source; a hidden review of the partner never leaves the database).
func (q *Queries) ReviewsBySessionIDs(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]domain.Review, error) {
	return groupedRows(ctx, q.db, "select session reviews", "review", len(ids),
		func(r domain.Review) uuid.UUID { return r.SessionID }, `
		SELECT `+reviewColumns+` FROM reviews
		WHERE session_id = ANY($1) AND (visible_at IS NOT NULL AND hidden_at IS NULL OR reviewer_id = $2)
		ORDER BY session_id, id`, uuidArgs(ids), viewer)
}

// ReviewStatesBySessionIDs tells, per session, whether viewer and their partner reviewed and
// whether reviews are revealed (dataloader source). Sessions without reviews are absent.
func (q *Queries) ReviewStatesBySessionIDs(ctx context.Context, viewer uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]domain.SessionReviewState, error) {
	return keyedRows(ctx, q.db, "select review states", "review",
		func(s domain.SessionReviewState) uuid.UUID { return s.SessionID }, `
		SELECT session_id,
			bool_or(reviewer_id = $2) AS viewer_reviewed,
			bool_or(reviewer_id <> $2) AS partner_reviewed,
			bool_or(visible_at IS NOT NULL) AS revealed
		FROM reviews WHERE session_id = ANY($1)
		GROUP BY session_id`, uuidArgs(ids), viewer)
}

// ReviewsReceived lists the visible reviews a member received, newest first, strictly older
// than after when set.
func (q *Queries) ReviewsReceived(ctx context.Context, userID uuid.UUID, after *uuid.UUID, limit int) ([]domain.Review, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+reviewColumns+` FROM reviews
		WHERE reviewee_id = $1 AND visible_at IS NOT NULL AND hidden_at IS NULL AND ($2::uuid IS NULL OR id < $2)
		ORDER BY id DESC LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, mapErr(err, "list reviews received", "review", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.Review])
	return out, mapErr(err, "list reviews received", "review", "")
}

// InsertReviewReport records a report; reporting one review twice is a CONFLICT.
func (q *Queries) InsertReviewReport(ctx context.Context, r domain.ReviewReport) (domain.ReviewReport, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO review_reports (id, review_id, reporter_id, reason, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id, review_id, reporter_id, reason, note, status, created_at`,
		r.ID, r.ReviewID, r.ReporterID, r.Reason, r.Note, r.CreatedAt)
	if err != nil {
		return domain.ReviewReport{}, mapErr(err, "insert review report", "review", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.ReviewReport])
	return out, mapErr(err, "insert review report", "review", "you already reported this review")
}

// OpenReviewReports lists reports awaiting moderation, oldest first, after the given id.
func (q *Queries) OpenReviewReports(ctx context.Context, after *uuid.UUID, limit int) ([]domain.ReviewReport, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, review_id, reporter_id, reason, note, status, created_at FROM review_reports
		WHERE status = 'OPEN' AND ($1::uuid IS NULL OR id > $1)
		ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, mapErr(err, "list review reports", "review", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.ReviewReport])
	return out, mapErr(err, "list review reports", "review", "")
}

// ReviewReportByID loads one review report (node lookups by moderators).
func (q *Queries) ReviewReportByID(ctx context.Context, id uuid.UUID) (domain.ReviewReport, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, review_id, reporter_id, reason, note, status, created_at FROM review_reports WHERE id = $1`, id)
	if err != nil {
		return domain.ReviewReport{}, mapErr(err, "select review report", "review report", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.ReviewReport])
	return out, mapErr(err, "select review report", "review report", "")
}

// SetReviewHidden hides (hidden true) or shows again a review for a moderator, inside the
// caller's transaction, keeping the reviewee's rating aggregate in step: a hidden review no
// longer counts. It reports whether anything changed (hiding twice changes nothing).
func (q *Queries) SetReviewHidden(ctx context.Context, id uuid.UUID, hidden bool, now time.Time) (domain.Review, bool, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE reviews SET hidden_at = CASE WHEN $2 THEN $3::timestamptz END
		WHERE id = $1 AND (hidden_at IS NULL) = $2
		RETURNING `+reviewColumns, id, hidden, now)
	if err != nil {
		return domain.Review{}, false, mapErr(err, "hide review", "review", "")
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.Review])
	if errors.Is(err, pgx.ErrNoRows) {
		r, err := q.ReviewByID(ctx, id)
		return r, false, err
	}
	if err != nil {
		return domain.Review{}, false, mapErr(err, "hide review", "review", "")
	}
	if r.VisibleAt == nil {
		return r, true, nil // not counted yet: the aggregate is untouched
	}
	sign := int64(1)
	if hidden {
		sign = -1
	}
	_, err = q.db.Exec(ctx, `
		INSERT INTO member_ratings AS m (user_id, count, sum, bayesian, updated_at)
		VALUES ($1, 1, $2::bigint, ($3::float8 * $4::float8 + $2::bigint) / ($4::float8 + 1), $5)
		ON CONFLICT (user_id) DO UPDATE SET
			count = m.count + $6::int, sum = m.sum + $6::int * $2::bigint,
			bayesian = ($3::float8 * $4::float8 + m.sum + $6::int * $2::bigint) / ($4::float8 + m.count + $6::int),
			updated_at = $5`,
		r.RevieweeID, int64(r.Rating), domain.RatingPriorMean, domain.RatingPriorWeight, now, sign)
	return r, true, mapErr(err, "update member rating", "rating", "")
}
