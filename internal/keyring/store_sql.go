package keyring

import (
	"context"
	"fmt"

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
		"SELECT key_id, sealed, created_at FROM keyring_checks ORDER BY created_at, key_id")
	if err != nil {
		return nil, fmt.Errorf("load keyring checks: %w", err)
	}
	defer rows.Close()

	var out []Check
	for rows.Next() {
		var c Check
		if err := rows.Scan(&c.KeyID, &c.Sealed, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("load keyring checks: %w", err)
		}
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
