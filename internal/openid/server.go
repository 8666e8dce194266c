package openid

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/cerrojo/cerrojo/internal/audit"
	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/internal/tokens"
)

// server is the library's legacy server with the parts cerrojo decides
// itself put over it: what may be asked (code flow with PKCE S256 only),
// what is issued (cerrojo's own RFC 9068 access tokens and rotating
// refresh tokens, in a session of their own), and who is told what at
// userinfo and logout. Parsing, redirect URI matching, client
// authentication, authorization responses and ID tokens stay the
// library's.
type server struct {
	*op.LegacyServer
	p *Provider
}

// Discovery narrows the library's document to what cerrojo offers
// (OpenID Connect Discovery 1.0 section 3).
func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	cfg, ok := resp.Data.(*oidc.DiscoveryConfiguration)
	if !ok {
		return nil, fmt.Errorf("openid: discovery document of type %T", resp.Data)
	}
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ResponseModesSupported = []string{string(oidc.ResponseModeQuery),
		string(oidc.ResponseModeFragment)}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken,
		oidc.GrantTypeClientCredentials}
	cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	cfg.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic,
		oidc.AuthMethodPost, oidc.AuthMethodNone}
	cfg.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic,
		oidc.AuthMethodPost}
	cfg.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic,
		oidc.AuthMethodPost, oidc.AuthMethodNone}
	cfg.TokenEndpointAuthSigningAlgValuesSupported = nil
	cfg.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
	cfg.RevocationEndpointAuthSigningAlgValuesSupported = nil
	cfg.RequestObjectSigningAlgValuesSupported = nil
	cfg.RequestParameterSupported = false
	cfg.RequestURIParameterSupported = false
	cfg.IDTokenSigningAlgValuesSupported = []string{s.p.alg}
	cfg.SubjectTypesSupported = []string{"public"}
	cfg.ScopesSupported = standardScopes
	cfg.ClaimsSupported = []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce",
		"acr", "amr", "azp", "at_hash", "c_hash", "sid", "name", "locale", "updated_at", "email",
		"email_verified", "phone_number"}
	cfg.JwksURI = s.p.opts.Issuer + "/.well-known/jwks.json"
	return resp, nil
}

// Authorize admits only the authorization code flow with PKCE S256, for
// every client, public or confidential (RFC 9700 section 2.1.1, OWASP ASVS
// 5.0 section 10.2). The library has already matched the redirect URI
// exactly, so the refusals below go back to the client.
func (s *server) Authorize(ctx context.Context,
	r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	if r.Data.ResponseType != oidc.ResponseTypeCode {
		return nil, (&oidc.Error{ErrorType: "unsupported_response_type"}).WithDescription(
			"only response_type=code is offered")
	}
	if r.Data.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription(
			"code_challenge is required: every client must use PKCE (RFC 7636)")
	}
	if r.Data.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription(
			"code_challenge_method must be S256")
	}
	// The library's form_post page submits itself with an inline script,
	// which cerrojo's Content-Security-Policy forbids.
	if r.Data.ResponseMode == oidc.ResponseModeFormPost {
		return nil, oidc.ErrInvalidRequest().WithDescription(
			"response_mode form_post is not offered; use query")
	}
	if !slices.Contains(r.Data.Scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	return s.LegacyServer.Authorize(ctx, r)
}

func metaOf(ctx context.Context, h http.Header) sessions.Meta {
	return sessions.Meta{IP: httpx.RemoteIP(ctx), UserAgent: h.Get("User-Agent"),
		RequestID: httpx.RequestID(ctx)}
}

// CodeExchange turns a code into tokens (RFC 6749 section 4.1.3). The code
// is single use: a second presentation ends the session the first one
// started (RFC 6749 section 4.1.2) and is refused. The code verifier is
// required of every client (RFC 7636 section 4.5; RFC 9700 section 2.1.1).
func (s *server) CodeExchange(ctx context.Context,
	r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	p := s.p
	m := metaOf(ctx, r.Header)
	a, err := p.store.claimCode(ctx, r.Data.Code, p.clock.Now())
	if errors.Is(err, errReplayed) {
		p.codeReplayed(ctx, a, m)
		return nil, oidc.ErrInvalidGrant().WithDescription(
			"the authorization code was already used; the tokens it gave are revoked")
	}
	if errors.Is(err, errNotFound) {
		return nil, oidc.ErrInvalidGrant().WithDescription(
			"the authorization code is unknown or has expired")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if a.ClientID != r.Client.GetID() {
		return nil, oidc.ErrInvalidGrant().WithDescription(
			"the authorization code was issued to another client")
	}
	if r.Data.CodeVerifier == "" {
		return nil, oidc.ErrInvalidGrant().WithDescription("code_verifier is required")
	}
	if err := op.AuthorizeCodeChallenge(r.Data.CodeVerifier, a.GetCodeChallenge()); err != nil {
		return nil, err
	}
	if r.Data.RedirectURI != a.RedirectURI {
		return nil, oidc.ErrInvalidGrant().WithDescription(
			"redirect_uri differs from the authorization request's")
	}
	if a.BrowserSessionID != "" {
		if _, err := p.opts.Sessions.Check(ctx, a.BrowserSessionID); err != nil {
			return nil, oidc.ErrInvalidGrant().WithDescription(
				"the sign-in behind this code has ended")
		}
	}

	is, err := p.opts.Sessions.Create(ctx, sessions.CreateInput{UserID: a.UserID,
		ClientID: a.ClientID, Scope: strings.Join(a.Scopes, " "), ACR: a.ACR, AMR: a.AMR,
		AuthTime: a.AuthTime}, m)
	if errors.Is(err, sessions.ErrSessionLimit) {
		return nil, oidc.ErrAccessDenied().WithDescription(
			"the person has as many sessions as allowed")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	replayed, err := p.store.issued(ctx, a.ID, is.Session.ID, a.BrowserSessionID)
	if err != nil || replayed {
		endErr := p.opts.Sessions.EndBySystem(ctx, is.Session.ID, "code_replayed", m)
		if err == nil {
			err = endErr
		}
		if err != nil {
			return nil, oidc.ErrServerError().WithParent(err)
		}
		return nil, oidc.ErrInvalidGrant().WithDescription(
			"the authorization code was already used; the tokens it gave are revoked")
	}

	idToken, err := op.CreateIDToken(ctx, op.IssuerFromContext(ctx),
		&idTokenRequest{authRequest: a, sessionID: is.Session.ID}, p.cfg.IDTokenTTL,
		is.AccessToken, r.Data.Code, opStorage{p}, r.Client)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	resp := &oidc.AccessTokenResponse{AccessToken: is.AccessToken,
		TokenType: oidc.BearerToken, ExpiresIn: p.secondsUntil(is.AccessExpiresAt),
		IDToken: idToken, Scope: a.Scopes}
	c, ok := r.Client.(*client)
	if ok && slices.Contains(a.Scopes, oidc.ScopeOfflineAccess) &&
		c.c.Allows(clients.GrantRefreshToken) {
		resp.RefreshToken = is.RefreshToken
	}
	return op.NewResponse(resp), nil
}

func (p *Provider) secondsUntil(t time.Time) uint64 {
	d := t.Sub(p.clock.Now()).Round(time.Second)
	if d < 0 {
		return 0
	}
	return uint64(d / time.Second)
}

// codeReplayed ends what the first presentation of a code issued, and
// records the replay: someone other than the client may hold the code.
func (p *Provider) codeReplayed(ctx context.Context, a *authRequest, m sessions.Meta) {
	if a.IssuedSessionID != "" {
		err := p.opts.Sessions.EndBySystem(ctx, a.IssuedSessionID, "code_replayed", m)
		if err != nil && !errors.Is(err, sessions.ErrNotFound) {
			p.logger.Error("end the session of a replayed code", "error", err.Error())
		}
	}
	_, err := p.opts.Audit.Record(ctx, audit.Event{
		Actor:  audit.Actor{Type: audit.ActorClient, ID: a.ClientID},
		Action: "oauth.code_replayed", Outcome: audit.OutcomeFailure,
		Target: audit.Target{Type: "session", ID: a.IssuedSessionID},
		IP:     m.IP, UserAgent: m.UserAgent, RequestID: m.RequestID,
		Details: map[string]string{"user_id": a.UserID, "client_id": a.ClientID},
	})
	if err != nil {
		p.logger.Error("audit a replayed code", "error", err.Error())
	}
}

// ClientCredentialsExchange issues a machine client an access token for
// itself (RFC 6749 section 4.4): subject and client are the client, the
// scopes at most those registered, and there is no refresh token.
func (s *server) ClientCredentialsExchange(ctx context.Context,
	r *op.ClientRequest[oidc.ClientCredentialsRequest]) (*op.Response, error) {
	c, ok := r.Client.(*client)
	if !ok || c.c.Type != clients.Confidential {
		return nil, oidc.ErrInvalidClient().WithDescription("client must be authenticated")
	}
	scopes := scopesOf(strings.Join(r.Data.Scope, " "))
	for _, sc := range scopes {
		if !slices.Contains(c.c.Scopes, sc) {
			return nil, oidc.ErrInvalidScope().WithDescription(
				"scope %q is not registered for this client", sc)
		}
	}
	if len(scopes) == 0 {
		scopes = c.c.Scopes
	}
	tok, exp, err := s.p.opts.Tokens.Mint(ctx, tokens.Claims{Subject: c.c.ID,
		ClientID: c.c.ID, Scopes: scopes})
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	m := metaOf(ctx, r.Header)
	if _, err := s.p.opts.Audit.Record(ctx, audit.Event{
		Actor:  audit.Actor{Type: audit.ActorClient, ID: c.c.ID},
		Action: "oauth.client_credentials", Outcome: audit.OutcomeSuccess,
		Target: audit.Target{Type: "client", ID: c.c.ID},
		IP:     m.IP, UserAgent: m.UserAgent, RequestID: m.RequestID,
		Details: map[string]string{"scope": strings.Join(scopes, " ")},
	}); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return op.NewResponse(&oidc.AccessTokenResponse{AccessToken: tok,
		TokenType: oidc.BearerToken, ExpiresIn: s.p.secondsUntil(exp), Scope: scopes}), nil
}

// RefreshToken is served by package oauth, which rotates refresh tokens
// with reuse detection; the library never sees one.
func (s *server) RefreshToken(context.Context,
	*op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

// UserInfo answers with the claims the access token's scopes allow
// (OpenID Connect Core 1.0 section 5.3). The token must be one of
// cerrojo's, alive, of a session not ended, and carry the openid scope.
func (s *server) UserInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response,
	error) {
	unauthorized := func(desc string) error {
		return op.NewStatusError(oidc.ErrInvalidRequest().WithDescription("%s", desc),
			http.StatusUnauthorized)
	}
	claims, err := s.p.opts.Tokens.Verify(ctx, r.Data.AccessToken)
	if err != nil {
		return nil, unauthorized("the access token is not valid")
	}
	if claims.SessionID == "" || claims.Subject == claims.ClientID {
		return nil, unauthorized("the access token does not belong to a person")
	}
	if _, err := s.p.opts.Sessions.Check(ctx, claims.SessionID); err != nil {
		return nil, unauthorized("the session has ended")
	}
	scopes := strings.Fields(claims.Scope)
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		return nil, op.NewStatusError(oidc.ErrInvalidScope().WithDescription(
			"the access token lacks the openid scope"), http.StatusForbidden)
	}
	u, err := s.p.opts.Users.UserByID(ctx, claims.Subject)
	if err != nil {
		return nil, unauthorized("the person is unknown")
	}
	info := new(oidc.UserInfo)
	fillUserinfo(info, u, scopes)
	return op.NewResponse(info), nil
}

// Introspect and Revocation are served by package oauth.
func (s *server) Introspect(context.Context, *op.Request[op.IntrospectionRequest]) (*op.Response,
	error) {
	return nil, op.NewStatusError(oidc.ErrServerError(), http.StatusNotFound)
}

func (s *server) Revocation(context.Context,
	*op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	return nil, op.NewStatusError(oidc.ErrServerError(), http.StatusNotFound)
}

// EndSession is RP-initiated logout (OpenID Connect RP-Initiated Logout
// 1.0). An ID token hint is required: without one, a link could sign
// people out of sessions a third party picked. The browser's cookie for
// the hosted pages is cleared on the way out.
func (s *server) EndSession(ctx context.Context,
	r *op.Request[oidc.EndSessionRequest]) (*op.Redirect, error) {
	if r.Data.IdTokenHint == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("id_token_hint is required")
	}
	red, err := s.LegacyServer.EndSession(ctx, r)
	if err != nil {
		return nil, err
	}
	if s.p.opts.ClearBrowserCookie != nil {
		if red.Header == nil {
			red.Header = http.Header{}
		}
		red.Header.Add("Set-Cookie", s.p.opts.ClearBrowserCookie().String())
	}
	return red, nil
}
