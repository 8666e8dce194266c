-- +goose Up
-- A sign-in half done: the password was right and a second factor is still
-- needed (purpose verify), or the person must enrol one before they may
-- have a session (purpose enroll). The client holds a random token; only
-- its SHA-256 is kept. Single use, short-lived, with a cap on wrong codes.
CREATE TABLE login_challenges (
    id         TEXT PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'enroll')),
    amr        TEXT NOT NULL,
    auth_time  TIMESTAMPTZ NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX login_challenges_expires ON login_challenges (expires_at);

-- +goose Down
DROP TABLE login_challenges;
