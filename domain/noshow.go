package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// NoShowDisputeStatus is where a no-show dispute of a paid session stands.
type NoShowDisputeStatus string

// No-show dispute statuses. PENDING and CONTESTED are open; UPHELD and REJECTED are final.
const (
	// NoShowPending: reported; the member reported absent may still contest until DecidesAt.
	NoShowPending NoShowDisputeStatus = "PENDING"
	// NoShowContested: the member reported absent contested the report; staff decide.
	NoShowContested NoShowDisputeStatus = "CONTESTED"
	// NoShowUpheld: the report stands (by staff, or nobody contested it in time).
	NoShowUpheld NoShowDisputeStatus = "UPHELD"
	// NoShowRejected: staff found the report wrong; the session counts as held.
	NoShowRejected NoShowDisputeStatus = "REJECTED"
)

// AllNoShowDisputeStatuses lists every status.
var AllNoShowDisputeStatuses = []NoShowDisputeStatus{NoShowPending, NoShowContested, NoShowUpheld, NoShowRejected}

// Valid reports whether s is a known status.
func (s NoShowDisputeStatus) Valid() bool {
	switch s {
	case NoShowPending, NoShowContested, NoShowUpheld, NoShowRejected:
		return true
	}
	return false
}

// Decided reports whether s is final.
func (s NoShowDisputeStatus) Decided() bool { return s == NoShowUpheld || s == NoShowRejected }

// MaxNoShowNoteLen caps contest and decision notes, in characters.
const MaxNoShowNoteLen = 1000

// NoShowDispute is the money side of a no-show report on a paid session: one member's word
// does not move money by itself. The member reported absent may contest it until DecidesAt;
// uncontested it is upheld then, contested it waits for staff.
type NoShowDispute struct {
	SessionID  uuid.UUID           `db:"session_id"`
	PaymentID  uuid.UUID           `db:"payment_id"`
	AbsentID   uuid.UUID           `db:"absent_id"`
	ReportedBy uuid.UUID           `db:"reported_by"`
	Status     NoShowDisputeStatus `db:"status"`
	// DecidesAt ends the contest window.
	DecidesAt   time.Time  `db:"decides_at"`
	ContestNote *string    `db:"contest_note"`
	ContestedAt *time.Time `db:"contested_at"`
	// DecidedBy is the staff member who decided; nil on an open dispute and on one decided by
	// the deadline.
	DecidedBy    *uuid.UUID `db:"decided_by"`
	DecisionNote *string    `db:"decision_note"`
	DecidedAt    *time.Time `db:"decided_at"`
	CreatedAt    time.Time  `db:"created_at"`
}

// IsParticipant reports whether u is one of the dispute's two members.
func (d NoShowDispute) IsParticipant(u uuid.UUID) bool { return u == d.AbsentID || u == d.ReportedBy }

// checkNote trims a contest or decision note and checks its length.
func checkNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if note == "" || len([]rune(note)) > MaxNoShowNoteLen {
		return "", Invalid("note", "give a note of 1 to %d characters", MaxNoShowNoteLen)
	}
	return note, nil
}

// Contest records actor's contest of the report at now. Only the member reported absent may
// contest (FORBIDDEN for the reporter, NOT_FOUND for anyone else), only while it is PENDING and
// before DecidesAt (CONFLICT), and with a note.
func (d *NoShowDispute) Contest(actor uuid.UUID, note string, now time.Time) error {
	switch actor {
	case d.AbsentID:
	case d.ReportedBy:
		return Forbidden("only the member reported absent can contest a no-show report")
	default:
		return NotFound("no-show dispute")
	}
	if d.Status != NoShowPending {
		return Conflict("this no-show report can no longer be contested: it is %s", d.Status)
	}
	if !now.Before(d.DecidesAt) {
		return Conflict("the time to contest this no-show report ended at %s", d.DecidesAt.UTC().Format(time.RFC3339))
	}
	note, err := checkNote(note)
	if err != nil {
		return err
	}
	d.Status = NoShowContested
	d.ContestNote = &note
	d.ContestedAt = &now
	return nil
}

// Decide closes an open dispute: upheld or rejected, by a staff member (nil: by the deadline),
// with a note. Deciding a decided dispute is a CONFLICT.
func (d *NoShowDispute) Decide(upheld bool, by *uuid.UUID, note string, now time.Time) error {
	if d.Status.Decided() {
		return Conflict("this no-show report was decided already: it is %s", d.Status)
	}
	note, err := checkNote(note)
	if err != nil {
		return err
	}
	d.Status = NoShowRejected
	if upheld {
		d.Status = NoShowUpheld
	}
	d.DecidedBy = by
	d.DecisionNote = &note
	d.DecidedAt = &now
	return nil
}

// RefundsPayer reports whether the decided dispute gives the payer their money back: the
// report was upheld and the member absent was the payee (the mentor did not come). Every other
// outcome means the mentor is paid: the session happened, or the learner missed a slot the
// mentor kept free.
func (d NoShowDispute) RefundsPayer(payeeID uuid.UUID) bool {
	return d.Status == NoShowUpheld && d.AbsentID == payeeID
}

// NoShowDisputePayload is the payload of NO_SHOW_CONTESTED and NO_SHOW_DECIDED notifications.
type NoShowDisputePayload struct {
	SessionID uuid.UUID           `json:"sessionId"`
	Status    NoShowDisputeStatus `json:"status"`
	AbsentID  uuid.UUID           `json:"absentId"`
	// RefundsPayer is set on NO_SHOW_DECIDED: true when the learner gets their money back.
	RefundsPayer bool `json:"refundsPayer"`
}

// Stripe dispute (chargeback) statuses that end a dispute: a closed dispute is never reopened
// by an older event.
var closedDisputeStatuses = []string{"won", "lost", "warning_closed"}

// DisputeClosed reports whether a Stripe dispute status is final.
func DisputeClosed(status string) bool {
	return slices.Contains(closedDisputeStatuses, status)
}

// disputeRank orders Stripe dispute statuses along their life (an inquiry, warning_*, may
// escalate to a dispute); it breaks ties between events created in the same second.
var disputeRank = map[string]int{
	"warning_needs_response": 0, "warning_under_review": 1, "needs_response": 2, "under_review": 3,
	"warning_closed": 4, "won": 4, "lost": 4,
}

// ApplyDispute returns p with a chargeback as a charge.dispute.* event created at
// eventCreated reports it (dispute id, Stripe status, disputed amount, the dispute's opening
// time), and whether that changed anything. Events arrive in any order: a closed dispute (won,
// lost, warning_closed) stays closed, an event older than the last one applied is ignored, and
// of two events of the same second the later status in a dispute's life wins.
func (p Payment) ApplyDispute(id, status string, amountMinor int64, openedAt, eventCreated time.Time) (Payment, bool) {
	if p.DisputeStatus != nil {
		cur := *p.DisputeStatus
		if DisputeClosed(cur) {
			return p, false
		}
		if last := p.DisputeEventCreated; last != nil {
			if eventCreated.Before(*last) || (eventCreated.Equal(*last) && disputeRank[status] < disputeRank[cur]) {
				return p, false
			}
		}
	}
	next := p
	next.StripeDisputeID = &id
	next.DisputeStatus = &status
	next.DisputedAmountMinor = &amountMinor
	if next.DisputedAt == nil {
		next.DisputedAt = &openedAt
	}
	next.DisputeEventCreated = &eventCreated
	return next, true
}
