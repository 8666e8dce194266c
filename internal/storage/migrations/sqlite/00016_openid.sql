-- +goose Up
-- OpenID Connect provider (docs/oidc.md).

-- The scope a session's client was granted: every access token of the
-- session carries it, refreshed or not.
ALTER TABLE sessions ADD COLUMN scope TEXT NOT NULL DEFAULT '';

-- Where a client may send people after logout (RP-initiated logout 1.0,
-- section 3), and what kind of application it is: web (a server), native
-- (a mobile or desktop app, RFC 8252) or user_agent (a single-page app).
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_clients ADD COLUMN application_type TEXT NOT NULL DEFAULT 'web'
    CHECK (application_type IN ('web', 'native', 'user_agent'));

-- Authorization requests between /oauth2/authorize and the code exchange.
-- The code is kept only as a SHA-256 hash; code_used_at makes it single
-- use, and replayed_at records a second presentation, which ends the
-- session the first one started (RFC 6749 section 4.1.2).
CREATE TABLE oidc_auth_requests (
    id                    TEXT PRIMARY KEY,
    client_id             TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    scopes                TEXT NOT NULL,
    state                 TEXT NOT NULL,
    nonce                 TEXT NOT NULL,
    code_challenge        TEXT NOT NULL,
    code_challenge_method TEXT NOT NULL,
    response_mode         TEXT NOT NULL,
    prompt                TEXT NOT NULL,
    max_age_s             INTEGER,
    ui_locales            TEXT NOT NULL,
    login_hint            TEXT NOT NULL,
    created_at            TIMESTAMP NOT NULL,
    expires_at            TIMESTAMP NOT NULL,
    user_id               TEXT REFERENCES users (id) ON DELETE CASCADE,
    browser_session_id    TEXT,
    auth_time             TIMESTAMP,
    acr                   TEXT NOT NULL DEFAULT '',
    amr                   TEXT NOT NULL DEFAULT '',
    done_at               TIMESTAMP,
    code_hash             BLOB UNIQUE,
    code_used_at          TIMESTAMP,
    issued_session_id     TEXT,
    replayed_at           TIMESTAMP
);
CREATE INDEX oidc_auth_requests_expiry ON oidc_auth_requests (expires_at);

-- The access a person granted a third-party client, scope by scope.
-- Revoking it deletes the row and ends the client's sessions.
CREATE TABLE oauth_grants (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    granted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- A client's session and the browser session (hosted pages) it came from:
-- logging out of the client with an id_token_hint ends both.
CREATE TABLE oidc_client_sessions (
    session_id         TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    browser_session_id TEXT NOT NULL
);

-- +goose Down
DROP TABLE oidc_client_sessions;
DROP TABLE oauth_grants;
DROP TABLE oidc_auth_requests;
ALTER TABLE oauth_clients DROP COLUMN application_type;
ALTER TABLE oauth_clients DROP COLUMN post_logout_redirect_uris;
ALTER TABLE sessions DROP COLUMN scope;
