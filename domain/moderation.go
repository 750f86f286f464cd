package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// ReportTargetType says what a moderation report is about.
type ReportTargetType string

// Report targets.
const (
	TargetMember        ReportTargetType = "MEMBER"
	TargetMessage       ReportTargetType = "MESSAGE"
	TargetReview        ReportTargetType = "REVIEW"
	TargetSkillProposal ReportTargetType = "SKILL_PROPOSAL"
)

// Valid reports whether t is a known target type.
func (t ReportTargetType) Valid() bool {
	switch t {
	case TargetMember, TargetMessage, TargetReview, TargetSkillProposal:
		return true
	}
	return false
}

// ReportCategory classifies a report; SAFETY and ILLEGAL_CONTENT make a case urgent.
type ReportCategory string

// Report categories.
const (
	CategorySpam           ReportCategory = "SPAM"
	CategoryHarassment     ReportCategory = "HARASSMENT"
	CategoryInappropriate  ReportCategory = "INAPPROPRIATE"
	CategoryScam           ReportCategory = "SCAM"
	CategorySafety         ReportCategory = "SAFETY"
	CategoryIllegalContent ReportCategory = "ILLEGAL_CONTENT"
	CategoryOther          ReportCategory = "OTHER"
)

// Valid reports whether c is a known category.
func (c ReportCategory) Valid() bool {
	switch c {
	case CategorySpam, CategoryHarassment, CategoryInappropriate, CategoryScam, CategorySafety, CategoryIllegalContent, CategoryOther:
		return true
	}
	return false
}

// Urgent reports whether reports of this category put their case at the head of the queue.
func (c ReportCategory) Urgent() bool { return c == CategorySafety || c == CategoryIllegalContent }

// CategoryOfReviewReason maps a reason of the deprecated reportReview to a report category.
func CategoryOfReviewReason(r ReviewReportReason) ReportCategory {
	switch r {
	case ReportSpam:
		return CategorySpam
	case ReportAbusive:
		return CategoryHarassment
	case ReportOffTopic, ReportFalse:
		return CategoryInappropriate
	case ReportPersonalData:
		return CategoryIllegalContent
	}
	return CategoryOther
}

// CaseState is where a moderation case is in its life.
type CaseState string

// Case states.
const (
	CaseOpen     CaseState = "OPEN"
	CaseInReview CaseState = "IN_REVIEW"
	CaseDecided  CaseState = "DECIDED"
)

// Valid reports whether s is a known state.
func (s CaseState) Valid() bool { return s == CaseOpen || s == CaseInReview || s == CaseDecided }

// CaseDecision is the outcome of a decided case.
type CaseDecision string

// Decisions.
const (
	DecisionNoAction    CaseDecision = "NO_ACTION"
	DecisionActionTaken CaseDecision = "ACTION_TAKEN"
)

// Valid reports whether d is a known decision.
func (d CaseDecision) Valid() bool { return d == DecisionNoAction || d == DecisionActionTaken }

// ModerationCase groups the reports on one target until a moderator decides it.
type ModerationCase struct {
	ID                 uuid.UUID        `db:"id"`
	TargetType         ReportTargetType `db:"target_type"`
	TargetID           uuid.UUID        `db:"target_id"`
	SubjectID          *uuid.UUID       `db:"subject_id"`
	State              CaseState        `db:"state"`
	Urgent             bool             `db:"urgent"`
	ReporterCount      int              `db:"reporter_count"`
	AssigneeID         *uuid.UUID       `db:"assignee_id"`
	Decision           *CaseDecision    `db:"decision"`
	StatementOfReasons *string          `db:"statement_of_reasons"`
	DecidedBy          *uuid.UUID       `db:"decided_by"`
	DecidedAt          *time.Time       `db:"decided_at"`
	CreatedAt          time.Time        `db:"created_at"`
	UpdatedAt          time.Time        `db:"updated_at"`
}

// ModerationReport is one member's report, with the target as it was when reported.
type ModerationReport struct {
	ID         uuid.UUID      `db:"id"`
	CaseID     uuid.UUID      `db:"case_id"`
	ReporterID uuid.UUID      `db:"reporter_id"`
	Category   ReportCategory `db:"category"`
	Text       string         `db:"text"`
	// Snapshot is a JSON object whose shape depends on the case's target type.
	Snapshot       json.RawMessage `db:"snapshot"`
	ReviewReportID *uuid.UUID      `db:"review_report_id"`
	CreatedAt      time.Time       `db:"created_at"`
}

// ModerationNote is a staff-only note on a case.
type ModerationNote struct {
	ID        uuid.UUID `db:"id"`
	CaseID    uuid.UUID `db:"case_id"`
	AuthorID  uuid.UUID `db:"author_id"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
}

// CaseReceivedPayload is the payload of MODERATION_REPORT_RECEIVED and
// MODERATION_CASE_DECIDED notifications: ids only, never the reported content.
type CaseReceivedPayload struct {
	CaseID   uuid.UUID     `json:"caseId"`
	ReportID uuid.UUID     `json:"reportId"`
	Decision *CaseDecision `json:"decision,omitempty"`
}
