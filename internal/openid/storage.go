package openid

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/sessions"
)

// opStorage is what the library reads and writes through. The grants that
// cerrojo serves itself (code exchange, client credentials, refresh,
// introspection, revocation, userinfo) never reach the methods that only
// those grants use; those answer errNotUsed.
type opStorage struct{ p *Provider }

var errNotUsed = errors.New("openid: not used: cerrojo serves this itself")

// CreateAuthRequest stores a validated authorization request.
func (s opStorage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest,
	_ string) (op.AuthRequest, error) {
	id, err := s.p.ids.ID("azr_")
	if err != nil {
		return nil, err
	}
	now := s.p.clock.Now().UTC()
	a := &authRequest{ID: id, ClientID: r.ClientID, RedirectURI: r.RedirectURI,
		Scopes: r.Scopes, State: r.State, Nonce: r.Nonce, CodeChallenge: r.CodeChallenge,
		CodeChallengeMethod: string(r.CodeChallengeMethod),
		ResponseMode:        string(r.ResponseMode), Prompt: r.Prompt, LoginHint: r.LoginHint,
		CreatedAt: now, ExpiresAt: now.Add(s.p.cfg.AuthRequestTTL)}
	if r.MaxAge != nil {
		// max_age beyond a year means "any sign-in" in practice; the clamp
		// keeps the conversion in range.
		secs := min(*r.MaxAge, uint(365*24*3600))
		d := time.Duration(secs) * time.Second // #nosec G115 -- clamped above
		a.MaxAge = &d
	}
	for _, t := range r.UILocales {
		a.UILocales = append(a.UILocales, t.String())
	}
	if err := s.p.store.create(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

func (s opStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.p.store.byID(ctx, id, s.p.clock.Now())
}

// AuthRequestByCode spends the code; see Provider.exchange for replays.
func (s opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest,
	error) {
	return s.p.store.claimCode(ctx, code, s.p.clock.Now())
}

func (s opStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.p.store.saveCode(ctx, id, code, s.p.clock.Now(), s.p.cfg.CodeTTL)
}

func (s opStorage) DeleteAuthRequest(ctx context.Context, id string) error {
	return s.p.store.delete(ctx, id)
}

func (s opStorage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time,
	error) {
	return "", time.Time{}, errNotUsed
}

func (s opStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest,
	string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNotUsed
}

func (s opStorage) TokenRequestByRefreshToken(context.Context,
	string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s opStorage) TerminateSession(context.Context, string, string) error {
	return errNotUsed
}

// TerminateSessionFromRequest ends, on RP-initiated logout, the session
// the ID token hint names and the browser session it came from.
func (s opStorage) TerminateSessionFromRequest(ctx context.Context,
	r *op.EndSessionRequest) (string, error) {
	if r.IDTokenHintClaims == nil || r.IDTokenHintClaims.SessionID == "" {
		return "", oidc.ErrInvalidRequest().WithDescription(
			"id_token_hint must be an ID token cerrojo issued")
	}
	sid := r.IDTokenHintClaims.SessionID
	ses, err := s.p.opts.Sessions.Store().Session(ctx, sid)
	if errors.Is(err, sessions.ErrNotFound) || (err == nil && ses.UserID != r.UserID) {
		return "", oidc.ErrInvalidRequest().WithDescription("the session is unknown")
	}
	if err != nil {
		return "", err
	}
	browser, err := s.p.store.browserSessionOf(ctx, sid)
	if err != nil {
		return "", err
	}
	for _, id := range []string{sid, browser} {
		if id == "" {
			continue
		}
		err := s.p.opts.Sessions.EndBySystem(ctx, id, "logout", sessions.Meta{})
		if err != nil && !errors.Is(err, sessions.ErrNotFound) {
			return "", err
		}
	}
	if r.RedirectURI == "" {
		return s.p.opts.SignedOutURL, nil
	}
	return r.RedirectURI, nil
}

func (s opStorage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrServerError().WithDescription("revocation is served by cerrojo itself")
}

func (s opStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string,
	error) {
	return "", "", op.ErrInvalidRefreshToken
}

// signingKey is the current access-token key, which also signs ID tokens.
type signingKey struct {
	alg jose.SignatureAlgorithm
	key any
	id  string
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

func (s opStorage) SigningKey(context.Context) (op.SigningKey, error) {
	set, err := s.p.opts.Tokens.Keys().Set()
	if err != nil {
		return nil, err
	}
	cur := set.Current()
	if cur == nil || cur.PrivateKey() == nil {
		return nil, errors.New("openid: there is no current signing key")
	}
	return signingKey{alg: jose.SignatureAlgorithm(cur.Algorithm), key: cur.PrivateKey(),
		id: cur.ID}, nil
}

func (s opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.SignatureAlgorithm(s.p.alg)}, nil
}

type publicKey struct{ k jose.JSONWebKey }

func (k publicKey) ID() string { return k.k.KeyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.k.Algorithm)
}
func (k publicKey) Use() string { return "sig" }
func (k publicKey) Key() any    { return k.k.Key }

// KeySet is the published keys, with which the library checks ID token
// hints at logout.
func (s opStorage) KeySet(context.Context) ([]op.Key, error) {
	set, err := s.p.opts.Tokens.Keys().Set()
	if err != nil {
		return nil, err
	}
	jwks, err := set.PublicJWKs()
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, 0, len(jwks))
	for _, k := range jwks {
		out = append(out, publicKey{k})
	}
	return out, nil
}

// GetClientByClientID loads an enabled client. Unknown and disabled
// clients are invalid_request: a 400 shown to the person, since their
// redirect URIs cannot be trusted.
func (s opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.p.opts.Clients.Get(ctx, id)
	if err != nil && !errors.Is(err, clients.ErrNotFound) {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if err != nil || !c.DisabledAt.IsZero() {
		// RFC 6749 section 4.1.2.1: with an unknown client the redirect
		// URI cannot be trusted, so this is shown, never redirected.
		return nil, oidc.ErrInvalidRequest().WithDescription(
			"client_id names no registered, enabled client")
	}
	return s.p.client(c), nil
}

// AuthorizeClientIDSecret checks a secret with the keyed hash of package
// clients, in constant time.
func (s opStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := s.p.opts.Clients.Authenticate(ctx, id, secret)
	if errors.Is(err, clients.ErrInvalidClient) {
		return err
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library; the claims come from
// SetUserinfoFromRequest.
func (s opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string,
	[]string) error {
	return nil
}

// SetUserinfoFromRequest fills an ID token's claims. sid names the
// client's session, so that logout can end it.
func (s opStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo,
	r op.IDTokenRequest, scopes []string) error {
	u, err := s.p.opts.Users.UserByID(ctx, r.GetSubject())
	if err != nil {
		return err
	}
	fillUserinfo(info, u, scopes)
	if ir, ok := r.(*idTokenRequest); ok && ir.sessionID != "" {
		info.AppendClaims("sid", ir.sessionID)
	}
	return nil
}

func (s opStorage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string,
	string) error {
	return errNotUsed
}

func (s opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse,
	string, string, string) error {
	return errNotUsed
}

func (s opStorage) GetPrivateClaimsFromScopes(context.Context, string, string,
	[]string) (map[string]any, error) {
	return nil, errNotUsed
}

func (s opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey,
	error) {
	return nil, errors.New("openid: private_key_jwt is not offered")
}

func (s opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string,
	error) {
	return nil, errors.New("openid: the JWT bearer grant is not offered")
}

func (s opStorage) Health(ctx context.Context) error { return s.p.opts.DB.PingContext(ctx) }

// fillUserinfo sets the standard claims the scopes ask for (OpenID Connect
// Core 1.0 section 5.4).
func fillUserinfo(info *oidc.UserInfo, u accounts.User, scopes []string) {
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		if u.Locale != "" {
			info.Locale = oidc.NewLocale(localeTag(u.Locale))
		}
		info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email.Address
		info.EmailVerified = oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopePhone) && u.Phone != "" {
		info.PhoneNumber = u.Phone
	}
}

// idTokenRequest is what an ID token is made from: the approved request and
// the session the exchange started.
type idTokenRequest struct {
	*authRequest
	sessionID string
}

// scopesOf splits and deduplicates a scope parameter.
func scopesOf(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
