package clients

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/cerrojo/cerrojo/internal/httpx"
)

type clientKey struct{}

// FromContext returns the client RequireConfidential authenticated.
func FromContext(ctx context.Context) (Client, bool) {
	c, ok := ctx.Value(clientKey{}).(Client)
	return c, ok
}

// RequireConfidential admits requests that authenticate a confidential
// client with HTTP Basic: the client id and secret form-encoded as RFC 6749
// section 2.3.1 says. It guards the APIs that the marketplace's services
// call (the authorization check API, the policy and bindings feeds), so
// that they cannot be used from a browser or by someone holding only a
// person's token. A refusal is a 401 problem with a Basic challenge.
func (r *Registry) RequireConfidential(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id, secret, ok := req.BasicAuth()
		if !ok {
			refuse(w, req, "authenticate as a confidential client with HTTP Basic")
			return
		}
		id, err1 := url.QueryUnescape(id)
		secret, err2 := url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || id == "" || secret == "" {
			refuse(w, req, "malformed client credentials")
			return
		}
		c, err := r.Authenticate(req.Context(), id, secret)
		if errors.Is(err, ErrInvalidClient) {
			refuse(w, req, "client authentication failed")
			return
		}
		if err != nil {
			httpx.WriteError(w, req, err)
			return
		}
		next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), clientKey{}, c)))
	})
}

func refuse(w http.ResponseWriter, r *http.Request, detail string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="cerrojo", charset="UTF-8"`)
	httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, "invalid_client", detail))
}
