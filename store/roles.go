package store

import (
	"unsafe"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/skillswap/skillswap/domain"
)

// registerRoles lets pgx scan a text[] into []domain.Role as it scans into []string. Left to
// itself it scans a slice of a named type by reflection, planning each element's scan again: a
// user's roles cost an eighth of the CPU of a page of members (bench/README.md, issue 18).
func registerRoles(m *pgtype.Map) {
	m.TryWrapScanPlanFuncs = append([]pgtype.TryWrapScanPlanFunc{tryWrapRoles}, m.TryWrapScanPlanFuncs...)
}

// tryWrapRoles is a pgtype.TryWrapScanPlanFunc: it hands pgx a *[]domain.Role as the *[]string
// it is (domain.Role is a string: the two slices have the same layout), which pgx's own
// wrappers then scan without reflection.
func tryWrapRoles(target any) (plan pgtype.WrappedScanPlanNextSetter, next any, ok bool) {
	roles, ok := target.(*[]domain.Role)
	if !ok {
		return nil, nil, false
	}
	return &rolesScanPlan{}, (*[]string)(unsafe.Pointer(roles)), true
}

type rolesScanPlan struct{ next pgtype.ScanPlan }

func (p *rolesScanPlan) SetNext(next pgtype.ScanPlan) { p.next = next }

func (p *rolesScanPlan) Scan(src []byte, target any) error {
	return p.next.Scan(src, (*[]string)(unsafe.Pointer(target.(*[]domain.Role))))
}
