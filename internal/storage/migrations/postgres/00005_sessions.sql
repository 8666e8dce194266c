-- +goose Up
-- A login: where it came from, how strongly the person authenticated, and
-- when it ends. Ended sessions are kept (with the reason) so people and
-- admins can see their history, until retention removes them.
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id           TEXT NOT NULL,
    device              TEXT NOT NULL,
    ip                  TEXT NOT NULL,
    acr                 TEXT NOT NULL,
    amr                 TEXT NOT NULL,
    auth_time           TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL,
    idle_timeout_s      INTEGER NOT NULL,
    absolute_expires_at TIMESTAMPTZ NOT NULL,
    ended_at            TIMESTAMPTZ,
    end_reason          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

-- Refresh tokens: only SHA-256 hashes of 256-bit random values. A family
-- is the chain of rotations from one grant; presenting a used member
-- revokes the family and its session.
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    family_id   TEXT NOT NULL,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    replaced_by TEXT,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Sessions ended before their access tokens expire, in the order they
-- ended, for resource servers that poll the revocation list.
CREATE TABLE session_revocations (
    seq        BIGSERIAL PRIMARY KEY,
    session_id TEXT NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX session_revocations_expiry ON session_revocations (expires_at);

-- +goose Down
DROP TABLE session_revocations;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
