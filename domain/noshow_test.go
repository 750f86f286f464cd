package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNoShowDisputeContest(t *testing.T) {
	absent, reporter, other := uuid.New(), uuid.New(), uuid.New()
	now := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	open := NoShowDispute{AbsentID: absent, ReportedBy: reporter, Status: NoShowPending, DecidesAt: now.Add(time.Hour)}
	for _, tc := range []struct {
		name   string
		d      NoShowDispute
		actor  uuid.UUID
		note   string
		at     time.Time
		kind   Kind
		status NoShowDisputeStatus
	}{
		{"absent member contests", open, absent, "  I was there, here is the call log ", now, 0, NoShowContested},
		{"reporter", open, reporter, "x", now, KindForbidden, NoShowPending},
		{"stranger", open, other, "x", now, KindNotFound, NoShowPending},
		{"empty note", open, absent, "   ", now, KindInvalid, NoShowPending},
		{"long note", open, absent, strings.Repeat("é", MaxNoShowNoteLen+1), now, KindInvalid, NoShowPending},
		{"at the deadline", open, absent, "x", now.Add(time.Hour), KindConflict, NoShowPending},
		{"contested already", NoShowDispute{AbsentID: absent, ReportedBy: reporter, Status: NoShowContested, DecidesAt: now.Add(time.Hour)},
			absent, "x", now, KindConflict, NoShowContested},
		{"decided", NoShowDispute{AbsentID: absent, ReportedBy: reporter, Status: NoShowUpheld, DecidesAt: now.Add(time.Hour)},
			absent, "x", now, KindConflict, NoShowUpheld},
	} {
		d := tc.d
		err := d.Contest(tc.actor, tc.note, tc.at)
		if tc.kind == 0 && err != nil || tc.kind != 0 && !IsKind(err, tc.kind) {
			t.Errorf("%s: err %v, want kind %v", tc.name, err, tc.kind)
		}
		if d.Status != tc.status {
			t.Errorf("%s: status %s, want %s", tc.name, d.Status, tc.status)
		}
		if tc.kind == 0 && (d.ContestNote == nil || *d.ContestNote != "I was there, here is the call log" || !d.ContestedAt.Equal(now)) {
			t.Errorf("%s: contest not recorded: %+v", tc.name, d)
		}
	}
}

func TestNoShowDisputeDecide(t *testing.T) {
	mentor, learner, staff := uuid.New(), uuid.New(), uuid.New()
	now := time.Now()
	for _, tc := range []struct {
		name    string
		from    NoShowDisputeStatus
		absent  uuid.UUID
		upheld  bool
		kind    Kind
		status  NoShowDisputeStatus
		refunds bool
	}{
		{"mentor absent, upheld", NoShowPending, mentor, true, 0, NoShowUpheld, true},
		{"mentor absent, rejected", NoShowContested, mentor, false, 0, NoShowRejected, false},
		{"learner absent, upheld", NoShowContested, learner, true, 0, NoShowUpheld, false},
		{"learner absent, rejected", NoShowPending, learner, false, 0, NoShowRejected, false},
		{"decided twice", NoShowUpheld, mentor, false, KindConflict, NoShowUpheld, true},
		{"rejected twice", NoShowRejected, mentor, true, KindConflict, NoShowRejected, false},
	} {
		reporter := learner
		if tc.absent == learner {
			reporter = mentor
		}
		d := NoShowDispute{AbsentID: tc.absent, ReportedBy: reporter, Status: tc.from}
		err := d.Decide(tc.upheld, &staff, "looked at the call logs", now)
		if tc.kind == 0 && err != nil || tc.kind != 0 && !IsKind(err, tc.kind) {
			t.Errorf("%s: err %v, want kind %v", tc.name, err, tc.kind)
		}
		if d.Status != tc.status || d.RefundsPayer(mentor) != tc.refunds {
			t.Errorf("%s: status %s refunds %v, want %s %v", tc.name, d.Status, d.RefundsPayer(mentor), tc.status, tc.refunds)
		}
	}
	d := NoShowDispute{AbsentID: mentor, ReportedBy: learner, Status: NoShowPending}
	if err := d.Decide(true, nil, "", now); !IsKind(err, KindInvalid) || d.Status != NoShowPending {
		t.Fatalf("decision without a note: %v, %s", err, d.Status)
	}
}

func TestPaymentApplyDisputeOutOfOrder(t *testing.T) {
	t0 := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	type ev struct {
		status string
		at     time.Time
	}
	for _, tc := range []struct {
		name   string
		events []ev
		want   string
	}{
		{"in order", []ev{{"needs_response", t0}, {"under_review", t0.Add(time.Hour)}, {"lost", t0.Add(2 * time.Hour)}}, "lost"},
		{"reversed", []ev{{"won", t0.Add(2 * time.Hour)}, {"under_review", t0.Add(time.Hour)}, {"needs_response", t0}}, "won"},
		{"closed, then a newer open event", []ev{{"lost", t0}, {"needs_response", t0.Add(time.Hour)}}, "lost"},
		{"older open event", []ev{{"under_review", t0.Add(time.Hour)}, {"needs_response", t0}}, "under_review"},
		{"same second", []ev{{"under_review", t0}, {"needs_response", t0}}, "under_review"},
	} {
		p := Payment{}
		for _, e := range tc.events {
			p, _ = p.ApplyDispute("dp_1", e.status, 4500, t0, e.at)
		}
		if p.DisputeStatus == nil || *p.DisputeStatus != tc.want || *p.DisputedAmountMinor != 4500 || !p.DisputedAt.Equal(t0) {
			t.Errorf("%s: %+v, want status %s", tc.name, p, tc.want)
		}
	}
}
