-- +goose Up
-- Browser sessions of cerrojo's hosted pages (package web). A row ties the
-- SHA-256 of a 256-bit random cookie value to the cerrojo session the
-- person signed in with; the cookie value itself is never stored. A row
-- is good only while its session is active, and goes with the session.
CREATE TABLE web_sessions (
    cookie_hash BLOB PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_session ON web_sessions (session_id);

-- +goose Down
DROP TABLE web_sessions;
