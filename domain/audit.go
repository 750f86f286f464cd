package domain

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// AuditEntry is one row of the append-only audit log of staff actions (and of the few changes
// the platform makes on its own behalf, such as a refund made outside the API).
type AuditEntry struct {
	ID int64 `db:"id"`
	// ActorID is the staff member who acted; nil for the platform itself (webhooks, jobs).
	ActorID *uuid.UUID `db:"actor_id"`
	// Action names what was done, "<object>.<verb>" (for example "user.roles_changed").
	Action string `db:"action"`
	// Target is the object acted on as "<kind>:<uuid>" (for example "user:…", "payment:…").
	Target string `db:"target"`
	// Details holds what changed: ids and values, never names or email addresses.
	Details   json.RawMessage `db:"details"`
	CreatedAt time.Time       `db:"created_at"`
}

// AuditTargetUser is the target of an action on a member's account.
func AuditTargetUser(id uuid.UUID) string { return "user:" + id.String() }

// AuditFilter narrows the audit log; zero fields do not filter.
type AuditFilter struct {
	ActorID *uuid.UUID
	Target  string
	Action  string
	// From and To bound created_at: From inclusive, To exclusive.
	From, To *time.Time
}
