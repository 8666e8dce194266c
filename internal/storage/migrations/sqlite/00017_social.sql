-- +goose Up
-- Social login (package social): identities at outside providers, keyed by
-- the provider's configured name and the subject it asserts, never by
-- email (OWASP ASVS 5.0 6.8.1). A person may hold several; each belongs to
-- one account.
CREATE TABLE social_identities (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    -- The address the provider gave when the identity was linked, shown in
    -- the list of identities; never used to find the account.
    email        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    UNIQUE (provider, subject)
);
CREATE INDEX social_identities_user ON social_identities (user_id);

-- Authorization requests in flight: single use (deleted when the callback
-- arrives), valid 10 minutes. The state and the browser-binding cookie are
-- kept only as MACs. The PKCE verifier and the nonce are not stored: they
-- are derived from the state with keyed MACs when needed.
CREATE TABLE social_states (
    state_mac       BLOB PRIMARY KEY,
    provider        TEXT NOT NULL,
    browser_mac     BLOB NOT NULL,
    return_to       TEXT NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX social_states_expires ON social_states (expires_at);

-- What a callback proved, waiting to be collected: a result handle (kind
-- result, valid 2 minutes) or a link token (kind link, valid 10 minutes).
-- Single use; kept only as MACs of the handle.
CREATE TABLE social_results (
    handle_mac     BLOB PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('result', 'link')),
    provider       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    email          TEXT NOT NULL DEFAULT '',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    name           TEXT NOT NULL DEFAULT '',
    auth_time      TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX social_results_expires ON social_results (expires_at);

-- +goose Down
DROP TABLE social_results;
DROP TABLE social_states;
DROP TABLE social_identities;
