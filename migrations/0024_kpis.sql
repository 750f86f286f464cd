-- Product KPIs (issue 16 item 7): the in-app NPS survey's answers and dismissals, and the
-- per-cohort KPI summary that the periodic refresh (package kpis, KPI_REFRESH_INTERVAL)
-- rewrites. Definitions: docs/kpis.md.

CREATE TABLE nps_responses (
    id         uuid PRIMARY KEY,
    -- No cascade: erasure keeps the score under the pseudonym and clears the comment.
    user_id    uuid NOT NULL REFERENCES users (id),
    -- 0 to 10; NULL is a dismissal, which counts toward the 90 days between two surveys.
    score      smallint CHECK (score BETWEEN 0 AND 10),
    comment    text CHECK (char_length(comment) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL,
    CONSTRAINT nps_responses_dismissal_has_no_comment CHECK (score IS NOT NULL OR comment IS NULL)
);
-- Whether the survey is due: the member's latest answer or dismissal.
CREATE INDEX nps_responses_user_idx ON nps_responses (user_id, created_at DESC);
-- The NPS of a period, and the retention rule.
CREATE INDEX nps_responses_created_idx ON nps_responses (created_at);

-- One row per sign-up week (ISO week, Monday 00:00 UTC) that has members, as of computed_at:
-- aggregates only (no member ids), replaced whole by each refresh in one transaction, so
-- readers see either the previous figures or the new ones. The admin query reads 26 rows here
-- instead of scanning every member's messages, proposals and sessions (bench/README.md).
CREATE TABLE kpi_cohorts (
    week_start    timestamptz PRIMARY KEY
        CHECK (week_start = date_trunc('week', week_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'),
    members       integer NOT NULL CHECK (members > 0),
    activated     integer NOT NULL CHECK (activated BETWEEN 0 AND members),
    retained_w4   integer NOT NULL CHECK (retained_w4 BETWEEN 0 AND members),
    nps_responses integer NOT NULL CHECK (nps_responses >= 0),
    promoters     integer NOT NULL CHECK (promoters >= 0),
    detractors    integer NOT NULL CHECK (detractors >= 0 AND promoters + detractors <= nps_responses),
    computed_at   timestamptz NOT NULL
);
-- When the last refresh ran (its "as of" time), even when it found no cohort: one row at most.
CREATE TABLE kpi_refreshes (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    computed_at timestamptz NOT NULL
);
