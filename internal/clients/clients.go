// Package clients keeps the OAuth clients that may use cerrojo's token
// endpoints: public clients (mobile and single-page apps, identified only by
// their id) and confidential ones (servers holding a secret).
//
// Guarantees: secrets are generated here with 256 bits of randomness and
// shown once; only a MAC under a key derived from the master key is stored,
// and checks compare in constant time. A disabled client authenticates no
// more.
package clients

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/keyring"
	"github.com/cerrojo/cerrojo/internal/storage"
)

// Type is public or confidential (RFC 6749 section 2.1).
type Type string

// The client types.
const (
	Public       Type = "public"
	Confidential Type = "confidential"
)

// AppType is what kind of application a client is; it decides which
// redirect URIs it may use (see ValidateRedirectURI).
type AppType string

// The application types (OpenID Connect Dynamic Client Registration 1.0,
// section 2, plus user_agent for single-page apps).
const (
	Web       AppType = "web"        // a server-side web application
	Native    AppType = "native"     // a mobile or desktop app (RFC 8252)
	UserAgent AppType = "user_agent" // a single-page app in a browser
)

// Client is a registered OAuth client.
type Client struct {
	ID                     string
	Name                   string
	Type                   Type
	AppType                AppType
	FirstParty             bool
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	Scopes                 []string
	CreatedAt              time.Time
	DisabledAt             time.Time
	secretMAC              []byte
}

// Allows reports whether the client may use a grant type.
func (c Client) Allows(grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// Errors.
var (
	ErrNotFound = errors.New("clients: not found")
	// ErrInvalidClient is every failed client authentication (RFC 6749
	// section 5.2, invalid_client).
	ErrInvalidClient = errors.New("client authentication failed")
	// ErrInvalid is client metadata that cannot be registered; the
	// error says what is wrong.
	ErrInvalid = errors.New("invalid client metadata")
)

// Registry stores clients.
type Registry struct {
	db   *storage.DB
	ring *keyring.Ring
	rand io.Reader
	now  func() time.Time
}

// New returns a registry over db; ring keys the secret MACs.
func New(db *storage.DB, ring *keyring.Ring) *Registry {
	return &Registry{db: db, ring: ring, rand: rand.Reader, now: time.Now}
}

// secretPrefix lets secret scanners and people recognise a leaked secret.
const secretPrefix = "crj_cs_"

func (r *Registry) mac(secret string) []byte {
	return r.ring.MAC("clients.secret", []byte(secret))
}

// NewClient describes a client to register.
type NewClient struct {
	Name                   string
	Type                   Type
	AppType                AppType // empty means Web
	FirstParty             bool
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	Scopes                 []string
}

// Create registers a client and returns it with its secret (empty for a
// public client). The secret is not kept and cannot be shown again.
func (r *Registry) Create(ctx context.Context, in NewClient) (Client, string, error) {
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 200 {
		return Client{}, "", fmt.Errorf("%w: the name must be 1 to 200 characters", ErrInvalid)
	}
	if err := in.validate(); err != nil {
		return Client{}, "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	idBytes := make([]byte, 12)
	if _, err := io.ReadFull(r.rand, idBytes); err != nil {
		return Client{}, "", err
	}
	c := Client{ID: "cli_" + base64.RawURLEncoding.EncodeToString(idBytes), Name: in.Name,
		Type: in.Type, AppType: in.AppType, FirstParty: in.FirstParty,
		RedirectURIs: in.RedirectURIs, PostLogoutRedirectURIs: in.PostLogoutRedirectURIs,
		GrantTypes: in.GrantTypes, Scopes: in.Scopes, CreatedAt: r.now().UTC()}

	var secret string
	if in.Type == Confidential {
		b := make([]byte, 32)
		if _, err := io.ReadFull(r.rand, b); err != nil {
			return Client{}, "", err
		}
		secret = secretPrefix + base64.RawURLEncoding.EncodeToString(b)
		c.secretMAC = r.mac(secret)
	}
	_, err := r.db.ExecContext(ctx, r.db.Rebind(`INSERT INTO oauth_clients (id, name,
		client_type, secret_mac, first_party, redirect_uris, grant_types, scopes, created_at,
		post_logout_redirect_uris, application_type)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), c.ID, c.Name, string(c.Type), c.secretMAC,
		c.FirstParty, strings.Join(c.RedirectURIs, "\n"), strings.Join(c.GrantTypes, " "),
		strings.Join(c.Scopes, " "), c.CreatedAt, strings.Join(c.PostLogoutRedirectURIs, "\n"),
		string(c.AppType))
	if err != nil {
		return Client{}, "", fmt.Errorf("create client: %w", err)
	}
	return c, secret, nil
}

// Get loads a client.
func (r *Registry) Get(ctx context.Context, id string) (Client, error) {
	rows, err := r.db.QueryHot(ctx, r.db.Rebind(`SELECT `+clientColumns+`
		FROM oauth_clients WHERE id = ?`), id)
	if err != nil {
		return Client{}, fmt.Errorf("load client: %w", err)
	}
	list, err := scan(rows)
	if err != nil {
		return Client{}, err
	}
	if len(list) == 0 {
		return Client{}, ErrNotFound
	}
	return list[0], nil
}

// List returns every client, oldest first.
func (r *Registry) List(ctx context.Context) ([]Client, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT `+clientColumns+`
		FROM oauth_clients ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return scan(rows)
}

const clientColumns = `id, name, client_type, secret_mac, first_party, redirect_uris,
	grant_types, scopes, created_at, disabled_at, post_logout_redirect_uris, application_type`

func scan(rows *sql.Rows) ([]Client, error) {
	defer rows.Close()
	var out []Client
	for rows.Next() {
		var c Client
		var typ, uris, grants, scopes, logoutURIs, appType string
		var disabled sql.NullTime
		if err := rows.Scan(&c.ID, &c.Name, &typ, &c.secretMAC, &c.FirstParty, &uris, &grants,
			&scopes, &c.CreatedAt, &disabled, &logoutURIs, &appType); err != nil {
			return nil, fmt.Errorf("load client: %w", err)
		}
		c.Type, c.DisabledAt, c.AppType = Type(typ), disabled.Time, AppType(appType)
		c.RedirectURIs = lines(uris)
		c.PostLogoutRedirectURIs = lines(logoutURIs)
		c.GrantTypes, c.Scopes = strings.Fields(grants), strings.Fields(scopes)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Authenticate checks a confidential client's secret. Every failure is
// ErrInvalidClient; a MAC is computed even for unknown clients so the time
// does not tell whether an id exists.
func (r *Registry) Authenticate(ctx context.Context, id, secret string) (Client, error) {
	got := r.mac(secret)
	c, err := r.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		subtle.ConstantTimeCompare(got, got)
		return Client{}, ErrInvalidClient
	}
	if err != nil {
		return Client{}, err
	}
	if c.Type != Confidential || !c.DisabledAt.IsZero() ||
		subtle.ConstantTimeCompare(got, c.secretMAC) != 1 {
		return Client{}, ErrInvalidClient
	}
	return c, nil
}

// Disable stops a client from authenticating.
func (r *Registry) Disable(ctx context.Context, id string) error {
	res, err := r.db.ExecContext(ctx, r.db.Rebind(`UPDATE oauth_clients SET disabled_at = ?
		WHERE id = ? AND disabled_at IS NULL`), r.now().UTC(), id)
	if err != nil {
		return fmt.Errorf("disable client: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' })
}

// RotateSecret gives a confidential client a new secret and returns it;
// the old one stops working at once. The secret is shown only here.
func (r *Registry) RotateSecret(ctx context.Context, id string) (string, error) {
	c, err := r.Get(ctx, id)
	if err != nil {
		return "", err
	}
	if c.Type != Confidential {
		return "", errors.New("a public client has no secret")
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(r.rand, b); err != nil {
		return "", err
	}
	secret := secretPrefix + base64.RawURLEncoding.EncodeToString(b)
	_, err = r.db.ExecContext(ctx, r.db.Rebind(`UPDATE oauth_clients SET secret_mac = ?
		WHERE id = ?`), r.mac(secret), id)
	if err != nil {
		return "", fmt.Errorf("rotate client secret: %w", err)
	}
	return secret, nil
}
