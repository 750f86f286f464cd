package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/skillswap/skillswap/domain"
)

// snapshotSQL reads a report target as the reporter sees it ($1 target id, $2 reporter id): its
// accountable member and a JSON snapshot. No row when the reporter cannot see the target (or is
// its author), which the service answers NOT_FOUND exactly as for an unknown id.
var snapshotSQL = map[domain.ReportTargetType]string{
	// A member is reportable when their profile is not hidden, or when the reporter knows them
	// anyway: a block between them (blocking hides the profile but must not stop a report of
	// harassment) or a shared conversation.
	domain.TargetMember: `
		SELECT u.id, jsonb_build_object(
			'memberId', u.id, 'displayName', u.display_name, 'bio', coalesce(p.bio, ''),
			'city', p.city, 'country', p.country, 'avatarUrl', p.avatar_url,
			'skills', coalesce((SELECT jsonb_agg(jsonb_build_object('skill', s.name_en, 'kind', ms.kind,
				'level', ms.level, 'description', ms.description) ORDER BY s.name_en)
				FROM member_skills ms JOIN skills s ON s.id = ms.skill_id WHERE ms.user_id = u.id), '[]'::jsonb))
		FROM users u LEFT JOIN profiles p ON p.user_id = u.id
		WHERE u.id = $1 AND u.id <> $2 AND (
			coalesce(p.visibility, 'MEMBERS') <> 'HIDDEN'
			OR EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id, b.blocked_id) IN (($1, $2), ($2, $1)))
			OR EXISTS (SELECT 1 FROM conversation_participants a JOIN conversation_participants o
				ON o.conversation_id = a.conversation_id WHERE a.user_id = $2 AND o.user_id = $1))`,
	// A message only in a conversation the reporter takes or took part in, from someone else.
	domain.TargetMessage: `
		SELECT m.sender_id, jsonb_build_object(
			'messageId', m.id, 'conversationId', m.conversation_id, 'seq', m.seq,
			'senderId', m.sender_id, 'senderName', u.display_name, 'body', m.body,
			'attachmentUrl', m.attachment_url, 'sentAt', m.created_at, 'editedAt', m.edited_at)
		FROM messages m
		JOIN conversation_participants cp ON cp.conversation_id = m.conversation_id AND cp.user_id = $2
		JOIN users u ON u.id = m.sender_id
		WHERE m.id = $1 AND m.deleted_at IS NULL AND m.sender_id <> $2`,
	// A revealed review written by someone else.
	domain.TargetReview: `
		SELECT r.reviewer_id, jsonb_build_object(
			'reviewId', r.id, 'sessionId', r.session_id, 'reviewerId', r.reviewer_id,
			'reviewerName', u.display_name, 'revieweeId', r.reviewee_id, 'rating', r.rating,
			'comment', r.comment, 'tags', r.tags, 'writtenAt', r.created_at)
		FROM reviews r JOIN users u ON u.id = r.reviewer_id
		WHERE r.id = $1 AND r.visible_at IS NOT NULL AND r.hidden_at IS NULL AND r.reviewer_id <> $2`,
	// A member-proposed skill once approved into the catalogue (pending ones are seen by their
	// proposer and staff only).
	domain.TargetSkillProposal: `
		SELECT s.proposed_by, jsonb_build_object(
			'skillId', s.id, 'slug', s.slug, 'nameEn', s.name_en, 'nameFr', s.name_fr,
			'synonyms', s.synonyms, 'categoryId', s.category_id, 'proposedBy', s.proposed_by,
			'status', s.status, 'proposedAt', s.created_at)
		FROM skills s
		WHERE s.id = $1 AND s.status = 'APPROVED' AND s.proposed_by IS NOT NULL AND s.proposed_by <> $2`,
}

// ReportSnapshot reads the target of a report as reporter sees it: the member accountable for
// it and a JSON snapshot of its content. NOT_FOUND when reporter cannot see it.
func (q *Queries) ReportSnapshot(ctx context.Context, typ domain.ReportTargetType, targetID, reporter uuid.UUID) (uuid.UUID, json.RawMessage, error) {
	query, ok := snapshotSQL[typ]
	if !ok {
		return uuid.Nil, nil, fmt.Errorf("report snapshot: unknown target type %q", typ)
	}
	var subject uuid.UUID
	var snap []byte
	err := q.db.QueryRow(ctx, query, targetID, reporter).Scan(&subject, &snap)
	if err != nil {
		return uuid.Nil, nil, mapErr(err, "report snapshot", "target", "")
	}
	return subject, snap, nil
}

const caseColumns = `id, target_type, target_id, subject_id, state, urgent, reporter_count, assignee_id,
	decision, statement_of_reasons, decided_by, decided_at, created_at, updated_at`

// OpenCaseForTarget returns the undecided case of a target, creating it when there is none,
// locked for the rest of the transaction (concurrent reports of one target serialise on it).
func (q *Queries) OpenCaseForTarget(ctx context.Context, c domain.ModerationCase) (domain.ModerationCase, error) {
	// ON CONFLICT on the partial unique index: a concurrent first report waits, then updates.
	rows, err := q.db.Query(ctx, `
		INSERT INTO moderation_cases (id, target_type, target_id, subject_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (target_type, target_id) WHERE state <> 'DECIDED'
		DO UPDATE SET updated_at = excluded.updated_at
		RETURNING `+caseColumns, c.ID, c.TargetType, c.TargetID, c.SubjectID, c.CreatedAt)
	if err != nil {
		return domain.ModerationCase{}, mapErr(err, "open moderation case", "moderation case", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.ModerationCase])
	return out, mapErr(err, "open moderation case", "moderation case", "")
}

// InsertModerationReport adds a report to its case and counts its reporter; a second report
// of one reporter on one case is a CONFLICT.
func (q *Queries) InsertModerationReport(ctx context.Context, r domain.ModerationReport) (domain.ModerationReport, error) {
	rows, err := q.db.Query(ctx, `
		INSERT INTO moderation_reports (id, case_id, reporter_id, category, text, snapshot, review_report_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING id, case_id, reporter_id, category, text, snapshot, review_report_id, created_at`,
		r.ID, r.CaseID, r.ReporterID, r.Category, r.Text, r.Snapshot, r.ReviewReportID, r.CreatedAt)
	if err != nil {
		return domain.ModerationReport{}, mapErr(err, "insert moderation report", "moderation case", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.ModerationReport])
	if err != nil {
		return domain.ModerationReport{}, mapErr(err, "insert moderation report", "moderation case", "you already reported this; the case is open")
	}
	_, err = q.db.Exec(ctx, `
		UPDATE moderation_cases SET reporter_count = reporter_count + 1, urgent = urgent OR $2, updated_at = $3
		WHERE id = $1`, r.CaseID, r.Category.Urgent(), r.CreatedAt)
	return out, mapErr(err, "count moderation reporter", "moderation case", "")
}

// CaseFilter narrows the moderation queue.
type CaseFilter struct {
	State      domain.CaseState
	TargetType *domain.ReportTargetType
	// AssigneeID keeps the cases assigned to that moderator.
	AssigneeID *uuid.UUID
}

// CaseKey is the queue position of a case: every key ascending (NOT urgent, -reporter_count,
// created_at, id), as in moderation_cases_queue_idx.
type CaseKey struct {
	NotUrgent    bool      `json:"u"`
	NegReporters int       `json:"r"`
	CreatedAt    time.Time `json:"t"`
	ID           uuid.UUID `json:"i"`
}

// KeyOfCase returns the queue position of c.
func KeyOfCase(c domain.ModerationCase) CaseKey {
	return CaseKey{NotUrgent: !c.Urgent, NegReporters: -c.ReporterCount, CreatedAt: c.CreatedAt, ID: c.ID}
}

// ModerationQueue lists cases in priority order (urgent first, then more distinct reporters,
// then oldest), strictly after the given position. The row comparison is a range of
// moderation_cases_queue_idx, so a page costs its own rows whatever its depth.
func (q *Queries) ModerationQueue(ctx context.Context, f CaseFilter, after *CaseKey, limit int) ([]domain.ModerationCase, error) {
	var (
		hasAfter bool
		k        CaseKey
	)
	if after != nil {
		hasAfter, k = true, *after
	}
	rows, err := q.db.Query(ctx, `
		SELECT `+caseColumns+` FROM moderation_cases
		WHERE state = $1
			AND ($2::text IS NULL OR target_type = $2)
			AND ($3::uuid IS NULL OR assignee_id = $3)
			AND (NOT $4 OR ((NOT urgent), (-reporter_count), created_at, id) > ($5, $6, $7, $8))
		ORDER BY (NOT urgent), (-reporter_count), created_at, id
		LIMIT $9`,
		f.State, f.TargetType, f.AssigneeID, hasAfter, k.NotUrgent, k.NegReporters, k.CreatedAt, k.ID, limit)
	if err != nil {
		return nil, mapErr(err, "list moderation cases", "moderation case", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.ModerationCase])
	return out, mapErr(err, "list moderation cases", "moderation case", "")
}

// ModerationCaseByID loads one case; forUpdate locks it for the transaction.
func (q *Queries) ModerationCaseByID(ctx context.Context, id uuid.UUID, forUpdate bool) (domain.ModerationCase, error) {
	sql := `SELECT ` + caseColumns + ` FROM moderation_cases WHERE id = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	rows, err := q.db.Query(ctx, sql, id)
	if err != nil {
		return domain.ModerationCase{}, mapErr(err, "select moderation case", "moderation case", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.ModerationCase])
	return out, mapErr(err, "select moderation case", "moderation case", "")
}

// AssignModerationCase sets a case's assignee and puts it IN_REVIEW.
func (q *Queries) AssignModerationCase(ctx context.Context, id, assignee uuid.UUID, now time.Time) (domain.ModerationCase, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE moderation_cases SET assignee_id = $2, state = 'IN_REVIEW', updated_at = $3
		WHERE id = $1 RETURNING `+caseColumns, id, assignee, now)
	if err != nil {
		return domain.ModerationCase{}, mapErr(err, "assign moderation case", "moderation case", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.ModerationCase])
	return out, mapErr(err, "assign moderation case", "moderation case", "")
}

// DecideModerationCase records a case's decision.
func (q *Queries) DecideModerationCase(ctx context.Context, id, by uuid.UUID, d domain.CaseDecision, reasons string, now time.Time) (domain.ModerationCase, error) {
	rows, err := q.db.Query(ctx, `
		UPDATE moderation_cases SET state = 'DECIDED', decision = $3, statement_of_reasons = $4,
			decided_by = $2, decided_at = $5, updated_at = $5
		WHERE id = $1 RETURNING `+caseColumns, id, by, d, reasons, now)
	if err != nil {
		return domain.ModerationCase{}, mapErr(err, "decide moderation case", "moderation case", "")
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[domain.ModerationCase])
	return out, mapErr(err, "decide moderation case", "moderation case", "")
}

// ReportsOfCase lists a case's reports, oldest first.
func (q *Queries) ReportsOfCase(ctx context.Context, caseID uuid.UUID) ([]domain.ModerationReport, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, case_id, reporter_id, category, text, snapshot, review_report_id, created_at
		FROM moderation_reports WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, mapErr(err, "list moderation reports", "moderation report", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.ModerationReport])
	return out, mapErr(err, "list moderation reports", "moderation report", "")
}

// InsertModerationNote adds a staff note to a case.
func (q *Queries) InsertModerationNote(ctx context.Context, n domain.ModerationNote) (domain.ModerationNote, error) {
	_, err := q.db.Exec(ctx, `
		INSERT INTO moderation_notes (id, case_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)`,
		n.ID, n.CaseID, n.AuthorID, n.Body, n.CreatedAt)
	return n, mapErr(err, "insert moderation note", "moderation case", "")
}

// NotesOfCase lists a case's notes, oldest first.
func (q *Queries) NotesOfCase(ctx context.Context, caseID uuid.UUID) ([]domain.ModerationNote, error) {
	rows, err := q.db.Query(ctx, `
		SELECT id, case_id, author_id, body, created_at FROM moderation_notes WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, mapErr(err, "list moderation notes", "moderation note", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.ModerationNote])
	return out, mapErr(err, "list moderation notes", "moderation note", "")
}

// DecisionsAbout lists the decided cases about a member, newest first, strictly older than after.
func (q *Queries) DecisionsAbout(ctx context.Context, subject uuid.UUID, after *uuid.UUID, limit int) ([]domain.ModerationCase, error) {
	rows, err := q.db.Query(ctx, `
		SELECT `+caseColumns+` FROM moderation_cases
		WHERE subject_id = $1 AND state = 'DECIDED' AND ($2::uuid IS NULL OR id < $2)
		ORDER BY id DESC LIMIT $3`, subject, after, limit)
	if err != nil {
		return nil, mapErr(err, "list moderation decisions", "moderation case", "")
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[domain.ModerationCase])
	return out, mapErr(err, "list moderation decisions", "moderation case", "")
}

// ReportersOfCase returns the reporters of a case and their report ids (outcome notices).
func (q *Queries) ReportersOfCase(ctx context.Context, caseID uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
	rows, err := q.db.Query(ctx, `SELECT reporter_id, id FROM moderation_reports WHERE case_id = $1`, caseID)
	if err != nil {
		return nil, mapErr(err, "list case reporters", "moderation case", "")
	}
	out := map[uuid.UUID]uuid.UUID{}
	var r, id uuid.UUID
	_, err = pgx.ForEachRow(rows, []any{&r, &id}, func() error { out[r] = id; return nil })
	return out, mapErr(err, "list case reporters", "moderation case", "")
}
