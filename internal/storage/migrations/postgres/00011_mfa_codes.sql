-- +goose Up
-- Second factors that send a one-time code out of band: by text message
-- (channel sms) or by email (channel email). Like mfa_factors, a factor is
-- pending (activated_at NULL) until a first code sent to it comes back.
CREATE TABLE mfa_oob_factors (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel            TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    name               TEXT NOT NULL DEFAULT '',
    -- The phone number (E.164) or address, sealed with the key ring; the
    -- associated data names this row's id and user, so a sealed destination
    -- copied to another row does not open.
    destination_sealed BYTEA NOT NULL,
    -- What listings show, masked: "+57 300 ••• ••67", "a•••@example.com".
    hint               TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    activated_at       TIMESTAMPTZ,
    last_used_at       TIMESTAMPTZ
);
CREATE INDEX mfa_oob_factors_user ON mfa_oob_factors (user_id);
-- At most one enrolment of each channel waits for its first code per
-- person; a new enrolment replaces the old one.
CREATE UNIQUE INDEX mfa_oob_factors_one_pending ON mfa_oob_factors (user_id, channel)
    WHERE activated_at IS NULL;

-- The one live code of a factor; sending a new one replaces it. The code is
-- never stored: code_mac is an HMAC under the key ring's MAC key, bound to
-- the factor and person, so a copy of the database alone allows no
-- guessing. attempts counts tries at this code, right or wrong; used_at is
-- set once, by a conditional update, when the code is accepted.
CREATE TABLE mfa_oob_codes (
    factor_id  TEXT PRIMARY KEY REFERENCES mfa_oob_factors (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_mac   BYTEA NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    sent_at    TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

-- When codes were sent to each person, for the hourly limit on sends. Rows
-- older than the window are deleted as new ones are added.
CREATE TABLE mfa_oob_sends (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sent_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mfa_oob_sends_user ON mfa_oob_sends (user_id, sent_at);

-- +goose Down
DROP TABLE mfa_oob_sends;
DROP TABLE mfa_oob_codes;
DROP TABLE mfa_oob_factors;
