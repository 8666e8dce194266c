package app

import (
	"fmt"

	"github.com/cerrojo/cerrojo/internal/web"
)

// openWeb builds the hosted pages (package web). They continue the OpenID
// provider's authorization requests through oidcPages, which reads
// a.OpenID when a request arrives, so either may be built first.
func (a *App) openWeb() error {
	h, err := web.New(web.Options{DB: a.DB, Ring: a.Ring, Verifier: a.Tokens.Verifier(),
		Sessions: a.Sessions, AuthRequests: oidcPages{a}, PublicURL: a.Config.PublicURL,
		SiteName: a.Config.Mail.SiteName, Clock: a.Clock, Logger: a.Logger})
	if err != nil {
		return fmt.Errorf("hosted pages: %w", err)
	}
	a.Web = h
	return nil
}
