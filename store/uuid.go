package store

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// registerUUID makes m write and read uuid.UUID as PostgreSQL's binary uuid: 16 bytes copied.
//
// Otherwise pgx sees uuid.UUID as a driver.Valuer and sql.Scanner: each parameter was formatted
// as text, failed the binary encoding (building an error), was parsed back and encoded; each
// uuid read was formatted as text and parsed. In the real-time benchmark that was 4 % of a
// server's CPU, and a large share of its garbage.
func registerUUID(m *pgtype.Map) {
	m.RegisterType(&pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}})
}

// uuidCodec is pgtype's UUIDCodec with a binary fast path for uuid.UUID.
type uuidCodec struct{ pgtype.UUIDCodec }

// PlanEncode implements pgtype.Codec.
func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if _, ok := value.(uuid.UUID); ok && format == pgtype.BinaryFormatCode {
		return uuidEncodePlan{}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

// PlanScan implements pgtype.Codec.
func (c uuidCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if _, ok := target.(*uuid.UUID); ok && format == pgtype.BinaryFormatCode {
		return uuidScanPlan{}
	}
	return c.UUIDCodec.PlanScan(m, oid, format, target)
}

type uuidEncodePlan struct{}

func (uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	u := value.(uuid.UUID)
	return append(buf, u[:]...), nil
}

type uuidScanPlan struct{}

// Scan reads a binary uuid. NULL reads as uuid.Nil, as uuid.UUID's own Scan does.
func (uuidScanPlan) Scan(src []byte, dst any) error {
	u := dst.(*uuid.UUID)
	if src == nil {
		*u = uuid.Nil
		return nil
	}
	if len(src) != len(u) {
		return fmt.Errorf("scan uuid: %d bytes, want %d", len(src), len(u))
	}
	copy(u[:], src)
	return nil
}
