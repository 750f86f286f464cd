package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Review is what one participant of a completed session says about the other.
type Review struct {
	ID         uuid.UUID  `db:"id"`
	SessionID  uuid.UUID  `db:"session_id"`
	ReviewerID uuid.UUID  `db:"reviewer_id"`
	RevieweeID uuid.UUID  `db:"reviewee_id"`
	Rating     int        `db:"rating"`
	Comment    string     `db:"comment"`
	Tags       []string   `db:"tags"`
	CreatedAt  time.Time  `db:"created_at"`
	VisibleAt  *time.Time `db:"visible_at"`
	// HiddenAt is when a moderator removed the review (a CONTENT_REMOVAL sanction): only its
	// author still reads it.
	HiddenAt *time.Time `db:"hidden_at"`
}

// Visible reports whether the review has been revealed (double-blind rule met) and not removed
// by a moderator.
func (r Review) Visible() bool { return r.VisibleAt != nil && r.HiddenAt == nil }

// ReviewWindow is how long after completion reviews may be written; when it closes, whatever
// was written is revealed even if the other side never reviewed.
const ReviewWindow = 14 * 24 * time.Hour

// ReviewRevealAt is when reviews of a session completed at completedAt become visible at the
// latest.
func ReviewRevealAt(completedAt time.Time) time.Time { return completedAt.Add(ReviewWindow) }

// ReviewVisible is the double-blind rule: a review is visible once both participants reviewed,
// or once the review window after completion closed.
func ReviewVisible(bothReviewed bool, completedAt, now time.Time) bool {
	return bothReviewed || !now.Before(ReviewRevealAt(completedAt))
}

// Review input limits.
const (
	MaxReviewComment = 2000
	MaxReviewTags    = 10
	MaxReviewTagLen  = 30
)

// ValidateReview checks a rating, comment and tags, returning the normalised comment and tags
// (trimmed, lower-cased, de-duplicated).
func ValidateReview(rating int, comment string, tags []string) (string, []string, error) {
	if rating < 1 || rating > 5 {
		return "", nil, Invalid("rating", "must be between 1 and 5")
	}
	c, err := ValidateText("comment", comment, MaxReviewComment)
	if err != nil {
		return "", nil, err
	}
	if len(tags) > MaxReviewTags {
		return "", nil, Invalid("tags", "at most %d tags", MaxReviewTags)
	}
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxReviewTagLen {
			return "", nil, Invalid("tags", "each tag must be 1 to %d characters", MaxReviewTagLen)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return c, out, nil
}

// ReviewReportReason says why a review is reported to moderators.
type ReviewReportReason string

// Report reasons.
const (
	ReportSpam         ReviewReportReason = "SPAM"
	ReportAbusive      ReviewReportReason = "ABUSIVE"
	ReportOffTopic     ReviewReportReason = "OFF_TOPIC"
	ReportPersonalData ReviewReportReason = "PERSONAL_DATA"
	ReportFalse        ReviewReportReason = "FALSE"
	ReportOther        ReviewReportReason = "OTHER"
)

// Valid reports whether r is a known reason.
func (r ReviewReportReason) Valid() bool {
	switch r {
	case ReportSpam, ReportAbusive, ReportOffTopic, ReportPersonalData, ReportFalse, ReportOther:
		return true
	}
	return false
}

// ReviewReport is a member's report of a review, for moderation.
type ReviewReport struct {
	ID         uuid.UUID          `db:"id"`
	ReviewID   uuid.UUID          `db:"review_id"`
	ReporterID uuid.UUID          `db:"reporter_id"`
	Reason     ReviewReportReason `db:"reason"`
	Note       string             `db:"note"`
	Status     string             `db:"status"`
	CreatedAt  time.Time          `db:"created_at"`
}

// MemberRating aggregates the visible reviews a member received.
type MemberRating struct {
	UserID    uuid.UUID `db:"user_id"`
	Count     int       `db:"count"`
	Sum       int64     `db:"sum"`
	Mean      *float64  `db:"mean"`
	Bayesian  float64   `db:"bayesian"`
	UpdatedAt time.Time `db:"updated_at"`
}

// Rating priors: a member with no reviews scores RatingPriorMean, and each review moves the
// score as much as 1/RatingPriorWeight of the prior. They equal matching's priors so rankings
// and displayed scores agree.
const (
	RatingPriorMean   = 4.0
	RatingPriorWeight = 5.0
)

// BayesianRating is the mean rating shrunk towards the prior mean m with weight c:
// (c*m + sum) / (c + n).
func BayesianRating(sum float64, n int, m, c float64) float64 {
	return (c*m + sum) / (c + float64(n))
}

// EmptyRating is the aggregate of a member nobody reviewed yet.
func EmptyRating(userID uuid.UUID) MemberRating {
	return MemberRating{UserID: userID, Bayesian: BayesianRating(0, 0, RatingPriorMean, RatingPriorWeight)}
}

// SessionReviewState tells a viewer where the reviews of one of their sessions stand, without
// revealing a hidden review's content.
type SessionReviewState struct {
	SessionID uuid.UUID `db:"session_id"`
	// ViewerReviewed and PartnerReviewed say who has written their review.
	ViewerReviewed  bool `db:"viewer_reviewed"`
	PartnerReviewed bool `db:"partner_reviewed"`
	// Revealed is true once reviews of the session are visible.
	Revealed bool `db:"revealed"`
}
