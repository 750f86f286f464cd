-- Consent to the terms and the privacy policy (issue 15, item 2) and data exports (item 3).

-- The versions of the terms and of the privacy policy the member accepted last, copied from their
-- latest consents row so that the gate of member actions reads them with the account (the session
-- cache holds them) instead of querying consents on every request. NULL: never accepted.
ALTER TABLE users ADD COLUMN terms_version text CHECK (char_length(terms_version) BETWEEN 1 AND 64);
ALTER TABLE users ADD COLUMN privacy_version text CHECK (char_length(privacy_version) BETWEEN 1 AND 64);
-- Whether the member agreed to marketing emails; apart from the terms, off until granted.
ALTER TABLE users ADD COLUMN marketing_consent boolean NOT NULL DEFAULT false;

-- Every consent given or withdrawn, append-only: the proof of what was accepted, when and how.
CREATE TABLE consents (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    document   text NOT NULL CHECK (document IN ('TERMS', 'PRIVACY_POLICY', 'MARKETING')),
    -- The document's version; marketing consent has none ('').
    version    text NOT NULL CHECK (char_length(version) <= 64),
    granted    boolean NOT NULL,
    source     text NOT NULL CHECK (source IN ('SIGN_UP', 'PROVIDER_SIGN_UP', 'SETTINGS', 'API')),
    ip         inet,
    created_at timestamptz NOT NULL,
    CONSTRAINT consents_documents_have_versions CHECK ((document = 'MARKETING') = (version = ''))
);
CREATE INDEX consents_user_idx ON consents (user_id, created_at DESC, id DESC);

-- A member's data exports (GDPR arts. 15 and 20). The archive (a zip of JSON files) is kept in
-- PostgreSQL so any instance can serve it, and deleted (archive NULL, state EXPIRED) once its
-- link expired.
CREATE TABLE data_exports (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state        text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'READY', 'EXPIRED', 'FAILED')),
    requested_at timestamptz NOT NULL,
    ready_at     timestamptz,
    expires_at   timestamptz,
    size_bytes   bigint CHECK (size_bytes >= 0),
    archive      bytea,
    CONSTRAINT data_exports_ready_has_archive CHECK ((state = 'READY') = (archive IS NOT NULL)),
    CONSTRAINT data_exports_ready_times CHECK ((ready_at IS NULL) = (expires_at IS NULL))
);
CREATE INDEX data_exports_user_idx ON data_exports (user_id, requested_at DESC, id DESC);
CREATE INDEX data_exports_expiring_idx ON data_exports (expires_at) WHERE state = 'READY';
