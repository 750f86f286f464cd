-- Passkeys (WebAuthn credentials, go-webauthn): register, sign in without a password, list,
-- rename, remove. See passkeys/service.go.

-- The WebAuthn user handle of a member: 32 random bytes given to authenticators at registration
-- and returned by them at a discoverable (usernameless) sign-in. It is not the user id, so an
-- authenticator holds no identifier of ours; one per member, the same for all their passkeys.
CREATE TABLE webauthn_users (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    user_handle bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webauthn_users_handle_key UNIQUE (user_handle),
    CONSTRAINT webauthn_users_handle_length CHECK (octet_length(user_handle) BETWEEN 16 AND 64)
);

-- A member's passkeys. credential is go-webauthn's Credential record as JSON (public key, sign
-- counter, flags, attestation): rewritten after every sign-in (counter, backup state). The
-- columns beside it are what is looked up or shown. rp_id partitions credentials: one
-- registered for another relying-party id never signs in here.
CREATE TABLE passkeys (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rp_id         text NOT NULL,
    credential_id bytea NOT NULL,
    credential    jsonb NOT NULL,
    name          text NOT NULL,
    transports    text[] NOT NULL DEFAULT '{}',
    -- Whether the credential may be synced between devices (backup eligible): "passkey" in the
    -- platform's sense versus a device-bound security key.
    backup_eligible boolean NOT NULL DEFAULT false,
    -- Set when an assertion's signature counter did not grow (a possible clone): that sign-in
    -- was refused.
    clone_warning boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    CONSTRAINT passkeys_credential_key UNIQUE (rp_id, credential_id),
    CONSTRAINT passkeys_credential_id_length CHECK (octet_length(credential_id) BETWEEN 16 AND 1023),
    CONSTRAINT passkeys_name_length CHECK (char_length(name) BETWEEN 1 AND 60)
);

CREATE INDEX passkeys_user_idx ON passkeys (user_id, created_at);

-- Ceremonies in progress (go-webauthn's SessionData, between start and finish): kept here, not
-- in memory, so any instance can finish what another started. Single use: finishing claims the
-- row with DELETE ... RETURNING, whatever the outcome. user_id is the member registering (null
-- for a sign-in, whose member is known only from the assertion). Expired rows are purged hourly.
CREATE TABLE webauthn_ceremonies (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL,
    user_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    session    jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT webauthn_ceremonies_kind_check CHECK (kind IN ('REGISTER', 'SIGN_IN')),
    CONSTRAINT webauthn_ceremonies_user_check CHECK ((kind = 'REGISTER') = (user_id IS NOT NULL))
);

CREATE INDEX webauthn_ceremonies_expiry_idx ON webauthn_ceremonies (expires_at);
CREATE INDEX webauthn_ceremonies_user_idx ON webauthn_ceremonies (user_id) WHERE user_id IS NOT NULL;

-- The passkey a login session was opened with, if any. A passkey sign-in verifies the member
-- (user verification: biometrics or PIN) on a phishing-resistant authenticator, so such a session
-- counts as having a second factor (STAFF_REQUIRE_MFA). Removing the passkey clears it.
ALTER TABLE auth_sessions ADD COLUMN passkey_id uuid REFERENCES passkeys (id) ON DELETE SET NULL;
CREATE INDEX auth_sessions_passkey_idx ON auth_sessions (passkey_id) WHERE passkey_id IS NOT NULL;
