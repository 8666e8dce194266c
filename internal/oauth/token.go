package oauth

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cerrojo/cerrojo/internal/sessions"
)

// tokenResponse is RFC 6749 section 5.1.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func (h *Handlers) token(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(r)
	if err != nil {
		write(w, r, err)
		return
	}
	switch form.Get("grant_type") {
	case "refresh_token":
		h.refreshGrant(w, r, form)
	case "authorization_code", "client_credentials":
		if h.Provider == nil {
			write(w, r, fail(http.StatusBadRequest, "unsupported_grant_type",
				"this grant type is not supported"))
			return
		}
		// Client authentication failures answer here as they do for the
		// refresh grant (401 with a Basic challenge when Basic was tried);
		// the provider checks the client again.
		if _, err := h.authenticateClient(r, form, ""); err != nil {
			write(w, r, err)
			return
		}
		// The body was consumed by readForm: hand the provider the same
		// parameters, re-encoded.
		body := form.Encode()
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(strings.NewReader(body))
		r2.ContentLength = int64(len(body))
		h.Provider.ServeHTTP(w, r2)
	case "password":
		write(w, r, fail(http.StatusBadRequest, "unsupported_grant_type",
			"the password grant is not offered; use the authorization code flow"))
	case "":
		write(w, r, fail(http.StatusBadRequest, "invalid_request", "grant_type is required"))
	default:
		write(w, r, fail(http.StatusBadRequest, "unsupported_grant_type",
			"this grant type is not supported"))
	}
}

func (h *Handlers) refreshGrant(w http.ResponseWriter, r *http.Request, values url.Values) {
	c, err := h.authenticateClient(r, values, h.Sessions.Config.DefaultClientID)
	if err != nil {
		write(w, r, err)
		return
	}
	token := values.Get("refresh_token")
	if token == "" {
		write(w, r, fail(http.StatusBadRequest, "invalid_request", "refresh_token is required"))
		return
	}
	is, err := h.Sessions.Refresh(r.Context(), token, c.id, metaOf(r))
	if errors.Is(err, sessions.ErrInvalidGrant) {
		write(w, r, fail(http.StatusBadRequest, "invalid_grant",
			"the refresh token is not valid, has expired or was revoked"))
		return
	}
	if err != nil {
		write(w, r, err)
		return
	}
	now := time.Now()
	writeJSON(w, tokenResponse{AccessToken: is.AccessToken, TokenType: "Bearer",
		ExpiresIn:    int64(is.AccessExpiresAt.Sub(now).Round(time.Second) / time.Second),
		RefreshToken: is.RefreshToken})
}
