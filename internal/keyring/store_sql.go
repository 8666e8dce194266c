package keyring

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// SQLStore keeps checks in the keyring_checks table of either database.
type SQLStore struct {
	db *storage.DB
}

// NewSQLStore returns a Store over db.
func NewSQLStore(db *storage.DB) *SQLStore { return &SQLStore{db: db} }

// Checks returns every stored check, oldest first.
func (s *SQLStore) Checks(ctx context.Context) ([]Check, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT key_id, sealed, created_at, retired_at FROM keyring_checks "+
			"ORDER BY created_at, key_id")
	if err != nil {
		return nil, fmt.Errorf("load keyring checks: %w", err)
	}
	defer rows.Close()

	var out []Check
	for rows.Next() {
		var c Check
		var retired sql.NullTime
		if err := rows.Scan(&c.KeyID, &c.Sealed, &c.CreatedAt, &retired); err != nil {
			return nil, fmt.Errorf("load keyring checks: %w", err)
		}
		c.RetiredAt = retired.Time
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load keyring checks: %w", err)
	}
	return out, nil
}

// AddCheck stores c unless a check for its key id exists.
func (s *SQLStore) AddCheck(ctx context.Context, c Check) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(
		"INSERT INTO keyring_checks (key_id, sealed, created_at) VALUES (?, ?, ?) "+
			"ON CONFLICT (key_id) DO NOTHING"),
		c.KeyID, c.Sealed, c.CreatedAt)
	if err != nil {
		return fmt.Errorf("store keyring check: %w", err)
	}
	return nil
}

// RetireCheck marks a key's check as rotated out.
func (s *SQLStore) RetireCheck(ctx context.Context, keyID string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(
		"UPDATE keyring_checks SET retired_at = ? WHERE key_id = ? AND retired_at IS NULL"),
		at.UTC(), keyID)
	if err != nil {
		return fmt.Errorf("retire keyring check: %w", err)
	}
	return nil
}

// State returns a sealed state value.
func (s *SQLStore) State(ctx context.Context, name string) ([]byte, bool, error) {
	var sealed []byte
	err := s.db.QueryRowContext(ctx, s.db.Rebind(
		"SELECT sealed FROM keyring_state WHERE name = ?"), name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load keyring state: %w", err)
	}
	return sealed, true, nil
}

// AddState stores a sealed state value unless the name exists.
func (s *SQLStore) AddState(ctx context.Context, name string, sealed []byte,
	at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(
		"INSERT INTO keyring_state (name, sealed, created_at) VALUES (?, ?, ?) "+
			"ON CONFLICT (name) DO NOTHING"), name, sealed, at.UTC())
	if err != nil {
		return fmt.Errorf("store keyring state: %w", err)
	}
	return nil
}
