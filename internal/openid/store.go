package openid

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/cerrojo/cerrojo/internal/storage"
)

// errNotFound is an authorization request that does not exist or has
// expired; the library turns it into invalid_grant or a page.
var errNotFound = errors.New("openid: the authorization request is unknown or has expired")

// errReplayed is a code presented a second time.
var errReplayed = errors.New("openid: the authorization code was already used")

// authRequest is one authorization request (OpenID Connect Core 1.0
// section 3.1.2.1) from /oauth2/authorize to the code exchange. It
// implements op.AuthRequest.
type authRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string
	ResponseMode        string
	Prompt              []string
	MaxAge              *time.Duration
	UILocales           []string
	LoginHint           string
	CreatedAt           time.Time
	ExpiresAt           time.Time

	// Set when a person approves the request on the hosted pages.
	UserID           string
	BrowserSessionID string
	AuthTime         time.Time
	ACR              string
	AMR              []string
	DoneAt           time.Time

	CodeUsedAt      time.Time
	IssuedSessionID string
}

func (a *authRequest) GetID() string         { return a.ID }
func (a *authRequest) GetACR() string        { return a.ACR }
func (a *authRequest) GetAMR() []string      { return a.AMR }
func (a *authRequest) GetAudience() []string { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.AuthTime
}
func (a *authRequest) GetClientID() string { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge,
		Method: oidc.CodeChallengeMethod(a.CodeChallengeMethod)}
}
func (a *authRequest) GetNonce() string                   { return a.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseTypeCode }
func (a *authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.ResponseMode)
}
func (a *authRequest) GetScopes() []string { return a.Scopes }
func (a *authRequest) GetState() string    { return a.State }
func (a *authRequest) GetSubject() string  { return a.UserID }
func (a *authRequest) Done() bool          { return !a.DoneAt.IsZero() }

// hashCode keeps codes out of the table: a code has the entropy of the
// library's encryption of a random id, so SHA-256 suffices.
func hashCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

type store struct{ db *storage.DB }

const requestColumns = `id, client_id, redirect_uri, scopes, state, nonce, code_challenge,
	code_challenge_method, response_mode, prompt, max_age_s, ui_locales, login_hint,
	created_at, expires_at, user_id, browser_session_id, auth_time, acr, amr, done_at,
	code_used_at, issued_session_id`

func (s *store) create(ctx context.Context, a *authRequest) error {
	var maxAge sql.NullInt64
	if a.MaxAge != nil {
		maxAge = sql.NullInt64{Int64: int64(*a.MaxAge / time.Second), Valid: true}
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO oidc_auth_requests (id, client_id,
		redirect_uri, scopes, state, nonce, code_challenge, code_challenge_method,
		response_mode, prompt, max_age_s, ui_locales, login_hint, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), a.ID, a.ClientID, a.RedirectURI,
		strings.Join(a.Scopes, " "), a.State, a.Nonce, a.CodeChallenge, a.CodeChallengeMethod,
		a.ResponseMode, strings.Join(a.Prompt, " "), maxAge, strings.Join(a.UILocales, " "),
		a.LoginHint, a.CreatedAt.UTC(), a.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("save authorization request: %w", err)
	}
	return nil
}

func (s *store) byID(ctx context.Context, id string, now time.Time) (*authRequest, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT `+requestColumns+`
		FROM oidc_auth_requests WHERE id = ?`), id)
	if err != nil {
		return nil, fmt.Errorf("load authorization request: %w", err)
	}
	return s.one(rows, now)
}

func (s *store) one(rows *sql.Rows, now time.Time) (*authRequest, error) {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load authorization request: %w", err)
		}
		return nil, errNotFound
	}
	var a authRequest
	var scopes, prompt, locales, amr string
	var maxAge sql.NullInt64
	var userID, browser, issued sql.NullString
	var authTime, done, used sql.NullTime
	if err := rows.Scan(&a.ID, &a.ClientID, &a.RedirectURI, &scopes, &a.State, &a.Nonce,
		&a.CodeChallenge, &a.CodeChallengeMethod, &a.ResponseMode, &prompt, &maxAge, &locales,
		&a.LoginHint, &a.CreatedAt, &a.ExpiresAt, &userID, &browser, &authTime, &a.ACR, &amr,
		&done, &used, &issued); err != nil {
		return nil, fmt.Errorf("load authorization request: %w", err)
	}
	a.Scopes, a.Prompt = strings.Fields(scopes), strings.Fields(prompt)
	a.UILocales, a.AMR = strings.Fields(locales), strings.Fields(amr)
	if maxAge.Valid {
		d := time.Duration(maxAge.Int64) * time.Second
		a.MaxAge = &d
	}
	a.UserID, a.BrowserSessionID, a.IssuedSessionID = userID.String, browser.String, issued.String
	a.AuthTime, a.DoneAt, a.CodeUsedAt = authTime.Time, done.Time, used.Time
	if !now.Before(a.ExpiresAt) {
		return nil, errNotFound
	}
	return &a, nil
}

// complete records who approved the request. Only a pending, unexpired
// request can be completed, once.
func (s *store) complete(ctx context.Context, id string, who SignedIn, now time.Time) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE oidc_auth_requests
		SET user_id = ?, browser_session_id = ?, auth_time = ?, acr = ?, amr = ?, done_at = ?
		WHERE id = ? AND done_at IS NULL AND expires_at > ?`), who.UserID, who.SessionID,
		who.AuthTime.UTC(), who.ACR, strings.Join(who.AMR, " "), now.UTC(), id, now.UTC())
	if err != nil {
		return fmt.Errorf("complete authorization request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNotFound
	}
	return nil
}

// saveCode attaches the one code of a completed request and restarts its
// clock: the code lives codeTTL from now (RFC 6749 section 4.1.2: at most
// ten minutes). A request gets one code only.
func (s *store) saveCode(ctx context.Context, id, code string, now time.Time,
	codeTTL time.Duration) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE oidc_auth_requests
		SET code_hash = ?, expires_at = ? WHERE id = ? AND done_at IS NOT NULL
		AND code_hash IS NULL AND expires_at > ?`), hashCode(code), now.Add(codeTTL).UTC(), id,
		now.UTC())
	if err != nil {
		return fmt.Errorf("save authorization code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errors.New("openid: this authorization request has already issued its code")
	}
	return nil
}

// claimCode spends a code. The first presentation wins; a later one marks
// the request replayed and returns errReplayed with the request, so the
// caller can end what the first one issued.
func (s *store) claimCode(ctx context.Context, code string, now time.Time) (*authRequest,
	error) {
	var out *authRequest
	var replayed bool
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.db.Rebind(`SELECT `+requestColumns+`
			FROM oidc_auth_requests WHERE code_hash = ?`), hashCode(code))
		if err != nil {
			return fmt.Errorf("load authorization code: %w", err)
		}
		a, err := s.one(rows, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE oidc_auth_requests
			SET code_used_at = ? WHERE id = ? AND code_used_at IS NULL`), now.UTC(), a.ID)
		if err != nil {
			return fmt.Errorf("spend authorization code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = a
			return nil
		}
		replayed = true
		_, err = tx.ExecContext(ctx, s.db.Rebind(`UPDATE oidc_auth_requests
			SET replayed_at = ? WHERE id = ?`), now.UTC(), a.ID)
		out = a
		return err
	})
	if err != nil {
		return nil, err
	}
	if replayed {
		return out, errReplayed
	}
	return out, nil
}

// issued records the session a code exchange started and reports whether
// the code was replayed meanwhile; then the caller ends the session.
func (s *store) issued(ctx context.Context, id, sessionID, browserSessionID string) (bool,
	error) {
	var replayed bool
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(`UPDATE oidc_auth_requests
			SET issued_session_id = ? WHERE id = ?`), sessionID, id); err != nil {
			return fmt.Errorf("record issued session: %w", err)
		}
		if browserSessionID != "" {
			if _, err := tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO oidc_client_sessions
				(session_id, browser_session_id) VALUES (?, ?)`), sessionID,
				browserSessionID); err != nil {
				return fmt.Errorf("record issued session: %w", err)
			}
		}
		var at sql.NullTime
		err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT replayed_at FROM oidc_auth_requests
			WHERE id = ?`), id).Scan(&at)
		replayed = at.Valid
		return err
	})
	return replayed, err
}

func (s *store) delete(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM oidc_auth_requests WHERE id = ?`),
		id)
	return err
}

// sweep deletes expired requests. A spent code's row stays until it
// expires, so that a replay within its life is still recognised.
func (s *store) sweep(ctx context.Context, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM oidc_auth_requests
		WHERE expires_at <= ?`), now.UTC())
	return err
}

// browserSessionOf returns the browser session a client session came from.
func (s *store) browserSessionOf(ctx context.Context, sessionID string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT browser_session_id
		FROM oidc_client_sessions WHERE session_id = ?`), sessionID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// Grant is the access a person gave a client.
type Grant struct {
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Scopes     []string  `json:"scopes"`
	GrantedAt  time.Time `json:"granted_at"`
}

func (s *store) grantedScopes(ctx context.Context, userID, clientID string) ([]string, error) {
	var scopes string
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT scopes FROM oauth_grants
		WHERE user_id = ? AND client_id = ?`), userID, clientID).Scan(&scopes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load grant: %w", err)
	}
	return strings.Fields(scopes), nil
}

// grant adds scopes to what userID granted clientID.
func (s *store) grant(ctx context.Context, tx *sql.Tx, userID, clientID string,
	scopes []string, now time.Time) error {
	var old string
	err := tx.QueryRowContext(ctx, s.db.Rebind(`SELECT scopes FROM oauth_grants
		WHERE user_id = ? AND client_id = ?`), userID, clientID).Scan(&old)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("load grant: %w", err)
	}
	all := strings.Fields(old)
	for _, sc := range scopes {
		if !slices.Contains(all, sc) {
			all = append(all, sc)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO oauth_grants (user_id, client_id,
			scopes, granted_at) VALUES (?, ?, ?, ?)`), userID, clientID, strings.Join(all, " "),
			now.UTC())
	} else {
		_, err = tx.ExecContext(ctx, s.db.Rebind(`UPDATE oauth_grants SET scopes = ?,
			granted_at = ? WHERE user_id = ? AND client_id = ?`), strings.Join(all, " "),
			now.UTC(), userID, clientID)
	}
	if err != nil {
		return fmt.Errorf("save grant: %w", err)
	}
	return nil
}

func (s *store) grants(ctx context.Context, userID string) ([]Grant, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(`SELECT g.client_id,
		COALESCE(c.name, g.client_id), g.scopes, g.granted_at
		FROM oauth_grants g LEFT JOIN oauth_clients c ON c.id = g.client_id
		WHERE g.user_id = ? ORDER BY g.granted_at, g.client_id`), userID)
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	defer rows.Close()
	out := []Grant{}
	for rows.Next() {
		var g Grant
		var scopes string
		if err := rows.Scan(&g.ClientID, &g.ClientName, &scopes, &g.GrantedAt); err != nil {
			return nil, fmt.Errorf("list grants: %w", err)
		}
		g.Scopes = strings.Fields(scopes)
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *store) revokeGrant(ctx context.Context, tx *sql.Tx, userID, clientID string) (bool,
	error) {
	res, err := tx.ExecContext(ctx, s.db.Rebind(`DELETE FROM oauth_grants
		WHERE user_id = ? AND client_id = ?`), userID, clientID)
	if err != nil {
		return false, fmt.Errorf("revoke grant: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
