package mfa

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// store is the SQL of this package, portable between SQLite and
// PostgreSQL. Its statements run on the database or, from inTx, in a
// transaction.
type store struct {
	db *storage.DB
	q  querier
}

func (s *Service) store() store { return store{db: s.db, q: s.db} }

// inTx runs fn with a store whose statements run in one transaction.
func (s *Service) inTx(ctx context.Context, fn func(tx *sql.Tx, st store) error) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		return fn(tx, store{db: s.db, q: tx})
	})
}

// factorRow is a row of mfa_factors.
type factorRow struct {
	id, userID, kind, name string
	sealed                 []byte
	lastUsedStep           uint64
	createdAt              time.Time
	activatedAt            sql.NullTime
	lastUsedAt             sql.NullTime
}

func (f factorRow) active() bool { return f.activatedAt.Valid }

const factorColumns = `id, user_id, kind, name, secret_sealed, last_used_step, created_at,
	activated_at, last_used_at`

// lockUser serialises the changes to one person's factors and codes until
// the transaction ends, so that checking a cap and acting on it cannot
// interleave with another change. SQLite's write transactions already
// exclude each other (storage opens them IMMEDIATE). It returns
// ErrUnknownUser when there is no such account.
func (st store) lockUser(ctx context.Context, userID string) error {
	if st.db.Dialect() == storage.Postgres {
		if _, err := st.q.ExecContext(ctx,
			`SELECT pg_advisory_xact_lock(hashtext('cerrojo.mfa.' || $1))`, userID); err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
	}
	var n int
	err := st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT COUNT(*) FROM users WHERE id = ?`),
		userID).Scan(&n)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	if n == 0 {
		return ErrUnknownUser
	}
	return nil
}

func (st store) countActive(ctx context.Context, userID, kind string) (int, error) {
	var n int
	err := st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT COUNT(*) FROM mfa_factors
		WHERE user_id = ? AND kind = ? AND activated_at IS NOT NULL`), userID, kind).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count factors: %w", err)
	}
	return n, nil
}

func (st store) deletePending(ctx context.Context, userID, kind string) error {
	_, err := st.q.ExecContext(ctx, st.db.Rebind(`DELETE FROM mfa_factors
		WHERE user_id = ? AND kind = ? AND activated_at IS NULL`), userID, kind)
	if err != nil {
		return fmt.Errorf("replace pending factor: %w", err)
	}
	return nil
}

func (st store) insertFactor(ctx context.Context, f factorRow) error {
	_, err := st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO mfa_factors (`+factorColumns+`)
		VALUES (?, ?, ?, ?, ?, 0, ?, NULL, NULL)`),
		f.id, f.userID, f.kind, f.name, f.sealed, f.createdAt.UTC())
	if err != nil {
		return fmt.Errorf("insert factor: %w", err)
	}
	return nil
}

// factor loads one of a person's factors, or ErrNoSuchFactor.
func (st store) factor(ctx context.Context, userID, id string) (factorRow, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`SELECT `+factorColumns+`
		FROM mfa_factors WHERE id = ? AND user_id = ?`), id, userID)
	if err != nil {
		return factorRow{}, fmt.Errorf("load factor: %w", err)
	}
	fs, err := scanFactors(rows)
	if err != nil {
		return factorRow{}, err
	}
	if len(fs) == 0 {
		return factorRow{}, ErrNoSuchFactor
	}
	return fs[0], nil
}

// factors lists a person's factors, oldest first; only the active ones
// when activeOnly is set.
func (st store) factors(ctx context.Context, userID string, activeOnly bool) ([]factorRow, error) {
	q := `SELECT ` + factorColumns + ` FROM mfa_factors WHERE user_id = ?`
	if activeOnly {
		q += ` AND activated_at IS NOT NULL`
	}
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(q+` ORDER BY created_at, id`), userID)
	if err != nil {
		return nil, fmt.Errorf("list factors: %w", err)
	}
	return scanFactors(rows)
}

func scanFactors(rows *sql.Rows) ([]factorRow, error) {
	defer rows.Close()
	var out []factorRow
	for rows.Next() {
		var f factorRow
		var step int64
		if err := rows.Scan(&f.id, &f.userID, &f.kind, &f.name, &f.sealed, &step,
			&f.createdAt, &f.activatedAt, &f.lastUsedAt); err != nil {
			return nil, fmt.Errorf("load factor: %w", err)
		}
		f.lastUsedStep = uint64(max(step, 0))
		f.createdAt = f.createdAt.UTC()
		f.activatedAt.Time = f.activatedAt.Time.UTC()
		f.lastUsedAt.Time = f.lastUsedAt.Time.UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load factor: %w", err)
	}
	return out, nil
}

// activate marks a pending factor active with step as its first used
// step. It reports false when the factor is no longer pending (activated
// or replaced meanwhile).
func (st store) activate(ctx context.Context, userID, id string, step uint64,
	now time.Time) (bool, error) {
	return st.changed(ctx, "activate factor", `UPDATE mfa_factors
		SET activated_at = ?, last_used_at = ?, last_used_step = ?
		WHERE id = ? AND user_id = ? AND activated_at IS NULL AND last_used_step < ?`,
		// #nosec G115 -- step comes from timeStep (Unix seconds / 30), far below 1<<63.
		now.UTC(), now.UTC(), int64(step), id, userID, int64(step))
}

// markUsed records step as the last used step of an active factor, only if
// it is later than the one recorded. Of two verifications of the same code
// exactly one changes the row: on PostgreSQL the second UPDATE waits for
// the first's row lock and then re-reads the condition; on SQLite write
// transactions run one at a time.
func (st store) markUsed(ctx context.Context, userID, id string, step uint64,
	now time.Time) (bool, error) {
	return st.changed(ctx, "record used step", `UPDATE mfa_factors
		SET last_used_step = ?, last_used_at = ?
		WHERE id = ? AND user_id = ? AND activated_at IS NOT NULL AND last_used_step < ?`,
		// #nosec G115 -- step comes from timeStep (Unix seconds / 30), far below 1<<63.
		int64(step), now.UTC(), id, userID, int64(step))
}

func (st store) rename(ctx context.Context, userID, id, name string) (bool, error) {
	return st.changed(ctx, "rename factor",
		`UPDATE mfa_factors SET name = ? WHERE id = ? AND user_id = ?`, name, id, userID)
}

// deleteFactor removes a factor and returns it as it was, or
// ErrNoSuchFactor.
func (st store) deleteFactor(ctx context.Context, userID, id string) (factorRow, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`DELETE FROM mfa_factors
		WHERE id = ? AND user_id = ? RETURNING `+factorColumns), id, userID)
	if err != nil {
		return factorRow{}, fmt.Errorf("remove factor: %w", err)
	}
	fs, err := scanFactors(rows)
	if err != nil {
		return factorRow{}, err
	}
	if len(fs) == 0 {
		return factorRow{}, ErrNoSuchFactor
	}
	return fs[0], nil
}

func (st store) hasActive(ctx context.Context, userID string) (bool, error) {
	var n int
	err := st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT COUNT(*) FROM mfa_factors
		WHERE user_id = ? AND activated_at IS NOT NULL`), userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check factors: %w", err)
	}
	return n > 0, nil
}

// adoption counts active accounts, and those of them with an active
// factor, in one statement so both numbers come from one snapshot.
func (st store) adoption(ctx context.Context) (withFactor, active int, err error) {
	err = st.q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM users u WHERE u.state = 'active' AND EXISTS (
			SELECT 1 FROM mfa_factors f
			WHERE f.user_id = u.id AND f.activated_at IS NOT NULL)),
		(SELECT COUNT(*) FROM users WHERE state = 'active')`).Scan(&withFactor, &active)
	if err != nil {
		return 0, 0, fmt.Errorf("count mfa adoption: %w", err)
	}
	return withFactor, active, nil
}

// codeRow is a row of mfa_recovery_codes.
type codeRow struct {
	idx        int
	salt       []byte
	hashSealed []byte
	used       bool
	createdAt  time.Time
}

// replaceCodes deletes a person's recovery codes and stores rows instead.
// It returns how many codes there were before.
func (st store) replaceCodes(ctx context.Context, userID string, rows []codeRow) (int, error) {
	old, err := st.deleteCodes(ctx, userID)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		if _, err := st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO mfa_recovery_codes
			(user_id, idx, salt, hash_sealed, used_at, created_at) VALUES (?, ?, ?, ?, NULL, ?)`),
			userID, r.idx, r.salt, r.hashSealed, r.createdAt.UTC()); err != nil {
			return 0, fmt.Errorf("store recovery code: %w", err)
		}
	}
	return old, nil
}

func (st store) deleteCodes(ctx context.Context, userID string) (int, error) {
	res, err := st.q.ExecContext(ctx, st.db.Rebind(
		`DELETE FROM mfa_recovery_codes WHERE user_id = ?`), userID)
	if err != nil {
		return 0, fmt.Errorf("delete recovery codes: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete recovery codes: %w", err)
	}
	return int(n), nil
}

// codes loads a person's recovery codes, used ones included.
func (st store) codes(ctx context.Context, userID string) ([]codeRow, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`SELECT idx, salt, hash_sealed, used_at
		FROM mfa_recovery_codes WHERE user_id = ? ORDER BY idx`), userID)
	if err != nil {
		return nil, fmt.Errorf("load recovery codes: %w", err)
	}
	defer rows.Close()
	var out []codeRow
	for rows.Next() {
		var c codeRow
		var used sql.NullTime
		if err := rows.Scan(&c.idx, &c.salt, &c.hashSealed, &used); err != nil {
			return nil, fmt.Errorf("load recovery codes: %w", err)
		}
		c.used = used.Valid
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load recovery codes: %w", err)
	}
	return out, nil
}

// spendCode marks one code used if it is still unused and still the same
// code: the salt is checked too, so a code of a set replaced meanwhile
// cannot spend the new code stored at its index.
func (st store) spendCode(ctx context.Context, userID string, idx int, salt []byte,
	now time.Time) (bool, error) {
	return st.changed(ctx, "spend recovery code", `UPDATE mfa_recovery_codes SET used_at = ?
		WHERE user_id = ? AND idx = ? AND salt = ? AND used_at IS NULL`,
		now.UTC(), userID, idx, salt)
}

func (st store) countUnused(ctx context.Context, userID string) (int, error) {
	var n int
	err := st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT COUNT(*) FROM mfa_recovery_codes
		WHERE user_id = ? AND used_at IS NULL`), userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

// changed runs a statement and reports whether it changed a row.
func (st store) changed(ctx context.Context, op, query string, args ...any) (bool, error) {
	res, err := st.q.ExecContext(ctx, st.db.Rebind(query), args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	return n > 0, nil
}
