package web

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// Store keeps the pages' browser sessions (table web_sessions): the
// SHA-256 of each cookie value and the cerrojo session it stands for. The
// value has 256 bits of entropy, so a fast unsalted hash is enough to
// keep a copy of the table from yielding usable cookies.
type Store struct{ db *storage.DB }

// NewStore returns a store over db.
func NewStore(db *storage.DB) *Store { return &Store{db: db} }

// errNoSession: the browser has no valid page session.
var errNoSession = errors.New("web: no browser session")

func cookieHash(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// Create records that the cookie value stands for sessionID.
func (s *Store) Create(ctx context.Context, value, sessionID string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(
		`INSERT INTO web_sessions (cookie_hash, session_id, created_at) VALUES (?, ?, ?)`),
		cookieHash(value), sessionID, now)
	if err != nil {
		return fmt.Errorf("web: create browser session: %w", err)
	}
	return nil
}

// Lookup returns the cerrojo session id the cookie value stands for, or
// errNoSession.
func (s *Store) Lookup(ctx context.Context, value string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(
		`SELECT session_id FROM web_sessions WHERE cookie_hash = ?`), cookieHash(value)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNoSession
	}
	if err != nil {
		return "", fmt.Errorf("web: look up browser session: %w", err)
	}
	return id, nil
}

// Delete forgets the cookie value; forgetting an unknown one is no error.
func (s *Store) Delete(ctx context.Context, value string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(
		`DELETE FROM web_sessions WHERE cookie_hash = ?`), cookieHash(value))
	if err != nil {
		return fmt.Errorf("web: delete browser session: %w", err)
	}
	return nil
}

// DeleteSession forgets every browser session of a cerrojo session.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(
		`DELETE FROM web_sessions WHERE session_id = ?`), sessionID)
	if err != nil {
		return fmt.Errorf("web: delete browser sessions: %w", err)
	}
	return nil
}
