package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cerrojo/cerrojo/internal/openid"
	"github.com/cerrojo/cerrojo/internal/web"
)

// openOpenID starts the OpenID Connect provider (docs/oidc.md). People
// sign in and consent on the hosted pages under public_url (a.Web, built
// first).
func (a *App) openOpenID() error {
	cfg := a.Config
	pages := strings.TrimSuffix(cfg.PublicURL, "/")
	var err error
	a.OpenID, err = openid.New(openid.Options{DB: a.DB, Clients: a.Clients,
		Sessions: a.Sessions, Tokens: a.Tokens, Users: a.Accounts.Store, Audit: a.Audit,
		Clock: a.Clock, Logger: a.Logger, Issuer: cfg.IssuerURL(),
		CryptoKey:        openid.CryptoKey(a.Ring.MAC),
		AuthorizePageURL: pages + "/ui/authorize", SignedOutURL: pages + "/ui/signed-out",
		ClearBrowserCookie: a.Web.ClearSessionCookie,
		Config: openid.Config{AuthRequestTTL: cfg.OIDC.AuthRequestTTL.D(),
			CodeTTL: cfg.OIDC.CodeTTL.D(), IDTokenTTL: cfg.OIDC.IDTokenTTL.D()}})
	if err != nil {
		return fmt.Errorf("oidc: %w", err)
	}
	return nil
}

// oidcPages lets the hosted pages (package web) continue the provider's
// authorization requests; the two packages do not import each other.
type oidcPages struct{ a *App }

func webError(err error) error {
	if errors.Is(err, openid.ErrUnknownRequest) {
		return web.ErrAuthRequestNotFound
	}
	return err
}

func (o oidcPages) View(ctx context.Context, id string, who *web.SignedIn) (web.AuthRequestView,
	error) {
	var w *openid.SignedIn
	if who != nil {
		s := openid.SignedIn(*who)
		w = &s
	}
	v, err := o.a.OpenID.View(ctx, id, w)
	if err != nil {
		return web.AuthRequestView{}, webError(err)
	}
	return web.AuthRequestView(v), nil
}

func (o oidcPages) Approve(ctx context.Context, id string, who web.SignedIn,
	consented bool) (string, error) {
	u, err := o.a.OpenID.Approve(ctx, id, openid.SignedIn(who), consented)
	return u, webError(err)
}

func (o oidcPages) Deny(ctx context.Context, id, oauthError string) (string, error) {
	u, err := o.a.OpenID.Deny(ctx, id, oauthError)
	return u, webError(err)
}
