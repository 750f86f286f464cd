-- Moderation (issue 16 items 1 and 2): members report a member, a message or a review; reports
-- on one target group into one case; moderators work the cases in a priority queue and decide
-- them with a statement of reasons the affected member can read.

CREATE TABLE moderation_cases (
    id                   uuid PRIMARY KEY,
    target_type          text NOT NULL CHECK (target_type IN ('MEMBER', 'MESSAGE', 'REVIEW', 'SKILL_PROPOSAL')),
    -- Not a foreign key: the target may be deleted (a message tombstoned, an account erased);
    -- the case and its snapshots stay as evidence.
    target_id            uuid NOT NULL,
    -- The member accountable for the target (the member reported, a message's sender, a
    -- review's author): who may read the decision. No cascade: erasure anonymises users.
    subject_id           uuid REFERENCES users (id),
    state                text NOT NULL DEFAULT 'OPEN' CHECK (state IN ('OPEN', 'IN_REVIEW', 'DECIDED')),
    -- Any report in a SAFETY or ILLEGAL_CONTENT category: such cases come first.
    urgent               boolean NOT NULL DEFAULT false,
    -- Distinct reporters (one report per reporter per case, see moderation_reports_once).
    reporter_count       integer NOT NULL DEFAULT 0 CHECK (reporter_count >= 0),
    assignee_id          uuid REFERENCES users (id),
    decision             text CHECK (decision IN ('NO_ACTION', 'ACTION_TAKEN')),
    statement_of_reasons text CHECK (char_length(statement_of_reasons) <= 5000),
    decided_by           uuid REFERENCES users (id),
    decided_at           timestamptz,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    CONSTRAINT moderation_cases_decided CHECK ((state = 'DECIDED') = (decision IS NOT NULL AND decided_at IS NOT NULL)),
    CONSTRAINT moderation_cases_reasons CHECK (decision IS DISTINCT FROM 'ACTION_TAKEN' OR coalesce(statement_of_reasons, '') <> '')
);
-- At most one undecided case per target: a new report joins it; after a decision a new case opens.
CREATE UNIQUE INDEX moderation_cases_open_target ON moderation_cases (target_type, target_id) WHERE state <> 'DECIDED';
-- The queue: per state, urgent first, then more distinct reporters, then oldest. All keys
-- ascending so the keyset cursor is one row comparison the index answers as a range.
CREATE INDEX moderation_cases_queue_idx ON moderation_cases (state, (NOT urgent), (-reporter_count), created_at, id);
-- A member's decisions (viewer.moderationDecisions).
CREATE INDEX moderation_cases_subject_idx ON moderation_cases (subject_id, id) WHERE state = 'DECIDED';

CREATE TABLE moderation_reports (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES moderation_cases (id),
    -- No cascade: erasure keeps the report with the reporter pseudonymous.
    reporter_id uuid NOT NULL REFERENCES users (id),
    category    text NOT NULL CHECK (category IN ('SPAM', 'HARASSMENT', 'INAPPROPRIATE', 'SCAM', 'SAFETY', 'ILLEGAL_CONTENT', 'OTHER')),
    text        text NOT NULL DEFAULT '' CHECK (char_length(text) <= 2000),
    -- The target as the reporter saw it when reporting: evidence that outlives edits and deletes.
    snapshot    jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'object'),
    -- Set when the report came through the deprecated reportReview mutation.
    review_report_id uuid REFERENCES review_reports (id),
    created_at  timestamptz NOT NULL,
    CONSTRAINT moderation_reports_once UNIQUE (case_id, reporter_id)
);
CREATE INDEX moderation_reports_reporter_idx ON moderation_reports (reporter_id, id);

-- Internal notes of staff on a case; never shown to members.
CREATE TABLE moderation_notes (
    id         uuid PRIMARY KEY,
    case_id    uuid NOT NULL REFERENCES moderation_cases (id),
    author_id  uuid NOT NULL REFERENCES users (id),
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 5000),
    created_at timestamptz NOT NULL
);
CREATE INDEX moderation_notes_case_idx ON moderation_notes (case_id, id);
