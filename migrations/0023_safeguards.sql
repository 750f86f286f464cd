-- Safeguards (issue 16 item 4) and the staff's view of the reports on a member (item 6).

-- A message reported by several distinct members is hidden from everyone but its sender and
-- staff until its case is decided: set in the transaction of the report that crosses the
-- threshold, cleared by a NO_ACTION decision, kept by ACTION_TAKEN (the message is then
-- tombstoned by the sanction). The row and its content stay: hiding is not deleting.
ALTER TABLE messages ADD COLUMN hidden_at timestamptz;

-- User.moderationCases: every case about a member (any state), newest first. The partial
-- moderation_cases_subject_idx covers decided cases only (the member's own view).
CREATE INDEX moderation_cases_subject_all_idx ON moderation_cases (subject_id, id);
