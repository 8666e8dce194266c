// Package openid makes cerrojo an OpenID Connect provider for the
// marketplace's web, mobile and partner applications: discovery, the
// authorization code flow, ID tokens, userinfo, client credentials for
// machine clients, RP-initiated logout, and the record of what people let
// third-party clients do.
//
// The protocol is the certified library github.com/zitadel/oidc/v3 (its op
// package): it parses requests, matches redirect URIs, authenticates
// clients, writes authorization responses and errors, and builds ID tokens.
// cerrojo decides, on top of it (see server.go), what may be asked and
// what is issued. docs/oidc.md says why this split.
//
// Guarantees:
//   - Only response_type=code, with PKCE S256, for every client (OWASP
//     ASVS 5.0 section 10.2, RFC 9700 section 2.1.1). No implicit flow and
//     no password grant.
//   - Redirect URIs match exactly, as registered (RFC 9700 section 4.1.3);
//     loopback ports may vary for native apps (RFC 8252 section 7.3).
//   - A code is single use and lives at most Config.CodeTTL (ten minutes
//     at most); presenting it again ends the session it started.
//   - The tokens a code gives are cerrojo's own: an RFC 9068 access token
//     and, with offline_access, a rotating refresh token, in a session of
//     the client's own that people see and end like any other.
//   - Third-party clients get nothing before the person consents on the
//     hosted page; people list and revoke what they granted, and revoking
//     ends the client's sessions.
package openid

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/clock"
	"github.com/cerrojo/cerrojo/internal/randid"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/internal/storage"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

// Config bounds the provider's lifetimes.
type Config struct {
	// AuthRequestTTL is how long a person has to sign in and consent.
	AuthRequestTTL time.Duration
	// CodeTTL is how long an authorization code lives: at most ten minutes
	// (RFC 6749 section 4.1.2).
	CodeTTL time.Duration
	// IDTokenTTL is the lifetime of ID tokens.
	IDTokenTTL time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{AuthRequestTTL: 30 * time.Minute, CodeTTL: time.Minute,
		IDTokenTTL: time.Hour}
}

// Validate checks the bounds.
func (c Config) Validate() error {
	switch {
	case c.AuthRequestTTL < time.Minute || c.AuthRequestTTL > 24*time.Hour:
		return errors.New("auth_request_ttl must be between 1m and 24h")
	case c.CodeTTL < 10*time.Second || c.CodeTTL > 10*time.Minute:
		return errors.New("code_ttl must be between 10s and 10m (RFC 6749 section 4.1.2)")
	case c.IDTokenTTL < time.Minute || c.IDTokenTTL > 24*time.Hour:
		return errors.New("id_token_ttl must be between 1m and 24h")
	}
	return nil
}

// Users finds the people tokens are about.
type Users interface {
	UserByID(ctx context.Context, id string) (accounts.User, error)
}

// Options are what the provider needs.
type Options struct {
	DB       *storage.DB
	Clients  *clients.Registry
	Sessions *sessions.Service
	Tokens   *tokens.Service
	Users    Users
	Audit    *audit.Log
	Clock    clock.Clock
	Logger   *slog.Logger
	// Issuer is cerrojo's public base URL, the iss of every token; the
	// discovery document is under it.
	Issuer string
	// CryptoKey keys the library's encryption of authorization codes.
	CryptoKey [32]byte
	// AuthorizePageURL is the hosted page a person is sent to, with
	// "?auth_request=<id>" appended.
	AuthorizePageURL string
	// SignedOutURL is where logout without a post_logout_redirect_uri ends.
	SignedOutURL string
	// ClearBrowserCookie, when set, returns the cookie that clears the
	// hosted pages' session at logout.
	ClearBrowserCookie func() *http.Cookie
	Config             Config
}

// Provider is the OpenID provider.
type Provider struct {
	opts    Options
	cfg     Config
	store   *store
	clock   clock.Clock
	logger  *slog.Logger
	ids     *randid.Source
	alg     string
	handler http.Handler
}

// Endpoint paths. Token, introspection and revocation are served by
// package oauth at the same paths, which the discovery document names.
//
// #nosec G101 -- URL paths, not credentials.
const (
	PathDiscovery = "/.well-known/openid-configuration"
	PathAuthorize = "/oauth2/authorize"
	PathToken     = "/oauth2/token"
	PathUserinfo  = "/oauth2/userinfo"
	PathLogout    = "/oauth2/logout"
	pathCallback  = PathAuthorize + "/callback"
)

// New builds the provider.
func New(opts Options) (*Provider, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	iss, err := url.Parse(opts.Issuer)
	if err != nil || !iss.IsAbs() || (iss.Path != "" && iss.Path != "/") {
		return nil, fmt.Errorf("issuer %q: must be an absolute URL without a path", opts.Issuer)
	}
	opts.Issuer = strings.TrimSuffix(opts.Issuer, "/")
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	set, err := opts.Tokens.Keys().Set()
	if err != nil {
		return nil, err
	}
	p := &Provider{opts: opts, cfg: opts.Config, store: &store{db: opts.DB},
		clock: opts.Clock, logger: opts.Logger, ids: randid.NewSource(nil)}
	if cur := set.Current(); cur != nil {
		p.alg = cur.Algorithm
	}

	cfg := &op.Config{CryptoKey: opts.CryptoKey, DefaultLogoutRedirectURI: opts.SignedOutURL,
		CodeMethodS256: true, AuthMethodPost: true, GrantTypeRefreshToken: true,
		SupportedUILocales: []language.Tag{language.MustParse("es-CO"), language.English}}
	var provOpts []op.Option
	if iss.Scheme == "http" {
		// The embedded default listens on http://127.0.0.1; production
		// issuers are https (config.Validate refuses http elsewhere).
		provOpts = append(provOpts, op.WithAllowInsecure())
	}
	provOpts = append(provOpts, op.WithLogger(opts.Logger),
		// ID token hints are ours, signed with the current or a published
		// key of the configured algorithm.
		op.WithIDTokenHintVerifierOpts(op.WithSupportedIDTokenHintSigningAlgorithms(
			"EdDSA", "ES256", "RS256")))
	prov, err := op.NewProvider(cfg, opStorage{p}, op.StaticIssuer(opts.Issuer), provOpts...)
	if err != nil {
		return nil, fmt.Errorf("openid provider: %w", err)
	}
	endpoints := op.Endpoints{
		Authorization: op.NewEndpoint(PathAuthorize),
		Token:         op.NewEndpoint(PathToken),
		Introspection: op.NewEndpoint("/oauth2/introspect"),
		Userinfo:      op.NewEndpoint(PathUserinfo),
		Revocation:    op.NewEndpoint("/oauth2/revoke"),
		EndSession:    op.NewEndpoint(PathLogout),
		JwksURI:       op.NewEndpoint("/.well-known/jwks.json"),
	}
	srv := &server{LegacyServer: op.NewLegacyServer(prov, endpoints), p: p}
	p.handler = op.RegisterLegacyServer(srv, op.AuthorizeCallbackHandler(prov),
		op.WithFallbackLogger(opts.Logger))
	return p, nil
}

// Handler serves the library's endpoints; Routes mounts the ones cerrojo
// does not serve itself.
func (p *Provider) Handler() http.Handler { return p.handler }

func (p *Provider) client(c clients.Client) *client {
	return &client{c: c, idTokenTTL: p.cfg.IDTokenTTL, loginURL: func(id string) string {
		return p.opts.AuthorizePageURL + "?auth_request=" + url.QueryEscape(id)
	}}
}

// SignedIn is the person behind a browser on the hosted pages.
type SignedIn struct {
	UserID, SessionID, ACR string
	AMR                    []string
	AuthTime               time.Time
}

// RequestView is what the hosted pages need to know of a request.
type RequestView struct {
	ID, ClientID, ClientName string
	Scopes                   []string
	NeedsLogin               bool
	NeedsConsent             bool
	PromptNone               bool
	LoginHint                string
	UILocales                []string
}

// ErrUnknownRequest is a request that does not exist, has expired or was
// already answered.
var ErrUnknownRequest = errors.New("openid: the sign-in request is unknown or has expired")

func (p *Provider) pending(ctx context.Context, id string) (*authRequest, clients.Client,
	error) {
	a, err := p.store.byID(ctx, id, p.clock.Now())
	if errors.Is(err, errNotFound) || (err == nil && a.Done()) {
		return nil, clients.Client{}, ErrUnknownRequest
	}
	if err != nil {
		return nil, clients.Client{}, err
	}
	c, err := p.opts.Clients.Get(ctx, a.ClientID)
	if errors.Is(err, clients.ErrNotFound) || (err == nil && !c.DisabledAt.IsZero()) {
		return nil, clients.Client{}, ErrUnknownRequest
	}
	return a, c, err
}

// View describes a pending request for the hosted pages: whether the
// person must (re)authenticate (nobody signed in, prompt=login since the
// request was made, or an authentication older than max_age: OpenID
// Connect Core 1.0 section 3.1.2.1) and whether they must consent.
func (p *Provider) View(ctx context.Context, id string, who *SignedIn) (RequestView, error) {
	a, c, err := p.pending(ctx, id)
	if err != nil {
		return RequestView{}, err
	}
	v := RequestView{ID: a.ID, ClientID: c.ID, ClientName: c.Name, Scopes: a.Scopes,
		PromptNone: slices.Contains(a.Prompt, "none"), LoginHint: a.LoginHint,
		UILocales: a.UILocales}
	now := p.clock.Now()
	switch {
	case who == nil:
		v.NeedsLogin = true
	case slices.Contains(a.Prompt, "login") && who.AuthTime.Before(a.CreatedAt):
		v.NeedsLogin = true
	case a.MaxAge != nil && now.Sub(who.AuthTime) > *a.MaxAge:
		v.NeedsLogin = true
	}
	if who != nil && !c.FirstParty {
		granted, err := p.store.grantedScopes(ctx, who.UserID, c.ID)
		if err != nil {
			return RequestView{}, err
		}
		v.NeedsConsent = slices.Contains(a.Prompt, "consent")
		for _, s := range a.Scopes {
			if !slices.Contains(granted, s) {
				v.NeedsConsent = true
			}
		}
	}
	return v, nil
}

// Approve records that who authorised the request, with their consent
// when the client needs it, and returns where to send the browser: the
// library's callback, which issues the code to the client.
func (p *Provider) Approve(ctx context.Context, id string, who SignedIn,
	consented bool) (string, error) {
	v, err := p.View(ctx, id, &who)
	if err != nil {
		return "", err
	}
	if v.NeedsLogin {
		return "", errors.New("openid: the person must sign in again before approving")
	}
	if v.NeedsConsent && !consented {
		return "", errors.New("openid: this client needs the person's consent")
	}
	now := p.clock.Now()
	err = p.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		if !consented {
			return nil
		}
		if err := p.store.grant(ctx, tx, who.UserID, v.ClientID, v.Scopes, now); err != nil {
			return err
		}
		_, err := p.opts.Audit.Append(ctx, tx, audit.Event{
			Actor:  audit.Actor{Type: audit.ActorPerson, ID: who.UserID},
			Action: "oauth.consent_granted", Outcome: audit.OutcomeSuccess,
			Target:  audit.Target{Type: "client", ID: v.ClientID},
			Details: map[string]string{"scope": strings.Join(v.Scopes, " ")},
		})
		return err
	})
	if err != nil {
		return "", err
	}
	if err := p.store.complete(ctx, id, who, now); err != nil {
		if errors.Is(err, errNotFound) {
			return "", ErrUnknownRequest
		}
		return "", err
	}
	return p.opts.Issuer + pathCallback + "?id=" + url.QueryEscape(id), nil
}

// denials are the errors a person's refusal or a prompt=none request can
// end with (OpenID Connect Core 1.0 section 3.1.2.6).
var denials = []string{"access_denied", "login_required", "consent_required",
	"interaction_required"}

// Deny ends a request with an OAuth error and returns the client's
// redirect URI carrying it and the state (RFC 6749 section 4.1.2.1) and
// the issuer (RFC 9207).
func (p *Provider) Deny(ctx context.Context, id, oauthError string) (string, error) {
	if !slices.Contains(denials, oauthError) {
		return "", fmt.Errorf("openid: %q is not an error a sign-in request ends with", oauthError)
	}
	a, _, err := p.pending(ctx, id)
	if err != nil {
		return "", err
	}
	if err := p.store.delete(ctx, id); err != nil {
		return "", err
	}
	u, err := url.Parse(a.RedirectURI)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("error", oauthError)
	if a.State != "" {
		q.Set("state", a.State)
	}
	q.Set("iss", p.opts.Issuer)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Grants lists what a person granted third-party clients.
func (p *Provider) Grants(ctx context.Context, userID string) ([]Grant, error) {
	return p.store.grants(ctx, userID)
}

// ErrNoGrant is a revocation of access that was never granted.
var ErrNoGrant = errors.New("openid: no access was granted to this client")

// RevokeGrant withdraws what a person granted a client and ends the
// client's sessions of theirs, so its refresh tokens stop working at once.
func (p *Provider) RevokeGrant(ctx context.Context, userID, clientID string,
	m sessions.Meta) error {
	return p.opts.DB.InTx(ctx, func(tx *sql.Tx) error {
		found, err := p.store.revokeGrant(ctx, tx, userID, clientID)
		if err != nil {
			return err
		}
		if !found {
			return ErrNoGrant
		}
		n, err := p.opts.Sessions.EndClientSessions(ctx, tx, userID, clientID,
			"grant_revoked", m)
		if err != nil {
			return err
		}
		_, err = p.opts.Audit.Append(ctx, tx, audit.Event{
			Actor:  audit.Actor{Type: audit.ActorPerson, ID: userID},
			Action: "oauth.consent_revoked", Outcome: audit.OutcomeSuccess,
			Target: audit.Target{Type: "client", ID: clientID},
			IP:     m.IP, UserAgent: m.UserAgent, RequestID: m.RequestID,
			Details: map[string]string{"sessions_ended": fmt.Sprint(n)},
		})
		return err
	})
}

// Sweep deletes expired authorization requests.
func (p *Provider) Sweep(ctx context.Context) error {
	return p.store.sweep(ctx, p.clock.Now())
}

// CryptoKey derives the library's code-encryption key from a secret that
// all nodes share, so that any node can read a code another issued.
func CryptoKey(mac func(purpose string, data []byte) []byte) [32]byte {
	return sha256.Sum256(mac("openid.code_encryption", nil))
}

func localeTag(s string) language.Tag {
	t, err := language.Parse(s)
	if err != nil {
		return language.Und
	}
	return t
}

// ClientCredentials authenticates a machine client for the
// client_credentials grant (op.ClientCredentialsStorage).
func (s opStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client,
	error) {
	c, err := s.p.opts.Clients.Authenticate(ctx, id, secret)
	if errors.Is(err, clients.ErrInvalidClient) {
		return nil, oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return s.p.client(c), nil
}

// ClientCredentialsTokenRequest is not used: the exchange is overridden.
func (s opStorage) ClientCredentialsTokenRequest(context.Context, string,
	[]string) (op.TokenRequest, error) {
	return nil, errNotUsed
}
