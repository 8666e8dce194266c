package httpx

import (
	"net/http"
)

// Router is a ServeMux that answers unknown routes and wrong methods with
// problem documents instead of plain text, and tells the access log and
// metrics which pattern matched.
type Router struct {
	mux      *http.ServeMux
	patterns []string
}

// NewRouter returns an empty router.
func NewRouter() *Router { return &Router{mux: http.NewServeMux()} }

// Handle registers h for a ServeMux pattern such as "GET /v1/users/{id}".
func (rt *Router) Handle(pattern string, h http.Handler) {
	rt.mux.Handle(pattern, h)
	rt.patterns = append(rt.patterns, pattern)
}

// HandleFunc registers an error-returning handler.
func (rt *Router) HandleFunc(pattern string, fn HandlerFunc) { rt.Handle(pattern, fn) }

// Patterns lists the registered patterns in registration order, so that a
// test can hold the API description to the code.
func (rt *Router) Patterns() []string { return append([]string(nil), rt.patterns...) }

// Pattern returns the registered pattern that r would be routed to, or ""
// when none matches.
func (rt *Router) Pattern(r *http.Request) string {
	_, pattern := rt.mux.Handler(r)
	return pattern
}

// ServeHTTP dispatches r.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := rt.mux.Handler(r)
	if pattern != "" {
		if ri := info(r.Context()); ri != nil {
			ri.route = pattern
		}
		// ServeHTTP matches again, which also fills in r.PathValue.
		rt.mux.ServeHTTP(w, r)
		return
	}

	// No pattern matched: ServeMux would answer 404, 405 or a redirect to a
	// cleaned path. Learn which, then answer in our own format.
	rec := newRecorder()
	h.ServeHTTP(rec, r)
	switch rec.status {
	case http.StatusNotFound:
		WriteProblem(w, r, NewProblem(http.StatusNotFound, CodeNotFound,
			"no resource exists at this path"))
	case http.StatusMethodNotAllowed:
		allow := rec.header.Get("Allow")
		w.Header().Set("Allow", allow)
		WriteProblem(w, r, Problemf(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"the method %s is not allowed here; allowed: %s", clean(r.Method), allow))
	default:
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
	}
}
