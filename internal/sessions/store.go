package sessions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/sdk"
)

// Session is one login.
type Session struct {
	ID                string
	UserID            string
	ClientID          string
	Device            string
	IP                string
	ACR               string
	AMR               []string
	AuthTime          time.Time
	CreatedAt         time.Time
	LastSeenAt        time.Time
	IdleTimeout       time.Duration
	AbsoluteExpiresAt time.Time
	EndedAt           time.Time // zero while active
	EndReason         string
	// Scope is what the session's client was granted (RFC 6749 section
	// 3.3); every access token of the session carries it.
	Scope string
}

// ActiveAt reports whether the session may be used at now.
func (s Session) ActiveAt(now time.Time) bool {
	return s.EndedAt.IsZero() && now.Before(s.AbsoluteExpiresAt) &&
		now.Before(s.LastSeenAt.Add(s.IdleTimeout))
}

// RefreshToken is one link of a refresh-token family.
type RefreshToken struct {
	ID         string
	FamilyID   string
	SessionID  string
	ClientID   string
	Hash       []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     time.Time
	ReplacedBy string
	RevokedAt  time.Time
}

// ErrNotFound means no row matched.
var ErrNotFound = errors.New("sessions: not found")

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store keeps sessions, refresh tokens and the revocation list.
type Store struct {
	db *storage.DB
	q  querier
}

// NewStore returns a store over db.
func NewStore(db *storage.DB) *Store { return &Store{db: db, q: db} }

// Tx returns a store whose statements run in tx.
func (s *Store) Tx(tx *sql.Tx) *Store { return &Store{db: s.db, q: tx} }

const sessionColumns = `id, user_id, client_id, device, ip, acr, amr, auth_time, created_at,
	last_seen_at, idle_timeout_s, absolute_expires_at, ended_at, end_reason, scope`

// CreateSession inserts a session.
func (s *Store) CreateSession(ctx context.Context, ses Session) error {
	_, err := s.q.ExecContext(ctx, s.db.Rebind(`INSERT INTO sessions (`+sessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', ?)`),
		ses.ID, ses.UserID, ses.ClientID, ses.Device, ses.IP, ses.ACR,
		strings.Join(ses.AMR, " "), ses.AuthTime.UTC(), ses.CreatedAt.UTC(),
		ses.LastSeenAt.UTC(), int64(ses.IdleTimeout/time.Second), ses.AbsoluteExpiresAt.UTC(),
		ses.Scope)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session loads one session.
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(
		`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`), id)
	if err != nil {
		return Session{}, fmt.Errorf("load session: %w", err)
	}
	list, err := scanSessions(rows)
	if err != nil {
		return Session{}, err
	}
	if len(list) == 0 {
		return Session{}, ErrNotFound
	}
	return list[0], nil
}

// ActiveSessions lists a person's sessions that have not ended, most
// recently used first. Sessions past a timeout are included; callers check
// ActiveAt.
func (s *Store) ActiveSessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(`SELECT `+sessionColumns+`
		FROM sessions WHERE user_id = ? AND ended_at IS NULL
		ORDER BY last_seen_at DESC, id`), userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return scanSessions(rows)
}

func scanSessions(rows *sql.Rows) ([]Session, error) {
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var ses Session
		var amr string
		var idle int64
		var ended sql.NullTime
		if err := rows.Scan(&ses.ID, &ses.UserID, &ses.ClientID, &ses.Device, &ses.IP, &ses.ACR,
			&amr, &ses.AuthTime, &ses.CreatedAt, &ses.LastSeenAt, &idle,
			&ses.AbsoluteExpiresAt, &ended, &ses.EndReason, &ses.Scope); err != nil {
			return nil, fmt.Errorf("load session: %w", err)
		}
		ses.AMR = strings.Fields(amr)
		ses.IdleTimeout = time.Duration(idle) * time.Second
		ses.EndedAt = ended.Time
		out = append(out, ses)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return out, nil
}

// Touch records that a session was used.
func (s *Store) Touch(ctx context.Context, id string, now time.Time) error {
	_, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE sessions SET last_seen_at = ?
		WHERE id = ? AND ended_at IS NULL`), now.UTC(), id)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// Reauthenticate records a new authentication in an active session: its
// level (acr), methods (amr) and time. It reports false when the session
// has ended.
func (s *Store) Reauthenticate(ctx context.Context, id, acr string, amr []string, at time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE sessions SET acr = ?, amr = ?,
		auth_time = ?, last_seen_at = ? WHERE id = ? AND ended_at IS NULL`),
		acr, strings.Join(amr, " "), at.UTC(), at.UTC(), id)
	if err != nil {
		return false, fmt.Errorf("reauthenticate session: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// EndSession ends a session, revokes its refresh tokens and puts it on the
// revocation list until listUntil (when its last access token expires). It
// reports false when the session had already ended.
func (s *Store) EndSession(ctx context.Context, id, reason string, now, listUntil time.Time) (bool,
	error) {
	res, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE sessions SET ended_at = ?,
		end_reason = ? WHERE id = ? AND ended_at IS NULL`), now.UTC(), reason, id)
	if err != nil {
		return false, fmt.Errorf("end session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE refresh_tokens SET revoked_at = ?
		WHERE session_id = ? AND revoked_at IS NULL`), now.UTC(), id); err != nil {
		return false, fmt.Errorf("revoke refresh tokens: %w", err)
	}
	if _, err := s.q.ExecContext(ctx, s.db.Rebind(`INSERT INTO session_revocations
		(session_id, revoked_at, expires_at) VALUES (?, ?, ?)`),
		id, now.UTC(), listUntil.UTC()); err != nil {
		return false, fmt.Errorf("publish revocation: %w", err)
	}
	return true, nil
}

// CreateRefreshToken inserts a refresh token.
func (s *Store) CreateRefreshToken(ctx context.Context, t RefreshToken) error {
	_, err := s.q.ExecContext(ctx, s.db.Rebind(`INSERT INTO refresh_tokens (id, family_id,
		session_id, client_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		t.ID, t.FamilyID, t.SessionID, t.ClientID, t.Hash, t.CreatedAt.UTC(), t.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("create refresh token: %w", err)
	}
	return nil
}

// RefreshTokenByHash finds a refresh token.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash []byte) (RefreshToken, error) {
	var t RefreshToken
	var used, revoked sql.NullTime
	var replaced sql.NullString
	err := s.q.QueryRowContext(ctx, s.db.Rebind(`SELECT id, family_id, session_id, client_id,
		token_hash, created_at, expires_at, used_at, replaced_by, revoked_at
		FROM refresh_tokens WHERE token_hash = ?`), hash).Scan(&t.ID, &t.FamilyID, &t.SessionID,
		&t.ClientID, &t.Hash, &t.CreatedAt, &t.ExpiresAt, &used, &replaced, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return RefreshToken{}, ErrNotFound
	}
	if err != nil {
		return RefreshToken{}, fmt.Errorf("load refresh token: %w", err)
	}
	t.UsedAt, t.ReplacedBy, t.RevokedAt = used.Time, replaced.String, revoked.Time
	return t, nil
}

// MarkUsed spends a refresh token for rotation, naming its successor. It
// reports false when the token was already used or revoked: the UPDATE's
// condition is what makes concurrent rotations yield one winner.
func (s *Store) MarkUsed(ctx context.Context, id, successor string, now time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE refresh_tokens SET used_at = ?,
		replaced_by = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`),
		now.UTC(), successor, id)
	if err != nil {
		return false, fmt.Errorf("rotate refresh token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("rotate refresh token: %w", err)
	}
	return n == 1, nil
}

// ReplaceSuccessor points a used token at a new successor (grace-window
// retries) and revokes the old successor if it was never used. It reports
// false when the old successor was already used: then the retry is not a
// retry.
func (s *Store) ReplaceSuccessor(ctx context.Context, id, oldSuccessor, newSuccessor string,
	now time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE refresh_tokens SET revoked_at = ?
		WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`), now.UTC(), oldSuccessor)
	if err != nil {
		return false, fmt.Errorf("void successor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE refresh_tokens SET replaced_by = ?
		WHERE id = ?`), newSuccessor, id); err != nil {
		return false, fmt.Errorf("replace successor: %w", err)
	}
	return true, nil
}

// RevokeFamily revokes every token of a family.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, now time.Time) error {
	_, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE refresh_tokens SET revoked_at = ?
		WHERE family_id = ? AND revoked_at IS NULL`), now.UTC(), familyID)
	if err != nil {
		return fmt.Errorf("revoke family: %w", err)
	}
	return nil
}

// Revocation is an entry of the revocation list.
type Revocation struct {
	Seq       int64
	SessionID string
	RevokedAt time.Time
	ExpiresAt time.Time
}

// listedFor is how long past its expires_at an entry stays on the list: a
// verifier may accept an expired token for up to sdk.MaxLeeway, so the
// entry that refuses it must outlive the token by as much.
const listedFor = sdk.MaxLeeway

// Revocations lists the entries whose access tokens some verifier may still
// accept at now, in order.
func (s *Store) Revocations(ctx context.Context, now time.Time) ([]Revocation, error) {
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(`SELECT seq, session_id, revoked_at,
		expires_at FROM session_revocations WHERE expires_at > ? ORDER BY seq`),
		now.Add(-listedFor).UTC())
	if err != nil {
		return nil, fmt.Errorf("list revocations: %w", err)
	}
	defer rows.Close()
	var out []Revocation
	for rows.Next() {
		var r Revocation
		if err := rows.Scan(&r.Seq, &r.SessionID, &r.RevokedAt, &r.ExpiresAt); err != nil {
			return nil, fmt.Errorf("list revocations: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SweepRevocations drops entries that no verifier needs any more.
func (s *Store) SweepRevocations(ctx context.Context, now time.Time) error {
	_, err := s.q.ExecContext(ctx, s.db.Rebind(
		`DELETE FROM session_revocations WHERE expires_at <= ?`), now.Add(-listedFor).UTC())
	if err != nil {
		return fmt.Errorf("sweep revocations: %w", err)
	}
	return nil
}
