package social

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
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// store keeps identities, states and results in either database.
type store struct{ db *storage.DB }

// Identity is a social identity linked to an account.
type Identity struct {
	ID         string     `json:"id"`
	UserID     string     `json:"-"`
	Provider   string     `json:"provider"`
	Subject    string     `json:"-"`
	Email      string     `json:"email,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// state is an authorization request in flight.
type state struct {
	mac, browserMAC []byte
	provider        string
	returnTo        string
	expiresAt       time.Time
	createdAt       time.Time
}

// result is what a callback proved: who the provider says the person is.
type result struct {
	mac       []byte
	kind      string // kindResult or kindLink
	provider  string
	claims    Claims
	authTime  time.Time
	expiresAt time.Time
	createdAt time.Time
}

const (
	kindResult = "result"
	kindLink   = "link"
)

var errNotFound = errors.New("social: not found")

func (s store) putState(ctx context.Context, st state) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO social_states (state_mac,
		provider, browser_mac, return_to, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		st.mac, st.provider, st.browserMAC, st.returnTo, st.expiresAt.UTC(), st.createdAt.UTC())
	if err != nil {
		return fmt.Errorf("store state: %w", err)
	}
	return nil
}

// takeState deletes and returns a state: of two callbacks with the same
// state exactly one gets it.
func (s store) takeState(ctx context.Context, mac []byte) (state, error) {
	st := state{mac: mac}
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`DELETE FROM social_states WHERE state_mac = ?
		RETURNING provider, browser_mac, return_to, expires_at, created_at`), mac).Scan(
		&st.provider, &st.browserMAC, &st.returnTo, &st.expiresAt, &st.createdAt)
	if errors.Is(err, sql.ErrNoRows) {
		return state{}, errNotFound
	}
	if err != nil {
		return state{}, fmt.Errorf("take state: %w", err)
	}
	return st, nil
}

func (s store) putResult(ctx context.Context, r result) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO social_results (handle_mac, kind,
		provider, subject, email, email_verified, name, auth_time, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), r.mac, r.kind, r.provider, r.claims.Subject,
		r.claims.Email, r.claims.EmailVerified, r.claims.Name, r.authTime.UTC(),
		r.expiresAt.UTC(), r.createdAt.UTC())
	if err != nil {
		return fmt.Errorf("store result: %w", err)
	}
	return nil
}

// takeResult deletes and returns a result of kind: single use.
func (s store) takeResult(ctx context.Context, mac []byte, kind string) (result, error) {
	r := result{mac: mac, kind: kind}
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`DELETE FROM social_results
		WHERE handle_mac = ? AND kind = ? RETURNING provider, subject, email, email_verified,
		name, auth_time, expires_at, created_at`), mac, kind).Scan(&r.provider,
		&r.claims.Subject, &r.claims.Email, &r.claims.EmailVerified, &r.claims.Name,
		&r.authTime, &r.expiresAt, &r.createdAt)
	if errors.Is(err, sql.ErrNoRows) {
		return result{}, errNotFound
	}
	if err != nil {
		return result{}, fmt.Errorf("take result: %w", err)
	}
	return r, nil
}

// sweep deletes expired states and results (Service.Sweep).
func (s store) sweep(ctx context.Context, now time.Time) error {
	for _, t := range []string{"social_states", "social_results"} {
		// #nosec G202 -- t is one of two table names above, not input.
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM `+t+
			` WHERE expires_at < ?`), now.UTC()); err != nil {
			return fmt.Errorf("sweep %s: %w", t, err)
		}
	}
	return nil
}

const identityColumns = `id, user_id, provider, subject, email, created_at, last_used_at`

func scanIdentity(row interface{ Scan(...any) error }) (Identity, error) {
	var id Identity
	var used sql.NullTime
	err := row.Scan(&id.ID, &id.UserID, &id.Provider, &id.Subject, &id.Email, &id.CreatedAt,
		&used)
	if errors.Is(err, sql.ErrNoRows) {
		return Identity{}, errNotFound
	}
	if err != nil {
		return Identity{}, fmt.Errorf("load identity: %w", err)
	}
	id.CreatedAt = id.CreatedAt.UTC()
	if used.Valid {
		t := used.Time.UTC()
		id.LastUsedAt = &t
	}
	return id, nil
}

// errIdentityTaken is a (provider, subject) already linked to an account.
var errIdentityTaken = errors.New("social: identity already linked")

func (s store) createIdentity(ctx context.Context, q querier, id Identity) error {
	_, err := q.ExecContext(ctx, s.db.Rebind(`INSERT INTO social_identities (`+identityColumns+
		`) VALUES (?, ?, ?, ?, ?, ?, NULL)`), id.ID, id.UserID, id.Provider, id.Subject, id.Email,
		id.CreatedAt.UTC())
	if storage.IsUniqueViolation(err) {
		return errIdentityTaken
	}
	if err != nil {
		return fmt.Errorf("create identity: %w", err)
	}
	return nil
}

func (s store) identityBySubject(ctx context.Context, provider, subject string) (Identity,
	error) {
	return scanIdentity(s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT `+identityColumns+
		` FROM social_identities WHERE provider = ? AND subject = ?`), provider, subject))
}

func (s store) identities(ctx context.Context, q querier, userID string) ([]Identity, error) {
	rows, err := q.QueryContext(ctx, s.db.Rebind(`SELECT `+identityColumns+
		` FROM social_identities WHERE user_id = ? ORDER BY created_at, id`), userID)
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	defer func() { _ = rows.Close() }() // rows.Err reports read failures
	out := []Identity{}
	for rows.Next() {
		id, err := scanIdentity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (s store) touchIdentity(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE social_identities SET last_used_at = ?
		WHERE id = ?`), now.UTC(), id)
	if err != nil {
		return fmt.Errorf("touch identity: %w", err)
	}
	return nil
}

func (s store) deleteIdentity(ctx context.Context, q querier, userID, id string) error {
	res, err := q.ExecContext(ctx, s.db.Rebind(`DELETE FROM social_identities
		WHERE id = ? AND user_id = ?`), id, userID)
	if err != nil {
		return fmt.Errorf("delete identity: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return errNotFound
	}
	return nil
}
