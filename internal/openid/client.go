package openid

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/cerrojo/cerrojo/internal/clients"
)

// standardScopes are the scopes every client may ask for (OpenID Connect
// Core 1.0 sections 5.4 and 11); others must be registered on the client.
var standardScopes = []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail,
	oidc.ScopePhone, oidc.ScopeOfflineAccess}

// client adapts a registered client to the library's op.Client.
type client struct {
	c          clients.Client
	loginURL   func(id string) string
	idTokenTTL time.Duration
}

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }

func (c *client) ApplicationType() op.ApplicationType {
	switch c.c.AppType {
	case clients.Native:
		return op.ApplicationTypeNative
	case clients.UserAgent:
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

// AuthMethod is none for public clients, which prove nothing but PKCE, and
// client_secret_basic (or _post) for confidential ones.
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.c.Type == clients.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

// ResponseTypes is only code: no implicit or hybrid flow (OWASP ASVS 5.0
// section 10.4, RFC 9700 section 2.1.2).
func (c *client) ResponseTypes() []oidc.ResponseType {
	if !c.c.Allows(clients.GrantAuthorizationCode) {
		return nil
	}
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(c.c.GrantTypes))
	for _, g := range c.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

func (c *client) LoginURL(id string) string { return c.loginURL(id) }

// AccessTokenType is JWT; cerrojo mints its access tokens itself (RFC 9068)
// in the overridden exchanges, so the library never uses this.
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration      { return c.idTokenTTL }

// DevMode is off: it would relax redirect URI checks.
func (c *client) DevMode() bool { return false }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed admits the client's registered scopes beside the
// standard ones, which the library admits itself.
func (c *client) IsScopeAllowed(scope string) bool { return slices.Contains(c.c.Scopes, scope) }

// IDTokenUserinfoClaimsAssertion puts the profile, email and phone claims
// the scopes ask for in the ID token too, so clients need not call
// userinfo at sign-in.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
