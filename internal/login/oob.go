package login

import (
	"context"
	"net/http"

	"github.com/cerrojo/cerrojo/internal/accounts"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/mfa"
)

// TEMPORARY until the mfa out-of-band API lands.
func factorHint(mfa.Factor) string { return "" }

func (h *Handlers) checkOOB(ctx context.Context, userID string, p proof,
	m accounts.Meta) ([]string, error) {
	return nil, httpx.NewProblem(http.StatusNotImplemented, "not_implemented",
		"email and text-message codes are not available yet")
}
func (h *Handlers) sendCode(w http.ResponseWriter, r *http.Request, userID, factorID string) error {
	return httpx.NewProblem(http.StatusNotImplemented, "not_implemented",
		"email and text-message codes are not available yet")
}
func (h *Handlers) meEnrollSMS(w http.ResponseWriter, r *http.Request) error {
	return httpx.NewProblem(http.StatusNotImplemented, "not_implemented",
		"email and text-message codes are not available yet")
}
func (h *Handlers) meEnrollEmail(w http.ResponseWriter, r *http.Request) error {
	return httpx.NewProblem(http.StatusNotImplemented, "not_implemented",
		"email and text-message codes are not available yet")
}
func (h *Handlers) meActivateOOB(w http.ResponseWriter, r *http.Request) error {
	return httpx.NewProblem(http.StatusNotImplemented, "not_implemented",
		"email and text-message codes are not available yet")
}
