// Package sessions turns a successful login into a session, a short-lived
// access token and a rotating refresh token, and ends them.
//
// Guarantees:
//   - Refresh tokens are opaque 256-bit random values stored only as
//     SHA-256 hashes, bound to a session and a client, and rotated on every
//     use. Rotation is one conditional UPDATE inside a transaction, so of
//     many concurrent refreshes with one token exactly one succeeds, on
//     SQLite and on PostgreSQL.
//   - A refresh token presented after it was rotated is treated as stolen
//     (RFC 9700 section 4.14.2): its whole family and its session are
//     revoked, the event is audited and the person is told. An optional
//     grace window tolerates a client that retries after losing the
//     response; it is off by default.
//   - Sessions end at an idle timeout, an absolute timeout, logout, a
//     password reset or change that asks for it, an admin's request, or
//     disabling the account; ending one revokes its refresh tokens and
//     publishes it on the revocation list, which resource servers poll to
//     refuse its access tokens before they expire.
//   - Access tokens carry the session id (sid); cerrojo's own endpoints
//     check that the session is still active on every request.
package sessions
