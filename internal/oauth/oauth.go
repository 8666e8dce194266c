// Package oauth serves the standard OAuth 2.0 endpoints that exist before
// the full authorization server: the token endpoint's refresh_token grant
// (RFC 6749 section 6), token introspection (RFC 7662) and token revocation
// (RFC 7009). The authorization-code and client-credentials grants are
// served at the same token endpoint by package openid, after this package
// has read the form and authenticated the client.
//
// The password grant is not offered (OWASP ASVS 5.0 section 10.4; RFC 9700
// section 2.4). Errors follow RFC 6749 section 5.2: a JSON object with
// "error" and "error_description", because OAuth clients parse that shape.
package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/cerrojo/cerrojo/internal/clients"
	"github.com/cerrojo/cerrojo/internal/httpx"
	"github.com/cerrojo/cerrojo/internal/sessions"
	"github.com/cerrojo/cerrojo/sdk"
)

// Handlers serves the endpoints.
type Handlers struct {
	Sessions *sessions.Service
	Clients  *clients.Registry
	Verifier *sdk.Verifier // verifies cerrojo's own access tokens in process
	// Provider, when set, serves the authorization_code and
	// client_credentials grants (package openid); this endpoint reads and
	// checks the form first, then hands it on.
	Provider http.Handler
}

// Routes registers the endpoints.
func (h *Handlers) Routes(r *httpx.Router) {
	r.Handle("POST /oauth2/token", http.HandlerFunc(h.token))
	r.Handle("POST /oauth2/introspect", http.HandlerFunc(h.introspect))
	r.Handle("POST /oauth2/revoke", http.HandlerFunc(h.revoke))
}

// maxFormBytes bounds a token request; real ones are a few hundred bytes.
const maxFormBytes = 8 << 10

// oauthError is an RFC 6749 section 5.2 error.
type oauthError struct {
	status      int
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	basic       bool   // the client tried HTTP Basic: answer with a challenge
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func fail(status int, code, desc string) *oauthError {
	return &oauthError{status: status, Code: code, Description: desc}
}

// write sends an OAuth error, or a generic 500 for anything else.
func write(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	if !errors.As(err, &oe) {
		httpx.WriteError(w, r, err)
		return
	}
	if oe.basic && oe.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="cerrojo"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	// oauthError holds only strings, so encoding cannot fail; a write error
	// means the client has gone and there is no one left to answer.
	_ = httpx.WriteJSON(w, oe.status, oe)
}

// readForm parses an application/x-www-form-urlencoded body strictly: the
// media type must be right, the body small, and no parameter may repeat
// (RFC 6749 section 3.2).
func readForm(r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, fail(http.StatusBadRequest, "invalid_request",
			"send the parameters as application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
	if err != nil {
		return nil, fail(http.StatusBadRequest, "invalid_request", "the body could not be read")
	}
	if len(body) > maxFormBytes {
		return nil, fail(http.StatusRequestEntityTooLarge, "invalid_request",
			fmt.Sprintf("the body is larger than %d bytes", maxFormBytes))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fail(http.StatusBadRequest, "invalid_request", "the body is not a valid form")
	}
	for k, v := range form {
		if len(v) > 1 {
			return nil, fail(http.StatusBadRequest, "invalid_request",
				fmt.Sprintf("the parameter %q appears more than once", k))
		}
	}
	if r.URL.RawQuery != "" {
		// Credentials in a URL end up in logs and Referer headers.
		return nil, fail(http.StatusBadRequest, "invalid_request",
			"send parameters in the body, not the query string")
	}
	return form, nil
}

// caller is the client a request comes from.
type caller struct {
	id            string
	authenticated bool // a confidential client proved its secret
}

// authenticateClient reads client credentials from HTTP Basic (RFC 6749
// section 2.3.1, form-encoded id and secret) or from the body, or a bare
// client_id for a public client. A registered confidential client must
// authenticate; a public client or cerrojo's own first-party client may
// send only its id.
func (h *Handlers) authenticateClient(r *http.Request, form url.Values,
	builtin string) (caller, error) {
	id, secret, basic := r.BasicAuth()
	if basic {
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || form.Get("client_secret") != "" {
			return caller{}, &oauthError{status: http.StatusUnauthorized, Code: "invalid_client",
				Description: "malformed client credentials", basic: true}
		}
		if fid := form.Get("client_id"); fid != "" && fid != id {
			return caller{}, fail(http.StatusBadRequest, "invalid_request",
				"client_id differs from the authenticated client")
		}
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if id == "" {
		return caller{}, fail(http.StatusUnauthorized, "invalid_client",
			"client_id is required")
	}

	if secret != "" {
		c, err := h.Clients.Authenticate(r.Context(), id, secret)
		if errors.Is(err, clients.ErrInvalidClient) {
			return caller{}, &oauthError{status: http.StatusUnauthorized, Code: "invalid_client",
				Description: "client authentication failed", basic: basic}
		}
		if err != nil {
			return caller{}, err
		}
		return caller{id: c.ID, authenticated: true}, nil
	}
	if id == builtin {
		return caller{id: id}, nil
	}
	c, err := h.Clients.Get(r.Context(), id)
	if err != nil && !errors.Is(err, clients.ErrNotFound) {
		return caller{}, err
	}
	if err != nil || c.Type != clients.Public || !c.DisabledAt.IsZero() {
		return caller{}, fail(http.StatusUnauthorized, "invalid_client",
			"client authentication failed")
	}
	return caller{id: c.ID}, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	// v is one of this package's response structs of strings, numbers and
	// booleans, so encoding cannot fail; a write error means the client has gone.
	_ = json.NewEncoder(w).Encode(v)
}

func hasPrefix(tok, prefix string) bool { return strings.HasPrefix(tok, prefix) }
