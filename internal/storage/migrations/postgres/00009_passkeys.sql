-- +goose Up
-- WebAuthn credentials (passkeys and security keys), one row per credential
-- record of WebAuthn Level 3 section 4 ("credential record"). Only public
-- data is kept: the credential id, the COSE public key and the flags and
-- counter the authenticator reported. id is cerrojo's own id, the one the
-- API shows; credential_id is the authenticator's, unique across accounts
-- so one authenticator key can never sign in to two accounts.
CREATE TABLE passkeys (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id      BYTEA NOT NULL UNIQUE,
    public_key         BYTEA NOT NULL,
    attestation_type   TEXT NOT NULL,
    attestation_format TEXT NOT NULL,
    aaguid             BYTEA NOT NULL,
    -- The last signature counter accepted (section 6.1.1); 0 for
    -- authenticators that do not keep one.
    sign_count         BIGINT NOT NULL DEFAULT 0,
    -- Transports hinted by the browser at registration, a JSON array of
    -- strings, given back in allowCredentials and excludeCredentials.
    transports         TEXT NOT NULL DEFAULT '[]',
    backup_eligible    BOOLEAN NOT NULL,
    backup_state       BOOLEAN NOT NULL,
    -- uvInitialized: the authenticator verified the user when the
    -- credential was created.
    user_verified      BOOLEAN NOT NULL,
    name               TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    last_used_at       TIMESTAMPTZ
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- Ceremonies begun and not yet finished. session_data is go-webauthn's
-- SessionData as JSON: the challenge and what the ceremony allowed, nothing
-- secret once the ceremony is over. A row is consumed by the DELETE that
-- finishes its ceremony, so a challenge works once; user_id is NULL for a
-- discoverable (passwordless) login, where the authenticator names the
-- account.
CREATE TABLE passkey_challenges (
    id           TEXT PRIMARY KEY,
    user_id      TEXT REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('register', 'login')),
    session_data BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX passkey_challenges_expires ON passkey_challenges (expires_at);

-- +goose Down
DROP TABLE passkey_challenges;
DROP TABLE passkeys;
