-- +goose Up
-- Second factors that live beside the password. Only TOTP for now; passkeys
-- keep their own table because their credential data has another shape.
-- A factor is pending (activated_at NULL) from enrolment until the person
-- proves they hold it with a first valid code.
CREATE TABLE mfa_factors (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('totp')),
    name           TEXT NOT NULL DEFAULT '',
    -- The TOTP seed sealed with the key ring; the associated data names this
    -- row's id and user, so a sealed seed copied to another row does not open.
    secret_sealed  BLOB NOT NULL,
    -- The last time step whose code was accepted (RFC 6238 section 5.2): a
    -- code for this step or an earlier one is a replay and is refused.
    last_used_step BIGINT NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL,
    activated_at   TIMESTAMP,
    last_used_at   TIMESTAMP
);
CREATE INDEX mfa_factors_user ON mfa_factors (user_id);
-- At most one enrolment of each kind waits for its first code per person; a
-- new enrolment replaces the old one.
CREATE UNIQUE INDEX mfa_factors_one_pending ON mfa_factors (user_id, kind)
    WHERE activated_at IS NULL;

-- Single-use recovery codes, a set of ten per person, replaced whole when
-- regenerated. A code is never stored: hash_sealed is SHA-256 over a random
-- per-code salt and the code, sealed with the key ring, so a copy of the
-- database alone allows no guessing.
CREATE TABLE mfa_recovery_codes (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    salt        BLOB NOT NULL,
    hash_sealed BLOB NOT NULL,
    used_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idx)
);

-- +goose Down
DROP TABLE mfa_recovery_codes;
DROP TABLE mfa_factors;
