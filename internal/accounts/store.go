package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store keeps accounts and one-time tokens in either database. Its methods
// run on the database, or inside a transaction with Tx.
type Store struct {
	db *storage.DB
	q  querier
}

// NewStore returns a store over db.
func NewStore(db *storage.DB) *Store { return &Store{db: db, q: db} }

// Tx returns a store whose statements run in tx.
func (s *Store) Tx(tx *sql.Tx) *Store { return &Store{db: s.db, q: tx} }

// DB is the database the store uses.
func (s *Store) DB() *storage.DB { return s.db }

const userColumns = `id, email, email_normalized, email_verified, phone, name, kind, state,
	locked_until, password_hash, password_changed_at, must_change_password, locale,
	created_at, updated_at`

// CreateUser inserts u. It returns ErrEmailTaken when the normalised email
// is in use.
func (s *Store) CreateUser(ctx context.Context, u User) error {
	_, err := s.q.ExecContext(ctx, s.db.Rebind(`INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		u.ID, u.Email.Address, u.Email.Normalized, u.EmailVerified, u.Phone, u.Name,
		string(u.Kind), string(u.State), nullTime(u.LockedUntil), u.PasswordHash,
		nullTime(u.PasswordChangedAt), u.MustChangePassword, u.Locale, u.CreatedAt.UTC(),
		u.UpdatedAt.UTC())
	if storage.IsUniqueViolation(err) {
		return ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UserByID loads a user.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	return s.scanUser(s.q.QueryRowContext(ctx,
		s.db.Rebind(`SELECT `+userColumns+` FROM users WHERE id = ?`), id))
}

// UserByEmail loads the user with a normalised email.
func (s *Store) UserByEmail(ctx context.Context, normalized string) (User, error) {
	return s.scanUser(s.q.QueryRowContext(ctx,
		s.db.Rebind(`SELECT `+userColumns+` FROM users WHERE email_normalized = ?`), normalized))
}

func (s *Store) scanUser(row *sql.Row) (User, error) {
	var u User
	var kind, state string
	var lockedUntil, pwChanged sql.NullTime
	err := row.Scan(&u.ID, &u.Email.Address, &u.Email.Normalized, &u.EmailVerified, &u.Phone,
		&u.Name, &kind, &state, &lockedUntil, &u.PasswordHash, &pwChanged,
		&u.MustChangePassword, &u.Locale, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("load user: %w", err)
	}
	u.Kind, u.State = Kind(kind), State(state)
	u.LockedUntil, u.PasswordChangedAt = lockedUntil.Time, pwChanged.Time
	return u, nil
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, id, hash string, mustChange bool,
	now time.Time) error {
	return s.update(ctx, "set password", `UPDATE users SET password_hash = ?,
		password_changed_at = ?, must_change_password = ?, updated_at = ? WHERE id = ?`,
		hash, now.UTC(), mustChange, now.UTC(), id)
}

// RehashPassword replaces a hash with one of the same password made with
// newer parameters; unlike SetPassword it is not a password change.
func (s *Store) RehashPassword(ctx context.Context, id, oldHash, newHash string,
	now time.Time) error {
	// Conditional on the old hash, so a concurrent password change wins.
	_, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE users SET password_hash = ?,
		updated_at = ? WHERE id = ? AND password_hash = ?`), newHash, now.UTC(), id, oldHash)
	if err != nil {
		return fmt.Errorf("rehash password: %w", err)
	}
	return nil
}

// SetMustChangePassword flags or clears a forced password change.
func (s *Store) SetMustChangePassword(ctx context.Context, id string, must bool,
	now time.Time) error {
	return s.update(ctx, "flag password change",
		`UPDATE users SET must_change_password = ?, updated_at = ? WHERE id = ?`,
		must, now.UTC(), id)
}

// MarkEmailVerified records that the person controls their address.
func (s *Store) MarkEmailVerified(ctx context.Context, id string, now time.Time) error {
	return s.update(ctx, "verify email",
		`UPDATE users SET email_verified = ?, updated_at = ? WHERE id = ?`, true, now.UTC(), id)
}

// SetEmail replaces a user's address, verified (it was confirmed before).
func (s *Store) SetEmail(ctx context.Context, id string, e Email, now time.Time) error {
	_, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE users SET email = ?,
		email_normalized = ?, email_verified = ?, updated_at = ? WHERE id = ?`),
		e.Address, e.Normalized, true, now.UTC(), id)
	if storage.IsUniqueViolation(err) {
		return ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("set email: %w", err)
	}
	return nil
}

// SetState moves a user to a state; lockedUntil matters only for
// StateLocked.
func (s *Store) SetState(ctx context.Context, id string, state State, lockedUntil time.Time,
	now time.Time) error {
	return s.update(ctx, "set state",
		`UPDATE users SET state = ?, locked_until = ?, updated_at = ? WHERE id = ?`,
		string(state), nullTime(lockedUntil), now.UTC(), id)
}

func (s *Store) update(ctx context.Context, op, query string, args ...any) error {
	res, err := s.q.ExecContext(ctx, s.db.Rebind(query), args...)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// CreateToken stores t and spends every earlier unspent token of the same
// person and purpose, so that only the newest code or link works.
func (s *Store) CreateToken(ctx context.Context, t OneTimeToken) error {
	if _, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE one_time_tokens SET consumed_at = ?
		WHERE user_id = ? AND purpose = ? AND consumed_at IS NULL`),
		t.CreatedAt.UTC(), t.UserID, string(t.Purpose)); err != nil {
		return fmt.Errorf("replace token: %w", err)
	}
	if _, err := s.q.ExecContext(ctx, s.db.Rebind(`INSERT INTO one_time_tokens (id, user_id,
		purpose, code_mac, link_mac, target, attempts, expires_at, consumed_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, ?)`),
		t.ID, t.UserID, string(t.Purpose), t.CodeMAC, t.LinkMAC, t.Target, t.ExpiresAt.UTC(),
		t.CreatedAt.UTC()); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// #nosec G101 -- column names of the tokens table, not a credential.
const tokenColumns = `id, user_id, purpose, code_mac, link_mac, target, attempts, expires_at,
	consumed_at, created_at`

// LatestToken returns the newest token of a person for a purpose, spent or
// not.
func (s *Store) LatestToken(ctx context.Context, userID string, p Purpose) (OneTimeToken, error) {
	return scanToken(s.q.QueryRowContext(ctx, s.db.Rebind(`SELECT `+tokenColumns+`
		FROM one_time_tokens WHERE user_id = ? AND purpose = ?
		ORDER BY created_at DESC, id DESC LIMIT 1`), userID, string(p)))
}

// TokenByLink finds a token by the MAC of its link secret.
func (s *Store) TokenByLink(ctx context.Context, p Purpose, linkMAC []byte) (OneTimeToken, error) {
	return scanToken(s.q.QueryRowContext(ctx, s.db.Rebind(`SELECT `+tokenColumns+`
		FROM one_time_tokens WHERE link_mac = ? AND purpose = ?`), linkMAC, string(p)))
}

func scanToken(row *sql.Row) (OneTimeToken, error) {
	var t OneTimeToken
	var purpose string
	var consumed sql.NullTime
	err := row.Scan(&t.ID, &t.UserID, &purpose, &t.CodeMAC, &t.LinkMAC, &t.Target, &t.Attempts,
		&t.ExpiresAt, &consumed, &t.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return OneTimeToken{}, ErrNotFound
	}
	if err != nil {
		return OneTimeToken{}, fmt.Errorf("load token: %w", err)
	}
	t.Purpose, t.ConsumedAt = Purpose(purpose), consumed.Time
	return t, nil
}

// CountAttempt adds one failed attempt to a token and returns the new count.
// It spends the token when the count reaches max.
func (s *Store) CountAttempt(ctx context.Context, id string, max int, now time.Time) (int, error) {
	if _, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE one_time_tokens
		SET attempts = attempts + 1 WHERE id = ?`), id); err != nil {
		return 0, fmt.Errorf("count attempt: %w", err)
	}
	var n int
	if err := s.q.QueryRowContext(ctx, s.db.Rebind(
		`SELECT attempts FROM one_time_tokens WHERE id = ?`), id).Scan(&n); err != nil {
		return 0, fmt.Errorf("count attempt: %w", err)
	}
	if n >= max {
		if _, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE one_time_tokens SET consumed_at = ?
			WHERE id = ? AND consumed_at IS NULL`), now.UTC(), id); err != nil {
			return 0, fmt.Errorf("spend token: %w", err)
		}
	}
	return n, nil
}

// ConsumeToken spends a token. It reports false when the token was already
// spent, so that of two concurrent uses exactly one succeeds.
func (s *Store) ConsumeToken(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE one_time_tokens SET consumed_at = ?
		WHERE id = ? AND consumed_at IS NULL`), now.UTC(), id)
	if err != nil {
		return false, fmt.Errorf("consume token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("consume token: %w", err)
	}
	return n == 1, nil
}

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}
