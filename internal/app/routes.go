package app

import (
	"github.com/cerrojo/cerrojo/internal/colombia"
)

// routes registers every capability's routes on the public and admin
// routers. It is the one place that says what the API is; docs/openapi.yaml
// describes the same set, and a test keeps the two in step.
func (a *App) routes() {
	public := a.Server.Router()
	colombia.Routes(public)
	a.Audit.PublicRoutes(public)
	if a.Admin != nil {
		a.Audit.AdminRoutes(a.Admin.Router())
	}
	a.capabilityRoutes()
	a.setupRoutes(public)
}
