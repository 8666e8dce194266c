package app

import (
	"fmt"
	"net/http"

	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/login"
	"github.com/cerrojo/cerrojo/internal/social"
)

// openSocial starts social login with the providers of social.providers
// (docs/social-login.md). With none configured the routes still answer:
// the provider list is empty and every provider name is unknown.
func (a *App) openSocial() error {
	var err error
	a.Social, err = social.New(social.Options{DB: a.DB, Ring: a.Ring, Accounts: a.Accounts,
		Audit: a.Audit, Passkeys: a.Passkeys.Count, PublicURL: a.Config.PublicURL,
		Providers: a.Config.Social.Providers, Clock: a.Clock, Logger: a.Logger})
	if err != nil {
		return fmt.Errorf("social: %w", err)
	}
	for _, p := range a.Social.Providers() {
		a.Logger.Info("social login provider configured", "provider", p.Name, "kind", p.Kind)
	}
	return nil
}

// socialRoutes registers social login. A social sign-in ends in lg's
// decision (CompleteFirstFactor), so MFA policy applies to it as to a
// password; linking and unlinking need lg's step-up.
func (a *App) socialRoutes(public *httpx.Router,
	requireSession func(http.Handler) http.Handler, lg *login.Handlers) {
	(&social.Handlers{Service: a.Social, SignIn: lg.CompleteFirstFactor}).Routes(public,
		requireSession, lg.RequireRecent)
}
