package domain

import (
	"time"

	"github.com/google/uuid"
)

// SanctionKind is what a moderator imposes on a member.
type SanctionKind string

// Sanction kinds.
const (
	// SanctionWarning records a warning; nothing else changes.
	SanctionWarning SanctionKind = "WARNING"
	// SanctionContentRemoval removes one message (tombstoned) or review (hidden).
	SanctionContentRemoval SanctionKind = "CONTENT_REMOVAL"
	// SanctionLimit forbids new conversations and session proposals until it ends.
	SanctionLimit SanctionKind = "LIMIT"
	// SanctionSuspension suspends the account until it ends.
	SanctionSuspension SanctionKind = "SUSPENSION"
	// SanctionBan suspends the account for good (it can still be lifted or overturned).
	SanctionBan SanctionKind = "BAN"
)

// Valid reports whether k is a known kind.
func (k SanctionKind) Valid() bool {
	switch k {
	case SanctionWarning, SanctionContentRemoval, SanctionLimit, SanctionSuspension, SanctionBan:
		return true
	}
	return false
}

// Timed reports whether the kind takes a duration and ends by itself.
func (k SanctionKind) Timed() bool { return k == SanctionLimit || k == SanctionSuspension }

// Suspends reports whether the kind suspends the account.
func (k SanctionKind) Suspends() bool { return k == SanctionSuspension || k == SanctionBan }

// Restricts reports whether the kind stays in force for a while (it can be lifted).
func (k SanctionKind) Restricts() bool { return k.Timed() || k == SanctionBan }

// AppealWindow is how long after a sanction its member may appeal it.
const AppealWindow = 20 * 24 * time.Hour

// MaxSanctionDuration bounds a LIMIT or SUSPENSION (longer is a BAN).
const MaxSanctionDuration = 365 * 24 * time.Hour

// ReasonLimited is the extensions.reason of a FORBIDDEN answered to a limited member.
const ReasonLimited = "LIMITED"

// ReasonAppealWindowClosed is the extensions.reason of an appeal made too late.
const ReasonAppealWindowClosed = "APPEAL_WINDOW_CLOSED"

// Sanction is a measure a moderator took against a member.
type Sanction struct {
	ID                 uuid.UUID         `db:"id"`
	UserID             uuid.UUID         `db:"user_id"`
	CaseID             *uuid.UUID        `db:"case_id"`
	Kind               SanctionKind      `db:"kind"`
	ContentType        *ReportTargetType `db:"content_type"`
	ContentID          *uuid.UUID        `db:"content_id"`
	StatementOfReasons string            `db:"statement_of_reasons"`
	ImposedBy          uuid.UUID         `db:"imposed_by"`
	StartsAt           time.Time         `db:"starts_at"`
	EndsAt             *time.Time        `db:"ends_at"`
	LiftedAt           *time.Time        `db:"lifted_at"`
	LiftedBy           *uuid.UUID        `db:"lifted_by"`
	LiftReason         *string           `db:"lift_reason"`
	CreatedAt          time.Time         `db:"created_at"`
}

// ActiveAt reports whether a restricting sanction is in force at now (never for a warning or
// a content removal, which take effect once).
func (s Sanction) ActiveAt(now time.Time) bool {
	if !s.Kind.Restricts() || s.LiftedAt != nil || now.Before(s.StartsAt) {
		return false
	}
	return s.EndsAt == nil || now.Before(*s.EndsAt)
}

// AppealableUntil is the end of the sanction's appeal window.
func (s Sanction) AppealableUntil() time.Time { return s.CreatedAt.Add(AppealWindow) }

// AppealState is where an appeal is.
type AppealState string

// Appeal states.
const (
	AppealOpen       AppealState = "OPEN"
	AppealUpheld     AppealState = "UPHELD"
	AppealOverturned AppealState = "OVERTURNED"
)

// Valid reports whether s is a known state.
func (s AppealState) Valid() bool {
	return s == AppealOpen || s == AppealUpheld || s == AppealOverturned
}

// Appeal is a member's challenge of a sanction.
type Appeal struct {
	ID              uuid.UUID   `db:"id"`
	SanctionID      uuid.UUID   `db:"sanction_id"`
	UserID          uuid.UUID   `db:"user_id"`
	Text            string      `db:"text"`
	State           AppealState `db:"state"`
	DecidedBy       *uuid.UUID  `db:"decided_by"`
	DecisionReasons *string     `db:"decision_reasons"`
	DecidedAt       *time.Time  `db:"decided_at"`
	CreatedAt       time.Time   `db:"created_at"`
}

// AppealMessage is one message of an appeal's thread.
type AppealMessage struct {
	ID        uuid.UUID `db:"id"`
	AppealID  uuid.UUID `db:"appeal_id"`
	AuthorID  uuid.UUID `db:"author_id"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
	// FromModerator says a moderator wrote it (not the appellant).
	FromModerator bool `db:"from_moderator"`
}

// SanctionPayload is the payload of MODERATION_SANCTION_* and MODERATION_APPEAL_* notifications:
// ids and the kind only; the statement of reasons is read through mySanctions.
type SanctionPayload struct {
	SanctionID uuid.UUID    `json:"sanctionId"`
	Kind       SanctionKind `json:"kind"`
	AppealID   *uuid.UUID   `json:"appealId,omitempty"`
	// Decision is the appeal's outcome (MODERATION_APPEAL_DECIDED).
	Decision *AppealState `json:"decision,omitempty"`
}
