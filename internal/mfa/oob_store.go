package mfa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// oobRow is a row of mfa_oob_factors.
type oobRow struct {
	id, userID, channel, name, hint string
	sealed                          []byte
	createdAt                       time.Time
	activatedAt                     sql.NullTime
	lastUsedAt                      sql.NullTime
}

func (f oobRow) active() bool { return f.activatedAt.Valid }

const oobColumns = `id, user_id, channel, name, destination_sealed, hint, created_at,
	activated_at, last_used_at`

func (st store) insertOOB(ctx context.Context, f oobRow) error {
	_, err := st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO mfa_oob_factors (`+oobColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)`),
		f.id, f.userID, f.channel, f.name, f.sealed, f.hint, f.createdAt.UTC())
	if err != nil {
		return fmt.Errorf("insert factor: %w", err)
	}
	return nil
}

func (st store) deletePendingOOB(ctx context.Context, userID, channel string) error {
	_, err := st.q.ExecContext(ctx, st.db.Rebind(`DELETE FROM mfa_oob_factors
		WHERE user_id = ? AND channel = ? AND activated_at IS NULL`), userID, channel)
	if err != nil {
		return fmt.Errorf("replace pending factor: %w", err)
	}
	return nil
}

// oobFactor loads one of a person's out-of-band factors, or
// ErrNoSuchFactor.
func (st store) oobFactor(ctx context.Context, userID, id string) (oobRow, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`SELECT `+oobColumns+`
		FROM mfa_oob_factors WHERE id = ? AND user_id = ?`), id, userID)
	if err != nil {
		return oobRow{}, fmt.Errorf("load factor: %w", err)
	}
	fs, err := scanOOB(rows)
	if err != nil {
		return oobRow{}, err
	}
	if len(fs) == 0 {
		return oobRow{}, ErrNoSuchFactor
	}
	return fs[0], nil
}

// oobFactors lists a person's out-of-band factors, oldest first; only the
// active ones of channel when channel is not empty.
func (st store) oobFactors(ctx context.Context, userID, channel string) ([]oobRow, error) {
	q, args := `SELECT `+oobColumns+` FROM mfa_oob_factors WHERE user_id = ?`, []any{userID}
	if channel != "" {
		q += ` AND channel = ? AND activated_at IS NOT NULL`
		args = append(args, channel)
	}
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(q+` ORDER BY created_at, id`), args...)
	if err != nil {
		return nil, fmt.Errorf("list factors: %w", err)
	}
	return scanOOB(rows)
}

func scanOOB(rows *sql.Rows) ([]oobRow, error) {
	defer rows.Close()
	var out []oobRow
	for rows.Next() {
		var f oobRow
		if err := rows.Scan(&f.id, &f.userID, &f.channel, &f.name, &f.sealed, &f.hint,
			&f.createdAt, &f.activatedAt, &f.lastUsedAt); err != nil {
			return nil, fmt.Errorf("load factor: %w", err)
		}
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

// activeChannels reports which channels the person has an active factor
// of.
func (st store) activeChannels(ctx context.Context, userID string) (map[string]bool, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`SELECT DISTINCT channel
		FROM mfa_oob_factors WHERE user_id = ? AND activated_at IS NOT NULL`), userID)
	if err != nil {
		return nil, fmt.Errorf("check factors: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("check factors: %w", err)
		}
		out[c] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check factors: %w", err)
	}
	return out, nil
}

// lockOOBFactor makes sure the factor exists and, on PostgreSQL, holds its
// row until the transaction ends, so that a code cannot be stored for a
// factor being removed at the same moment. SQLite's write transactions
// exclude each other already.
func (st store) lockOOBFactor(ctx context.Context, userID, id string) error {
	q := `SELECT COUNT(*) FROM mfa_oob_factors WHERE id = ? AND user_id = ?`
	if st.db.Dialect() == storage.Postgres {
		q = `SELECT COUNT(*) FROM (SELECT 1 FROM mfa_oob_factors
			WHERE id = ? AND user_id = ? FOR UPDATE) AS f`
	}
	var n int
	if err := st.q.QueryRowContext(ctx, st.db.Rebind(q), id, userID).Scan(&n); err != nil {
		return fmt.Errorf("load factor: %w", err)
	}
	if n == 0 {
		return ErrNoSuchFactor
	}
	return nil
}

// account is what this package reads of a person's account.
type account struct {
	email    string
	verified bool
	locale   string
}

func (st store) account(ctx context.Context, userID string) (account, error) {
	var a account
	err := st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT email, email_verified, locale
		FROM users WHERE id = ?`), userID).Scan(&a.email, &a.verified, &a.locale)
	if errors.Is(err, sql.ErrNoRows) {
		return account{}, ErrUnknownUser
	}
	if err != nil {
		return account{}, fmt.Errorf("load account: %w", err)
	}
	return a, nil
}

// oobCode is a row of mfa_oob_codes.
type oobCode struct {
	factorID, userID string
	mac              []byte
	tries            int
	sentAt           time.Time
	expiresAt        time.Time
	used             bool
}

// lastSent returns when the factor's live code was sent, if it has one.
func (st store) lastSent(ctx context.Context, factorID string) (time.Time, bool, error) {
	var t time.Time
	err := st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT sent_at FROM mfa_oob_codes
		WHERE factor_id = ?`), factorID).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("load code: %w", err)
	}
	return t.UTC(), true, nil
}

// putCode stores c as its factor's live code, replacing the previous one.
func (st store) putCode(ctx context.Context, c oobCode) error {
	_, err := st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO mfa_oob_codes
		(factor_id, user_id, code_mac, attempts, sent_at, expires_at, used_at)
		VALUES (?, ?, ?, 0, ?, ?, NULL)
		ON CONFLICT (factor_id) DO UPDATE SET code_mac = excluded.code_mac, attempts = 0,
			sent_at = excluded.sent_at, expires_at = excluded.expires_at, used_at = NULL`),
		c.factorID, c.userID, c.mac, c.sentAt.UTC(), c.expiresAt.UTC())
	if err != nil {
		return fmt.Errorf("store code: %w", err)
	}
	return nil
}

// codeState loads a factor's live code, used or not, for telling why a
// try was refused.
func (st store) codeState(ctx context.Context, userID, factorID string) (oobCode, bool, error) {
	c := oobCode{factorID: factorID, userID: userID}
	var used sql.NullTime
	err := st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT code_mac, attempts, sent_at,
		expires_at, used_at FROM mfa_oob_codes WHERE factor_id = ? AND user_id = ?`),
		factorID, userID).Scan(&c.mac, &c.tries, &c.sentAt, &c.expiresAt, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return oobCode{}, false, nil
	}
	if err != nil {
		return oobCode{}, false, fmt.Errorf("load code: %w", err)
	}
	c.used = used.Valid
	c.sentAt, c.expiresAt = c.sentAt.UTC(), c.expiresAt.UTC()
	return c, true, nil
}

// countTry takes one of the live code's tries before it is compared, in
// one atomic statement, and returns the code's MAC. It reports false, and
// takes nothing, when there is no live code that is unused, unexpired and
// has tries left. Counting first means concurrent guesses cannot share a
// try: each gets its own increment, on every node.
func (st store) countTry(ctx context.Context, userID, factorID string,
	now time.Time) ([]byte, bool, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`UPDATE mfa_oob_codes
		SET attempts = attempts + 1
		WHERE factor_id = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?
			AND attempts < ?
		RETURNING code_mac`), factorID, userID, now.UTC(), maxCodeTries)
	if err != nil {
		return nil, false, fmt.Errorf("count try: %w", err)
	}
	defer rows.Close()
	var mac []byte
	found := rows.Next()
	if found {
		if err := rows.Scan(&mac); err != nil {
			return nil, false, fmt.Errorf("count try: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("count try: %w", err)
	}
	return mac, found, nil
}

// spendOOBCode marks the live code used if it is still the one with mac,
// unused and unexpired. Of two concurrent spends exactly one changes the
// row: on PostgreSQL the second UPDATE waits for the first's row lock and
// then re-reads the condition; on SQLite write transactions run one at a
// time.
func (st store) spendOOBCode(ctx context.Context, userID, factorID string, mac []byte,
	now time.Time) (bool, error) {
	return st.changed(ctx, "spend code", `UPDATE mfa_oob_codes SET used_at = ?
		WHERE factor_id = ? AND user_id = ? AND code_mac = ? AND used_at IS NULL
			AND expires_at > ?`,
		now.UTC(), factorID, userID, mac, now.UTC())
}

// countSends counts the codes sent to a person after since, and returns
// when the oldest of them was sent.
func (st store) countSends(ctx context.Context, userID string,
	since time.Time) (int, time.Time, error) {
	var n int
	err := st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT COUNT(*) FROM mfa_oob_sends
		WHERE user_id = ? AND sent_at > ?`), userID, since.UTC()).Scan(&n)
	if err != nil || n == 0 {
		return 0, time.Time{}, wrapErr("count sends", err)
	}
	// A plain column, not MIN(): SQLite keeps the column's type only for
	// a bare column, and the driver needs it to read a time.
	var oldest time.Time
	err = st.q.QueryRowContext(ctx, st.db.Rebind(`SELECT sent_at FROM mfa_oob_sends
		WHERE user_id = ? AND sent_at > ? ORDER BY sent_at LIMIT 1`), userID,
		since.UTC()).Scan(&oldest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count sends: %w", err)
	}
	return n, oldest.UTC(), nil
}

// recordSend adds a send at now and forgets those at or before
// now - sendWindow, which no longer count.
func (st store) recordSend(ctx context.Context, userID string, now time.Time) error {
	if _, err := st.q.ExecContext(ctx, st.db.Rebind(`DELETE FROM mfa_oob_sends
		WHERE user_id = ? AND sent_at <= ?`), userID, now.Add(-sendWindow).UTC()); err != nil {
		return fmt.Errorf("record send: %w", err)
	}
	if _, err := st.q.ExecContext(ctx, st.db.Rebind(`INSERT INTO mfa_oob_sends
		(user_id, sent_at) VALUES (?, ?)`), userID, now.UTC()); err != nil {
		return fmt.Errorf("record send: %w", err)
	}
	return nil
}

// activateOOB marks a pending factor active. It reports false when the
// factor is no longer pending (activated or replaced meanwhile).
func (st store) activateOOB(ctx context.Context, userID, id string, now time.Time) (bool, error) {
	return st.changed(ctx, "activate factor", `UPDATE mfa_oob_factors
		SET activated_at = ?, last_used_at = ?
		WHERE id = ? AND user_id = ? AND activated_at IS NULL`,
		now.UTC(), now.UTC(), id, userID)
}

func (st store) markOOBUsed(ctx context.Context, userID, id string, now time.Time) error {
	_, err := st.changed(ctx, "record use", `UPDATE mfa_oob_factors SET last_used_at = ?
		WHERE id = ? AND user_id = ?`, now.UTC(), id, userID)
	return err
}

func (st store) renameOOB(ctx context.Context, userID, id, name string) (bool, error) {
	return st.changed(ctx, "rename factor",
		`UPDATE mfa_oob_factors SET name = ? WHERE id = ? AND user_id = ?`, name, id, userID)
}

// deleteOOBFactor removes an out-of-band factor, and with it its code,
// and returns it as a factorRow of its channel's kind, or
// ErrNoSuchFactor.
func (st store) deleteOOBFactor(ctx context.Context, userID, id string) (factorRow, error) {
	rows, err := st.q.QueryContext(ctx, st.db.Rebind(`DELETE FROM mfa_oob_factors
		WHERE id = ? AND user_id = ? RETURNING `+oobColumns), id, userID)
	if err != nil {
		return factorRow{}, fmt.Errorf("remove factor: %w", err)
	}
	fs, err := scanOOB(rows)
	if err != nil {
		return factorRow{}, err
	}
	if len(fs) == 0 {
		return factorRow{}, ErrNoSuchFactor
	}
	f := fs[0]
	return factorRow{id: f.id, userID: f.userID, kind: f.channel, name: f.name,
		createdAt: f.createdAt, activatedAt: f.activatedAt, lastUsedAt: f.lastUsedAt}, nil
}

// countOnlyOOB counts the active accounts whose only active factors of
// this package are out-of-band ones, so that Adoption can add them to the
// TOTP holders without counting anyone twice.
func (st store) countOnlyOOB(ctx context.Context) (int, error) {
	var n int
	err := st.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u
		WHERE u.state = 'active'
		AND EXISTS (SELECT 1 FROM mfa_oob_factors o
			WHERE o.user_id = u.id AND o.activated_at IS NOT NULL)
		AND NOT EXISTS (SELECT 1 FROM mfa_factors f
			WHERE f.user_id = u.id AND f.activated_at IS NOT NULL)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count mfa adoption: %w", err)
	}
	return n, nil
}

// wrapErr names op in err, and keeps nil nil.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
