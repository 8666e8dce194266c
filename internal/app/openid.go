package app

import (
	"fmt"
	"strings"

	"github.com/cerrojo/cerrojo/internal/openid"
)

// openOpenID starts the OpenID Connect provider (docs/oidc.md). People
// sign in and consent on the hosted pages under public_url.
func (a *App) openOpenID() error {
	cfg := a.Config
	pages := strings.TrimSuffix(cfg.PublicURL, "/")
	var err error
	a.OpenID, err = openid.New(openid.Options{DB: a.DB, Clients: a.Clients,
		Sessions: a.Sessions, Tokens: a.Tokens, Users: a.Accounts.Store, Audit: a.Audit,
		Clock: a.Clock, Logger: a.Logger, Issuer: cfg.IssuerURL(),
		CryptoKey:        openid.CryptoKey(a.Ring.MAC),
		AuthorizePageURL: pages + "/ui/authorize", SignedOutURL: pages + "/ui/signed-out",
		Config: openid.Config{AuthRequestTTL: cfg.OIDC.AuthRequestTTL.D(),
			CodeTTL: cfg.OIDC.CodeTTL.D(), IDTokenTTL: cfg.OIDC.IDTokenTTL.D()}})
	if err != nil {
		return fmt.Errorf("oidc: %w", err)
	}
	return nil
}
