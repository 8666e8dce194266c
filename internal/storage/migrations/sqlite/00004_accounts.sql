-- +goose Up
-- People who sign in: customers, vendors, vendor staff and admins. The
-- address as typed is kept for display and mail; uniqueness is decided on
-- its normalised form.
CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL,
    email_normalized     TEXT NOT NULL UNIQUE,
    email_verified       BOOLEAN NOT NULL DEFAULT FALSE,
    phone                TEXT NOT NULL DEFAULT '',
    name                 TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('customer', 'vendor')),
    state                TEXT NOT NULL
                         CHECK (state IN ('active', 'locked', 'disabled', 'pending_deletion')),
    locked_until         TIMESTAMP,
    password_hash        TEXT NOT NULL DEFAULT '',
    password_changed_at  TIMESTAMP,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    locale               TEXT NOT NULL DEFAULT 'es-CO',
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);

-- Single-use secrets sent to a person: email verification codes and links,
-- password reset links, email change confirmations. Only MACs are stored.
CREATE TABLE one_time_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL,
    code_mac    BLOB,
    link_mac    BLOB NOT NULL UNIQUE,
    target      TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    expires_at  TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose, created_at);

-- Failure counters for lockout when Redis is not configured. Keys are
-- MACs of the normalised email or of the client IP, never the values.
CREATE TABLE failure_counters (
    key          TEXT PRIMARY KEY,
    count        INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE failure_counters;
DROP TABLE one_time_tokens;
DROP TABLE users;
