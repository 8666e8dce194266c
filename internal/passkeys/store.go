package passkeys

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// store keeps passkeys and ceremony challenges. It is unexported because
// its records hold the public keys and counters that only this package
// should change.
type store struct {
	db *storage.DB
}

// record is one row of passkeys: a WebAuthn credential record.
type record struct {
	ID                string
	UserID            string
	CredentialID      []byte
	PublicKey         []byte // COSE_Key, as the authenticator encoded it
	AttestationType   string
	AttestationFormat string
	AAGUID            []byte
	SignCount         uint32
	Transports        []string
	BackupEligible    bool
	BackupState       bool
	UserVerified      bool
	Name              string
	CreatedAt         time.Time
	LastUsedAt        time.Time // zero when never used
}

// credential is r as go-webauthn verifies with it.
func (r *record) credential() webauthn.Credential {
	flags := protocol.FlagUserPresent
	if r.UserVerified {
		flags |= protocol.FlagUserVerified
	}
	if r.BackupEligible {
		flags |= protocol.FlagBackupEligible
	}
	if r.BackupState {
		flags |= protocol.FlagBackupState
	}
	transports := make([]protocol.AuthenticatorTransport, len(r.Transports))
	for i, t := range r.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:                r.CredentialID,
		PublicKey:         r.PublicKey,
		AttestationType:   r.AttestationType,
		AttestationFormat: r.AttestationFormat,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(flags),
		Authenticator:     webauthn.Authenticator{AAGUID: r.AAGUID, SignCount: r.SignCount},
	}
}

const recordColumns = `id, user_id, credential_id, public_key, attestation_type,
	attestation_format, aaguid, sign_count, transports, backup_eligible, backup_state,
	user_verified, name, created_at, last_used_at`

func scanRecords(rows *sql.Rows) ([]record, error) {
	defer rows.Close()
	var out []record
	for rows.Next() {
		var r record
		var count int64
		var transports string
		var lastUsed sql.NullTime
		if err := rows.Scan(&r.ID, &r.UserID, &r.CredentialID, &r.PublicKey,
			&r.AttestationType, &r.AttestationFormat, &r.AAGUID, &count, &transports,
			&r.BackupEligible, &r.BackupState, &r.UserVerified, &r.Name, &r.CreatedAt,
			&lastUsed); err != nil {
			return nil, err
		}
		if count < 0 || count > 1<<32-1 {
			return nil, fmt.Errorf("passkey %s: sign_count %d out of range", r.ID, count)
		}
		r.SignCount = uint32(count)
		if err := json.Unmarshal([]byte(transports), &r.Transports); err != nil {
			return nil, fmt.Errorf("passkey %s: transports: %w", r.ID, err)
		}
		r.CreatedAt = r.CreatedAt.UTC()
		if lastUsed.Valid {
			r.LastUsedAt = lastUsed.Time.UTC()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// passkeys lists userID's passkeys, oldest first.
func (s *store) passkeys(ctx context.Context, q querier, userID string) ([]record, error) {
	rows, err := q.QueryContext(ctx, s.db.Rebind(`SELECT `+recordColumns+`
		FROM passkeys WHERE user_id = ? ORDER BY created_at, id`), userID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return recs, nil
}

// account loads userID's email, name and passkeys. It returns
// ErrUnknownUser when there is no such account. In a transaction on
// PostgreSQL it locks the account row, so that two registrations finishing
// at once are counted one after the other against MaxPasskeysPerUser
// (SQLite's write transactions already exclude each other).
func (s *store) account(ctx context.Context, q querier, userID string) (*account, []record, error) {
	query := `SELECT email, name FROM users WHERE id = ?`
	if _, inTx := q.(*sql.Tx); inTx && s.db.Dialect() == storage.Postgres {
		query += ` FOR UPDATE`
	}
	a := &account{id: userID}
	err := q.QueryRowContext(ctx, s.db.Rebind(query), userID).Scan(&a.email, &a.name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrUnknownUser
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load account: %w", err)
	}

	recs, err := s.passkeys(ctx, q, userID)
	if err != nil {
		return nil, nil, err
	}
	a.creds = make([]webauthn.Credential, len(recs))
	for i := range recs {
		a.creds[i] = recs[i].credential()
	}
	return a, recs, nil
}

// insert stores a new passkey. It returns ErrAlreadyRegistered when the
// credential id is registered already.
func (s *store) insert(ctx context.Context, q querier, r *record) error {
	transports, err := json.Marshal(r.Transports)
	if err != nil {
		return fmt.Errorf("store passkey: %w", err)
	}
	_, err = q.ExecContext(ctx, s.db.Rebind(`INSERT INTO passkeys (`+recordColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.UserID, r.CredentialID, r.PublicKey, r.AttestationType, r.AttestationFormat,
		nonNil(r.AAGUID), int64(r.SignCount), string(transports), r.BackupEligible,
		r.BackupState, r.UserVerified, r.Name, r.CreatedAt.UTC(), nullTime(r.LastUsedAt))
	if storage.IsUniqueViolation(err) {
		return ErrAlreadyRegistered
	}
	if err != nil {
		return fmt.Errorf("store passkey: %w", err)
	}
	return nil
}

// used records a verified login with passkey id: the new signature counter,
// backup state and user verification flag, and the time. The counter rule
// of WebAuthn Level 3 section 6.1.1 is part of the statement, so that two
// logins with one authenticator racing each other cannot both move the
// counter to the same value: the row changes only when the new counter is
// greater than the stored one, or both are 0. It reports whether the row
// changed; false means the counter did not advance, or the passkey was
// removed meanwhile.
func (s *store) used(ctx context.Context, q querier, id string, count uint32,
	backupState, userVerified bool, now time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, s.db.Rebind(`UPDATE passkeys
		SET sign_count = ?, backup_state = ?, user_verified = ?, last_used_at = ?
		WHERE id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))`),
		int64(count), backupState, userVerified, now.UTC(), id, int64(count), int64(count))
	if err != nil {
		return false, fmt.Errorf("record passkey use: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record passkey use: %w", err)
	}
	return n == 1, nil
}

// signCount reads a passkey's stored signature counter; exists is false
// when there is no such passkey.
func (s *store) signCount(ctx context.Context, q querier, id string) (count uint32,
	exists bool, err error) {
	var n int64
	err = q.QueryRowContext(ctx, s.db.Rebind(`SELECT sign_count FROM passkeys WHERE id = ?`),
		id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read sign count: %w", err)
	}
	if n < 0 || n > math.MaxUint32 { // written only from a uint32; as list checks it
		return 0, false, fmt.Errorf("read sign count: %d out of range", n)
	}
	return uint32(n), true, nil
}

// rename sets the name of userID's passkey id and reports whether there
// was one.
func (s *store) rename(ctx context.Context, q querier, userID, id, name string) (bool, error) {
	res, err := q.ExecContext(ctx, s.db.Rebind(`UPDATE passkeys SET name = ?
		WHERE id = ? AND user_id = ?`), name, id, userID)
	if err != nil {
		return false, fmt.Errorf("rename passkey: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("rename passkey: %w", err)
	}
	return n == 1, nil
}

// remove deletes userID's passkey id and returns it, or ErrNotFound.
func (s *store) remove(ctx context.Context, q querier, userID, id string) (record, error) {
	rows, err := q.QueryContext(ctx, s.db.Rebind(`DELETE FROM passkeys
		WHERE id = ? AND user_id = ? RETURNING `+recordColumns), id, userID)
	if err != nil {
		return record{}, fmt.Errorf("remove passkey: %w", err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return record{}, fmt.Errorf("remove passkey: %w", err)
	}
	if len(recs) == 0 {
		return record{}, ErrNotFound
	}
	return recs[0], nil
}

// count counts userID's passkeys.
func (s *store) count(ctx context.Context, q querier, userID string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, s.db.Rebind(`SELECT COUNT(*) FROM passkeys
		WHERE user_id = ?`), userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count passkeys: %w", err)
	}
	return n, nil
}

// Challenge kinds, as stored.
const (
	kindRegister = "register"
	kindLogin    = "login"
)

// challenge is one row of passkey_challenges.
type challenge struct {
	ID        string
	UserID    string // "" for a discoverable login
	Kind      string
	Session   []byte // webauthn.SessionData as JSON
	CreatedAt time.Time
	ExpiresAt time.Time
}

// putChallenge stores a ceremony begun.
func (s *store) putChallenge(ctx context.Context, c challenge) error {
	var userID sql.NullString
	if c.UserID != "" {
		userID = sql.NullString{String: c.UserID, Valid: true}
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO passkey_challenges
		(id, user_id, kind, session_data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
		c.ID, userID, c.Kind, c.Session, c.CreatedAt.UTC(), c.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("store challenge: %w", err)
	}
	return nil
}

// takeChallenge consumes the unexpired challenge id of kind, and, when
// userID is not "", of that account. The DELETE is the check: of two
// calls racing with one id, only one gets the row, so a challenge
// finishes at most one ceremony. It returns ErrChallenge when there is no
// such challenge. An expired row stays until SweepChallenges.
func (s *store) takeChallenge(ctx context.Context, id, kind, userID string,
	now time.Time) (challenge, error) {
	query := `DELETE FROM passkey_challenges WHERE id = ? AND kind = ? AND expires_at > ?`
	args := []any{id, kind, now.UTC()}
	if userID != "" {
		query += ` AND user_id = ?`
		args = append(args, userID)
	}
	c := challenge{ID: id, Kind: kind}
	var owner sql.NullString
	err := s.db.QueryRowContext(ctx, s.db.Rebind(query+
		` RETURNING user_id, session_data, created_at, expires_at`), args...).
		Scan(&owner, &c.Session, &c.CreatedAt, &c.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return challenge{}, ErrChallenge
	}
	if err != nil {
		return challenge{}, fmt.Errorf("take challenge: %w", err)
	}
	c.UserID = owner.String
	return c, nil
}

// sweep deletes the challenges that expired at or before now.
func (s *store) sweep(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM passkey_challenges
		WHERE expires_at <= ?`), now.UTC())
	if err != nil {
		return 0, fmt.Errorf("sweep challenges: %w", err)
	}
	return res.RowsAffected()
}

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC(), Valid: true}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
