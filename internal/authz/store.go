package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// Grant is a stored role binding: who holds which role, where, since when
// and until when, and who granted it.
type Grant struct {
	UserID string
	Role   string
	// Vendor is the vendor the binding is scoped to; empty means global.
	Vendor    string
	GrantedBy string
	GrantedAt time.Time
	// ExpiresAt is when the binding stops applying; zero means never.
	ExpiresAt time.Time
}

// querier is what Store needs of *sql.DB and *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Store keeps role bindings.
type Store struct {
	db *storage.DB
	q  querier
}

// NewStore returns a store over db.
func NewStore(db *storage.DB) *Store { return &Store{db: db, q: db} }

// Tx returns a store whose statements run in tx.
func (s *Store) Tx(tx *sql.Tx) *Store { return &Store{db: s.db, q: tx} }

// ErrUnknownUser is returned when a binding names a user that does not
// exist.
var ErrUnknownUser = errors.New("authz: unknown user")

// Put creates or replaces the binding (user, role, vendor). It reports
// whether a binding was there before.
func (s *Store) Put(ctx context.Context, g Grant) (replaced bool, err error) {
	var exists int
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(`SELECT
		(SELECT COUNT(*) FROM users WHERE id = ?),
		(SELECT COUNT(*) FROM role_bindings WHERE user_id = ? AND role = ? AND vendor_id = ?)`),
		g.UserID, g.UserID, g.Role, g.Vendor)
	if err != nil {
		return false, fmt.Errorf("put binding: %w", err)
	}
	var users int
	for rows.Next() {
		if err := rows.Scan(&users, &exists); err != nil {
			_ = rows.Close() // the scan error is the one returned
			return false, fmt.Errorf("put binding: %w", err)
		}
	}
	// Next has returned false, which closes the rows: these Close calls
	// cannot fail and only document that the rows are done.
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return false, fmt.Errorf("put binding: %w", err)
	}
	_ = rows.Close()
	if users == 0 {
		return false, ErrUnknownUser
	}

	update := func() error {
		_, err := s.q.ExecContext(ctx, s.db.Rebind(`UPDATE role_bindings SET granted_by = ?,
			granted_at = ?, expires_at = ? WHERE user_id = ? AND role = ? AND vendor_id = ?`),
			g.GrantedBy, g.GrantedAt.UTC(), nullTime(g.ExpiresAt), g.UserID, g.Role, g.Vendor)
		return err
	}
	if exists > 0 {
		err = update()
	} else {
		// ON CONFLICT: a grant of the same binding may commit between the
		// SELECT above and this INSERT; it then becomes a replacement.
		var res sql.Result
		res, err = s.q.ExecContext(ctx, s.db.Rebind(`INSERT INTO role_bindings
			(user_id, role, vendor_id, granted_by, granted_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, role, vendor_id) DO NOTHING`),
			g.UserID, g.Role, g.Vendor, g.GrantedBy, g.GrantedAt.UTC(), nullTime(g.ExpiresAt))
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				exists, err = 1, update()
			}
		}
	}
	if err != nil {
		return false, fmt.Errorf("put binding: %w", err)
	}
	return exists > 0, nil
}

// account is what the store reads of an account (the users table belongs
// to package accounts; this package only reads these two columns).
type account struct{ kind, state string }

// active reports whether the account may hold roles: a disabled account,
// or one pending deletion, holds nothing.
func (a account) active() bool { return a.state != "disabled" && a.state != "pending_deletion" }

// Subject loads an account's kind and state and all its bindings in one
// round trip, expired ones included. It returns ErrUnknownUser when there
// is no such account.
func (s *Store) Subject(ctx context.Context, userID string) (account, []Grant, error) {
	query := s.db.Rebind(`SELECT u.kind, u.state, b.role,
		b.vendor_id, b.granted_by, b.granted_at, b.expires_at
		FROM users u LEFT JOIN role_bindings b ON b.user_id = u.id
		WHERE u.id = ? ORDER BY b.vendor_id, b.role`)
	var rows *sql.Rows
	var err error
	if s.q == querier(s.db) {
		rows, err = s.db.QueryHot(ctx, query, userID) // every check runs this
	} else {
		rows, err = s.q.QueryContext(ctx, query, userID)
	}
	if err != nil {
		return account{}, nil, fmt.Errorf("load subject: %w", err)
	}
	defer rows.Close()
	var (
		acct  account
		found bool
		out   []Grant
	)
	for rows.Next() {
		var role, vendor, by sql.NullString
		var at, exp sql.NullTime
		if err := rows.Scan(&acct.kind, &acct.state, &role, &vendor, &by, &at, &exp); err != nil {
			return account{}, nil, fmt.Errorf("load subject: %w", err)
		}
		found = true
		if !role.Valid {
			continue // no bindings: the LEFT JOIN's one row of NULLs
		}
		g := Grant{UserID: userID, Role: role.String, Vendor: vendor.String,
			GrantedBy: by.String, GrantedAt: at.Time.UTC()}
		if exp.Valid {
			g.ExpiresAt = exp.Time.UTC()
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return account{}, nil, fmt.Errorf("load subject: %w", err)
	}
	if !found {
		return account{}, nil, ErrUnknownUser
	}
	return acct, out, nil
}

// LockRole serialises changes to one role's bindings until the transaction
// ends, so that two revocations running at once cannot both see another
// holder and leave none. SQLite's write transactions already exclude each
// other (storage opens them IMMEDIATE).
func (s *Store) LockRole(ctx context.Context, role string) error {
	if s.db.Dialect() != storage.Postgres {
		return nil
	}
	_, err := s.q.ExecContext(ctx,
		`SELECT pg_advisory_xact_lock(hashtext('cerrojo.role.' || $1))`, role)
	if err != nil {
		return fmt.Errorf("lock role %s: %w", role, err)
	}
	return nil
}

// Holds reports whether the user holds the binding (user, role, vendor)
// unexpired at now.
func (s *Store) Holds(ctx context.Context, userID, role, vendor string,
	now time.Time) (bool, error) {
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM role_bindings
		WHERE user_id = ? AND role = ? AND vendor_id = ?
		AND (expires_at IS NULL OR expires_at > ?)`),
		userID, role, vendor, now.UTC())
	if err != nil {
		return false, fmt.Errorf("read binding: %w", err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, fmt.Errorf("read binding: %w", err)
		}
	}
	return n > 0, rows.Err()
}

// Delete removes the binding (user, role, vendor) and reports whether there
// was one.
func (s *Store) Delete(ctx context.Context, userID, role, vendor string) (bool, error) {
	res, err := s.q.ExecContext(ctx, s.db.Rebind(`DELETE FROM role_bindings
		WHERE user_id = ? AND role = ? AND vendor_id = ?`), userID, role, vendor)
	if err != nil {
		return false, fmt.Errorf("delete binding: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete binding: %w", err)
	}
	return n > 0, nil
}

const grantColumns = `user_id, role, vendor_id, granted_by, granted_at, expires_at`

// ForUser lists a person's bindings, expired ones included (the caller
// decides with its clock), ordered by vendor then role.
func (s *Store) ForUser(ctx context.Context, userID string) ([]Grant, error) {
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(`SELECT `+grantColumns+`
		FROM role_bindings WHERE user_id = ? ORDER BY vendor_id, role`), userID)
	if err != nil {
		return nil, fmt.Errorf("list bindings: %w", err)
	}
	return scanGrants(rows)
}

// Holders lists the bindings scoped to vendor (global ones when vendor is
// empty), of one role or of every role when role is empty, at most limit
// of them (all when limit is 0).
func (s *Store) Holders(ctx context.Context, vendor, role string, limit int) ([]Grant, error) {
	q := `SELECT ` + grantColumns + ` FROM role_bindings WHERE vendor_id = ?`
	args := []any{vendor}
	if role != "" {
		q += ` AND role = ?`
		args = append(args, role)
	}
	q += ` ORDER BY role, user_id`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list role holders: %w", err)
	}
	return scanGrants(rows)
}

// CountHolders counts the unexpired global bindings of role at now; the
// last super admin must not be able to remove themselves.
func (s *Store) CountHolders(ctx context.Context, role string, now time.Time) (int, error) {
	rows, err := s.q.QueryContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM role_bindings
		WHERE role = ? AND vendor_id = '' AND (expires_at IS NULL OR expires_at > ?)`),
		role, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("count role holders: %w", err)
	}
	defer rows.Close()
	var n int
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("count role holders: %w", err)
		}
	}
	return n, rows.Err()
}

func scanGrants(rows *sql.Rows) ([]Grant, error) {
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		var g Grant
		var exp sql.NullTime
		if err := rows.Scan(&g.UserID, &g.Role, &g.Vendor, &g.GrantedBy, &g.GrantedAt,
			&exp); err != nil {
			return nil, fmt.Errorf("load binding: %w", err)
		}
		g.GrantedAt = g.GrantedAt.UTC()
		if exp.Valid {
			g.ExpiresAt = exp.Time.UTC()
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load binding: %w", err)
	}
	return out, nil
}

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}
