-- Sign-in with an OpenID Connect provider (Google, Apple, Keycloak...): an identity is a
-- provider's account (issuer + subject, stable for life per OIDC Core §5.7) linked to one of ours.
-- Linking to an existing account by email is only allowed when both sides verified that email
-- (users.email_verified_at, from 0012).

CREATE TABLE auth_identities (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- provider is the configured name (OIDC_PROVIDERS); issuer + subject identify the account.
    provider       text NOT NULL,
    issuer         text NOT NULL,
    subject        text NOT NULL,
    -- email is the provider's, as last asserted: Apple sends it only at the first sign-in, so it
    -- is kept when a later token has none.
    email          citext,
    email_verified boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auth_identities_issuer_subject_key UNIQUE (issuer, subject),
    -- One identity per provider and member: unlinking names the provider.
    CONSTRAINT auth_identities_user_provider_key UNIQUE (user_id, provider),
    CONSTRAINT auth_identities_subject_length CHECK (char_length(subject) BETWEEN 1 AND 255),
    CONSTRAINT auth_identities_provider_length CHECK (char_length(provider) BETWEEN 1 AND 40)
);

-- An ID token is accepted once. The nonce is chosen by the app, so the server cannot tell a
-- replay of a stolen token and nonce from the app's own request; remembering the hash of every
-- accepted token until it expires can. Expired rows are purged by a periodic job.
CREATE TABLE oidc_token_uses (
    token_hash bytea PRIMARY KEY,
    expires_at timestamptz NOT NULL,
    CONSTRAINT oidc_token_uses_hash_length CHECK (octet_length(token_hash) = 32)
);

CREATE INDEX oidc_token_uses_expiry_idx ON oidc_token_uses (expires_at);
