package authorizer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/cerrojo/cerrojo/sdk"
	"github.com/cerrojo/cerrojo/sdk/authz"
)

type decisionKey struct{}

// ContextWithDecision returns a copy of ctx carrying d, as Require does;
// tests of handlers use it to stand in for an authorized request.
func ContextWithDecision(ctx context.Context, d authz.Decision) context.Context {
	return context.WithValue(ctx, decisionKey{}, &d)
}

// DecisionFrom returns the decision Require made for the request ctx
// belongs to, with its Reason, for the handler's logs and audit records.
func DecisionFrom(ctx context.Context) (authz.Decision, bool) {
	d, ok := ctx.Value(decisionKey{}).(*authz.Decision)
	if !ok || d == nil {
		return authz.Decision{}, false
	}
	return *d, true
}

// Option adjusts Require.
type Option func(*requireOptions)

type requireOptions struct {
	onDecision func(*http.Request, authz.Decision, error)
}

// OnDecision has Require call f after every Authorize, with the decision
// or the error, before answering. It is where a service logs or audits
// denials, whose reason never reaches the client; f must not write to the
// response.
func OnDecision(f func(r *http.Request, d authz.Decision, err error)) Option {
	return func(o *requireOptions) { o.onDecision = f }
}

// Require admits a request only if a authorizes permission on the
// resource that load returns for it, and puts the decision in the request
// context for DecisionFrom. It needs the claims of sdk.Middleware, earlier
// in the chain.
//
// Answers, each an RFC 9457 problem document with a stable code and fixed
// text (never the decision's reason, nor an error's text):
//
//   - 401 missing_token: no verified claims in the context;
//   - 404 not_found: load returned an error matching ErrNotFound;
//   - 403 forbidden: the decision is a denial;
//   - 503 unavailable, with Retry-After: the error matches ErrUnavailable;
//   - 500 internal_error: load failed otherwise, or Authorize failed with
//     the caller's mistake (an unknown permission, a resource of the
//     wrong type), which is a bug in the service, not in the request.
//
// The client's IP is the host of the request's RemoteAddr.
//
// Answering 404 before deciding tells any client whether a resource
// exists. Where that matters, have load return a resource without
// attributes for a missing one instead: vendor-scoped roles and conditions
// on attributes then refuse it (403), and the handler answers 404 to
// whoever is still admitted.
//
// Require panics when a or load is nil, or permission is empty: these are
// wiring mistakes, found when the service starts.
func Require(a Authorizer, permission string, load func(*http.Request) (*authz.Resource, error),
	opts ...Option) func(http.Handler) http.Handler {
	if a == nil || load == nil || permission == "" {
		panic("authorizer: Require needs an Authorizer, a permission and a loader")
	}
	var o requireOptions
	for _, opt := range opts {
		opt(&o)
	}

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, ok := sdk.ClaimsFrom(r.Context())
			if !ok {
				w.Header().Set("WWW-Authenticate", "Bearer")
				writeProblem(w, http.StatusUnauthorized, "missing_token",
					"an access token is required")
				return
			}

			res, err := load(r)
			if err == nil && res == nil {
				err = errors.New("the loader returned no resource")
			}
			if err != nil {
				refuseLoad(w, err)
				return
			}

			d, err := a.Authorize(r.Context(), Request{Claims: claims,
				Permission: permission, Resource: res, IP: remoteIP(r)})
			if o.onDecision != nil {
				o.onDecision(r, d, err)
			}
			if err != nil {
				refuseError(w, err)
				return
			}
			if !d.Allowed {
				writeProblem(w, http.StatusForbidden, "forbidden",
					"you are not allowed to do this")
				return
			}

			next.ServeHTTP(w, r.WithContext(ContextWithDecision(r.Context(), d)))
		})
	}
}

func refuseLoad(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNotFound) {
		writeProblem(w, http.StatusNotFound, "not_found", "the resource does not exist")
		return
	}
	writeProblem(w, http.StatusInternalServerError, "internal_error",
		"the server failed to handle the request")
}

func refuseError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrUnavailable) {
		w.Header().Set("Retry-After", retryAfter)
		writeProblem(w, http.StatusServiceUnavailable, "unavailable",
			"permissions cannot be checked right now; try again shortly")
		return
	}
	writeProblem(w, http.StatusInternalServerError, "internal_error",
		"the server failed to handle the request")
}

// remoteIP returns the host of r.RemoteAddr, or "" when it has none.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

// writeProblem sends an RFC 9457 problem document shaped like cerrojo's
// and sdk.Middleware's, built from fixed strings only.
func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// The status is sent; a failed write means the client has gone.
	_, _ = w.Write([]byte(`{"type":"urn:cerrojo:problem:` + code + `","title":"` +
		http.StatusText(status) + `","status":` + strconv.Itoa(status) + `,"code":"` + code +
		`","detail":"` + detail + `"}` + "\n"))
}
