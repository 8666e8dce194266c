package app

// routes registers every capability's routes on the public and admin
// routers. It is the one place that says what the API is; docs/openapi.yaml
// describes the same set, and a test keeps the two in step.
func (a *App) routes() {
}
