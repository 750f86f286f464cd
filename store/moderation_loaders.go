package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/skillswap/skillswap/domain"
)

// The batch loads behind the moderation dataloaders: a page of the queue with its reports,
// notes and people, and the staff's view of the cases about members, in a constant number of
// statements.

// ModerationCasesByIDs loads cases; missing ids are absent (dataloader source).
func (q *Queries) ModerationCasesByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.ModerationCase, error) {
	return keyedRows(ctx, q.db, "select moderation cases", "moderation case",
		func(c domain.ModerationCase) uuid.UUID { return c.ID },
		`SELECT `+caseColumns+` FROM moderation_cases WHERE id = ANY($1)`, ids)
}

// ReportsByCaseIDs loads the reports of cases, each case's oldest first; cases without
// reports are absent (dataloader source).
func (q *Queries) ReportsByCaseIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.ModerationReport, error) {
	return groupedRows(ctx, q.db, "select moderation reports", "moderation report", len(ids),
		func(r domain.ModerationReport) uuid.UUID { return r.CaseID }, `
		SELECT id, case_id, reporter_id, category, text, snapshot, review_report_id, created_at
		FROM moderation_reports WHERE case_id = ANY($1) ORDER BY case_id, id`, ids)
}

// NotesByCaseIDs loads the notes of cases, each case's oldest first; cases without notes are
// absent (dataloader source).
func (q *Queries) NotesByCaseIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]domain.ModerationNote, error) {
	return groupedRows(ctx, q.db, "select moderation notes", "moderation note", len(ids),
		func(n domain.ModerationNote) uuid.UUID { return n.CaseID }, `
		SELECT id, case_id, author_id, body, created_at
		FROM moderation_notes WHERE case_id = ANY($1) ORDER BY case_id, id`, ids)
}

// ModerationCasesOfSubjects loads, for each member, up to limit cases about them in any state,
// newest first, strictly older than after when set (User.moderationCases); members without
// cases are absent. One statement: an index range of moderation_cases_subject_all_idx per
// member.
func (q *Queries) ModerationCasesOfSubjects(ctx context.Context, subjects []uuid.UUID, after *uuid.UUID, limit int) (map[uuid.UUID][]domain.ModerationCase, error) {
	return groupedRows(ctx, q.db, "select moderation cases of members", "moderation case", len(subjects),
		func(c domain.ModerationCase) uuid.UUID { return *c.SubjectID }, `
		SELECT c.* FROM unnest($1::uuid[]) AS s(id)
		CROSS JOIN LATERAL (
			SELECT `+caseColumns+` FROM moderation_cases
			WHERE subject_id = s.id AND ($2::uuid IS NULL OR id < $2)
			ORDER BY id DESC LIMIT $3
		) c ORDER BY c.subject_id, c.id DESC`, subjects, after, limit)
}
