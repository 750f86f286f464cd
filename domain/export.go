package domain

import (
	"time"

	"github.com/google/uuid"
)

// DataExportState is where a data export stands.
type DataExportState string

// Data export states.
const (
	// ExportPending: the archive is being built.
	ExportPending DataExportState = "PENDING"
	// ExportReady: the archive can be downloaded through the emailed link until ExpiresAt.
	ExportReady DataExportState = "READY"
	// ExportExpired: the link expired and the archive was (or is about to be) deleted.
	ExportExpired DataExportState = "EXPIRED"
	// ExportFailed: building the archive failed; the member may ask again.
	ExportFailed DataExportState = "FAILED"
)

// DataExport is a member's request for a copy of their data (GDPR arts. 15 and 20).
type DataExport struct {
	ID          uuid.UUID       `db:"id"`
	UserID      uuid.UUID       `db:"user_id"`
	State       DataExportState `db:"state"`
	RequestedAt time.Time       `db:"requested_at"`
	ReadyAt     *time.Time      `db:"ready_at"`
	ExpiresAt   *time.Time      `db:"expires_at"`
	SizeBytes   *int64          `db:"size_bytes"`
}

// StateAt is the export's state at now: a READY export whose link has expired is EXPIRED even
// before the periodic job deleted its archive.
func (e DataExport) StateAt(now time.Time) DataExportState {
	if e.State == ExportReady && e.ExpiresAt != nil && !now.Before(*e.ExpiresAt) {
		return ExportExpired
	}
	return e.State
}
